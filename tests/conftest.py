"""Shared test configuration and an independent ODE oracle for grid-mode PK.

The oracle here does not use anything from ``popsim``: rate matrices are written
out by hand from the model description, inputs are turned into explicit dose
and infusion events, and ``scipy.integrate.solve_ivp`` integrates between
events.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

# As `python -m popsim` does: one XLA host device per core, so the tests run the sharded path.
if "xla_force_host_platform_device_count" not in os.environ.get("XLA_FLAGS", ""):
    os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "")
                               + f" --xla_force_host_platform_device_count={os.cpu_count() or 1}").strip()

import jax  # noqa: E402
import matplotlib  # noqa: E402

matplotlib.use("Agg")
import numpy as np
import pytest
from scipy.integrate import solve_ivp

# A (subject, time) / (subject,) division silently runs along the wrong axis
# when the two sizes happen to match; make any implicit rank promotion an error.
jax.config.update("jax_numpy_rank_promotion", "raise")


@pytest.fixture
def analyse():
    """``analyse(name, files)``: run ``experiments/<name>/analyse.py`` on the folder of a run's
    ``files["dataset"]`` and return its output (the test fails on an error)."""
    root = Path(__file__).resolve().parents[1]

    def run_script(name: str, files: dict) -> str:
        res = subprocess.run([sys.executable, str(root / "experiments" / name / "analyse.py"),
                              str(Path(files["dataset"]).parent)], capture_output=True, text=True, check=False)
        assert res.returncode == 0, res.stderr[-2000:]
        return res.stdout

    return run_script


@pytest.fixture(scope="session")
def run_study(tmp_path_factory):
    """``run_study(overrides)``: run an experiment in a fresh folder; returns its ``files`` and Dataset."""
    from popsim.io import read_dataset
    from popsim.run import configure, run

    def go(overrides: list[str]):
        x64 = jax.config.jax_enable_x64
        try:  # run() sets x64 for the run's precision: leave it as the other tests expect it
            files = run(configure(overrides), tmp_path_factory.mktemp("study"), progress=False)
            return files, read_dataset(files["dataset"])
        finally:
            jax.config.update("jax_enable_x64", x64)

    return go


@pytest.fixture(scope="session")
def tiny(run_study):
    """``tiny(name, *overrides)``: (files, Dataset) of the experiment's tiny run (``EXPERIMENT.tiny``) in
    float64, with extra ``overrides``; each run once per session, shared by the contract and science tests."""
    from popsim.experiments import REGISTRY

    cache = {}

    def go(name: str, *overrides: str):
        key = (name, *overrides)
        if key not in cache:
            cache[key] = run_study([f"+experiment={name}", *REGISTRY[name].tiny, "precision=float64", *overrides])
        return cache[key]

    return go


@pytest.fixture(scope="module")
def study(request, tiny):
    """(files, Dataset) of the tiny run of the test module's experiment (its ``NAME``)."""
    return tiny(request.module.NAME)


@pytest.fixture(scope="module")
def tables(study):
    """The tidy tables (CSV files) of the module's tiny run, by their key in ``files``."""
    import pandas as pd

    return {key: pd.read_csv(path) for key, path in study[0].items() if str(path).endswith(".csv")}


@pytest.fixture
def refused(request):
    """``refused(overrides, message)``: configuring the test module's experiment (``NAME``, at its tiny
    size) with ``overrides`` (one or a list) fails before any compute, with a ValueError whose message
    matches the regular expression ``message``."""
    from popsim.experiments import REGISTRY
    from popsim.run import configure

    def check(overrides, message: str) -> None:
        name = request.module.NAME
        extra = [overrides] if isinstance(overrides, str) else list(overrides)
        with pytest.raises(ValueError, match=message):
            configure([f"+experiment={name}", *REGISTRY[name].tiny, *extra])

    return check


def check_outputs(files: dict, ds) -> None:
    """Every written file exists and every variable of the Dataset carries CF ``units`` and ``long_name``."""
    assert all(Path(p).exists() for p in files.values()), files
    for name, var in ds.data_vars.items():
        assert var.attrs["units"] and var.attrs["long_name"], name


@pytest.fixture(scope="session")
def outputs_ok():
    """The Dataset contract check (:func:`check_outputs`) as a fixture, for the CLI tests."""
    return check_outputs


@pytest.fixture
def x64():
    """Run one test in float64 without leaving x64 switched on for later tests."""
    with jax.enable_x64(True):
        yield


# ---------------------------------------------------------------------------
# Hand-written rate matrices
# ---------------------------------------------------------------------------


def hand_rate_matrix(names, flows, effects=()):
    """``K`` (n, n) from explicit first-order flows.

    ``flows``: (src, dst or None, k in 1/h); ``effects``: (name, follows, ke0, V
    of the followed compartment), effect state being a concentration.
    """
    idx = {n: i for i, n in enumerate(names)}
    K = np.zeros((len(names), len(names)))
    for src, dst, k in flows:
        K[idx[src], idx[src]] -= k
        if dst is not None:
            K[idx[dst], idx[src]] += k
    for name, follows, ke0, V in effects:
        K[idx[name], idx[follows]] += ke0 / V
        K[idx[name], idx[name]] -= ke0
    return K


def mammillary_flows(p, n_cmt, oral, P=""):
    """Flows of a 1-3 compartment mammillary model written from the textbook."""
    g = lambda k: p[P + k]  # noqa: E731
    flows = [(P + "central", None, g("CL") / g("V1"))]
    if oral:
        flows.append((P + "depot", P + "central", g("KA")))
    for j in range(2, n_cmt + 1):
        per = f"{P}periph{j - 1}"
        flows.append((P + "central", per, g(f"Q{j}") / g("V1")))
        flows.append((per, P + "central", g(f"Q{j}") / g(f"V{j}")))
    return flows


def chain_flows(p, n_cmts, oral=True):
    """Parent -> metabolite chain: ``FM`` of the previous species' clearance forms the next."""
    prefixes = ["" if i == 0 else f"M{i}_" for i in range(len(n_cmts))]
    flows = []
    for i, (n, P) in enumerate(zip(n_cmts, prefixes)):
        species = mammillary_flows(p, n, oral and i == 0, P)
        if i + 1 < len(n_cmts):
            nxt = prefixes[i + 1]
            k = p[P + "CL"] / p[P + "V1"]
            fm = p[nxt + "FM"]
            species = [f for f in species if not (f[0] == P + "central" and f[1] is None)]
            species += [(P + "central", nxt + "central", fm * k), (P + "central", None, (1 - fm) * k)]
        flows += species
    return flows


# ---------------------------------------------------------------------------
# Event-restarted ODE integration
# ---------------------------------------------------------------------------


def events_from_grid(u, dt, channels):
    """Regimen array -> explicit events.

    ``channels``: list of (kind, state index, F, lag) with numbers, not names.
    Returns boluses [(time, index, amount)] and infusions [(start, end, index, rate)].
    """
    boluses, infusions = [], []
    for i, (kind, idx, F, lag) in enumerate(channels):
        for k in np.nonzero(u[:, i])[0]:
            t0 = k * dt + lag
            if kind == "bolus":
                boluses.append((t0, idx, F * u[k, i]))
            else:
                infusions.append((t0, (k + 1) * dt + lag, idx, F * u[k, i]))
    return boluses, infusions


def ode_states(K_segments, change_times, n, boluses, infusions, t_grid, rtol=1e-12, atol=None):
    """States (len(t_grid), n) at the grid times as LEFT limits, by solve_ivp.

    ``atol`` defaults to 1e-18 times the largest amount put in by one event:
    small enough that tails down to 1e-9 of the peak are still resolved to
    better than 1e-8 relative (measured against ``scipy.linalg.expm``: 1e-11).

    ``K_segments[j]`` holds on ``[change_times[j], change_times[j+1])``
    (``change_times[0] == 0``).  Integration restarts at every bolus, infusion
    start and end, and parameter change; a bolus at ``t`` is added after the
    value at ``t`` is recorded.
    """
    t_grid = np.asarray(t_grid, float)
    T = t_grid[-1]
    if atol is None:
        amounts = [abs(a) for _, _, a in boluses] + [abs(r) * (e - s) for s, e, _, r in infusions]
        atol = 1e-18 * max(amounts + [1.0])
    cuts = {0.0, T}
    cuts.update(t for t, _, _ in boluses if t < T)
    cuts.update(t for s, e, _, _ in infusions for t in (s, e) if t < T)
    cuts.update(t for t in change_times if t < T)
    cuts = np.array(sorted(cuts))
    out = np.full((len(t_grid), n), np.nan)
    x = np.zeros(n)
    out[t_grid == 0.0] = x
    for a, b in zip(cuts[:-1], cuts[1:]):
        for t, idx, amt in boluses:
            if t == a:
                x = x.copy()
                x[idx] += amt
        r = np.zeros(n)
        for s, e, idx, rate in infusions:
            if s <= a < e:
                r[idx] += rate
        seg = np.searchsorted(change_times, a, side="right") - 1
        K = K_segments[seg]
        inside = (t_grid > a) & (t_grid <= b)
        t_eval = np.concatenate([t_grid[inside & (t_grid < b)], [b]])
        sol = solve_ivp(
            lambda t, y, K=K, r=r: K @ y + r,
            (a, b),
            x,
            method="LSODA",
            jac=lambda t, y, K=K: K,
            rtol=rtol,
            atol=atol,
            t_eval=t_eval,
        )
        assert sol.success, sol.message
        out[inside] = sol.y.T[: inside.sum()]  # drops b when b is not a grid time
        x = sol.y[:, -1]
    assert np.all(np.isfinite(out))
    return out


@pytest.fixture(scope="session")
def ode():
    """The ODE oracle helpers, as a namespace for test modules."""

    class Oracle:
        rate_matrix = staticmethod(hand_rate_matrix)
        mammillary_flows = staticmethod(mammillary_flows)
        chain_flows = staticmethod(chain_flows)
        events = staticmethod(events_from_grid)
        states = staticmethod(ode_states)

    return Oracle
