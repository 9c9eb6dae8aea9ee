"""The child's parameters as the arm derives them (units and wiring, against the parameter modules called
independently) and the refusals of a child the model cannot represent, before any compute."""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from popsim.arm import Arm
from popsim.cohort.model import sample_subject
from popsim.cohort.presets import preset
from popsim.drugs.library import load
from popsim.keys import root_key, stream_key
from popsim.params import gestation, milk, ontogeny
from popsim.params.child import Child
from popsim.params.derive import unbound_fraction
from popsim.params.physiology import physiology

DT = 0.25
N = 4 * 24 + 1
FEEDS = (0.0, 3.0, 6.0, 9.0, 12.0, 15.0, 18.0, 21.0)
LACTATING = dataclasses.replace(preset("postpartum_lactating"), postpartum_week=[6.0, 6.0])
TERM = dataclasses.replace(preset("pregnant_t3"), gestational_week=[38.0, 38.0])


def _subject(arm: Arm, i: int = 3):
    """Parameters and covariates of subject ``i`` of ``arm`` (float64), and her covariates as sampled."""
    with jax.enable_x64(True):
        p, _ = arm.model()(jnp.asarray(i), arm.args(0, jnp.float64), jnp.float64)
        cov = sample_subject(arm.cohort_config, stream_key(root_key(0), "cohort"), jnp.asarray(i))
        cov = {k: jnp.asarray(v, jnp.float64) for k, v in cov.items()}
        return {k: np.asarray(v) for k, v in p.items()}, cov, physiology(cov)


@pytest.mark.parametrize("drug", ["lorazepam", "diazepam"])
def test_milk_secreted_per_day_is_mp_times_the_infants_intake(drug):
    # KMILK x V1 is the plasma cleared into milk during a feed (L/h); over a day's feeds it must equal the
    # milk:plasma ratio at the mother's unbound fraction x the infant's milk intake (L/kg/day) x its weight
    child = Child.infant(DT, N, FEEDS)
    p, cov, phys = _subject(Arm(drug, "oral", LACTATING, DT, N, pd=False, child=child))
    with jax.enable_x64(True):
        fu = unbound_fraction(load(drug), phys)
        mp = float(milk.milk_plasma_ratio(load(drug), fu=fu))
        weight = float(ontogeny.infant_weight_kg(6.0, xp=np))
        per_day = mp * float(milk.milk_intake_l_kg_day(6.0, xp=np)) * weight
    assert p["KMILK"][0] == 0.0
    got = p["KMILK"][1] * p["V1"][1] * child.feed_hours * len(FEEDS)
    assert got == pytest.approx(per_day, rel=1e-12)
    assert float(cov["postpartum_week"]) == 6.0


@pytest.mark.parametrize("drug", ["lorazepam", "clonazepam"])
def test_placenta_carries_the_umbilical_plasma_flow_to_the_unbound_equilibrium(drug):
    # KFM x VF is the umbilical plasma flow of the week (L/h); KMF V1 / (KFM VF) the fetal:maternal ratio at
    # equilibrium, fu_m / fu_f with the fetal binding of L31; both cut at birth, the newborn clearing only after
    p, cov, phys = _subject(Arm(drug, "oral", TERM, 1.0, 49, pd=False, child=Child.fetus(49, 24)))
    with jax.enable_x64(True):
        fu_m = float(unbound_fraction(load(drug), phys))
        fu_f = float(gestation.fetal_unbound_fraction(fu_m, load(drug).binding.value, 38.0, xp=np))
        flow = float(gestation.fetus(38.0, xp=np)["umbilical_plasma_flow_l_h"])
    assert p["KFM"][0] * p["VF"][0] == pytest.approx(flow, rel=1e-12)
    assert p["KMF"][0] * p["V1"][0] / (p["KFM"][0] * p["VF"][0]) == pytest.approx(fu_m / fu_f, rel=1e-12)
    assert p["KMF"][1] == p["KFM"][1] == p["KN"][0] == 0.0 and p["KN"][1] > 0


@pytest.mark.parametrize("arm, message", [
    (lambda: Arm("diazepam", "oral", "adult", 1.0, 49, pd=False, child=Child.fetus(49, 24)),
     r"cohort.p_male=0.5: a fetus needs a cohort of women"),
    (lambda: Arm("diazepam", "oral", "pregnant_t1", 1.0, 49, pd=False, child=Child.fetus(49, 24)),
     r"cohort.gestational_week=\[10.0, 10.0\]: a fetus is simulated from week 24"),
    (lambda: Arm("diazepam", "oral", "pregnant_t3", DT, N, pd=False, child=Child.infant(DT, N, FEEDS)),
     r"cohort.postpartum_week=\[0.0, 0.0\]: a breast-fed infant's age"),
    (lambda: Arm("diazepam", "oral", dataclasses.replace(LACTATING, postpartum_week=[60.0, 60.0]), DT, N, pd=False,
                 child=Child.infant(DT, N, FEEDS)), r"postpartum_week=\[60.0, 60.0\].*allowed: a window inside"),
    (lambda: Arm("naloxone", "iv", LACTATING, DT, N, pd=False, child=Child.infant(DT, N, FEEDS)),
     r"the infant's absorption is the drug's oral one"),
    (lambda: Arm("alprazolam", "oral", TERM, 1.0, 49, pd=False, others=(("diazepam", "oral"),),
                 child=Child.fetus(49, 24)), r"has no child compartments"),
    (lambda: Child("fetus", (0, 1, 0, 1)), r"fetus segments: 0 before the birth and 1 from it on"),
    (lambda: Child("infant", (0, 1, 0), feeds_per_day=0), r"infant feeds_per_day=0"),
    (lambda: Child.infant(0.5, N, FEEDS, keys=("grid.dt_h", "study.feed_clock_h")), r"grid.dt_h=0.5 h; a feed is"),
    (lambda: Child.infant(DT, N, (1.1,), keys=("grid.dt_h", "study.feed_clock_h")),
     r"study.feed_clock_h=\[1.1\]; allowed: distinct multiples"),
])
def test_a_child_the_model_cannot_represent_is_refused(arm, message):
    with pytest.raises(ValueError, match=message):
        arm()
