"""Dynamic interactions: a perpetrator's concentration-time course -> enzyme activity over time.

A perpetrator acts on the enzymes of :data:`popsim.drugs.library.INHIBITED`
at the sites of :data:`SITES`: CYP3A4 in liver and gut wall, CYP2C19 in the
liver.  For one subject (scalars and ``(time,)`` arrays; ``simulate.py``
batches):

1. the perpetrator is simulated on the grid with its own individual
   parameters (:mod:`popsim.params.derive`); the unbound concentration at the
   liver inlet is ``fu (C_sys + FG Fa ka A_lumen / Qh)`` and in the enterocytes
   ``fu_gut Fa ka A_lumen / Q_ent`` (the "Q_gut" model: drug crossing the gut wall; ``fu_gut``
   the entry's unbound fraction in the enterocytes, 1 unless given),
   both converted to umol/L with the molar mass (only the absorbed fraction
   of the dose enters the gut wall, and only what escapes it the portal vein);
2. the amount of active enzyme ``E`` (1 = baseline) of each enzyme at each
   site follows turnover with mechanism-based inactivation and induction,
   ``dE/dt = kdeg (1 + Emax I/(EC50 + I)) - (kdeg + kinact I/(KI + I)) E``,
   with that enzyme's constants and degradation rate (:data:`TURNOVER`),
   solved exactly within each grid step with ``I`` held at its value at the
   start of the step;
3. the activity left is ``E / (1 + I/Ki)`` (reversible inhibition on top).

The victim's clearance (each enzyme's share of it) and oral bioavailability
then follow the activities through piecewise-constant parameter segments
(:func:`popsim.params.derive.pk_parameters`).

Gut-wall CYP2C19 is not represented: the intestine holds about 1/43 as much
CYP2C19 as CYP3A4 (literature.md P86, Olivares-Morales 2016 and Galetin &
Houston 2006; PK-Sim's RT-PCR ratio 1.28 is the outlier), and no library
victim has a gut-wall extraction attributed to CYP2C19 (the entries' ``fg``
are CYP3A4's).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

from popsim.drugs.library import Drug, EnzymeEffect
from popsim.params.physiology import Constant

__all__ = ["SITES", "TURNOVER", "activities", "activity", "enzyme_course", "inhibitor_concentrations"]

SITES = {"cyp3a4": ("liver", "gut"), "cyp2c19": ("liver",)}  # where each enzyme is inhibited

_P98 = ("Obach RS et al. 2007; Greenblatt DJ et al. 2003, as used in the OSP Rifampicin and Ritonavir models "
        "(literature.md P98, P22)")
_KDEG_LIVER = 0.0193  # 1/h, hepatic CYP3A4 half-life 36 h (P98); also CYP2C19's assumed value
TURNOVER = {
    "kdeg_cyp3a4_liver": Constant(_KDEG_LIVER, "1/h", "hepatic CYP3A4 degradation rate, half-life 36 h: " + _P98 + ". "
                                  "Value V; its range (half-lives 23-139 h, Yang J et al. 2008 Curr Drug Metab 9:384) "
                                  "is memory, unverified, a prior only", "V", (0.005, 0.03)),
    "kdeg_cyp3a4_gut": Constant(0.0301, "1/h", "enterocyte CYP3A4 degradation rate, half-life 23 h: " + _P98 + ". "
                                "Value V; its range is memory, unverified, a prior only", "V", (0.02, 0.05)),
    "kdeg_cyp2c19_liver": Constant(_KDEG_LIVER, "1/h", "hepatic CYP2C19 degradation rate: no value in literature.md "
                                   "(searched: P73-P100 give CYP3A4 turnover only); popsim assumption, taken as "
                                   "CYP3A4's half-life of 36 h (P98), the range half-lives 18-100 h", "A",
                                   (0.0069, 0.0385)),
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


def enzyme_course(effect: EnzymeEffect, inhibitor_um: Float[Array, " time"], dt: float, kdeg: float
                  ) -> Float[Array, " time"]:
    """Active enzyme relative to baseline at each grid time (left limits; E = 1 at t = 0) under ``effect``."""
    I = inhibitor_um
    zero = jnp.zeros_like(I)
    loss = effect.kinact_max.value * I / (effect.KI.value + I) if effect.KI is not None else zero
    gain = effect.emax.value * I / (effect.ec50.value + I) if effect.emax is not None else zero
    lam = kdeg + loss
    e_ss = kdeg * (1.0 + gain) / lam
    decay = jnp.exp(-lam * dt)

    def step(e, x):
        ess, d = x
        return ess + (e - ess) * d, e

    _, course = jax.lax.scan(step, jnp.ones((), I.dtype), (e_ss, decay))
    return course


def activity(effect: EnzymeEffect, inhibitor_um: Float[Array, " time"], enzyme: Float[Array, " time"]
             ) -> Float[Array, " time"]:
    """Fraction of baseline activity left: active enzyme over ``1 + I/Ki``."""
    return enzyme if effect.ki is None else enzyme / (1.0 + inhibitor_um / effect.ki.value)


def activities(drug: Drug, liver_um: Float[Array, " time"], gut_um: Float[Array, " time"], dt: float
               ) -> dict[str, dict[str, Float[Array, " time"]]]:
    """Activity left at each grid time, ``{site: {enzyme: (time,)}}``, for every enzyme the perpetrator acts
    on at every site of :data:`SITES` (from :func:`inhibitor_concentrations`)."""
    conc = {"liver": liver_um, "gut": gut_um}
    out: dict[str, dict] = {"liver": {}, "gut": {}}
    for enzyme, effect in drug.inhibition.enzymes.items():
        for site in SITES[enzyme]:
            kdeg = TURNOVER[f"kdeg_{enzyme}_{site}"].value
            out[site][enzyme] = activity(effect, conc[site], enzyme_course(effect, conc[site], dt, kdeg))
    return out
