"""Individual dosing: the daily dose that gives a person the GABA-A drive of a reference dose in a
reference person.

For linear kinetics the steady-state average *drive* ``x = sum_s C_s / KD_s`` over a
drug and its active metabolites (total concentrations and the subject's total KDs, which carry the
unbound fraction and the age-dependent sensitivity; :mod:`popsim.pd.parameters`) is proportional to
the daily dose; occupancy ``x / (1 + x)`` and effect are increasing functions of it (every species a
full agonist), so matching the drive matches both:

    C_parent = F D / (24 CL),   C_k = FM_k CL_{k-1} C_{k-1} / CL_k  (metabolite k of the chain).

So matching drive is a ratio: ``D = D_ref x (x per mg)_ref / (x per mg)_person``.  Typical random
effects (eta = 0) are used: this is the dose for a person with these covariates, before any
therapeutic drug monitoring.  The experiments check it against the simulator (the population
recommendation in ``+experiment=elderly`` is found by simulation).
"""

from __future__ import annotations

from typing import Mapping

import jax.numpy as jnp

from popsim.params.derive import pk_parameters
from popsim.params.physiology import REFERENCE_COVARIATES, physiology
from popsim.drugs.library import formed_mass_fraction, load, species
from popsim.pd.parameters import check_values, gaba_parameters

__all__ = ["REFERENCE_PERSON", "drive_per_mg", "individual_dose"]

# A healthy 25-year-old man of the reference body (the young groups of the EC50 studies).
REFERENCE_PERSON = {**REFERENCE_COVARIATES, "age": 25.0, "perpetrator": 0.0, "opioid": 0.0, "alcohol": 0.0}


def drive_per_mg(drug: str, route: str, covariates: Mapping[str, float],
                 values: Mapping[str, float] | None = None) -> float:
    """Steady-state average GABA-A alpha1 drive per mg/day of ``drug`` for a person (typical effects);
    ``values``: PD constants (:func:`popsim.pd.parameters.check_values`; defaults if None)."""
    missing = sorted(set(REFERENCE_PERSON) - set(covariates))
    if missing:
        raise ValueError(f"covariates: missing {missing}; expected the keys of popsim.dosing.REFERENCE_PERSON")
    cov = {k: jnp.asarray(float(covariates[k])) for k in REFERENCE_PERSON}
    phys = physiology(cov)
    chain = species(drug)
    prefixes = tuple("" if k == 0 else f"M{k}_" for k in range(len(chain)))
    kd = gaba_parameters(chain, prefixes, cov["age"], phys, 0.0, values or check_values())
    p = pk_parameters(load(drug), route, phys, {})
    conc = p.get("F", 1.0) / 24.0 / p["CL"]
    drive, cl = conc / kd["KD_a1"], p["CL"]
    for k, (parent, name) in enumerate(zip(chain, chain[1:]), start=1):
        cl_m = pk_parameters(load(name), "iv", phys, {})["CL"]
        conc = formed_mass_fraction(parent, name) * cl * conc / cl_m
        drive, cl = drive + conc / kd[f"M{k}_KD_a1"], cl_m
    return float(drive)


def individual_dose(drug: str, route: str, covariates: Mapping[str, float], reference_daily_mg: float,
                    reference: Mapping[str, float] = REFERENCE_PERSON,
                    values: Mapping[str, float] | None = None) -> float:
    """Daily dose (mg) giving ``covariates``' person the drive of ``reference_daily_mg`` in ``reference``."""
    if not reference_daily_mg > 0:
        raise ValueError(f"reference_daily_mg={reference_daily_mg!r}; allowed: > 0")
    return (reference_daily_mg * drive_per_mg(drug, route, reference, values)
            / drive_per_mg(drug, route, covariates, values))
