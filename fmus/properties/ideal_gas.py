"""The ideal (perfect) gases of the hybrid cooler of Nellis & Maddocks, Cryogenics 43 (2003)
31-43 (seed 001): molar masses and cp/cv, the ``fluid`` / ``gas_constant`` (/ ``gamma``)
parameters its actors declare, and the gas constant and gamma an actor's parameters give.

Shared by the hybrid cooler's actors with a gas (``fmus/stirling_stage.py``,
``fmus/buffer_volume.py``, ``fmus/turbine.py``, ``fmus/hybrid_exchangers.py``); the real-gas
properties of the other models are :mod:`cryocosim.fmus.properties.gas`.
"""
from __future__ import annotations

from cryocosim import Parameter, ParameterError

#: universal gas constant, J/(mol K) (CODATA 2018, exact)
R_UNIVERSAL = 8.314462618
#: the ideal gases of the hybrid model: molar mass [kg/mol] and cp/cv (the paper's perfect gas)
IDEAL_GASES = {
    "helium": (4.002602e-3, 5.0 / 3.0),
    "neon": (20.1797e-3, 5.0 / 3.0),
    "argon": (39.948e-3, 5.0 / 3.0),
    "hydrogen": (2.01588e-3, 1.4),
    "nitrogen": (28.0134e-3, 1.4),
}


def fluid_parameters(with_gamma: bool = False) -> tuple:
    """The ``fluid`` / ``gas_constant`` (/ ``gamma``) parameters of the hybrid actors."""
    out = (Parameter("fluid", "1", "helium", "working gas (ideal, perfect)", choices=tuple(IDEAL_GASES)),
           Parameter("gas_constant", "J/(kg.K)", 0.0,
                     "specific gas constant R; 0: R_universal / molar mass of the fluid", min=0.0))
    if with_gamma:
        out += (Parameter("gamma", "1", 0.0, "cp/cv; 0: the fluid's (5/3 monatomic, 7/5 diatomic)",
                          min=0.0),)
    return out


def ideal_gas(actor) -> tuple[float, float]:
    """(R [J/(kg K)], gamma) of ``actor``'s fluid, overridden by its ``gas_constant`` and
    ``gamma`` parameters where those are set (non-zero)."""
    try:
        molar_mass, gamma = IDEAL_GASES[actor.fluid]
    except KeyError:
        raise ParameterError.of(actor.name, "fluid", f" = {actor.fluid!r} is not one of "
                             f"{', '.join(IDEAL_GASES)}") from None
    R = actor.gas_constant or R_UNIVERSAL / molar_mass
    g = getattr(actor, "gamma", 0.0) or gamma
    if not g > 1.0:
        raise ParameterError.of(actor.name, "gamma", f" = {g:g} must exceed 1")
    return R, g
