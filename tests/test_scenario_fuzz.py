"""Fuzzing scenario validation: mutated copies of the shipped scenarios either validate or fail
with one line naming the file (a ConfigurationError, exit status 2) — never a traceback.

Each mutant is a shipped scenario (parsed, mutated 1-3 times at random places, written back as
TOML): values swapped for another type, removed, replaced by NaN, ±inf, huge, negative or empty
values, arrays or tables, unknown keys added, parameters the models reject at set-up; a few
are cut short or get a stray character (TOML syntax errors).  All mutants are validated
in-process with :func:`cryocosim.scenario.validate` (what ``cryocosim validate`` does); a sample
also goes through ``cryocosim validate`` in one subprocess to check the exit status and stderr
end to end.
"""
import json
import math
import os
import random
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from cryocosim import ConfigurationError
from cryocosim import scenario

SEED = 20240611
N_MUTANTS = 1000
SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
SEEDS = sorted(SCENARIOS.glob("*.toml"))


# -- a small TOML writer (every table inline: valid TOML, one top-level key per line) -----------
def _key(k) -> str:
    return json.dumps(str(k))


def toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)  # JSON string escapes are valid TOML basic-string escapes
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_key(k)} = {toml_value(x)}" for k, x in v.items()) + "}"
    raise TypeError(v)


def dumps(doc: dict) -> str:
    return "".join(f"{_key(k)} = {toml_value(v)}\n" for k, v in doc.items())


# -- mutations ------------------------------------------------------------------------------------
ODD_VALUES = [
    math.nan, math.inf, -math.inf, 1e300, -1e300, 1e12, 2**63 - 1, -(2**63), -1, -0.5, 0, 0.0, 1e-300,
    "", " ", "x", "nan", "inf", "-inf", "1e400 K", "-5 s", "1e12 s", "2 furlongs", "1 km999", "10 K",
    "0.5 atm", "1e300 h", "a.b", "motor.torque", "compressor.p_in", "shaft.speed < 1e999 rpm",
    "load.T >", "nope.fmu", "model.fmu", "os:path", "sys:exit", "warp_drive", "Jacobi",
    True, False, [], ["x"], [1, 2], [[]], [{}], {}, {"x": 1}, {"a": {"b": 1}}, {"a.b": [1]},
]


def _containers(node, path=()):
    """Every (container, key) place of the document, depth first."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield node, k
            yield from _containers(v, path + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield node, i
            yield from _containers(v, path + (i,))


def _swap_type(rng, v):
    if isinstance(v, bool):
        return rng.choice([str(v).lower(), int(v), [v]])
    if isinstance(v, (int, float)):
        return rng.choice([str(v), f"{v} s", bool(v), [v], {"v": v}, -v, v * 1e300])
    if isinstance(v, str):
        try:
            return float(v.split()[0])
        except (ValueError, IndexError):
            return rng.choice([len(v), True, [v], {"v": v}, v * 2, v.upper()])
    if isinstance(v, list):
        return rng.choice([v[0] if v else "", {"0": v}, len(v), list(reversed(v)), v + v])
    if isinstance(v, dict):
        return rng.choice([list(v.values()), list(v), "x", 1])
    return v


#: parameters of the shipped models and values the models may reject at set-up (t = 0)
PARAMETERS = ["T_start", "p_start", "volume", "mass", "fluid", "material", "heat_applied", "T_sink",
              "T_ambient", "inertia", "sync_speed", "voltage_ratio", "start_ramp", "displacement",
              "speed_ratio", "gas_pressure", "emissivity_load", "residual_gas", "UA", "no_such_parameter"]
PHYSICAL_VALUES = ["2 K", "20 K", "3.9 K", "601 K", "1e5 K", "1e9 atm", "1e-9 Pa", "1e-12 m3", "1e99",
                   -1e99, 1e-99, "helium", "neon", "argon", "water", "", "stainless_304", "wood",
                   0, -1, 1e100, 1e101, "0 rpm", "1e9 rpm", "0.5 atm", "1 torr", True, 1.5]


def _set_parameter(rng, doc) -> None:
    """Give an actor (through its table, [defaults] or [set]) a value its model may reject."""
    actors = [a for a in doc.get("actor", []) if isinstance(a, dict)] if isinstance(doc.get("actor"), list) else []
    key, value = rng.choice(PARAMETERS), rng.choice(PHYSICAL_VALUES)
    where = rng.random()
    if actors and where < 0.6:
        actor = rng.choice(actors)
        params = actor.setdefault("parameters", {})
        if isinstance(params, dict):
            params[key] = value
    elif where < 0.8 or not actors:
        if isinstance(doc.setdefault("defaults", {}), dict):
            doc["defaults"][key] = value
    else:
        name = rng.choice(actors).get("name", "x")
        if isinstance(doc.setdefault("set", {}), dict):
            doc["set"][f"{name}.{key}"] = value


def mutate(rng: random.Random, doc: dict) -> dict:
    doc = json.loads(json.dumps(doc))  # deep copy (NaN survives json round trips in Python)
    for _ in range(rng.randint(1, 3)):
        places = list(_containers(doc))
        if not places:
            break
        container, key = rng.choice(places)
        op = rng.random()
        if op < 0.25:  # a parameter value a model may reject at set-up
            _set_parameter(rng, doc)
        elif op < 0.4:  # remove the key / element
            del container[key]
        elif op < 0.55:  # swap the type
            container[key] = _swap_type(rng, container[key])
        elif op < 0.88:  # an odd value
            container[key] = json.loads(json.dumps(rng.choice(ODD_VALUES)))
        elif op < 0.94 and isinstance(container, dict):  # an unknown key beside it
            container[rng.choice(["colour", "stop_time", "name", "set", "extends", "x.y"])] = rng.choice(ODD_VALUES)
        else:  # the value of another place of the document
            other, okey = rng.choice(places)
            try:
                container[key] = json.loads(json.dumps(other[okey]))
            except (KeyError, IndexError):
                pass
    return doc


def make_mutants(folder: Path, n: int) -> list[Path]:
    """``n`` mutant files in ``folder`` (beside a copy of every shipped scenario, which the
    ``extends`` of the stall and coast-down scenarios need)."""
    rng = random.Random(SEED)
    for seed in SEEDS:
        shutil.copy(seed, folder / seed.name)
    docs = [(seed.stem, tomllib.loads(seed.read_text())) for seed in SEEDS]
    paths = []
    for i in range(n):
        stem, doc = docs[i % len(docs)]
        path = folder / f"mutant_{i:04d}_{stem}.toml"
        text = dumps(mutate(rng, doc))
        if rng.random() < 0.03:  # now and then broken TOML: cut short, or a stray character
            k = rng.randrange(len(text))
            text = text[:k] if rng.random() < 0.5 else text[:k] + rng.choice("[]{}=\"\\\x00") + text[k:]
        path.write_text(text)
        paths.append(path)
    return paths


@pytest.fixture(scope="module")
def mutants(tmp_path_factory):
    return make_mutants(tmp_path_factory.mktemp("fuzz"), N_MUTANTS)


def test_writer_round_trips_the_seeds():
    for seed in SEEDS:
        doc = tomllib.loads(seed.read_text())
        assert tomllib.loads(dumps(doc)) == doc


def test_unmutated_seeds_validate(tmp_path):
    for seed in SEEDS:
        shutil.copy(seed, tmp_path / seed.name)
    for seed in SEEDS:
        scenario.validate(tmp_path / seed.name)


def test_mutants_validate_or_fail_with_one_line_naming_the_file(mutants):
    outcomes = {"valid": 0, "rejected": 0}
    unexpected = []
    for path in mutants:
        try:
            scenario.validate(path)
            outcomes["valid"] += 1
        except ConfigurationError as exc:
            msg = str(exc)
            if "\n" in msg or not msg.startswith(str(path.parent)) or len(msg) > 600:
                unexpected.append(f"{path.name}: bad message: {msg!r}")
            outcomes["rejected"] += 1
        except Exception as exc:  # noqa: BLE001 - exactly what the test looks for
            unexpected.append(f"{path.name}: {type(exc).__name__}: {exc}")
    assert not unexpected, f"{len(unexpected)} mutants escaped: " + "\n".join(unexpected[:20])
    # the mutations must exercise both outcomes, mostly rejections
    assert outcomes["rejected"] > N_MUTANTS // 2 and outcomes["valid"] > 0, outcomes


def test_cli_validate_mutants_exit_0_or_2_without_traceback(mutants):
    sample = mutants[:: max(1, len(mutants) // 40)][:40]
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).parent))
    r = subprocess.run([sys.executable, "-m", "cryocosim", "validate", *map(str, sample)],
                       capture_output=True, text=True, env=env, timeout=300)
    assert "Traceback" not in r.stderr and "Traceback" not in r.stdout
    errors = r.stderr.splitlines()
    assert all(line.startswith("cryocosim: error: ") for line in errors), errors
    valid = [line for line in r.stdout.splitlines() if ": valid (" in line]
    assert len(errors) + len(valid) == len(sample)  # one line per file
    assert r.returncode == (2 if errors else 0)
    assert errors and valid
