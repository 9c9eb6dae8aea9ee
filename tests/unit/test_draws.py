"""Parameter draws as a batched axis (popsim.simulate ``draw_axes``, popsim.arm, the ``n_draws`` run key).

An arm with PD (lorazepam in the elderly preset, two daily doses, 3 days on a 1 h grid) is run with draws
0..K-1 of the runtime PD constants and of the drug library's values (:func:`popsim.uncertainty.draw_values`,
:func:`popsim.uncertainty.library_draws`).
Draw k must not depend on K or on the chunking (bitwise), and must equal a run of the point-value path with
that draw's constants and library values (also for diazepam's metabolite chain with a CYP2C19 perpetrator); a
subject is the same person in every draw.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from popsim.arm import Arm, run_arm
from popsim.keys import job_seed
from popsim.pd.parameters import check_values
from popsim.pk.grid import Window
from popsim.regimen import fixed_interval
from popsim.uncertainty import LIBRARY, draw_values, library_draws

N_STEPS = 3 * 24 + 1
ARM = Arm("lorazepam", "oral", "elderly", 1.0, N_STEPS)
WINDOWS = {"ss": Window(N_STEPS - 25, N_STEPS - 1), "horizon": Window(0, N_STEPS - 1)}
U = np.stack([fixed_interval(N_STEPS, 1.0, d, 24.0, 0.0) for d in (1.0, 2.0)])[..., None]
LANES = 128 * len(jax.devices())  # popsim.simulate pads chunks to this many subjects
N = LANES + 7  # two chunks at chunk_size=LANES, one at 2 * LANES


def draws(k):
    """Draws 0..k-1 of the PD posterior and of the library's values, as a run with n_draws=k takes them."""
    return draw_values(k) | library_draws(k)


def run(values, chunk=2 * LANES, dtype=jnp.float32):
    return run_arm(ARM, U, seed=3, n_subjects=N, windows=WINDOWS, values=values, chunk_size=chunk,
                   dtype=dtype).raw


def arrays(raw, draws=None):
    """Every output array of ``raw`` (params and summaries; covariates apart), draws ``draws`` of each."""
    out = {f"params.{k}": v for k, v in raw["params"].items()}
    out |= {k: v for k, v in raw.items() if isinstance(v, np.ndarray)}
    return {k: v if draws is None else v[..., draws, :] for k, v in out.items()}


@pytest.fixture(scope="module")
def five():
    return run(draws(5))


def test_draw_k_does_not_depend_on_the_number_of_draws(five):
    three = run(draws(3))
    a, b = arrays(five, slice(0, 3)), arrays(three)
    assert a.keys() == b.keys() and {"auc", "pd_end", "pd_max", "params.KD_a1", "params.DEP_XC"} <= set(a)
    for k in a:
        assert a[k].shape[-2:] == (3, N), k
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)  # bitwise (NaN where a signal is undefined)
    # not vacuous: the draws differ, and so does what depends on them
    assert len(np.unique(five["params"]["FALL_BETA"])) == 5
    end = np.nan_to_num(five["pd_end"])  # (window, signal, regimen, draw, subject)
    assert np.any(end[..., 1:, :] != end[..., :1, :])


def test_a_subject_is_the_same_person_in_every_draw(five):
    assert all(v.shape == (N,) for v in five["covariates"].values())  # one set of covariates per subject
    pd_only = run(draw_values(5))
    for k in ("CL", "V1", "KA"):
        p = pd_only["params"][k]  # (segment, draw, subject): PK does not depend on the PD constants
        np.testing.assert_array_equal(p, np.broadcast_to(p[:, :1], p.shape), err_msg=k)
        np.testing.assert_array_equal(pd_only["params"]["FALL_BETA"], five["params"]["FALL_BETA"])
    for stat in ("auc", "cmax", "cmin"):
        np.testing.assert_array_equal(pd_only[stat], np.broadcast_to(pd_only[stat][..., :1, :], pd_only[stat].shape))
    # with the library drawn, lorazepam's clearance moves with the drawn IIV of its clearance: a subject with
    # a positive random effect has a CL that rises with the drawn omega, and one with a negative, one that falls
    omega = library_draws(5)["lorazepam.iiv.cl"]
    cl = five["params"]["CL"][0]  # (draw, subject)
    order = np.argsort(omega)
    dlog = np.diff(np.log(cl[order]), axis=0)  # successive draws by rising omega
    sign = np.sign(np.log(cl[order][-1] / cl[order][0]))
    assert np.all(np.diff(omega[order]) > 0) and set(np.unique(sign)) == {-1.0, 1.0}
    assert (np.sign(dlog) == sign).mean() > 0.6  # other drawn values (fu, bp, pathways) move CL too


def test_chunk_size_does_not_change_draws(five):
    small = run(draws(5), chunk=LANES)
    for k, v in arrays(five).items():
        np.testing.assert_array_equal(v, arrays(small)[k], err_msg=k)


@pytest.mark.usefixtures("x64")
def test_each_draw_equals_the_point_value_path():
    # Not bitwise: XLA evaluates x ** y for an unbatched (scalar) base, as on the point-value path, in other
    # instructions than for a base batched over draws (measured: 1-ulp differences in KD_a1, KD_a2, DEP_XC,
    # which the withdrawal signals amplify to 1e-4 relative in float32); float64 bounds the difference.
    drawn = draws(2)
    both = run(drawn, dtype=jnp.float64)
    for j in range(2):
        lib = {k: float(v[j]) for k, v in drawn.items() if "." in k}  # library values held at draw j
        one = run(check_values({k: float(v[j]) for k, v in drawn.items() if "." not in k}) | lib,
                  dtype=jnp.float64)
        for k, v in arrays(both, j).items():
            np.testing.assert_allclose(v, arrays(one)[k], rtol=1e-9, atol=1e-300, err_msg=f"draw {j}: {k}")


@pytest.mark.usefixtures("x64")
def test_library_draws_reach_a_metabolite_chain_and_a_perpetrator():
    # diazepam -> nordiazepam -> oxazepam with fluvoxamine (CYP2C19, CYP3A4) taken by everyone: each draw equals
    # the point-value path with that draw's library values; the PK of every species and the enzyme activity
    # differ between draws
    arm = Arm("diazepam", "oral", "adult", 1.0, N_STEPS, perpetrator="fluvoxamine")
    u = np.stack([fixed_interval(N_STEPS, 1.0, 5.0, 24.0, 0.0)])[..., None]
    doses = fixed_interval(N_STEPS, 1.0, 100.0, 24.0, 0.0)

    def go(values):
        return run_arm(arm, u, seed=3, n_subjects=9, windows=WINDOWS, values=values, perpetrator_doses=doses,
                       dtype=jnp.float64).raw

    drawn = draws(2)
    both = go(drawn)
    for k in ("CL", "M1_CL", "M2_CL", "M1_FM", "V1", "cyp2c19_liver_min"):
        assert np.all(both["params"][k][:, 0] != both["params"][k][:, 1]), k
    for j in range(2):
        lib = {k: float(v[j]) for k, v in drawn.items() if "." in k}
        one = go(check_values({k: float(v[j]) for k, v in drawn.items() if "." not in k}) | lib)
        for k, v in arrays(both, j).items():
            np.testing.assert_allclose(v, arrays(one)[k], rtol=1e-9, atol=1e-300, err_msg=f"draw {j}: {k}")
    assert np.all(both["params"]["cyp2c19_liver_min"][0, 0] != both["params"]["cyp2c19_liver_min"][0, 1])


def test_library_priors_and_draws():
    # rule 3: the value is the median and the range ends the 2.5% and 97.5% quantiles (alprazolam's IIV of
    # CL, A, 0.3 in 0.2-0.6, log scale; its truncation at 3 is far)
    prior = LIBRARY["alprazolam.iiv.cl"]
    np.testing.assert_allclose(prior.icdf(jnp.array([0.025, 0.5, 0.975])), [0.2, 0.3, 0.6], rtol=1e-5)
    # rule 4 on a bound: fentanyl's CYP3A4 share (M, 1.0 in 0.8-1.0) is a half normal below 1
    np.testing.assert_allclose(LIBRARY["fentanyl.pathways.cyp3a4"].icdf(jnp.array([0.05, 1.0])), [0.8, 1.0],
                               rtol=1e-5)
    five, three = library_draws(5), library_draws(3)
    assert five.keys() == three.keys()
    for k in five:  # draw k does not depend on the number of draws
        np.testing.assert_array_equal(five[k][:3], three[k], err_msg=k)
    # rule 11: the fractions of non-renal clearance sum to 1 in every draw; fentanyl's remainder is "other"
    np.testing.assert_allclose(five["fentanyl.pathways.cyp3a4"] + five["fentanyl.pathways.other"], 1.0)
    assert np.all(five["fentanyl.pathways.other"] > 0)
    np.testing.assert_allclose(sum(five[f"voriconazole.pathways.{e}"] for e in ("cyp2c19", "cyp3a4", "other")),
                               1.0, rtol=1e-12)
    # rule 12: the lipophilicity refitted to each draw's Vss moves with it
    vss, logp = five["temazepam.vss"], five["temazepam.lipophilicity"]
    assert np.all(np.diff(logp[np.argsort(vss)]) > 0)
    # a drawn value outside its physical range is refused before compute, naming the draw
    bad = draws(3)
    bad["lorazepam.iiv.cl"] = np.array([0.3, -0.1, 0.3])
    with pytest.raises(ValueError, match=r"lorazepam.iiv.cl=-0.1 \(draw 1\); allowed: a finite number from 0 to 3"):
        ARM.args(0, jnp.float32, values=bad)
    # held values (scalars) too; an entry's values need its refitted lipophilicity; a child's are not drawn
    point = check_values()
    with pytest.raises(ValueError, match=r"lorazepam.iiv.cl=5.0; allowed: a finite number from 0 to 3"):
        ARM.args(0, jnp.float32, values=point | {"lorazepam.iiv.cl": 5.0, "lorazepam.lipophilicity": 2.0})
    with pytest.raises(ValueError, match=r"library values of \['lorazepam'\] without lorazepam.lipophilicity"):
        ARM.args(0, jnp.float32, values=point | {"lorazepam.iiv.cl": 0.3})
    args = ARM.args(0, jnp.float32, values=draws(3))  # only the arm's own species are passed
    assert args.library_values and {k.split(".")[0] for k in args.library_values} == {"lorazepam"}


def test_drawn_values_are_checked_before_compute():
    values = draws(3)
    values["fall_beta"] = values["fall_beta"].copy()
    values["fall_beta"][1] = -1.0
    with pytest.raises(ValueError, match=r"draw 1: pd.fall_beta=-1.0; allowed: a finite number >= 0"):
        ARM.args(0, jnp.float32, values=values)
    with pytest.raises(ValueError, match=r"one \(draw,\) shape"):
        ARM.args(0, jnp.float32, values={**draws(3), "kadapt": np.ones(2) * 0.004})
    # a scalar among draws is held fixed in every draw
    args = ARM.args(0, jnp.float32, values={**draws(3), "fall_beta": 2.0})
    np.testing.assert_array_equal(args.pd_values["fall_beta"], [2.0, 2.0, 2.0])
    assert args.draw_axes is not None and ARM.args(0, jnp.float32, values=check_values()).draw_axes is None


def test_n_draws_is_validated_and_refused_where_unsupported():
    from popsim.experiments import REGISTRY
    from popsim.run import configure

    for bad in ("-1", "1001"):
        with pytest.raises(ValueError, match=rf"n_draws={bad}; allowed: an integer 0 to 1000"):
            configure(["+experiment=elderly", *REGISTRY["elderly"].tiny, f"n_draws={bad}"])
    with pytest.raises(ValueError, match=r"n_draws=2: the fluctuation experiment draws nothing: its drugs are "
                                         r"typical values.*allowed: 0, or an experiment that supports draws: "
                                         r"\['alcohol', 'calibration', .*'elderly'.*'taper'\]"):
        configure(["+experiment=fluctuation", *REGISTRY["fluctuation"].tiny, "n_draws=2"])
    with pytest.raises(ValueError, match=r"n_draws=2: the pregnancy experiment does not support parameter draws "
                                         r"yet \(its summaries and figure are not built per draw\)"):
        configure(["+experiment=pregnancy", *REGISTRY["pregnancy"].tiny, "n_draws=2"])
    # a library-only run is not bounded by the posterior's draws
    assert configure(["+experiment=population", *REGISTRY["population"].tiny, "n_draws=200"]).n_draws == 200
    with pytest.raises(ValueError, match=r"n_draws=999; allowed: an integer from 1 to 128 \(the draws of the "
                                         r"posterior shipped\)"):
        configure(["+experiment=elderly", *REGISTRY["elderly"].tiny, "n_draws=999"])
    # a sweep over n_draws keeps the subjects: the job seed does not depend on it
    assert job_seed(5, ["n_draws=10", "grid.days=7"]) == job_seed(5, ["grid.days=7", "n_draws=50"])
