"""The finished points of a sweep on disk, ``<output>.parts/``: each finished task's records in a
JSON-lines file written atomically (a full disk leaves nothing half-written), read back by a
rerun, which computes only what is missing, and gathered into one file after a complete sweep."""
from __future__ import annotations

import json
import os
import time
import uuid
import warnings
from pathlib import Path

from ..errors import exception_line
from .limits import SweepWriteError


class PartsCache:
    """Finished points in ``<output>.parts/``: JSON-lines files, each written atomically."""

    def __init__(self, directory: Path | None):
        self.dir = directory
        self.files: list[Path] = []

    def load(self) -> dict[str, dict]:
        records: dict[str, dict] = {}
        if self.dir is None or not self.dir.is_dir():
            return records
        for tmp in self.dir.glob(".*.tmp"):   # a write cut short by a killed run (we hold the lock)
            try:
                tmp.unlink()
            except OSError:
                pass
        self.files = sorted(self.dir.glob("*.jsonl"))
        for path in self.files:
            try:
                lines = path.read_text(encoding="utf-8").splitlines()
            except OSError:
                continue
            for line in lines:
                try:
                    rec = json.loads(line)
                    key = rec["key"]
                except (ValueError, KeyError, TypeError):
                    continue   # a damaged line: that point is computed again
                old = records.get(key)
                if old is None or rec.get("status") == "ok" or old.get("status") != "ok":
                    records[key] = rec
        return records

    def write(self, records: list[dict], prefix: str = "batch") -> None:
        """Write ``records`` to a new file, atomically: on a write error (a full disk) nothing
        is left of it and :class:`SweepWriteError` names the file and the cause."""
        if self.dir is None or not records:
            return
        name = f"{prefix}-{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}.jsonl"
        tmp = self.dir / f".{name}.tmp"
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            with open(tmp, "w", encoding="utf-8") as fh:
                for rec in records:
                    fh.write(json.dumps(rec, default=str) + "\n")
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.dir / name)
        except OSError as exc:
            remove_file(tmp)
            raise SweepWriteError(f"cannot write finished points to '{self.dir / name}': {os_error_text(exc)}; "
                                  f"the points finished before are kept in '{self.dir}' and the same command "
                                  f"again computes only the others") from None

    def compact(self, records: dict[str, dict]) -> None:
        """Rewrite every known record into one file and remove the files read or written; if
        that file cannot be written (a full disk), the files stay as they are (a warning)."""
        if self.dir is None or not self.dir.is_dir():
            return
        old = sorted(self.dir.glob("*.jsonl"))
        if len(old) <= 1:
            return
        try:
            self.write(list(records.values()), prefix="points")
        except SweepWriteError as exc:
            from ..errors import CryocosimWarning

            warnings.warn(f"{exc} (the result is complete; the finished points stay in {len(old)} files)",
                          CryocosimWarning, stacklevel=3)
            return
        for path in old:
            remove_file(path)


def remove_file(path: Path) -> None:
    """Remove ``path`` if it can be (a temporary file on the way out of a failed write)."""
    try:
        path.unlink()
    except OSError:
        pass


def os_error_text(exc: OSError) -> str:
    """``"No space left on device (errno 28)"``."""
    if exc.errno is not None and exc.strerror:
        return f"{exc.strerror} (errno {exc.errno})"
    return exception_line(exc)
