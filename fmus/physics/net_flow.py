"""The net gas flow into a volume, mdot_in - mdot_out, over a communication step: held, or as the
polynomial the master gives under a coupling order >= 1 (``Actor.input_derivatives``).  Shared by
the hybrid cooler's buffers and Stirling stage."""
from __future__ import annotations


def net_flow(actor) -> tuple[float, float, float]:
    """(q, dq/dt, d2q/dt2) at the step's start of q = mdot_in - mdot_out [kg/s, kg/s2, kg/s3];
    the derivatives are 0 for held inputs."""
    q = actor.mdot_in - actor.mdot_out
    der = actor.input_derivatives
    if not der:
        return q, 0.0, 0.0
    a1, a2 = der.get("mdot_in", (0.0, 0.0))
    b1, b2 = der.get("mdot_out", (0.0, 0.0))
    return q, a1 - b1, a2 - b2
