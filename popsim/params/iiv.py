"""Individual parameters: typical values times log-normal inter-individual variability.

``P_i = TV * exp(eta_i)`` with ``eta_i ~ N(0, omega^2)`` independent per
parameter, where ``omega^2 = ln(1 + CV^2)`` so that ``CV`` is the coefficient
of variation of ``P_i``.  The draws for subject ``i`` use
``keys.subject_key(stream, i)`` folded with a hash of the parameter name, so
adding a subject, a parameter or changing the chunking never changes anyone's
other draws.  (Covariate models arrive with the cohort layer.)
"""

from __future__ import annotations

import zlib
from typing import Mapping

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, Int

from popsim.keys import subject_key

__all__ = ["check_typical", "etas", "individual"]


def check_typical(typical: Mapping[str, float], cv: Mapping[str, float], *, where: str = "params") -> None:
    """Reject non-finite or non-positive typical values and CVs outside [0, 3]."""
    for name, value in typical.items():
        v = float(value)
        if not (v == v and abs(v) != float("inf")) or v < 0 or (v == 0 and not name.startswith(("F", "ALAG"))):
            raise ValueError(f"{where}.{name}={value!r}; allowed: a finite number > 0 (>= 0 for F and ALAG)")
    for name, value in cv.items():
        if name not in typical:
            raise ValueError(f"{where}.cv.{name}: no typical value for {name!r}; known: {sorted(typical)}")
        if not 0 <= float(value) <= 3:
            raise ValueError(f"{where}.cv.{name}={value!r}; allowed: 0 <= CV <= 3 (fraction, 0.3 = 30%)")


def etas(
    cv: Mapping[str, float], stream: Array, subject: Int[Array, ""], dtype, *, prefix: str = ""
) -> dict[str, Float[Array, ""]]:
    """Log-scale random effects ``omega z`` of one subject, one per key of ``cv``.

    ``z`` is keyed by ``prefix + name`` (e.g. ``"midazolam.cl"``), so every
    drug and parameter has its own stream of draws.
    """
    key = subject_key(stream, subject)
    out = {}
    for name, c in cv.items():
        # Drawn in float32 whatever the precision, so a float64 run simulates
        # the same people as a float32 run.
        site = zlib.crc32((prefix + name).encode()) & 0x7FFFFFFF
        z = jax.random.normal(jax.random.fold_in(key, site), (), jnp.float32).astype(dtype)
        out[name] = jnp.sqrt(jnp.log1p(jnp.asarray(c, dtype) ** 2)) * z
    return out


def individual(
    typical: Mapping[str, float], cv: Mapping[str, float], stream: Array, subject: Int[Array, ""], dtype
) -> dict[str, Float[Array, ""]]:
    """One subject's parameters (same units as ``typical``)."""
    out = {k: jnp.asarray(v, dtype) for k, v in typical.items()}
    for name, eta in etas(cv, stream, subject, dtype).items():
        out[name] = out[name] * jnp.exp(eta)
    return out
