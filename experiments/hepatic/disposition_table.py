"""What the model predicts for clearance, unbound fraction, Vss and half-life in Child-Pugh A/B/C.

The reference subject (35-year-old man, 70 kg, 176 cm) with each Child-Pugh class, relative to the same
man without liver disease: typical values (no IIV), iv parameters.  Run from the repository root:
``python experiments/hepatic/disposition_table.py`` (prints a Markdown table, used in README.md).
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp

from popsim.drugs.library import load
from popsim.params.derive import pk_parameters, unbound_fraction
from popsim.params.physiology import physiology, reference_covariates

DRUGS = ("diazepam", "alprazolam", "midazolam", "triazolam", "zolpidem", "lorazepam", "oxazepam", "temazepam")


def typical(drug, child_pugh: int) -> dict[str, float]:
    cov = reference_covariates() | {"child_pugh": jnp.asarray(float(child_pugh))}
    ph = physiology(cov)
    p = pk_parameters(drug, "iv", ph, {})
    vss = sum(float(p[k]) for k in ("V1", "V2", "V3") if k in p)
    cl = float(p["CL"])
    return {"cl": cl, "fu": float(unbound_fraction(drug, ph)), "vss": vss, "t_half": math.log(2) * vss / cl}


def main() -> None:
    jax.config.update("jax_enable_x64", True)
    print("| drug | pathway | class | CL | fu | Vss | t1/2 |")
    print("|---|---|---|---:|---:|---:|---:|")
    for name in DRUGS:
        d = load(name)
        kind = "LOT (UGT)" if set(d.pathways) == {"ugt"} else "Phase I (CYP)"
        healthy = typical(d, 0)
        for cp, label in ((1, "A"), (2, "B"), (3, "C")):
            x = typical(d, cp)
            print(f"| {name} | {kind} | {label} | " + " | ".join(f"{x[k] / healthy[k]:.2f}" for k in
                                                                   ("cl", "fu", "vss", "t_half")) + " |")


if __name__ == "__main__":
    main()
