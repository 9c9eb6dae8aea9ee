"""predict_events against NONMEM 7.5 output for the 14 nmtests dosing scenarios.

The oracle (``../shared/conformance/nonmem_dosing``, see its README.md) is
ADVAN2 TRANS2: CL = 1.1 L/h, V = 20 L, KA = 1.5 /h, CMT 1 depot, 2 central;
LAGT = ALAG2, BIOAV = F2, RAT2 = R2 (RATE = -1), DUR2 = D2 (RATE = -2);
CP = A(2) / (V / 1000).  NONMEM prints CP with about 5 significant digits, so
each value is compared with a tolerance of half a unit in its last printed
digit (the rounding error of the print); the maximum relative error per
scenario is printed as well (run with ``-s``).
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from popsim.pk.events import predict_events
from popsim.pk.model import mammillary

ORACLE = Path(__file__).resolve().parents[3] / "shared" / "conformance" / "nonmem_dosing"
COLUMNS = {"LAGT": "ALAG:central", "BIOAV": "F:central", "RAT2": "R:central", "DUR2": "D:central"}
PARAMS = {"KA": 1.5, "CL": 1.1, "V1": 20.0}


pytestmark = pytest.mark.usefixtures("x64")  # event mode works in float64 (tests/conftest.py)


def half_unit(printed: str) -> float:
    """Half a unit in the last printed digit of ``printed`` ("3754.4" -> 0.05, "10060" -> 0.5)."""
    mantissa, _, exponent = printed.upper().partition("E")
    decimals = len(mantissa.partition(".")[2])
    return 0.5 * 10.0 ** (int(exponent or 0) - decimals)


@functools.cache
def predictions() -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    events = pd.read_csv(ORACLE / "events.csv")
    reference = pd.read_csv(ORACLE / "nonmem_output.csv", dtype={"CP": str})
    cp = predict_events(events, mammillary(1), PARAMS, columns=COLUMNS).to_numpy() * 1000.0
    return events, reference, cp


@pytest.mark.parametrize("scenario", range(1, 15))
def test_matches_nonmem(scenario):
    if not (ORACLE / "events.csv").exists():
        pytest.skip(f"NONMEM conformance data not found at {ORACLE}")
    events, reference, cp = predictions()
    assert len(reference) == len(events)
    assert (reference["ID"].to_numpy() == events["ID"].to_numpy()).all()
    assert np.allclose(reference["TIME"].to_numpy(), events["time"].to_numpy())
    rows = (events["ID"] == scenario).to_numpy()
    assert rows.sum() > 100
    printed = reference["CP"][rows]
    expected = printed.astype(float).to_numpy()
    tolerance = printed.map(half_unit).to_numpy()
    got = cp[rows]
    error = np.abs(got - expected)
    nonzero = expected != 0
    print(f"scenario {scenario}: max relative error {np.max(error[nonzero] / expected[nonzero]):.2e}")
    worst = np.argmax(error / tolerance)
    assert (error <= tolerance).all(), (
        f"scenario {scenario}, TIME {events['time'][rows].iloc[worst]}: CP {got[worst]} vs NONMEM {printed.iloc[worst]}"
    )
    assert np.all(got[~nonzero] == 0)
