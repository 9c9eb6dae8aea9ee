"""GABA-A receptor pharmacology of the library's benzodiazepines: affinity per drug, occupancy
thresholds per endpoint, fitted jointly on measured human concentration-effect data.

Model (the operational model of agonism, Black & Leff 1983, with slope 1).  A drug at unbound
effect-site concentration ``Cu`` occupies the benzodiazepine site with ``occ = x / (1 + sum x + y)``,
``x = Cu / KD`` (competitive binding of agonists and an antagonist ``y``, flumazenil).  The
agonists' stimulus is ``S = sum_i eps_i occ_i`` (every library species a full agonist, ``eps =
1``: an assumption, A; zolpidem has "full efficacy", G24), and an endpoint ``e`` responds as ``E_e
= S / (S + theta_e)``: the endpoint is half-maximal when the stimulus reaches ``theta_e`` (the
operational model's transducer ratio is ``tau_e = 1 / theta_e``).  Occupancy (binding, what
PET/SPECT measure) and effect are thus distinct: a therapeutic psychomotor effect needs a minority of
the sites, hypnosis and the EEG beta response more.

Fit.  A measured EC50 of drug ``d`` on endpoint ``e`` (total plasma or effect-site concentration of
young adults, at half the maximal effect, taken as half the system maximum) gives ``log(EC50 fu_d)
= log KD_d + logit(theta_e)``; the alprazolam SPECT occupancy of Fujita 1999 (G17: 16% at 2 mg/day,
:data:`OCCUPANCY_ANCHOR`) gives ``log KD_alprazolam`` absolutely.  All of these are linear in the
unknowns ``log KD_d`` and ``logit(theta_e)``, so the joint fit over every drug and endpoint is one
linear least-squares problem (equal weights in log units): :func:`fit`.  Its residuals are
reported (:func:`fit_table`), as is the equi-effective-dose check against the Ashton table
(:func:`ashton_check`), which the fit does not use.

Drugs without a measured concentration-effect relation (oxazepam, triazolam, chlordiazepoxide)
take the affinity that makes their Ashton equivalent dose equi-effective with 10 mg diazepam at
steady state (:func:`ashton_kd`; an assumption, A, for which the Ashton check is not a check);
a metabolite without either (nordiazepam) shares its parent's unbound affinity (A).
"""

from __future__ import annotations

import functools
import math

import numpy as np

from popsim.drugs.library import Drug, formed_mass_fraction, load, names, species

__all__ = ["ENDPOINTS", "GABA_KINDS", "OCCUPANCY_ANCHOR", "REFERENCE", "ashton_check", "ashton_kd", "fit", "fit_table",
           "kd_unbound", "steady_unbound", "theta"]

# Endpoints with a measured EC50 in the library (pd.ec50_<endpoint>): what each is (Dataset attributes).
ENDPOINTS = {
    "psychomotor": "psychomotor impairment: digit-symbol substitution, saccadic peak velocity or a sedation score "
                   "short of sleep (B7, B11, G6, G18, G19, G21)",
    "eeg": "EEG beta (12-30 Hz) amplitude or power (G1-G3, G5, G10, B10)",
    "hypnosis": "sedation to Ramsay score >= 4 (asleep, brisk response to a glabellar tap) at steady state in ICU "
                "patients (G13)",
}
# Fujita 1999 (literature.md G17, V; journal M): 2 mg/day alprazolam orally for 3 days gave 16% SPECT
# occupancy of the benzodiazepine sites, with sedation.  Taken at the steady-state average concentration
# (alprazolam t1/2 ~11 h: day 3 is near steady state).
OCCUPANCY_ANCHOR = {"drug": "alprazolam", "daily_mg": 2.0, "occupancy": 0.16, "row": "G17"}
REFERENCE = "diazepam"  # the Ashton table's reference drug (10 mg)
GABA_KINDS = ("benzodiazepine", "z_drug", "metabolite")  # library kinds of the GABA-A agonists (benzodiazepine site)


def steady_unbound(name: str, daily_mg: float) -> dict[str, float]:
    """Steady-state average unbound concentration (mg/L) of the drug and each library metabolite on
    ``daily_mg`` taken orally (iv where the entry has no oral route), at the library's typical values."""
    d = load(name)
    f = d.routes["oral"].f.value if "oral" in d.routes else 1.0
    out, flux, chain = {}, f * daily_mg / 24.0, species(name)  # flux: mg/h entering the species
    for k, s in enumerate(chain):
        if k:
            flux = flux * formed_mass_fraction(chain[k - 1], s)
        out[s] = load(s).fu.value * flux / load(s).cl.value
    return out


def _measured() -> list[tuple[str, str, float]]:
    """(drug, endpoint, unbound EC50 mg/L) of every measured EC50 in the library."""
    out = []
    for n in names():
        d = load(n)
        for e in ENDPOINTS:
            if f"ec50_{e}" in d.pd:
                out.append((n, e, d.pd[f"ec50_{e}"].value * d.fu.value))
    return out


@functools.lru_cache(maxsize=None)
def fit() -> tuple[dict[str, float], dict[str, float], dict[tuple[str, str], float]]:
    """The joint least-squares fit (module docstring): unbound KD (mg/L) per measured drug, ``theta``
    per endpoint, and the residual (log units, fitted minus measured) of each datum (the anchor's key
    is ``(drug, "occupancy")``)."""
    data = _measured()
    drugs = sorted({d for d, _, _ in data} | {OCCUPANCY_ANCHOR["drug"]})
    endpoints = list(ENDPOINTS)
    rows, rhs, keys = [], [], []
    for d, e, ec50 in data:
        row = np.zeros(len(drugs) + len(endpoints))
        row[drugs.index(d)], row[len(drugs) + endpoints.index(e)] = 1.0, 1.0
        rows.append(row), rhs.append(math.log(ec50)), keys.append((d, e))
    a = OCCUPANCY_ANCHOR
    cu = steady_unbound(a["drug"], a["daily_mg"])[a["drug"]]
    row = np.zeros(len(drugs) + len(endpoints))
    row[drugs.index(a["drug"])] = 1.0
    rows.append(row), rhs.append(math.log(cu * (1 - a["occupancy"]) / a["occupancy"]))
    keys.append((a["drug"], "occupancy"))
    A, b = np.array(rows), np.array(rhs)
    if np.linalg.matrix_rank(A) < A.shape[1]:
        raise ValueError("the measured EC50s do not identify every KD and threshold (each endpoint needs a drug "
                         "shared with another endpoint)")
    x = np.linalg.lstsq(A, b, rcond=None)[0]
    kd = {d: float(math.exp(v)) for d, v in zip(drugs, x)}
    th = {e: float(1.0 / (1.0 + math.exp(-v))) for e, v in zip(endpoints, x[len(drugs):])}
    return kd, th, {k: float(r) for k, r in zip(keys, A @ x - b)}


def theta(endpoint: str) -> float:
    """Stimulus at which ``endpoint`` is half-maximal (fitted)."""
    return fit()[1][endpoint]


def _gaba_species(name: str) -> Drug:
    d = load(name)
    if d.kind not in GABA_KINDS:
        raise ValueError(f"{name} is a {d.kind}, not a GABA-A agonist; allowed: the library's benzodiazepines, "
                         "Z-drug and their metabolites")
    return d


def _parent_of(name: str) -> str | None:
    return next((n for n in names() if name in load(n).metabolites), None)


def _from_ashton(name: str) -> bool:
    """Whether the species' affinity comes from its Ashton dose (no measured concentration-effect data)."""
    return name not in fit()[0] and load(name).ashton_mg is not None


def _drive_ss(name: str, daily_mg: float, skip_ashton: bool = False) -> tuple[float, float]:
    """Steady-state ``Cu / KD`` on ``daily_mg``: (the drug's unbound concentration, the sum of Cu/KD over its
    metabolites, without those whose affinity comes from the Ashton table if ``skip_ashton``)."""
    conc = steady_unbound(name, daily_mg)
    return conc[name], sum(c / kd_unbound(s) for s, c in conc.items()
                           if s != name and not (skip_ashton and _from_ashton(s)))


def _reference_drive() -> float:
    """Steady-state sum of Cu/KD on 10 mg/day diazepam over diazepam and the metabolites whose affinity is not
    itself derived from the Ashton table (oxazepam's is: including it would be circular; it adds little)."""
    c, m = _drive_ss(REFERENCE, load(REFERENCE).ashton_mg.value, skip_ashton=True)
    return c / kd_unbound(REFERENCE) + m


def ashton_kd(name: str) -> float:
    """Unbound KD (mg/L) making the drug's Ashton dose equi-effective at steady state with 10 mg diazepam
    (drugs without measured concentration-effect data; module docstring)."""
    d = load(name)
    if d.ashton_mg is None:
        raise ValueError(f"{name} has no equivalent dose (ashton_mg) to derive an affinity from")
    target = _reference_drive()
    c, others = _drive_ss(name, d.ashton_mg.value)
    if others >= target:
        raise ValueError(f"{name}: its metabolites alone exceed the equivalent drive; no affinity can be derived")
    return c / (target - others)


@functools.lru_cache(maxsize=None)
def kd_unbound(name: str) -> float:
    """Unbound KD (mg/L) of a GABA-A agonist at the benzodiazepine site (alpha1; young adult): fitted on
    measured concentration-effect data, else from its Ashton dose, else its parent's."""
    _gaba_species(name)
    kd = fit()[0]
    if name in kd:
        return kd[name]
    if load(name).ashton_mg is not None:
        return ashton_kd(name)
    parent = _parent_of(name)
    if parent is None:
        raise ValueError(f"{name}: no measured EC50, equivalent dose or parent with one")
    return kd_unbound(parent)


def fit_table() -> list[dict]:
    """One row per datum of the fit: drug, endpoint, measured and fitted value, fold error."""
    kd, th, resid = fit()
    rows = []
    for (d, e), r in resid.items():
        dd = load(d)
        if e == "occupancy":
            a = OCCUPANCY_ANCHOR
            cu = steady_unbound(d, a["daily_mg"])[d]
            rows.append({"drug": d, "endpoint": "occupancy", "measured": a["occupancy"],
                         "fitted": cu / (cu + kd[d]), "units": "1", "fold_error": math.exp(r)})
        else:
            ec50 = dd.pd[f"ec50_{e}"].value * 1e3  # mg/L -> ng/mL
            rows.append({"drug": d, "endpoint": e, "measured": ec50, "fitted": ec50 * math.exp(r), "units": "ng/mL",
                         "fold_error": math.exp(r)})
    return rows


def ashton_check() -> list[dict]:
    """For every GABA-A drug with an Ashton dose: the dose equi-effective at steady state with 10 mg
    diazepam under the fitted affinities (parent and metabolites), over the Ashton dose.  ``source`` says
    whether the drug's affinity was fitted on concentration-effect data (a check) or derived from the
    Ashton dose itself (1 by construction, not a check)."""
    target = _reference_drive()
    rows = []
    for n in names():
        d = load(n)
        if d.kind not in ("benzodiazepine", "z_drug") or d.ashton_mg is None or n == REFERENCE:
            continue
        c, others = _drive_ss(n, d.ashton_mg.value)
        drive = c / kd_unbound(n) + others
        rows.append({"drug": n, "ashton_mg": d.ashton_mg.value, "equieffective_mg": d.ashton_mg.value * target / drive,
                     "fold_error": target / drive, "source": "ashton" if _from_ashton(n) else "fitted"})
    return rows
