"""Counterflow recuperator with metal thermal mass (seed 000, Fig. 6 item 190: 300 -> 185 K)."""
from __future__ import annotations

import math

import numpy as np

from cryocosim import Actor, Input, Local, ModelError, Output, Parameter, ParameterError

from .properties.gas import PROPERTY_BACKEND_PARAMETER, FluidStateError, gas_for
from .properties.materials import T_MAX, T_MIN, Material

try:  # numpy's compiled interp, which np.interp calls after its argument checks (same result)
    from numpy._core.multiarray import interp as _interp
except ImportError:  # pragma: no cover - numpy < 2
    try:
        from numpy.core.multiarray import interp as _interp
    except ImportError:
        def _interp(x, xp, fp, left=None, right=None):
            return np.interp(x, xp, fp, left, right)

#: half-bandwidths of the coupled gas/wall system (unknowns ordered per node: hot gas, wall, cold gas)
_KL = _KU = 4
_BAND = 2 * _KL + _KU + 1
#: flat index of A[1, 1] (node 0's wall diagonal) in the transposed band buffer; node j's is
#: 3j * _BAND further on
_WALL_DIAG0 = _BAND + _KL + _KU
#: the implicit step iterates until the energy-exact wall temperatures differ from the solve's
#: by at most this [K] (see Recuperator._advance); then at most that much outside the range of
#: the inlet and start-of-step wall temperatures
_STEP_TOL = 1e-4
_STEP_MAX = 30
#: grid step [K] of the wall cp table interpolated in the step (cp only sets the implicit
#: step's linearisation; the wall energy itself always goes through the material's h table)
_CP_GRID_STEP = 0.25
#: grid step [K] of the material's enthalpy table (fmus/properties/materials.py)
_MATERIAL_DT = 0.02


class Recuperator(Actor):
    """Counterflow heat exchanger: two gas streams and a metal wall, discretised in n_cells
    segments between n_cells + 1 wall nodes.

    **Geometry.**  Node 0 is the warm end, node n the cold end.  The hot stream enters at node 0
    and flows to node n, the cold stream enters at node n and flows to node 0.  Each stream
    exchanges with the wall through UA_side / n per segment; the gas holds no energy
    (quasi-steady).  The wall stores energy at the nodes, E_j = m_j h_metal(T_j)
    (``fmus/properties/materials.py``) with lumped masses M/n (M/(2n) at the two ends), and its temperature
    varies linearly between neighbouring nodes; no axial conduction.

    **Gas, exact on each segment.**  In the stream's own direction s in [0, 1] along a segment,
    dT/ds = -N (T - T_w(s)) with N = UA_side / (n mdot cp) and T_w linear from the upstream node
    T_up to the downstream node T_dn.  With an integrating factor::

        T_out = e T_in + (phi - e) T_up + (1 - phi) T_dn,    e = exp(-N),  phi = (1 - e) / N

    The weights are >= 0 and sum to 1 (the gas never leaves the range of its inlet and the wall);
    a uniform wall gives the isothermal-wall law T_out = T_w + e (T_in - T_w) (Incropera &
    DeWitt, *Fundamentals of Heat and Mass Transfer*, eq. 11.35 with C_r = 0).  The segment
    gives the wall Q = mdot cp (T_in - T_out), shared between its nodes as::

        Q_up = mdot cp [alpha (T_in - T_up) + gamma (T_dn - T_up)],    Q_dn = Q - Q_up
        alpha = min(N/2, 1 - e),   gamma = alpha/N - 1/2          (by default)

    *Exact for balanced flow.*  With C_h = C_c the true steady profiles are linear with constant
    gas-wall differences, the gas law is then exact, and the node balances hold exactly for any
    n iff d_hot + d_cold = 0 in every segment, d = alpha/N - gamma - 1/2.  The defaults have
    d = 0, so at C_r = 1 the steady effectiveness is the counterflow NTU/(1 + NTU) (Incropera &
    DeWitt, Table 11.3; 1/NTU = C_min (1/UA_hot + 1/UA_cold)) at any n.  At C_r = 0.5 the error
    falls roughly as n**-2 to n**-3: largest relative errors over NTU 5-50 of 7.9e-3, 5.1e-4,
    2.9e-4, 3.4e-5, 5.5e-6 at 2, 5, 10, 20 (the default), 40 segments
    (``docs/recuperator_convergence.md``, written by ``docs/scripts/recuperator_convergence.py``).

    *No second-law violation in transients.*  Eliminating the gas, the node heats are K T +
    (inlet terms).  If all off-diagonal K_jk >= 0 (a Metzler matrix), implicit Euler's (C/h - K)
    is an M-matrix and each new wall temperature is a weighted mean of the old ones and the two
    inlet temperatures, for any step (Berman & Plemmons, *Nonnegative Matrices in the
    Mathematical Sciences*, ch. 6).  Linear-element (Galerkin) sharing, gamma = phi - r - 1/2
    with r = (phi - e)/N, is as exact at C_r = 1 but has gamma < 0 at every N: cold nitrogen
    entering the default wall at 300 K drives its cold end node tens of kelvin below the gas
    inlet (docs page).  Here the neighbour couplings of the first, inner and last segments are
    checked each step from both streams' N and mdot cp (:func:`_node_shares`); if one would be
    negative, alpha is raised toward 1 - e on both streams (gamma = alpha/N - 1/2 keeps d = 0)
    and, if that is not enough, gamma is scaled toward 0 (first-order upwinding).  As with
    Godunov's theorem for advection, a linear scheme cannot in general be both monotone and
    second order; this one is monotone always, exact at C_r = 1 and falls back to first order only where the segments are
    coarse for the exchange and the streams differ, or one stream nearly stops.

    **Time step.**  Each stream's cp is taken once per step at the mean of its inlet and the wall
    at its outlet end, the wall's heat capacities C_j = m_j cp_metal at its present
    temperatures; for these the step is linear, (C/h - K) T1 = C T0/h + c: implicit Euler,
    L-stable for any step, with a steady state that does not depend on h.  It is solved with
    the gas temperatures as unknowns beside the wall's, a banded system (3(n+1) unknowns,
    bandwidth 4 + 4, LAPACK dgbsv).  Two nonlinearities are iterated (:meth:`_advance`): the
    metal's cp(T) (Newton on m_j h_metal(T1_j)) and each stream's real enthalpy change against its
    cp-based heat (the stream's node heats scaled by their ratio, near 1).  Whatever is left
    after the last iteration is added to the wall energy, so the wall receives exactly the
    enthalpy the streams lose::

        sum_j (E_j(t+h) - E_j(t)) = h [mdot_h (h_h,in - h_h,out) - mdot_c (h_c,out - h_c,in)]

    to round-off, and T = T_metal(E/m) by the material's exact inverse; the iteration stops when
    that leaves no node more than _STEP_TOL = 1e-4 K from the solve's (one solve for steps that
    move the wall by a few hundredths of a kelvin).  Outlets: T from the solve, h = h(p, T).

    **Pressure drop** (optional, default none): dp = dp_side (mdot / mdot_nominal)**2 on each
    side, lumped at the outlet as an adiabatic, isenthalpic friction loss (the dissipated work
    stays in the gas): p_out = p - dp, h_out = h(p, T_x) with T_x the exchange result above,
    T_out = T(p_out, h_out) (Joule-Thomson).  It leaves the energy balance unchanged; it ignores
    friction's dependence on density (at fixed geometry dp scales as mdot**2 / rho).

    A stream with mdot <= 0 passes unchanged (T, h, p) and exchanges nothing.
    """

    summary = "Counterflow recuperator, wall nodes with metal heat capacity, exact-gas segments"
    headline = ('effectiveness', 'heat_transfer')
    variables = (
        Parameter("fluid", "1", "nitrogen", "working gas (both streams)"),
        PROPERTY_BACKEND_PARAMETER,
        Parameter("UA_hot", "W/K", 1500.0, "conductance hot gas to wall (whole exchanger)", min=0.0),
        Parameter("UA_cold", "W/K", 1500.0, "conductance wall to cold gas (whole exchanger)", min=0.0),
        Parameter("metal_mass", "kg", 8.0, "mass of the wall metal", min=1e-9),
        Parameter("material", "1", "stainless_304", "wall material",
                  choices=("copper", "stainless_304", "aluminium_6061")),
        Parameter("n_cells", "1", 20, "number of segments along the flow (the wall has "
                  "n_cells + 1 nodes)", type=int, min=2),
        Parameter("T_start", "K", 300.0, "initial (uniform) metal temperature", min=1e-3),
        Parameter("dp_hot", "Pa", 0.0, "hot-side friction pressure drop at mdot_nominal "
                  "(quadratic in mdot; 0: none)", min=0.0),
        Parameter("dp_cold", "Pa", 0.0, "cold-side friction pressure drop at mdot_nominal "
                  "(quadratic in mdot; 0: none)", min=0.0),
        Parameter("mdot_nominal", "kg/s", 0.019, "mass flow at which dp_hot and dp_cold apply "
                  "(default: the seed-000 design flow, about 19 g/s)", min=0.0),
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
        Output("p_hot_out", "Pa", 101325.0, "hot stream outlet pressure p_hot - dp (p_hot "
               "without forward flow)"),
        Output("p_cold_out", "Pa", 50662.5, "cold stream outlet pressure p_cold - dp (p_cold "
               "without forward flow)"),
        Output("heat_transfer", "W", 0.0, "heat given up by the hot stream mdot_h (h_in - h_out)"),
        Output("effectiveness", "1", 0.0, "(T_hot_in - T_hot_out) / (T_hot_in - T_cold_in)"),
        Output("T_metal_warm", "K", 300.0, "wall temperature at the warm end (node 0)"),
        Output("T_metal_cold", "K", 300.0, "wall temperature at the cold end (node n)"),
        Local("metal_energy", "J", 0.0, "total wall energy sum(E_j)"),
    )
    state_attributes = ("wall_energy", "wall_temperature")
    default_step = 0.05

    # -- set-up ---------------------------------------------------------------------------
    def setup(self) -> None:
        n = self.n_cells                   # a whole number: the parameter's type is int
        # UA_hot, UA_cold, dp_hot, dp_cold >= 0 are their declared bounds, checked by the engine
        # when a value is set
        value = self.metal_mass
        if not (value >= 0.0 and math.isfinite(value)):
            raise ParameterError.of(self.name, "metal_mass", f" = {value!r} must be finite and >= 0")
        if (self.dp_hot > 0.0 or self.dp_cold > 0.0) and not self.mdot_nominal > 0.0:
            raise ParameterError.of(self.name, "mdot_nominal", f" = {self.mdot_nominal!r} must be "
                                 "> 0 kg/s when 'dp_hot' or 'dp_cold' > 0")
        if not T_MIN <= self.T_start <= T_MAX:
            raise ParameterError.of(self.name, "T_start", f" = {self.T_start:g} K is outside the "
                                 f"wall material's range {T_MIN:g}-{T_MAX:g} K")
        self._n = n
        self._gas = gas_for(self, self.fluid)
        self._material = Material(self.material)
        m = np.full(n + 1, self.metal_mass / n)
        m[0] = m[n] = 0.5 * self.metal_mass / n
        self._m, self._inv_m = m, 1.0 / m
        grid = np.arange(T_MIN, T_MAX + 0.5 * _CP_GRID_STEP, _CP_GRID_STEP)
        self._cp_T, self._cp_v = grid, np.asarray(self._material.cp(grid), dtype=float)
        # T(h) of the wall: the material's own h on the grid of its table (uniform 0.02 K, see
        # fmus/properties/materials.py), so np.interp below is its exact inverse T_from_h without the
        # per-call checks (a state outside the table gives NaN and a ModelError instead)
        T_tab = np.linspace(T_MIN, T_MAX, int(round((T_MAX - T_MIN) / _MATERIAL_DT)) + 1)
        self._h_tab, self._T_tab = np.asarray(self._material.h(T_tab), dtype=float), T_tab
        _load_gbsv()  # scipy.linalg (0.4 s to import) now, not inside the first step
        self._flat, self._combo = _band_pattern(n)
        self._kinds = _segment_kinds(n)
        self._cp_memo = {}
        self._scheme_memo = (None, None)
        self.wall_temperature = np.full(n + 1, float(self.T_start))
        self.wall_energy = m * self._material.h(self.wall_temperature)
        self.metal_energy = float(self.wall_energy.sum())
        self.initialize_outputs(0.0)

    # -- stepping ---------------------------------------------------------------------------
    def do_step(self, t: float, h: float) -> None:
        self._evaluate(h)

    def initialize_outputs(self, t: float) -> None:
        """Outputs from the present inputs and wall state, without advancing it (idempotent)."""
        self._evaluate(0.0)

    def _cp(self, p: float, T: float) -> float:
        """cp of the gas at (p, T).  Remembers a few recent states: a value depends only on its
        (p, T), so the memo never changes a result (no state to save for a rollback)."""
        key = (p, T)
        cp = self._cp_memo.get(key)
        if cp is None:
            cp = self._gas.cp_pT(p, T)
            if len(self._cp_memo) > 8:
                self._cp_memo.clear()
            self._cp_memo[key] = cp
        return cp

    def _throttle(self, dp_nominal: float, mdot: float, p: float, h_out: float,
                  T_x: float) -> tuple[float, float]:
        """(p_out, T_out) after the friction drop dp = dp_nominal (mdot/mdot_nominal)**2 at
        constant enthalpy h_out, from the exchange outlet T_x at the inlet pressure p."""
        if not dp_nominal > 0.0:
            return p, T_x
        r = mdot / self.mdot_nominal
        dp = dp_nominal * r * r
        p_out = p - dp
        if not p_out > 0.0:
            raise ModelError(f"actor '{self.name}': pressure drop {dp:.6g} Pa at mdot={mdot:.6g} kg/s "
                             f"exceeds the inlet pressure {p:.6g} Pa")
        return p_out, self._gas.T_from_p_h(p_out, h_out, T_x)

    def _evaluate(self, h: float) -> None:
        n = self._n
        Th_in, Tc_in = self.T_hot_in, self.T_cold_in
        mh, mc = self.mdot_hot, self.mdot_cold
        hot = mh > 0.0
        cold = mc > 0.0
        T0 = self.wall_temperature
        gas = self._gas
        for flows, T_in, name in ((hot, Th_in, "T_hot_in"), (cold, Tc_in, "T_cold_in")):
            if flows and not gas.Tmin <= T_in <= gas.Tmax:  # also NaN
                raise ModelError(f"actor '{self.name}': {gas.name} state outside CoolProp's range: "
                                 f"{name}={T_in:.6g} K (valid {gas.Tmin:g}-{gas.Tmax:g} K)")
        try:
            # each stream's cp at the mean of its inlet and the wall at its outlet end
            Ch = mh * self._cp(self.p_hot, 0.5 * (Th_in + float(T0[n]))) if hot else 0.0
            Cc = mc * self._cp(self.p_cold, 0.5 * (Tc_in + float(T0[0]))) if cold else 0.0
        except FluidStateError as exc:
            raise ModelError(f"actor '{self.name}': {exc}") from None
        Nh = self.UA_hot / (n * Ch) if hot else 0.0
        Nc = self.UA_cold / (n * Cc) if cold else 0.0
        eh, ph = _decay(Nh)
        ec, pc = _decay(Nc)
        xh = hot and Nh > 0.0        # the streams that exchange heat
        xc = cold and Nc > 0.0
        try:
            if h > 0.0 and (xh or xc):
                Th_x, Tc_x, h_hx, h_cx = self._advance(n, h, T0, Th_in, Tc_in, Ch, Nh, eh, ph,
                                                       Cc, Nc, ec, pc, xh, xc)
            else:
                Th_x, Tc_x = _gas_outlets(T0.tolist(), Th_in, eh, ph, Tc_in, ec, pc)
                h_hx = gas.h_pT(self.p_hot, Th_x) if xh else self.h_hot_in
                h_cx = gas.h_pT(self.p_cold, Tc_x) if xc else self.h_cold_in
            # outlets: the exchange at the inlet pressure, then the isenthalpic friction drop
            if hot:
                p_ho, T_ho = self._throttle(self.dp_hot, mh, self.p_hot, h_hx, Th_x)
            else:
                p_ho, T_ho = self.p_hot, Th_in
            if cold:
                p_co, T_co = self._throttle(self.dp_cold, mc, self.p_cold, h_cx, Tc_x)
            else:
                p_co, T_co = self.p_cold, Tc_in
        except FluidStateError as exc:
            raise ModelError(f"actor '{self.name}': {exc}") from None
        self.T_hot_out, self.h_hot_out, self.p_hot_out = T_ho, h_hx, p_ho
        self.T_cold_out, self.h_cold_out, self.p_cold_out = T_co, h_cx, p_co
        self.heat_transfer = mh * (self.h_hot_in - h_hx) if hot else 0.0
        span = Th_in - Tc_in
        self.effectiveness = (Th_in - T_ho) / span if abs(span) > 1e-9 else 0.0
        self.T_metal_warm = float(self.wall_temperature[0])
        self.T_metal_cold = float(self.wall_temperature[n])

    def _advance(self, n, h, T0, Th_in, Tc_in, Ch, Nh, eh, ph, Cc, Nc, ec, pc, xh, xc):
        """One implicit-Euler step of the wall; returns the streams' exchange outlets (T, h).

        The step solves m_j (h_metal(T1_j) - h_metal(T0_j)) = h sum_s f_s Q_s,j(T1) where Q_s,j
        is stream s's cp-based heat into node j and f_s = (real enthalpy change) / (cp-based
        heat) makes the wall take exactly the streams' enthalpy.  Both h_metal and f_s are
        nonlinear: each iteration is one banded solve with C_j = m_j cp_metal at the present
        iterate and the present f_s; the remaining difference is then added to the wall energy
        (so the energy identity is exact whatever the iteration count) and the iteration stops
        when that moves no node by more than _STEP_TOL.  One solve for a step of a few hundredths
        of a kelvin; large steps take a few."""
        m, E0, gas = self._m, self.wall_energy, self._gas
        p_h, p_c, hh_in, hc_in = self.p_hot, self.p_cold, self.h_hot_in, self.h_cold_in
        mh, mc = self.mdot_hot, self.mdot_cold
        fh = fc = 1.0
        Tk, Ek = T0, E0
        for it in range(_STEP_MAX):
            key = (fh * Ch, Nh, fc * Cc, Nc)
            if self._scheme_memo[0] == key:
                ah, gh, ac, gc = self._scheme_memo[1]
            else:
                ah, gh, ac, gc = _node_shares(self._kinds, fh * Ch, Nh, eh, ph, fc * Cc, Nc, ec, pc)
                self._scheme_memo = (key, (ah, gh, ac, gc))
            cap = m * _interp(Tk, self._cp_T, self._cp_v, None, None)
            cap_h = cap / h
            rhs = cap_h * T0 if it == 0 else (cap * Tk - (Ek - E0)) / h
            x = self._solve(n, cap_h, rhs, Th_in, Tc_in, fh * Ch, eh, ph, ah, gh,
                            fc * Cc, ec, pc, ac, gc)
            T1 = x[1::3]
            Th_x, Tc_x = float(x[3 * n]), float(x[2])
            h_hx = gas.h_pT(p_h, Th_x) if xh else hh_in
            h_cx = gas.h_pT(p_c, Tc_x) if xc else hc_in
            E = Ek + cap * (T1 - Tk)  # = E0 + h sum_s f_s Q_s(T1), the solve's own node heats
            # the rest of each stream's real enthalpy change: scale its node heats to it
            # (factor f_new - f), or spread it by mass if the stream's temperature did not move
            fh_new, sh = _rescale(h, mh * (hh_in - h_hx), Ch, Th_in - Th_x, fh)
            fc_new, sc = _rescale(h, mc * (h_cx - hc_in), Cc, Tc_x - Tc_in, fc)
            spread = 0.0
            if xh and sh is None:
                spread += h * (mh * (hh_in - h_hx) - fh * Ch * (Th_in - Th_x))
                sh = 0.0
            if xc and sc is None:
                spread -= h * (mc * (h_cx - hc_in) - fc * Cc * (Tc_x - Tc_in))
                sc = 0.0
            if sh or sc:
                X = x.reshape(n + 1, 3)
                Z = np.concatenate((X[:-1], X[1:]), axis=1) @ _share_matrix(sh or 0.0, ah, gh, sc or 0.0, ac, gc)
                E[:n] += Z[:, 0]
                E[1:] += Z[:, 1]
            if spread:
                E += (spread / self.metal_mass) * m
            T = _interp(E * self._inv_m, self._h_tab, self._T_tab, math.nan, math.nan)
            dev = float(np.abs(T - T1).max())
            if not dev > _STEP_TOL:  # converged (NaN: out of range, reported below)
                break
            Tk, Ek = T1.copy(), m * _interp(T1, self._T_tab, self._h_tab, None, None)
            fh, fc = fh_new, fc_new
        E_sum = float(E.sum())
        if not math.isfinite(dev) or not math.isfinite(E_sum):  # dev: NaN if any T is
            bad = np.flatnonzero(~np.isfinite(T))
            j = int(bad[0]) if bad.size else 0
            raise ModelError(f"actor '{self.name}': wall node {j} energy {E[j] * self._inv_m[j]:.6g} J/kg "
                             f"outside the {self._material.name} range {T_MIN:g}-{T_MAX:g} K")
        self.wall_energy, self.wall_temperature = E, T
        self.metal_energy = E_sum
        return Th_x, Tc_x, h_hx, h_cx

    def _solve(self, n, cap_h, rhs_wall, Th_in, Tc_in, Ch, eh, ph, ah, gh, Cc, ec, pc, ac, gc):
        """One linear solve: x = (T_hot,j, T_wall,j, T_cold,j) for j = 0..n, wall rows
        (C_j/h - K) T = rhs_wall + inlet terms."""
        R = Ch * (ah + gh) + Cc * gc      # wall diagonal from the segment to the right (j -> j+1)
        L = Ch * gh + Cc * (ac + gc)      # ... and from the segment to the left
        vals = np.array((
            1.0, -eh, eh - ph, ph - 1.0, -ec, ec - pc, pc - 1.0,
            -Ch * (1.0 - ah),             # wall j <- hot gas j-1
            -R,                           # wall j <- wall j-1
            -Ch * ah, Ch * (1.0 - ah), Ch,  # wall j <- hot gas j   (j = 0, inner, n)
            R, R + L, L,                  # wall diagonal without C/h (j = 0, inner, n)
            Cc, Cc * (1.0 - ac), -Cc * ac,  # wall j <- cold gas j  (j = 0, inner, n)
            -L,                           # wall j <- wall j+1
            -Cc * (1.0 - ac),             # wall j <- cold gas j+1
        ))
        M = 3 * (n + 1)
        buf = np.zeros(M * _BAND)
        buf[self._flat] = vals[self._combo]
        buf[_WALL_DIAG0::3 * _BAND] += cap_h  # the wall diagonals, A[3j+1, 3j+1]
        b = np.zeros(M)
        b[1::3] = rhs_wall
        b[0] = Th_in
        b[M - 1] = Tc_in
        gbsv = _gbsv or _load_gbsv()
        lub, piv, x, info = gbsv(_KL, _KU, buf.reshape(M, _BAND).T, b, overwrite_ab=1, overwrite_b=1)
        if info != 0:
            raise ModelError(f"actor '{self.name}': singular wall system (LAPACK dgbsv info={info})")
        return x


_gbsv = None


def _load_gbsv():
    """LAPACK's banded solver dgbsv, imported by the first set-up (scipy.linalg costs 0.4 s to
    import: not with the module, which ``describe`` and ``export`` import too)."""
    global _gbsv
    if _gbsv is None:
        from scipy.linalg.lapack import dgbsv

        _gbsv = dgbsv
    return _gbsv


# -- the discretisation's pieces (module level, plain floats) ---------------------------------
def _decay(N: float) -> tuple[float, float]:
    """(e, phi) = (exp(-N), (1 - exp(-N)) / N) of a segment with NTU N (1, 1 for N = 0)."""
    if N < 1e-6:
        return 1.0 - N, 1.0 - 0.5 * N
    return math.exp(-N), -math.expm1(-N) / N


def _coupling(e: float, phi: float, a: float, first: bool, last: bool) -> float:
    """Coupling, per unit mdot cp and without the gamma term, of a segment's downstream node to
    its upstream node through one stream: directly (a - phi + e), through the gas arriving at the
    upstream node (unless the segment is the stream's first) and through the next segment's
    upstream share (unless it is the stream's last)."""
    k = a - phi + e
    if not first:
        k += (1.0 - e - a) * (1.0 - phi)
    if not last:
        k += a * (phi - e)
    return k


def _segment_kinds(n: int):
    """(hot first, hot last, cold first, cold last) of the distinct segment positions."""
    kinds = [(True, n == 1, n == 1, True)]           # segment 0: the hot stream's first
    if n >= 3:
        kinds.append((False, False, False, False))    # inner segments
    if n >= 2:
        kinds.append((False, True, True, False))      # segment n-1: the cold stream's first
    return tuple(kinds)


def _node_shares(kinds, Ch, Nh, eh, ph, Cc, Nc, ec, pc):
    """(alpha_h, gamma_h, alpha_c, gamma_c): the node shares of the segment heats.

    Default alpha = min(N/2, 1 - e), gamma = alpha/N - 1/2 (exact at C_r = 1).  If that leaves a
    negative coupling between neighbouring nodes, alpha moves toward 1 - e on both streams by the
    smallest fraction t that removes it (gamma = alpha/N - 1/2, still exact at C_r = 1); if t = 1
    is not enough, gamma is scaled by the largest lam in [0, 1) that does."""
    a0h, a1h = min(0.5 * Nh, 1.0 - eh), 1.0 - eh
    a0c, a1c = min(0.5 * Nc, 1.0 - ec), 1.0 - ec

    def margins(ah, ac):
        gh = ah / Nh - 0.5 if Nh > 0.0 else 0.0
        gc = ac / Nc - 0.5 if Nc > 0.0 else 0.0
        S = Ch * gh + Cc * gc
        out = []
        for hf, hl, cf, cl in kinds:
            out.append((S, Cc * _coupling(ec, pc, ac, cf, cl)))  # hot-upstream node <- its neighbour
            out.append((S, Ch * _coupling(eh, ph, ah, hf, hl)))  # hot-downstream node <- its neighbour
        return gh, gc, out

    gh, gc, m0 = margins(a0h, a0c)
    if gh >= 0.0 and gc >= 0.0 or all(S + P >= 0.0 for S, P in m0):
        return a0h, gh, a0c, gc
    gh1, gc1, m1 = margins(a1h, a1c)
    t = 0.0
    for (S0, P0), (S1, P1) in zip(m0, m1):
        g0, g1 = S0 + P0, S1 + P1
        if g0 < 0.0:
            t = max(t, -g0 / (g1 - g0) if g1 > g0 else 2.0)
    if t <= 1.0:
        ah, ac = a0h + t * (a1h - a0h), a0c + t * (a1c - a0c)
        gh = ah / Nh - 0.5 if Nh > 0.0 else 0.0
        gc = ac / Nc - 0.5 if Nc > 0.0 else 0.0
        return ah, gh, ac, gc
    lam = 1.0
    for S, P in m1:
        if S < 0.0:
            lam = min(lam, P / -S)
    lam = max(0.0, lam)
    return a1h, lam * gh1, a1c, lam * gc1


def _rescale(h, heat, C, dT, f):
    """(f_new, s C h) for a stream whose real heat is ``heat`` and cp-based heat f C dT: the
    factor f_new = heat / (C dT) and the energy scale h (f_new - f) C of its node heats; s is
    None (spread the rest by mass) if dT = 0 or the factor is implausible (inconsistent inputs)."""
    if C == 0.0:
        return f, 0.0
    if dT != 0.0:
        f_new = heat / (C * dT)
        if 0.5 < f_new < 2.0:
            return f_new, h * (f_new - f) * C
    return f, None


def _share_matrix(sh, ah, gh, sc, ac, gc):
    """(6, 2) matrix taking a segment's (T_hot, T_wall, T_cold at its node k, the same at k+1) to
    sh times the hot stream's plus sc times the cold stream's heat into node k (column 0) and
    node k+1 (column 1), with the shares of :meth:`Recuperator._solve`."""
    return np.array((
        (sh * ah, sh * (1.0 - ah)),
        (-sh * (ah + gh) - sc * gc, sh * (ah + gh) + sc * gc),
        (-sc, 0.0),
        (0.0, -sh),
        (sh * gh + sc * (ac + gc), -sh * gh - sc * (ac + gc)),
        (sc * (1.0 - ac), sc * ac),
    ))


def _gas_outlets(T, Th, eh, ph, Tc, ec, pc):
    """Outlet temperatures of the two streams over the wall node temperatures T (a list)."""
    n = len(T) - 1
    for k in range(n):
        Th = eh * Th + (ph - eh) * T[k] + (1.0 - ph) * T[k + 1]
    for k in range(n, 0, -1):
        Tc = ec * Tc + (pc - ec) * T[k] + (1.0 - pc) * T[k - 1]
    return Th, Tc


def _band_pattern(n: int):
    """Where each coefficient of :meth:`Recuperator._solve` goes in LAPACK band storage.

    Unknown 3j is the hot gas at node j, 3j+1 the wall, 3j+2 the cold gas.  Returns the flat
    indices into a (3(n+1), 2kl+ku+1) C-ordered buffer (the transpose of the Fortran band array,
    A[i, j] at [j, kl+ku+i-j]) and the coefficient index of each.  The wall diagonals also get
    C_j/h, added in the step."""
    flat, combo = [], []

    def put(i, j, c):
        flat.append(j * _BAND + _KL + _KU + i - j)
        combo.append(c)

    for j in range(n + 1):
        h, w, c = 3 * j, 3 * j + 1, 3 * j + 2
        # hot gas at node j: inlet, or T_j = e T_{j-1} + (phi - e) Tw_{j-1} + (1 - phi) Tw_j
        put(h, h, 0)
        if j >= 1:
            put(h, h - 3, 1)
            put(h, w - 3, 2)
            put(h, w, 3)
        # cold gas at node j: inlet at j = n, else from node j+1
        put(c, c, 0)
        if j < n:
            put(c, c + 3, 4)
            put(c, w + 3, 5)
            put(c, w, 6)
        # wall node j
        if j >= 1:
            put(w, h - 3, 7)
            put(w, w - 3, 8)
        put(w, h, 9 if j == 0 else (11 if j == n else 10))
        put(w, w, 12 if j == 0 else (14 if j == n else 13))
        put(w, c, 15 if j == 0 else (17 if j == n else 16))
        if j < n:
            put(w, w + 3, 18)
            put(w, c + 3, 19)
    return np.array(flat), np.array(combo)
