"""Sweeps never lose a result, never crash or hang on bad input, never run code the user did not
choose (cryocosim.sweep, `cryocosim sweep`, `cryocosim validate SPEC`).

- a full disk (a file-size limit in a child process): one line naming the cause and the file, no
  temporary file left, the finished points kept for the rerun, the result complete or absent;
- bounds: points, workers, expression size, depth and magnitude refused at once, in one line;
- `validate` checks a spec completely without computing a point; what can be found up front
  exits 2 before any point runs;
- the function rule: an entry point, a module outside the standard library, a file beside the
  spec; `validate` runs none of its code, `sweep` names it before running it;
- a fuzz of mutated specs through `cryocosim validate` (and `sweep` for cheap ones).
"""
import json
import math
import os
import random
import resource
import signal
import subprocess
import sys
import textwrap
import time
import tomllib
import warnings
from pathlib import Path

import pytest
import xarray as xr

from cryocosim import cli
from cryocosim.sweep import MAX_POINTS, MAX_WORKERS_PER_CORE, Expr, SweepError, default_workers, run_sweep

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
COOLDOWN = SCENARIOS / "screw_brayton_cooldown.toml"
ENV = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")


def main(*args) -> tuple[int, str, str]:
    """``cryocosim ARGS`` in this process: (exit status, stdout, stderr)."""
    import contextlib
    import io

    out, err = io.StringIO(), io.StringIO()
    shown = warnings.showwarning
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = cli.main([str(a) for a in args])
    finally:
        warnings.showwarning = shown   # main() installs its own
    return status, out.getvalue(), err.getvalue()


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text))
    return path


# a cheap function beside its spec; `warn` makes one point's record long (a file-size limit
# then stops the sweep at that point)
FN = """
import warnings

def f(x, k=1.0, warn=0.0):
    if x == warn:
        warnings.warn("w" * 6000)
    return {"y": k * x, "z": x * x}
"""
CHEAP = """
function = "fn.py:f"
outputs = ["y", "z"]
batch_size = 1
[parameters]
x = [1.0, 2.0, 3.0, 4.0]
[constants]
warn = 3.0
"""


def cheap_spec(folder: Path, spec: str = CHEAP, name: str = "cheap.toml") -> Path:
    write(folder / "fn.py", FN)
    return write(folder / name, spec)


# ================================================================================================
# 1. a full disk
# ================================================================================================
def limited(limit: int, *args, cwd: Path) -> subprocess.CompletedProcess:
    """``cryocosim ARGS`` in a child process whose files may not grow beyond ``limit`` bytes
    (RLIMIT_FSIZE, SIGXFSZ ignored: a write fails with EFBIG as on a full disk with ENOSPC)."""
    def pre():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return subprocess.run([sys.executable, "-m", "cryocosim", *map(str, args)], preexec_fn=pre, cwd=cwd,
                          capture_output=True, text=True, env=ENV, timeout=120)


def no_tmp_left(folder: Path) -> list[str]:
    return [str(p) for p in folder.rglob("*") if p.name.endswith(".tmp")]


def error_lines(stderr: str) -> list[str]:
    return [ln for ln in stderr.splitlines() if " runs function " not in ln]


def test_full_disk_while_writing_finished_points(tmp_path):
    spec = cheap_spec(tmp_path)
    out = tmp_path / "o.nc"
    r = limited(4000, "sweep", spec, "-o", out, "--scheduler", "synchronous", "-q", cwd=tmp_path)
    errors = error_lines(r.stderr)
    assert r.returncode == 1 and "Traceback" not in r.stderr and len(errors) == 1, r.stderr
    assert errors[0].startswith("cryocosim: error: cannot write finished points to ")
    assert "File too large (errno 27)" in errors[0] and f"{out}.parts/batch-" in errors[0]
    assert not out.exists() and no_tmp_left(tmp_path) == []
    parts = sorted((tmp_path / "o.nc.parts").glob("*.jsonl"))
    assert len(parts) == 2   # the points before x = 3 (the long record), each a whole file
    assert all(json.loads(p.read_text())["status"] == "ok" for p in parts)
    # with room again, the same command computes only the others
    r = subprocess.run([sys.executable, "-m", "cryocosim", "sweep", spec, "-o", out, "--scheduler", "synchronous",
                        "-q"], capture_output=True, text=True, env=ENV, cwd=tmp_path, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "4 points: 4 done, 0 failed; 2 computed, 2 from" in r.stdout
    with xr.open_dataset(out) as ds:
        assert list(ds.y.values) == [1.0, 2.0, 3.0, 4.0]


def test_full_disk_while_writing_the_result_leaves_the_old_result_whole(tmp_path):
    spec = cheap_spec(tmp_path)
    out = tmp_path / "o.nc"
    first = run_sweep(spec, out, scheduler="synchronous", progress=False)
    assert first.attrs["points_done"] == 4
    before = out.read_bytes()
    # a changed sweep (a constant), its result written under a limit its parts fit and it does not
    spec.write_text(spec.read_text().replace("warn = 3.0", "warn = 0.0\nk = 2.0"))
    r = limited(16000, "sweep", spec, "-o", out, "--scheduler", "synchronous", "-q", cwd=tmp_path)
    errors = error_lines(r.stderr)
    assert r.returncode == 1 and "Traceback" not in r.stderr and len(errors) == 1, r.stderr
    assert errors[0] == (f"cryocosim: error: cannot write sweep result '{out}': File too large (errno 27); the "
                         f"finished points are kept in '{out}.parts' and the same command again writes it")
    assert out.read_bytes() == before and no_tmp_left(tmp_path) == []   # the old file, whole
    r = subprocess.run([sys.executable, "-m", "cryocosim", "sweep", spec, "-o", out, "--scheduler", "synchronous",
                        "-q"], capture_output=True, text=True, env=ENV, cwd=tmp_path, timeout=120)
    assert r.returncode == 0 and "0 computed, 4 from" in r.stdout, (r.stdout, r.stderr)
    with xr.open_dataset(out) as ds:
        assert list(ds.y.values) == [2.0, 4.0, 6.0, 8.0]


def test_a_temporary_file_of_a_killed_run_is_removed(tmp_path):
    spec = cheap_spec(tmp_path)
    parts = tmp_path / "o.nc.parts"
    parts.mkdir()
    (parts / ".batch-x.jsonl.tmp").write_text('{"key": "cut sh')
    ds = run_sweep(spec, tmp_path / "o.nc", scheduler="synchronous", progress=False)
    assert ds.attrs["points_done"] == 4 and no_tmp_left(tmp_path) == []


# ================================================================================================
# 2. bounds: refused at once, one line naming the key
# ================================================================================================
HYBRID = (SCENARIOS / "sweeps" / "hybrid_fig11.toml").read_text()


@pytest.mark.parametrize("old, new, expected", [
    ("num = 40, scale", "num = 1000000000, scale",
     f"[parameters]: key 'kappa': 'num' = 1000000000: a sweep has at most {MAX_POINTS} points"),
    ("num = 40, scale = \"log\"", "num = 100000, scale = \"log\"",
     f"[parameters]: 100000 (kappa) x 40 (alpha) = 4000000 points; a sweep has at most {MAX_POINTS}"),
    ("W_C = \"W_C\"", "W_C = \"10**10**10\"",
     "[outputs]: key 'W_C': expression '10**10**10': OverflowError: 10 ** 10000000000 is beyond the range"),
    ("W_C = \"W_C\"", "W_C = \"" + "+".join(["W_C"] * 100_000) + "\"",
     "[outputs]: key 'W_C': expression 'W_C+W_C+"),
    ("W_C = \"W_C\"", "W_C = \"" + "+".join(["W_C"] * 101) + "\"",
     "[outputs]: key 'W_C': expression 'W_C+W_C+"),
    ("W_C = \"W_C\"", "W_C = \"" + "sqrt(" * 150 + "W_C" + ")" * 150 + "\"", "nested 151 deep"),
    ("W_C = \"W_C\"", "W_C = \"W_C * (1e308 * 10)\"", "'1e308 * 10': gives inf (beyond the range of a double"),
    ("W_C = \"W_C\"", "W_C = \"W_C / (1 - 1)\"", "expression 'W_C / (1 - 1)': division by zero"),
    ("W_C = \"W_C\"", "W_C = \"W_C + 1 % 0\"", "expression 'W_C + 1 % 0': '1 % 0': ZeroDivisionError"),
    ("xtol = 1e-8", "xtol = 1e-8\nexpand = 1000000000", "[solve.A_t]: 'expand' must be a whole number from 0 to 100"),
    ("xtol = 1e-8", "xtol = 1e-8\nmaxiter = 1000000000", "[solve.A_t]: 'maxiter' must be a whole number from 1 to"),
])
def test_bounds_are_refused_at_once(tmp_path, old, new, expected):
    assert old in HYBRID
    spec = tmp_path / "big.toml"
    spec.write_text(HYBRID.replace(old, new, 1))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    for command in (("validate", spec), ("sweep", spec, "-o", tmp_path / "big.nc", "--scheduler", "synchronous")):
        status, out, err = main(*command)
        assert status == 2 and err.count("\n") == 1 and err.startswith(f"cryocosim: error: {spec}: "), err
        assert expected in err and len(err) < 800, err
    assert time.perf_counter() - t0 < 10
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss < 200_000   # kB: no big allocation
    assert not (tmp_path / "big.nc.parts").exists()


def test_messages_say_the_expression_bounds(tmp_path):
    long = "+".join(["W_C"] * 100_000)
    with pytest.raises(SweepError, match="399999 characters; an expression has at most 10000"):
        Expr(long, "w")
    with pytest.raises(SweepError, match="nested 101 deep .*; an expression is at most 100 deep"):
        Expr("+".join(["a"] * 101), "w")
    Expr("+".join(["a"] * 100), "w")   # 100 terms: at the bound


def test_whole_number_powers_stay_in_the_range_of_a_double():
    """At run time too (a power of inputs): an error at once, never hours of big-integer work."""
    t0 = time.perf_counter()
    with pytest.raises(OverflowError, match="10 \\*\\* 10000000000 is beyond the range of a double"):
        Expr("10 ** n", "w")({"n": 10**10})
    with pytest.raises(OverflowError):
        Expr("x ** 400", "w")({"x": 10.0})
    assert Expr("2 ** n", "w")({"n": 1000}) == 2**1000 and Expr("3 ** -n", "w")({"n": 2}) == 1 / 9
    assert time.perf_counter() - t0 < 1


def test_workers_bound(tmp_path):
    spec = cheap_spec(tmp_path)
    limit = MAX_WORKERS_PER_CORE * default_workers()
    t0 = time.perf_counter()
    status, out, err = main("sweep", spec, "-o", tmp_path / "o.nc", "--workers", "1000000000")
    assert status == 2 and err == (
        f"cryocosim: error: --workers 1000000000: a local cluster here has at most {limit} worker processes "
        f"({MAX_WORKERS_PER_CORE} per usable core, {default_workers()} cores: more only take turns on the cores); "
        f"use --scheduler for a larger cluster\n")
    with pytest.raises(SweepError, match=f"workers {limit + 1}: a local cluster here has at most {limit}"):
        run_sweep(spec, scheduler="synchronous", workers=limit + 1, progress=False)
    assert time.perf_counter() - t0 < 5 and not (tmp_path / "o.nc.parts").exists()


# ================================================================================================
# 3. validate checks a spec completely; what can be found up front exits 2 before any point
# ================================================================================================
def test_validate_recognises_sweep_specs_and_scenarios():
    specs = sorted((SCENARIOS / "sweeps").glob("*.toml"))
    status, out, err = main("validate", *specs, COOLDOWN)
    assert status == 0 and err == "", err
    lines = out.splitlines()
    assert len(lines) == len(specs) + 1
    assert lines[-1].startswith(f"{COOLDOWN}: valid (") and all(": valid sweep spec (" in ln for ln in lines[:-1])
    fig11 = next(ln for ln in lines if "hybrid_fig11" in ln)
    assert "1600 points over 2 parameters, 8 outputs; function 'cyclic_steady_state' of module " \
           "'cryocosim.fmus.reference.hybrid'" in fig11


SCENARIO_SPEC = f"""
scenario = "{COOLDOWN}"
stop_time = "2 s"
[parameters]
"load.heat_applied" = ["60 W", "100 W"]
[outputs]
T = "load.T"
"""


@pytest.mark.parametrize("old, new, expected", [
    ('stop_time = "2 s"', 'stop_time = "1e14 s"', "key 'stop_time': stop time 1e+14 s would take 2e+15 steps"),
    ('stop_time = "2 s"', 'stop_time = "2 s"\noutput_interval = "1e-12 s"',
     "key 'output_interval' must be at least 1e-09 s, got '1e-12 s'"),
    ('stop_time = "2 s"', 'stop_time = "1e7 s"\noutput_interval = "0.05 s"',
     "key 'output_interval': each point would record 2e+08 samples of "),
    ('T = "load.T"', 'T = "load.Tx"', "[outputs]: key 'T': 'load.Tx' is not a recorded variable"),
    ('T = "load.T"', 'T = "at(load.T, \'5 min\')"', "[outputs]: key 'T': at(): t = 300 s is after the end of the run (2 s)"),
    ('T = "load.T"', 'T = "load.T * 10**10**10"', "[outputs]: key 'T': expression 'load.T * 10**10**10': '10**10**10':"),
    (f'scenario = "{COOLDOWN}"', 'scenario = "x.ssp"', "key 'scenario': 'x.ssp' is an SSP system; a sweep runs a TOML scenario"),
    (f'scenario = "{COOLDOWN}"', 'scenario = "binary.toml"', "key 'scenario': scenario 'binary.toml' is not a UTF-8 text file"),
    (f'scenario = "{COOLDOWN}"', 'scenario = "."', "key 'scenario': cannot read scenario '.': a folder"),
    ('[outputs]', '[solve."load.mass"]\nresidual = "load.Tq - 80"\nbracket = [1, 2]\n[outputs]',
     "[solve.load.mass]: key 'residual': 'load.Tq' is not a recorded variable"),
])
def test_problems_found_up_front_exit_2_before_any_point(tmp_path, old, new, expected):
    (tmp_path / "binary.toml").write_bytes(b"\xff\xfe\x00garbage")
    spec = tmp_path / "s.toml"
    text = textwrap.dedent(SCENARIO_SPEC)
    assert old in text
    spec.write_text(text.replace(old, new))
    for command in (("validate", spec), ("sweep", spec, "-o", tmp_path / "s.nc", "--scheduler", "synchronous", "-q")):
        status, out, err = main(*command)
        assert status == 2 and err.count("\n") == 1 and err.startswith(f"cryocosim: error: {spec}: "), err
        assert expected in err, err
    assert not (tmp_path / "s.nc.parts").exists() and not (tmp_path / "s.nc").exists()


def test_an_output_the_function_does_not_return_stops_the_sweep_at_the_first_point(tmp_path):
    """A function's result keys are known only by calling it: the first point tells, and the
    sweep stops there with exit 2 instead of computing every point to fail."""
    write(tmp_path / "count.py", """
        from pathlib import Path

        def f(x):
            with open(Path(__file__).with_name("calls"), "a") as fh:
                fh.write("call\\n")
            return {"y": x}
        """)
    spec = write(tmp_path / "s.toml", """
        function = "count.py:f"
        outputs = ["y", "nope"]
        [parameters]
        x = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
        """)
    status, out, err = main("sweep", spec, "-o", tmp_path / "s.nc", "--scheduler", "synchronous", "-q")
    assert status == 2 and error_lines(err) == [
        f"cryocosim: error: {spec}: key 'outputs' #2: 'nope' is neither an input nor a key of the result of "
        f"{tmp_path / 'count.py'}:f (its keys: y)"], err
    assert (tmp_path / "calls").read_text() == "call\n" and not (tmp_path / "s.nc").exists()
    spec.write_text(spec.read_text().replace(', "nope"', ""))
    status, out, err = main("sweep", spec, "-o", tmp_path / "s.nc", "--scheduler", "synchronous", "-q")
    assert status == 0 and "6 points: 6 done" in out


# ================================================================================================
# 4. code the user did not choose
# ================================================================================================
def fn_spec(folder: Path, function: str, params: str = "x = [1.0, 2.0]", outputs: str = '["y"]') -> Path:
    return write(folder / "s.toml", f'function = "{function}"\noutputs = {outputs}\n[parameters]\n{params}\n')


def test_standard_library_functions_are_refused(tmp_path):
    marker = tmp_path / "MARKER"
    for function, expected in (("os:system", "'os' is a module of the standard library"),
                               ("subprocess:getoutput", "'subprocess' is a module of the standard library"),
                               ("json:loads", "'json' is a module of the standard library"),
                               ("builtins:eval", "'builtins' is a module of the standard library"),
                               ("os.path:exists", "'os.path' is a module of the standard library")):
        spec = fn_spec(tmp_path, function, f'command = ["touch {marker}"]')
        for command in (("validate", spec), ("sweep", spec, "-o", tmp_path / "o.nc", "--scheduler", "synchronous")):
            status, out, err = main(*command)
            assert status == 2 and err.count("\n") == 1 and expected in err, err
            assert "a sweep function is an entry point of group 'cryocosim.sweep_functions'" in err
        assert not marker.exists()


def test_a_standard_library_callable_reached_through_a_module_is_refused(tmp_path):
    """``from os import system`` in a file beside the spec, or a module attribute on the way:
    the sweep imports the file (the user named it) but does not call what it holds."""
    marker = tmp_path / "MARKER"
    write(tmp_path / "tools.py", "import os\nfrom os import system as sh\n")
    for function, expected in (("tools.py:sh", "'sh' of '" + str(tmp_path / "tools.py") + "' is posix.system of "
                                               "the standard library"),
                               ("tools.py:os.system", "'os' is a module: name it before the ':'")):
        spec = fn_spec(tmp_path, function, f'command = ["touch {marker}"]')
        status, out, err = main("sweep", spec, "-o", tmp_path / "o.nc", "--scheduler", "synchronous", "-q")
        assert status == 2 and expected in error_lines(err)[-1], err
        assert not marker.exists()


def test_a_file_outside_the_specs_folder_is_refused(tmp_path):
    (tmp_path / "sub").mkdir()
    write(tmp_path / "outside.py", "def f(x):\n    return x\n")
    spec = fn_spec(tmp_path / "sub", "../outside.py:f")
    status, out, err = main("validate", spec)
    assert status == 2 and f"'../outside.py' is not in the spec's folder '{tmp_path / 'sub'}'" in err


MARKING = """
import sys
from pathlib import Path

Path(__file__).with_name("MARKER").write_text("ran")
print("IMPORTED", file=sys.stderr)

def f(x, k=1.0):
    return {"y": k * x}
"""


def test_a_file_beside_the_spec_is_announced_and_run_validate_runs_none_of_it(tmp_path):
    write(tmp_path / "helper.py", MARKING)
    marker = tmp_path / "MARKER"
    spec = fn_spec(tmp_path, "helper.py:f")
    status, out, err = main("validate", spec)
    assert status == 0 and err == "" and not marker.exists(), err
    assert out == (f"{spec}: valid sweep spec (2 points over 1 parameter, 1 output; function 'f' of the file "
                   f"{tmp_path / 'helper.py'})\n")
    # validate reads the arguments from the source, still without running it
    bad = fn_spec(tmp_path, "helper.py:f", "z = [1.0, 2.0]")
    status, out, err = main("validate", bad)
    assert status == 2 and "[parameters]: key 'z': helper.py:f has no argument 'z' (arguments: x, k)" in err
    bad = fn_spec(tmp_path, "helper.py:g")
    status, out, err = main("validate", bad)
    assert status == 2 and f"cannot load 'helper.py:g': {tmp_path / 'helper.py'} defines no 'g'" in err
    assert not marker.exists()
    # a bad output path is found before the file is loaded
    spec = fn_spec(tmp_path, "helper.py:f")
    status, out, err = main("sweep", spec, "-o", tmp_path, "--scheduler", "synchronous", "-q")
    assert status == 2 and "it is a directory" in err and "IMPORTED" not in err and not marker.exists(), err
    # sweep names the file in one line, then runs it
    status, out, err = main("sweep", spec, "-o", tmp_path / "o.nc", "--scheduler", "synchronous", "-q")
    assert status == 0 and marker.exists(), err
    assert err.splitlines() == [f"cryocosim: sweep {spec} runs function 'f' of the file {tmp_path / 'helper.py'}",
                                "IMPORTED"]


def test_a_submodule_is_found_without_importing_its_package(tmp_path, monkeypatch):
    pkg = tmp_path / "sweep_demo_pkg"
    pkg.mkdir()
    write(pkg / "__init__.py", "from pathlib import Path\nPath(__file__).with_name('MARKER').write_text('ran')\n")
    write(pkg / "model.py", "def g(x):\n    return {'y': 2 * x}\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    spec = fn_spec(tmp_path, "sweep_demo_pkg.model:g")
    status, out, err = main("validate", spec)
    assert status == 0 and "function 'g' of module 'sweep_demo_pkg.model'" in out, err
    assert not (pkg / "MARKER").exists() and "sweep_demo_pkg" not in sys.modules
    spec = fn_spec(tmp_path, "sweep_demo_pkg.model:h")
    assert main("validate", spec)[2].endswith(f"{pkg / 'model.py'} defines no 'h'\n")
    spec = fn_spec(tmp_path, "sweep_demo_pkg.nomodule:g")
    assert "no module 'sweep_demo_pkg.nomodule' on the path" in main("validate", spec)[2]
    spec = fn_spec(tmp_path, "sweep_demo_pkg.model:g")
    status, out, err = main("sweep", spec, "-o", tmp_path / "o.nc", "--scheduler", "synchronous", "-q")
    assert status == 0 and err.splitlines()[0] == (
        f"cryocosim: sweep {spec} runs function 'g' of module 'sweep_demo_pkg.model' ({pkg / 'model.py'})")
    assert (pkg / "MARKER").exists()


def test_a_registered_entry_point(tmp_path, monkeypatch):
    site = tmp_path / "site"
    (site / "sweepdemo-1.0.dist-info").mkdir(parents=True)
    (site / "sweepdemo-1.0.dist-info" / "METADATA").write_text("Metadata-Version: 2.1\nName: sweepdemo\nVersion: 1.0\n")
    (site / "sweepdemo-1.0.dist-info" / "entry_points.txt").write_text(
        "[cryocosim.sweep_functions]\ndouble = sweepdemo_fn:double\nshell = os:system\n")
    write(site / "sweepdemo_fn.py", "def double(x):\n    return {'y': 2 * x}\n")
    monkeypatch.syspath_prepend(str(site))
    spec = fn_spec(tmp_path, "double")
    status, out, err = main("validate", spec)
    assert status == 0 and "entry point 'double' = 'sweepdemo_fn:double': function 'double' of module" in out, err
    status, out, err = main("sweep", spec, "-o", tmp_path / "o.nc", "--scheduler", "synchronous", "-q")
    assert status == 0 and "runs entry point 'double' = 'sweepdemo_fn:double'" in err, err
    with xr.open_dataset(tmp_path / "o.nc") as ds:
        assert list(ds.y.values) == [2.0, 4.0]
    spec = fn_spec(tmp_path, "shell", 'command = ["true"]')
    status, out, err = main("validate", spec)
    assert status == 2 and "entry point 'shell' = 'os:system': 'os' is a module of the standard library" in err
    spec = fn_spec(tmp_path, "triple")
    status, out, err = main("validate", spec)
    assert status == 2 and ("'triple' is not a registered sweep function (entry points of group "
                            "'cryocosim.sweep_functions': double, shell)") in err


EXTERNAL_MODEL = """
import sys
from pathlib import Path

from cryocosim import Actor, Output, Parameter

Path(__file__).with_name("MARKER").write_text("imported")
print("IMPORTED", file=sys.stderr)


class Constant(Actor):
    variables = (Parameter("value", "W", 1.0, "output value"), Output("y", "W", 0.0, "the value"))
    default_step = 1.0

    def setup(self):
        self.y = self.value

    def do_step(self, t, h):
        self.y = self.value
"""


def test_a_scenario_sweeps_external_model_code_follows_the_scenarios_rule(tmp_path):
    """A scenario naming a model module outside the registered ones (cryocosim.trust): validate
    refuses it without importing it (--trust imports it), sweep names it in one line first."""
    write(tmp_path / "sweep_ext_model.py", EXTERNAL_MODEL)
    write(tmp_path / "s.toml", '[run]\nstop_time = 2.0\n[[actor]]\nname = "src"\nmodel = "sweep_ext_model:Constant"\n')
    spec = write(tmp_path / "sweep.toml", 'scenario = "s.toml"\noutputs = ["src.y"]\n[parameters]\n"src.value" = [1.0, 2.0]\n')
    env = dict(ENV, PYTHONPATH=os.pathsep.join([str(tmp_path), ENV.get("PYTHONPATH", "")]))

    def run(*args):
        return subprocess.run([sys.executable, "-m", "cryocosim", *map(str, args)], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=120)
    r = run("validate", spec)
    assert r.returncode == 2 and "model module 'sweep_ext_model'" in r.stderr and "--trust" in r.stderr, r.stderr
    assert r.stderr.startswith(f"cryocosim: error: {spec}: key 'scenario': ") and r.stderr.count("\n") == 1
    assert not (tmp_path / "MARKER").exists()
    r = run("validate", "--trust", spec)
    assert r.returncode == 0 and "valid sweep spec (2 points" in r.stdout, r.stderr
    r = run("sweep", spec, "-o", tmp_path / "o.nc", "--scheduler", "synchronous", "-q")
    assert r.returncode == 0, r.stderr
    notice, imported = r.stderr.splitlines()[:2]
    assert notice.startswith(f"cryocosim: sweep {spec} executes code outside cryocosim's registered models: "
                             f"module 'sweep_ext_model' ({tmp_path / 'sweep_ext_model.py'}") and imported == "IMPORTED"
    with xr.open_dataset(tmp_path / "o.nc") as ds:
        assert list(ds["src.y"].values) == [1.0, 2.0]


# ================================================================================================
# 5. fuzz
# ================================================================================================
SEED = 20261208
N_MUTANTS = 600
PER_MUTANT_S = 10.0      # a mutant taking longer is a hang
SWEEP_BUDGET = 40        # mutants of the cheap spec also run as sweeps (at most 8 points each)

HAND_WRITTEN = {
    "cheap.toml": CHEAP,
    "solve.toml": """
        function = "fn.py:f"
        [parameters]
        x = { start = 1, stop = 4, num = 3, scale = "log" }
        [derived]
        warn = "x * 0"
        [solve.k]
        residual = "y - 2"
        bracket = [0.1, 1.0]
        scale = "log"
        [outputs]
        k = "k"
        s = { expr = "sqrt(y) + max(y, z, 1) - min(y, z) % 2 // 1", unit = "K" }
        """,
    "scenario.toml": """
        scenario = "../screw_brayton_cooldown.toml"
        stop_time = "1 s"
        output_interval = 0.5
        [parameters]
        "load.heat_applied" = ["60 W", "100 W"]
        load.mass = { values = [1, 2], unit = "kg" }
        [constants]
        motor.sync_speed = "9000 rpm"
        [outputs]
        T = "load.T"
        p = "mean(hp.p, last = '0.5 s') / 1e5"
        T_at = "at(load.T, '0.5 s')"
        """,
}
ODD = [
    math.nan, math.inf, -math.inf, 1e300, -1, 0, 0.5, 10**9, 2**63 - 1, True, "", " ", "x", "nan", "inf",
    "1e400 K", "-5 s", "1e14 s", "1e-12 s", "1e7 s", "2 furlongs", "10 K", "0.5 atm", "60 W", "rad",
    "os:system", "subprocess:run", "json:loads", "builtins:eval", "helper.py:f", "marker.py:f", "../fn.py:f",
    "fn.py:nope", "fn.py:os", "cryocosim.fmus.reference.hybrid:nope", "cryocosim.cli:main", "nosuch", "a:b:c", ":",
    "x.ssp", "../4k_cooldown.toml", "sweeps", "/dev/null", "log", "linear",
    "10**10**10", "+".join(["y"] * 3000), "(" * 120 + "y" + ")" * 120, "y ** 400", "1/0", "y +", "min()",
    "at(load.T, '1e400 s')", "mean(load.T, last = 'x')", "load.T.x", "__import__('os')", "y if y else z",
    "lambda: 0", "[y]", "y[0]", "'s'", "y.real", "sqrt(y, z)", "max(load.T)", "status", "point_time",
    [], [1, 1], [1, "a"], [[1]], [{}], [0.1, 0.05], {}, {"x": 1}, {"start": 1, "stop": 2, "num": 10**9},
    {"start": 0, "stop": 1, "num": 3, "scale": "log"}, {"values": [], "unit": "W"}, {"expr": "y", "unit": "furlong"},
]


def _places(node):
    if isinstance(node, dict):
        for k, v in list(node.items()):
            yield node, k
            yield from _places(v)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield node, i
            yield from _places(v)


def _expr_mutation(rng, v: str) -> str:
    return rng.choice([v + " +", "(" + v, v.replace("_", ""), v + " ** 10 ** 10", "min(" + v + ")",
                       f"at({v}, '1 h')", f"mean({v}, last = 'x')", v + " / 0", v * 2, v.upper(), v + "." + v,
                       v.replace(" W", " K"), v.replace(" s", " furlong"), "-" * 200 + v])


def mutate(rng: random.Random, doc: dict) -> dict:
    doc = json.loads(json.dumps(doc))
    for _ in range(rng.randint(1, 3)):
        places = list(_places(doc))
        if not places:
            break
        container, key = rng.choice(places)
        value = container[key]
        op = rng.random()
        if op < 0.15:
            del container[key]
        elif op < 0.45:
            container[key] = json.loads(json.dumps(rng.choice(ODD)))
        elif op < 0.6 and isinstance(value, str):
            container[key] = _expr_mutation(rng, value)
        elif op < 0.7:
            container[key] = rng.choice([[value], {"x": value}, {"values": value}, {"expr": value}, str(value)])
        elif op < 0.8 and isinstance(container, dict):
            container[rng.choice(["colour", "name", "function", "scenario", "stop_time", "output_interval",
                                  "outputs", "parameters", "constants", "derived", "solve", "batch_size", "a.b",
                                  "status", "k", "x"])] = json.loads(json.dumps(rng.choice(ODD)))
        elif op < 0.9:
            other, okey = rng.choice(places)
            try:
                container[key] = json.loads(json.dumps(other[okey]))
            except (KeyError, IndexError):
                pass
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            container[key] = rng.choice([value * 1e300, -value, value + 0.5, int(value) * 10**9, str(value) + " K"])
    return doc


def _toml(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf") if math.isinf(v) else repr(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list):
        return "[" + ", ".join(_toml(x) for x in v) + "]"
    return "{" + ", ".join(f"{json.dumps(str(k))} = {_toml(x)}" for k, x in v.items()) + "}"


def dumps(doc: dict) -> str:
    return "".join(f"{json.dumps(str(k))} = {_toml(v)}\n" for k, v in doc.items())


def text_mutation(rng: random.Random, text: str) -> bytes:
    lines = text.splitlines(keepends=True) or [""]
    i = rng.randrange(len(lines))
    op = rng.random()
    if op < 0.3:
        del lines[i]                               # a line deleted
    elif op < 0.6:
        lines.insert(i, lines[i])                  # a line twice (a key defined twice)
    elif op < 0.8:
        k = rng.randrange(len(lines[i]) + 1)       # a stray character
        lines[i] = lines[i][:k] + rng.choice("[]{}=\"'\\#.\x00") + lines[i][k:]
    else:                                          # random bytes (not always UTF-8)
        data = "".join(lines).encode()
        k = rng.randrange(len(data) + 1)
        return data[:k] + bytes(rng.randrange(256) for _ in range(rng.randint(1, 8))) + data[k:]
    return "".join(lines).encode()


def make_mutants(folder: Path, n: int) -> list[tuple[Path, bool]]:
    """``n`` mutant specs in ``folder/sweeps`` (beside copies of the scenarios, which the
    shipped specs name as ``../x.toml``); (path, cheap): cheap mutants come from the cheap spec."""
    rng = random.Random(SEED)
    sweeps = folder / "sweeps"
    sweeps.mkdir()
    for scenario in SCENARIOS.glob("*.toml"):
        (folder / scenario.name).write_bytes(scenario.read_bytes())
    write(sweeps / "fn.py", FN)
    write(sweeps / "marker.py", MARKING)
    write(sweeps / "helper.py", "def f(**kw):\n    return {'y': 1.0}\n")
    seeds = [(p.name, p.read_text()) for p in sorted((SCENARIOS / "sweeps").glob("*.toml"))]
    seeds += [(name, textwrap.dedent(text)) for name, text in HAND_WRITTEN.items()]
    out = []
    for i in range(n):
        name, text = seeds[i % len(seeds)]
        if rng.random() < 0.25:
            data = text_mutation(rng, text)
        else:
            data = dumps(mutate(rng, tomllib.loads(text))).encode()
        path = sweeps / f"mutant_{i:04d}_{name}"
        path.write_bytes(data)
        out.append((path, name in ("cheap.toml", "solve.toml")))
    return out


def _fuzz_child(listing: str) -> None:
    """Run in a child process: validate (and sweep) each mutant in-process with cli.main, one
    JSON line per run on stdout (a hang in C code would stop the child: the parent's timeout
    names the mutant it was at)."""
    import contextlib
    import io

    from cryocosim.sweep import load_spec as load

    def handler(signum, frame):
        raise TimeoutError(f"more than {PER_MUTANT_S} s")

    signal.signal(signal.SIGALRM, handler)
    jobs = json.loads(Path(listing).read_text())
    marker = Path(jobs[0][0]).with_name("MARKER") if jobs else None
    budget = SWEEP_BUDGET
    for command in ("validate", "sweep"):
        if command == "sweep" and marker is not None and marker.exists():
            print(json.dumps({"path": "marker.py", "command": "validate", "status": -1,
                              "stderr": "validate ran the code of marker.py"}), flush=True)
        for path, cheap in jobs:
            args = ["validate", path]
            if command == "sweep":
                if not cheap or budget == 0:
                    continue
                try:
                    spec = load(path, import_function=False)
                except Exception:  # noqa: BLE001 - validate already saw it
                    continue
                if math.prod(spec.shape) > 8 or "marker.py" in spec.target:
                    continue
                budget -= 1
                args = ["sweep", path, "-o", path + ".nc", "--scheduler", "synchronous", "-q"]
            print(json.dumps({"start": path, "command": command}), flush=True)
            out, err = io.StringIO(), io.StringIO()
            shown = warnings.showwarning
            t0 = time.perf_counter()
            signal.setitimer(signal.ITIMER_REAL, PER_MUTANT_S)
            try:
                with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                    status = cli.main(args)
            except BaseException as exc:  # noqa: BLE001 - exactly what the fuzz looks for
                import traceback

                status = -1
                err.write("Traceback (escaped main):\n" + "".join(traceback.format_exception(exc)))
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
                warnings.showwarning = shown
            print(json.dumps({"path": path, "command": command, "status": status, "stderr": err.getvalue(),
                              "seconds": time.perf_counter() - t0}), flush=True)


def test_fuzz_mutated_specs_validate_or_fail_in_one_line(tmp_path):
    mutants = make_mutants(tmp_path, N_MUTANTS)
    listing = tmp_path / "mutants.json"
    listing.write_text(json.dumps([[str(p), cheap] for p, cheap in mutants]))
    code = (f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); "
            f"import test_sweep_safety as t; t._fuzz_child({str(listing)!r})")
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=ENV, cwd=tmp_path)
    try:
        stdout, stderr = proc.communicate(timeout=240)
    except subprocess.TimeoutExpired:
        proc.kill()
        stdout, stderr = proc.communicate()
        started = [json.loads(ln) for ln in stdout.splitlines() if '"start"' in ln]
        pytest.fail(f"the fuzz hung at {started[-1] if started else 'the start'}")
    results = [json.loads(ln) for ln in stdout.splitlines() if '"status"' in ln]
    assert proc.returncode == 0, stderr[-3000:]
    validated = [r for r in results if r["command"] == "validate"]
    swept = [r for r in results if r["command"] == "sweep"]
    assert len(validated) == N_MUTANTS
    bad = []
    for r in results:
        lines = r["stderr"].splitlines()
        allowed = (0, 1, 2) if r["command"] == "sweep" else (0, 2)
        errors = [ln for ln in lines if " runs function " not in ln and not ln.startswith("cryocosim: warning: ")]
        if r["status"] not in allowed or "Traceback" in r["stderr"] or r["seconds"] > PER_MUTANT_S \
                or not all(ln.startswith("cryocosim: error: ") for ln in errors) or len(errors) > 1:
            bad.append(f"{r['command']} {Path(r['path']).name}: exit {r['status']}: {r['stderr'][-600:]}")
    assert not bad, f"{len(bad)} of {len(results)} runs went wrong:\n" + "\n".join(bad[:10])
    valid = sum(r["status"] == 0 for r in validated)
    assert N_MUTANTS // 2 < N_MUTANTS - valid and valid > 20, valid   # both outcomes, mostly rejections
    assert len(swept) >= 10 and any(r["status"] == 0 for r in swept), len(swept)
    assert not (tmp_path / "sweeps" / "MARKER").exists()   # validate never ran marker.py
    assert time.perf_counter() - t0 < 120


def test_the_bounds_page_states_the_code_s_bounds():
    """docs/sweep_specs.md is written by hand: its limits must be the code's."""
    from cryocosim import sweep

    page = (Path(__file__).resolve().parents[1] / "docs" / "sweep_specs.md").read_text()
    for phrase in (f"at most {sweep.MAX_POINTS:,} points", f"at most {sweep.MAX_WORKERS_PER_CORE} worker processes",
                   f"at most {sweep.MAX_EXPR_CHARS:,} characters and {sweep.MAX_EXPR_DEPTH} deep",
                   f"at most {sweep.MAX_EXPAND} widenings", f"{sweep.MAX_ITER:,} iterations",
                   f"at most {sweep.MAX_POINT_VALUES:,} values", f"at most {sweep.MAX_SPEC_BYTES // 2**20} MiB"):
        assert phrase in page, phrase
