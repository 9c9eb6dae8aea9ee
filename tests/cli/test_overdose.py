"""The overdose experiment end to end at tiny size: the dose surface, synergy and rescue, and its own
bad overrides (files, metadata and the analysis script: the contract tests over the registry)."""

from __future__ import annotations

import numpy as np
import pytest


NAME = "overdose"


def test_regimens(study):
    _, ds = study
    # 2 benzodiazepine x 3 opioid doses, then naloxone, flumazenil, and both
    assert ds.sizes["regimen"] == 6 + 3 and ds.sizes["subject"] == 32
    nadir = ds["ventilation_nadir"].sel(opioid_drug="fentanyl", opioid_mg=0.4, benzo_mg=4.0, naloxone_route="none",
                                        naloxone_mg=0.0, flumazenil_mg=0.0, rescue_delay_min=0.0)
    assert nadir.dims == ("subject",)


def test_surface_is_monotone_and_rescue_helps(study):
    _, ds = study
    grid = ds.where((ds["naloxone_mg"] == 0) & (ds["flumazenil_mg"] == 0), drop=True)
    nadir = grid["ventilation_nadir"].to_series().unstack("subject")
    for b in (0.0, 4.0):
        per_dose = nadir.xs(b, level="benzo_mg").droplevel(["opioid_drug", "naloxone_route", "naloxone_mg",
                                                            "flumazenil_mg", "rescue_delay_min"]).sort_index()
        assert np.all(np.diff(per_dose.values, axis=0) <= 1e-6)  # more opioid, never more ventilation
    # the combination depresses more than the Bliss expectation (synergy index > 1 where both act)
    both = grid["synergy_index"].sel(opioid_mg=0.4, benzo_mg=4.0)
    assert float(both.median()) > 1.0
    # naloxone shortens hypoxaemia for every subject; adding flumazenil never lengthens it
    top = ds.sel(opioid_mg=0.4, benzo_mg=4.0)
    t = top["time_hypoxaemia"].to_series().unstack("subject")
    none = t.xs((0.0, 0.0), level=["naloxone_mg", "flumazenil_mg"]).values[0]
    nal = t.xs((2.0, 0.0), level=["naloxone_mg", "flumazenil_mg"]).values[0]
    both_rescue = t.xs((2.0, 0.5), level=["naloxone_mg", "flumazenil_mg"]).values[0]
    assert np.all(nal <= none + 1e-6) and np.median(nal) < np.median(none)
    assert np.all(both_rescue <= nal + 1e-6)


@pytest.mark.parametrize("override, message", [
    ("study.opioids=[codeine]", "study.opioids[0]='codeine'; allowed:"),
    ("study.benzodiazepine=fentanyl", "is a opioid; allowed: a benzodiazepine or Z-drug"),
    ("study.naloxone_routes=[nasal]", "did you mean 'intranasal'"),
    ("study.benzo_mg=[-1]", "study.benzo_mg[0]=-1"),
    ("study.benzo_mg=[]", "study.benzo_mg=[]; allowed: a non-empty list without repeats"),
    ("study.opioid_at_min=118", "= 123 min; allowed: within the horizon hours x 60 - 1 = 119 min"),
    ("study.opioid_mg.fentanyl=[0,0.1,0.2]", "study.rescue_opioid_mg.fentanyl=0.4; allowed: one of "
                                             "study.opioid_mg.fentanyl [0.0, 0.1, 0.2]"),
])
def test_bad_overrides_are_refused_before_compute(override, message, refused):
    refused([override], message.replace("[", r"\[").replace("]", r"\]"))


def test_parameter_draws(tiny):
    import pandas as pd

    files, ds = tiny(NAME, "n_draws=3")
    assert ds["hypoxaemia"].dims == ("regimen", "draw", "subject") and ds["age"].dims == ("subject",)
    assert len(np.unique(ds["pd_synergy_psi"])) == 3 and len(np.unique(ds["pd_aa_gradient"])) == 3
    # the surfaces are taken in each draw (population mean / median over the subjects of that draw); the table gives
    # their median and central 95% over draws
    surface = pd.read_csv(files["surface"])
    assert len(surface) == 2 * 3
    for _, row in surface.iterrows():
        sel = ds.sel(opioid_drug=row["opioid_drug"], opioid_mg=row["opioid_mg"], benzo_mg=row["benzo_mg"],
                     naloxone_route="none", naloxone_mg=0.0, flumazenil_mg=0.0, rescue_delay_min=0.0)
        for column, per_draw in (("p_hypoxaemia", sel["hypoxaemia"].values.mean(axis=-1)),
                                 ("p_severe_respiratory_depression",
                                  (sel["time_apnoea"].values >= 15 / 3600).mean(axis=-1)),
                                 ("median_ventilation_nadir", np.median(sel["ventilation_nadir"].values, axis=-1)),
                                 ("median_synergy_index", np.median(sel["synergy_index"].values, axis=-1))):
            np.testing.assert_allclose([row[f"{column}_p2.5"], row[f"{column}_p50"], row[f"{column}_p97.5"]],
                                       np.quantile(per_draw, [0.025, 0.5, 0.975]), rtol=1e-12, err_msg=column)
    # the rescues: median time with hypoxaemia (min) in each draw, and its change from no rescue at the same doses
    rescue = pd.read_csv(files["rescue"]).set_index(["naloxone_mg", "flumazenil_mg"])
    assert len(rescue) == 3
    top = ds.sel(opioid_mg=0.4, benzo_mg=4.0)
    minutes = 60 * np.median(top["time_hypoxaemia"].values, axis=-1)  # (regimen, draw)
    flags = list(zip(top["naloxone_mg"].values, top["flumazenil_mg"].values))
    none = minutes[flags.index((0.0, 0.0))]
    for (nal, flu), row in rescue.iterrows():
        change = minutes[flags.index((nal, flu))] - none
        np.testing.assert_allclose([row[f"change_median_time_hypoxaemia_min_p{q}"] for q in ("2.5", "50", "97.5")],
                                   np.quantile(change, [0.025, 0.5, 0.975]), rtol=1e-12, atol=1e-12)


def test_a_larger_alveolar_arterial_gradient_lengthens_hypoxaemia_in_every_draw(tiny):
    # The drawn constants act together across draws, so no one of them orders an output across the three draws
    # (synergy_psi does not order the synergy index: resp_benzo_gain, the wakefulness and airway constants move it
    # too).  aa_gradient holds a guaranteed direction: it enters only PaO2 = PIO2 - PaCO2/RQ - AA_GRAD, after the
    # ventilation and CO2 dynamics, so with every other constant at the same draw (a pd override is held fixed in
    # every draw) a larger gradient lowers SpO2 at every step: the ventilation outputs are unchanged, bitwise, and
    # the time with SpO2 < 90% never shorter, per subject.
    _, ds = tiny(NAME, "n_draws=3")
    _, wide = tiny(NAME, "n_draws=3", "+pd.aa_gradient=25")
    assert np.all(ds["pd_aa_gradient"].values < 25) and "pd_aa_gradient" not in wide
    np.testing.assert_array_equal(wide["pd_synergy_psi"], ds["pd_synergy_psi"])
    for name in ("ventilation_nadir", "time_apnoea", "synergy_index", "occupancy_a1_peak"):
        np.testing.assert_array_equal(wide[name].values, ds[name].values, err_msg=name)
    more = wide["time_hypoxaemia"].values - ds["time_hypoxaemia"].values
    assert np.all(more >= 0) and np.all(more.sum(axis=(0, 2)) > 0)  # in each draw, somewhere strictly longer
    assert np.all(wide["hypoxaemia"].values >= ds["hypoxaemia"].values)
