"""The receiver dewar of a 4 K refrigerator: parasitic heat into its 77 K, 15 K and 4 K stations,
and the stations' thermal masses.

``Dewar`` computes, from the station temperatures it is given, the radiation, residual-gas and
waveguide conduction loads of J. R. Fisher's maser dewar (NRAO EDTN 203, 1979, sec. 2; seed 002)
with the physics of :mod:`cryocosim.fmus.physics.dewar_heat`.  ``ThermalStation`` is a copper (or
stainless, aluminium) mass whose heat capacity falls with temperature
(:mod:`cryocosim.fmus.properties.materials`).  A 4 K refrigerator system connects each station's ``T`` to
the dewar's inputs and the dewar's heat outputs to the stations' ``heat_in``.

Default geometry: the note's Fig. 3 dewar as its text gives it.
* Radiation (sec. 2.1): 77 K shield ends 570 cm2 facing stainless-steel wall cavities of
  apparent emissivity 1.5 x 0.2; its sides as two coaxial-cylinder sections, 3405 cm2 with
  r1/r2 = 7.5/8.4 and 1135 cm2 with 7.0/8.4 (eq. 3); the 4.2 K shield's top (214 cm2, facing
  a cavity of 1.5 x 0.05), bottom (214 cm2, 3 x 0.05) and sides (726 cm2, eq. 2); copper
  emissivity 0.05, stainless 0.2.
* Gas (sec. 2.2): helium at 1e-7 torr (Table 8; the text's worked numbers are at 1e-5 torr),
  a = 0.5, over the 77 K shield's 5110 cm2 and the 4.2 K shield's 2272 cm2.  (The 4.2 K
  shield's radiating areas add up to 1154 cm2; the note's 2272 cm2 is kept as it gives it.)
* Waveguides (sec. 2.3; Fig. 4 is not in the text): cross-sections from the text; the section
  lengths are not, and were rebuilt from the note's own Tables 5-7 by inverting its eq. 23 with
  its Table 4 integrals at its joint temperatures and resistances (geometry only; the loads are
  then computed with NIST conductivities; ``docs/scripts/dewar_validation.py`` shows the
  rebuild), rounded to 1 mm:
  - pump (50 GHz, 4.2 K <- 300 K, not intercepted): A-B coin silver 0.146 cm2, 17.0 cm; B-C
    stainless 3.64e-2 cm2 plated with 1.42e-4 cm2 of tough-pitch copper, 7.6 cm; C-D coin silver
    15.0 cm; D-E plated stainless 3.8 cm;
  - output (22 GHz, intercepted at 77 K): A-B solid OFHC guide 0.346 cm2, 5.1 cm; B-C
    stainless 7.87e-2 cm2 + copper 4.0e-4 cm2, 15.2 cm; C-D OFHC 7.6 cm (to 77 K); D-E OFHC
    3.6 cm; E-F plated stainless 8.9 cm (to 300 K);
  - input (22 GHz, intercepted at 77 K): plated stainless 7.87e-2 + 4.0e-4 cm2, 7.6 cm from
    4.2 to 77 K and 8.9 cm from 77 to 300 K.
  Materials as the note assumes them: plating = tough-pitch copper (``etp``, RRR 50), solid
  guide = OFHC (RRR 100), coin silver = 30 x stainless (the note's guess).
* The 15 K stage: the maser dewar puts nothing on it (its loads are zero by default).
  ``intercept_15K_fraction`` > 0 heat-sinks the input and output waveguides' 77-4 K stainless
  sections to the 15 K stage at that fraction of their length from the 4 K end (an assumption
  of this model, for a dewar with a 15 K intercept; the note has none).

Inputs outside 1-400 K (the conductivity tables' range) are a ``ModelError``.
"""
from __future__ import annotations

import math

from cryocosim import Actor, Input, Local, ModelError, Output, Parameter, ParameterError

from .physics.dewar_heat import (GASES, SIGMA, TORR, Chain, Line, Section, emissivity_cylinders,
                                 emissivity_plates, free_molecular_coefficient)
from .properties.conductivity import CONDUCTORS, T_MAX, T_MIN
from .properties.materials import T_MAX as M_T_MAX
from .properties.materials import T_MIN as M_T_MIN
from .properties.materials import Material

CM = 1e-2
CM2 = 1e-4
_COPPERS = tuple(c for c in CONDUCTORS if c.startswith("copper_")) + ("etp", "ofhc")


class Dewar(Actor):
    """Parasitic heat flows of a receiver dewar into its 77 K shield, 15 K stage and 4 K station.

    Steady at every step (the dewar's own members store no heat): the outputs follow directly
    from the three station temperatures and the ambient temperature::

        heat_shield  = radiation + gas from the wall - (radiation + gas to the 4 K shield)
                       + waveguide conduction into the 77 K intercepts
        heat_stage   = waveguide conduction into the 15 K intercepts (none by default)
        heat_station = radiation + gas from the 77 K shield + waveguide conduction into 4 K
        heat_ambient = heat_shield + heat_stage + heat_station  (what the 300 K wall gives)

    Radiation: eqs. 1-3, 5 of NRAO EDTN 203 with sigma = 5.670e-8 W/(m2 K4); gas: eq. 17 with the
    kinetic-theory K; conduction: eqs. 21-23 with NIST k(T), joint temperatures by root finding
    (:mod:`cryocosim.fmus.physics.dewar_heat`).  Geometry and assumptions: module docstring.
    """

    _guesses: tuple = (None, None, None)  # the last waveguide solutions (pump, output, input)

    summary = "Receiver-dewar heat loads on the 77 K, 15 K and 4 K stations (NRAO EDTN 203)"
    headline = ('heat_station', 'heat_stage', 'heat_shield')
    variables = (
        Parameter("T_ambient", "K", 300.0, "temperature of the dewar's outer wall", min=T_MIN,
                  max=T_MAX, tunable=True),
        # radiation (sec. 2.1)
        Parameter("emissivity_copper", "1", 0.05, "emissivity of the copper shields", min=0.0,
                  max=1.0),
        Parameter("emissivity_wall", "1", 0.2, "emissivity of the stainless outer wall", min=0.0,
                  max=1.0),
        Parameter("wall_end_cavity", "1", 1.5, "apparent/true emissivity of the wall's end "
                  "cavities seen by the 77 K shield's ends (eq. 5)", min=1.0),
        Parameter("area_shield_ends", "m2", 570 * CM2, "77 K shield: top + bottom area", min=0.0),
        Parameter("area_shield_side_upper", "m2", 3405 * CM2, "77 K shield: upper side area",
                  min=0.0),
        Parameter("radius_ratio_upper", "1", 7.5 / 8.4, "upper side: shield/wall radius (eq. 3)",
                  min=1e-6, max=1.0),
        Parameter("area_shield_side_lower", "m2", 1135 * CM2, "77 K shield: lower side area",
                  min=0.0),
        Parameter("radius_ratio_lower", "1", 7.0 / 8.4, "lower side: shield/wall radius (eq. 3)",
                  min=1e-6, max=1.0),
        Parameter("area_station_top", "m2", 214 * CM2, "4 K shield: top area", min=0.0),
        Parameter("station_top_cavity", "1", 1.5, "apparent/true emissivity of the 77 K shield "
                  "cavity facing the 4 K shield's top", min=1.0),
        Parameter("area_station_bottom", "m2", 214 * CM2, "4 K shield: bottom area", min=0.0),
        Parameter("station_bottom_cavity", "1", 3.0, "apparent/true emissivity of the 77 K "
                  "shield cavity facing the 4 K shield's bottom", min=1.0),
        Parameter("area_station_sides", "m2", 726 * CM2, "4 K shield: side area (eq. 2)",
                  min=0.0),
        # residual gas (sec. 2.2)
        Parameter("residual_gas", "1", "helium", "residual gas in the vacuum",
                  choices=tuple(GASES)),
        Parameter("gas_pressure", "Pa", 1e-7 * TORR, "residual gas pressure (1e-7 torr)",
                  min=0.0, tunable=True),
        Parameter("accommodation", "1", 0.5, "accommodation coefficient a", min=0.0, max=1.0),
        Parameter("T_gauge", "K", 300.0, "temperature at which the pressure is read", min=1.0),
        Parameter("gas_area_shield", "m2", 5110 * CM2, "77 K shield outer area (gas)", min=0.0),
        Parameter("gas_area_station", "m2", 2272 * CM2, "4 K shield area (gas)", min=0.0),
        # waveguides (sec. 2.3)
        Parameter("plating", "1", "etp", "copper plated inside the stainless guides",
                  choices=_COPPERS),
        Parameter("copper_guide", "1", "ofhc", "copper of the solid output guide",
                  choices=_COPPERS),
        Parameter("n_pump", "1", 1, "number of pump waveguides", type=int, min=0),
        Parameter("pump_ss_area", "m2", 3.64e-2 * CM2, "pump guide: stainless area", min=0.0),
        Parameter("pump_cu_area", "m2", 1.42e-4 * CM2, "pump guide: copper plating area", min=0.0),
        Parameter("pump_silver_area", "m2", 1.46e-1 * CM2, "pump guide: coin silver area",
                  min=0.0),
        Parameter("pump_length_ab", "m", 17.0 * CM, "pump A-B (coin silver, at 4 K)", min=1e-6),
        Parameter("pump_length_bc", "m", 7.6 * CM, "pump B-C (plated stainless)", min=1e-6),
        Parameter("pump_length_cd", "m", 15.0 * CM, "pump C-D (coin silver)", min=1e-6),
        Parameter("pump_length_de", "m", 3.8 * CM, "pump D-E (plated stainless, at 300 K)",
                  min=1e-6),
        Parameter("n_output", "1", 1, "number of output waveguides", type=int, min=0),
        Parameter("out_copper_area", "m2", 0.346 * CM2, "output: solid copper guide area",
                  min=0.0),
        Parameter("out_ss_area", "m2", 7.87e-2 * CM2, "output: stainless area", min=0.0),
        Parameter("out_cu_area", "m2", 4.0e-4 * CM2, "output: copper plating area", min=0.0),
        Parameter("out_length_ab", "m", 5.1 * CM, "output A-B (OFHC, at 4 K)", min=1e-6),
        Parameter("out_length_bc", "m", 15.2 * CM, "output B-C (plated stainless)", min=1e-6),
        Parameter("out_length_cd", "m", 7.6 * CM, "output C-D (OFHC, to 77 K)", min=1e-6),
        Parameter("out_length_de", "m", 3.6 * CM, "output D-E (OFHC, from 77 K)", min=1e-6),
        Parameter("out_length_ef", "m", 8.9 * CM, "output E-F (plated stainless, to 300 K)",
                  min=1e-6),
        Parameter("n_input", "1", 1, "number of input waveguides", type=int, min=0),
        Parameter("in_ss_area", "m2", 7.87e-2 * CM2, "input: stainless area", min=0.0),
        Parameter("in_cu_area", "m2", 4.0e-4 * CM2, "input: copper plating area", min=0.0),
        Parameter("in_length_low", "m", 7.6 * CM, "input: 4 K to 77 K length", min=1e-6),
        Parameter("in_length_high", "m", 8.9 * CM, "input: 77 K to 300 K length", min=1e-6),
        Parameter("intercept_15K_fraction", "1", 0.0, "input/output guides heat-sunk to the 15 K "
                  "stage at this fraction of their 4-77 K stainless length from 4 K (0: not)",
                  min=0.0, max=0.999),
        # station temperatures
        Input("T_shield", "K", 77.0, "temperature of the 77 K shield (first stage)"),
        Input("T_stage", "K", 15.0, "temperature of the 15 K stage (second stage)"),
        Input("T_station", "K", 4.2, "temperature of the 4 K station and its shield (J-T stage)"),
        Output("heat_shield", "W", 0.0, "parasitic heat into the 77 K shield", nominal=1.0),
        Output("heat_stage", "W", 0.0, "parasitic heat into the 15 K stage", nominal=0.1),
        Output("heat_station", "W", 0.0, "parasitic heat into the 4 K station", nominal=0.1),
        Output("heat_ambient", "W", 0.0, "heat given by the warm wall (sum of the three)",
               nominal=1.0),
        Local("radiation_shield", "W", 0.0, "radiation from the wall to the 77 K shield"),
        Local("radiation_station", "W", 0.0, "radiation from the 77 K to the 4 K shield"),
        Local("gas_shield", "W", 0.0, "gas conduction from the wall to the 77 K shield"),
        Local("gas_station", "W", 0.0, "gas conduction from the 77 K to the 4 K shield"),
        Local("conduction_shield", "W", 0.0, "net waveguide conduction into the 77 K shield"),
        Local("conduction_stage", "W", 0.0, "waveguide conduction into the 15 K stage"),
        Local("conduction_station", "W", 0.0, "waveguide conduction into the 4 K station"),
        Local("pump_T_b", "K", 0.0, "pump waveguide joint B temperature"),
        Local("pump_T_c", "K", 0.0, "pump waveguide joint C temperature"),
        Local("pump_T_d", "K", 0.0, "pump waveguide joint D temperature"),
    )
    default_step = 1.0

    # -- set-up -------------------------------------------------------------------------------
    def setup(self) -> None:
        try:
            self._build()
        except ValueError as exc:
            raise ParameterError(f"actor '{self.name}': {exc}") from None
        self.initialize_outputs(0.0)

    def get_state(self) -> dict:
        """The snapshot with the last waveguide solutions, where the next step's solves start.
        They are replaced whole each step, never changed in place, so the snapshot holds them
        by reference; restoring them makes a step taken again repeat its solves exactly."""
        snap = super().get_state()
        snap["_guesses"] = self._guesses
        return snap

    def _build(self) -> None:
        p = self
        plating, guide = p.plating, p.copper_guide
        silver = "coin_silver_note"

        def plated(length, ss, cu):
            return Section.of(length, ("stainless_304", ss), (plating, cu))

        # lines run from the warm wall to the 4 K station; sections listed warm to cold
        self._pump = Line(["ambient", "station"], [Chain([
            plated(p.pump_length_de, p.pump_ss_area, p.pump_cu_area),
            Section.of(p.pump_length_cd, (silver, p.pump_silver_area)),
            plated(p.pump_length_bc, p.pump_ss_area, p.pump_cu_area),
            Section.of(p.pump_length_ab, (silver, p.pump_silver_area)),
        ])])
        f = p.intercept_15K_fraction
        upper_out = Chain([plated(p.out_length_ef, p.out_ss_area, p.out_cu_area),
                           Section.of(p.out_length_de, (guide, p.out_copper_area))])
        ab = Section.of(p.out_length_ab, (guide, p.out_copper_area))
        cd = Section.of(p.out_length_cd, (guide, p.out_copper_area))
        upper_in = Chain([plated(p.in_length_high, p.in_ss_area, p.in_cu_area)])
        if f > 0.0:
            bc_warm = plated((1.0 - f) * p.out_length_bc, p.out_ss_area, p.out_cu_area)
            bc_cold = plated(f * p.out_length_bc, p.out_ss_area, p.out_cu_area)
            self._output = Line(["ambient", "shield", "stage", "station"],
                                [upper_out, Chain([cd, bc_warm]), Chain([bc_cold, ab])])
            self._input = Line(["ambient", "shield", "stage", "station"], [
                upper_in,
                Chain([plated((1.0 - f) * p.in_length_low, p.in_ss_area, p.in_cu_area)]),
                Chain([plated(f * p.in_length_low, p.in_ss_area, p.in_cu_area)])])
        else:
            bc = plated(p.out_length_bc, p.out_ss_area, p.out_cu_area)
            self._output = Line(["ambient", "shield", "station"],
                                [upper_out, Chain([cd, bc, ab])])
            self._input = Line(["ambient", "shield", "station"], [
                upper_in, Chain([plated(p.in_length_low, p.in_ss_area, p.in_cu_area)])])
        # radiation conductances sigma * A * E_eff, W/K^4
        ec, ew = p.emissivity_copper, p.emissivity_wall
        self._g_rad_shield = SIGMA * (
            p.area_shield_ends * emissivity_plates(min(1.0, p.wall_end_cavity * ew), ec)
            + p.area_shield_side_upper * emissivity_cylinders(ec, ew, p.radius_ratio_upper, 1.0)
            + p.area_shield_side_lower * emissivity_cylinders(ec, ew, p.radius_ratio_lower, 1.0))
        self._g_rad_station = SIGMA * (
            p.area_station_top * emissivity_plates(ec, min(1.0, p.station_top_cavity * ec))
            + p.area_station_bottom * emissivity_plates(ec, min(1.0, p.station_bottom_cavity * ec))
            + p.area_station_sides * emissivity_plates(ec, ec))
        self._K_gas = free_molecular_coefficient(p.residual_gas, p.T_gauge) * p.accommodation

    # -- the loads ------------------------------------------------------------------------------
    def _compute(self, warm: bool) -> None:
        """The loads for the present inputs.  ``warm``: the waveguide solves start from the last
        solutions (:meth:`Line.solve`'s ``guess``: the same roots to 1e-12, about 3x faster
        for inputs that move little between steps); initialisation solves cold, so its result
        does not depend on how often a master asks for the outputs."""
        Ta, T77, T15, T4 = self.T_ambient, self.T_shield, self.T_stage, self.T_station
        for name, T in (("T_shield", T77), ("T_stage", T15), ("T_station", T4),
                        ("T_ambient", Ta)):
            if not (T_MIN <= T <= T_MAX) or math.isnan(T):
                raise ModelError(f"actor '{self.name}': {name} = {T:g} K is outside the "
                                 f"dewar model's range {T_MIN:g}-{T_MAX:g} K")
        rad77 = self._g_rad_shield * (Ta**4 - T77**4)
        rad4 = self._g_rad_station * (T77**4 - T4**4)
        kp = self._K_gas * self.gas_pressure
        gas77 = kp * self.gas_area_shield * (Ta - T77)
        gas4 = kp * self.gas_area_station * (T77 - T4)
        temps = {"ambient": Ta, "shield": T77, "stage": T15, "station": T4}
        cond = {"ambient": 0.0, "shield": 0.0, "stage": 0.0, "station": 0.0}
        guesses = self._guesses if warm else (None, None, None)
        solved = []
        try:
            for n, line, guess in zip((self.n_pump, self.n_output, self.n_input),
                                      (self._pump, self._output, self._input), guesses):
                sol = line.solve(temps, guess) if n else None
                solved.append(sol)
                if n:
                    for k, v in sol.heat.items():
                        cond[k] += n * v
        except (ValueError, RuntimeError) as exc:
            raise ModelError(f"actor '{self.name}': waveguide conduction: {exc}") from None
        self._guesses = tuple(solved)
        if solved[0] is not None:
            self.pump_T_d, self.pump_T_c, self.pump_T_b = solved[0].chains[0].temperatures[1:4]
        self.radiation_shield, self.radiation_station = rad77, rad4
        self.gas_shield, self.gas_station = gas77, gas4
        self.conduction_shield = cond["shield"]
        self.conduction_stage = cond["stage"]
        self.conduction_station = cond["station"]
        self.heat_shield = rad77 - rad4 + gas77 - gas4 + cond["shield"]
        self.heat_stage = cond["stage"]
        self.heat_station = rad4 + gas4 + cond["station"]
        self.heat_ambient = rad77 + gas77 - cond["ambient"]

    def initialize_outputs(self, t: float) -> None:
        self._compute(warm=False)

    def do_step(self, t: float, h: float) -> None:
        self._compute(warm=True)


class ThermalStation(Actor):
    """A refrigerator station (the 77 K shield, the 15 K stage, the 4 K station) as a lumped mass
    whose heat capacity falls with temperature.

    Energy balance, the energy E = m h_metal(T) as state (:class:`~.properties.materials.Material`, NIST
    specific-heat fits, h = 0 at 4 K)::

        dE/dt = heat_applied + heat_in + heat_rejected - heat_out

    ``heat_in`` is the dewar's parasitic load (``Dewar.heat_*``), ``heat_rejected`` the heat a
    gas stream gives up on the station (the J-T supply cooled on the 77 K and 15 K stations,
    ``JTStage.heat_77`` / ``heat_15``), ``heat_out`` what the refrigerator takes (a GM stage's
    ``capacity_*``), ``heat_applied`` (tunable) a dissipation such as the amplifiers'.  With
    the inputs held over a step the step is exact: E += h (heat_applied + heat_in +
    heat_rejected - heat_out),
    then T from the material's inverse h(T), so energy is conserved to round-off at any step.

    Below 4 K, the lower end of the NIST cp fits, cp is taken proportional to T (the electronic
    term that dominates a metal's cp as T -> 0; our extension, continuous at 4 K), down to 1 K:
    h(T) = cp(4 K) (T^2 - 16 K^2) / (8 K).  (``ThermalLoad`` of ``thermal_load.py`` is a similar
    mass but has its own wall parasitics and no heat input to couple a dewar to.)
    """

    summary = "Refrigerator station: a mass with temperature-dependent heat capacity"
    headline = ('T',)
    variables = (
        Parameter("mass", "kg", 1.0, "mass of the station", min=1e-9),
        Parameter("material", "1", "copper", "material of the station",
                  choices=("copper", "stainless_304", "aluminium_6061")),
        Parameter("T_start", "K", 300.0, "initial temperature", min=1.0),
        Parameter("heat_applied", "W", 0.0, "heat dissipated on the station", tunable=True),
        Input("heat_in", "W", 0.0, "heat into the station (the dewar's load)"),
        Input("heat_rejected", "W", 0.0, "heat rejected on the station by a gas stream (the J-T "
              "supply); 0 if none"),
        Input("heat_out", "W", 0.0, "heat taken by the refrigerator"),
        Output("T", "K", 300.0, "station temperature"),
        Local("energy", "J", 0.0, "internal energy m h(T), zero at 4 K"),
        Local("heat_capacity", "J/K", 0.0, "m cp(T)"),
    )
    default_step = 1.0
    _T_LOW = 1.0

    def setup(self) -> None:
        try:
            self._material = Material(self.material)
        except ValueError as exc:
            raise ParameterError.of(self.name, "material", f" = "
                                 f"{self.material!r}: {exc}") from None
        if not (self._T_LOW <= self.T_start <= M_T_MAX):
            raise ParameterError.of(self.name, "T_start", f" = {self.T_start:g} K "
                                 f"is outside {self._T_LOW:g}-{M_T_MAX:g} K")
        self._cp4 = self._material.cp(M_T_MIN)
        self.T = self.T_start
        self.energy = self.mass * self._h(self.T)
        self.heat_capacity = self.mass * self._cp(self.T)

    def _h(self, T: float) -> float:
        if T >= M_T_MIN:
            return self._material.h(T)
        return self._cp4 * (T * T - M_T_MIN**2) / (2.0 * M_T_MIN)

    def _cp(self, T: float) -> float:
        return self._material.cp(T) if T >= M_T_MIN else self._cp4 * T / M_T_MIN

    def _T_from_h(self, h: float) -> float:
        if h >= 0.0:
            return self._material.T_from_h(h)
        T2 = M_T_MIN**2 + 2.0 * M_T_MIN * h / self._cp4
        return math.sqrt(T2) if T2 > 0.0 else 0.0

    def do_step(self, t: float, h: float) -> None:
        energy = self.energy + h * (self.heat_applied + self.heat_in + self.heat_rejected
                                    - self.heat_out)
        spec = energy / self.mass
        if not math.isfinite(spec):
            raise ModelError(f"actor '{self.name}': energy is not finite")
        try:
            T = self._T_from_h(spec)
        except ValueError as exc:
            raise ModelError(f"actor '{self.name}': energy {energy:g} J has no temperature "
                             f"({exc})") from None
        if T < self._T_LOW:
            raise ModelError(f"actor '{self.name}': cooled below {self._T_LOW:g} K (energy "
                             f"{energy:g} J)")
        self.energy, self.T = energy, T
        self.heat_capacity = self.mass * self._cp(T)
