import sys
from pathlib import Path

import pytest

# the generic test actors live beside the tests
sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture
def keep_sys_path():
    """sys.path as it was before the test: pythonfmu prepends the FMU's resources/ folder to it at
    every instantiation (modules that instantiate FMUs use it for every test)."""
    saved = list(sys.path)
    yield
    sys.path[:] = saved
