"""What an experiment is: one module that owns its schema, checks, simulation, Dataset, figure and report.

An experiment module defines a :class:`popsim.config.Study` subclass (its
keys, under ``study.`` on the command line, and their ``check``), a ``run``
function and a ``figure`` function, and exposes them as ``EXPERIMENT``, an
:class:`Experiment`; :data:`popsim.experiments.REGISTRY` lists the modules.
:func:`popsim.run.run` is the one driver: compose -> validate -> run ->
write -> report.
"""

from __future__ import annotations

import dataclasses
from typing import Callable, NamedTuple

import pandas as pd
import xarray as xr

__all__ = ["Experiment", "Result", "SHARED"]

# the shared configuration groups an experiment may read (a key of one it does not read is refused)
SHARED = ("cohort", "grid", "pd")


class Result(NamedTuple):
    """What an experiment's ``run`` returns.

    ``dataset``: the output Dataset (every variable with ``units`` and
    ``long_name``; the driver adds the provenance); ``tables``: tidy tables,
    written as ``<name>_<key>.csv`` in this order; ``headline``: one line on
    what was simulated; ``report``: the text printed after it (the question's
    answer in a table).
    """

    dataset: xr.Dataset
    tables: dict[str, pd.DataFrame]
    headline: str
    report: str


@dataclasses.dataclass(frozen=True)
class Experiment:
    """One clinical question as code.

    ``run(cfg, *, dtype, progress) -> Result``: ``cfg`` the validated
    :class:`popsim.config.Config` (its ``study`` an instance of ``schema``),
    ``dtype`` the JAX float type, ``progress(label)`` a progress-bar factory
    (or ``None``).  ``figure(ds) -> matplotlib Figure``: a view of the Dataset
    alone.  ``reads``: the shared keys it reads, a group (``"cohort"``) or one
    key of it (``"grid.dt_h"``); ``tiny``: overrides for a run of seconds (the
    contract tests); ``question``: one line.
    """

    name: str
    schema: type
    run: Callable[..., Result]
    figure: Callable
    reads: tuple[str, ...]
    tiny: tuple[str, ...]
    question: str

    def __post_init__(self):
        for key in self.reads:
            if key.split(".")[0] not in SHARED:
                raise ValueError(f"experiment {self.name}: reads {key!r}; allowed: {list(SHARED)} or their keys")

    def reads_key(self, key: str) -> bool:
        """Whether an override of ``key`` (a dotted path) is read by this experiment."""
        return any(key == r or key.startswith(r + ".") for r in self.reads)
