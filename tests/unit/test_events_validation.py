"""predict_events rejects bad input before any compute, naming field, record, value and allowed range."""

from __future__ import annotations

import re

import jax
import numpy as np
import pandas as pd
import pytest

from popsim.pk import events as events_module
from popsim.pk.events import predict_events
from popsim.pk.model import Compartment, Flow, LinearModel, mammillary

MODEL = mammillary(2)  # depot, central, periph1
PARAMS = {"KA": 1.0, "CL": 4.0, "V1": 10.0, "Q2": 2.0, "V2": 20.0}
COLUMNS = {"LAGT": "ALAG:depot", "DUR": "D:central"}


@pytest.fixture(autouse=True)
def x64_and_no_compute(monkeypatch):
    """Float64 on, and any simulation fails the test: errors must come from validation."""
    previous = jax.config.read("jax_enable_x64")
    jax.config.update("jax_enable_x64", True)

    def forbidden(*args, **kwargs):
        raise AssertionError("simulated before validation finished")

    monkeypatch.setattr(events_module, "_simulate", forbidden)
    yield
    jax.config.update("jax_enable_x64", previous)


def base() -> pd.DataFrame:
    """Two subjects: a dose with ADDL into the depot, then observations (row 3 starts ID 2)."""
    rows = []
    for subject in (1, 2):
        rows += [
            {"ID": subject, "TIME": 0.0, "EVID": 1, "AMT": 100.0, "CMT": 1, "RATE": 0.0, "II": 12.0, "ADDL": 2.0,
             "SS": 0, "LAGT": 0.5, "DUR": 2.0},
            {"ID": subject, "TIME": 1.0, "EVID": 0, "AMT": 0.0, "CMT": 2, "RATE": 0.0, "II": 0.0, "ADDL": 0.0,
             "SS": 0, "LAGT": 0.0, "DUR": 0.0},
            {"ID": subject, "TIME": 2.0, "EVID": 0, "AMT": 0.0, "CMT": 2, "RATE": 0.0, "II": 0.0, "ADDL": 0.0,
             "SS": 0, "LAGT": 0.0, "DUR": 0.0},
        ]
    return pd.DataFrame(rows)


# A steady-state infusion record (SS 1 or 2, AMT = 0, II = 0, RATE > 0 or -1) in place of row 0's dose.
SS_INFUSION = {"AMT": 0.0, "II": 0.0, "ADDL": 0, "SS": 1, "RATE": 5.0}


@pytest.mark.parametrize("change, columns", [
    ({}, COLUMNS),
    (SS_INFUSION, COLUMNS),
    ({**SS_INFUSION, "SS": 2, "CMT": 2}, COLUMNS),
    ({**SS_INFUSION, "RATE": -1.0}, {**COLUMNS, "LAGT": "R:depot"}),
], ids=["dosing", "SS=1 infusion", "SS=2 infusion", "SS infusion, modeled rate"])
def test_valid_table_reaches_the_simulation(change, columns):
    events = base()
    for column, value in change.items():
        events.loc[0, column] = value
    with pytest.raises(AssertionError, match="simulated"):
        predict_events(events, MODEL, PARAMS, columns=columns)


CASES = [
    ({"AMT": -5.0}, 3, "events row 3 (ID 2): AMT = -5.0; allowed: finite and >= 0"),
    ({"AMT": np.nan}, 0, "events row 0 (ID 1): AMT = nan; allowed: finite and >= 0"),
    ({"AMT": np.inf}, 0, "events row 0 (ID 1): AMT = inf; allowed: finite and >= 0"),
    ({"AMT": "5mg"}, 0, "events row 0 (ID 1): AMT = 5mg; allowed: a number"),
    ({"TIME": 0.5}, 2, "events row 2 (ID 1): TIME = 0.5; allowed: >= the previous TIME of the same ID"),
    ({"TIME": np.nan}, 1, "events row 1 (ID 1): TIME = nan; allowed: finite"),
    ({"EVID": 5}, 1, "events row 1 (ID 1): EVID = 5.0; allowed: 0, 1, 2, 3 or 4"),
    ({"II": 0.0}, 0, "events row 0 (ID 1): II = 0.0; allowed: > 0 when ADDL > 0"),
    ({"ADDL": 0, "II": 0.0, "SS": 1}, 0, "events row 0 (ID 1): II = 0.0; allowed: > 0 when SS is 1 or 2 and AMT > 0 "
     "(II = 0 with SS 1 or 2 is a steady-state infusion, which has AMT = 0)"),
    ({"ADDL": 0, "II": 0.0, "SS": 2, "RATE": 10.0}, 3, "events row 3 (ID 2): II = 0.0; allowed: > 0 when SS is 1 or 2 "
     "and AMT > 0"),
    ({**SS_INFUSION, "RATE": -2.0, "CMT": 2}, 0, "events row 0 (ID 1): RATE = -2.0; allowed: > 0 or -1 (modeled rate) "
     "on a steady-state infusion (SS 1 or 2 with AMT = 0 and II = 0): an infusion without end has no duration (-2) "
     "and is no bolus (0)"),
    ({**SS_INFUSION, "RATE": 0.0, "SS": 2}, 3, "events row 3 (ID 2): RATE = 0.0; allowed: > 0 or -1 (modeled rate) "
     "on a steady-state infusion"),
    ({**SS_INFUSION, "ADDL": 2}, 0, "events row 0 (ID 1): II = 0.0; allowed: > 0 when ADDL > 0"),
    ({**SS_INFUSION, "RATE": -1.0}, 0, "events row 0 (ID 1): RATE = -1.0; allowed: -1 only with a column mapped to "
     "'R:depot'"),
    ({"ADDL": 1.5}, 0, "events row 0 (ID 1): ADDL = 1.5; allowed: an integer >= 0"),
    ({"ADDL": -1}, 0, "events row 0 (ID 1): ADDL = -1.0; allowed: an integer >= 0"),
    ({"SS": 3}, 3, "events row 3 (ID 2): SS = 3.0; allowed: 0, 1 or 2"),
    ({"II": -12.0}, 0, "events row 0 (ID 1): II = -12.0; allowed: finite and >= 0"),
    ({"CMT": 4}, 0, "events row 0 (ID 1): CMT = 4.0; allowed: an integer 1..3"),
    ({"CMT": 0}, 0, "events row 0 (ID 1): CMT = 0.0; allowed: an integer 1..3"),
    ({"RATE": -3.0}, 0, "events row 0 (ID 1): RATE = -3.0; allowed: finite and >= 0, -1 (modeled rate) or -2"),
    ({"RATE": -1.0}, 0, "events row 0 (ID 1): RATE = -1.0; allowed: -1 only with a column mapped to 'R:depot'"),
    ({"RATE": -2.0}, 0, "events row 0 (ID 1): RATE = -2.0; allowed: -2 only with a column mapped to 'D:depot'"),
    ({"RATE": -2.0, "CMT": 2, "DUR": 0.0}, 3, "events row 3 (ID 2): DUR (D:central) = 0.0; allowed: finite and > 0"),
    ({"LAGT": -1.0}, 3, "events row 3 (ID 2): LAGT (ALAG:depot) = -1.0; allowed: finite and >= 0"),
]


@pytest.mark.parametrize("change, row, message", CASES, ids=[c[2].split(":")[1].split("=")[0].strip() for c in CASES])
def test_bad_record_is_rejected_with_field_record_value_and_range(change, row, message):
    events = base().astype({"AMT": object}) if isinstance(change.get("AMT"), str) else base()
    for column, value in change.items():
        events.loc[row, column] = value
    with pytest.raises(ValueError, match=re.escape(message)):
        predict_events(events, MODEL, PARAMS, columns=COLUMNS)


def test_ids_must_be_contiguous():
    events = base()
    events.loc[4, "ID"] = 1
    with pytest.raises(ValueError, match=re.escape("events row 4 (ID 1): ID = 1; allowed: the records of one ID")):
        predict_events(events, MODEL, PARAMS, columns=COLUMNS)


@pytest.mark.parametrize("name, value", [("CL", 0.0), ("V1", -1.0), ("KA", np.nan), ("V2", np.inf)])
def test_non_positive_parameters_are_rejected(name, value):
    with pytest.raises(ValueError, match=re.escape(f"params: {name} = {value}; allowed: finite and > 0")):
        predict_events(base(), MODEL, {**PARAMS, name: value}, columns=COLUMNS)
    table = pd.DataFrame([{"ID": 1, **PARAMS}, {"ID": 2, **PARAMS, name: value}])
    with pytest.raises(ValueError, match=re.escape(f"params row 1 (ID 2): {name} = {value}; allowed: finite and > 0")):
        predict_events(base(), MODEL, table, columns=COLUMNS)


def test_unknown_missing_and_absent_parameters_are_rejected():
    with pytest.raises(ValueError, match="unknown parameter 'CLL'.*did you mean 'CL'"):
        predict_events(base(), MODEL, {**PARAMS, "CLL": 1.0}, columns=COLUMNS)
    with pytest.raises(ValueError, match=re.escape("missing parameters ['V2']")):
        predict_events(base(), MODEL, {k: v for k, v in PARAMS.items() if k != "V2"}, columns=COLUMNS)
    with pytest.raises(ValueError, match="no row for ID 2"):
        predict_events(base(), MODEL, pd.DataFrame([{"ID": 1, **PARAMS}]), columns=COLUMNS)


@pytest.mark.parametrize(
    "columns, message",
    [
        ({"LAGT": "LAG:depot"}, "columns['LAGT'] = 'LAG:depot'; allowed: 'KIND:compartment'"),
        ({"LAGT": "ALAG:gut"}, "unknown compartment 'gut'"),
        ({"LAGT": "ALAG:depot", "DUR": "ALAG:depot"}, "columns 'LAGT' and 'DUR' both give 'ALAG:depot'"),
        ({"WT": "F:depot"}, "events lacks columns ['WT']"),
    ],
)
def test_bad_column_mapping_is_rejected(columns, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        predict_events(base(), MODEL, PARAMS, columns=columns)


def test_output_without_volume_and_unknown_cmt_name_are_rejected():
    with pytest.raises(ValueError, match="compartment 'depot' has no volume"):
        predict_events(base(), MODEL, PARAMS, output="depot", columns=COLUMNS)
    with pytest.raises(ValueError, match="unknown compartment 'gut'"):
        predict_events(base(), MODEL, PARAMS, columns=COLUMNS, cmt_names=["gut", "central"])


def test_float32_mode_is_refused():
    jax.config.update("jax_enable_x64", False)
    with pytest.raises(RuntimeError, match="jax_enable_x64"):
        predict_events(base(), MODEL, PARAMS, columns=COLUMNS)


URINE = LinearModel(  # urine collects what the central compartment clears and loses nothing
    (Compartment("central", "V1"), Compartment("urine", "VU")), (Flow("central", "urine", "CL/V1"),)
)
CLOSED = LinearModel(  # a and b exchange, nothing leaves: a trap of two compartments
    (Compartment("a", "VA"), Compartment("b", "VB")), (Flow("a", "b", "KAB"), Flow("b", "a", "KBA"))
)


@pytest.mark.parametrize("model, params, cmt, message", [
    (URINE, {"CL": 2.0, "V1": 10.0, "VU": 1.0}, 1,
     "events row 3 (ID 2): CMT = 1.0 ('central') on a steady-state infusion (SS = 1.0, AMT = 0, II = 0), which has "
     "no steady state there: ['urine'] receive its input and have no elimination path, so their amounts grow "
     "without bound; allowed: a compartment from which every compartment reached is eliminated"),
    (URINE, {"CL": 2.0, "V1": 10.0, "VU": 1.0}, 2, "CMT = 2.0 ('urine') on a steady-state infusion"),
    (CLOSED, {"KAB": 0.3, "KBA": 0.7, "VA": 1.0, "VB": 1.0}, 1, "which has no steady state there: ['a', 'b'] receive"),
], ids=["downstream trap", "infused trap", "closed pair"])
def test_steady_state_infusion_without_a_steady_state_is_refused(model, params, cmt, message):
    events = base()
    for column, value in {**SS_INFUSION, "CMT": cmt}.items():
        events.loc[3, column] = value
    with pytest.raises(ValueError, match=re.escape(message)):
        predict_events(events, model, params, output=model.names[0])
