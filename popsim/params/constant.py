"""A cited physiological or model constant (value, units, source, status, evidence range)."""

from __future__ import annotations

import dataclasses

__all__ = ["Constant"]


@dataclasses.dataclass(frozen=True)
class Constant:
    """``status`` as in shared/science/literature.md: V, V2, D, M, A or F."""

    value: object
    units: str
    source: str
    status: str
    range: tuple[float, float] | None = None
