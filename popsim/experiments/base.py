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
from pathlib import Path
from typing import Callable, ClassVar, NamedTuple

import pandas as pd
import xarray as xr

from popsim._validate import closest, unique
from popsim.config import Study
from popsim.pd.parameters import PARTS, check_draws, check_values

__all__ = ["Experiment", "Result", "SHARED", "TableStudy"]

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
    alone.  ``reads``: the shared keys it reads, a group (``"cohort"``), one key
    of it (``"grid.dt_h"``) or, for ``pd``, the parts of the PD model whose
    outputs it writes (``"pd.gaba"``, ``"pd.falls"``, ...: their constants,
    :data:`popsim.pd.parameters.PARTS`); ``tiny``: overrides for a run of
    seconds (the contract tests); ``question``: one line.  ``draws``: whether it supports parameter draws
    (``n_draws`` > 0: its ``run`` gives the per-subject variables a ``draw`` dimension); the others refuse
    them before any compute.
    """

    name: str
    schema: type
    run: Callable[..., Result]
    figure: Callable
    reads: tuple[str, ...]
    tiny: tuple[str, ...]
    question: str
    draws: bool = False

    def __post_init__(self):
        for key in self.reads:
            root, _, leaf = key.partition(".")
            if root not in SHARED or (root == "pd" and leaf and leaf not in PARTS):
                raise ValueError(f"experiment {self.name}: reads {key!r}; allowed: {list(SHARED)}, their keys, or "
                                 f"pd.<part> of {list(PARTS)}")

    def reads_key(self, key: str) -> bool:
        """Whether an override of ``key`` (a dotted path) is read by this experiment."""
        root, _, leaf = key.partition(".")
        if root == "pd" and leaf:
            part = next((p for p, names in PARTS.items() if leaf.split(".")[0] in names), None)
            return "pd" in self.reads or (f"pd.{part}" in self.reads if part else self.reads_pd)
        return any(key == r or key.startswith(r + ".") for r in self.reads)

    @property
    def reads_pd(self) -> bool:
        return any(r == "pd" or r.startswith("pd.") for r in self.reads)

    def pd_constants(self) -> tuple[str, ...]:
        """The runtime PD constants it reads."""
        return tuple(k for part, names in PARTS.items() for k in names
                     if "pd" in self.reads or f"pd.{part}" in self.reads)

    def pd_values(self, cfg, library: bool = True) -> dict:
        """The runtime PD constants of a run: the point values (:func:`popsim.pd.parameters.check_values`) or,
        with ``n_draws`` = K and ``pd`` in ``cfg.draws_of``, draws 0..K-1 of the posterior (``cfg.posterior``,
        default the one shipped; ``(draw,)`` arrays, :func:`popsim.uncertainty.draw_values`; a ``pd.`` override
        is held fixed in every draw), and, with ``library`` and ``library`` in ``cfg.draws_of``, draws 0..K-1 of
        the drug library's uncertain values (``"<drug>.<key path>"``, :func:`popsim.uncertainty.library_draws`)."""
        from popsim.uncertainty import draw_values, library_draws

        if not cfg.n_draws:
            return check_values(cfg.pd)
        pd = draw_values(cfg.n_draws, cfg.pd, cfg.posterior) if "pd" in cfg.draws_of else check_values(cfg.pd)
        return check_draws(pd | (library_draws(cfg.n_draws) if library and "library" in cfg.draws_of else {}))

    def drawn(self, cfg) -> list[str]:
        """The uncertain constants that vary over a run's draws: those it reads, less the ``pd.`` overrides
        (for :func:`popsim.dataset.with_draws`)."""
        from popsim.uncertainty import UNCERTAIN

        return [k for k in self.pd_constants() if k in UNCERTAIN and k not in cfg.pd and "pd" in cfg.draws_of]


@dataclasses.dataclass
class TableStudy(Study):
    """A study whose input is a table (a plan, a target list).  ``TABLE`` names, in order: the experiment,
    the key of the CSV's path (``default``: the package's own file), the key of a selection, the column it
    selects on, the default path and the reader (which checks every row).  The selection keeps only the
    rows whose column is one of its values (empty: every row), in the table's order.  Every error names
    the key, before any compute."""

    TABLE: ClassVar[tuple[str, str, str, str, Path, Callable[[Path], pd.DataFrame]]]

    def check(self, cfg) -> None:
        self.rows()

    def rows(self) -> tuple[Path, pd.DataFrame]:
        """The table's path and its (selected) rows."""
        experiment, key, select_key, column, default, read = self.TABLE
        value, selected = getattr(self, key), getattr(self, select_key)
        if not value:
            raise ValueError(f"study.{key}: the {experiment} experiment needs study.{key}=<path to a CSV> "
                             "(default: popsim's own)")
        path = default if value == "default" else Path(value)
        if not path.is_file():
            raise ValueError(f"study.{key}={value!r}: no such file; allowed: a CSV, or default")
        table = read(path)
        if not selected:
            return path, table
        unique(f"study.{select_key}", selected)
        known = list(dict.fromkeys(table[column]))
        for i, name in enumerate(selected):
            if name not in known:
                raise ValueError(f"study.{select_key}[{i}]={name!r} is not in the {column} column of {path}"
                                 + closest(name, known))
        return path, table[table[column].isin(list(selected))].reset_index(drop=True)
