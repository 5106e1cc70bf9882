"""The master's initialisation: connected values iterated to a fixed point before the first record."""
import pytest

from cryocosim import ConfigurationError, System


def gain_loop(k1, k2, offset=1.0):
    """Two algebraic actors in a loop: a.y = k1*b.y + offset, b.y = k2*a.y.

    Fixed point: a.y = offset / (1 - k1*k2) (exists and is reached by Gauss–Seidel sweeps when
    |k1*k2| < 1)."""
    s = System("gain loop")
    s.add("a", "engine_actors:Gain", step=1.0, k=k1, offset=offset)
    s.add("b", "engine_actors:Gain", step=1.0, k=k2)
    s.connect("b.y", "a.u")
    s.connect("a.y", "b.u")
    return s


def test_algebraic_loop_starts_at_its_fixed_point():
    ds = gain_loop(0.5, 0.8).run(2.0, output_interval=1.0)
    # 1/(1 - 0.4) = 5/3; the sweeps stop when a sweep changes nothing by more than 1e-10
    # (relative), and the contraction factor is 0.4, so the error is below 1e-10 as well
    assert float(ds["a.y"][0]) == pytest.approx(5.0 / 3.0, rel=1e-9)
    assert float(ds["b.y"][0]) == pytest.approx(0.8 * 5.0 / 3.0, rel=1e-9)


def test_divergent_loop_is_a_one_line_error():
    with pytest.raises(ConfigurationError, match=r"initialisation did not converge.*'(a|b)\.y'") as exc:
        gain_loop(2.0, 1.5).run(1.0)
    assert "\n" not in str(exc.value)


def test_chain_is_computed_from_connected_values_and_states_kept():
    # g1 has its input set to 1.5; g2 is fed by g1: both outputs are computed at t = 0 from the
    # connected values, not left at their declared start 0; the integrator's state is untouched
    s = System("chain")
    s.add("g1", "engine_actors:Gain", step=1.0, k=2.0, u=1.5)
    s.add("g2", "engine_actors:Gain", step=1.0, k=-1.0, offset=0.5)
    s.add("src", "engine_actors:Constant", step=1.0, value="3 W")
    s.add("int", "engine_actors:Integrator", step=1.0, x_start=7.0)
    s.connect("g1.y", "g2.u")
    s.connect("src.y", "int.u")
    ds = s.run(1.0, output_interval=1.0)
    assert float(ds["g1.y"][0]) == 3.0 and float(ds["g2.y"][0]) == -2.5
    assert float(ds["int.x"][0]) == 7.0 and float(ds["int.x"][1]) == 10.0
