"""Dynamic CYP3A4 interactions: a perpetrator's concentration-time course -> CYP3A4 activity over time.

For one subject (scalars and ``(time,)`` arrays; ``simulate.py`` batches):

1. the perpetrator is simulated on the grid with its own individual
   parameters (:mod:`popsim.params.derive`); the unbound concentration at the
   liver inlet is ``fu (C_sys + FG Fa ka A_lumen / Qh)`` and in the enterocytes
   ``fu_gut Fa ka A_lumen / Q_ent`` (the "Q_gut" model: drug crossing the gut wall; ``fu_gut``
   the entry's unbound fraction in the enterocytes, 1 unless given),
   both converted to umol/L with the molar mass (only the absorbed fraction
   of the dose enters the gut wall, and only what escapes it the portal vein);
2. the amount of active enzyme ``E`` (1 = baseline) in liver and gut follows
   turnover with mechanism-based inactivation and induction,
   ``dE/dt = kdeg (1 + Emax I/(EC50 + I)) - (kdeg + kinact I/(KI + I)) E``,
   solved exactly within each grid step with ``I`` held at its value at the
   start of the step;
3. the activity left is ``E / (1 + I/Ki)`` (reversible inhibition on top).

The victim's clearance and oral bioavailability then follow the activity
through piecewise-constant parameter segments (:mod:`popsim.params.derive`).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

from popsim.drugs.library import Drug
from popsim.params.physiology import Constant

__all__ = ["TURNOVER", "activity", "enzyme_course", "inhibitor_concentrations"]

TURNOVER = {
    "kdeg_liver": Constant(0.0193, "1/h", "hepatic CYP3A4 degradation rate (half-life 36 h), Simcyp default after "
                           "Yang J et al. 2008 Curr Drug Metab 9:384 (memory, unverified)", "M", (0.005, 0.03)),
    "kdeg_gut": Constant(0.03, "1/h", "enterocyte CYP3A4 degradation rate (half-life 23 h), Simcyp default "
                         "(memory, unverified)", "M", (0.02, 0.05)),
    "q_ent_l_h": Constant(18.0, "L/h", "enterocytic blood flow of the Q_gut model, Yang J et al. 2007 Curr Drug "
                          "Metab 8:676 (memory, unverified)", "M", (10.0, 30.0)),
}


def inhibitor_concentrations(
    drug: Drug,
    c_sys_mg_l: Float[Array, " time"],
    lumen_mg: Float[Array, " time"],
    ka: Float[Array, ""],
    qh_l_h: Float[Array, ""],
) -> tuple[Float[Array, " time"], Float[Array, " time"]]:
    """Unbound perpetrator at the liver inlet and in the enterocytes (umol/L).

    ``c_sys_mg_l`` systemic plasma concentration; ``lumen_mg`` the oral dose
    still in the gut lumen.  A fraction ``Fa`` of what leaves the lumen
    (``ka A_lumen``) crosses into the enterocytes, and a fraction ``FG`` of
    that reaches the portal vein (both from the entry's oral route, as for a
    victim: :func:`popsim.params.derive.fraction_absorbed`).
    """
    from popsim.params.derive import fraction_absorbed

    to_um = 1000.0 / drug.mw.value
    oral = drug.routes.get("oral")
    fa = fraction_absorbed(drug) if oral is not None else 0.0
    fg = oral.fg.value if oral is not None and oral.fg is not None else 1.0
    flux = fa * ka * lumen_mg  # mg/h entering the gut wall
    liver = drug.fu.value * (c_sys_mg_l + fg * flux / qh_l_h) * to_um
    fu_gut = drug.inhibition.fu_gut.value if drug.inhibition is not None and drug.inhibition.fu_gut is not None else 1.0
    gut = fu_gut * flux / TURNOVER["q_ent_l_h"].value * to_um
    return liver, gut


def enzyme_course(drug: Drug, inhibitor_um: Float[Array, " time"], dt: float, kdeg: float) -> Float[Array, " time"]:
    """Active enzyme relative to baseline at each grid time (left limits; E = 1 at t = 0)."""
    inh = drug.inhibition
    I = inhibitor_um
    zero = jnp.zeros_like(I)
    loss = inh.kinact_max.value * I / (inh.KI.value + I) if inh.KI is not None else zero
    gain = inh.emax.value * I / (inh.ec50.value + I) if inh.emax is not None else zero
    lam = kdeg + loss
    e_ss = kdeg * (1.0 + gain) / lam
    decay = jnp.exp(-lam * dt)

    def step(e, x):
        ess, d = x
        return ess + (e - ess) * d, e

    _, course = jax.lax.scan(step, jnp.ones((), I.dtype), (e_ss, decay))
    return course


def activity(drug: Drug, inhibitor_um: Float[Array, " time"], enzyme: Float[Array, " time"]) -> Float[Array, " time"]:
    """Fraction of baseline CYP3A4 activity left: active enzyme over ``1 + I/Ki``."""
    ki = drug.inhibition.ki
    return enzyme if ki is None else enzyme / (1.0 + inhibitor_um / ki.value)
