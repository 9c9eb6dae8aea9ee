"""Build popsim's qualification plan (``popsim/experiments/data/qualify_plan.csv``, package data:
:data:`popsim.experiments.qualify.PLAN`).

Rows come from two sources:

* ``shared/science/data/ddi_osp_benzodiazepines.csv`` (the OSP-curated DDI
  study arms): every arm with a library victim (midazolam, triazolam,
  alprazolam) and a library perpetrator whose regimen is regular (one dose,
  one interval), with its AUC and Cmax ratios;
* special-population contrasts typed in from ``literature.md`` table B, each
  with its row ID;
* diazepam interactions typed in from ``literature.md`` (CYP2C19 and CYP3A4:
  P91, P92, B85, B86), all recalled (M) or secondary (V2) numbers: checks only.

The ``use`` column marks rows that informed a parameter choice (``fit``; the
parameter is named in ``note``) apart from rows that were only predicted
(``check``).  Run from the repository root:
``python experiments/qualify/build_plan.py ../shared/science/data/ddi_osp_benzodiazepines.csv``.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pandas as pd

from popsim.experiments.qualify import PLAN

VICTIM_DOSE = {("midazolam", "oral"): 7.5, ("midazolam", "iv"): 3.5, ("triazolam", "oral"): 0.25,
               ("alprazolam", "oral"): 1.0}
PERPETRATORS = {"Ketoconazole", "Itraconazole", "Erythromycin", "Fluconazole", "Voriconazole", "Rifampicin"}
# Rows whose ratios were used to fit a library parameter (study ID, victim route, perpetrator dose) -> parameter
FIT = {
    ("Kim 2018", "iv", 400.0): "ketoconazole.inhibition.cyp3a4.ki",
    ("Shin 2013", "iv", 400.0): "ketoconazole.inhibition.cyp3a4.ki",
    ("Shin 2016", "iv", 400.0): "ketoconazole.inhibition.cyp3a4.ki",
    # Induction from the iv midazolam dose-response (hepatic only, as literature.md note B(3) advises),
    # then the gut-wall exposure (fu_gut) from the oral arms of the same study, with the hepatic
    # constants held; every other rifampicin row is a check.
    ("Kharasch 2011", "iv", 5.0): "rifampicin.inhibition.cyp3a4.emax/ec50",
    ("Kharasch 2011", "iv", 10.0): "rifampicin.inhibition.cyp3a4.emax/ec50",
    ("Kharasch 2011", "iv", 25.0): "rifampicin.inhibition.cyp3a4.emax/ec50",
    ("Kharasch 2011", "iv", 75.0): "rifampicin.inhibition.cyp3a4.emax/ec50",
    ("Kharasch 2011", "oral", 5.0): "rifampicin.inhibition.fu_gut",
    ("Kharasch 2011", "oral", 10.0): "rifampicin.inhibition.fu_gut",
    ("Kharasch 2011", "oral", 25.0): "rifampicin.inhibition.fu_gut",
    ("Kharasch 2011", "oral", 75.0): "rifampicin.inhibition.fu_gut",
    ("Saari 2006", "iv", 400.0): "voriconazole.inhibition.cyp3a4.ki",
    ("Olkkola 1994", "oral", 400.0): "midazolam.routes.oral.fg",
    ("Olkkola 1996", "iv", 200.0): "itraconazole.inhibition.cyp3a4.ki",
    ("Swart 2002", "iv", 500.0): "erythromycin.inhibition.cyp3a4.kinact_max",
}
COLUMNS = ["study", "reference", "drug", "route", "dose_mg", "interval_h", "n_doses", "population", "perpetrator",
           "perpetrator_route", "perpetrator_dose_mg", "perpetrator_interval_h", "perpetrator_n_doses",
           "victim_start_h", "endpoint", "observed", "control_population", "use", "source", "note"]


def schedule(text: str, dose: str) -> tuple[str, float, int] | None:
    """(dose_mg, interval_h, n_doses) of a regular schedule, or None.  A loading
    schedule such as ``400mg: 0-12, 200mg: 24-36`` gives one amount per dose,
    joined by ``;``."""
    text = text.strip()
    load = re.fullmatch(r"(\d+)(?:mg)?: ([\d.-]+), (\d+)(?:mg)?: ([\d.-]+)", text)
    if load:
        times = [float(t) for t in (load[2] + "-" + load[4]).split("-")]
        amounts = [load[1]] * len(load[2].split("-")) + [load[3]] * len(load[4].split("-"))
        gaps = {round(b - a, 6) for a, b in zip(times, times[1:])}
        if times[0] == 0 and len(gaps) == 1:
            return ";".join(amounts), gaps.pop(), len(times)
        return None
    try:
        dose = str(float(dose))
    except ValueError:
        return None
    m = re.fullmatch(r"\(?S-?0,?-?T-?(\d+(?:\.\d+)?),?-?R-?(\d+)\)?", text.replace(" ", ""))
    if m:
        return dose, float(m[1]), int(m[2])
    if re.fullmatch(r"[\d.]+(-[\d.]+)*", text):
        times = [float(t) for t in text.split("-")]
        if len(times) == 1:
            return dose, 24.0, 1
        gaps = {round(b - a, 6) for a, b in zip(times, times[1:])}
        if times[0] == 0 and len(gaps) == 1:
            return dose, gaps.pop(), len(times)
    return None


def ddi_rows(csv: Path) -> list[dict]:
    d = pd.read_csv(csv)
    rows = []
    for _, r in d.iterrows():
        victim, route = r["Victim"].lower(), {"PO": "oral", "IV": "iv"}.get(r["Route Victim"])
        if r["Perpetrator"] not in PERPETRATORS or (victim, route) not in VICTIM_DOSE or r["Route"] != "PO":
            continue
        sched = schedule(str(r["Times of Administration"]), str(r["Dose"]))
        if sched is None:
            continue
        dose = float(sched[0].split(";")[0])
        comment = "" if pd.isna(r["Comment"]) else str(r["Comment"])
        key = (r["Study ID"], route, dose)
        common = dict(study=f"{r['Study ID']} ({r['Grouping']})", reference=r["Reference"], drug=victim, route=route,
                      dose_mg=VICTIM_DOSE[(victim, route)], interval_h=24.0, n_doses=1, population="healthy_young",
                      perpetrator=r["Perpetrator"].lower(), perpetrator_route="oral", perpetrator_dose_mg=sched[0],
                      perpetrator_interval_h=sched[1], perpetrator_n_doses=sched[2],
                      victim_start_h=float(r["t_treatment_0"]), control_population="",
                      use="fit" if key in FIT else "check", source=f"DDI.csv ID {r['ID']}",
                      note=(f"fitted: {FIT[key]}. " if key in FIT else "") + comment)
        for endpoint, col in (("auc_ratio", "AUCR Avg"), ("cmax_ratio", "CmaxR Avg")):
            if not pd.isna(r[col]) and not (endpoint == "cmax_ratio" and route == "iv"):
                rows.append(common | {"endpoint": endpoint, "observed": float(r[col])})
    return rows


def contrast(study, reference, drug, route, dose, population, control, source, *rows):
    """One published contrast (a study, its two populations and one regimen) and its endpoints:
    ``rows`` of ``(endpoint, observed, note)`` or ``(endpoint, observed, note, "fit")``."""
    return [dict(study=study, reference=reference, drug=drug, route=route, dose_mg=dose, interval_h=24.0, n_doses=1,
                 population=population, perpetrator="", perpetrator_route="", perpetrator_dose_mg="",
                 perpetrator_interval_h="", perpetrator_n_doses="", victim_start_h=0.0, endpoint=endpoint,
                 observed=observed, control_population=control, use=use[0] if use else "check", source=source,
                 note=note)
            for endpoint, observed, note, *use in rows]


GREENBLATT84 = "Greenblatt DJ et al. Anesthesiology 1984;61:27"
SPECIAL = [
    *contrast("Greenblatt 1984 men", GREENBLATT84,
              "midazolam", "iv", 3.5, "elderly[p_male=1]", "healthy_young[p_male=1]", "literature.md B8",
              ("clearance_per_kg_ratio", 4.4 / 7.8, "CL 4.4 vs 7.8 mL/min/kg"),
              ("half_life_ratio", 5.6 / 2.1, "t1/2 5.6 vs 2.1 h")),
    *contrast("Greenblatt 1984 women", GREENBLATT84,
              "midazolam", "iv", 3.5, "elderly[p_male=0]", "healthy_young[p_male=0]", "literature.md B8",
              ("clearance_per_kg_ratio", 7.5 / 9.4, "CL 7.5 vs 9.4 mL/min/kg"),
              ("half_life_ratio", 4.0 / 2.6, "t1/2 4.0 vs 2.6 h")),
    *contrast("Platten 1998", "Platten HP et al. Clin Pharmacol Ther 1998;63:552",
              "midazolam", "iv", 3.5, "elderly", "healthy_young", "literature.md B11",
              ("clearance_ratio", 343 / 451, "CL 343 vs 451 mL/min")),
    *contrast("Albrecht 1999", "Albrecht S et al. Clin Pharmacol Ther 1999;65:630",
              "midazolam", "iv", 3.5, "elderly", "healthy_young", "literature.md B10",
              ("clearance_ratio", 388 / 399, "CL 388 vs 399 mL/min"),
              ("vss_ratio", 104 / 85, "Vss 104 vs 85 L")),
    *contrast("Divoll 1983", "Divoll M, Greenblatt DJ, Ochs HR, Shader RI. Anesth Analg 1983;62:1",
              "diazepam", "iv", 5.0, "healthy_young[p_male=0]", "healthy_young[p_male=1]", "literature.md G34",
              ("half_life_ratio", 44 / 32, "young women vs young men, t1/2 44 vs 32 h"),
              ("clearance_per_kg_ratio", 0.35 / 0.46, "CL 0.35 vs 0.46 mL/min/kg")),
    *contrast("Hung 1996", "Hung OR et al. Can J Anaesth 1996;43:450", "diazepam", "iv", 30.0,
              "healthy_young[p_male=1]", "", "literature.md G32 (V2)",
              ("vss_l", 99.0, "Vss of the 3-compartment fits, 4 men of 80.5 kg")),
    *contrast("Greenblatt 1989", "Greenblatt DJ et al. Ther Drug Monit 1989;11:652", "diazepam", "oral", 10.0,
              "healthy_young[p_male=1]", "", "literature.md G35",
              ("half_life_h", 44.2, "48 men 18-44 y"),
              ("vss_l", 83.0, "V 83 L after oral dosing (F 0.94-0.97, G34, G36)")),
    *contrast("Nielsen-Kudsk 1983", "Nielsen-Kudsk F et al. Acta Pharmacol Toxicol 1983;52:121", "lorazepam", "iv",
              2.0, "healthy_young", "", "literature.md G40 (V2)",
              ("vss_l", 1.23 * 70, "Vss 1.23 L/kg (stanpumpR derivation) x 70 kg")),
    *contrast("Buhrer 1990", "Buhrer M et al. Clin Pharmacol Ther 1990;48:544", "midazolam", "iv", 5.0,
              "healthy_young[p_male=1]", "", "literature.md G44 (V2)",
              ("vss_l", 117.6, "Vss of the STANPUMP 3-compartment set, 5 men")),
    *contrast("Midazolam SC study", "PMC1874433 (authors not recorded)", "midazolam", "iv", 7.0,
              "healthy_young[p_male=1]", "", "literature.md G47",
              ("vss_l", 1.1 * 70, "V 1.1 L/kg x 70 kg, 18 young men"),
              ("half_life_h", 2.9, "t1/2 2.9 h")),
    *contrast("XANAX label, elderly", "XANAX USPI",
              "alprazolam", "oral", 1.0, "elderly", "healthy_young", "literature.md B5 (V2)",
              ("half_life_ratio", 16.3 / 11.0, "t1/2 16.3 vs 11.0 h")),
    *contrast("Olubodun 2003 men", "Olubodun JO et al. Br J Clin Pharmacol 2003",
              "zolpidem", "oral", 5.0, "elderly[p_male=1]", "healthy_young[p_male=1]", "literature.md B18",
              ("clearance_per_kg_ratio", 3.8 / 11.0, "CL/F 3.8 vs 11.0 mL/min/kg")),
    *contrast("Olubodun 2003 women", "Olubodun JO et al. Br J Clin Pharmacol 2003",
              "zolpidem", "oral", 5.0, "elderly[p_male=0]", "healthy_young[p_male=0]", "literature.md B18",
              ("clearance_per_kg_ratio", 3.0 / 5.8, "CL/F 3.0 vs 5.8 mL/min/kg")),
    *contrast("AMBIEN label, elderly", "AMBIEN USPI",
              "zolpidem", "oral", 20.0, "elderly", "healthy_young", "literature.md B17 (V2)",
              ("auc_ratio", 1.64, "AUC +64% over 70 y")),
    *contrast("Oxazepam very elderly", "oxazepam in the very elderly (authors not recorded)",
              "oxazepam", "oral", 15.0, "very_elderly", "healthy_young", "literature.md B16",
              ("half_life_ratio", 8.1 / 5.7, "t1/2 8.1 vs 5.7 h; informed the model structure (glucuronidation "
               "spared by age, popsim.params.physiology)", "fit"),
              ("clearance_per_kg_ratio", 1.24 / 1.44, "CL 1.24 vs 1.44 mL/min/kg; informed the model structure "
               "(glucuronidation spared by age, popsim.params.physiology)", "fit")),
    *contrast("Abernethy 1984 alprazolam", "Abernethy DR et al. Clin Pharmacokinet 1984;9:177",
              "alprazolam", "oral", 1.0, "obese", "healthy_young", "literature.md B20",
              ("vss_ratio", 114 / 73, "Vd 114 vs 73 L"),
              ("half_life_ratio", 22 / 11, "t1/2 22 vs 11 h"),
              ("clearance_ratio", 66 / 88, "CL/F 66 vs 88 mL/min")),
    *contrast("Abernethy 1984 triazolam", "Abernethy DR et al. Clin Pharmacokinet 1984;9:177",
              "triazolam", "oral", 0.25, "obese", "healthy_young", "literature.md B21",
              ("vss_ratio", 117 / 116, "Vd 117 vs 116 L"),
              ("half_life_ratio", 4.1 / 2.6, "t1/2 4.1 vs 2.6 h")),
    *contrast("Abernethy 1983 lorazepam", "Abernethy DR et al. J Lab Clin Med 1983;101:873",
              "lorazepam", "oral", 2.0, "obese", "healthy_young", "literature.md B23",
              ("vss_ratio", 131 / 77, "Vd 131 vs 77 L"),
              ("clearance_ratio", 102 / 63, "fitted: physiology.ugt_fat_exponent; CL 102 vs 63 mL/min", "fit")),
    *contrast("Abernethy 1983 oxazepam", "Abernethy DR et al. J Lab Clin Med 1983;101:873",
              "oxazepam", "oral", 15.0, "obese", "healthy_young", "literature.md B23",
              ("vss_ratio", 97 / 38, "Vd 97 vs 38 L"),
              ("clearance_ratio", 157 / 50, "CL 157 vs 50 mL/min")),
    *contrast("MacGilchrist 1986", "MacGilchrist AJ et al. Gut 1986;27:190",
              "midazolam", "iv", 5.0, "cirrhosis_b", "healthy_young", "literature.md B32",
              ("clearance_per_kg_ratio", 5.4 / 10.4, "CL 5.4 vs 10.4 mL/min/kg; "
               "Child-Pugh class not recorded: B assumed"),
              ("half_life_ratio", 3.9 / 1.6, "t1/2 3.9 vs 1.6 h")),
    *contrast("Pentikainen 1989 iv", "Pentikainen PJ et al. J Clin Pharmacol 1989;29:272",
              "midazolam", "iv", 7.5, "cirrhosis_b", "healthy_young", "literature.md B33",
              ("auc_ratio", 543 / 298, "AUC 543 vs 298 ug h/L")),
    *contrast("Pentikainen 1989 oral", "Pentikainen PJ et al. J Clin Pharmacol 1989;29:272",
              "midazolam", "oral", 15.0, "cirrhosis_b", "healthy_young", "literature.md B33",
              ("auc_ratio", 576 / 362, "AUC 576 vs 362 ug h/L"),
              ("cmax_ratio", 129 / 90, "Cmax 129 vs 90 ug/L")),
    *contrast("AMBIEN label, hepatic", "AMBIEN USPI",
              "zolpidem", "oral", 10.0, "cirrhosis_b", "healthy_young", "literature.md B37 (V2)",
              ("auc_ratio", 4203 / 788, "AUC 4203 vs 788 ng h/mL; class not recorded")),
    *contrast("XANAX label, liver disease", "XANAX USPI",
              "alprazolam", "oral", 1.0, "cirrhosis_b", "healthy_young", "literature.md B31 (V2)",
              ("half_life_ratio", 19.7 / 11.0, "alcoholic liver disease; class not recorded")),
    *contrast("Shull 1976", "Shull HJ et al. Ann Intern Med 1976;84:420", "oxazepam", "oral", 15.0, "cirrhosis_b",
              "healthy_young", "literature.md B30",
              ("clearance_ratio", 1.0, "fitted: physiology.ugt_cp_exponent; 'not different' in hepatitis and cirrhosis "
               "(class not recorded: B assumed), 1.0 stands for no difference", "fit"),
              ("half_life_ratio", 1.0, "t1/2 'not different'; 1.0 stands for no difference"),
              ("vss_ratio", 1.0, "Vd 'not different'; 1.0 stands for no difference")),
    *contrast("Robinson 1983", "Robinson 1983 (hero.epa.gov 3041160)",
              "chlordiazepoxide", "im", 25.0, "cirrhosis_b", "healthy_young", "literature.md B34 (V2)",
              ("half_life_ratio", 40.1 / 15.2, "alcoholic liver disease")),
    # A gut-only interaction in a special-population format: one glass of grapefruit juice, victim 1 h later.
    *[row | dict(perpetrator="grapefruit_juice", perpetrator_route="oral", perpetrator_dose_mg=1.0,
                 perpetrator_interval_h=24.0, perpetrator_n_doses=1, victim_start_h=1.0)
      for row in contrast("Kupferschmidt 1995", "Kupferschmidt HHT et al. Clin Pharmacol Ther 1995;58:20",
                          "midazolam", "oral", 15.0, "healthy_young", "", "literature.md B55",
                          ("auc_ratio", 1.52, "fitted: grapefruit_juice.inhibition.cyp3a4.kinact_max; one glass of "
                           "grapefruit juice", "fit"))],
]


def interaction(study, reference, drug, route, dose, population, perpetrator, perpetrator_dose, interval, n_doses,
                start, source, *rows):
    """One typed-in interaction study: the perpetrator's regimen, the victim's single dose at ``start`` h after
    the perpetrator's first dose, and ``rows`` of ``(endpoint, observed, note)`` (all checks)."""
    return [row | dict(perpetrator=perpetrator, perpetrator_route="oral", perpetrator_dose_mg=perpetrator_dose,
                       perpetrator_interval_h=interval, perpetrator_n_doses=n_doses, victim_start_h=start)
            for row in contrast(study, reference, drug, route, dose, population, "", source, *rows)]


# Extensive metabolisers of the 1990s (mephenytoin phenotyping): every phenotype but PM, in the European
# proportions of literature.md P73 (24.8, 40.6, 27.6, 4.7% of 97.7%).
EXTENSIVE = "healthy_young[cyp2c19_ancestry=custom,cyp2c19=0|0.2538|0.4156|0.2825|0.0481]"
SAARI07 = "Saari TI et al. Eur J Clin Pharmacol 2007;63:941 (memory, unverified: literature.md P92)"
DIAZEPAM = [
    *interaction("Saari 2007 voriconazole", SAARI07, "diazepam", "oral", 5.0, "healthy_young", "voriconazole",
                 "400;400;200;200", 12.0, 4, 37.0, "literature.md P92 (M), B86 (V2)",
                 ("auc_ratio", 2.2, "recalled AUC ratio 2.2 (P92, M); product information about 2-fold (B86, V2). "
                  "Regimen recalled: voriconazole 400 mg bid day 1, 200 mg bid day 2, diazepam 5 mg 1 h after the "
                  "last dose")),
    *interaction("Saari 2007 fluconazole", SAARI07, "diazepam", "oral", 5.0, "healthy_young", "fluconazole",
                 "400;200", 24.0, 2, 25.0, "literature.md P92 (M)",
                 ("auc_ratio", 2.5, "recalled AUC ratio 2.5 (P92, M). Regimen recalled: fluconazole 400 mg day 1, "
                  "200 mg day 2, diazepam 5 mg 1 h after the last dose")),
    *interaction("Andersson 1990 omeprazole", "Andersson T et al. Clin Pharmacol Ther 1990;47:79 (memory, "
                 "unverified: literature.md P91)", "diazepam", "iv", 7.0, EXTENSIVE, "omeprazole", 40.0, 24.0, 21,
                 145.0, "literature.md P91 (M)",
                 ("auc_ratio", 1 / (1 - 0.275), "recalled diazepam CL -25-30% in CYP2C19 extensive metabolisers "
                  "(P91, M): AUC ratio of an iv dose 1 / (1 - 0.275) = 1.38. Regimen assumed: omeprazole 40 mg/day "
                  "throughout, diazepam 0.1 mg/kg iv (7 mg) on day 7; no effect in poor metabolisers (not a row: "
                  "a PM has no CYP2C19 to inhibit)")),
    *interaction("Ahonen 1996 itraconazole (diazepam)", "Ahonen J et al. Fundam Clin Pharmacol 1996;10:314",
                 "diazepam", "oral", 5.0, "healthy_young", "itraconazole", 200.0, 24.0, 4, 73.0,
                 "literature.md B85 (M), B84 (V)",
                 ("auc_ratio", 1.3, "recalled AUC +30% (B85, M); the abstract reports a small but significant "
                  "increase (B84, V). Regimen: itraconazole 200 mg x 4 days (B84), diazepam on day 4 (assumed)")),
]


def main(csv: Path) -> None:
    plan = pd.DataFrame(ddi_rows(csv) + SPECIAL + DIAZEPAM, columns=COLUMNS)
    plan.to_csv(PLAN, index=False)
    print(plan.groupby(["use", "endpoint"]).size().to_string())


if __name__ == "__main__":
    main(Path(sys.argv[1]))
