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
