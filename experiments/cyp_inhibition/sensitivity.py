"""Which constants drive the mechanism-based inhibitors' predictions? A one-at-a-time sensitivity table.

For clarithromycin, erythromycin and ritonavir, the midazolam AUC ratio predicted by the dynamic
model (the qualification's paired arms: :func:`popsim.experiments.qualify.qualify`) at the library's
constants, and with one constant at a time set to the low and the high end of its range in the library
entry (the published range where the entry's differs: :data:`LITERATURE`): KI, kinact and the CYP3A4
degradation rates (liver and gut wall moved together, their ranges in :data:`popsim.interactions.TURNOVER`);
for ritonavir also the reversible Ki and the induction EC50.
Regimens: erythromycin as Zimmermann 1996 (oral midazolam, a plan row, observed 3.81); clarithromycin
500 mg every 12 h and ritonavir 100 mg every 12 h (the boosting dose; maximal inhibition by day 3,
literature.md P96), with oral midazolam 7.5 mg 1 h after the 7th and the 6th dose, the perpetrator
continued (no clinical ratio in literature.md); and ritonavir with iv midazolam 3.5 mg in the same
timing, against the iv midazolam clearance ratio 11.4 / 24.1 of Wiebe 2020's popPK (A85: AUC ratio 2.1,
ritonavir regimen not recorded).  Each library value is changed in a temporary copy of the library, as
``experiments/qualify/calibrate.py`` does.

Usage, from the repository root (about 10 minutes on 2 cores at 200 subjects)::

    python experiments/cyp_inhibition/sensitivity.py [n_subjects]

Prints the README's table (markdown).
"""

from __future__ import annotations

import dataclasses
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

import popsim.drugs.library as library
import popsim.interactions as interactions
from popsim.experiments.qualify import COLUMNS, qualify
from popsim.simulate import _compiled

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "qualify"))
from calibrate import set_value  # noqa: E402  (one way to write a value into a library copy)

MIDAZOLAM = dict(reference="", drug="midazolam", route="oral", dose_mg=7.5, interval_h=24.0, n_doses=1,
                 population="healthy_young", perpetrator_route="oral", endpoint="auc_ratio", observed=1.0,
                 control_population="")
RITONAVIR = dict(perpetrator="ritonavir", perpetrator_dose_mg=100.0, perpetrator_interval_h=12.0,
                 perpetrator_n_doses=12, victim_start_h=61.0)
SCENARIOS = {  # label -> (plan columns, observed ratio or None, the constants varied)
    "clarithromycin, oral midazolam": (dict(perpetrator="clarithromycin", perpetrator_dose_mg=500.0,
                                            perpetrator_interval_h=12.0, perpetrator_n_doses=14,
                                            victim_start_h=73.0), None, ("KI", "kinact_max")),
    "erythromycin, oral midazolam (Zimmermann 1996)": (dict(perpetrator="erythromycin", perpetrator_dose_mg=500.0,
                                                            perpetrator_interval_h=8.0, perpetrator_n_doses=15,
                                                            victim_start_h=97.5), 3.813719284, ("KI", "kinact_max")),
    "ritonavir, oral midazolam": (RITONAVIR, None, ("KI", "kinact_max", "ki", "ec50")),
    "ritonavir, iv midazolam": (RITONAVIR | dict(route="iv", dose_mg=3.5), 24.1 / (24.1 - 12.7),
                                ("KI", "kinact_max", "ki", "ec50")),
}
KDEG = ("kdeg_cyp3a4_liver", "kdeg_cyp3a4_gut")
# where the entry's range is not the literature's: erythromycin's kinact was fitted (0.004 /min) below the
# published 0.0115-0.34 /min (literature.md B96); the table uses the published range
LITERATURE = {("erythromycin", "kinact_max"): ((0.0115, 0.34), "B96")}


def predict(scenario: str, n_subjects: int, value: tuple[str, float] | None = None,
            kdeg: str | None = None) -> float:
    """The geometric-mean midazolam AUC ratio of ``scenario`` with ``value`` = (constant, value in the entry's
    units) written into a library copy, or the degradation rates at the ``kdeg`` end ("low", "high") of their
    range."""
    row = MIDAZOLAM | SCENARIOS[scenario][0] | dict(study=scenario)
    perpetrator = row["perpetrator"]
    plan = pd.DataFrame([row], columns=list(COLUMNS)).assign(use="check")
    original, turnover = library.DATA, dict(interactions.TURNOVER)
    with tempfile.TemporaryDirectory() as tmp:
        try:
            if value is not None:
                shutil.copytree(original, tmp, dirs_exist_ok=True)
                set_value(Path(tmp) / f"{perpetrator}.yaml", f"inhibition.cyp3a4.{value[0]}", value[1])
                library.DATA = Path(tmp)
            if kdeg is not None:
                for k in KDEG:
                    c = turnover[k]
                    interactions.TURNOVER[k] = dataclasses.replace(c, value=c.range[0 if kdeg == "low" else 1])
            library.load.cache_clear()
            _compiled.cache_clear()
            return float(qualify(plan, n_subjects=n_subjects)["predicted"].iloc[0])
        finally:
            library.DATA = original
            interactions.TURNOVER.clear()
            interactions.TURNOVER.update(turnover)
            library.load.cache_clear()
            _compiled.cache_clear()


def table(n_subjects: int = 200) -> pd.DataFrame:
    rows = []
    for label, (columns, observed, constants) in SCENARIOS.items():
        raw = yaml.safe_load((library.DATA / f"{columns['perpetrator']}.yaml").read_text())["inhibition"]["cyp3a4"]
        base = predict(label, n_subjects)
        rows.append(dict(scenario=label, constant="(library values)", value="", predicted=base, change=0.0,
                         observed=observed))
        for name in constants:
            q = raw[name]
            ends, row = LITERATURE.get((columns["perpetrator"], name), (q["range"], None))
            for end, v in zip(("low", "high"), ends):
                p = predict(label, n_subjects, value=(name, v))
                where = f"; published range, {row}" if row else ""
                rows.append(dict(scenario=label, constant=f"{name} {end}", value=f"{v:g} {q['units']} "
                                 f"(library {q['value']:g}, {q['status']}{where})", predicted=p,
                                 change=p / base - 1, observed=observed))
        for end in ("low", "high"):
            p = predict(label, n_subjects, kdeg=end)
            v = [interactions.TURNOVER[k].range[0 if end == "low" else 1] for k in KDEG]
            rows.append(dict(scenario=label, constant=f"kdeg {end}", value=f"liver {v[0]:g}, gut {v[1]:g} 1/h "
                             f"(library {interactions.TURNOVER[KDEG[0]].value:g}, "
                             f"{interactions.TURNOVER[KDEG[1]].value:g})", predicted=p, change=p / base - 1,
                             observed=observed))
    return pd.DataFrame(rows)


def markdown(t: pd.DataFrame) -> str:
    lines = ["| scenario | constant | value | predicted AUC ratio | change | observed |",
             "|---|---|---|---:|---:|---:|"]
    for r in t.itertuples():
        obs = "" if r.observed is None or np.isnan(r.observed) else f"{r.observed:.2f}"
        lines.append(f"| {r.scenario} | {r.constant} | {r.value} | {r.predicted:.2f} | {100 * r.change:+.0f}% "
                     f"| {obs} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown(table(int(sys.argv[1]) if len(sys.argv) > 1 else 200)))
