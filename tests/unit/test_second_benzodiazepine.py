"""A second benzodiazepine in the same subject (diazepam substitution in a taper): ``others`` role ``B_``.

Alprazolam is switched to diazepam over days, so both are taken at once.  The diazepam chain
(diazepam -> nordiazepam -> oxazepam, prefixes ``B_``, ``B_M1_``, ``B_M2_``) is simulated beside the
alprazolam one; neither is a perpetrator in the library, so the two chains share no flow and the arm is
the superposition of the two single-drug arms (every species' IIV keyed by its name: the same subjects
have the same parameters).  Every species of both chains is an agonist site of the one GABA-A model.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from popsim.arm import Arm, Physiological, run_arm, victim_spec
from popsim.drugs.library import load, species
from popsim.params.derive import unbound_fraction
from popsim.params.physiology import physiology
from popsim.pd.gaba import site_prefix
from popsim.pd.parameters import check_values
from popsim.pd.potency import kd_unbound
from popsim.regimen import fixed_interval

DT, T, N = 1.0, 24 * 5 + 1, 16  # 5 days on a 1 h grid, 16 adults
DRUG, SECOND = "alprazolam", "diazepam"
CHAIN = ("central", "M1_central", "M2_central")


def _doses() -> tuple[np.ndarray, np.ndarray]:
    """Alprazolam 0.5 mg q8h for 3 days, then 0.25 mg q8h; diazepam 5 mg daily from day 2: a cross-over."""
    alp = fixed_interval(T, DT, 0.5, 8.0, n_doses=9) + fixed_interval(T, DT, 0.25, 8.0, start_h=72.0)
    return alp, fixed_interval(T, DT, 5.0, 24.0, start_h=24.0)


@functools.lru_cache(maxsize=None)
def _runs(pd: bool):
    """(alprazolam + diazepam, alprazolam alone, diazepam alone), same seed and subjects, float64."""
    alp, dzp = _doses()
    kw = dict(seed=7, n_subjects=N, values=check_values() if pd else None, dtype=jnp.float64, save=True)
    both = run_arm(Arm(DRUG, "oral", "adult", DT, T, others=((SECOND, "oral"),), pd=pd),
                   np.stack([alp, dzp], -1)[None], **kw)
    alone = run_arm(Arm(DRUG, "oral", "adult", DT, T, pd=pd), alp[None, :, None], **kw)
    second = run_arm(Arm(SECOND, "oral", "adult", DT, T, pd=pd), dzp[None, :, None], **kw)
    return both, alone, second


def test_spec_names_the_second_chain():
    assert species(SECOND) == ("diazepam", "nordiazepam", "oxazepam")
    assert load(DRUG).inhibition is None and load(SECOND).inhibition is None  # no PK interaction in the library
    spec = victim_spec(DRUG, "oral", DT, 4, others=((SECOND, "oral"),), pd=True, save=True)
    assert spec.outputs[:4] == ("central", "B_central", "B_M1_central", "B_M2_central")
    assert [(c.cmt, c.f) for c in spec.channels] == [("depot", "F"), ("B_depot", "B_F")]
    assert spec.pd.gaba.sites == ("effect", "B_effect", "B_M1_effect", "B_M2_effect")
    assert {"B_KD_a1", "B_M1_KD_a2", "B_M2_KD_a1"} <= set(spec.pd.parameters)
    plain = victim_spec(DRUG, "oral", DT, 4, others=((SECOND, "oral"),), metabolites=False, save=True)
    assert plain.outputs == ("central", "B_central")


@pytest.mark.parametrize("pd", [False, True])
def test_chains_superpose(x64, pd):
    both, alone, second = _runs(pd)
    # Same subjects, same parameters: covariates and every species' IIV are keyed by subject and name (PK), and
    # the potency eta is one per subject for every species (PD): B_X of the pair is X of the diazepam arm.
    second_keys = {k[2:] for k in both.params if k.startswith("B_")}
    assert second_keys <= set(second.params)
    assert {"CL", "V1", "KA", "F", "M1_CL", "M1_FM", "M2_CL", "M2_FM"} <= second_keys
    assert not pd or {"KD_a1", "KD_a2", "KE0", "M1_KD_a1", "M2_KD_a2", "M2_KE0"} <= second_keys
    for k in second_keys:
        np.testing.assert_array_equal(both.params[f"B_{k}"], second.params[k], err_msg=k)
    for k, v in alone.params.items():
        np.testing.assert_array_equal(both.params[k], v, err_msg=k)
    names = CHAIN + (("effect", "M1_effect", "M2_effect") if pd else ())
    c_dzp = np.stack([second.trajectory(n) for n in names])
    assert c_dzp.max() > 0.05  # mg/L: diazepam and nordiazepam are there
    # The kernels of the larger block-diagonal model round differently: float64, 1e-10.
    np.testing.assert_allclose(np.stack([both.trajectory(f"B_{n}") for n in names]), c_dzp, rtol=1e-10, atol=1e-14)
    for n in ("central",) + (("effect",) if pd else ()):
        np.testing.assert_allclose(both.trajectory(n), alone.trajectory(n), rtol=1e-10, atol=1e-14)


def test_occupancy_sums_both_chains(x64):
    both, alone, _ = _runs(True)
    p = {k: np.asarray(v[0]) for k, v in both.params.items()}  # (subject,)
    phys = jax.vmap(physiology)({k: jnp.asarray(v) for k, v in both.covariates.items() if k != "body_fat"})
    sites = {"effect": DRUG, "B_effect": "diazepam", "B_M1_effect": "nordiazepam", "B_M2_effect": "oxazepam"}
    # One potency eta per subject for every species of both chains: KD_a1 x fu / KDu (the age factor times
    # exp(eta)) is the same for all four, and differs between subjects.
    scale = {s: p[f"{site_prefix(s)}KD_a1"] * np.asarray(unbound_fraction(load(d), phys)) / kd_unbound(d)
             for s, d in sites.items()}
    for s in sites:
        np.testing.assert_allclose(scale[s], scale["effect"], rtol=1e-12, err_msg=s)
    assert np.ptp(np.log(scale["effect"])) > 0.1
    for sub in ("a1", "a2"):
        terms = {s: np.maximum(both.trajectory(s)[:, 0], 0.0) / p[f"{site_prefix(s)}KD_{sub}"][None, :] for s in sites}
        x = sum(terms.values())  # (time, subject)
        np.testing.assert_allclose(both.trajectory(f"occupancy_{sub}")[:, 0], x / (1.0 + x), rtol=1e-12, atol=1e-15)
        # the check has teeth: through the cross-over (day 3 and 4) each chain holds over 5% of x in everyone
        share = (terms["B_effect"] + terms["B_M1_effect"] + terms["B_M2_effect"]) / np.where(x > 0, x, 1.0)
        cross = (np.arange(T) * DT > 48) & (np.arange(T) * DT < 96)
        assert share[cross].min() > 0.05 and share[cross].max() < 0.95
    # the alprazolam term alone is the alprazolam arm's occupancy
    x_alp = np.maximum(both.trajectory("effect")[:, 0], 0.0) / p["KD_a1"][None, :]
    np.testing.assert_allclose(alone.trajectory("occupancy_a1")[:, 0], x_alp / (1.0 + x_alp), rtol=1e-9, atol=1e-15)


def test_second_benzodiazepine_errors():
    with pytest.raises(ValueError, match=r"others=.*not the arm's drug 'diazepam'; allowed: one of \[.*'alprazolam'"):
        Arm("diazepam", "oral", "adult", DT, T, others=(("diazepam", "oral"),))
    with pytest.raises(ValueError, match="at most one second benzodiazepine"):
        victim_spec(DRUG, "oral", DT, 4, others=(("diazepam", "oral"), ("oxazepam", "oral")), save=True)
    with pytest.raises(ValueError, match=r"not the arm's drug 'alprazolam'"):
        Physiological(DRUG, "oral", (), DT, 4, others=((DRUG, "oral"),))
    for other in ("clarithromycin", "rifampicin"):  # perpetrators, not GABA-A agonists
        with pytest.raises(ValueError, match=rf"co-medication '{other}' is a perpetrator; allowed: .* a second "
                                             r"GABA-A agonist \[.*'diazepam'"):
            Arm(DRUG, "oral", "adult", DT, T, others=((other, "oral"),))
    with pytest.raises(ValueError, match=r"diazepam route='patch'; allowed: \['im', 'intranasal'"):
        victim_spec(DRUG, "oral", DT, 4, others=((SECOND, "patch"),), save=True)
