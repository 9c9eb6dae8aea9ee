"""The drug library: one YAML file per drug in ``popsim/drugs/data``, validated at load.

Every number is a *quantity*: a mapping with ``value``, ``units``, ``ref`` (a
key of the file's ``references``, each an author-year-journal citation with
the literature.md row it was read from), ``status`` and optionally ``range``
(the published range, carried as the uncertainty prior) and ``note``.

Status codes follow ``shared/science/literature.md``: ``V`` read in the
source, ``V2`` read in a secondary copy, ``D`` derived from cited values (the
formula in ``note``), ``M`` unverified (recalled, not read: a prior only,
never a validation target), ``A`` a popsim assumption where no source was
found (with a wide ``range``) and ``F`` fitted by popsim's qualification (the
plan row that informed it in ``note``).

Units are written as reported and converted here to popsim's internal units
(h, L, mg, L/h, 1/h, umol/L, fraction); per-kilogram values use the entry's
``reference_weight_kg``.  Unknown keys, missing citations, unknown units and
values outside their field's physical range are errors naming the file, the
key path and the allowed values.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from pathlib import Path
from typing import Mapping

import jax
import numpy as np
import yaml

from popsim._validate import closest

__all__ = ["Choice", "Quantity", "Route", "EnzymeEffect", "Inhibition", "Drug", "bounds", "check_value",
           "formed_mass_fraction", "load", "names", "species", "with_values", "KINDS", "ENZYMES", "INHIBITED", "ROUTES"]

DATA = Path(__file__).parent / "data"
KINDS = ("benzodiazepine", "z_drug", "metabolite", "opioid", "antidote", "ethanol", "perpetrator")
ENZYMES = ("cyp3a4", "cyp2c19", "ugt", "other")
INHIBITED = ("cyp3a4", "cyp2c19")  # the enzymes a perpetrator can act on (popsim.interactions)
ROUTES = ("oral", "iv", "im", "intranasal", "sublingual", "rectal", "buccal")
STATUS = ("V", "V2", "D", "M", "A", "F")
ACID_BASE = ("neutral", "base", "acid")
BINDING = ("albumin", "aag")

# Reported units of each dimension -> (factor to the internal unit, per kilogram of
# the entry's reference weight?).
_UNITS: dict[str, dict[str, tuple[float, bool]]] = {
    "clearance": {"L/h": (1.0, False), "mL/min": (0.06, False), "L/min": (60.0, False),
                  "mL/min/kg": (0.06, True), "L/h/kg": (1.0, True)},
    "volume": {"L": (1.0, False), "L/kg": (1.0, True)},
    "rate": {"1/h": (1.0, False), "1/min": (60.0, False), "1/s": (3600.0, False)},
    "time": {"h": (1.0, False), "min": (1 / 60, False)},
    "fraction": {"1": (1.0, False), "%": (0.01, False)},
    "concentration_um": {"umol/L": (1.0, False), "nmol/L": (1e-3, False)},
    "dose": {"mg": (1.0, False)},
    "molar_mass": {"g/mol": (1.0, False)},
    "concentration_mass": {"ng/mL": (1e-3, False), "mg/L": (1.0, False)},
    "association": {"mL/ng/min": (6e4, False), "L/mg/h": (1.0, False)},
    "number": {"1": (1.0, False)},
}
INTERNAL = {"clearance": "L/h", "volume": "L", "rate": "1/h", "time": "h", "fraction": "1",
            "concentration_um": "umol/L", "dose": "mg", "molar_mass": "g/mol", "number": "1",
            "concentration_mass": "mg/L", "association": "L/mg/h"}


@dataclasses.dataclass(frozen=True)
class Quantity:
    """A cited number in internal units; ``range`` is the evidence range (or None)."""

    value: float
    units: str
    ref: str
    citation: str
    status: str
    range: tuple[float, float] | None = None
    note: str = ""


@dataclasses.dataclass(frozen=True)
class Choice:
    """A cited categorical fact (e.g. the plasma binding protein), with ``value`` one of the allowed names."""

    value: str
    ref: str
    citation: str
    status: str
    note: str = ""


@dataclasses.dataclass(frozen=True)
class Route:
    """Absorption by one route: ``f`` overall bioavailability, ``ka`` first-order
    rate, ``lag`` lag time, ``fg`` gut-wall availability (oral CYP3A4 substrates)."""

    f: Quantity
    ka: Quantity | None = None
    lag: Quantity | None = None
    fg: Quantity | None = None


@dataclasses.dataclass(frozen=True)
class EnzymeEffect:
    """A perpetrator's effect on one enzyme (unbound concentrations in umol/L).

    ``ki`` reversible (competitive) inhibition constant; ``kinact_max`` (1/h)
    and ``KI`` mechanism-based inactivation; ``emax`` (fold increase in enzyme
    synthesis) and ``ec50`` induction.  Any subset may be present.
    """

    ki: Quantity | None = None
    KI: Quantity | None = None
    kinact_max: Quantity | None = None
    emax: Quantity | None = None
    ec50: Quantity | None = None


@dataclasses.dataclass(frozen=True)
class Inhibition:
    """A perpetrator's effects, per enzyme of :data:`INHIBITED` (at least one), and ``fu_gut``: the
    unbound fraction of the perpetrator in the enterocytes (absent: 1, all of what crosses the gut
    wall is free)."""

    cyp3a4: EnzymeEffect | None = None
    cyp2c19: EnzymeEffect | None = None
    fu_gut: Quantity | None = None

    @property
    def enzymes(self) -> dict[str, EnzymeEffect]:
        """The enzymes acted on -> their constants."""
        return {e: getattr(self, e) for e in INHIBITED if getattr(self, e) is not None}


@dataclasses.dataclass(frozen=True)
class Drug:
    """One library entry (internal units; see the module docstring)."""

    name: str
    kind: str
    reference_weight_kg: float
    n_cmt: int
    cl: Quantity
    vss: Quantity
    fu: Quantity
    bp: Quantity
    fe: Quantity
    pathways: Mapping[str, Quantity]
    routes: Mapping[str, Route]
    iiv: Mapping[str, Quantity]
    binding: Choice
    v1_share: Quantity | None = None
    q: Quantity | None = None
    mw: Quantity | None = None
    logp: Quantity | None = None
    pka: Quantity | None = None
    acid_base: Choice | None = None
    ashton_mg: Quantity | None = None
    metabolites: Mapping[str, Quantity] = dataclasses.field(default_factory=dict)
    inhibition: Inhibition | None = None
    pd: Mapping[str, Quantity] = dataclasses.field(default_factory=dict)
    notes: str = ""

    def quantities(self) -> dict[str, Quantity]:
        """Every number of the entry by key path (for reports and audits)."""
        out: dict[str, Quantity] = {}

        def walk(prefix, obj):
            if isinstance(obj, Quantity):
                out[prefix] = obj
            elif dataclasses.is_dataclass(obj):
                for f in dataclasses.fields(obj):
                    walk(f"{prefix}.{f.name}".lstrip("."), getattr(obj, f.name))
            elif isinstance(obj, Mapping):
                for k, v in obj.items():
                    walk(f"{prefix}.{k}".lstrip("."), v)

        walk("", self)
        return out


# field -> (dimension, low, high) physical range in internal units
_FIELDS = {
    "cl": ("clearance", 0.0, 2000.0), "vss": ("volume", 0.1, 1e5), "fu": ("fraction", 0.0, 1.0),
    "bp": ("number", 0.3, 3.0), "fe": ("fraction", 0.0, 1.0),
    "v1_share": ("fraction", 0.0, 1.0), "q": ("clearance", 0.0, 5000.0), "mw": ("molar_mass", 10.0, 2000.0),
    "logp": ("number", -5.0, 10.0), "pka": ("number", -5.0, 16.0), "ashton_mg": ("dose", 0.0, 1000.0),
    "pathway": ("fraction", 0.0, 1.0), "metabolite": ("fraction", 0.0, 1.0), "iiv": ("fraction", 0.0, 3.0),
    "f": ("fraction", 0.0, 1.0), "ka": ("rate", 0.0, 1e4), "lag": ("time", 0.0, 24.0), "fg": ("fraction", 0.0, 1.0),
    "ki": ("concentration_um", 0.0, 1e4), "KI": ("concentration_um", 0.0, 1e4), "kinact_max": ("rate", 0.0, 1e3),
    "emax": ("number", 0.0, 1e3), "ec50": ("concentration_um", 0.0, 1e4), "fu_gut": ("fraction", 0.0, 1.0),
}
# pd block: key -> (dimension, low, high).  ``ec50_<endpoint>``: measured total
# plasma (or effect-site) concentration of half-maximal effect on an endpoint of
# popsim.pd.potency.ENDPOINTS (benzodiazepines, young adults), from which the
# affinities are fitted; ``kd``: unbound concentration occupying half the
# benzodiazepine sites (an antagonist: flumazenil); ``a1_selectivity``:
# KD(alpha2) / KD(alpha1); ``ke0``: effect-site equilibration;
# ``kon``/``koff``/``alpha``: mu-receptor association, dissociation and
# intrinsic activity (opioids, naloxone).
_PD = {
    "ec50_psychomotor": ("concentration_mass", 0.0, 1e4), "ec50_eeg": ("concentration_mass", 0.0, 1e4),
    "ec50_hypnosis": ("concentration_mass", 0.0, 1e4), "kd": ("concentration_mass", 0.0, 1e3),
    "a1_selectivity": ("number", 0.01, 100.0), "ke0": ("rate", 0.0, 1e3),
    "kon": ("association", 0.0, 1e9), "koff": ("rate", 0.0, 1e4), "alpha": ("fraction", 0.0, 1.0),
    "hill": ("number", 0.1, 10.0),
}
_TOP = {"name", "kind", "references", "reference_weight_kg", "n_cmt", "disposition", "routes", "iiv",
        "physchem", "ashton_mg", "metabolites", "inhibition", "pd", "notes"}
_DISPOSITION = {"cl", "vss", "fu", "bp", "fe", "pathways", "binding", "v1_share", "q"}


class LibraryError(ValueError):
    pass


def _keys(where: str, got: Mapping, allowed, required=()) -> None:
    if not isinstance(got, Mapping):
        raise LibraryError(f"{where}: expected a mapping, got {type(got).__name__}")
    for k in got:
        if k not in allowed:
            raise LibraryError(f"{where}.{k}: unknown key; allowed: {sorted(allowed)}" + closest(str(k), allowed))
    missing = [k for k in required if k not in got]
    if missing:
        raise LibraryError(f"{where}: missing {missing}")


def _quantity(where: str, raw, field: str, refs: Mapping[str, str], weight: float) -> Quantity:
    _keys(where, raw, {"value", "units", "ref", "status", "range", "note"}, ("value", "units", "ref", "status"))
    dim, low, high = _PD[field[3:]] if field.startswith("pd.") else _FIELDS[field]
    units = str(raw["units"])
    table = _UNITS[dim]
    if units not in table:
        raise LibraryError(f"{where}.units={units!r}; allowed for a {dim}: {sorted(table)}" + closest(units, table))
    factor, per_kg = table[units]
    factor *= weight if per_kg else 1.0
    if raw["ref"] not in refs:
        raise LibraryError(f"{where}.ref={raw['ref']!r} is not in references {sorted(refs)}"
                           + closest(raw["ref"], refs))
    if raw["status"] not in STATUS:
        raise LibraryError(f"{where}.status={raw['status']!r}; allowed: {list(STATUS)}")

    def num(x, what):
        if isinstance(x, (str, bool)) or not isinstance(x, (int, float)) or not math.isfinite(x):
            raise LibraryError(f"{where}.{what}={x!r}; allowed: a finite number (YAML reads 1e-3 as text: write "
                               "1.0e-3)")
        v = float(x) * factor
        if not low <= v <= high:
            raise LibraryError(f"{where}.{what}={x!r} {units} = {v:g} {INTERNAL[dim]}; allowed: {low:g} to {high:g}")
        return v

    value = num(raw["value"], "value")
    rng = None
    if "range" in raw:
        r = raw["range"]
        if not (isinstance(r, list) and len(r) == 2):
            raise LibraryError(f"{where}.range={r!r}; allowed: [low, high]")
        rng = (num(r[0], "range[0]"), num(r[1], "range[1]"))
        if not rng[0] <= value <= rng[1]:
            raise LibraryError(f"{where}: value {value:g} outside its range [{rng[0]:g}, {rng[1]:g}]")
    return Quantity(value, INTERNAL[dim], raw["ref"], refs[raw["ref"]], raw["status"], rng, str(raw.get("note", "")))


def _choice(where: str, raw, allowed, refs: Mapping[str, str]) -> Choice:
    _keys(where, raw, {"value", "ref", "status", "note"}, ("value", "ref", "status"))
    if raw["value"] not in allowed:
        raise LibraryError(f"{where}.value={raw['value']!r}; allowed: {list(allowed)}" + closest(str(raw["value"]),
                                                                                                 allowed))
    if raw["ref"] not in refs:
        raise LibraryError(f"{where}.ref={raw['ref']!r} is not in references {sorted(refs)}"
                           + closest(raw["ref"], refs))
    if raw["status"] not in STATUS:
        raise LibraryError(f"{where}.status={raw['status']!r}; allowed: {list(STATUS)}")
    return Choice(raw["value"], raw["ref"], refs[raw["ref"]], raw["status"], str(raw.get("note", "")))


def parse(raw: Mapping, where: str) -> Drug:
    """Validate one entry (already read from YAML) and convert it to a :class:`Drug`."""
    _keys(where, raw, _TOP, ("name", "kind", "references", "reference_weight_kg", "n_cmt", "disposition",
                             "routes", "iiv"))
    refs = raw["references"]
    if not isinstance(refs, Mapping) or not refs or not all(isinstance(v, str) and v for v in refs.values()):
        raise LibraryError(f"{where}.references: a mapping of key -> citation text is required")
    if raw["kind"] not in KINDS:
        raise LibraryError(f"{where}.kind={raw['kind']!r}; allowed: {list(KINDS)}" + closest(str(raw["kind"]), KINDS))
    wt = raw["reference_weight_kg"]
    if not isinstance(wt, (int, float)) or not 2 <= wt <= 250:
        raise LibraryError(f"{where}.reference_weight_kg={wt!r}; allowed: 2 to 250")
    if raw["n_cmt"] not in (1, 2, 3):
        raise LibraryError(f"{where}.n_cmt={raw['n_cmt']!r}; allowed: 1 (one well-stirred volume), 2 (central + "
                           "slow tissues) or 3 (central + lean slow tissues + adipose)")
    if ("v1_share" in raw["disposition"]) != ("q" in raw["disposition"]) or (
            "v1_share" in raw["disposition"] and raw["n_cmt"] != 2):
        raise LibraryError(f"{where}.disposition: published compartments (v1_share and q, together) need n_cmt=2")

    def q(w, r, f):
        return _quantity(w, r, f, refs, float(wt))

    d = raw["disposition"]
    _keys(f"{where}.disposition", d, _DISPOSITION, ("cl", "vss", "fu", "bp", "fe", "pathways", "binding"))
    _keys(f"{where}.disposition.pathways", d["pathways"], ENZYMES)
    pathways = {k: q(f"{where}.disposition.pathways.{k}", v, "pathway") for k, v in d["pathways"].items()}
    total = sum(p.value for p in pathways.values())
    if abs(total - 1.0) > 0.01:
        raise LibraryError(f"{where}.disposition.pathways: fractions of non-renal clearance sum to {total:.3g}; "
                           "allowed: 1 (within 0.01)")

    routes = {}
    _keys(f"{where}.routes", raw["routes"], ROUTES)
    for name, r in raw["routes"].items():
        w = f"{where}.routes.{name}"
        _keys(w, r, {"f", "ka", "lag", "fg"}, ("f",) + (("ka",) if name != "iv" else ()))
        routes[name] = Route(**{k: q(f"{w}.{k}", v, k) for k, v in r.items()})
    if not routes:
        raise LibraryError(f"{where}.routes: at least one route")

    _keys(f"{where}.iiv", raw["iiv"], {"cl", "vss", "ka"})
    phys = raw.get("physchem", {})
    _keys(f"{where}.physchem", phys, {"mw", "logp", "pka", "acid_base"})
    if ("pka" in phys) != ("acid_base" in phys):
        raise LibraryError(f"{where}.physchem: pka and acid_base go together (without them the drug is taken as "
                           "neutral)")
    inh = None
    if "inhibition" in raw:
        w = f"{where}.inhibition"
        _keys(w, raw["inhibition"], INHIBITED + ("fu_gut",))
        effects = {}
        for enzyme in INHIBITED:
            if enzyme in raw["inhibition"]:
                block = raw["inhibition"][enzyme]
                _keys(f"{w}.{enzyme}", block, ("ki", "KI", "kinact_max", "emax", "ec50"))
                if not block:
                    raise LibraryError(f"{w}.{enzyme}: at least one of ki, KI/kinact_max, emax/ec50")
                e = EnzymeEffect(**{k: q(f"{w}.{enzyme}.{k}", v, k) for k, v in block.items()})
                if (e.KI is None) != (e.kinact_max is None) or (e.emax is None) != (e.ec50 is None):
                    raise LibraryError(f"{w}.{enzyme}: KI and kinact_max go together, as do emax and ec50")
                effects[enzyme] = e
        if not effects:
            raise LibraryError(f"{w}: no enzyme; allowed: {list(INHIBITED)} (each with its constants)")
        fu_gut = raw["inhibition"].get("fu_gut")
        inh = Inhibition(**effects, fu_gut=q(f"{w}.fu_gut", fu_gut, "fu_gut") if fu_gut is not None else None)
    _keys(f"{where}.pd", raw.get("pd", {}), _PD)
    if raw["kind"] == "perpetrator" and (inh is None or "mw" not in phys):
        raise LibraryError(f"{where}: a perpetrator needs inhibition and physchem.mw (its constants are in umol/L)")
    return Drug(
        name=raw["name"], kind=raw["kind"], reference_weight_kg=float(wt), n_cmt=raw["n_cmt"],
        pathways=pathways, routes=routes,
        iiv={k: q(f"{where}.iiv.{k}", v, "iiv") for k, v in raw["iiv"].items()},
        **{k: q(f"{where}.disposition.{k}", d[k], k) for k in ("cl", "vss", "fu", "bp", "fe")},
        **{k: q(f"{where}.disposition.{k}", d[k], k) for k in ("v1_share", "q") if k in d},
        binding=_choice(f"{where}.disposition.binding", d["binding"], BINDING, refs),
        **{k: q(f"{where}.physchem.{k}", v, k) for k, v in phys.items() if k != "acid_base"},
        acid_base=_choice(f"{where}.physchem.acid_base", phys["acid_base"], ACID_BASE, refs)
        if "acid_base" in phys else None,
        ashton_mg=q(f"{where}.ashton_mg", raw["ashton_mg"], "ashton_mg") if "ashton_mg" in raw else None,
        metabolites={k: q(f"{where}.metabolites.{k}", v, "metabolite") for k, v in raw.get("metabolites", {}).items()},
        inhibition=inh, pd={k: q(f"{where}.pd.{k}", v, f"pd.{k}") for k, v in raw.get("pd", {}).items()},
        notes=str(raw.get("notes", "")),
    )


def names() -> tuple[str, ...]:
    """Names of every drug in the library."""
    return tuple(sorted(p.stem for p in DATA.glob("*.yaml")))


@functools.lru_cache(maxsize=None)
def load(name: str) -> Drug:
    """Load and validate one entry; unknown names get the closest valid names."""
    known = names()
    if name not in known:
        raise LibraryError(f"drug {name!r} is not in the library; known: {list(known)}" + closest(name, known))
    path = DATA / f"{name}.yaml"
    raw = yaml.safe_load(path.read_text())
    drug = parse(raw, path.name)
    if drug.name != name:
        raise LibraryError(f"{path.name}: name={drug.name!r} does not match the file name")
    for m in drug.metabolites:
        if m not in known:
            raise LibraryError(f"{path.name}.metabolites.{m}: not in the library" + closest(m, known))
    return drug


def species(drug: str) -> tuple[str, ...]:
    """The drug and its chain of active metabolites in the library (each formed from the one before),
    e.g. diazepam -> nordiazepam -> oxazepam."""
    chain = [drug]
    while load(chain[-1]).metabolites:
        chain.append(next(iter(load(chain[-1]).metabolites)))
        if chain[-1] in chain[:-1]:
            raise ValueError(f"library metabolites form a loop: {chain}")
    return tuple(chain)


def formed_mass_fraction(parent: str | Drug, metabolite: str | Drug):
    """mg of ``metabolite`` formed per mg of ``parent`` cleared: the fraction formed times the molar-mass
    ratio (1 where a molar mass is unknown).  Entries by name or as :class:`Drug` (e.g. :func:`with_values`;
    traced values are not checked)."""
    p, m = (load(x) if isinstance(x, str) else x for x in (parent, metabolite))
    ratio = m.mw.value / p.mw.value if p.mw is not None and m.mw is not None else 1.0
    formed = p.metabolites[m.name].value * ratio
    if not isinstance(formed, jax.core.Tracer) and formed > 1:
        raise ValueError(f"{p.name} -> {m.name}: {formed:.3g} mg formed per mg cleared (fraction x molar-mass "
                         "ratio) exceeds 1, which would create mass")
    return formed


def bounds(path: str) -> tuple[float, float]:
    """The physical range (internal units) of the quantity at key path ``path`` of :meth:`Drug.quantities`
    (e.g. ``routes.oral.ka``, ``iiv.cl``, ``pathways.cyp3a4``, ``inhibition.cyp3a4.ki``, ``pd.ke0``)."""
    parts = path.split(".")
    if parts[0] == "pd":
        return _PD[parts[-1]][1:]
    field = {"pathways": "pathway", "metabolites": "metabolite", "iiv": "iiv"}.get(parts[0], parts[-1])
    return _FIELDS[field][1:]


def with_values(drug: Drug, values: Mapping[str, object]) -> Drug:
    """``drug`` with the quantities at the key paths of ``values`` (as :meth:`Drug.quantities`) set to those
    values (numbers or JAX arrays: parameter draws, see :mod:`popsim.uncertainty`).  A path under
    ``pathways.`` that the entry lacks adds that pathway (status D: a drawn remainder of non-renal
    clearance); any other unknown path is an error."""
    known = drug.quantities()
    new_pathways = {p for p in values if p.startswith("pathways.") and p not in known}
    unknown = sorted(set(values) - set(known) - new_pathways)
    if unknown:
        raise ValueError(f"{drug.name}: no quantity {unknown[0]!r}; allowed: {sorted(known)}"
                         + closest(unknown[0], known))

    def sub(prefix, obj):
        if isinstance(obj, Quantity):
            return dataclasses.replace(obj, value=values[prefix]) if prefix in values else obj
        if dataclasses.is_dataclass(obj):
            return dataclasses.replace(obj, **{f.name: sub(f"{prefix}.{f.name}".lstrip("."), getattr(obj, f.name))
                                              for f in dataclasses.fields(obj)})
        if isinstance(obj, Mapping):
            return {k: sub(f"{prefix}.{k}".lstrip("."), v) for k, v in obj.items()}
        return obj

    out = sub("", drug)
    if new_pathways:
        added = {p.split(".", 1)[1]: Quantity(values[p], "1", "drawn", "remainder of the drawn pathways", "D")
                 for p in sorted(new_pathways)}
        out = dataclasses.replace(out, pathways={**out.pathways, **added})
    return out


LIPOPHILICITY = (-4.0, 10.0)  # log P searched by popsim.params.tissues.fit_lipophilicity


def check_value(name: str, value) -> None:
    """A value (or an array of parameter draws) of a library quantity by name ``"<drug>.<key path>"``
    (:func:`popsim.uncertainty.library_draws`; also ``"<drug>.lipophilicity"`` and
    ``"<drug>.pathways.<enzyme>"``): a known entry and path, a finite number within the field's physical
    range (a ValueError names both, and the draw)."""
    drug, _, path = name.partition(".")
    if drug not in names():
        raise ValueError(f"{name}: no library drug {drug!r}; allowed: {list(names())}" + closest(drug, names()))
    known = load(drug).quantities()
    extra = {"lipophilicity"} | {f"pathways.{e}" for e in ENZYMES}
    if path not in known and path not in extra:
        raise ValueError(f"{name}: {drug} has no quantity {path!r}; allowed: {sorted(known)}" + closest(path, known))
    low, high = LIPOPHILICITY if path == "lipophilicity" else bounds(path)
    v = np.atleast_1d(np.asarray(value, float))
    bad = np.flatnonzero(~(np.isfinite(v) & (v >= low) & (v <= high)))
    if bad.size:
        where = f" (draw {bad[0]})" if np.ndim(value) else ""
        raise ValueError(f"{name}={float(v[bad[0]])!r}{where}; allowed: a finite number from {low:g} to {high:g}")
