"""GABA-A potency of the library's benzodiazepines: unbound EC50 per receptor subtype.

literature.md gives measured concentration-effect EC50s for two drugs only
(alprazolam, Bertz 1997, B7; midazolam, Platten 1998, B11).  For the others
popsim derives potency from the dose equivalence table (Ashton; A19 and the
``ashton_mg`` of each entry): equivalent doses are taken to give equal
steady-state GABA-A drive, where the drive of a drug and its active
metabolites is ``sum_s Cu_s / EC50u_s`` over the species, each ``Cu_s`` the
steady-state average unbound concentration on the equivalent daily oral dose
(library CL, F, fu and fractions formed at the reference adult).  The anchor
is alprazolam's measured EC50.  A metabolite without a measured EC50 or
equivalent dose of its own (nordiazepam) shares its parent's unbound EC50.

This makes three assumptions, stated here and in the calibration report:
equivalence tables equate steady-state effect (not peak); all species are
full agonists with the same efficacy; and the table's single number is right
for every subtype (classical benzodiazepines are non-selective; zolpidem's
alpha1 preference is the entry's ``pd.a1_selectivity``).  Midazolam's
derived EC50 is compared with its measured one in the report (a check that
the derivation was not fitted to).
"""

from __future__ import annotations

import functools

from popsim.drugs.library import Drug, formed_mass_fraction, load, names, species

__all__ = ["ANCHOR", "derived_ec50_unbound", "ec50_unbound", "steady_unbound"]

ANCHOR = "alprazolam"


def steady_unbound(name: str, daily_mg: float) -> dict[str, float]:
    """Steady-state average unbound concentration (mg/L) of the drug and each library metabolite on
    ``daily_mg`` taken orally (iv where the entry has no oral route)."""
    d = load(name)
    f = d.routes["oral"].f.value if "oral" in d.routes else 1.0
    out, flux, chain = {}, f * daily_mg / 24.0, species(name)  # flux: mg/h entering the species
    for k, s in enumerate(chain):
        if k:
            flux = flux * formed_mass_fraction(chain[k - 1], s)
        out[s] = load(s).fu.value * flux / load(s).cl.value
    return out


def _parent_of(name: str) -> str | None:
    for n in names():
        if name in load(n).metabolites and load(n).ashton_mg is not None:
            return n
    return None


def _own(drug: Drug) -> bool:
    return "ec50" in drug.pd or drug.ashton_mg is not None


def derived_ec50_unbound(name: str) -> float:
    """Unbound EC50 (mg/L) from the drug's equivalent dose and the anchor (see the module docstring)."""
    d = load(name)
    if d.ashton_mg is None:
        raise ValueError(f"{name} has no equivalent dose (ashton_mg) to derive a potency from")
    target = sum(c / ec50_unbound(s) for s, c in steady_unbound(ANCHOR, load(ANCHOR).ashton_mg.value).items())
    conc = steady_unbound(name, d.ashton_mg.value)
    shared = [s for s in conc if s == name or not _own(load(s))]
    others = sum(c / ec50_unbound(s) for s, c in conc.items() if s not in shared)
    if others >= target:
        raise ValueError(f"{name}: its metabolites alone exceed the equivalent drive; no potency can be derived")
    return sum(conc[s] for s in shared) / (target - others)


@functools.lru_cache(maxsize=None)
def ec50_unbound(name: str) -> float:
    """Unbound EC50 (mg/L, alpha1; young adult) of a benzodiazepine or metabolite: measured
    (``pd.ec50`` x fu) where the entry has one, else derived, else its parent's."""
    d = load(name)
    if d.kind not in ("benzodiazepine", "z_drug", "metabolite"):
        raise ValueError(f"{name} is a {d.kind}, not a GABA-A agonist; allowed: the library's benzodiazepines, "
                         "Z-drug and their metabolites")
    if "ec50" in d.pd:
        return d.pd["ec50"].value * d.fu.value
    if d.ashton_mg is not None:
        return derived_ec50_unbound(name)
    parent = _parent_of(name)
    if parent is None:
        raise ValueError(f"{name}: no measured EC50, equivalent dose or parent with one")
    return ec50_unbound(parent)
