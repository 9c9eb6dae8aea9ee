"""Fit one library constant on the plan's ``use == fit`` rows that name it (a 1-D grid search).

The loss is the mean squared log10 fold error over those rows.  Each candidate
value is written into a temporary copy of the library, so the shipped files
change only when a value is chosen by hand and recorded in the entry (status
``F``, with the rows and the loss in its note).  Usage, from the repository
root::

    python experiments/qualify/calibrate.py ketoconazole inhibition.ki 0.003 0.005 0.01 0.015

The plan rows are the ``fit`` rows whose ``note`` says ``fitted: <drug>.`` and
names the constant (e.g. ``fitted: ketoconazole.inhibition.ki``).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np
import yaml

import popsim.drugs.library as library
from popsim.qualify import qualify, read_plan
from popsim.simulate import _compiled

HERE = Path(__file__).resolve().parent


def set_value(path: Path, key: str, value: float) -> None:
    raw = yaml.safe_load(path.read_text())
    node = raw
    *parents, leaf = key.split(".")
    for k in parents:
        node = node[k]
    node[leaf]["value"] = float(value)
    node[leaf].pop("range", None)
    path.write_text(yaml.safe_dump(raw, sort_keys=False))


def main(drug: str, key: str, values: list[float], n_subjects: int = 128) -> None:
    plan = read_plan(HERE / "plan.csv")
    leaf = key.split(".")[-1]
    rows = plan[(plan["use"] == "fit") & plan["note"].str.contains(f"fitted: {drug}.", regex=False)
                & plan["note"].str.contains(leaf, regex=False)]
    print(f"{len(rows)} fit rows for {drug}.{key}:")
    print(rows[["study", "endpoint", "observed"]].to_string(index=False))
    original = library.DATA
    for v in values:
        with tempfile.TemporaryDirectory() as tmp:
            shutil.copytree(original, tmp, dirs_exist_ok=True)
            set_value(Path(tmp) / f"{drug}.yaml", key, v)
            library.DATA = Path(tmp)
            library.load.cache_clear()
            _compiled.cache_clear()
            res = qualify(rows, n_subjects=n_subjects)
        loss = float(np.mean(np.log10(res["fold"]) ** 2))
        print(f"{key}={v:g}: loss {loss:.4f}; predicted {np.round(res['predicted'].to_numpy(), 3).tolist()}", flush=True)
    library.DATA = original


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], [float(v) for v in sys.argv[3:]])
