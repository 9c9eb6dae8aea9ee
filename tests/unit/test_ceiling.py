"""Doses skipped at a ceiling (:class:`popsim.pk.grid.Ceiling`: a drinker who stops topping up once
intoxicated) against the grid without the rule on the inputs actually taken, and a loop reference."""

from __future__ import annotations

import numpy as np
import pytest

from popsim.pk.grid import Ceiling
from tests.unit.test_hold import grid, run, script

HIGH = (4, 5, 6, 12)  # steps where the scripted signal is 1


def test_doses_at_or_above_the_ceiling_are_skipped_and_lost(x64):
    u = np.zeros((41, 2))
    u[::2, 0] = 1.0  # a dose every other step on channel 0
    u[:, 1] = 0.3  # an infusion on channel 1, untouched by the rule
    out = run(grid(script(HIGH), ceiling=Ceiling("script", 1.0, 0)), u)
    taken = u.copy()
    taken[[4, 6, 12], 0] = 0.0  # the doses scheduled where the signal is at the ceiling (step 5 had none)
    ref = run(grid(script(HIGH)), taken)
    np.testing.assert_array_equal(np.asarray(out["conc"]["central"]), np.asarray(ref["conc"]["central"]))
    # a ceiling above the signal changes nothing
    same = run(grid(script(HIGH), ceiling=Ceiling("script", 1.5, 0)), u)
    np.testing.assert_array_equal(np.asarray(same["conc"]["central"]),
                                  np.asarray(run(grid(script(HIGH)), u)["conc"]["central"]))


def test_a_ceiling_on_the_concentration_bounds_it(x64):
    # doses of 10 mg every step into V = 10 L: the concentration would climb; with a ceiling of 2 mg/L on
    # the concentration it stays below 2 + one dose's rise (1 mg/L), and the loop reference agrees
    from tests.unit.test_hold import P
    u = np.zeros((41, 2))
    u[:, 0] = 10.0
    out = np.asarray(run(grid(script(()), ceiling=Ceiling("conc", 2.0, 0)), u)["conc"]["central"])
    k = P["CL"] / P["V1"]
    c, ref = 0.0, []
    for step in range(41):
        ref.append(c)
        dose = 0.0 if c >= 2.0 else 10.0
        c = (c + dose / P["V1"]) * np.exp(-k * 0.5)
    np.testing.assert_allclose(out, ref, rtol=1e-12, atol=1e-12)
    assert out.max() < 2.0 + 1.0


@pytest.mark.parametrize("kw, match", [
    ({"ceiling": Ceiling("nope", 1.0, 0)}, "pd signal 'nope'"),
    ({"ceiling": Ceiling("script", 1.0, 1)}, "ceiling channel=1; allowed: a bolus channel"),
    ({"ceiling": Ceiling("script", 1.0, 5)}, "ceiling channel=5; allowed"),
])
def test_bad_ceilings_are_refused(kw, match):
    with pytest.raises(ValueError, match=match):
        grid(script(()), **kw)


def test_bad_ceiling_values_are_refused():
    with pytest.raises(ValueError, match="ceiling threshold=nan"):
        Ceiling("script", float("nan"))
    with pytest.raises(ValueError, match="ceiling channel=-1"):
        Ceiling("script", 1.0, -1)
