"""Condition events with conjunctions: ``"a.x > 2 J and b.x > 7 J"`` fires when all clauses hold."""
import math

import pytest

from cryocosim import ConfigurationError, System, events_of
from cryocosim import scenario


def ramps(step=0.1):
    """Two integrators of constants: i1.x = t J and i2.x = 2t J.  The zero-order hold of a
    constant is exact, so the only error is the round-off of summing the steps (n * eps * x,
    about 1e-14 J here), and linear interpolation between two ticks locates a crossing exactly."""
    s = System("ramps")
    s.add("one", "engine_actors:Constant", step=1.0, value=1.0)
    s.add("two", "engine_actors:Constant", step=1.0, value=2.0)
    s.add("i1", "engine_actors:Integrator", step=step)
    s.add("i2", "engine_actors:Integrator", step=step)
    s.connect("one.y", "i1.u")
    s.connect("two.y", "i2.u")
    return s


# x'' = -x split in two actors: a.x ~ cos t, b.x ~ -sin t (a' = b, b' = -a)
from test_engine import oscillator  # noqa: E402


def tanks(step):
    """Two tanks joined by a valve (tests/test_adaptive.py): a.p = 1.5e5 + 0.5e5 exp(-2t),
    b.p = 1.5e5 - 0.5e5 exp(-2t) Pa exactly."""
    s = System("tanks")
    s.add("a", "engine_actors:Tank", step=step, C=1.0, p_start=2e5, q_in=0.0)
    s.add("b", "engine_actors:Tank", step=step, C=1.0, p_start=1e5, q_out=0.0)
    s.add("v", "engine_actors:Valve", step=step, G=1.0)
    s.connect("a.p", "v.p1")
    s.connect("b.p", "v.p2")
    s.connect("v.q", "a.q_out")
    s.connect("v.q", "b.q_in")
    return s


def by_name(ds):
    return {e["name"]: e for e in events_of(ds)}


# summed round-off of ~50 steps of 0.1 s (1e-14 J) over a slope of 1-2 J/s: 1e-14 s; 1e-9 s is
# far above it and far below any error of the location (a tenth of a step would be 1e-2 s)
EXACT = 1e-9


@pytest.mark.parametrize("condition, expected", [
    # i1.x > 2 J holds from t = 2; i2.x > 7.07 J turns true at 3.535 s, inside the step [3.5, 3.6]
    ("i1.x > 2 J and i2.x > 7.07 J", 3.535),
    ("i2.x > 7.07 J and i1.x > 2 J", 3.535),  # the order of the clauses does not matter
    # both clauses turn true in the step [3.5, 3.6] (at 3.52 and 3.535): the later one counts
    ("i1.x > 3.52 J and i2.x > 7.07 J", 3.535),
    ("i1.x > 3.55 J and i2.x > 7.02 J", 3.55),
    # a sum as one of the clauses: i2.x - i1.x = t
    ("i2.x - i1.x > 3.535 J and i1.x >= 1 J", 3.535),
])
def test_conjunction_fires_where_the_last_clause_turns_true_fixed_step(condition, expected):
    s = ramps()
    s.when(condition, name="both")
    s.when("i2.x > 7.07 J", name="second alone")
    ds = s.run(5.0, output_interval=0.1)
    ev = by_name(ds)["both"]
    assert ev["time"] == pytest.approx(expected, abs=EXACT)
    assert ev["located_within"] == pytest.approx(0.1, abs=EXACT)  # the monitor's step
    assert ev["condition"] == condition
    # the clauses' left sides at the tick that saw the conjunction true, 3.6 s (x = t, 2t)
    assert ev["value"] == ev["values"][0]
    assert len(ev["values"]) == 2
    # a simple condition still logs one number and no list
    alone = by_name(ds)["second alone"]
    assert alone["value"] == pytest.approx(7.2, abs=EXACT) and "values" not in alone


def test_conjunction_is_located_within_event_tolerance_by_rollback():
    # adaptive run: the hold is still exact (constant inputs), so the bisection's bracket
    # [hi - located_within, hi] must contain the exact t* = 3.535 s (up to the 1e-14 s round-off)
    s = ramps()
    s.when("i1.x > 2 J and i2.x > 7.07 J", name="both")
    ds = s.run(5.0, output_interval=0.5, tolerance=1e-4, event_tolerance=1e-4)
    ev = by_name(ds)["both"]
    assert ev["located_within"] <= 1e-4
    assert ev["time"] - ev["located_within"] - EXACT <= 3.535 <= ev["time"] + EXACT
    assert ev["values"] == pytest.approx([ev["time"], 2.0 * ev["time"]], abs=EXACT)


def test_conjunction_on_an_exponential_is_located_within_event_tolerance():
    # a.p < 1.6e5 Pa holds from ln(5)/2 = 0.80 s; b.p > 1.45e5 Pa turns true at ln(10)/2 = 1.15 s.
    # The conjunction turns true exactly when its second clause does, so in the same run it is
    # located at the same bisection bracket as that clause alone: equal times.  Against the exact
    # solution: the bracket (event_tolerance 1e-4 s) plus the adaptive hold's own error, a
    # relative error e of the difference d ~ tolerance (1e-5) times the ~2 time constants
    # covered, which shifts the crossing of d by e / |d'/d| = e / 2: 2e-4 s bounds both.
    s = tanks(0.01)
    s.when("a.p < 1.6e5 Pa and b.p > 1.45 bar", name="both")
    s.when("b.p > 1.45e5 Pa", name="second alone")
    ds = s.run(3.0, output_interval=0.5, tolerance=1e-5, event_tolerance=1e-4)
    ev = by_name(ds)
    assert ev["both"]["located_within"] <= 1e-4
    assert ev["both"]["time"] == ev["second alone"]["time"]
    assert ev["both"]["time"] == pytest.approx(math.log(10.0) / 2.0, abs=2e-4)
    assert ev["both"]["values"] == pytest.approx([1.55e5, 1.45e5], rel=1e-3)
    # the fixed-step loop interpolates it in the step that saw it.  The explicit hold's exact
    # solution is d_n = 1e5 (1 - 2h)^n (the tanks read the flow of t, the valve the pressures
    # of t + h), and p_a + p_b stays 3e5, so b.p > 1.45e5 Pa when d < 1e4 Pa, at
    # n* = ln(0.1) / ln(1 - 2h); the chord between two ticks misses an exponential of rate 2
    # by at most h^2/4 = 2.5e-5 s in time
    h = 0.01
    s = tanks(h)
    s.when("a.p < 1.6e5 Pa and b.p > 1.45 bar", name="both")
    ev = by_name(s.run(3.0, output_interval=0.5))["both"]
    assert ev["located_within"] == pytest.approx(h, abs=EXACT)
    assert ev["time"] == pytest.approx(h * math.log(0.1) / math.log(1.0 - 2.0 * h), abs=h * h / 4)


@pytest.mark.parametrize("options", [{}, {"tolerance": 1e-4}], ids=["fixed", "adaptive"])
def test_clauses_never_true_together_never_fire(options):
    # a.x ~ cos t > 0.9 only for |t mod 2 pi| < acos(0.9) = 0.45; b.x ~ -sin t < -0.9 only in
    # (1.12, 2.02) s: never together (both would need a.x^2 + b.x^2 > 1.62; the split oscillator
    # keeps it within 1 +- h of 1).  Alone, each fires: b at asin(0.9) = 1.120 s, a again at
    # 2 pi - acos(0.9) = 5.832 s; the held-input coupling is first order (test_engine.py), its
    # phase error at h = 0.01 s is below 0.01 s over one period, so 3 h bounds it
    h = 0.01
    s = oscillator(h)
    s.when("a.x > 0.9 and b.x < -0.9", name="never")
    s.when("a.x > 0.9", name="a alone")
    s.when("b.x < -0.9", name="b alone")
    ds = s.run(7.0, output_interval=0.1, **options)
    ev = by_name(ds)
    assert "never" not in ev
    assert ev["b alone"]["time"] == pytest.approx(math.asin(0.9), abs=3 * h)
    assert ev["a alone"]["time"] == pytest.approx(2 * math.pi - math.acos(0.9), abs=3 * h)


SCENARIO = """
[run]
stop_time = "6 s"
output_interval = 0.1

[[actor]]
name = "one"
model = "engine_actors:Constant"
step = 1.0
[actor.parameters]
value = "1 W"

[[actor]]
name = "two"
model = "engine_actors:Constant"
step = 1.0
[actor.parameters]
value = "2 W"

[[actor]]
name = "i1"
model = "engine_actors:Integrator"
step = 0.1

[[actor]]
name = "i2"
model = "engine_actors:Integrator"
step = 0.1

[[connect]]
from = "one.y"
to = "i1.u"

[[connect]]
from = "two.y"
to = "i2.u"

[[event]]
name = "apart"
when = "i1.x < 2 J and i2.x > 7 kJ"

[[event]]
name = "both"
when = "i1.x > 2 J and i2.x > 7.07 J"
stop = true
"""


def write(tmp_path, text):
    p = tmp_path / "and.toml"
    p.write_text(text)
    return p


def test_conjunction_from_a_scenario_file(tmp_path):
    # i1.x = t, i2.x = 2t (exact, see ramps): 'both' at 3.535 s stops the run; 'apart' would
    # need t < 2 s and t > 3500 s: never
    system, settings = scenario.load(write(tmp_path, SCENARIO))
    ds = system.run(settings.stop_time, output_interval=settings.output_interval)
    ev = by_name(ds)
    assert set(ev) == {"both"}
    assert ev["both"]["time"] == pytest.approx(3.535, abs=EXACT)
    assert ev["both"]["located_within"] == pytest.approx(0.1, abs=EXACT)
    assert ds.attrs["status"] == "stopped by event 'both'"
    assert float(ds["time"][-1]) == pytest.approx(3.6, abs=EXACT)


@pytest.mark.parametrize("condition, match", [
    ("i1.x > 2 J and i2.x * 2 > 7 J", r"clause 'i2.x \* 2 > 7 J' of condition .* must read"),
    ("i1.x > 2 J and i2.x > 7 kg", r"clause 'i2.x > 7 kg' of condition .*: .*unit mismatch"),
    ("i1.x > 2 J and i3.x > 7 J", r"unknown actor 'i3' in clause 'i3.x > 7 J'"),
    ("i1.x > 2 J and i2.u > 7 W", r"'i2.u' is not an output or local variable"),
    ("i1.x > 2 J and", r"clause '' of condition .* must read"),
    ("i1.x > 2 J or i2.x > 7 J", r"condition '.*' uses 'or': only 'and' joins clauses"),
])
def test_malformed_clause_is_a_one_line_error_naming_the_event(tmp_path, condition, match):
    with pytest.raises(ConfigurationError, match=r"^event 'bad': " + match) as exc:
        ramps().when(condition, name="bad")
    assert "\n" not in str(exc.value)
    text = SCENARIO.replace('when = "i1.x < 2 J and i2.x > 7 kJ"', f'when = "{condition}"')
    path = write(tmp_path, text)
    with pytest.raises(ConfigurationError, match=r"\[\[event\]\] #1 'apart': " + match) as exc:
        scenario.load(path)
    msg = str(exc.value)
    assert "\n" not in msg and msg.startswith(str(path))
