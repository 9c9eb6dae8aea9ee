"""The covariate model and cohort configuration: reproducible subjects, the configured distributions, checks.

Distributions are compared with scipy at n = 20000 with a fixed key; a test
passes when the goodness-of-fit p-value exceeds 1e-3 (a fixed key makes the
outcome deterministic; 1e-3 matches the IIV tests in test_population.py).
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

from popsim.cohort import COVARIATES, sample_subject
from popsim.cohort.presets import PRESETS, preset, preset_names
from popsim.cohort.spec import CYP2C19, CYP2C19_ANCESTRY, CohortConfig
from popsim.keys import root_key, stream_key

N = 20000
P_MIN = 1e-3

# Truncation matters on both sides of age (a = -1.1 SD, b = +1.25 SD) and BMI, so an
# untruncated or wrongly truncated sampler fails the KS tests.
CONFIG = CohortConfig(
    age_min=18.0, age_max=65.0, age_mean=40.0, age_sd=20.0, p_male=0.3,
    bmi_median=27.0, bmi_gsd=1.3, bmi_min=17.0, bmi_max=40.0,
    child_pugh=[0.4, 0.3, 0.2, 0.1], cyp2c19_ancestry="custom", cyp2c19=[0.05, 0.25, 0.4, 0.22, 0.08],
    p_perpetrator=0.4, p_opioid=0.1, p_alcohol=0.6,
)


def _sampler(c: CohortConfig):
    """``(seed, ids) -> covariates``: one compiled program per config and number of ids (about 1 s each)."""
    f = jax.jit(jax.vmap(lambda stream, i: sample_subject(c, stream, i), in_axes=(None, 0)))
    return lambda seed, ids: {k: np.asarray(v) for k, v in
                              f(stream_key(root_key(seed), "cohort"), jnp.asarray(ids, jnp.int32)).items()}


SAMPLE = _sampler(CONFIG)


@pytest.fixture(scope="module")
def draws():
    CONFIG.check()
    return SAMPLE(11, np.arange(N))


# ---------------------------------------------------------------------------
# Reproducibility
# ---------------------------------------------------------------------------


def test_subject_is_the_same_whatever_cohort_size_or_order(draws):
    big = draws  # ids arange(N), seed 11
    small = SAMPLE(11, np.arange(10))
    rev = SAMPLE(11, np.arange(N - 1, -1, -1))
    shuffled_ids = np.random.default_rng(0).permutation(N)
    shuffled = SAMPLE(11, shuffled_ids)
    assert set(small) == set(COVARIATES)
    for k in COVARIATES:
        np.testing.assert_array_equal(small[k], big[k][:10], err_msg=k)
        np.testing.assert_array_equal(rev[k][::-1], big[k], err_msg=k)
        np.testing.assert_array_equal(shuffled[k], big[k][shuffled_ids], err_msg=k)
    assert len(np.unique(big["age"][:1000])) == 1000  # subjects differ from one another


def test_changing_one_distribution_leaves_the_other_covariates_alone():
    # Each site has its own key: a different Child-Pugh mix or perpetrator fraction moves no one's age.
    a = SAMPLE(4, np.arange(10))
    other = dataclasses.replace(CONFIG, child_pugh=[0.0, 0.0, 0.0, 1.0], p_perpetrator=0.9,
                                cyp2c19=[0.5, 0.1, 0.2, 0.1, 0.1])
    b = _sampler(other)(4, np.arange(10))
    for k in ("age", "male", "height_cm", "bmi", "weight_kg", "opioid", "alcohol"):
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)
    assert np.all(b["child_pugh"] == 3)


def test_seeds_give_different_people():
    a = SAMPLE(1, np.arange(10))
    b = SAMPLE(2, np.arange(10))
    assert not np.any(a["age"] == b["age"])


# ---------------------------------------------------------------------------
# Distributions
# ---------------------------------------------------------------------------


def test_age_is_the_configured_truncated_normal(draws):
    c = CONFIG
    age = draws["age"].astype(float)
    assert age.min() >= c.age_min and age.max() <= c.age_max
    ref = stats.truncnorm((c.age_min - c.age_mean) / c.age_sd, (c.age_max - c.age_mean) / c.age_sd,
                          loc=c.age_mean, scale=c.age_sd)
    assert stats.kstest(age, ref.cdf).pvalue > P_MIN


def test_bmi_is_the_configured_truncated_log_normal(draws):
    c = CONFIG
    bmi = draws["bmi"].astype(float)
    # float32 exp(log bmi) may land one ulp outside the bounds: 1e-5 relative slack.
    assert bmi.min() >= c.bmi_min * (1 - 1e-5) and bmi.max() <= c.bmi_max * (1 + 1e-5)
    mu, s = np.log(c.bmi_median), np.log(c.bmi_gsd)
    ref = stats.truncnorm((np.log(c.bmi_min) - mu) / s, (np.log(c.bmi_max) - mu) / s, loc=mu, scale=s)
    assert stats.kstest(np.log(bmi), ref.cdf).pvalue > P_MIN


def test_height_is_normal_per_sex_truncated_at_three_sd(draws):
    c = CONFIG
    male = draws["male"] == 1
    for sel, (mean, sd) in ((male, c.height_cm_male), (~male, c.height_cm_female)):
        z = (draws["height_cm"][sel].astype(float) - mean) / sd
        assert stats.kstest(z, stats.truncnorm(-3, 3).cdf).pvalue > P_MIN


def test_independent_covariates_are_uncorrelated(draws):
    # Every site draws with its own key: covariates independent by design show no rank correlation.
    # Under independence Spearman's rho has SD 1/sqrt(N) = 0.007; |rho| < 0.03 is a 4.2 SD bound
    # over 36 pairs (family-wise false alarm about 1e-3).
    c = CONFIG
    male = draws["male"] == 1
    z_height = np.where(male, (draws["height_cm"] - c.height_cm_male[0]) / c.height_cm_male[1],
                        (draws["height_cm"] - c.height_cm_female[0]) / c.height_cm_female[1])
    cols = {k: draws[k] for k in ("age", "male", "bmi", "child_pugh", "cyp2c19", "perpetrator", "opioid", "alcohol")}
    cols["z_height"] = z_height
    keys = list(cols)
    for i, a in enumerate(keys):
        for b in keys[i + 1:]:
            rho = stats.spearmanr(cols[a], cols[b]).statistic
            assert abs(rho) < 0.03, (a, b, rho)


def test_weight_is_bmi_times_height_squared(draws):
    # float32 arithmetic: 1e-6 relative (a few ulps).
    np.testing.assert_allclose(draws["weight_kg"], draws["bmi"] * (draws["height_cm"] / 100.0) ** 2, rtol=1e-6)


@pytest.mark.parametrize("name, p", [("male", CONFIG.p_male), ("perpetrator", CONFIG.p_perpetrator),
                                     ("opioid", CONFIG.p_opioid), ("alcohol", CONFIG.p_alcohol)])
def test_indicator_fractions_are_binomial(draws, name, p):
    x = draws[name]
    assert set(np.unique(x)) <= {0.0, 1.0}
    assert stats.binomtest(int(x.sum()), N, p).pvalue > P_MIN


def test_categorical_frequencies(draws):
    c = CONFIG
    for name, probs in (("child_pugh", c.child_pugh), ("cyp2c19", c.cyp2c19)):
        counts = np.bincount(draws[name].astype(int), minlength=len(probs))
        assert len(counts) == len(probs), name
        assert stats.chisquare(counts, N * np.asarray(probs)).pvalue > P_MIN, name


def test_default_cohort_has_the_european_cyp2c19_phenotype_frequencies():
    # The default adult cohort: European frequencies (literature.md P73), intermediate metabolisers at
    # their published 24.8%.  n = 200000 subjects with a fixed key; each phenotype's count is binomial, and
    # |observed - configured| <= 4 binomial SD (two-sided 6e-5 per phenotype, about 3e-4 for the five).
    c = CohortConfig()
    c.check()
    p = np.asarray(c.cyp2c19_frequencies())
    n = 200_000
    counts = np.bincount(_sampler(c)(3, np.arange(n))["cyp2c19"].astype(int), minlength=len(CYP2C19))
    assert len(counts) == len(CYP2C19) == 5
    np.testing.assert_array_less(np.abs(counts / n - p), 4 * np.sqrt(p * (1 - p) / n))
    assert p[CYP2C19.index("im")] == pytest.approx(0.248 / 0.998, rel=1e-3)  # 24.8% of a table summing to 99.8%
    assert p[CYP2C19.index("pm")] == pytest.approx(0.021, abs=0.001)  # about 2% (P73, P78, A47)


@pytest.mark.parametrize("ancestry", CYP2C19_ANCESTRY)
def test_every_ancestry_group_gives_five_fractions_summing_to_one(ancestry):
    c = CohortConfig(cyp2c19_ancestry=ancestry)
    c.check()
    f = c.cyp2c19_frequencies()
    assert len(f) == 5 and min(f) >= 0 and sum(f) == pytest.approx(1.0, abs=1e-12)
    assert CYP2C19_ANCESTRY[ancestry].status in ("V", "D", "A") and CYP2C19_ANCESTRY[ancestry].source


def test_custom_cyp2c19_frequencies_are_used_as_given():
    f = [0.0, 0.1, 0.6, 0.2, 0.1]
    c = CohortConfig(cyp2c19_ancestry="custom", cyp2c19=f)
    c.check()
    assert c.cyp2c19_frequencies() == tuple(f)


# ---------------------------------------------------------------------------
# Config checks
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "overrides, message",
    [
        (dict(age_max=300.0), "cohort.age_max=300.0; allowed: a finite number >= 0.0 and <= 120.0"),
        (dict(age_mean=float("nan")), "cohort.age_mean=nan"),
        (dict(bmi_median=0.0), "cohort.bmi_median=0.0; allowed"),
        (dict(bmi_min=0.0), "cohort.bmi_min=0.0; allowed"),
        (dict(age_min=60.0, age_max=50.0, age_mean=55.0), "cohort.age_min=60.0 >= age_max=50.0"),
        (dict(p_male=1.5), "cohort.p_male=1.5; allowed: a finite number >= 0 and <= 1"),
        (dict(p_perpetrator=-0.1), "cohort.p_perpetrator=-0.1"),
        (dict(child_pugh=[0.5, 0.2, 0.2, 0.2]), "cohort.child_pugh=[0.5, 0.2, 0.2, 0.2] sums to 1.1"),
        (dict(child_pugh=[0.5, 0.5]), "allowed: 4 probabilities"),
        (dict(gestational_week=[24.0, 24.0]), "cohort.gestational_week=[24.0, 24.0] needs cohort.p_male=0 (women "
                                              "only); got 0.5"),
        (dict(gestational_week=[10.0, 43.0], p_male=0.0), "cohort.gestational_week[1]=43.0; allowed: a finite number "
                                                           ">= 0 and <= 42.0"),
        (dict(gestational_week=[-1.0, 10.0], p_male=0.0), "cohort.gestational_week[0]=-1.0; allowed: a finite number "
                                                           ">= 0 and <= 42.0"),
        (dict(gestational_week=[30.0, 20.0], p_male=0.0), "cohort.gestational_week=[30.0, 20.0]; allowed: [lo, hi] "
                                                           "weeks with 0 <= lo <= hi <= 42"),
        (dict(gestational_week=[30.0], p_male=0.0), "cohort.gestational_week=[30.0]; allowed: [lo, hi] weeks"),
        (dict(gestational_week=[39.0, 40.0], postpartum_week=[1.0, 105.0], p_male=0.0),
         "cohort.postpartum_week[1]=105.0; allowed: a finite number >= 0 and <= 104.0"),
        (dict(postpartum_week=[1.0, 26.0], p_male=0.0), "cohort.postpartum_week=[1.0, 26.0] needs the week at delivery "
                                                         "in cohort.gestational_week (e.g. [39, 40]); got [0.0, 0.0]"),
        (dict(gestational_week=[39.0, 40.0], postpartum_week=[1.0, 26.0], p_male=0.1),
         "cohort.gestational_week=[39.0, 40.0] needs cohort.p_male=0 (women only); got 0.1"),
        (dict(bmi_median=50.0), "need bmi_min < bmi_median < bmi_max"),
        (dict(cyp2c19_ancestry="europeen"), "cohort.cyp2c19_ancestry='europeen'; allowed: ['european', "),
        (dict(cyp2c19_ancestry="african"), "cohort.cyp2c19_ancestry='african': no phenotype frequencies for this "
                                           "group were found (literature.md P79)"),
        (dict(cyp2c19=[0.0, 0.0, 1.0, 0.0, 0.0]), "cohort.cyp2c19=[0.0, 0.0, 1.0, 0.0, 0.0] is given with "
                                                  "cohort.cyp2c19_ancestry='european'; set cohort.cyp2c19_ancestry="
                                                  "custom"),
        (dict(cyp2c19_ancestry="custom"), "cohort.cyp2c19_ancestry='custom' needs cohort.cyp2c19=[pm, im, nm, rm, "
                                          "um]"),
        (dict(cyp2c19_ancestry="custom", cyp2c19=[0.5, 0.5]), "cohort.cyp2c19=[0.5, 0.5]; allowed: 5 fractions "
                                                               "[pm, im, nm, rm, um] summing to 1"),
        (dict(cyp2c19_ancestry="custom", cyp2c19=[0.1, 0.3, 0.4, 0.1, 0.2]),
         "cohort.cyp2c19=[0.1, 0.3, 0.4, 0.1, 0.2] sums to 1.1; allowed: fractions [pm, im, nm, rm, um] summing to 1"),
        (dict(cyp2c19_ancestry="custom", cyp2c19=[-0.1, 0.3, 0.6, 0.1, 0.1]),
         "cohort.cyp2c19[0] (pm)=-0.1; allowed: a finite number >= 0 and <= 1"),
    ],
)
def test_cohort_config_errors_name_key_and_value(overrides, message):
    with pytest.raises(ValueError) as e:
        CohortConfig(**overrides).check()
    assert message in str(e.value)


@pytest.mark.parametrize("overrides", [dict(age_max=110.0), dict(age_min=10.0), dict(bmi_max=70.0),
                                       dict(height_cm_male=[215.0, 7.0])])
def test_outside_the_built_range_needs_allow_extrapolation(overrides):
    with pytest.raises(ValueError, match="outside the range the physiology was built for") as e:
        CohortConfig(**overrides).check()
    assert "allow_extrapolation=true" in str(e.value)
    CohortConfig(**overrides, allow_extrapolation=True).check()  # accepted when asked for


def test_weights_outside_the_built_range_need_allow_extrapolation():
    c = CohortConfig(height_cm_female=[150.0, 6.5])  # every field inside its own built-for range
    assert c.bmi_min * ((150.0 - 3 * 6.5) / 100) ** 2 < 35.0  # the sampler can draw weights below 35 kg
    with pytest.raises(ValueError, match="weight"):
        c.check()


def test_allow_extrapolation_does_not_allow_the_impossible():
    with pytest.raises(ValueError, match="cohort.age_max=300"):
        CohortConfig(age_max=300.0, allow_extrapolation=True).check()


def test_preset_overrides_are_checked():
    with pytest.raises(ValueError, match=r"cohort\[adult\]\.age_max=300"):
        preset("adult", age_max=300)
    with pytest.raises(ValueError, match=r"cohort\[pregnant_t1\]\.gestational_week=\[10.0, 10.0\] needs "
                                         r"cohort\[pregnant_t1\]\.p_male=0"):
        preset("pregnant_t1", p_male=0.5)
    with pytest.raises(ValueError, match="outside the range"):
        preset("very_elderly", age_max=110)
    assert preset("very_elderly", age_max=110, allow_extrapolation=True).age_max == 110


def test_unknown_preset_suggests():
    with pytest.raises(ValueError, match="did you mean 'elderly'"):
        preset("eldery")


def test_every_preset_file_is_found():
    files = sorted(p.stem for p in PRESETS.glob("*.yaml"))
    assert len(files) >= 10 and preset_names() == tuple(files)


@pytest.mark.parametrize("name", preset_names())
def test_every_preset_loads(name):
    c = preset(name)
    assert isinstance(c, CohortConfig) and c.name == name
    c.check()
    if c.gestational_week[1] > 0 or c.postpartum_week[1] > 0:
        assert c.p_male == 0


def test_presets_sample_within_their_bounds():
    # One compiled sampler per preset costs about 1 s; three presets far from the defaults suffice here
    # (pregnant women at one gestational week; Child-Pugh C at ages 30-75; women after delivery, two windows).
    for name in ("cirrhosis_c", "pregnant_t3", "postpartum_lactating"):
        c = preset(name)
        d = _sampler(c)(5, np.arange(10))
        assert d["age"].min() >= c.age_min and d["age"].max() <= c.age_max, name
        assert d["bmi"].min() >= c.bmi_min * (1 - 1e-5) and d["bmi"].max() <= c.bmi_max * (1 + 1e-5), name
        probs = np.asarray(c.child_pugh)
        assert np.all(probs[d["child_pugh"].astype(int)] > 0), name
        for key in ("gestational_week", "postpartum_week"):
            lo, hi = getattr(c, key)
            assert np.all((d[key] >= lo) & (d[key] <= hi)), (name, key)
            assert (np.ptp(d[key]) > 0) == (lo < hi), (name, key)
        if c.p_male == 0:
            assert np.all(d["male"] == 0), name


def test_misspelt_ancestry_suggests_and_the_cli_refuses_unknown_keys():
    with pytest.raises(ValueError, match="did you mean 'european'"):
        CohortConfig(cyp2c19_ancestry="europeen").check()
    from popsim.run import configure

    # The old covariate keys are gone: a structured config refuses them by name.
    with pytest.raises(Exception, match="p_cyp2c19_pm"):
        configure(["+experiment=population", "cohort.p_cyp2c19_pm=0.1"])
    c = configure(["+experiment=population", "cohort.cyp2c19_ancestry=custom", "cohort.cyp2c19=[0,0.2,0.6,0.15,0.05]"])
    assert c.cohort.cyp2c19_frequencies() == (0.0, 0.2, 0.6, 0.15, 0.05)
    with pytest.raises(ValueError, match=r"cohort.cyp2c19=\[0.0, 0.2, 0.6, 0.15, 0.05\] is given with "
                                         "cohort.cyp2c19_ancestry='japanese'"):
        configure(["+experiment=population", "cohort.cyp2c19_ancestry=japanese",
                   "cohort.cyp2c19=[0,0.2,0.6,0.15,0.05]"])
