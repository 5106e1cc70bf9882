"""Start-up cost: what each command imports, listed from ``sys.modules`` in a fresh interpreter
(not timed: timings on a shared machine are noise).  matplotlib (about 0.7 s to import) only for
``run --plot``; CoolProp (about 1.6 s) only once a model builds its fluid properties."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios/screw_brayton_cooldown.toml"
WATCHED = ("matplotlib", "CoolProp", "xarray", "scipy", "numpy", "simpy", "netCDF4", "fmpy", "pythonfmu")

_PROBE = """
import json, sys
out = sys.argv[1]
code = sys.argv[2]
try:
    exec(code)
finally:
    tops = sorted({m.split('.')[0] for m in sys.modules})
    with open(out, 'w') as f:
        json.dump(tops, f)
"""


def imported(tmp_path, code: str) -> set[str]:
    """Top-level packages imported by running ``code`` in a fresh interpreter."""
    out = tmp_path / "modules.json"
    proc = subprocess.run([sys.executable, "-c", _PROBE, str(out), code], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert out.exists(), proc.stderr
    return set(json.loads(out.read_text())) & set(WATCHED)


def cli(*argv: str) -> str:
    return ("from cryocosim.cli import main\n"
            f"try:\n    status = main({list(argv)!r})\nexcept SystemExit as exc:\n    status = exc.code\n"
            "assert status in (0, None), status\n")


def test_help_imports_no_heavy_package(tmp_path):
    assert imported(tmp_path, cli("--help")) == set()
    assert imported(tmp_path, cli("run", "--help")) == set()


def test_describe_needs_no_coolprop_nor_matplotlib(tmp_path):
    mods = imported(tmp_path, cli("describe", "screw_compressor"))
    assert "CoolProp" not in mods and "matplotlib" not in mods


def test_importing_the_models_does_not_import_coolprop(tmp_path):
    code = ("import cryocosim.fmus.properties.gas, cryocosim.fmus.recuperator, "
            "cryocosim.fmus.screw_compressor, cryocosim.fmus.thermal_load, cryocosim.fmus.gas_volume")
    assert imported(tmp_path, code) & {"CoolProp", "matplotlib", "scipy"} == set()
    assert "CoolProp" in imported(tmp_path, "import cryocosim.fmus.properties.gas as g; g.Gas('nitrogen')")


def test_validate_imports_coolprop_but_not_matplotlib(tmp_path):
    mods = imported(tmp_path, cli("validate", str(SCENARIO)))
    assert "CoolProp" in mods  # the models' set-up evaluates gas properties
    assert "matplotlib" not in mods


@pytest.mark.slow
def test_run_imports_matplotlib_only_with_plot(tmp_path):
    run = ("run", str(SCENARIO), "--stop-time", "0.2", "-q", "-o", str(tmp_path / "r.nc"))
    assert "matplotlib" not in imported(tmp_path, cli(*run))
    # the probe does see matplotlib when a plot is asked for
    assert "matplotlib" in imported(tmp_path, cli(*run[:-1], str(tmp_path / "r2.nc"),
                                                  "--plot", str(tmp_path / "r2.png")))


def test_engine_package_attributes_are_still_there():
    import cryocosim

    from cryocosim import System, events_of  # lazily imported names
    assert cryocosim.System is System and callable(events_of)
    assert "System" in dir(cryocosim) and set(cryocosim.__all__) <= set(dir(cryocosim))
    with pytest.raises(AttributeError):
        cryocosim.no_such_name


def test_written_out_constants_are_scipys():
    import scipy.constants

    from cryocosim.fmus import thermal_load

    assert thermal_load.Stefan_Boltzmann == scipy.constants.Stefan_Boltzmann
    assert thermal_load.torr == scipy.constants.torr
