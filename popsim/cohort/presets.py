"""Cohort presets (``popsim/configs/cohort/*.yaml``, package data) by name, outside Hydra (e.g. in a
qualification plan)."""

from __future__ import annotations

from pathlib import Path

import yaml
from omegaconf import OmegaConf

from popsim.cohort.spec import CohortConfig
from popsim._validate import closest

__all__ = ["PRESETS", "preset", "preset_names"]

PRESETS = Path(__file__).resolve().parents[1] / "configs" / "cohort"


def preset_names() -> tuple[str, ...]:
    return tuple(sorted(p.stem for p in PRESETS.glob("*.yaml")))


def preset(name: str, **overrides) -> CohortConfig:
    """The named preset with ``overrides`` (field=value), checked."""
    known = preset_names()
    if name not in known:
        raise ValueError(f"cohort preset {name!r} is unknown; known: {list(known)}" + closest(name, known))
    raw = yaml.safe_load((PRESETS / f"{name}.yaml").read_text())
    raw.pop("defaults", None)
    merged = OmegaConf.merge(OmegaConf.structured(CohortConfig), raw, overrides)
    c = OmegaConf.to_object(merged)
    c.check(f"cohort[{name}]")
    return c
