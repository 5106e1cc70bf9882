"""Two-stage Gifford-McMahon cryostat (the CTI machine of NRAO EDTN 203, seed 002, section 4.1):
refrigeration of each stage as a function of both stage temperatures, and the actor.

The model (explicit, per second; f the cycle frequency, V1, V2 the volumes the displacer sweeps
at the first and second stage's cold end per cycle, p the supply and p0 the return pressure)::

    ideal (the note, section 4.1):      Q_i,ideal = (p - p0) f V_i

    gas drawn into each cold volume per cycle (ideal gas at p and the stage temperature):
        m_i = p V_i / (R T_i)
    regenerator loss: the gas crossing a regenerator of effectiveness eps carries (1 - eps) of the
    enthalpy swing c_p (T_warm - T_cold) into the cold end.  Regenerator 1 (T_a -> T1) passes the
    gas of both stages, regenerator 2 (T1 -> T2) the second stage's:
        L_1 = f (1 - eps(T1)) c_p (m_1 + m_2) (T_a - T1)
        L_2 = f (1 - eps(T2)) c_p m_2 (T1 - T2)
    eps falls at low temperature, where the matrix heat capacity (lead, ~T^3) becomes small against
    the gas's (rho c_p ~ 1/T):
        1 - eps(T) = min(1, (1 - eps_warm) (1 + (T_r / T)^n))

    Q1(T1, T2) = (p - p0) f V1 - L_1,      Q2(T1, T2) = (p - p0) f V2 - L_2

So Q2 falls with T2 (more gas per cycle through a poorer regenerator) and with T1 (a larger swing
across regenerator 2); Q1 falls as T2 drops (the first stage precools the second stage's gas).
Negative values are net heat leaking into the stage (below the no-load temperature).  Ideal
helium, c_p = 5/2 R, and no void-volume ("pressure-volume") or conduction/shuttle losses, which
the note lists but gives no numbers for.

Parameters and where they come from:

* ``p_supply`` 20 atm -- assumed equal to the J-T supply of the same note (the compressors of the
  3 W machine); ``dp`` 200 psi -- the note's worked example of Q = (p - p0) V ("if the pressure
  differential is 200 pounds/in2 a displaced volume of 0.72 cm3/sec would be required for a 1 Watt
  heat load").  ``frequency`` 1.2 Hz (72 cycles/min, typical of GM machines; an assumption -- only
  f V matters).
* ``eps_warm`` 0.98 -- the note: "Regenerator efficiencies of 98% or higher are fairly easily
  achieved, except at very low temperatures".  ``T_regenerator`` 15 K -- the note: this "limits
  the useful temperature range of these refrigerators to about 15 K and above"; read here as the
  temperature at which the regenerator's ineffectiveness has doubled.  ``regenerator_exponent`` 3
  (lead's heat capacity rises about as T^2 between 10 and 30 K, the gas's per unit volume falls as
  1/T: the capacity ratio goes as T^-3).
* ``V1``, ``V2`` -- calibrated (:func:`calibrate`) so that at T1 = 77 K, T2 = 15 K the stages
  carry what the note puts on them: Q2 = 9.9 W ("H3 - H4 will be 9.9 W which is roughly the
  capacity of the CTI 1020 refrigerator on which the 3 W machine is based") and Q1 = 15.4 W (the J-T
  loop's first-approximation 77 K load, eq. 35 with E1 = 0.96) + 1.405 W (the dewar's 77 K load,
  Table 8) = 16.805 W.  The model is linear in V1, V2, so the calibration is a 2 x 2 solve.

Everything else (the load map away from 77 K / 15 K, the no-load temperature of the second stage,
the gas needed per watt at 15 K against 77 K) is a prediction; ``docs/jt_validation.md`` compares
it with the note.
"""
from __future__ import annotations

import math

from cryocosim import Actor, Input, Local, ModelError, Output, Parameter, ParameterError

ATM = 101325.0
PSI = 6894.757293168361
#: specific gas constant of helium [J/(kg K)] (R_universal / 4.002602 g/mol)
R_HELIUM = 8.314462618 / 4.002602e-3
CP_HELIUM = 2.5 * R_HELIUM

#: the calibration points (T1, T2, Q1, Q2) [K, K, W, W] taken from the note (see the docstring)
CALIBRATION = (77.0, 15.0, 15.4 + 1.405, 9.9)


def one_minus_eps(T: float, eps_warm: float, T_r: float, n: float) -> float:
    """Regenerator ineffectiveness 1 - eps(T) = min(1, (1 - eps_warm)(1 + (T_r/T)^n))."""
    x = (1.0 - eps_warm) * (1.0 + (T_r / T) ** n)
    return 1.0 if x > 1.0 else x


def stage_loads(T1: float, T2: float, *, V1: float, V2: float, frequency: float = 1.2,
                p_supply: float = 20.0 * ATM, dp: float = 200.0 * PSI, eps_warm: float = 0.98,
                T_regenerator: float = 15.0, regenerator_exponent: float = 3.0,
                T_ambient: float = 300.0) -> dict[str, float]:
    """Ideal refrigeration, regenerator losses and net capacities [W] of the two stages at
    T1, T2 [K] (see the module docstring).  Keys: ideal_1, ideal_2, loss_1, loss_2, Q1, Q2, and
    mdot_1, mdot_2 (gas drawn into each cold volume, kg/s)."""
    f = frequency
    k = p_supply / R_HELIUM
    m1 = k * V1 / T1
    m2 = k * V2 / T2
    ideal_1, ideal_2 = dp * f * V1, dp * f * V2
    loss_1 = f * one_minus_eps(T1, eps_warm, T_regenerator, regenerator_exponent) * CP_HELIUM \
        * (m1 + m2) * (T_ambient - T1)
    loss_2 = f * one_minus_eps(T2, eps_warm, T_regenerator, regenerator_exponent) * CP_HELIUM \
        * m2 * (T1 - T2)
    return {"ideal_1": ideal_1, "ideal_2": ideal_2, "loss_1": loss_1, "loss_2": loss_2,
            "Q1": ideal_1 - loss_1, "Q2": ideal_2 - loss_2, "mdot_1": f * m1, "mdot_2": f * m2}


def calibrate(T1: float = CALIBRATION[0], T2: float = CALIBRATION[1], Q1: float = CALIBRATION[2],
              Q2: float = CALIBRATION[3], **kwargs) -> tuple[float, float]:
    """The swept volumes (V1, V2) [m3 per cycle] that give capacities Q1, Q2 [W] at T1, T2 [K]
    (the other parameters as :func:`stage_loads`'s keywords).  Q1 and Q2 are linear in V1, V2:
    Q = A (V1, V2), A from unit volumes."""
    a = stage_loads(T1, T2, V1=1.0, V2=0.0, **kwargs)
    b = stage_loads(T1, T2, V1=0.0, V2=1.0, **kwargs)
    a11, a21 = a["Q1"], a["Q2"]
    a12, a22 = b["Q1"], b["Q2"]
    det = a11 * a22 - a12 * a21
    V1 = (Q1 * a22 - a12 * Q2) / det
    V2 = (a11 * Q2 - a21 * Q1) / det
    return V1, V2


#: calibrated swept volumes at the default parameters [m3 per cycle] (``calibrate()``; the test
#: suite checks they agree)
V1_CALIBRATED = 3.4275e-05
V2_CALIBRATED = 1.5240e-05


class GMCryostat(Actor):
    """Two-stage Gifford-McMahon cryostat: net refrigeration of each stage from both stage
    temperatures (``fmus/gm_cryostat.py`` module docstring; NRAO EDTN 203 section 4.1).

    Memoryless (direct feed-through): each step publishes Q1(T1, T2) and Q2(T1, T2) at the present
    inputs; the stations' thermal masses belong to the actors that hold them (a ``thermal_load``
    whose ``heat_removed`` is ``capacity_1``).  About 2 us per step.
    """

    summary = "Two-stage Gifford-McMahon cryostat: stage capacities Q1(T1,T2), Q2(T1,T2) (NRAO EDTN 203)"
    headline = ('capacity_1', 'capacity_2')
    variables = (
        Parameter("V1", "m3", V1_CALIBRATED, "first-stage swept volume per cycle (calibrated on the note)",
                  min=0.0),
        Parameter("V2", "m3", V2_CALIBRATED, "second-stage swept volume per cycle (calibrated on the note)",
                  min=0.0),
        Parameter("frequency", "Hz", 1.2, "cycle frequency (only frequency x volume matters)", min=0.0,
                  tunable=True),
        Parameter("p_supply", "Pa", 20.0 * ATM, "supply pressure p", min=1.0),
        Parameter("dp", "Pa", 200.0 * PSI, "supply minus return pressure p - p0", min=0.0, tunable=True),
        Parameter("eps_warm", "1", 0.98, "regenerator effectiveness at high temperature", min=0.0, max=1.0),
        Parameter("T_regenerator", "K", 15.0, "temperature at which the ineffectiveness has doubled",
                  min=0.0),
        Parameter("regenerator_exponent", "1", 3.0, "exponent n of the low-temperature degradation",
                  min=0.0),
        Parameter("T_ambient", "K", 300.0, "warm end of the first regenerator", min=1.0, tunable=True),
        Input("T1", "K", 77.0, "first-stage (77 K station) temperature"),
        Input("T2", "K", 15.0, "second-stage (15 K station) temperature"),
        Output("capacity_1", "W", 0.0, "net refrigeration of the first stage at T1, T2"),
        Output("capacity_2", "W", 0.0, "net refrigeration of the second stage at T1, T2"),
        Local("ideal_1", "W", 0.0, "(p - p0) f V1"),
        Local("ideal_2", "W", 0.0, "(p - p0) f V2"),
        Local("regenerator_loss_1", "W", 0.0, "regenerator loss of the first stage"),
        Local("regenerator_loss_2", "W", 0.0, "regenerator loss of the second stage"),
        Local("mdot_gas", "kg/s", 0.0, "gas drawn into the two cold volumes (compressor throughput)"),
    )
    default_step = 1.0

    def setup(self) -> None:
        where = f"actor '{self.name}'"
        for name in ("V1", "V2", "frequency", "p_supply", "dp", "eps_warm", "T_regenerator",
                     "regenerator_exponent", "T_ambient"):
            v = getattr(self, name)
            if not math.isfinite(v):
                raise ParameterError.of(self.name, name, f" = {v!r} must be finite")
        self.initialize_outputs(0.0)

    def initialize_outputs(self, t: float) -> None:
        self._evaluate()

    def do_step(self, t: float, h: float) -> None:
        self._evaluate()

    def _evaluate(self) -> None:
        T1, T2 = self.T1, self.T2
        if not (T1 > 0.0 and T2 > 0.0):
            raise ModelError(f"actor '{self.name}': stage temperatures must be positive "
                             f"(T1 {T1:g} K, T2 {T2:g} K)")
        r = stage_loads(T1, T2, V1=self.V1, V2=self.V2, frequency=self.frequency,
                        p_supply=self.p_supply, dp=self.dp, eps_warm=self.eps_warm,
                        T_regenerator=self.T_regenerator,
                        regenerator_exponent=self.regenerator_exponent, T_ambient=self.T_ambient)
        self.capacity_1, self.capacity_2 = r["Q1"], r["Q2"]
        self.ideal_1, self.ideal_2 = r["ideal_1"], r["ideal_2"]
        self.regenerator_loss_1, self.regenerator_loss_2 = r["loss_1"], r["loss_2"]
        self.mdot_gas = r["mdot_1"] + r["mdot_2"]
