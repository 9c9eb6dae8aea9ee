"""The YAML drug library: every entry loads and cites its numbers; units convert; bad input names what is wrong.

Conversions are checked on a synthetic entry written here (``SYNTHETIC``),
with the expected internal values computed by hand from the reported values
(mL/min x 0.06 = L/h; per-kg values x ``reference_weight_kg``; % / 100; 1/min
x 60 = 1/h; min / 60 = h; nmol/L / 1000 = umol/L).
"""

from __future__ import annotations

import copy
import re

import pytest
import yaml

from popsim.drugs import library
from popsim.drugs.library import KINDS, STATUS, LibraryError, load, names, parse

SYNTHETIC_YAML = """
name: testdrug
kind: benzodiazepine
reference_weight_kg: 80
n_cmt: 2
references:
  src: "Author A et al. J Test 2000;1:1 (literature.md Z1)"
  other: "Author B. J Test 2001;2:2 (literature.md Z2)"
disposition:
  cl: {value: 2.0, units: mL/min/kg, ref: src, status: V}
  vss: {value: 1.5, units: L/kg, ref: src, status: V}
  fu: {value: 3.5, units: "%", range: [2.0, 5.0], ref: src, status: V}
  bp: {value: 0.8, units: "1", ref: src, status: V}
  fe: {value: 1.0, units: "%", ref: src, status: V}
  pathways:
    cyp3a4: {value: 0.7, units: "1", ref: src, status: D}
    ugt: {value: 0.3, units: "1", ref: src, status: D}
  binding: {value: aag, ref: other, status: V2, note: "bound to AAG"}
routes:
  oral:
    f: {value: 60, units: "%", ref: src, status: V}
    ka: {value: 0.05, units: 1/min, ref: src, status: V}
    lag: {value: 15, units: min, ref: src, status: M}
  iv:
    f: {value: 1.0, units: "1", ref: src, status: D}
iiv:
  cl: {value: 0.3, units: "1", ref: src, status: A}
physchem:
  mw: {value: 300.0, units: g/mol, ref: src, status: V}
  pka: {value: 8.5, units: "1", ref: src, status: V}
  acid_base: {value: base, ref: src, status: V}
inhibition:
  cyp2c19:
    ki: {value: 50, units: nmol/L, ref: other, status: F, note: "plan row 3"}
"""
WHERE = "testdrug.yaml"


@pytest.fixture
def raw():
    return yaml.safe_load(SYNTHETIC_YAML)


def _count_raw_quantities(obj) -> int:
    """Mappings with a ``value`` key anywhere in a raw YAML entry (the quantities as written)."""
    if isinstance(obj, dict):
        if "value" in obj and "units" in obj:
            return 1
        return sum(_count_raw_quantities(v) for v in obj.values())
    return 0


# ---------------------------------------------------------------------------
# Every entry
# ---------------------------------------------------------------------------


def test_library_is_not_empty():
    # 27 files at the time of writing; a glob that silently found nothing would make the loop below vacuous.
    assert len(names()) >= 20
    assert "midazolam" in names() and "ketoconazole" in names()


@pytest.mark.parametrize("name", names())
def test_every_entry_loads_and_cites_every_number(name):
    drug = load(name)
    assert drug.name == name and drug.kind in KINDS
    raw = yaml.safe_load((library.DATA / f"{name}.yaml").read_text())
    quantities = drug.quantities()
    # Nothing written in the file is dropped on the way to the Drug object.
    assert len(quantities) == _count_raw_quantities(raw)
    for path, q in quantities.items():
        assert q.status in STATUS, path
        assert isinstance(q.citation, str) and q.citation.strip(), path
        assert q.citation == raw["references"][q.ref], path
        if q.range is not None:
            assert q.range[0] <= q.value <= q.range[1], path
    if drug.kind == "perpetrator":
        assert drug.inhibition is not None and drug.mw is not None
    # Pathways are fractions of non-renal clearance: parse allows 1 +/- 0.01.
    assert abs(sum(p.value for p in drug.pathways.values()) - 1.0) <= 0.01


# ---------------------------------------------------------------------------
# Unit conversion on a synthetic entry
# ---------------------------------------------------------------------------


def test_synthetic_entry_converts_to_internal_units(raw):
    d = parse(raw, WHERE)
    # Conversions are products of two or three decimal constants: 1e-12 relative covers float rounding.

    def approx(x):
        return pytest.approx(x, rel=1e-12)

    assert d.reference_weight_kg == 80.0
    assert d.cl.value == approx(2.0 * 80 * 0.06) and d.cl.units == "L/h"  # 9.6 L/h
    assert d.vss.value == approx(1.5 * 80) and d.vss.units == "L"  # 120 L
    assert d.fu.value == approx(0.035) and d.fu.range == (approx(0.02), approx(0.05))
    assert d.fe.value == approx(0.01)
    assert d.routes["oral"].f.value == approx(0.6)
    assert d.routes["oral"].ka.value == approx(3.0) and d.routes["oral"].ka.units == "1/h"
    assert d.routes["oral"].lag.value == approx(0.25) and d.routes["oral"].lag.units == "h"
    assert d.routes["iv"].f.value == 1.0 and d.routes["iv"].ka is None
    assert d.inhibition.cyp2c19.ki.value == approx(0.05) and d.inhibition.cyp2c19.ki.units == "umol/L"
    assert d.inhibition.cyp3a4 is None and list(d.inhibition.enzymes) == ["cyp2c19"]
    assert d.mw.value == 300.0
    assert d.pathways["cyp3a4"].value == 0.7 and d.pathways["ugt"].value == 0.3
    assert d.binding.value == "aag" and d.binding.citation == raw["references"]["other"]
    assert d.binding.status == "V2" and d.binding.note == "bound to AAG"
    assert d.pka.value == 8.5 and d.acid_base.value == "base"


def test_per_kg_units_follow_the_reference_weight(raw):
    raw["reference_weight_kg"] = 50
    d = parse(raw, WHERE)
    assert d.cl.value == pytest.approx(2.0 * 50 * 0.06, rel=1e-12)
    assert d.vss.value == pytest.approx(1.5 * 50, rel=1e-12)


# ---------------------------------------------------------------------------
# Errors name the key path and the value
# ---------------------------------------------------------------------------


def _rename(mapping, old, new):
    mapping[new] = mapping.pop(old)


@pytest.mark.parametrize(("mutate", "path", "suggestion"), [
    (lambda r: _rename(r["disposition"]["vss"], "value", "vlaue"), "disposition.vss.vlaue", "value"),
    (lambda r: _rename(r, "references", "refrences"), "refrences", "references"),
    (lambda r: _rename(r["disposition"]["pathways"], "cyp3a4", "cyp3a5"), "disposition.pathways.cyp3a5", "cyp3a4"),
])
def test_unknown_key_names_the_path_and_suggests(raw, mutate, path, suggestion):
    mutate(raw)
    with pytest.raises(LibraryError, match=re.escape(f"testdrug.yaml.{path}: unknown key")) as e:
        parse(raw, WHERE)
    assert f"did you mean '{suggestion}'?" in str(e.value)


def test_unknown_units_name_the_path_value_and_allowed(raw):
    raw["disposition"]["cl"]["units"] = "ml/min"
    with pytest.raises(LibraryError, match=re.escape("testdrug.yaml.disposition.cl.units='ml/min'")) as e:
        parse(raw, WHERE)
    msg = str(e.value)
    assert "'L/h'" in msg and "'mL/min/kg'" in msg  # the allowed clearance units are listed
    assert "did you mean 'mL/min'?" in msg


def test_units_of_another_dimension_are_rejected(raw):
    raw["disposition"]["vss"]["units"] = "L/h"  # a clearance unit on a volume
    with pytest.raises(LibraryError, match=re.escape("testdrug.yaml.disposition.vss.units='L/h'")):
        parse(raw, WHERE)


@pytest.mark.parametrize(
    "path, value, shown",
    [
        (("disposition", "fu"), 150, "testdrug.yaml.disposition.fu.value=150"),  # 150 % = 1.5 > 1
        (("disposition", "bp"), 5.0, "testdrug.yaml.disposition.bp.value=5.0"),
        (("disposition", "cl"), -1.0, "testdrug.yaml.disposition.cl.value=-1.0"),
        (("routes", "oral", "f"), 120, "testdrug.yaml.routes.oral.f.value=120"),
    ],
)
def test_value_out_of_range_names_path_value_and_bounds(raw, path, value, shown):
    node = raw
    for k in path:
        node = node[k]
    node["value"] = value
    node.pop("range", None)
    with pytest.raises(LibraryError, match=re.escape(shown)) as e:
        parse(raw, WHERE)
    assert "allowed:" in str(e.value)


def test_fraction_in_percent_is_range_checked_after_conversion(raw):
    # 150 % -> 1.5: the message shows the converted value and the internal bound.
    raw["disposition"]["fu"]["value"] = 150
    raw["disposition"]["fu"].pop("range")
    with pytest.raises(LibraryError, match=re.escape("= 1.5 1; allowed: 0 to 1")):
        parse(raw, WHERE)


def test_value_outside_its_own_range(raw):
    raw["disposition"]["fu"]["value"] = 6.0  # range is [2, 5] %
    with pytest.raises(LibraryError, match=re.escape("testdrug.yaml.disposition.fu: value 0.06 outside its range")):
        parse(raw, WHERE)


def test_missing_ref_names_the_quantity(raw):
    del raw["disposition"]["bp"]["ref"]
    with pytest.raises(LibraryError, match=re.escape("testdrug.yaml.disposition.bp: missing ['ref']")):
        parse(raw, WHERE)


def test_ref_not_in_references_suggests(raw):
    raw["disposition"]["bp"]["ref"] = "scr"
    message = "testdrug.yaml.disposition.bp.ref='scr' is not in references"
    with pytest.raises(LibraryError, match=re.escape(message)) as e:
        parse(raw, WHERE)
    assert "did you mean 'src'?" in str(e.value)


def test_empty_citation_is_rejected(raw):
    raw["references"]["other"] = ""
    with pytest.raises(LibraryError, match=re.escape("testdrug.yaml.references")):
        parse(raw, WHERE)


def test_unknown_status_is_rejected(raw):
    raw["disposition"]["bp"]["status"] = "X"
    with pytest.raises(LibraryError, match=re.escape("testdrug.yaml.disposition.bp.status='X'")):
        parse(raw, WHERE)


def test_yaml_1e_minus_3_is_text_and_rejected_with_the_hint(raw):
    text = SYNTHETIC_YAML.replace("fe: {value: 1.0, units: \"%\"", 'fe: {value: 1e-3, units: "1"')
    entry = yaml.safe_load(text)
    # Precondition: PyYAML (YAML 1.1) reads 1e-3 without a decimal point as a string.
    assert entry["disposition"]["fe"]["value"] == "1e-3"
    with pytest.raises(LibraryError, match=re.escape("testdrug.yaml.disposition.fe.value='1e-3'")) as e:
        parse(entry, WHERE)
    assert "write 1.0e-3" in str(e.value)
    # The hinted spelling is accepted.
    ok = yaml.safe_load(text.replace("value: 1e-3", "value: 1.0e-3"))
    assert parse(ok, WHERE).fe.value == 1.0e-3


def test_pathways_must_sum_to_one(raw):
    raw["disposition"]["pathways"]["ugt"]["value"] = 0.2  # 0.7 + 0.2 = 0.9
    with pytest.raises(LibraryError, match=re.escape("testdrug.yaml.disposition.pathways: fractions of non-renal "
                                                     "clearance sum to 0.9")):
        parse(raw, WHERE)
    raw["disposition"]["pathways"]["ugt"]["value"] = 0.305  # within the documented 0.01 tolerance
    parse(raw, WHERE)


def test_extravascular_route_needs_ka(raw):
    del raw["routes"]["oral"]["ka"]
    with pytest.raises(LibraryError, match=re.escape("testdrug.yaml.routes.oral: missing ['ka']")):
        parse(raw, WHERE)


def test_compartment_count_and_categorical_facts_are_checked(raw):
    bad = copy.deepcopy(raw)
    bad["n_cmt"] = 4
    with pytest.raises(LibraryError, match=re.escape("testdrug.yaml.n_cmt=4; allowed: 1")):
        parse(bad, WHERE)
    bad = copy.deepcopy(raw)
    bad["disposition"]["binding"]["value"] = "albumine"
    with pytest.raises(LibraryError, match=re.escape("disposition.binding.value='albumine'; allowed: ['albumin', "
                                                     "'aag']; did you mean 'albumin'?")):
        parse(bad, WHERE)
    bad = copy.deepcopy(raw)
    bad["physchem"]["acid_base"]["value"] = "zwitterion"
    with pytest.raises(LibraryError, match=re.escape("physchem.acid_base.value='zwitterion'; allowed: ['neutral', "
                                                     "'base', 'acid']")):
        parse(bad, WHERE)
    bad = copy.deepcopy(raw)
    bad["disposition"]["v1_share"] = {"value": 0.2, "units": "1", "ref": "src", "status": "D"}
    with pytest.raises(LibraryError, match=re.escape("published compartments (v1_share and q, together) need "
                                                     "n_cmt=2")):
        parse(bad, WHERE)  # no q
    bad["disposition"]["q"] = {"value": 10, "units": "L/h", "ref": "src", "status": "V"}
    assert parse(bad, WHERE).q.value == 10.0
    bad["n_cmt"] = 3
    with pytest.raises(LibraryError, match=re.escape("need n_cmt=2")):
        parse(bad, WHERE)
    bad = copy.deepcopy(raw)
    del bad["physchem"]["acid_base"]
    with pytest.raises(LibraryError, match="pka and acid_base go together"):
        parse(bad, WHERE)
    bad = copy.deepcopy(raw)
    bad["disposition"]["binding"]["ref"] = "nowhere"
    with pytest.raises(LibraryError, match=re.escape("disposition.binding.ref='nowhere' is not in references")):
        parse(bad, WHERE)


def test_perpetrator_needs_inhibition_and_molar_mass(raw):
    raw["kind"] = "perpetrator"
    parse(raw, WHERE)  # has both
    bad = copy.deepcopy(raw)
    del bad["physchem"]
    with pytest.raises(LibraryError, match="needs inhibition and physchem.mw"):
        parse(bad, WHERE)


def test_unpaired_mechanism_based_constants_are_rejected(raw):
    raw["inhibition"]["cyp2c19"]["KI"] = {"value": 1.0, "units": "umol/L", "ref": "src", "status": "V"}
    with pytest.raises(LibraryError, match=re.escape("testdrug.yaml.inhibition.cyp2c19: KI and kinact_max go "
                                                     "together")):
        parse(raw, WHERE)


@pytest.mark.parametrize("edit, message", [
    # constants belong to an enzyme: a constant directly under inhibition is refused by name
    (lambda inh: inh.update(ki=inh.pop("cyp2c19")["ki"]),
     "testdrug.yaml.inhibition.ki: unknown key; allowed: ['cyp2c19', 'cyp3a4', 'fu_gut']"),
    (lambda inh: inh.update(cyp2c9=inh.pop("cyp2c19")), "testdrug.yaml.inhibition.cyp2c9: unknown key; allowed: "
                                                         "['cyp2c19', 'cyp3a4', 'fu_gut']; did you mean 'cyp2c19'?"),
    (lambda inh: inh["cyp2c19"].update(Ki=inh["cyp2c19"].pop("ki")),
     "testdrug.yaml.inhibition.cyp2c19.Ki: unknown key; allowed: ['KI', 'ec50', 'emax', 'ki', 'kinact_max']"),
    (lambda inh: inh.update(cyp2c19={}), "testdrug.yaml.inhibition.cyp2c19: at least one of ki, KI/kinact_max"),
    (lambda inh: inh.pop("cyp2c19"), "testdrug.yaml.inhibition: no enzyme; allowed: ['cyp3a4', 'cyp2c19']"),
])
def test_inhibition_is_per_enzyme(raw, edit, message):
    edit(raw["inhibition"])
    with pytest.raises(LibraryError, match=re.escape(message)):
        parse(raw, WHERE)


def test_perpetrators_act_on_the_enzymes_of_their_evidence():
    # Fluconazole and voriconazole inhibit CYP3A4 and CYP2C19; fluvoxamine both (P89, P90); omeprazole
    # CYP2C19 only (P85); the CYP3A4-only perpetrators keep their CYP3A4 constants.
    both = {"fluconazole", "voriconazole", "fluvoxamine"}
    for name in names():
        d = load(name)
        if d.kind != "perpetrator":
            continue
        want = {"cyp3a4", "cyp2c19"} if name in both else {"cyp2c19"} if name == "omeprazole" else {"cyp3a4"}
        assert set(d.inhibition.enzymes) == want, name
    o = load("omeprazole").inhibition.cyp2c19
    assert o.KI is not None and o.kinact_max is not None and o.ki is not None  # MBI (pre-incubation) + reversible


def test_unknown_kind_suggests(raw):
    raw["kind"] = "benzodiazepin"
    with pytest.raises(LibraryError, match=re.escape("testdrug.yaml.kind='benzodiazepin'")) as e:
        parse(raw, WHERE)
    assert "did you mean 'benzodiazepine'?" in str(e.value)


def test_unknown_drug_name_suggests_a_close_match():
    with pytest.raises(LibraryError, match=re.escape("drug 'midazolan' is not in the library")) as e:
        load("midazolan")
    assert "did you mean 'midazolam'?" in str(e.value)


def test_yaml_boolean_is_not_a_number(raw):
    raw["disposition"]["fu"] = {"value": True, "units": "1", "ref": "src", "status": "V"}
    with pytest.raises(LibraryError, match=re.escape("testdrug.yaml.disposition.fu.value=True")):
        parse(raw, WHERE)
