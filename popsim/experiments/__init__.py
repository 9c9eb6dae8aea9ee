"""The registry of experiments: one module per clinical question (shared/science/mission.md).

Adding an experiment is a new module here (see :mod:`popsim.experiments.base`), its
``popsim/configs/experiment/<name>.yaml``, its ``experiments/<name>/`` folder (README,
analysis script) and one line in :data:`MODULES`.
"""

from __future__ import annotations

import importlib

from popsim.experiments.base import Experiment

__all__ = ["MODULES", "REGISTRY"]

MODULES = (
    "alcohol",
    "calibration",
    "cyp_inhibition",
    "elderly",
    "fluctuation",
    "hepatic",
    "interdose",
    "lactation",
    "overdose",
    "population",
    "pregnancy",
    "qualify",
    "receptor_subtypes",
    "status_epilepticus",
    "taper",
)


def _load() -> dict[str, Experiment]:
    modules = [importlib.import_module(f"popsim.experiments.{name}") for name in MODULES]
    return {m.EXPERIMENT.name: m.EXPERIMENT for m in modules}


REGISTRY: dict[str, Experiment] = _load()
