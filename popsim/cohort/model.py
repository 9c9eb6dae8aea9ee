"""A numpyro model of one subject's covariates.

Each sample site draws with its own key, ``fold_in(subject_key, crc32(site))``,
so adding or reordering sites never changes another covariate, and subject
``i`` is the same person for any cohort size, chunk size or device count.

Covariates (one subject, scalars): ``age`` (years), ``male`` (0/1),
``height_cm``, ``bmi`` (kg/m^2), ``weight_kg``, ``child_pugh`` (0 none, 1 A,
2 B, 3 C), ``cyp2c19`` (CYP2C19 phenotype: 0 poor, 1 intermediate, 2 normal,
3 rapid, 4 ultrarapid metaboliser; :data:`popsim.cohort.spec.CYP2C19`),
``gestational_week`` (0 not pregnant; for a woman after delivery, the week at
delivery) and ``postpartum_week`` (weeks since delivery; 0 while pregnant or
never pregnant), uniform over the cohort's windows (a site is drawn only where
a window is not a single value, so a non-pregnant cohort draws exactly what it
drew before these covariates existed), and 0/1 indicators ``perpetrator``
(takes the experiment's CYP3A4 or CYP2C19 perpetrator), ``opioid`` and
``alcohol``.

Distribution parameters come from :class:`popsim.cohort.spec.CohortConfig`; the
presets in ``popsim/configs/cohort/`` describe the populations they are named for.
"""

from __future__ import annotations

import zlib

import jax
import jax.numpy as jnp
import numpyro
import numpyro.distributions as dist
from jaxtyping import Array, Float, Int

from popsim.cohort.spec import CohortConfig
from popsim.keys import subject_key

__all__ = ["COVARIATES", "subject_model", "sample_subject"]

COVARIATES = {
    "age": ("years", "age"),
    "male": ("1", "male sex (1) or female (0)"),
    "height_cm": ("cm", "height"),
    "bmi": ("kg m-2", "body mass index"),
    "weight_kg": ("kg", "body weight"),
    "child_pugh": ("1", "Child-Pugh class (0 none, 1 A, 2 B, 3 C)"),
    "cyp2c19": ("1", "CYP2C19 phenotype (0 poor, 1 intermediate, 2 normal, 3 rapid, 4 ultrarapid metaboliser)"),
    "gestational_week": ("week", "gestational week (0 not pregnant; after delivery, the week at delivery)"),
    "postpartum_week": ("week", "weeks since delivery (0 while pregnant or not after a delivery)"),
    "perpetrator": ("1", "takes the experiment's CYP3A4/CYP2C19 perpetrator (1) or not (0)"),
    "opioid": ("1", "chronic opioid use (1: tolerant to an opioid's respiratory effect) or not (0)"),
    "alcohol": ("1", "alcohol use (1) or not (0)"),
}


def _site(key: Array, name: str) -> Array:
    return jax.random.fold_in(key, zlib.crc32(name.encode()) & 0x7FFFFFFF)


def subject_model(c: CohortConfig, key: Array) -> dict[str, Float[Array, ""]]:
    """Sample one subject's covariates (a numpyro model; every site keyed by its name)."""

    def draw(name, d):
        return numpyro.sample(name, d, rng_key=_site(key, name))

    male = draw("male", dist.Bernoulli(probs=c.p_male)).astype(jnp.float32)
    age = draw("age", dist.TruncatedNormal(c.age_mean, c.age_sd, low=c.age_min, high=c.age_max))
    hm, hf = c.height_cm_male, c.height_cm_female
    z_height = draw("z_height", dist.TruncatedNormal(0.0, 1.0, low=-3.0, high=3.0))
    height = jnp.where(male > 0, hm[0] + hm[1] * z_height, hf[0] + hf[1] * z_height)
    log_bmi = draw("log_bmi", dist.TruncatedNormal(jnp.log(c.bmi_median), jnp.log(c.bmi_gsd),
                                                   low=jnp.log(c.bmi_min), high=jnp.log(c.bmi_max)))
    bmi = jnp.exp(log_bmi)
    weight = numpyro.deterministic("weight_kg", bmi * (height / 100.0) ** 2)
    child_pugh = draw("child_pugh", dist.Categorical(probs=jnp.asarray(c.child_pugh)))
    cyp2c19 = draw("cyp2c19", dist.Categorical(probs=jnp.asarray(c.cyp2c19_frequencies())))
    out = {
        "age": age, "male": male, "height_cm": height, "bmi": bmi, "weight_kg": weight,
        "child_pugh": child_pugh, "cyp2c19": cyp2c19,
    }
    for name in ("gestational_week", "postpartum_week"):
        lo, hi = getattr(c, name)
        out[name] = draw(name, dist.Uniform(lo, hi)) if lo < hi else jnp.asarray(lo)
    for name, p in (("perpetrator", c.p_perpetrator), ("opioid", c.p_opioid), ("alcohol", c.p_alcohol)):
        out[name] = draw(name, dist.Bernoulli(probs=p))
    return {k: jnp.asarray(v, jnp.float32) for k, v in out.items()}


def sample_subject(c: CohortConfig, stream: Array, subject: Int[Array, ""]) -> dict[str, Float[Array, ""]]:
    """Covariates of subject ``subject`` (global index) drawn from the ``cohort`` key stream."""
    with numpyro.handlers.block():
        return subject_model(c, subject_key(stream, subject))
