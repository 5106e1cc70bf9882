"""The cycle metrics of a co-simulation of the hybrid Stirling / reverse-Brayton cooler, in the
dimensionless form of Nellis & Maddocks, Cryogenics 43 (2003) 31-43 (seed 001) that the
monolithic model (:func:`cryocosim.fmus.reference.hybrid.cyclic_steady_state`) returns, so that
the two compare key by key.

Used by ``tests/test_hybrid_actors.py`` and ``docs/scripts/hybrid_cosim_study.py``.  Only numpy:
the result is read through ``ds["name"].values`` (an xarray Dataset of a run or a result file).
"""
from __future__ import annotations

import numpy as np

__all__ = ["cycle_metrics"]

#: largest distance [s] of a record from a cycle boundary it stands for
BOUNDARY_TOLERANCE = 1e-9


def cycle_metrics(ds, period: float, p_charge: float, swept_volume_expansion: float, *,
                  stage: str = "stage", hp_buffer: str = "hp_buffer", lp_buffer: str = "lp_buffer",
                  turbine: str = "turbine", exchangers: str = "hx") -> dict[str, float]:
    """Dimensionless metrics of the last cycle of a co-simulated hybrid cooler.

    ``ds``: the run's result, whose last record ends a cycle and which has records one and two
    cycles before it (an output interval that divides the period does); ``period`` [s]: the
    Stirling cycle 1/f; ``p_charge`` [Pa] and ``swept_volume_expansion`` [m3]: the stage's
    charge pressure and expansion swept volume V_E.  The actors are named as in
    ``scenarios/hybrid_stirling.toml`` (keywords for other names).

    The energies per cycle are differences of the actors' cumulative energies [J] at the last
    two cycle boundaries, over p_charge V_E (the paper's normalisation, eq. 33-41):

    * ``W_C`` -- compression work input, eq. 35 (the stage's ``work_compression``, -int p dV_c);
    * ``Q_E`` -- expansion work = heat absorbed at T_E, eq. 33-34 (``work_expansion``, int p dV_e);
    * ``Q_L`` -- refrigeration at T_L, eq. 40-41 (the exchangers' ``energy_load``);
    * ``W_t`` -- turbine shaft work, eq. 38 over the cycle (the turbine's ``work``; = Q_L with
      ideal exchangers, eq. 41);
    * ``Q_L_previous`` -- Q_L over the cycle before (equal to Q_L at the cyclic steady state);
    * ``Pi_min``, ``Pi_max`` -- the stage pressure's extremes over the last cycle over p_charge
      (the stage's ``p_min_cycle``, ``p_max_cycle`` at the last record);
    * ``mass_error`` -- the largest |M/M_0 - 1| over the records, M the gas [kg] in the stage
      and both buffers (eq. 12-16 conserve it; the monolithic model's ``mass_error`` likewise).

    A ``ValueError`` when the result has no record within ``BOUNDARY_TOLERANCE`` of one of
    the two earlier cycle boundaries.
    """
    cycle_energy = p_charge * swept_volume_expansion  # J: the paper's energies are over p_charge V_E
    t = ds["time"].values
    i1 = int(np.argmin(np.abs(t - t[-1])))
    i0 = int(np.argmin(np.abs(t - (t[-1] - period))))
    i_1 = int(np.argmin(np.abs(t - (t[-1] - 2 * period))))
    if (abs(t[i0] - (t[-1] - period)) > BOUNDARY_TOLERANCE
            or abs(t[i_1] - (t[-1] - 2 * period)) > BOUNDARY_TOLERANCE):
        raise ValueError(f"no records at the last cycle boundaries (t = {t[-1] - period:.9g} s and "
                         f"{t[-1] - 2 * period:.9g} s): a run of at least two cycles of {period:g} s "
                         "with an output interval that divides the cycle is needed")

    def per_cycle(var, a, b):
        return float(ds[var].values[b] - ds[var].values[a]) / cycle_energy

    M = ds[f"{stage}.mass"].values + ds[f"{hp_buffer}.mass"].values + ds[f"{lp_buffer}.mass"].values
    return {
        "W_C": per_cycle(f"{stage}.work_compression", i0, i1),
        "Q_E": per_cycle(f"{stage}.work_expansion", i0, i1),
        "Q_L": per_cycle(f"{exchangers}.energy_load", i0, i1),
        "W_t": per_cycle(f"{turbine}.work", i0, i1),
        "Q_L_previous": per_cycle(f"{exchangers}.energy_load", i_1, i0),
        "Pi_min": float(ds[f"{stage}.p_min_cycle"].values[i1]) / p_charge,
        "Pi_max": float(ds[f"{stage}.p_max_cycle"].values[i1]) / p_charge,
        "mass_error": float(np.max(np.abs(M / M[0] - 1.0))),
    }
