"""What the benchmark pages say of the machine they ran on (imported by the scripts beside it)."""
from __future__ import annotations

import platform
from pathlib import Path


def cpu_model() -> str:
    """The processor's model name from /proc/cpuinfo (Linux), else what ``platform`` knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()
