"""The refrigerated device: a copper mass in a vacuum dewar (seed 002, NRAO EDTN 203)."""
from __future__ import annotations

import math

from cryocosim import Actor, Input, Local, ModelError, Output, Parameter, ParameterError

from .properties.materials import T_MAX, T_MIN, Material

#: scipy.constants.Stefan_Boltzmann (2 pi**5 k**4 / (15 h**3 c**2) from the exact SI constants,
#: W/(m2 K4)) and scipy.constants.torr [Pa], written out: importing scipy.constants costs 0.3 s
Stefan_Boltzmann = 5.6703744191844314e-08
torr = 101325.0 / 760.0

#: Rarefied-gas conduction coefficient K of NRAO EDTN 203 eq. 17, in W/(cm2 torr K), by gas
K_NRAO = {"helium": 2.8e-2, "hydrogen": 5.9e-2, "nitrogen": 1.6e-2, "air": 1.6e-2}
#: the same in SI, W/(m2 Pa K): 1e4 cm2/m2 and 1 torr = 101325/760 Pa
K_SI = {gas: k * 1e4 / torr for gas, k in K_NRAO.items()}


def effective_emissivity(e1: float, e2: float) -> float:
    """E_eff = E1 E2 / (E1 + E2 - E1 E2), two parallel grey surfaces (NRAO EDTN 203 eq. 2)."""
    den = e1 + e2 - e1 * e2
    return e1 * e2 / den if den > 0.0 else 0.0


class ThermalLoad(Actor):
    """A lumped thermal mass (copper by default) with its heat load and dewar parasitics.

    Energy balance, with the energy E = m h_metal(T) as state (``Material``)::

        dE/dt = heat_applied + heat_radiation + heat_gas - heat_removed

    Parasitic heat from the dewar wall at T_ambient (J. R. Fisher, NRAO Electronics Division
    Technical Note 203, 1979, seed 002):

    * radiation between two grey surfaces, eq. 2:
      heat_radiation = sigma A E_eff (T_amb**4 - T**4), E_eff = E1 E2 / (E1 + E2 - E1 E2).
      sigma is ``scipy.constants.Stefan_Boltzmann`` (5.670e-8 W/m2/K4 = 5.67e-12 W/cm2/K4).
      The note prints the constant as 5.46e-13 W/cm2/K4 in eqs. 1-2 (and 5.46e-153 in eq. 3)
      but 5.46e-12 in eq. 4; neither is the CODATA value, which is used here.
    * free-molecular conduction of the residual gas, eq. 17: H = K a P (T2 - T1) W/cm2 with P
      in torr and K = 2.8e-2 (He), 5.9e-2 (H2), 1.6e-2 (N2, air); in SI
      heat_gas = K_SI a P A (T_amb - T) with K_SI = K * 1e4 / 133.322 W/(m2 Pa K)
      (1.20 for nitrogen).  The note's example, 2500 cm2 at 1e-5 torr, a = 0.5, 300 -> 77 K in
      nitrogen, gives 45 mW.

    Integration: one linearly implicit (Rosenbrock-Euler) step per ``do_step``: the parasitic
    terms are linearised about the start-of-step temperature and taken at the end of the step,
    dT = h Q(T0) / (C - h dQ/dT) with C = m cp(T0) and dQ/dT < 0, so it is stable for any step.
    The step means reported are those linearised end-of-step values, and the energy is advanced
    as E += h (heat_applied + heat_radiation + heat_gas - heat_removed) exactly; T then follows
    from the material's exact inverse T(E/m).
    """

    summary = "Copper thermal mass with radiation and residual-gas parasitics (NRAO EDTN 203)"
    headline = ('T',)
    variables = (
        Parameter("mass", "kg", 2.0, "mass of the load", min=1e-9),
        Parameter("material", "1", "copper", "material of the load",
                  choices=("copper", "stainless_304", "aluminium_6061")),
        Parameter("T_start", "K", 300.0, "initial temperature", min=1e-3),
        Parameter("heat_applied", "W", 0.0, "heat dissipated in the load", tunable=True),
        Parameter("T_ambient", "K", 300.0, "temperature of the dewar wall", min=0.0, tunable=True),
        Parameter("area", "m2", 0.05, "surface area exposed to the wall", min=0.0),
        Parameter("emissivity_load", "1", 0.05, "emissivity of the load surface", min=0.0, max=1.0),
        Parameter("emissivity_wall", "1", 0.1, "emissivity of the dewar wall", min=0.0, max=1.0),
        Parameter("residual_gas", "1", "nitrogen", "residual gas in the dewar vacuum",
                  choices=tuple(K_NRAO)),
        Parameter("gas_pressure", "Pa", 1.33e-3, "residual gas pressure (1e-5 torr)", min=0.0,
                  tunable=True),
        Parameter("accommodation", "1", 0.5, "accommodation coefficient a", min=0.0, max=1.0),
        Input("heat_removed", "W", 0.0, "heat taken from the load by the refrigerator"),
        Output("T", "K", 300.0, "load temperature"),
        Output("heat_radiation", "W", 0.0, "radiation from the wall, mean over the step"),
        Output("heat_gas", "W", 0.0, "residual-gas conduction from the wall, mean over the step"),
        Output("heat_parasitic", "W", 0.0, "heat_radiation + heat_gas"),
        Local("energy", "J", 0.0, "internal energy of the load, m h_metal(T)"),
    )
    default_step = 1.0

    def setup(self) -> None:
        try:
            self._material = Material(self.material)
        except ValueError as exc:
            raise ParameterError.of(self.name, "material", f" = {self.material!r}: {exc}") from None
        if not (T_MIN <= self.T_start <= T_MAX):
            raise ParameterError.of(self.name, "T_start", f" = {self.T_start:g} K is outside "
                                 f"the {self._material.name} model's range {T_MIN:g}-{T_MAX:g} K")
        self.T = self.T_start
        self.energy = self.mass * self._material.h(self.T)
        try:
            q_rad, _, q_gas, _ = self._parasitics(self.T)
        except OverflowError:  # T_ambient**4 (T is at most 600 K here)
            raise ParameterError.of(self.name, "T_ambient", f" = {self.T_ambient:g} K is too "
                                 "large: the radiation from the wall overflows") from None
        self.heat_radiation, self.heat_gas = q_rad, q_gas
        self.heat_parasitic = q_rad + q_gas

    def _parasitics(self, T: float) -> tuple[float, float, float, float]:
        """Radiation and gas conduction at T and their derivatives with respect to T."""
        Ta = self.T_ambient
        g_rad = Stefan_Boltzmann * self.area * effective_emissivity(self.emissivity_load,
                                                                    self.emissivity_wall)
        g_gas = K_SI[self.residual_gas] * self.accommodation * self.gas_pressure * self.area
        return (g_rad * (Ta**4 - T**4), -4.0 * g_rad * T**3, g_gas * (Ta - T), -g_gas)

    def do_step(self, t: float, h: float) -> None:
        T0 = self.T
        q_rad, d_rad, q_gas, d_gas = self._parasitics(T0)
        C = self.mass * self._material.cp(T0)
        q = self.heat_applied + q_rad + q_gas - self.heat_removed
        dT = h * q / (C - h * (d_rad + d_gas))
        self.heat_radiation = q_rad + d_rad * dT
        self.heat_gas = q_gas + d_gas * dT
        self.heat_parasitic = self.heat_radiation + self.heat_gas
        energy = self.energy + h * (self.heat_applied + self.heat_parasitic - self.heat_removed)
        try:
            T = self._material.T_from_h(energy / self.mass)
        except (ValueError, ArithmeticError, ModelError) as exc:
            raise ModelError(f"actor '{self.name}': energy {energy:g} J has no temperature ({exc})") from None
        if not math.isfinite(T):
            raise ModelError(f"actor '{self.name}': temperature is not finite")
        self.energy, self.T = energy, T
