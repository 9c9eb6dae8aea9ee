"""A library drug + one subject's physiology -> the grid model's PK parameters.

Clearance is built from pathways (all for one subject, scalars):

* at the reference physiology, the drug's plasma clearance ``CL`` splits into
  renal ``fe CL`` and hepatic ``(1 - fe) CL``; the hepatic part, in blood
  (``/BP``), is inverted through the well-stirred liver
  ``CL_Hb = Qh fub CLint / (Qh + fub CLint)`` to an intrinsic clearance,
  split over CYP3A4, CYP2C19, UGT and other enzymes by the drug's fractions
  of non-renal clearance;
* for a subject, each enzyme's intrinsic clearance is scaled by liver size
  and that enzyme's relative activity (and, for CYP3A4 and CYP2C19, by the
  time-varying activity left by a perpetrator), the unbound fraction follows the drug's
  binding protein (albumin or alpha1-acid glycoprotein) through its plasma
  volume fraction ``f``, ``fu = 1 / ((1 - f) + f K)`` with ``K`` solved from
  the healthy fu (literature.md P102; the fraction itself cancels:
  :func:`popsim.params.tissues.scaled_unbound_fraction`), and renal clearance follows GFR;
* oral bioavailability ``F = Fa FG FH`` with ``FH = 1 - CL_Hb/Qh`` (plus the
  porto-systemic shunt, which bypasses the liver) and a gut wall whose CYP3A4
  extraction scales with gut CYP3A4 activity,
  ``FG = 1 / (1 + (1/FG_ref - 1) a_gut)``; ``Fa`` is what the published F
  leaves after FG and FH at the reference;
* volumes come from the subject's tissues and the drug's tissue:plasma
  partition coefficients at the subject's unbound fraction
  (:mod:`popsim.params.tissues`, Rodgers & Rowland), lumped into the entry's
  ``n_cmt`` mammillary compartments; so fat mass, albumin, age and
  pregnancy move volume the way they move the tissues and the binding.

Log-normal IIV acts on top: on intrinsic clearance (all pathways), on every
volume (Vss) and on ka.
"""

from __future__ import annotations

from typing import Mapping

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

from popsim.drugs.library import ENZYMES, INHIBITED, Drug
from popsim.params import tissues
from popsim.params.physiology import CONSTANTS

__all__ = ["fraction_absorbed", "pk_parameters", "reference_intrinsic", "unbound_fraction"]


def reference_intrinsic(drug: Drug) -> dict[str, float]:
    """Intrinsic clearance per enzyme (L/h, unbound, blood) at the reference physiology.

    An entry's values are numbers, or traced arrays of a parameter draw (:func:`popsim.drugs.library.with_values`),
    which :mod:`popsim.uncertainty` checked as numbers when it drew them: the checks here apply to all but
    traced values."""
    qh = CONSTANTS["qh_l_h"].value
    fub = drug.fu.value / drug.bp.value
    clhb = (1 - drug.fe.value) * drug.cl.value / drug.bp.value
    if not isinstance(clhb, jax.core.Tracer) and clhb >= 0.98 * qh:
        raise ValueError(f"{drug.name}: hepatic blood clearance {clhb:.3g} L/h is not below hepatic blood flow "
                         f"{qh:g} L/h; the well-stirred liver cannot reproduce it")
    clint = qh * clhb / (fub * (qh - clhb))
    return {e: drug.pathways[e].value * clint if e in drug.pathways else 0.0 for e in ENZYMES}


def unbound_fraction(drug: Drug, phys: dict[str, Float[Array, ""]]) -> Float[Array, ""]:
    """The subject's plasma unbound fraction: :func:`popsim.params.tissues.scaled_unbound_fraction` of the
    entry's fu by the subject's level of the drug's binding protein (albumin or AAG) relative to the reference
    (P102)."""
    return tissues.scaled_unbound_fraction(drug.fu.value, phys[drug.binding.value])


def disposition(drug: Drug, phys: dict[str, Float[Array, ""]], fu: Float[Array, ""],
                logp=None) -> dict[str, Float[Array, ""]]:
    """Typical volumes and intercompartmental clearances of one subject (no IIV): tissue Kp at the
    subject's unbound fraction, lumped into ``drug.n_cmt`` compartments (:func:`popsim.params.tissues.lumped`);
    ``logp``: the lipophilicity (default :func:`popsim.params.tissues.model_lipophilicity`, the entry's; a
    parameter draw passes its own fit).

    An entry with published compartments (``v1_share`` and ``q``: kept only where the drug's
    physicochemistry is missing and its PD was fitted on that PK, the opioids and naloxone) splits the
    subject's Vss by ``v1_share`` and scales ``q`` allometrically with lean mass."""
    kp = tissues.drug_partition(drug, fu, tissues.model_lipophilicity(drug) if logp is None else logp)
    if drug.v1_share is None:
        return tissues.lumped(drug.n_cmt, kp, phys, drug.bp.value)
    vss = tissues.vss(kp, phys, drug.bp.value)
    share = drug.v1_share.value
    return {"V1": share * vss, "V2": (1 - share) * vss,
            "Q2": drug.q.value * phys["lean_ratio"] ** CONSTANTS["allometric_exponent"].value}


def _fg_ref(drug: Drug, route: str) -> float:
    fg = drug.routes[route].fg
    return fg.value if fg is not None else 1.0


def pk_parameters(
    drug: Drug,
    route: str,
    phys: dict[str, Float[Array, ""]],
    eta: dict[str, Float[Array, ""]],
    liver: Mapping[str, Float[Array, ""] | float] | None = None,
    gut: Mapping[str, Float[Array, ""] | float] | None = None,
    logp=None,
) -> dict[str, Float[Array, ""]]:
    """PK parameters of one subject for :func:`popsim.pk.model.mammillary` (``drug.n_cmt``, oral unless iv).

    Parameters
    ----------
    phys : :func:`popsim.params.physiology.physiology` output.
    eta : log-scale random effects ``cl``, ``vss``, ``ka`` (0 = typical).
    liver, gut : fraction of each enzyme's activity left in the liver (keys in
        ``INHIBITED``: cyp3a4, cyp2c19) and in the gut wall (cyp3a4), e.g. from
        :mod:`popsim.interactions`; a missing enzyme is not inhibited (1).
    logp : the lipophilicity of the tissue model (see :func:`disposition`).

    Returns CL, V1 (L/h, L), Q2 and V2 (two or three compartments), Q3 and V3 (three), KA (1/h), F and
    (where the route has one) ALAG (h) for extravascular routes.  ``route="iv"`` gives the systemic parameters of
    any entry (also of a metabolite formed in the body).
    """
    if route != "iv" and route not in drug.routes:
        raise ValueError(f"{drug.name} has no {route!r} route; known: {sorted(drug.routes)}")
    fu = unbound_fraction(drug, phys)
    fub = fu / drug.bp.value
    liver, gut = dict(liver or {}), dict(gut or {})
    if not set(liver) <= set(INHIBITED) or not set(gut) <= {"cyp3a4"}:
        raise ValueError(f"inhibited enzymes: liver {sorted(liver)}, gut {sorted(gut)}; allowed: liver "
                         f"{list(INHIBITED)}, gut ['cyp3a4']")
    activity = {e: phys[e] * liver[e] if e in liver else phys[e] for e in ENZYMES}
    clint = sum(v * activity[e] for e, v in reference_intrinsic(drug).items()) * phys["liver_size"]
    clint = clint * jnp.exp(eta.get("cl", 0.0))
    qh = phys["qh_l_h"]
    clhb = qh * fub * clint / (qh + fub * clint)
    cl = drug.bp.value * clhb + drug.fe.value * drug.cl.value * phys["gfr"]
    scale = jnp.exp(eta.get("vss", 0.0))
    out = {"CL": cl} | {k: v * scale if k.startswith("V") else v for k, v in disposition(drug, phys, fu, logp).items()}
    if route == "iv":
        return out
    r = drug.routes[route]
    fg_ref = _fg_ref(drug, route)
    if route == "oral":
        fa = fraction_absorbed(drug)
        fg = 1.0 / (1.0 + (1.0 / fg_ref - 1.0) * gut.get("cyp3a4", 1.0))
        fh = phys["shunt"] + (1 - phys["shunt"]) * (1 - clhb / qh)
        out["F"] = fa * fg * fh
    else:  # im, intranasal, ...: absorbed into the systemic circulation, no first pass
        out["F"] = jnp.asarray(r.f.value) * jnp.ones_like(cl)
    out["KA"] = r.ka.value * jnp.exp(eta.get("ka", 0.0))
    if r.lag is not None:
        out["ALAG"] = jnp.asarray(r.lag.value) * jnp.ones_like(cl)
    return out


def fraction_absorbed(drug: Drug) -> float:
    """``Fa = F / (FG FH)`` of the oral route at the reference physiology (at most 1).

    Raises if the published oral F exceeds what the well-stirred liver lets
    through by more than 5% (e.g. morphine: part of its clearance is
    extrahepatic glucuronidation, which the entry cannot express), rather than
    silently simulating a lower F.
    """
    qh_ref = CONSTANTS["qh_l_h"].value
    clhb_ref = (1 - drug.fe.value) * drug.cl.value / drug.bp.value
    through = _fg_ref(drug, "oral") * (1 - clhb_ref / qh_ref)
    fa = drug.routes["oral"].f.value / through
    if isinstance(fa, jax.core.Tracer):  # a traced parameter draw (checked when drawn)
        return jnp.minimum(fa, 1.0)
    if fa > 1.05:
        raise ValueError(
            f"{drug.name}: oral F {drug.routes['oral'].f.value:g} exceeds FG x FH = {through:.3g} allowed by its "
            f"clearance through the liver ({clhb_ref:.3g} L/h of blood at Qh {qh_ref:g} L/h), so Fa would be {fa:.2f}; "
            "the entry needs extrahepatic clearance or a consistent F before oral use")
    return min(fa, 1.0)

