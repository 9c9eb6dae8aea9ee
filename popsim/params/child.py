"""The child of a mother simulated by :mod:`popsim.arm`: a fetus that is born, or a breast-fed infant.

The child's compartments are part of the mother's linear model (:func:`popsim.pk.model.child_chain`),
so mother and child are solved together, exactly, and mass is conserved: drug crossing the placenta
or leaving in milk leaves the mother.  Its rates change between two parameter segments:

* **fetus** (segment 0 before birth, 1 after).  Before birth the fetal compartment (fetal plasma and
  tissues, volume ``VF``) exchanges with the maternal plasma through the placenta, flow-limited:
  umbilical plasma flow ``Q`` (Kapraun 2019, literature.md L14, L13) times a placental extraction
  (:data:`CONSTANTS`), on unbound concentrations, ``J = Q (fu_m C_m / fu_f - C_f)``, so the fetal:maternal
  ratio tends to ``fu_m / fu_f`` (binding by fetal albumin or AAG, L31; passive transfer, Kp,uu = 1,
  L38).  The fetus does not metabolise (:data:`CONSTANTS`).  At birth the cord is cut and the newborn
  clears the drug with its own clearance (:func:`popsim.params.ontogeny.infant_parameters` at postnatal
  age 0), forming metabolites in the fractions of the adult chain.
* **infant** (segment 1 during a feed).  Milk is secreted at the maternal plasma concentration times
  the milk:plasma ratio (:func:`popsim.params.milk.milk_plasma_ratio`, at the mother's unbound fraction;
  instantaneous equilibrium, as for drugs whose milk and plasma half-lives agree, L80) and swallowed
  during feeds: the day's milk intake for the infant's age and weight (:mod:`popsim.params.milk`,
  :mod:`popsim.params.ontogeny`) is split over the feeds of the pattern.  Swallowed drug enters the
  infant's gut (``milk``), is absorbed with the infant's oral availability and cleared with its
  ontogeny clearance.  The infant's age is the mother's ``postpartum_week`` and its gestational age at
  birth her ``gestational_week`` (cohort covariates); it is held over the simulated horizon.

All parameter functions are for one subject (scalars, ``(segment,)`` arrays).
"""

from __future__ import annotations

import dataclasses

import jax.numpy as jnp
import numpy as np

from popsim.drugs.library import load
from popsim.params import gestation, milk, ontogeny
from popsim.params.constant import Constant
from popsim.params.derive import unbound_fraction
from popsim.params.iiv import etas

__all__ = ["CONSTANTS", "Child", "check_cohort", "child_parameters"]

CONSTANTS: dict[str, Constant] = {
    "placental_extraction": Constant(
        1.0, "1", "fraction of the umbilical plasma flow that leaves the placenta in unbound equilibrium with the "
        "maternal plasma (flow-limited transfer).  Diazepam equilibrates within 5-10 min (Bakke & Haram 1982, "
        "literature.md F4); lorazepam, oxazepam (F8) and midazolam (L34) cross more slowly, by how much is not "
        "known (no cotyledon transfer clearances were found, L-2 'not found'): popsim assumption, one value for "
        "every drug, with a wide range", "A", (0.1, 1.0)),
    "fetal_metabolism": Constant(0.0, "1", "fetal clearance relative to the newborn's before birth: popsim "
                                 "assumption (fetal CYP3A7 activity is not in literature.md), none", "A", (0.0, 1.0)),
    "feed_minutes": Constant(15.0, "min", "duration of one feed: popsim assumption (the feed is a grid step)", "A",
                             (5.0, 40.0)),
    "cord_lorazepam_mg_l": Constant(0.045, "mg/L", "cord lorazepam above 45 ug/L associated with ventilation at "
                                    "birth in 3/4 of infants (Whitelaw AG et al. 1981 Br Med J 282:1106, "
                                    "literature.md F6)", "V"),
    "earliest_birth_week": Constant(24.0, "week", "the earliest gestational week at which a fetus is simulated: "
                                    "popsim's limit (the ontogeny and fetal-binding data are for late-preterm and "
                                    "term births, L31, L39-L56)", "A"),
    "oldest_infant_weeks": Constant(12 * 365.25 / 7.0 / 12.0, "week", "the oldest breast-fed infant simulated: the "
                                    "milk-intake bands end at 12 months (L74)", "D"),
}


def check_cohort(kind: str, cohort) -> None:
    """A cohort that can carry ``kind`` (``"fetus"`` or ``"infant"``): women only; a fetus at a gestational week
    from :data:`CONSTANTS` ``earliest_birth_week`` (not postpartum); an infant born at such a week and at most
    ``oldest_infant_weeks`` old (``postpartum_week`` > 0).  A ``ValueError`` naming the key, value and range."""
    lo_ga = CONSTANTS["earliest_birth_week"].value
    oldest = CONSTANTS["oldest_infant_weeks"].value
    if cohort.p_male != 0:
        raise ValueError(f"cohort.p_male={cohort.p_male!r}: a {kind} needs a cohort of women; allowed: 0")
    ga, pp = list(cohort.gestational_week), list(cohort.postpartum_week)
    if ga[0] < lo_ga:
        raise ValueError(f"cohort.gestational_week={ga!r}: a {kind} is simulated from week {lo_ga:g}; allowed: "
                         f"[{lo_ga:g}, 42]")
    if kind == "fetus" and pp != [0.0, 0.0]:
        raise ValueError(f"cohort.postpartum_week={pp!r}: a fetus is not yet born; allowed: [0, 0]")
    if kind == "infant" and not (0.0 < pp[0] and pp[1] <= oldest):
        raise ValueError(f"cohort.postpartum_week={pp!r}: a breast-fed infant's age; allowed: a window inside "
                         f"(0, {oldest:.4g}] weeks")


@dataclasses.dataclass(frozen=True)
class Child:
    """Which child, and when its rates change (hashable: part of the compiled program).

    ``kind``: ``"fetus"`` (``segments`` 0 before the birth, 1 from it) or ``"infant"`` (1 during a feed,
    ``feeds_per_day`` of them, each one grid step of :data:`CONSTANTS` ``feed_minutes``).  ``milk``: the
    milk:plasma ratio ``"predicted"`` from physicochemistry or ``"measured"``
    (:func:`popsim.params.milk.milk_plasma_ratio`).  Build with :meth:`fetus` or :meth:`infant`.
    """

    kind: str
    segments: tuple[int, ...]
    feeds_per_day: int = 0
    milk: str = "predicted"

    @property
    def feed_hours(self) -> float:
        """Duration of a feed (h), the grid step of an infant's grid."""
        return CONSTANTS["feed_minutes"].value / 60.0

    def __post_init__(self):
        if self.kind not in ("fetus", "infant"):
            raise ValueError(f"child kind={self.kind!r}; allowed: 'fetus', 'infant'")
        if self.milk not in ("predicted", "measured"):
            raise ValueError(f"child milk={self.milk!r}; allowed: 'predicted', 'measured'")
        if set(self.segments) - {0, 1}:
            raise ValueError("child segments: 0 or 1 per grid step")
        if self.kind == "fetus" and (self.segments[0] != 0 or self.segments[-1] != 1
                                     or any(b < a for a, b in zip(self.segments, self.segments[1:]))):
            raise ValueError("fetus segments: 0 before the birth and 1 from it on, the birth inside the grid")
        if self.kind == "infant" and not (self.feeds_per_day > 0 and 1 in self.segments):
            raise ValueError(f"infant feeds_per_day={self.feeds_per_day!r}; allowed: > 0, with at least one feed on "
                             "the grid (build it with Child.infant)")

    @staticmethod
    def fetus(n_steps: int, birth_step: int) -> "Child":
        """A fetus born at grid step ``birth_step`` (1 to ``n_steps - 1``)."""
        if not 1 <= birth_step <= n_steps - 1:
            raise ValueError(f"birth step={birth_step!r}; allowed: 1 to n_steps - 1 = {n_steps - 1} (inside the grid)")
        return Child("fetus", tuple(int(k >= birth_step) for k in range(n_steps)))

    @staticmethod
    def infant(dt: float, n_steps: int, feed_clock_h: tuple[float, ...], milk: str = "predicted", *,
               keys: tuple[str, str] = ("dt", "feed_clock_h")) -> "Child":
        """A breast-fed infant fed every day at the clock hours ``feed_clock_h`` (grid time 0 is midnight),
        each feed one grid step long; ``dt`` must be the feed duration (:data:`CONSTANTS` ``feed_minutes``).
        ``keys``: the names of ``dt`` and ``feed_clock_h`` in error messages (e.g. the config keys)."""
        minutes = CONSTANTS["feed_minutes"].value
        if not np.isclose(dt * 60.0, minutes):
            raise ValueError(f"{keys[0]}={dt!r} h; a feed is one grid step of {minutes:g} min: allowed "
                             f"{keys[0]}={minutes / 60.0:g}")
        clock = sorted(float(h) for h in feed_clock_h)
        if not clock or clock[0] < 0 or clock[-1] >= 24 or len(set(clock)) != len(clock):
            raise ValueError(f"{keys[1]}={list(feed_clock_h)!r}; allowed: distinct clock hours in [0, 24)")
        per_day = round(24.0 / dt)
        steps = {round(h / dt) for h in clock}
        if len(steps) != len(clock) or any(not np.isclose(h / dt, round(h / dt)) for h in clock):
            raise ValueError(f"{keys[1]}={list(feed_clock_h)!r}; allowed: distinct multiples of the grid step "
                             f"{dt:g} h")
        return Child("infant", tuple(int(k % per_day in steps) for k in range(n_steps)), feeds_per_day=len(clock),
                     milk=milk)


def child_parameters(child: Child, chain: tuple[tuple[str, str], ...], cov, phys, mother, iiv_stream, i, dtype):
    """Parameters ``(segment,)`` of the child compartments of ``chain`` (``(species, prefix)`` of the mother's
    chain) for one mother-child pair: ``cov`` the mother's covariates, ``phys`` her physiology, ``mother`` her
    PK parameters (``{P}V1`` per species, ``(segment,)``)."""
    on = jnp.asarray([0.0, 1.0], dtype)  # segment 1: after birth / during a feed
    ga, pp = cov["gestational_week"], cov["postpartum_week"]
    out = {}
    ka_parent = None
    for name, P in chain:
        d = load(name)
        cv = {k: d.iiv[k].value for k in ("cl", "vss") if k in d.iiv}
        eta = etas(cv, iiv_stream, i, dtype, prefix=f"{child.kind}.{name}.")
        fu_m = unbound_fraction(d, phys)
        if child.kind == "fetus":
            fetus = gestation.fetus(ga)
            fu_f = gestation.fetal_unbound_fraction(fu_m, d.binding.value, ga)
            newborn = ontogeny.infant_parameters(d, 0.0, ga, fetus["weight_kg"], eta.get("cl", 0.0),
                                                 eta.get("vss", 0.0))
            q = fetus["umbilical_plasma_flow_l_h"] * CONSTANTS["placental_extraction"].value
            k_born = newborn["CL"] / newborn["V"]
            out |= {f"{P}VF": newborn["V"] * jnp.ones(2, dtype),
                    f"{P}KMF": (1.0 - on) * q * fu_m / (fu_f * mother[f"{P}V1"]),
                    f"{P}KFM": (1.0 - on) * q / newborn["V"],
                    f"{P}KN": k_born * (on + (1.0 - on) * CONSTANTS["fetal_metabolism"].value)}
        else:
            weight = ontogeny.infant_weight_kg(pp)
            infant = ontogeny.infant_parameters(d, pp, ga, weight, eta.get("cl", 0.0), eta.get("vss", 0.0))
            # a metabolite swallowed in milk is absorbed at its parent's rate (assumption: no oral ka of its own)
            ka_parent = infant.get("KA", ka_parent)
            ratio = milk.milk_plasma_ratio(d, fu=fu_m if child.milk == "predicted" else None, method=child.milk)
            flow = milk.milk_intake_l_kg_day(pp) * weight / child.feeds_per_day / child.feed_hours  # L/h in a feed
            out |= {f"{P}VG": jnp.ones(2, dtype), f"{P}VI": infant["V"] * jnp.ones(2, dtype),
                    f"{P}KMILK": on * ratio * flow / mother[f"{P}V1"],
                    f"{P}FI": infant["F"] * jnp.ones(2, dtype), f"{P}KAI": ka_parent * jnp.ones(2, dtype),
                    f"{P}KI": infant["CL"] / infant["V"] * jnp.ones(2, dtype)}
    return {k: jnp.asarray(v, dtype) for k, v in out.items()}
