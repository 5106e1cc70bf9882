"""Counterflow recuperator with metal thermal mass (seed 000, Fig. 6 item 190: 300 -> 185 K)."""
from __future__ import annotations

import math

import numpy as np
from scipy.linalg.lapack import dgesv as _gesv

from cryocosim import Actor, Input, Local, ModelError, Output, Parameter, ParameterError

from .gas import gas_for, FluidStateError
from .materials import Material


class Recuperator(Actor):
    """Counterflow heat exchanger: two gas streams and a metal wall of n_cells cells.

    The hot stream flows from cell 0 (warm end) to cell n-1, the cold stream from n-1 to 0.
    The gas holds no energy (quasi-steady); in cell i each stream sees the wall at T_i as an
    isothermal surface (NTU method with C_r = 0 per cell, Incropera & DeWitt eq. 11.35)::

        T_gas,out = T_i + (T_gas,in - T_i) a,      a = exp(-UA_side / n / (mdot cp))
        Q_hot,i  = mdot_h cp_h (T_h,in,i - T_h,out,i)
        Q_cold,i = mdot_c cp_c (T_c,out,i - T_c,in,i)
        dE_i/dt  = Q_hot,i - Q_cold,i,        E_i = (M/n) h_metal(T_i)

    cp of each stream is taken once per step at its inlet, so for inputs held over the step
    the gas temperatures are linear in the wall temperatures and dE/dt = K T + c is a linear
    system.  It is advanced by one implicit-Euler step with the wall heat capacities
    C_i = (M/n) cp_metal(T_i) at the start of the step: (C/h - K) T1 = C T0 / h + c.  That is
    L-stable (any step, seconds or more) and its steady state is the exact steady state of the
    cell model.  Outlet temperatures follow from the end-of-step wall temperatures T1, the
    outlet enthalpies from the equation of state, h_out = h(p, T_out).

    Energy bookkeeping: the wall receives exactly the enthalpy the streams lose,
    mdot_h (h_h,in - h_h,out) - mdot_c (h_c,out - h_c,in): the small difference between that
    and the cp-based cell heats (real-gas cp varies between inlet and outlet) is distributed
    over the cells in proportion to |Q_i|.  Then E += h * (Q_hot - Q_cold) per cell and
    T_i = T_metal(E_i n / M) by the material's exact inverse.  The actor's energy identity
    sum(dE) = h (heat_transfer - mdot_c (h_c,out - h_c,in)) therefore holds to round-off.

    For balanced flow and n cells the steady effectiveness is
    eps_n = n / (n - 1 + 1/(1 - a_h) + 1/(1 - a_c)), which tends to the counterflow value
    NTU/(1 + NTU) with 1/NTU = mdot cp (1/UA_hot + 1/UA_cold) as n grows.
    A stream with mdot <= 0 passes unchanged and exchanges nothing.
    """

    summary = "Counterflow recuperator, n wall cells with metal heat capacity"
    variables = (
        Parameter("fluid", "1", "nitrogen", "working gas (both streams)"),
        Parameter("UA_hot", "W/K", 1500.0, "conductance hot gas to wall (whole exchanger)", min=0.0),
        Parameter("UA_cold", "W/K", 1500.0, "conductance wall to cold gas (whole exchanger)", min=0.0),
        Parameter("metal_mass", "kg", 8.0, "mass of the wall metal", min=1e-9),
        Parameter("material", "1", "stainless_304", "wall material",
                  choices=("copper", "stainless_304", "aluminium_6061")),
        Parameter("n_cells", "1", 20.0, "number of cells along the flow", min=2.0),
        Parameter("T_start", "K", 300.0, "initial (uniform) metal temperature", min=1e-3),
        Input("mdot_hot", "kg/s", 0.0, "hot (high-pressure) stream mass flow"),
        Input("p_hot", "Pa", 101325.0, "hot stream pressure"),
        Input("T_hot_in", "K", 300.0, "hot stream inlet temperature (warm end)"),
        Input("h_hot_in", "J/kg", 3.11e5, "hot stream inlet specific enthalpy"),
        Input("mdot_cold", "kg/s", 0.0, "cold (low-pressure) stream mass flow"),
        Input("p_cold", "Pa", 50662.5, "cold stream pressure"),
        Input("T_cold_in", "K", 300.0, "cold stream inlet temperature (cold end)"),
        Input("h_cold_in", "J/kg", 3.11e5, "cold stream inlet specific enthalpy"),
        Output("T_hot_out", "K", 300.0, "hot stream outlet temperature (cold end)"),
        Output("h_hot_out", "J/kg", 3.11e5, "hot stream outlet specific enthalpy"),
        Output("T_cold_out", "K", 300.0, "cold stream outlet temperature (warm end)"),
        Output("h_cold_out", "J/kg", 3.11e5, "cold stream outlet specific enthalpy"),
        Output("heat_transfer", "W", 0.0, "heat given up by the hot stream mdot_h (h_in - h_out)"),
        Output("effectiveness", "1", 0.0, "(T_hot_in - T_hot_out) / (T_hot_in - T_cold_in)"),
        Output("T_metal_warm", "K", 300.0, "wall temperature of cell 0 (warm end)"),
        Output("T_metal_cold", "K", 300.0, "wall temperature of the last cell (cold end)"),
        Local("metal_energy", "J", 0.0, "total wall energy sum(E_i)"),
    )
    state_attributes = ("wall_energy", "wall_temperature")
    default_step = 0.05

    def setup(self) -> None:
        n = int(round(self.n_cells))
        if n != self.n_cells:
            raise ParameterError(f"actor '{self.name}': parameter 'n_cells' = {self.n_cells:g} is not a whole number")
        self._n = n
        self._gas = gas_for(self, self.fluid)
        self._material = Material(self.material)
        self._m_cell = self.metal_mass / n
        # hot path: row k (0..n) is the gas temperature entering cell k (row n: the outlet) as
        # sum_j<k (1-a) a^(k-1-j) T_j + a^k T_in; the cold path is the same read backwards
        k = np.arange(n + 1)[:, None]
        j = np.arange(n)[None, :]
        self._expo = np.clip(k - 1 - j, 0, None)
        self._below = ((k - 1 - j) >= 0).astype(float)
        self._kk = np.arange(n + 1, dtype=float)
        self._diag = np.diag_indices(n)
        self.wall_temperature = np.full(n, float(self.T_start))
        self.wall_energy = np.full(n, self._m_cell * self._material.h(self.T_start))
        self.metal_energy = float(self.wall_energy.sum())
        self._advance(0.0)

    # -- one stream -----------------------------------------------------------------------
    def _stream(self, mdot: float, p: float, T_in: float, UA: float):
        """(g, L, b): cell conductance mdot cp (1 - a) and the gas path T_gas = L T + b T_in."""
        if not mdot > 0.0 or UA <= 0.0:
            return 0.0, None, None
        cp = self._gas.props_rho_T(self._gas.rho_from_p_T(p, T_in), T_in)[3]
        C = mdot * cp
        a = math.exp(-UA / self._n / C)
        b = a ** self._kk
        L = ((1.0 - a) * b)[self._expo] * self._below
        return C * (1.0 - a), L, b

    def do_step(self, t: float, h: float) -> None:
        self._advance(h)

    def _advance(self, h: float) -> None:
        n, T0 = self._n, self.wall_temperature
        Th_in, Tc_in = self.T_hot_in, self.T_cold_in
        mh, mc = self.mdot_hot, self.mdot_cold
        try:
            gh, Lh, bh = self._stream(mh, self.p_hot, Th_in, self.UA_hot)
            gc, Lc, bc = self._stream(mc, self.p_cold, Tc_in, self.UA_cold)
        except FluidStateError as exc:
            raise ModelError(f"actor '{self.name}': {exc}") from None
        exchange = gh > 0.0 or gc > 0.0
        T1 = T0
        if h > 0.0 and exchange:
            # implicit Euler on dE/dt = K T + c:  (C/h - K) T1 = C T0 / h + c
            C = (self._m_cell / h) * self._material.cp(T0)
            rhs = C * T0
            A = None
            if gh > 0.0:
                A = Lh[:n] * -gh
                rhs += (gh * Th_in) * bh[:n]
            if gc > 0.0:
                # the cold inlet temperature of cell i is row n-1-i of the path read backwards
                Ac = Lc[n - 1::-1, ::-1] * -gc
                A = Ac if A is None else A + Ac
                rhs += (gc * Tc_in) * bc[n - 1::-1]
            A[self._diag] += C + (gh + gc)
            lu, piv, T1, info = _gesv(A, rhs)
            if info != 0:
                raise ModelError(f"actor '{self.name}': singular wall system")
        # gas temperatures along both paths at the end-of-step wall temperatures
        if gh > 0.0:
            Th = Lh @ T1 + Th_in * bh  # n + 1 values, the last one the outlet
            q_hot = gh * (Th[:n] - T1)
            T_hot_out = float(Th[n])
        else:
            q_hot, T_hot_out = None, Th_in
        if gc > 0.0:
            Tc = Lc @ T1[::-1] + Tc_in * bc  # cells n-1 .. 0, then the outlet
            q_cold = gc * (T1 - Tc[n - 1::-1])
            T_cold_out = float(Tc[n])
        else:
            q_cold, T_cold_out = None, Tc_in
        try:
            h_hot_out = self._gas.h_pT(self.p_hot, T_hot_out) if gh > 0.0 else self.h_hot_in
            h_cold_out = self._gas.h_pT(self.p_cold, T_cold_out) if gc > 0.0 else self.h_cold_in
        except FluidStateError as exc:
            raise ModelError(f"actor '{self.name}': {exc}") from None
        heat_hot = mh * (self.h_hot_in - h_hot_out) if gh > 0.0 else 0.0
        heat_cold = mc * (h_cold_out - self.h_cold_in) if gc > 0.0 else 0.0
        if h > 0.0 and exchange:
            if gh > 0.0:
                q = _match_total(q_hot, heat_hot)
                if gc > 0.0:
                    q -= _match_total(q_cold, heat_cold)
            else:
                q = -_match_total(q_cold, heat_cold)
            E = self.wall_energy + h * q
            try:
                T = np.asarray(self._material.T_from_h(E / self._m_cell), dtype=float)
            except (ValueError, ArithmeticError, ModelError) as exc:
                raise ModelError(f"actor '{self.name}': wall energy out of range ({exc})") from None
            self.wall_energy, self.wall_temperature = E, T
            self.metal_energy = float(E.sum())
        self.T_hot_out, self.h_hot_out = T_hot_out, h_hot_out
        self.T_cold_out, self.h_cold_out = T_cold_out, h_cold_out
        self.heat_transfer = heat_hot
        span = Th_in - Tc_in
        self.effectiveness = (Th_in - T_hot_out) / span if abs(span) > 1e-9 else 0.0
        self.T_metal_warm = float(self.wall_temperature[0])
        self.T_metal_cold = float(self.wall_temperature[-1])


def _match_total(q: np.ndarray, total: float) -> np.ndarray:
    """Shift the cell heats q so they sum to ``total``, in proportion to |q| (uniform if q = 0)."""
    w = np.abs(q)
    s = float(w.sum())
    if s > 0.0:
        return q + ((total - float(q.sum())) / s) * w
    return q + (total - float(q.sum())) / q.size
