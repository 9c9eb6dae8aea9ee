"""Cited constants of the PD layer and of the risk scores (:class:`popsim.params.physiology.Constant`).

Status codes as in the drug library: ``V``/``V2`` read in
shared/science/literature.md, ``D`` derived from cited values (the formula in
the text), ``M`` recalled and unverified, ``A`` a popsim assumption carried
with a wide range, ``F`` fitted: each group of score constants (falls:
fall_beta, tolerance, fx_beta; dependence and withdrawal: the constants
marked F in that block; ventilation: synergy_psi, airway_obstruction_max) by maximum
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

# The joint fit of the dependence constants, named in each one's text.
_WD_FIT = ("Fitted jointly with the other F constants of this block by maximum likelihood (binomial on counts, "
           "log-normal on ranges) on the calibration targets WD1, WD2, WD4, WD11, WD12, WD13, WD35, WD36, WD37, "
           "WD42, WD45, WD48 and WD55 (popsim/experiments/data/calibration_targets.csv, from "
           "popsim/experiments/data/withdrawal_trials.csv; experiments/calibration/fit.py 150: 150 subjects per "
           "arm, seed 0, float32, 2026-12-07; -log L 249.9 after 600 simplex evaluations, not fully converged); "
           "range: 95% from the observed information (the prior where the information is not positive)")

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
    "kadapt": Constant(math.log(2) / (7 * 24), "1/h", "rate of tolerance to sedation (the alpha1 adaptation the "
                       "falls score reads; its size, tolerance, was fitted with this rate): t1/2 7 d, first taken "
                       "from the ~4 weeks over which withdrawal symptoms resolve (Busto 1986, E26), a source about "
                       "withdrawal, not sedation, so for tolerance to sedation an assumption", "A",
                       (math.log(2) / (14 * 24), math.log(2) / (3.5 * 24))),
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
    "ethanol_ec50": Constant(726.2, "mg/L", "blood ethanol concentration of half-maximal psychomotor effect "
                             "(its GABA-A site's constant follows: ethanol_KD, popsim.pd.parameters): no mechanistic "
                             "benzodiazepine-ethanol parameter exists (D19); ethanol acts at its own GABA-A site (not "
                             "displaced by flumazenil) and its stimulus adds to the benzodiazepines' (popsim.pd.gaba), "
                             "as the mostly additive diazepam + ethanol clamp study suggests (D14, V2).  It sets the "
                             "size of alcohol withdrawal against benzodiazepine withdrawal (the glutamatergic state "
                             "follows the total effect).  " + _WD_FIT, "F", (268, 1968)),
    # --- dependence and withdrawal (popsim.pd.withdrawal; targets from popsim/experiments/data/withdrawal_trials.csv)
    "dependence_ec": Constant(0.1, "1", "EC of the saturating adaptation target f = (1 + EC) E_b / (E_b + EC) "
                              "(DEP_EC): half of the full adaptation at an alpha2 effect of EC/(1 + 2 EC).  Design "
                              "study 2026-12 (issue 15): EC <= 0.03 puts the diazepam peak at 14-30 d and makes "
                              "gradual tapers useless (OR ~1 against E37), EC >= 0.3 makes dose a strong predictor "
                              "against E24/E34; no receptor-level value exists", "A", (0.03, 0.3)),
    "dependence_k_tolerance": Constant(math.log(2) / 48.0, "1/h", "rate of the fast GABA-A tolerance T (DEP_KT; "
                                       "t1/2 2 d): in mice, tolerance and binding fall little before day 4 and most "
                                       "on days 4-7 of lorazepam (W46), and binding recovers within 2-4 days of the "
                                       "stop (W47); in man the unoccupied-receptor fall of day 3-10 on alprazolam "
                                       "(W44) cannot come from a state driven by the effect alone", "A",
                                       (math.log(2) / 168.0, math.log(2) / 12.0)),
    "dependence_k_on": Constant(0.0001074, "1/h", "onset rate of each of the two stages of the slow "
                                "GABA-A down-regulation (DEP_KON; fitted t1/2 269 d per stage; 120 d in the design "
                                "study): the delayed rise of risk over months of use (Rickels 1983, W1: 5% after < 8 "
                                "months vs 43% after >= 8 months).  " + _WD_FIT, "F", (6.936e-05, 0.0001663)),
    "dependence_k_off": Constant(0.01143, "1/h", "recovery rate of the slow down-regulation (DEP_KOFF; "
                                 "fitted t1/2 2.5 d; 14 d in the design study): symptoms resolve within about 4 weeks "
                                 "of an abrupt stop (Busto 1986, E26) and within 3 weeks of the last dose of a taper "
                                 "(W9); recovery on a scale of months put 50-90% of users into protracted withdrawal "
                                 "against 10-15% (E33, design study).  " + _WD_FIT, "F", (0.005936, 0.02202)),
    "dependence_k_glutamate": Constant(math.log(2) / 18.0, "1/h", "rate of the glutamatergic (NMDA) up-regulation G "
                                       "(DEP_KG; t1/2 18 h): alcohol withdrawal tremor at 6-24 h, seizures 50% at "
                                       "13-24 h and 90% within 48 h of the last drink (W56, W57); in vitro NMDA "
                                       "up-regulation within 4 days and reversal on removal (W51, W53, time constant "
                                       "not given)", "A", (math.log(2) / 48.0, math.log(2) / 6.0)),
    "dependence_w_tolerance": Constant(0.3, "1", "weight of the fast tolerance in the withdrawal drive (DEP_WT; that "
                                       "of the down-regulation is 1): interdose and early withdrawal; design study "
                                       "(E30, E31 ordering), no direct data", "A", (0.1, 1.0)),
    "dependence_w_glutamate": Constant(2.192, "1", "weight of the glutamatergic excess in the withdrawal drive "
                                       "(DEP_WG): sets the size of alcohol withdrawal against benzodiazepine "
                                       "withdrawal.  "
                                       + _WD_FIT, "F", (1.192, 4.029)),
    "dependence_k_symptoms": Constant(math.log(2) / 2.0, "1/h", "rate of the symptom state X following the withdrawal "
                                      "drive (DEP_KX; t1/2 2 h): alcohol withdrawal tremor begins about 6 h after "
                                      "the last drink (W56); no direct value", "A", (math.log(2) / 12.0, math.log(2))),
    "dependence_k_seizure": Constant(math.log(2) / 3.0, "1/h", "rate of the seizure-prone state Zs following the "
                                     "symptoms (DEP_KS; t1/2 3 h): seizures follow symptoms within hours (W56, W57: "
                                     "50% at 13-24 h); no direct value", "A", (math.log(2) / 24.0, math.log(2))),
    "dependence_k_delirium": Constant(math.log(2) / 144.0, "1/h", "rate of the delirium state Zd following the "
                                      "symptoms (DEP_KD; t1/2 6 d): delirium tremens starts 2-3 days after the last "
                                      "drink (W56, W60, W61); no direct value", "A",
                                      (math.log(2) / 288.0, math.log(2) / 48.0)),
    "withdrawal_threshold": Constant(0.5216, "1", "median symptom level X of clinically significant withdrawal (the "
                                     "subject's DEP_XC = this x exp(sigma z) x covariate ratios; severity 1 there).  "
                                     + _WD_FIT, "F", (0.3367, 0.8081)),
    "withdrawal_sigma": Constant(1.016, "1", "SD of the log susceptibility (a latent trait, e.g. anxiety or "
                                 "neuroticism: Schweizer 1990 names neuroticism, female sex and alcohol use, not "
                                 "dose or half-life, as predictors of taper difficulty, E24/W6): who goes into "
                                 "withdrawal is not set by PK alone.  "
                                 + _WD_FIT, "F", (0.3, 1.5)),
    "withdrawal_any_ratio": Constant(0.1589, "1", "severity of 'any withdrawal reaction' over that of clinically "
                                     "significant withdrawal (DEP_ANY): Schweizer 1990 finds a reaction, mostly mild "
                                     "to moderate, in 90% of long-term users tapered (E24), where Rickels 1983's "
                                     "withdrawal reactions (taken as clinically significant, W1) were 14/180.  "
                                     + _WD_FIT, "F", (0.09597, 0.2516)),
    "withdrawal_dropout_ratio": Constant(1.0, "1", "severity at which a subject gives up a taper over that of "
                                         "clinically significant withdrawal: 'unable to become drug-free' "
                                         "in 32%/42% after 25%/week tapers of long/short half-life drugs (Schweizer "
                                         "1990, E24).  " + _WD_FIT, "F", (1.0, 3.0)),
    "withdrawal_female_ratio": Constant(1.0, "1", "women's threshold of clinically significant withdrawal over men's: "
                                        "female sex predicted taper difficulty (Schweizer 1990, E24/W6) but no size "
                                        "is published; 1 (no effect) until data give one, prior towards lower "
                                        "thresholds", "A", (0.5, 1.0)),
    "withdrawal_alcohol_ratio": Constant(1.0, "1", "threshold of alcohol users over non-users: alcohol use predicted "
                                         "taper difficulty (Schweizer 1990, E24/W6), no size published; 1 until data "
                                         "give one", "A", (0.5, 1.0)),
    "delirium_threshold": Constant(1.959, "1", "level of the delirium state Zd over the subject's DEP_XC at which "
                                   "delirium tremens occurs (DT_THR).  " + _WD_FIT, "F", (1.08, 3.552)),
    "seizure_k": Constant(0.0001485, "1/h", "withdrawal-seizure hazard per unit of (Zs/DEP_XC - SZ_THR)^SZ_N "
                          "(SZ_K): one hazard for benzodiazepine and alcohol withdrawal.  " + _WD_FIT, "F",
                          (1e-5, 10.0)),
    "seizure_threshold": Constant(1.0, "1", "level of the seizure-prone state over the subject's DEP_XC below which "
                                  "no seizure occurs (SZ_THR): seizures come with severe withdrawal (W38, W57); "
                                  "no data give the level", "A", (0.3, 3.0)),
    "seizure_n": Constant(2.0, "1", "exponent of the seizure hazard above its threshold (SZ_N): no data (only "
                          "8/1980 and 0/180 for benzodiazepines, E31, W40)", "A", (1.0, 4.0)),
    "seizure_kindling": Constant(25.2 / 9.4, "1", "seizure hazard ratio per previous withdrawal episode in the "
                                 "simulation (SZ_KINDLE): early seizure recurrence 25.2% after previous withdrawal "
                                 "seizures vs 9.4% at new onset (W80, a secondary summary: V2 weak) = 2.7 (D); "
                                 "kindling in animals and clinical reviews (W54, W55: qualitative)", "D", (1.0, 5.0)),
    "prior_use_days": Constant(0.0, "d", "scenario input, not a constant: days of use before the end of the burn-in "
                               "(DEP_PRIOR); the slow down-regulation is set to its value after that much use at "
                               "the burn-in's level (0: no prior use, the states start from zero)", "A",
                               (0.0, 36500.0)),
    "prior_use_burn_in_days": Constant(21.0, "d", "scenario input: the time (from t = 0) at which prior use is "
                                       "applied (DEP_BURNIN), long enough for the PK and the fast tolerance to "
                                       "settle on the regimen (3 weeks: nordiazepam t1/2 about 3 d, T t1/2 2 d)",
                                       "A", (0.0, 365.0)),
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
}
