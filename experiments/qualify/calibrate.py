"""Fit library constants of one drug on the plan's ``use == fit`` rows that name them (a grid search).

The loss is the mean squared log10 fold error over those rows.  Each candidate
value is written into a temporary copy of the library, so the shipped files
change only when a value is chosen by hand and recorded in the entry (status
``F``, with the rows and the loss in its note).  Usage, from the repository
root::

    python experiments/qualify/calibrate.py ketoconazole inhibition.cyp3a4.ki=0.003,0.005,0.01,0.015
    python experiments/qualify/calibrate.py rifampicin inhibition.cyp3a4.emax=10,20 inhibition.cyp3a4.ec50=0.3,1

(every combination of the listed values; values in the units written in the entry).  The plan rows
are the ``fit`` rows of popsim's plan whose ``note`` says ``fitted: <drug>.`` and
names the constant (e.g. ``fitted: ketoconazole.inhibition.cyp3a4.ki``).
"""

from __future__ import annotations

import itertools
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np
import yaml

import popsim.drugs.library as library
from popsim.experiments.qualify import PLAN, qualify, read_plan
from popsim.simulate import _compiled


def set_value(path: Path, key: str, value: float) -> None:
    raw = yaml.safe_load(path.read_text())
    node = raw
    *parents, leaf = key.split(".")
    for k in parents:
        node = node[k]
    node[leaf]["value"] = float(value)
    node[leaf].pop("range", None)
    path.write_text(yaml.safe_dump(raw, sort_keys=False))


def main(drug: str, grid: dict[str, list[float]], n_subjects: int = 128) -> None:
    plan = read_plan(PLAN)
    leaves = [key.split(".")[-1] for key in grid]
    rows = plan[(plan["use"] == "fit") & plan["note"].str.contains(f"fitted: {drug}.", regex=False)
                & plan["note"].apply(lambda note: any(leaf in note for leaf in leaves))]
    print(f"{len(rows)} fit rows for {drug} {list(grid)}:")
    print(rows[["study", "endpoint", "observed"]].to_string(index=False))
    original = library.DATA
    for values in itertools.product(*grid.values()):
        with tempfile.TemporaryDirectory() as tmp:
            shutil.copytree(original, tmp, dirs_exist_ok=True)
            for key, v in zip(grid, values):
                set_value(Path(tmp) / f"{drug}.yaml", key, v)
            library.DATA = Path(tmp)
            library.load.cache_clear()
            _compiled.cache_clear()
            res = qualify(rows, n_subjects=n_subjects)
        loss = float(np.mean(np.log10(res["fold"]) ** 2))
        setting = ", ".join(f"{k}={v:g}" for k, v in zip(grid, values))
        print(f"{setting}: loss {loss:.4f}; predicted {np.round(res['predicted'].to_numpy(), 3).tolist()}", flush=True)
    library.DATA = original


if __name__ == "__main__":
    main(sys.argv[1], {k: [float(v) for v in vals.split(",")] for k, vals in (a.split("=") for a in sys.argv[2:])})
