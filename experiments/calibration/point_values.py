"""The fit log-likelihood of each block at the maximum-likelihood point values, at the posterior's marginal
medians and over the posterior's draws, replayed on the population the shipped posterior was inferred on (150
subjects per scenario arm, seed 0, float32): the table under "n_draws=0" in experiments/calibration/README.md.
From the repository root::

    python experiments/calibration/point_values.py
"""

from __future__ import annotations

if __name__ == "__main__":
    import jax.numpy as jnp
    import numpy as np

    from popsim.experiments.calibration import BLOCKS, STATISTICS, fit_log_likelihood, read_targets, simulate_scenarios
    from popsim.pd.parameters import check_values
    from popsim.uncertainty import posterior

    post, values = posterior(), check_values()
    fit = read_targets().query("use == 'fit'")
    print("block, constants, log-likelihood at: ML values, marginal posterior medians; posterior draws: best, median")
    for block, scenarios in BLOCKS.items():
        rows = fit[[STATISTICS[s][0] in scenarios for s in fit["statistic"]]].reset_index(drop=True)
        raw = simulate_scenarios(list(dict.fromkeys(rows["statistic"])), seed=int(post.attrs["seed"]),
                                 n_subjects=int(post.attrs["n_subjects_per_arm"]), dtype=jnp.float32)
        names = post.attrs[f"{block}_constants"].split(";")
        f = fit_log_likelihood(raw, rows, values)
        ml, med = f({k: np.array([values[k]]) for k in names}), f({k: np.median(post[k].values)[None] for k in names})
        ll = post[f"log_likelihood_{block}"].values
        print(f"{block}, {len(names)}, {ml[0]:.2f}, {med[0]:.2f}; {ll.max():.2f}, {np.median(ll):.2f}", flush=True)
