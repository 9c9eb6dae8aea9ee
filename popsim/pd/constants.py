"""Cited constants of the PD layer and of the risk scores (:class:`popsim.params.physiology.Constant`).

Status codes as in the drug library: ``V``/``V2`` read in
shared/science/literature.md, ``D`` derived from cited values (the formula in
the text), ``M`` recalled and unverified, ``A`` a popsim assumption carried
with a wide range, ``F`` fitted: each group of score constants (falls:
fall_beta, tolerance, fx_beta; withdrawal: withdrawal_k, withdrawal_n,
seizure_k; ventilation: synergy_psi, airway_obstruction_max) by maximum
likelihood jointly on all the calibration targets that name it
(``experiments/calibration/fit.py``: binomial on counts, normal on the log of
ratios with a 95% interval; 500 subjects, seed 0, float32), the other targets
kept as checks; the seizure constants likewise on the trial arms marked fit
(``experiments/status_epilepticus/fit.py``).  The ``range`` of an F value is
its 95% interval from the observed information of that fit (the others at
their maximum); the ``range`` of every A, M and F value is its prior for
parameter-uncertainty draws.
"""

from __future__ import annotations

import math

from popsim.params.physiology import Constant

__all__ = ["PD"]

_HOURS_PER_YEAR = 8766.0

_SE_FIT = ("fitted jointly by maximum likelihood (binomial on the counts) on the fit rows of "
           "status_epilepticus_trials.csv: SE1-SE3 (Alldredge 2001: placebo 15/71, diazepam 5 mg iv 29/68, lorazepam "
           "2 mg iv 39/66 not seizing on ED arrival, G57; arrival 30 min, A), SE5-SE7 (RAMPART: lorazepam 4 mg iv "
           "282/445 seizure-free on arrival, G53; median 3.3 and 1.6 min to cessation among those stopped before "
           "arrival, G54) and SE20 (nasal midazolam trial placebo: 12/31 seizure-free for 6 h, G66) by "
           "experiments/status_epilepticus/fit.py (500 adults, seed 0; -log L 869.33).  Range: the 95% Wald interval "
           "of the fit (log scale; logit for se_refractory)")

# The joint fit of the respiratory constants (synergy_psi, airway_obstruction_max, airway_female_ratio,
# wakefulness_opioid_exponent), named in each one's text.
_RESP_FIT = ("Fitted jointly with synergy_psi, airway_obstruction_max, airway_female_ratio and "
             "wakefulness_opioid_exponent by maximum likelihood (experiments/calibration/fit.py 1000, 2026-12-07; "
             "-log L 26.98) on Bailey 1990 (C39: hypoxaemia 6/12 with fentanyl 2 ug/kg alone, 11/12 with midazolam "
             "0.05 mg/kg + fentanyl, 0/12 with midazolam alone; apnoea 6/12 with both, 0/12 with fentanyl alone), "
             "Masuda 1995 (G83: loss of consciousness in 2/8 women at midazolam 0.1 mg/kg and 8/8 at 0.2 mg/kg) "
             "and Forster 1993 (G79: resting VE x0.75 at 0.1 mg/kg, 95% 0.58-0.92 derived from P < 0.01, n = 8); "
             "1000 healthy young adults per arm, ventilation v3")

PD: dict[str, Constant] = {
    # --- sensitivity -------------------------------------------------------------
    "ec50_age_ratio": Constant(
        0.59, "1", "EC50 of older (~72 y) over young (~25 y) adults: geometric mean of 0.685 (alprazolam DSST, "
        "Bertz 1997, B7), 0.43 (midazolam EEG, Albrecht 1999, B10) and 0.69 (midazolam sedation, Platten 1998, B11) "
        "(D); EC50 falls log-linearly with age between 25 and 72 y and beyond", "D", (0.43, 0.69)),
    "ec50_age_young": Constant(25.0, "y", "nominal age of the young groups of B7/B10/B11 (group means not in "
                               "literature.md)", "A", (20.0, 30.0)),
    "ec50_age_old": Constant(72.0, "y", "nominal age of the older groups of B7/B10/B11", "A", (67.0, 78.0)),
    "iiv_ec50": Constant(0.189, "1", "SD of log EC50 between subjects: Yassen 2007's fentanyl EC50 IIV (C9), borrowed "
                         "for the benzodiazepines (no benzodiazepine EC50 IIV in literature.md)", "A", (0.1, 0.5)),
    "ethanol_vmax_ratio": Constant(1.0, "1", "the subject's ethanol elimination capacity (Vmax) over that of "
                                   "Norberg's healthy men (D1); chronic heavy drinkers eliminate about twice as fast "
                                   "as social drinkers: beta 30 +/- 9 vs 15 +/- 4 mg/dL/h (Winek 1984, D5), hence the "
                                   "upper end 2.0 (D)", "D", (1.0, 2.0)),
    # --- neuroadaptation ---------------------------------------------------------
    "kadapt": Constant(math.log(2) / (7 * 24), "1/h", "neuroadaptation rate: withdrawal symptoms after a "
                       "benzodiazepine stop resolve over ~4 weeks (Busto 1986, E26), taken as 4 half-lives of the "
                       "adapted state (t1/2 7 d) (D)", "D", (math.log(2) / (14 * 24), math.log(2) / (3.5 * 24))),
    "tolerance": Constant(0.8105, "1", "fraction of the adapted effect that no longer sedates (tolerance to "
                          "sedation): fitted jointly with fall_beta and fx_beta by maximum likelihood on the falls "
                          "OR of users >= 60 y (Leipzig 1999, E1) and the hip-fracture rate ratios of the first 2 "
                          "weeks, weeks 3-4 and continued use (Wagner 2004, E14)", "F", (0.608, 0.922)),
    # --- falls -------------------------------------------------------------------
    "fall_rate_72": Constant(0.47 / _HOURS_PER_YEAR, "1/h", "falls per person-hour at 70-74 y: 47 falls/100 "
                             "person-years (Campbell 1990 via PMC4125318, E8)", "V", (0.35 / _HOURS_PER_YEAR,
                                                                                      0.6 / _HOURS_PER_YEAR)),
    "fall_rate_age_slope": Constant(math.log(121 / 47) / 13.0, "1/y", "log fall rate rises from 47 (70-74 y) to "
                                    "121/100 person-years (>=80 y, taken at 85 y) (E8) (D); extrapolated "
                                    "log-linearly outside 72-85 y; no sex effect (none in literature.md)", "D",
                                    (math.log(121 / 47) / 18.0, math.log(121 / 47) / 8.0)),
    "fall_beta": Constant(2.211, "1", "log fall-hazard ratio per unit of net alpha1 sedation (psychomotor effect "
                          "minus its tolerated part): fitted jointly with tolerance and fx_beta by maximum "
                          "likelihood on the falls OR of users >= 60 y (Leipzig 1999, E1) and the hip-fracture rate "
                          "ratios of the first 2 weeks, weeks 3-4 and continued use (Wagner 2004, E14)", "F",
                          (1.187, 4.118)),
    "fx_per_fall_72": Constant(0.01, "1", "probability that a fall breaks a hip in a 72-year-old man not taking a "
                               "sedative (~1%, recalled; literature.md has no fracture-per-fall rate): sets the "
                               "absolute fracture risk only", "A", (0.005, 0.02)),
    "fx_age_slope": Constant(0.04, "1/y", "rise of log P(hip fracture | fall) per year of age (bone density falls and "
                             "falls become more often sideways with age): a popsim assumption, no rate by age in "
                             "literature.md; it moves absolute risks, not the users/non-users ratios", "A",
                             (0.0, 0.08)),
    "fx_female_ratio": Constant(1.5, "1", "P(hip fracture | fall) of women over men of the same age (lower bone "
                                "density): a popsim assumption, no rate by sex in literature.md", "A", (1.0, 2.5)),
    "fx_beta": Constant(0.0, "1", "log rise of P(hip fracture | fall) per unit of net sedation (a sedated faller "
                        "protects the hip less): fitted jointly with fall_beta and tolerance (E1, E14); the likelihood "
                        "is highest at the lower bound 0 (the fracture ratios are lower than the falls OR), so the "
                        "range is the prior", "F", (0.0, 5.0)),
    # --- respiration (popsim.pd.ventilation: drive at clamped CO2, airway, CO2 feedback, SpO2) ----------
    "resp_benzo_emax": Constant(0.5, "1", "largest fractional fall of the CO2-clamped ventilatory drive from GABA-A "
                                "agonism (EB_MAX).  Benzodiazepines at sedative iv doses cut the HCVR slope to "
                                "x0.65-0.67 "
                                "(midazolam 0.15, diazepam 0.3 mg/kg, G77) and the HVR slope to x0.47-0.59 (G75, G76); "
                                "in the model the CO2 slope scales with 1 - E_b, so E_b ~ 0.34 at those doses (D) and "
                                "EB_MAX >= 0.34; oral sedative doses change nothing (G81).  To be fitted jointly with "
                                "resp_benzo_gain on G75-G77, G79 and Gross 1996 (C41, G93)", "A", (0.34, 0.8)),
    "resp_benzo_gain": Constant(2.0, "1", "transducer gain of the respiratory endpoint on the alpha1 stimulus S "
                                "(G_RESP; operational model, E_b = EB_MAX g S / (1 + g S)): starting value giving E_b "
                                "~ 0.33 at midazolam 0.15 mg/kg iv with the S of 2026-12 (occupancy ~0.94); no "
                                "transducer gain is published", "A", (0.2, 20.0)),
    "airway_female_ratio": Constant(0.792, "1", "HYP_X of women: the hypnosis endpoint (and with it the "
                                    "wakefulness drive and the airway) responds in women as in men at 0.792 times "
                                    "the concentration (the hypnosis threshold of popsim.pd.potency, fitted on mixed "
                                    "ICU adults, G13, is taken as the men's).  " + _RESP_FIT
                                    + ".  Range: 95% from the observed information; "
                                    "until 2026-12-07 an assumption of 0.5 on a saturating gain, with which no "
                                    "woman could reach sleep", "F", (0.645, 0.971)),
    "airway_obstruction_max": Constant(1.0, "1", "fraction of the airway's ventilation limit lost at full "
                                       "hypnosis (AW_MAX; limit VE_CAP (1 - AW_MAX h), popsim.pd.ventilation v3).  "
                                       + _RESP_FIT + ".  Not identified: -log L falls from 27.41 at 0 to 26.98 "
                                       "at 1 (the maximum, on the bound), so the range is the whole prior; with "
                                       "sleep_hill 4 the airway limit binds only in sleep, which Forster's "
                                       "resting ventilation at 0.1 mg/kg (V1) barely reaches.  Masuda: snoring, "
                                       "obstruction and a fall of SaO2 in all at 0.1 mg/kg (G83, no numbers); "
                                       "with ventilation v3 before sleep_hill the fit was 0.824", "F", (0.0, 1.0)),
    "synergy_psi": Constant(5.75, "1", "potency shift of the opioid by the GABA-A respiratory effect: the opioid's "
                            "C50 is divided by 1 + PSI E_b (PSI = 0: Bliss independence on the clamped chemoreflex "
                            "drive; no benzodiazepine-opioid ventilation surface is published, C46).  "
                            + _RESP_FIT + ".  "
                            "Range: 95% from the observed information (profile likelihood: 3.9-8.5).  Earlier "
                            "fits: 31.5 (ventilation v2), 20.9 (v3 with Yassen's fentanyl C50 and a saturating "
                            "hypnosis gain), 4.80 (v3 before sleep_hill).  Prior (0-10) from the reverse "
                            "direction, alfentanil 3 ug/kg shifting the midazolam ED50 for loss of consciousness "
                            "x1.9 (Kissin 1990, C42): the fit lies inside it", "F", (1.9, 17.5)),
    "co2_gain": Constant(4.30, "1", "F, the gain of the CO2 feedback in Bouillon 2003's VE/VE0 = (1 - E)"
                         "(PaCO2_e/PaCO2_0)^F (remifentanil, G86).  Ventilation v3 keeps its slope at rest, F/P0, "
                         "for a chemoreflex linear above its apnoeic threshold (popsim.pd.ventilation), not the "
                         "power law's curvature", "V", (2.0, 8.0)),
    "co2_kel": Constant(0.08 * 60, "1/h", "kel,CO2 0.08 /min of the indirect-response CO2 model (Bouillon 2003, "
                        "G86)", "V", (0.04 * 60, 0.16 * 60)),
    "co2_ke0": Constant(0.92 * 60, "1/h", "ke0,CO2 0.92 /min: equilibration of the chemoreceptor PaCO2 with the "
                        "arterial (Bouillon 2003, G86)", "V", (0.46 * 60, 1.84 * 60)),
    "paco2_baseline": Constant(42.4, "mmHg", "baseline PaCO2 (Bouillon 2003, G86)", "V", (38.0, 46.0)),
    "aa_gradient": Constant(10.0, "mmHg", "alveolar-arterial PO2 gradient breathing room air (textbook, about "
                            "age/4 + 4 mmHg; recalled, not in literature.md); not yet a function of age", "M",
                            (5.0, 25.0)),
    "apnoea_ve": Constant(0.1, "1", "ventilation (fraction of baseline) counted as apnoea; the experiments count an "
                          "apnoea when it lasts >= 15 s (C39): a popsim assumption", "A", (0.0, 0.25)),
    "opioid_tolerance_c50_ratio": Constant(1.82 / 0.42, "1", "fentanyl ventilation C50 of chronic high-dose opioid "
                                           "users over that of naive subjects: 1.82 +/- 0.39 vs 0.42 +/- 0.07 ng/mL "
                                           "(Algera 2021, G84) = 4.3 (D); range from mean -/+ SD of both, "
                                           "1.43/0.49 to 2.21/0.35 (D).  Per subject: O_TOL = this ratio for chronic "
                                           "users, 1 for the naive", "D", (2.9, 6.3)),
    "wakefulness_fraction": Constant(6.62 / 7.06, "1", "share of the resting ventilation carried by the "
                                     "CO2-independent wakefulness drive (W_FRAC; the chemoreflex carries the rest, "
                                     "1 - W_FRAC, with Bouillon's resting slope F/P0, which puts the apnoeic "
                                     "threshold at P0 (1 - (1 - W_FRAC)/F)).  Default: Mann 2022's Wmax 6.62 L/min "
                                     "(C36) over Bouillon 2003's resting VE 7.06 L/min (G86), two different models "
                                     "and populations, so an assumption; range wide", "A", (0.3, 0.95)),
    "wakefulness_opioid_exponent": Constant(0.779, "1", "W_OPI: the wakefulness drive falls as (1 - f)^W_OPI "
                                            "with f the opioid's normalised (full-agonist) effect x^n/(x^n + K^n), "
                                            "whose alpha f is the chemoreflex effect (Yassen, C9).  "
                                            + _RESP_FIT + "; range: 95% from the observed information.  "
                                            "With it fentanyl alone gives apnoea >= 15 s in half of young adults "
                                            "at about 5.8 ug/kg iv and SpO2 < 90% at about 2 ug/kg (measured "
                                            "2026-12-07, 500 healthy_young adults).  Mann 2022 scales the "
                                            "chemoreflex by (1 - fR)^P1 and the wakefulness drive by (1 - fR)^P3 "
                                            "(C36; the functional form recalled), i.e. wakefulness = (1 - f)^(P3/P1) "
                                            "on this mapping, P3/P1 = 0.9/2.875 = 1.323/4.226 = 0.313 (D), below "
                                            "the interval: with it fentanyl 2 ug/kg alone desaturates 4% of young "
                                            "adults (Bailey: 6/12) and apnoea needs > 20 ug/kg", "F", (0.48, 1.26)),
    "sleep_hill": Constant(4.0, "1", "SLEEP_HILL m: wakefulness drive and airway tone are lost as u^m/(u^m + u_T^m) "
                           "on the hypnosis endpoint's concentration scale (popsim.pd.ventilation), half at the "
                           "threshold of sleep (Ramsay >= 4).  2 ln 9 / ln(304/101) = 3.99 (D) puts 10% and 90% of "
                           "the loss at the midazolam concentrations of Ramsay >= 3 and >= 5 of Barr 2001 (G13; "
                           "lorazepam 51/152: 4.02); that the loss runs from 10% to 90% between those levels is an "
                           "assumption.  Until 2026-12-07 the loss was the endpoint's effect as a fraction of its "
                           "maximum (m = 1 on the occupancy scale), which took 78% of the wakefulness drive at the "
                           "Ramsay >= 2 concentration (awake, tranquil)", "A", (2.0, 8.0)),
    "airway_ventilation_cap": Constant(3.0, "1", "VE_CAP: largest ventilation (fraction of resting) that the "
                                       "airway passes at full patency; obstruction caps the achieved ventilation at "
                                       "VE_CAP (1 - AW_MAX h) whatever the drive (effort does not overcome an "
                                       "obstruction).  No value in literature.md: a popsim assumption",
                                       "A", (1.5, 10.0)),
    "inspired_po2": Constant(0.21 * (760.0 - 47.0), "mmHg", "PIO2 = FiO2 (PB - PH2O) = 0.21 x (760 - 47) on room air "
                             "at sea level (textbook values, recalled) (D)", "D", (140.0, 150.0)),
    "respiratory_quotient": Constant(0.8, "1", "respiratory quotient of the alveolar gas equation (textbook, "
                                     "recalled)", "M", (0.7, 1.0)),
    # --- withdrawal --------------------------------------------------------------
    "withdrawal_k": Constant(0.0884, "1/h", "clinically significant withdrawal hazard per unit of (mismatch)^n: "
                             "fitted jointly with withdrawal_n and seizure_k by maximum likelihood on Schweizer 1990 "
                             "(unable to stop after a 25%/week taper, long half-life, E24, 10/32 with the group size "
                             "assumed), the abrupt vs gradual success OR (Parr 2009, E37) and 8/1980 seizures (XANAX "
                             "label, E31); the interval of the fit is wide (1.6e-5 to 481), so the range is the "
                             "prior searched", "F", (1e-4, 100.0)),
    "withdrawal_n": Constant(3.072, "1", "convexity of the withdrawal hazard in the mismatch (adapted minus current "
                             "alpha2 effect).  Must exceed 1: the time integral of the mismatch is the same for "
                             "every schedule (it equals the adapted level over kadapt), so only a convex hazard "
                             "lets a taper help; fitted jointly with withdrawal_k and seizure_k (E24, E37, E31); "
                             "95% interval of the fit 1.13-33", "F", (1.13, 8.0)),
    "seizure_k": Constant(0.00104, "1/h", "withdrawal-seizure hazard per unit of (mismatch)^n: fitted jointly with "
                          "withdrawal_k and withdrawal_n (E24, E37, E31); it is set by the 8/1980 seizures on "
                          "alprazolam discontinuation at > 4 mg/day (XANAX label, E31)", "F", (0.0003, 0.0036)),
    # --- status epilepticus (popsim.pd.seizure; trials: experiments/data/status_epilepticus_trials.csv) ----------
    # Refits at the ends of the assumed ED arrival (A, 15 / 60 min): se_k0 0.97 / 0.26, se_gain 0.29 / 0.57,
    # se_kmax 306 / 198; se_recurrence and se_refractory unchanged to 3 digits (the likelihood barely moves).
    "se_k0": Constant(0.4943, "1/h", "spontaneous termination hazard of status epilepticus (placebo arms); "
                      + _SE_FIT, "F", (0.297, 0.823)),
    "se_gain": Constant(0.4726, "1", "transducer gain of the anticonvulsant effect E = g S / (1 + g S) of the alpha1 "
                        "stimulus S (weakly identified: every fitted arm nearly saturates the responsive class); "
                        + _SE_FIT, "F", (0.0523, 4.27)),
    "se_kmax": Constant(218.1, "1/h", "termination hazard added at full anticonvulsant effect (E = 1), set by the "
                        "RAMPART cessation medians; " + _SE_FIT, "F", (33.9, 1400.0)),
    "se_recurrence": Constant(0.1589, "1/h", "drug-free recurrence hazard after a seizure stops (a transfer from the "
                              "nasal trial's epilepsy-monitoring-unit seizure clusters: no trial in literature.md "
                              "reports recurrence after status epilepticus stops); " + _SE_FIT, "F", (0.0996, 0.253)),
    "se_refractory": Constant(0.4997, "1", "fraction of status epilepticus that does not respond to a benzodiazepine "
                              "(only the drug-free rates act): lorazepam's success rates level off from 2 to 4 mg; "
                              + _SE_FIT, "F", (0.422, 0.578)),
}

_NORBERG = "Norberg A et al. Br J Clin Pharmacol 2000;49:399 (iv ethanol 0.4 g/kg, healthy men; literature.md D1-D3)"

# Ethanol for popsim.pd.ethanol.EthanolMM (the typical 70-kg man; volumes scale with lean mass,
# Vmax with liver size in popsim.pd.parameters.ethanol_parameters).
ETHANOL: dict[str, Constant] = {
    "vmax": Constant(95.0 * 60, "mg/h", _NORBERG + ": Vmax 95 +/- 25 mg/min", "V", (70.0 * 60, 120.0 * 60)),
    "iiv_vmax": Constant(25.0 / 95.0, "1", _NORBERG + ": between-subject CV of Vmax (SD 25 / mean 95) (D)", "D"),
    "km": Constant(27.0, "mg/L", _NORBERG + ": Km 27 +/- 19 mg/L", "V", (8.0, 46.0)),
    "cld": Constant(0.809 * 60, "L/h", _NORBERG + ": CLd 809 mL/min", "V"),
    "vc": Constant(14.5, "L", _NORBERG + ": VC 14.5 L", "V"),
    "vt": Constant(21.2, "L", _NORBERG + ": VT 21.2 L", "V"),
    "f": Constant(0.8, "1", "oral availability: absorption deficit / first pass 10-30% (drugcom.de, D11)", "V2",
                  (0.7, 0.9)),
    "ka": Constant(3.0, "1/h", "first-order absorption of a drink (no value in literature.md): a popsim assumption "
                   "(peak ~0.5-1 h)", "A", (1.0, 8.0)),
    "ec50": Constant(1000.0, "mg/L", "blood ethanol concentration of half-maximal psychomotor effect: a popsim "
                     "assumption (no mechanistic benzodiazepine-ethanol parameter exists, D19); ethanol acts at its "
                     "own GABA-A site (not displaced by flumazenil) and its stimulus adds to the benzodiazepines' "
                     "(popsim.pd.gaba), as the mostly additive diazepam + ethanol clamp study suggests (D14, V2)", "A",
                     (500.0, 3000.0)),
}
