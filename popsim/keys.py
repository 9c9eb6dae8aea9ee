"""PRNG key derivation: ``fold_in(fold_in(root, stream), subject)``.

A subject's key depends only on the root seed, the named stream and the
subject's global index, never on cohort size, chunk size, device count or
regimen, so subject 17 is the same person in every run (common random
numbers).  Never ``split(key, N)[i]``: that changes with ``N``.  The
``draws`` stream keys the parameter-uncertainty draws the same way, by draw
index (:func:`popsim.uncertainty.draws`), and the ``library`` stream of a fixed seed the draws of the
drug library's values (:func:`popsim.uncertainty.library_draws`).
"""

from __future__ import annotations

import zlib

import jax
import jax.numpy as jnp
from jaxtyping import Array, Int

__all__ = ["STREAMS", "job_seed", "root_key", "stream_key", "subject_key"]

# Named streams; the integer is a CRC so that adding a stream never shifts another.
STREAMS = ("iiv", "cohort", "regimen", "risk", "draws", "library")


def root_key(seed: int) -> Array:
    return jax.random.key(seed)


def stream_key(root: Array, stream: str) -> Array:
    if stream not in STREAMS:
        raise ValueError(f"unknown key stream {stream!r}; allowed: {list(STREAMS)}")
    return jax.random.fold_in(root, zlib.crc32(stream.encode()) & 0x7FFFFFFF)


def subject_key(stream: Array, subject: Int[Array, ""]) -> Array:
    """Key of subject ``subject`` (global 0-based index) within a stream."""
    return jax.random.fold_in(stream, jnp.asarray(subject, jnp.uint32))


def job_seed(base: int, overrides: list[str]) -> int:
    """The seed of one job of a multirun sweep: a hash of the base seed and the job's other overrides
    (order-free; the ``seed`` override itself is the base, and ``n_draws``, ``draws_of`` and ``posterior`` are
    left out so that the subjects are the same in a sweep over the draws or the posteriors), so every job draws
    its own subjects.  The
    job's resolved config (``.hydra/config.yaml`` and the Dataset's ``config_yaml``) records the derived
    seed: rerun a job with ``seed=<that>`` (single run) or the same multirun command."""
    rest = sorted(o for o in overrides if not o.lstrip("+~").startswith(("seed=", "n_draws=", "draws_of=",
                                                                          "posterior=")))
    return zlib.crc32(f"{base}|{'|'.join(rest)}".encode()) & 0x7FFFFFFF
