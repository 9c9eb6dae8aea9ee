"""The one place that jits, vmaps and shards: subjects x regimens in chunks.

Numerical functions elsewhere are written for one subject and one regimen.
Here they are ``vmap``-ed over regimens (inner) and subjects (outer, placed on
the last axis so every state variable is a contiguous array over subjects),
sharded over the local devices along the subject axis, and run chunk by
chunk so memory is bounded whatever the cohort size.  Subject ``i``'s
parameters come from ``fold_in`` keys of its global index, so results do not
depend on cohort size, chunk size, device count or regimen.

Parameter draws (model uncertainty) are an optional third batched axis,
between regimens and subjects: the part of the runtime arguments that carries
a leading draw axis (``draw_axes``: the PD constants, the drug library's
values) is ``vmap``-ed outside the subjects, so that every array that depends
on a draw keeps the subjects on its minor axis (draw k's bits do not depend on
the number of draws), and what does not depend on one (the subject's keys and
covariates, its PK when the library is not drawn) stays unbatched and is
computed once per subject; subject ``i`` is the same person in every draw.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Callable, Mapping, Sequence

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, PartitionSpec

from popsim.keys import root_key, stream_key
from popsim.params import check_typical, individual
from popsim.pk.grid import GridSpec, kernels, simulate_one

__all__ = ["TypicalIIV", "check_regimens", "simulate", "simulate_grid"]


def check_regimens(spec: GridSpec, regimens: np.ndarray) -> np.ndarray:
    """``(regimen, time, channel)`` inputs: finite, >= 0, matching the grid."""
    u = np.asarray(regimens, dtype=float)
    expected = (spec.n_steps, len(spec.channels))
    if u.ndim != 3 or u.shape[1:] != expected:
        raise ValueError(f"regimens have shape {u.shape}; expected (regimen, {expected[0]}, {expected[1]})")
    bad = ~np.isfinite(u) | (u < 0)
    if bad.any():
        r, k, c = np.argwhere(bad)[0]
        what = "amount (mg)" if spec.channels[c].kind == "bolus" else "rate (mg/h)"
        raise ValueError(
            f"regimen {r}, time {k * spec.dt:g} h, channel {spec.channels[c].cmt!r}: {what} = {float(u[r, k, c])!r}; "
            "allowed: a finite number >= 0"
        )
    return u


def _segments(typical: Mapping[str, object]) -> int:
    sizes = {np.size(v) for v in typical.values()} - {1}
    if len(sizes) > 1:
        raise ValueError(f"piecewise-constant parameters must share one segment count; got sizes {sorted(sizes)}")
    return sizes.pop() if sizes else 1


_LANES = 128


@dataclasses.dataclass(frozen=True)
class TypicalIIV:
    """Subjects = typical values x log-normal IIV (see :mod:`popsim.params.iiv`).

    A *subject model* is a hashable object (part of the compile cache key)
    called as ``model(i, args, dtype) -> (params, covariates)`` for one
    subject's global index ``i``: ``params`` {name: (segment,)} for the grid,
    ``covariates`` {name: scalar} to report.  ``args`` carries the runtime
    arrays (values, keys), so new values never recompile.
    """

    names: tuple[str, ...]
    cv_names: tuple[str, ...]

    def __call__(self, i, args, dtype):
        typical, cv, stream = args
        return individual(typical, cv, stream, i, dtype), {}


def _none(x) -> bool:
    return x is None


@functools.lru_cache(maxsize=32)
def _compiled(spec: GridSpec, subjects: Callable, n_devices: int, draw_axes=None) -> Callable:
    """Jitted ``(ids, args, U) -> (params, covariates, outputs)``; cached by static structure."""

    def one_subject(i, args, U):
        p, cov = subjects(i, args, U.dtype)  # p values: (segment,)
        # No TF32/bf16 shortcuts in the small propagator products on GPUs.
        with jax.default_matmul_precision("highest"):
            ker = jax.vmap(lambda q: kernels(spec, q))(p)
        pd = {k: p[k][0] for k in spec.pd.parameters} if spec.pd is not None else None
        out = jax.vmap(lambda u: simulate_one(spec, ker, u, pd, joined=False), out_axes=-1)(U)
        return p, cov, out

    if draw_axes is None:
        batched = jax.vmap(one_subject, in_axes=(0, None, None), out_axes=-1)
    else:
        # Draws outside, subjects inside: every array that depends on a draw is (draw, subject) with the
        # subjects on the minor axis, vectorised by the padded chunk whatever K, so draw k's bits do not
        # depend on the number of draws (over a minor draw axis XLA vectorises by K).  The drawn arguments
        # get the subject axis too, so what depends only on a draw (e.g. a drawn entry's tissue partition) is
        # computed the same way.  JAX batches only what depends on the drawn arguments: what does not (the
        # covariates, which cannot depend on a draw: out_axes None), is computed once per subject.
        def inner(a):
            return None if a is None else 0

        per_subject = jax.vmap(one_subject, in_axes=(0, jax.tree_util.tree_map(inner, draw_axes, is_leaf=_none),
                                                     None), out_axes=-1)
        per_draw = jax.vmap(per_subject, in_axes=(None, draw_axes, None), out_axes=(-2, None, -2))

        def batched(ids, args, U):
            def spread(a, x):  # a: the draw axis (0) of the subtree x of the arguments, or None
                return x if a is None else jax.tree_util.tree_map(
                    lambda y: jnp.broadcast_to(y[:, None], (y.shape[0], ids.shape[0])), x)

            return per_draw(ids, jax.tree_util.tree_map(spread, draw_axes, args, is_leaf=_none), U)
    if n_devices == 1:
        return jax.jit(batched)
    mesh = Mesh(np.array(jax.devices()[:n_devices]), ("subject",))

    def sharded(ids, args, U):
        shapes = jax.eval_shape(batched, ids, args, U)
        out_specs = jax.tree_util.tree_map(lambda s: PartitionSpec(*([None] * (s.ndim - 1)), "subject"), shapes)
        f = jax.shard_map(batched, mesh=mesh, in_specs=(PartitionSpec("subject"), PartitionSpec(), PartitionSpec()),
                          out_specs=out_specs, check_vma=False)
        return f(ids, args, U)

    return jax.jit(sharded)


def simulate(
    spec: GridSpec,
    subjects: Callable,
    args,
    regimens: np.ndarray,
    *,
    n_subjects: int,
    chunk_size: int = 8192,
    dtype=jnp.float32,
    progress: Callable[[int, int], None] | None = None,
    draw_axes=None,
) -> dict:
    """Simulate ``n_subjects`` of a subject model (see :class:`TypicalIIV`) x ``regimens`` on ``spec``.

    Parameters
    ----------
    regimens : (regimen, time, channel) bolus amounts (mg) or infusion rates (mg/h).
    draw_axes : None, or parameter draws: a hashable ``vmap`` ``in_axes`` prefix of ``args``, 0 on the
        parts that carry a leading ``(draw,)`` axis (the same length K for all), None on the rest (e.g.
        :meth:`popsim.arm.SubjectArgs.draw_axes`).  The subject model then sees one draw at a time;
        every output but ``covariates`` gains a ``draw`` axis just before the subject axis (parameters
        and PK outputs that do not depend on the draw are broadcast over it), ``covariates`` keep
        ``(subject,)``.  Draw ``k`` and subject ``i`` are the same whatever K and the chunking.
    chunk_size : subjects per compiled call (rounded up to a multiple of 128
        per device); the last chunk is padded so nothing recompiles and every
        subject takes the same compiled code path (bitwise chunk invariance).
        Chunk k+1 is queued before chunk k is copied to the host, so two
        chunks' outputs are in device memory at once: size chunks for that
        when trajectories are kept on a GPU.

    Returns
    -------
    dict with ``params`` {name: (segment, subject)}, ``covariates`` {name:
    (subject,)}, and the arrays of :func:`popsim.pk.grid.simulate_one` with
    two trailing axes ``(regimen, subject)``: ``conc`` {output: (time,
    regimen, subject)} and summaries ``(window, output, regimen, subject)``
    (``t_above``/``t_below``: ``(output, threshold, regimen, subject)``);
    with ``draw_axes``, ``(..., draw, subject)``.  numpy arrays.
    """
    if dtype == jnp.float64 and not jax.config.jax_enable_x64:
        raise ValueError("precision float64 needs jax_enable_x64 (set precision before any JAX work)")
    if n_subjects < 1:
        raise ValueError(f"n_subjects={n_subjects!r}; allowed: >= 1")
    if chunk_size < 1:
        raise ValueError(f"chunk_size={chunk_size!r}; allowed: >= 1")
    U = check_regimens(spec, regimens)
    n_dev = len(jax.devices())
    # Every compiled call sees a whole number of SIMD-friendly lanes per device:
    # a remainder loop would be compiled differently (e.g. without FMA
    # contraction) and change the last bits of some subjects with the chunking.
    lanes = n_dev * _LANES
    chunk = -(-min(chunk_size, n_subjects) // lanes) * lanes
    f = _compiled(spec, subjects, n_dev, draw_axes)
    Uj = jnp.asarray(U, dtype)
    result, traj = None, None

    def store(start, stop, out):
        nonlocal result, traj
        p, cov, summaries = out
        # trajectories come as time pieces ({group: {name: (piece, ...)}}): written straight into place
        pieces = {g: summaries.pop(g) for g in ("conc", "pd") if g in summaries}
        part = jax.tree_util.tree_map(lambda x: np.asarray(x)[..., : stop - start], (p, cov, summaries))
        if result is None:
            result = jax.tree_util.tree_map(lambda x: np.empty(x.shape[:-1] + (n_subjects,), x.dtype), part)
            traj = {g: {k: np.empty((sum(x.shape[0] for x in v),) + v[0].shape[1:-1] + (n_subjects,), v[0].dtype)
                        for k, v in group.items()} for g, group in pieces.items()}
        jax.tree_util.tree_map(lambda dst, src: dst.__setitem__((..., slice(start, stop)), src), result, part)
        for g, group in pieces.items():
            for k, v in group.items():
                t = 0
                for x in v:
                    traj[g][k][t : t + x.shape[0], ..., start:stop] = np.asarray(x)[..., : stop - start]
                    t += x.shape[0]
        if progress:
            progress(stop, n_subjects)

    # Dispatch is asynchronous: chunk k+1 is queued before chunk k is copied
    # to the host, so the copy overlaps the next chunk's compute.
    pending = None
    for start in range(0, n_subjects, chunk):
        stop = min(start + chunk, n_subjects)
        out = f(jnp.arange(start, start + chunk, dtype=jnp.int32), args, Uj)
        if pending is not None:
            store(*pending)
        pending = (start, stop, out)
    store(*pending)
    params, covariates, out = result
    return {"params": params, "covariates": covariates, **out, **traj}


def simulate_grid(
    spec: GridSpec,
    typical: Mapping[str, float | Sequence[float]],
    cv: Mapping[str, float],
    regimens: np.ndarray,
    *,
    n_subjects: int,
    seed: int,
    chunk_size: int = 8192,
    dtype=jnp.float32,
    progress: Callable[[int, int], None] | None = None,
) -> dict:
    """Simulate ``n_subjects`` x ``regimens`` on the grid ``spec``.

    Parameters
    ----------
    typical : typical values by parameter name; a sequence gives one value per
        parameter segment (``spec.segment_of_step`` indexes them).
    cv : coefficient of variation of log-normal IIV by parameter name.
    regimens : (regimen, time, channel) bolus amounts (mg) or infusion rates (mg/h).
    chunk_size, progress : as for :func:`simulate`.

    Returns
    -------
    As :func:`simulate`, without ``covariates``.
    """
    check_typical(typical, cv)
    spec.check_parameters(typical)
    n_seg = _segments(typical)
    if spec.segment_of_step is not None and max(spec.segment_of_step) >= n_seg:
        raise ValueError(f"segment_of_step refers to segment {max(spec.segment_of_step)}; parameters have {n_seg}")
    tv = {k: jnp.broadcast_to(jnp.asarray(v, dtype), (n_seg,)) for k, v in typical.items()}
    args = (tv, {k: jnp.asarray(v, dtype) for k, v in cv.items()}, stream_key(root_key(seed), "iiv"))
    out = simulate(spec, TypicalIIV(tuple(sorted(typical)), tuple(sorted(cv))), args, regimens,
                   n_subjects=n_subjects, chunk_size=chunk_size, dtype=dtype, progress=progress)
    del out["covariates"]
    return out
