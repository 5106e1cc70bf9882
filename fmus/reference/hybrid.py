"""Monolithic reference model of the hybrid 2-piston Stirling / reverse-Brayton cryocooler of
Nellis & Maddocks, "An isothermal model of a hybrid Stirling/reverse-Brayton cryocooler",
Cryogenics 43 (2003) 31-43 (seed ``001``).  Numbers in, numbers out: plain floats and numpy.

The model (paper section 2)
---------------------------
* A 2-piston Stirling stage with isothermal expansion space (T_E), compression space (T_C)
  and dead volume (T_D), a perfect regenerator and one uniform pressure p (Schmidt analysis):
  V_e = V_E/2 (1 + cos phi), V_c = kappa V_E/2 (1 + cos(phi - alpha))          (eq. 1-3)
  m_rg = p V_E / (2 R T_C) D(phi),  D = beta (1 + cos phi) + kappa (1 + cos(phi - alpha)) + 2 S
                                                                                 (eq. 4-6)
* A rectification system: a high-pressure check valve from the stage into the high-pressure
  buffer and a low-pressure one from the low-pressure buffer into the stage, both linear
  resistances, r_cv,f in the forward direction and r_cv,b (back-leak) in reverse (eq. 17-20);
  two buffers of volume V_B each at T_E (eq. 13-16).
* A reverse-Brayton stage: perfect recuperator, reversible turbine fed at the load temperature
  T_L and modelled as a nozzle of area a_t between the buffers (eq. 21).

Dimensionless form (eq. 25-32), phi the crank angle, all pressures divided by the charge
pressure, Pi = p/p_charge, Pi_HP, Pi_LP::

  dPi/dphi    = [Pi (beta sin phi + kappa sin(phi - alpha))
                 + (beta/pi) ((Pi_LP - Pi)/R_LP - (Pi - Pi_HP)/R_HP)] / D(phi)     (eq. 30)
  dPi_HP/dphi = (Pi - Pi_HP)/(2 pi R_HP lam) - A_t chi Pi_HP Psi/(2 pi lam)      (eq. 31)
  dPi_LP/dphi = A_t chi Pi_HP Psi/(2 pi lam) - (Pi_LP - Pi)/(2 pi R_LP lam)      (eq. 32)
  Psi = sqrt(2/(gamma-1) (1 - (Pi_HP/Pi_LP)^((1-gamma)/gamma)))

R_HP = R_cv,f if Pi > Pi_HP else R_cv,b; R_LP = R_cv,f if Pi_LP > Pi else R_cv,b (eq. 19-20).

The groups (eq. 5, 6, 25-29; the argument names of this module are the paper's symbols):

  ``beta``  = T_C/T_E                    ``kappa`` = V_C,swept / V_E,swept
  ``S``     = V_D T_C / (V_E T_D)         ``alpha`` = phase angle [rad]
  ``lam``   = V_B / V_E  (lambda; math.inf: infinite buffers)
  ``chi``   = T_E / T_L                  ``gamma`` = cp/cv
  ``A_t``   = a_t tau sqrt(gamma R T_L) / V_E                                     (eq. 27)
  ``R_cv_f``, ``R_cv_b`` = r_cv V_E / (R T_E tau)                                (eq. 26)

The seed's text of eq. 26-27 is garbled by OCR; the forms above are the ones for which eq. 31
and eq. 36 (M_t = beta chi A_t Pi_HP Psi) follow from eq. 21-24, which is how they were fixed.
With them the valve term of eq. 30 is (beta/pi)/R_cv.  ``HybridSI`` converts an SI set-up to
these groups and :func:`si_derivatives` is eq. 22-24 in SI units, so the mapping is tested.

Dimensionless mass (the quantity eq. 12-16 conserve), normalised like eq. 44 by
p_charge V_E/(R T_C):  M = Pi D(phi)/2 + beta lam (Pi_HP + Pi_LP); mass flow rates are
normalised like eq. 36, Mdot = mdot tau R T_C/(p_charge V_E): Mdot_cv,HP = beta (Pi - Pi_HP)/R_HP.

Metrics (eq. 33-48): Q_E = W_E = -1/2 oint Pi sin phi, W_C = kappa/2 oint Pi sin(phi - alpha),
M_t = 1/(2 pi) oint Mdot_t, Q_L = W_t = 1/(2 pi) oint Wdot_t with
Wdot_t = Mdot_t gamma/((gamma-1) beta chi) (1 - (Pi_HP/Pi_LP)^((1-gamma)/gamma)),
eta_Carnot = [Q_L (beta chi - 1) + Q_E (beta - 1)] / (W_C - Q_E - Q_L),
Q_rg = M_c,max gamma (beta-1)/((gamma-1) beta), M_c = Pi kappa/2 (1 + cos(phi - alpha)),
Q_rec = M_t gamma (chi-1)/((gamma-1) beta chi).  All energies are per cycle over p_charge V_E.

Numerics
--------
Fixed-step classical Runge-Kutta (as in the paper) on plain floats, over one cycle at a time.
The cyclic steady state reached from the charge state (all Pi = 1 at phi = 0) is the periodic
orbit whose total gas M equals the charge gas M_0 = D(0)/2 + 2 beta lam; instead of marching
cycle after cycle (``method="march"``, the paper's procedure, available) the default
``method="shooting"`` solves for it directly: unknowns Pi(0) and Pi_HP(0) (Pi_LP(0) follows
from M = M_0), residuals the change of Pi over a cycle and lam times that of Pi_HP (corrected
for the integration's mass drift, see :func:`_shoot`), Newton with a finite-difference Jacobian
and Broyden updates.  Both return a cycle that meets the paper's criterion: no dimensionless
pressure changes by ``tol`` (1e-4) or more over it.  The march can meet it far from the
periodic orbit when a mode decays slowly (large lam or R_cv); the shooting cannot.

Stiffness: the valve relaxation rate is about (beta/pi)/(R_cv,f D(phi)) per radian, so for
R_cv,f A_t -> 0 RK4 needs more than the paper's 100 steps per cycle (:func:`stable_steps`);
small buffers (lam/A_t < 1) stiffen the turbine term, whose nozzle law has an infinite
derivative at Pi_HP = Pi_LP.  The automatic step count handles both (see
:func:`cyclic_steady_state`).

Valves shut versus R_cv -> infinity: with R_cv,f = R_cv,b = inf the stage keeps its charge
and the cycle is Schmidt's.  A finite but huge R_cv,f has a different cyclic steady state: over
very many cycles the buffers fill and drain until the stage's gas is redistributed.  The
paper's march agrees with Schmidt in that case only because its criterion is met after one
cycle.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

__all__ = ["cyclic_steady_state", "schmidt_limit", "derivatives", "si_derivatives", "HybridSI",
           "stable_steps", "CyclicSteadyStateError"]

_TWO_PI = 2.0 * math.pi
_RK4_STABLE = 2.785   # real negative axis limit of classical RK4's stability region
_AUTO_HK = 2.0        # automatic step count keeps h * (fastest decay rate) below this
_MIN_STEPS = 100      # the paper uses at least 100 integration steps per cycle
_START_OFFSET = 0.1   # shooting starts from Pi(0) = 1, Pi_HP(0) = 1 + this
_ERROR_TOL = 1e-4     # automatic steps: bound on the second-law residual relative to W_C
_MAX_STEPS = 51200    # automatic steps: largest count tried


class CyclicSteadyStateError(RuntimeError):
    """No cyclic steady state within ``max_cycles`` (or the integration blew up)."""


# --------------------------------------------------------------------------------------------
# the closed Stirling cycle (valves shut)
# --------------------------------------------------------------------------------------------
def _D(phi, beta, kappa, S, alpha):
    return beta * (1.0 + np.cos(phi)) + kappa * (1.0 + np.cos(phi - alpha)) + 2.0 * S


def schmidt_limit(beta: float, kappa: float, S: float, alpha: float) -> dict:
    """Closed-form Schmidt solution of the closed 2-piston Stirling stage (valves shut,
    R_cv,f = R_cv,b -> infinity), charged to Pi = 1 at phi = 0 (eq. 7-10, 34-35, 44, 46).

    Pi(phi) = D(0) / D(phi) = D(0) / ((beta + kappa + 2 S) (1 + delta cos(phi - theta)))
    with theta = atan(kappa sin alpha / (beta + kappa cos alpha)) (eq. 9) and
    delta = sqrt(beta^2 + 2 beta kappa cos alpha + kappa^2) / (beta + kappa + 2 S) (eq. 10).
    With the integrals of 1/(1 + delta cos psi) the metrics are exact:

      Q_E = pi D(0) sin(theta) / (Dbar delta) (1/sqrt(1 - delta^2) - 1)          (eq. 34)
      W_C = pi kappa D(0) sin(alpha - theta) / (Dbar delta) (1/sqrt(1 - delta^2) - 1) (eq. 35)

    and W_C = beta Q_E (the isothermal Stirling refrigerator is reversible).  M_c,max (eq. 44)
    and Q_rg (eq. 46, for gamma = 5/3) come from a bounded maximisation.  Returns Q_E, W_C,
    Pi_min, Pi_max, theta, delta, M_rg (the stage's gas, D(0)/2), M_c_max, and a callable
    ``Pi(phi)``; ``Q_rg(gamma)`` is a function of gamma.
    """
    D0 = float(_D(0.0, beta, kappa, S, alpha))
    Dbar = beta + kappa + 2.0 * S
    theta = math.atan2(kappa * math.sin(alpha), beta + kappa * math.cos(alpha))
    delta = math.sqrt(beta * beta + 2.0 * beta * kappa * math.cos(alpha) + kappa * kappa) / Dbar
    common = math.pi * D0 / (Dbar * delta) * (1.0 / math.sqrt(1.0 - delta * delta) - 1.0)
    Q_E = common * math.sin(theta)
    W_C = common * kappa * math.sin(alpha - theta)

    # M_c = Pi kappa/2 (1 + cos(phi - alpha)): a dense grid, then a bounded refinement
    from scipy.optimize import minimize_scalar

    def mc(phi):
        return 0.5 * kappa * D0 * (1.0 + math.cos(phi - alpha)) / float(_D(phi, beta, kappa, S, alpha))

    grid = np.linspace(0.0, _TWO_PI, 721)
    vals = 0.5 * kappa * D0 * (1.0 + np.cos(grid - alpha)) / _D(grid, beta, kappa, S, alpha)
    k = int(np.argmax(vals))
    res = minimize_scalar(lambda p: -mc(p), bounds=(grid[max(k - 1, 0)], grid[min(k + 1, 720)]),
                          method="bounded", options={"xatol": 1e-12})
    Mc_max = max(float(vals[k]), -float(res.fun))

    def Pi(phi):
        return D0 / _D(np.asarray(phi, dtype=float), beta, kappa, S, alpha)

    return {
        "Q_E": Q_E, "W_C": W_C, "theta": theta, "delta": delta,
        "Pi_max": D0 / (Dbar * (1.0 - delta)), "Pi_min": D0 / (Dbar * (1.0 + delta)),
        "phi_Pi_max": (theta + math.pi) % _TWO_PI,  # where 1 + delta cos(phi - theta) is least
        "M_rg": 0.5 * D0, "M_c_max": Mc_max,
        "Q_rg": lambda gamma: Mc_max * gamma / (gamma - 1.0) * (beta - 1.0) / beta,
        "Pi": Pi,
    }


# --------------------------------------------------------------------------------------------
# right-hand sides (for tests and for the SI check; the integrator inlines its own copy)
# --------------------------------------------------------------------------------------------
def _turbine_psi(H: float, L: float, gamma: float) -> float:
    """Signed Psi of eq. 31-32 (flow from the higher- to the lower-pressure buffer)."""
    e = (1.0 - gamma) / gamma
    if H > L:
        return math.sqrt(2.0 / (gamma - 1.0) * (1.0 - (H / L) ** e))
    if H < L:
        return -math.sqrt(2.0 / (gamma - 1.0) * (1.0 - (L / H) ** e)) * L / H
    return 0.0


def derivatives(phi: float, Pi: float, Pi_HP: float, Pi_LP: float, beta: float, kappa: float,
                S: float, alpha: float, lam: float, gamma: float, chi: float, A_t: float,
                R_cv_f: float, R_cv_b: float = math.inf) -> tuple[float, float, float]:
    """Right-hand side of the dimensionless model, eq. 30-32 with the valve laws eq. 19-20:
    (dPi/dphi, dPi_HP/dphi, dPi_LP/dphi).  ``lam = inf`` gives constant buffer pressures.

    A reversed turbine pressure ratio (Pi_HP < Pi_LP, possible only in transients) is taken as
    the same nozzle flowing backwards, fed from the low-pressure buffer."""
    D = beta * (1.0 + math.cos(phi)) + kappa * (1.0 + math.cos(phi - alpha)) + 2.0 * S
    G = beta * math.sin(phi) + kappa * math.sin(phi - alpha)
    d = Pi - Pi_HP
    f_hp = d / (R_cv_f if d > 0.0 else R_cv_b)
    d = Pi_LP - Pi
    f_lp = d / (R_cv_f if d > 0.0 else R_cv_b)
    t = A_t * chi * Pi_HP * _turbine_psi(Pi_HP, Pi_LP, gamma)
    dPi = (Pi * G + beta / math.pi * (f_lp - f_hp)) / D
    if math.isinf(lam):
        return dPi, 0.0, 0.0
    return dPi, (f_hp - t) / (_TWO_PI * lam), (t - f_lp) / (_TWO_PI * lam)


def si_derivatives(setup: "HybridSI", phi: float, p: float, p_HP: float,
                   p_LP: float) -> tuple[float, float, float]:
    """Eq. 22-24 in SI units: (dp/dphi, dp_B,HP/dphi, dp_B,LP/dphi) in Pa/rad, with the valve
    flows of eq. 17-20 and the nozzle flow of eq. 21 (reversed when p_HP < p_LP)."""
    s = setup
    R, tau = s.R_gas, 1.0 / s.frequency
    cp = s.gamma * R / (s.gamma - 1.0)
    m_hp = (p - p_HP) / (s.r_cv_f if p > p_HP else s.r_cv_b)                     # eq. 17, 19
    m_lp = (p_LP - p) / (s.r_cv_f if p_LP > p else s.r_cv_b)                     # eq. 18, 20
    e = (1.0 - s.gamma) / s.gamma
    if p_HP >= p_LP:                                                             # eq. 21
        m_t = p_HP / (R * s.T_L) * s.a_t * math.sqrt(2.0 * cp * s.T_L * (1.0 - (p_HP / p_LP) ** e))
    else:
        m_t = -p_LP / (R * s.T_L) * s.a_t * math.sqrt(2.0 * cp * s.T_L * (1.0 - (p_LP / p_HP) ** e))
    beta, kappa = s.T_C / s.T_E, s.V_C / s.V_E
    den = (beta * (1.0 + math.cos(phi)) + kappa * (1.0 + math.cos(phi - s.phase))
           + 2.0 * s.V_D * s.T_C / (s.V_E * s.T_D))
    dp = (p * (beta * math.sin(phi) + kappa * math.sin(phi - s.phase))
          + tau * R * s.T_C / (math.pi * s.V_E) * (m_lp - m_hp)) / den          # eq. 22
    k = R * s.T_E * tau / (2.0 * math.pi * s.V_B)
    return dp, k * (m_hp - m_t), k * (m_t - m_lp)                               # eq. 23, 24


# --------------------------------------------------------------------------------------------
# the integrator
# --------------------------------------------------------------------------------------------
class _System:
    """Constants and crank-angle tables of one parameter set at one step count."""

    def __init__(self, beta, kappa, S, alpha, lam, gamma, chi, A_t, R_cv_f, R_cv_b, N):
        if not (beta > 0 and kappa >= 0 and S >= 0 and lam > 0 and gamma > 1 and chi > 0
                and A_t >= 0 and R_cv_f > 0 and R_cv_b > 0):
            raise ValueError("need beta > 0, kappa >= 0, S >= 0, lam > 0, gamma > 1, chi > 0, "
                             "A_t >= 0, R_cv_f > 0, R_cv_b > 0")
        self.beta, self.kappa, self.S, self.alpha = beta, kappa, S, alpha
        self.lam, self.gamma, self.chi, self.A_t = lam, gamma, chi, A_t
        self.N = N
        self.h = _TWO_PI / N
        phi = np.arange(2 * N + 1) * (0.5 * self.h)          # grid and half-step points
        D = _D(phi, beta, kappa, S, alpha)
        self.g_tab = ((beta * np.sin(phi) + kappa * np.sin(phi - alpha)) / D).tolist()
        self.w_tab = (beta / math.pi / D).tolist()
        self.gF = 0.0 if math.isinf(R_cv_f) else 1.0 / R_cv_f
        self.gB = 0.0 if math.isinf(R_cv_b) else 1.0 / R_cv_b
        self.inv = 0.0 if math.isinf(lam) else 1.0 / (_TWO_PI * lam)
        self.cT = chi * A_t
        self.e = (1.0 - gamma) / gamma
        self.c2 = 2.0 / (gamma - 1.0)
        self.D0 = float(D[0])
        # L0 = 2 + cm (1 - Pi0) - H0 keeps M = M_0 (cm = 0 for infinite buffers)
        self.cm = 0.0 if math.isinf(lam) else self.D0 / (2.0 * beta * lam)
        self.shut = self.gF == 0.0 and self.gB == 0.0

    def cycle(self, P, H0, L0, record=None):
        """One RK4 cycle from (Pi, Pi_HP, Pi_LP) = (P, H0, L0) at phi = 0.  The buffer states
        are carried as the integrals qH = oint (F_HP - T) and qL = oint (T - F_LP) of the
        flows (F = Mdot/beta), Pi_HP = H0 + qH/(2 pi lam): linear in them, so lam times the
        change of Pi_HP is qH/(2 pi) exactly, also for lam = inf.  Returns (Pi_end, qH, qL).
        With ``record`` (a list), appends the 4 stage states of every step."""
        g_tab, w_tab = self.g_tab, self.w_tab
        gF, gB, cT, e, c2, inv = self.gF, self.gB, self.cT, self.e, self.c2, self.inv
        h = self.h
        h2, h6 = 0.5 * h, h / 6.0
        sqrt = math.sqrt
        qH = qL = 0.0
        const_t = inv == 0.0
        if const_t:  # infinite buffers: the turbine flow is constant
            if H0 > L0:
                T0 = cT * H0 * sqrt(c2 * (1.0 - (H0 / L0) ** e))
            elif H0 < L0:
                T0 = -cT * L0 * sqrt(c2 * (1.0 - (L0 / H0) ** e))
            else:
                T0 = 0.0
        j = 0
        for _ in range(self.N):
            g0, g1, g2 = g_tab[j], g_tab[j + 1], g_tab[j + 2]
            w0, w1, w2 = w_tab[j], w_tab[j + 1], w_tab[j + 2]
            j += 2
            # ---- stage 1
            H = H0 + qH * inv
            L = L0 + qL * inv
            d = P - H
            fh = d * gF if d > 0.0 else d * gB
            d = L - P
            fl = d * gF if d > 0.0 else d * gB
            if const_t:
                T = T0
            elif H > L:
                T = cT * H * sqrt(c2 * (1.0 - (H / L) ** e))
            elif H < L:
                T = -cT * L * sqrt(c2 * (1.0 - (L / H) ** e))
            else:
                T = 0.0
            k1p = P * g0 + w0 * (fl - fh)
            k1h = fh - T
            k1l = T - fl
            # ---- stage 2
            P2 = P + h2 * k1p
            a = qH + h2 * k1h
            b = qL + h2 * k1l
            H2 = H0 + a * inv
            L2 = L0 + b * inv
            d = P2 - H2
            fh = d * gF if d > 0.0 else d * gB
            d = L2 - P2
            fl = d * gF if d > 0.0 else d * gB
            if const_t:
                T = T0
            elif H2 > L2:
                T = cT * H2 * sqrt(c2 * (1.0 - (H2 / L2) ** e))
            elif H2 < L2:
                T = -cT * L2 * sqrt(c2 * (1.0 - (L2 / H2) ** e))
            else:
                T = 0.0
            k2p = P2 * g1 + w1 * (fl - fh)
            k2h = fh - T
            k2l = T - fl
            # ---- stage 3
            P3 = P + h2 * k2p
            a = qH + h2 * k2h
            b = qL + h2 * k2l
            H3 = H0 + a * inv
            L3 = L0 + b * inv
            d = P3 - H3
            fh = d * gF if d > 0.0 else d * gB
            d = L3 - P3
            fl = d * gF if d > 0.0 else d * gB
            if const_t:
                T = T0
            elif H3 > L3:
                T = cT * H3 * sqrt(c2 * (1.0 - (H3 / L3) ** e))
            elif H3 < L3:
                T = -cT * L3 * sqrt(c2 * (1.0 - (L3 / H3) ** e))
            else:
                T = 0.0
            k3p = P3 * g1 + w1 * (fl - fh)
            k3h = fh - T
            k3l = T - fl
            # ---- stage 4
            P4 = P + h * k3p
            a = qH + h * k3h
            b = qL + h * k3l
            H4 = H0 + a * inv
            L4 = L0 + b * inv
            d = P4 - H4
            fh = d * gF if d > 0.0 else d * gB
            d = L4 - P4
            fl = d * gF if d > 0.0 else d * gB
            if const_t:
                T = T0
            elif H4 > L4:
                T = cT * H4 * sqrt(c2 * (1.0 - (H4 / L4) ** e))
            elif H4 < L4:
                T = -cT * L4 * sqrt(c2 * (1.0 - (L4 / H4) ** e))
            else:
                T = 0.0
            k4p = P4 * g2 + w2 * (fl - fh)
            if record is not None:
                record.append((P, H, L, P2, H2, L2, P3, H3, L3, P4, H4, L4))
            P += h6 * (k1p + 2.0 * (k2p + k3p) + k4p)
            qH += h6 * (k1h + 2.0 * (k2h + k3h) + fh - T)
            qL += h6 * (k1l + 2.0 * (k2l + k3l) + T - fl)
        return P, qH, qL


def stable_steps(beta, kappa, S, alpha, lam, R_cv_f, R_cv_b=math.inf, hk=_AUTO_HK) -> int:
    """Steps per cycle that keep h times the fastest decay rate of eq. 30-32 (the valve
    relaxation, about (beta/pi) / (R_cv D(phi)) + 1/(2 pi lam R_cv)) at or below ``hk``.
    Classical RK4 is unstable beyond h k = 2.785: this is the stiff case R_cv,f A_t -> 0."""
    phi = np.linspace(0.0, _TWO_PI, 721)
    D = _D(phi, beta, kappa, S, alpha)
    G = np.abs(beta * np.sin(phi) + kappa * np.sin(phi - alpha)) / D
    gsum = (0.0 if math.isinf(R_cv_f) else 1.0 / R_cv_f) + (0.0 if math.isinf(R_cv_b) else 1.0 / R_cv_b)
    inv = 0.0 if math.isinf(lam) else 1.0 / (_TWO_PI * lam)
    k = float(np.max(G + gsum * (beta / math.pi / D + inv)))
    return max(1, math.ceil(_TWO_PI * k / hk))


def _post(sys_: _System, record, P_end, qH, qL, H0, L0, return_waves):
    """Metrics of eq. 33-48 from the recorded stage states of the converged cycle, integrated
    with the RK4 weights (the same as integrating them as extra ODE states)."""
    beta, kappa, alpha, gamma, chi = sys_.beta, sys_.kappa, sys_.alpha, sys_.gamma, sys_.chi
    N, h = sys_.N, sys_.h
    Y = np.asarray(record).reshape(N, 4, 3)
    P, H, L = Y[..., 0], Y[..., 1], Y[..., 2]
    phi0 = np.arange(N) * h
    phi = np.stack([phi0, phi0 + 0.5 * h, phi0 + 0.5 * h, phi0 + h], axis=1)
    wts = np.array([1.0, 2.0, 2.0, 1.0]) * (h / 6.0)

    def integral(f):
        return float(np.sum(f * wts))

    gF, gB, e, c2 = sys_.gF, sys_.gB, sys_.e, sys_.c2
    d = P - H
    f_hp = np.where(d > 0.0, d * gF, d * gB)
    d = L - P
    f_lp = np.where(d > 0.0, d * gF, d * gB)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(H >= L, (H / L) ** e, (L / H) ** e)   # T_out/T_in of the turbine
        psi = np.sqrt(c2 * (1.0 - ratio))
        Md_t = beta * sys_.cT * np.where(H >= L, H * psi, -L * psi)             # eq. 36
    Md_abs = np.abs(Md_t)   # a reversed nozzle (transients only) also expands its gas
    Wd_t = Md_abs * gamma / ((gamma - 1.0) * beta * chi) * (1.0 - ratio)        # eq. 39
    Q_E = -0.5 * integral(P * np.sin(phi))                                     # eq. 34
    W_C = 0.5 * kappa * integral(P * np.sin(phi - alpha))                      # eq. 35
    M_t = integral(Md_abs) / _TWO_PI                                           # eq. 37
    Q_L = integral(Wd_t) / _TWO_PI                                             # eq. 40-41
    W_net = W_C - Q_E - Q_L
    W_rev = Q_L * (beta * chi - 1.0) + Q_E * (beta - 1.0)
    eta = W_rev / W_net if W_net != 0.0 else math.nan                           # eq. 42
    Mc = P * 0.5 * kappa * (1.0 + np.cos(phi - alpha))                         # eq. 44
    Mc_max = float(Mc.max())
    Q_rg = Mc_max * gamma / (gamma - 1.0) * (beta - 1.0) / beta                # eq. 46
    Q_rec = M_t * gamma * (chi - 1.0) / ((gamma - 1.0) * beta * chi)           # eq. 48
    # second law: W_C - beta Q_E - beta chi Q_L = T_C S_gen / (p_charge V_E); S_gen from the
    # isothermal throttling in the valves and the heating of the turbine exhaust in the load
    # exchanger, the only irreversible processes of the model
    with np.errstate(invalid="ignore", divide="ignore"):
        lw_v = beta * (f_hp * np.log(P / H) + f_lp * np.log(L / P))
        lw_v = np.where(np.isfinite(lw_v), lw_v, 0.0)
        lw_x = Md_abs * gamma / (gamma - 1.0) * (-np.log(ratio) - (1.0 - ratio))
        lw_x = np.where(np.isfinite(lw_x), lw_x, 0.0)
    throughput = beta * integral(np.abs(f_hp) + np.abs(f_lp)) / _TWO_PI
    LW_valves = integral(lw_v) / _TWO_PI
    LW_hx = integral(lw_x) / _TWO_PI

    # grid waves (phi_0 .. phi_N = 2 pi)
    inv = sys_.inv
    Pg = np.append(P[:, 0], P_end)
    Hg = np.append(H[:, 0], H0 + qH * inv)
    Lg = np.append(L[:, 0], L0 + qL * inv)
    phig = np.arange(N + 1) * h
    Dg = _D(phig, beta, kappa, sys_.S, alpha)
    Wd_g = np.append(Wd_t[:, 0], Wd_t[0, 0])   # periodic
    out = {
        "Q_E": Q_E, "W_C": W_C, "Q_L": Q_L, "W_t": Q_L, "M_t": M_t,
        "eta_carnot": eta, "W_net": W_net, "W_rev": W_rev,
        "Q_rg": Q_rg, "Q_rec": Q_rec, "M_c_max": Mc_max,
        "LW_valves": LW_valves, "LW_load_hx": LW_hx, "valve_throughput": throughput,
        "second_law_residual": (W_C - beta * Q_E - beta * chi * Q_L) - (LW_valves + LW_hx),
        "Pi_min": float(Pg.min()), "Pi_max": float(Pg.max()),
        "phi_Pi_max": float(phig[int(np.argmax(Pg))]),
        "Pi_HP_mean": float(np.mean(Hg[:-1])), "Pi_LP_mean": float(np.mean(Lg[:-1])),
        "Pi_HP_min": float(Hg.min()), "Pi_HP_max": float(Hg.max()),
        "Pi_LP_min": float(Lg.min()), "Pi_LP_max": float(Lg.max()),
        "W_t_min": float(Wd_t.min()), "W_t_max": float(Wd_t.max()),
        "power_fluctuation": (float(Wd_t.max() - Wd_t.min()) / Q_L) if Q_L > 0.0 else math.nan,
    }
    if math.isinf(sys_.lam):
        out["mass_error"] = math.nan
    else:
        M0 = 0.5 * sys_.D0 + 2.0 * beta * sys_.lam
        M = 0.5 * Pg * Dg + beta * sys_.lam * (Hg + Lg)
        out["mass_error"] = float(np.max(np.abs(M / M0 - 1.0)))
        out["mass_drift_per_cycle"] = float(M[-1] / M[0] - 1.0)
    if return_waves:
        out["waves"] = {
            "phi": phig, "Pi": Pg, "Pi_HP": Hg, "Pi_LP": Lg,
            "Mdot_cv_HP": beta * np.append(f_hp[:, 0], f_hp[0, 0]),
            "Mdot_cv_LP": beta * np.append(f_lp[:, 0], f_lp[0, 0]),
            "Mdot_t": np.append(Md_t[:, 0], Md_t[0, 0]), "Wdot_t": Wd_g,
            "M_total": (0.5 * Pg * Dg + beta * sys_.lam * (Hg + Lg)) if inv else None,
        }
    return out


def _shoot(sy: _System, tol: float, max_cycles: int, guess, counter: list) -> tuple[float, float, float, int]:
    """Newton-Broyden shooting on the cycle map; returns (Pi, Pi_HP, Pi_LP) at phi = 0 and the
    number of Newton iterations.

    The right-hand side of eq. 30-32 is homogeneous of degree one in the pressures, and so is
    the RK4 cycle map P; with M(y) = Pi D(0)/2 + beta lam (Pi_HP + Pi_LP) (linear), the
    discrete cyclic steady state reached by marching from the charge state is the ray
    P(y) = mu y with M(y) = M_0, mu - 1 the integration's relative mass drift per cycle (the
    exact equations have mu = 1).  Unknowns Pi(0), Pi_HP(0) (Pi_LP(0) from M = M_0), residuals
    Pi(2 pi) - mu Pi(0) and lam (Pi_HP(2 pi) - mu Pi_HP(0)) (finite for lam = inf)."""
    cm, D0, beta = sy.cm, sy.D0, sy.beta
    lam_over_M0 = 1.0 / (2.0 * beta) if sy.inv == 0.0 else 1.0 / (D0 / (2.0 * sy.lam) + 2.0 * beta)
    ntol = 1e-3 * tol  # Newton goes well below the criterion: the metrics are then exact to it

    def resid(u):
        P0, H0 = u
        L0 = 2.0 + cm * (1.0 - P0) - H0
        if not (P0 > 0.0 and H0 > 0.0 and L0 > 0.0):
            return None
        counter[0] += 1
        try:
            P1, qH, qL = sy.cycle(P0, H0, L0)
        except (ValueError, ZeroDivisionError, OverflowError, TypeError):
            return None   # negative pressures mid-cycle (an unstable step count): no value
        dM = (P1 - P0) * (0.5 * D0) + beta * (qH + qL) / _TWO_PI   # M(2 pi) - M_0
        lam_mu = dM * lam_over_M0                                  # lam (mu - 1)
        r = (P1 - P0 - lam_mu * sy.inv * _TWO_PI * P0, qH / _TWO_PI - lam_mu * H0)
        if not (math.isfinite(r[0]) and math.isfinite(r[1])):
            return None
        return r

    def jac(u, r):
        J = [[0.0, 0.0], [0.0, 0.0]]
        for k in range(2):
            step = 1e-6 * max(1.0, abs(u[k]))
            v = list(u)
            v[k] += step
            rv = resid(v)
            if rv is None:
                v[k] -= 2.0 * step
                step = -step
                rv = resid(v)
                if rv is None:
                    raise CyclicSteadyStateError("cannot evaluate the cycle map near the iterate")
            J[0][k] = (rv[0] - r[0]) / step
            J[1][k] = (rv[1] - r[1]) / step
        return J

    # r[1] is lam times a pressure change and, for lam -> inf, the net flow into the
    # high-pressure buffer per cycle: both must be small
    w2 = 1.0 if sy.inv == 0.0 else max(1.0, 1.0 / sy.lam)

    def norm(r):
        return max(abs(r[0]), w2 * abs(r[1]))

    # default start: the charge state with the high-pressure buffer a little above it, away
    # from Pi_HP = Pi_LP where the nozzle flow (eq. 21) has an infinite derivative
    start = [1.0, 1.0 + _START_OFFSET]
    u = list(guess) if guess is not None else start
    r = resid(u)
    if r is None and guess is not None:
        u = start
        r = resid(u)
    if r is None:
        raise CyclicSteadyStateError("the integration blew up from the start state")
    J = jac(u, r)
    fresh = True
    it = 0
    while True:
        det = J[0][0] * J[1][1] - J[0][1] * J[1][0]
        if det == 0.0 or not math.isfinite(det):
            raise CyclicSteadyStateError("singular cycle-map Jacobian")
        du = [-(J[1][1] * r[0] - J[0][1] * r[1]) / det, -(-J[1][0] * r[0] + J[0][0] * r[1]) / det]
        # converged: small residuals and a Newton correction of the pressures below ntol (the
        # second test matters where the flows are feeble, e.g. R_cv large: there the
        # residuals are small long before the buffer pressures are periodic)
        if norm(r) < ntol and max(abs(du[0]), abs(du[1])) < ntol:
            break
        if counter[0] >= max_cycles:
            raise CyclicSteadyStateError(f"no cyclic steady state in {max_cycles} cycles "
                                         f"(residual {norm(r):.2e})")
        it += 1
        t = 1.0
        nr = norm(r)
        accepted = None
        for _ in range(20 if fresh else 3):  # a stale (Broyden) Jacobian gets few halvings
            v = [u[0] + t * du[0], u[1] + t * du[1]]
            rv = resid(v)
            if rv is not None and norm(rv) < (1.0 - 1e-4 * t) * nr:
                accepted = (v, rv)
                break
            t *= 0.5
        if accepted is None:
            if fresh:
                raise CyclicSteadyStateError(f"Newton stalled at residual {nr:.2e}")
            J = jac(u, r)   # Broyden's Jacobian went stale: recompute and retry
            fresh = True
            continue
        v, rv = accepted
        s = (v[0] - u[0], v[1] - u[1])
        ss = s[0] * s[0] + s[1] * s[1]
        y = (rv[0] - r[0] - J[0][0] * s[0] - J[0][1] * s[1],
             rv[1] - r[1] - J[1][0] * s[0] - J[1][1] * s[1])
        if ss > 0.0:  # Broyden's good update
            for i in range(2):
                for k in range(2):
                    J[i][k] += y[i] * s[k] / ss
        fresh = False
        u, r = v, rv
    P0, H0 = u
    return P0, H0, 2.0 + cm * (1.0 - P0) - H0, it


def _march(sy: _System, tol: float, max_cycles: int, counter: list):
    """The paper's procedure: cycles from the charge state until no pressure changes by tol.
    Returns the start state of the cycle that met the criterion (the caller integrates it
    again, recording) and the number of cycles."""
    P0 = H0 = L0 = 1.0
    n = 0
    while True:
        try:
            P1, qH, qL = sy.cycle(P0, H0, L0)
        except (ValueError, ZeroDivisionError, OverflowError, TypeError):
            raise CyclicSteadyStateError("the integration blew up (negative pressures; too few "
                                         "steps per cycle?)") from None
        counter[0] += 1
        n += 1
        H1, L1 = H0 + qH * sy.inv, L0 + qL * sy.inv
        change = max(abs(P1 - P0), abs(H1 - H0), abs(L1 - L0))
        if not math.isfinite(change):
            raise CyclicSteadyStateError("the integration blew up (too few steps per cycle?)")
        if change < tol:
            return P0, H0, L0, n
        P0, H0, L0 = P1, H1, L1
        if counter[0] >= max_cycles:
            raise CyclicSteadyStateError(f"no cyclic steady state in {max_cycles} cycles "
                                         f"(last change {change:.2e})")


def cyclic_steady_state(beta: float, kappa: float, S: float, alpha: float, lam: float,
                        gamma: float, chi: float, A_t: float, R_cv_f: float,
                        R_cv_b: float = math.inf, steps_per_cycle: int | None = None,
                        tol: float = 1e-4, max_cycles: int = 5000, *,
                        method: str = "shooting", return_waves: bool = False,
                        guess: tuple[float, float] | None = None,
                        error_tol: float = _ERROR_TOL, max_steps: int = _MAX_STEPS) -> dict:
    """Cyclic steady state of the hybrid Stirling / reverse-Brayton cooler, eq. 30-32, and its
    performance metrics, eq. 33-48 (all dimensionless; see the module docstring for the groups
    and the metric definitions).

    Parameters are the paper's groups: ``beta`` = T_C/T_E (eq. 6), ``kappa`` swept volume
    ratio, ``S`` reduced dead volume (eq. 5), ``alpha`` phase angle [rad], ``lam`` = V_B/V_E
    (eq. 28; ``math.inf``: infinite buffers, whose constant pressures then satisfy zero net
    flow per cycle and Pi_HP + Pi_LP = 2, the limit of the charge-mass constraint), ``gamma``,
    ``chi`` = T_E/T_L (eq. 29), ``A_t`` (eq. 27), ``R_cv_f``, ``R_cv_b`` (eq. 26; both
    ``math.inf``: valves shut, the closed Stirling cycle of :func:`schmidt_limit`, returned as
    the first cycle from the charge state).

    ``steps_per_cycle``: fixed RK4 steps per cycle.  ``None`` (automatic): start from
    max(100, :func:`stable_steps`) (the paper uses >= 100; the stiff case R_cv,f A_t -> 0
    needs more) and double while the solution's own error indicators exceed ``error_tol``
    (``error_estimate`` in the result, zero for the exact solution): the second-law residual
    |W_C - beta Q_E - beta chi Q_L - T_C S_gen| relative to W_C, and the gas gained per cycle
    by the integration's drift relative to the gas through the valves (it matters for feeble
    valve flows, R_cv large); or while the drift is too large for the criterion; up to
    ``max_steps``.  An explicit count beyond RK4's stability limit gives a warning.
    ``tol``: the paper's criterion, max |change of Pi, Pi_HP, Pi_LP over a cycle| < tol.
    ``method``: "shooting" (default; Newton on the cycle map, see :func:`_shoot`) or "march"
    (the paper's: cycles from the charge state until the criterion holds; slow for large lam).
    ``max_cycles``: bound on the cycles integrated (per step count).  ``guess``: (Pi(0),
    Pi_HP(0)) to start the shooting from.

    Returns a dict with Q_E, W_C, Q_L (= W_t), M_t, eta_carnot, Q_rg, Q_rec, Pi_min, Pi_max,
    power_fluctuation ((max - min)/mean of the instantaneous turbine power, eq. 39), the
    second-law check (LW_valves, LW_load_hx, second_law_residual), mass_error (largest relative
    departure of the total gas from the charge gas over the returned cycle), change (the
    criterion's value over the returned cycle), cycles (cycles integrated, all step counts),
    steps_per_cycle, state0 (Pi, Pi_HP, Pi_LP at phi = 0) and, with ``return_waves``,
    ``waves``: arrays phi, Pi, Pi_HP, Pi_LP, Mdot_cv_HP, Mdot_cv_LP, Mdot_t, Wdot_t, M_total
    on the step grid (phi = 0 .. 2 pi).
    """
    if method not in ("shooting", "march"):
        raise ValueError("method must be 'shooting' or 'march'")
    if method == "march" and math.isinf(lam):
        raise ValueError("method='march' needs finite buffers (lam < inf)")
    auto = steps_per_cycle is None
    if auto:
        N = max(_MIN_STEPS, stable_steps(beta, kappa, S, alpha, lam, R_cv_f, R_cv_b))
        if N > max_steps:
            raise CyclicSteadyStateError(f"too stiff: RK4 needs {N} steps per cycle "
                                         f"(> max_steps = {max_steps})")
    else:
        N = int(steps_per_cycle)
        if N < 1:
            raise ValueError("steps_per_cycle must be >= 1")
        need = stable_steps(beta, kappa, S, alpha, lam, R_cv_f, R_cv_b, hk=_RK4_STABLE)
        if N < need:
            warnings.warn(f"{N} steps per cycle is beyond RK4's stability limit for these "
                          f"valves (needs >= {need}); the result may be wrong", RuntimeWarning,
                          stacklevel=2)
    counter = [0]
    while True:
        sy = _System(beta, kappa, S, alpha, lam, gamma, chi, A_t, R_cv_f, R_cv_b, N)
        try:
            if sy.shut:
                # valves shut: the stage keeps its charge gas and the buffers stay at 1 (no
                # turbine flow); the exact solution is periodic from the first cycle, so the
                # cycle from the charge state is returned and its 'change' is the
                # integration's non-closure, not a convergence test
                state, iterations = (1.0, 1.0, 1.0), 0
            elif method == "march":
                *state, iterations = _march(sy, tol, counter[0] + max_cycles, counter)
            else:
                *state, iterations = _shoot(sy, tol, counter[0] + max_cycles, guess, counter)
            rec = []
            P_end, qH, qL = sy.cycle(*state, rec)
            if method != "march" or sy.shut:   # (the march's last cycle is counted already)
                counter[0] += 1
            out = _post(sy, rec, P_end, qH, qL, state[1], state[2], return_waves)
            ok = all(math.isfinite(out[k]) for k in ("Q_E", "W_C", "Q_L"))
            # error indicators, zero for the exact solution: the second-law residual relative
            # to W_C, and the gas gained per cycle (the integration's drift) relative to the
            # gas through the valves, whose balance sets the buffer pressures
            dM = (P_end - state[0]) * (0.5 * sy.D0) + beta * (qH + qL) / _TWO_PI
            error = (max(abs(out["second_law_residual"]) / max(abs(out["W_C"]), 1e-300),
                         abs(dM) / out["valve_throughput"] if out["valve_throughput"] > 0 else 0.0)
                     if ok else math.inf)
            change = max(abs(P_end - state[0]), abs(qH * sy.inv), abs(qL * sy.inv))
            failure = None if ok else "the integration blew up"
        except CyclicSteadyStateError as exc:
            if not auto or 2 * N > max_steps:
                raise
            failure, error, change = str(exc), math.inf, math.inf
        if not auto or 2 * N > max_steps:
            break
        if failure is None:
            # (a marched cycle that met the criterion need not be periodic, so the second-law
            # residual is no error indicator there: the march refines only on failure)
            if sy.shut or method == "march" or (error <= error_tol and change < tol):
                break
            guess = (state[0], state[1])
        N *= 2
    if failure is not None:
        raise CyclicSteadyStateError(failure)
    out.update(change=change, cycles=counter[0], iterations=iterations, steps_per_cycle=N,
               method=method, state0=tuple(state), error_estimate=error,
               net_flow_HP=beta * qH / _TWO_PI, net_flow_LP=beta * qL / _TWO_PI)
    if not sy.shut:
        if change >= tol:
            raise CyclicSteadyStateError(
                f"criterion not met at {N} steps per cycle: change {change:.2e} >= {tol:g} "
                f"(the integration's mass drift per cycle; more steps per cycle)")
        if math.isinf(lam) and abs(out["net_flow_HP"]) >= tol:
            raise CyclicSteadyStateError("infinite buffers: net buffer flow per cycle not zero")
    if auto and method == "shooting" and error > error_tol:
        warnings.warn(f"second-law residual {error:.1e} of W_C above error_tol at the largest "
                      f"step count {N}", RuntimeWarning, stacklevel=2)
    return out


# --------------------------------------------------------------------------------------------
# SI set-up
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class HybridSI:
    """The hybrid cooler in SI quantities; :meth:`groups` gives the dimensionless groups of
    eq. 5, 6, 25-29 and :meth:`solve` the cyclic steady state with SI powers.

    Temperatures [K]: T_C compression space, T_E expansion space and buffers, T_L load (turbine
    inlet), T_D dead volume.  Volumes [m^3]: V_E and V_C swept, V_D dead, V_B each buffer.
    phase: alpha [rad]; frequency [Hz] (tau = 1/frequency); r_cv_f, r_cv_b [Pa s/kg];
    a_t turbine nozzle area [m^2]; p_charge [Pa]; R_gas [J/(kg K)]; gamma = cp/cv."""

    T_C: float
    T_E: float
    T_L: float
    T_D: float
    V_E: float
    V_C: float
    V_D: float
    V_B: float
    phase: float
    frequency: float
    r_cv_f: float
    a_t: float
    p_charge: float
    R_gas: float = 2077.1     # helium
    gamma: float = 5.0 / 3.0
    r_cv_b: float = math.inf

    @property
    def tau(self) -> float:
        return 1.0 / self.frequency

    def groups(self) -> dict:
        """beta, kappa, S, alpha, lam, gamma, chi, A_t, R_cv_f, R_cv_b (eq. 5, 6, 25-29)."""
        tau, R = self.tau, self.R_gas
        rscale = self.V_E / (R * self.T_E * tau)                               # eq. 26
        return {
            "beta": self.T_C / self.T_E,                                        # eq. 6
            "kappa": self.V_C / self.V_E,
            "S": self.V_D * self.T_C / (self.V_E * self.T_D),                  # eq. 5
            "alpha": self.phase,
            "lam": self.V_B / self.V_E,                                         # eq. 28
            "gamma": self.gamma,
            "chi": self.T_E / self.T_L,                                         # eq. 29
            "A_t": self.a_t * tau * math.sqrt(self.gamma * R * self.T_L) / self.V_E,  # eq. 27
            "R_cv_f": self.r_cv_f * rscale,
            "R_cv_b": self.r_cv_b * rscale,
        }

    @classmethod
    def from_groups(cls, beta: float, kappa: float, S: float, alpha: float, lam: float, chi: float,
                    A_t: float, R_cv_f: float, R_cv_b: float = math.inf, gamma: float = 5.0 / 3.0, *,
                    T_E: float = 90.0, V_E: float = 2e-5, frequency: float = 50.0,
                    p_charge: float = 2e6, T_D: float | None = None,
                    R_gas: float = 2077.1) -> "HybridSI":
        """The SI set-up with the paper's dimensionless groups (eq. 5, 6, 25-29, inverted) at the
        scales ``T_E`` [K], ``V_E`` [m^3], ``frequency`` [Hz] and ``p_charge`` [Pa] (the groups do
        not fix them; the defaults are the scenario's); the dead space at ``T_D`` [K] (default
        the mean of T_C and T_E).  ``from_groups(**g, ...).groups()`` returns ``g``."""
        T_C = beta * T_E
        T_L = T_E / chi
        T_D = 0.5 * (T_C + T_E) if T_D is None else T_D
        tau = 1.0 / frequency
        rscale = V_E / (R_gas * T_E * tau)                                      # eq. 26
        return cls(T_C=T_C, T_E=T_E, T_L=T_L, T_D=T_D, V_E=V_E, V_C=kappa * V_E,
                   V_D=S * V_E * T_D / T_C, V_B=lam * V_E, phase=alpha, frequency=frequency,
                   r_cv_f=R_cv_f / rscale, r_cv_b=R_cv_b / rscale,
                   a_t=A_t * V_E / (tau * math.sqrt(gamma * R_gas * T_L)),      # eq. 27
                   p_charge=p_charge, R_gas=R_gas, gamma=gamma)

    def actor_parameters(self) -> dict[str, float]:
        """This set-up as ``{"actor.parameter": SI value}`` overrides of the co-simulated cooler
        (``scenarios/hybrid_stirling.toml``'s actors: stage, hp_valve, lp_valve, hp_buffer,
        lp_buffer, turbine, hx), e.g. ``cryocosim.scenario.load(path, overrides)``."""
        r_back = 0.0 if math.isinf(self.r_cv_b) else self.r_cv_b    # 0: the valve model's sealed
        out = {"stage.T_compression": self.T_C, "stage.T_expansion": self.T_E,
               "stage.T_dead": self.T_D, "stage.swept_volume_expansion": self.V_E,
               "stage.swept_volume_compression": self.V_C, "stage.dead_volume": self.V_D,
               "stage.phase": self.phase, "stage.frequency": self.frequency,
               "stage.p_charge": self.p_charge, "turbine.area": self.a_t,
               "hx.T_warm": self.T_E, "hx.T_load": self.T_L}
        for side in ("hp", "lp"):
            out.update({f"{side}_valve.r_forward": self.r_cv_f, f"{side}_valve.r_back": r_back,
                        f"{side}_buffer.volume": self.V_B, f"{side}_buffer.temperature": self.T_E,
                        f"{side}_buffer.p_start": self.p_charge})
        return out

    def solve(self, **kwargs) -> dict:
        """:func:`cyclic_steady_state` of :meth:`groups`, plus SI results: cycle-mean powers
        [W] q_E_W, w_C_W, q_L_W, q_rg_W, q_rec_W (energy per cycle times p_charge V_E / tau),
        the mean turbine flow mdot_t_kg_s and pressures p_min/p_max [Pa]."""
        out = cyclic_steady_state(**self.groups(), **kwargs)
        pw = self.p_charge * self.V_E / self.tau
        out.update(q_E_W=out["Q_E"] * pw, w_C_W=out["W_C"] * pw, q_L_W=out["Q_L"] * pw,
                   q_rg_W=out["Q_rg"] * pw, q_rec_W=out["Q_rec"] * pw,
                   mdot_t_kg_s=out["M_t"] * self.p_charge * self.V_E / (self.R_gas * self.T_C * self.tau),
                   p_min=out["Pi_min"] * self.p_charge, p_max=out["Pi_max"] * self.p_charge)
        return out
