"""Synthetic clinical notes for the UTI task (tasks/uti.py), written to the rule below.

UTI: does a short clinical note describe a urinary tract infection? (text classification)

The rule is the paper's (Savage et al. 2025, "Simple Classification"; they cite Colgan &
Williams, Am Fam Physician 2011, and Mehnert-Kay, Am Fam Physician 2005): a note describes a
UTI only when it reports **pyuria AND at least one lower urinary tract symptom (LUTS)**.
Pyuria alone (asymptomatic pyuria) and symptoms alone (with a clean urinalysis) are not UTIs.

- LUTS, the lower-tract symptoms of acute cystitis in those reviews and in IDSA guidance:
  dysuria, urinary frequency, urinary urgency, suprapubic pain or tenderness.
- Pyuria: >=10 white cells per high-power field on urine microscopy (a common laboratory
  threshold; Stamm's classic cut-off is >=10 leukocytes/mm3 of unspun urine), a positive
  leukocyte esterase with such a count, or a report that says "pyuria". Generated counts keep
  out of the grey zone: 12 or more with pyuria, 0-3 without.
- Deliberately NOT LUTS: flank pain / costovertebral-angle tenderness and fever (upper tract
  or systemic signs), vaginal discharge or itching (vaginitis), confusion, cloudy or
  foul-smelling urine (IDSA 2019 asymptomatic bacteriuria guideline: not by themselves signs
  of UTI), and bacteriuria on culture (a catheter grows bacteria without infection).

The synthetic notes carry those distractors on purpose, because a model that learns word
association ("pyuria" -> yes, "burning" -> yes) must fail on them. To keep every generated
label medically right as well as rule-right, the generator never writes a case where the two
could disagree (pyuria with flank pain and fever but no LUTS would be pyelonephritis).
"""

from __future__ import annotations

import random

LUTS = ("dysuria", "frequency", "urgency", "suprapubic pain")
DISTRACTORS = ("asymptomatic_pyuria", "nonspecific_symptom", "flank_pain", "fever",
               "vaginal_symptoms", "catheter_bacteriuria", "negative_ua_with_symptoms")
NEGATIVE_CASES = ("asymptomatic_pyuria", "nonspecific_with_pyuria", "flank_or_fever_clean_ua",
                  "vaginitis", "catheter_bacteriuria", "symptoms_clean_ua")
MIN_WORDS, MAX_WORDS = 35, 70

# --- phrase banks ----------------------------------------------------------------------------
SYMPTOM_PHRASES = {
    "dysuria": ("dysuria", "burning with urination", "painful urination", "stinging on voiding"),
    "frequency": ("urinary frequency", "frequent urination", "voiding every hour",
                  "frequent small-volume voids"),
    "urgency": ("urinary urgency", "a constant urge to void", "sudden urges to urinate"),
    "suprapubic pain": ("suprapubic pain", "suprapubic discomfort",
                        "lower abdominal pressure over the bladder"),
}
DURATIONS = ("one day", "two days", "3 days", "four days", "several days", "48 hours")
SINCE = ("since yesterday", "since the weekend", "since Monday", "for two days")
SETTINGS = ("the ED", "the emergency department", "urgent care", "the primary care clinic",
            "a walk-in clinic", "the family medicine clinic")
SYMPTOM_OPENINGS = (
    "{age}-year-old {noun} presents to {setting} with {complaint}.",
    "{age} y/o {abbr} seen in {setting} for {complaint}.",
    "{A} {age}-year-old {noun} comes to {setting} reporting {complaint}.",
    "CC: {complaint}. {age}-year-old {noun} seen in {setting}.",
    "Patient is {a} {age}-year-old {noun} evaluated in {setting} for {complaint}.",
)
VISIT_OPENINGS = (
    "{age}-year-old {noun} seen in {setting} for {visit}.",
    "{age} y/o {abbr} in {setting} for {visit}.",
    "Patient is {a} {age}-year-old {noun} evaluated in {setting} for {visit}.",
)
VISITS = ("a routine diabetes follow-up", "clearance before hip replacement",
          "an annual wellness visit", "hypertension follow-up", "a routine medication review",
          "clearance before cataract surgery")
VISIT_SETTINGS = ("the primary care clinic", "the pre-operative clinic", "the geriatrics clinic",
                  "the skilled nursing facility")
INCIDENTAL = ("PMH: hypertension, hyperlipidemia.", "History of type 2 diabetes on metformin.",
              "No significant past medical history.", "Takes levothyroxine for hypothyroidism.",
              "Allergic to sulfa drugs.", "Former smoker, quit 10 years ago.",
              "History of GERD on omeprazole.", "Lives alone and is independent in ADLs.",
              "History of osteoarthritis of both knees.", "Recently treated for a sinus infection.")
HISTORY_EXTRAS = ("No prior urinary infections.", "Had a similar episode last year.",
                  "Drinking more water has not helped.", "Symptoms began after a long flight.",
                  "Tried cranberry juice without relief.")
GENERAL_EXTRAS = ("No recent antibiotics.", "Eating and drinking normally.", "No recent travel.",
                  "Symptoms started two days ago.", "No sick contacts at home.")
DENIABLE = ("fever", "flank pain", "nausea", "gross hematuria", "vaginal discharge") + LUTS


def _join(items: list[str]) -> str:
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + (" and " if len(items) == 2 else ", and ") + items[-1]


def _vitals(rng: random.Random, fever: bool) -> str:
    temp_c = round(rng.uniform(38.2, 39.4) if fever else rng.uniform(36.4, 37.4), 1)
    hr = rng.randint(96, 118) if fever else rng.randint(62, 94)
    bp = f"{rng.randint(104, 148)}/{rng.randint(62, 90)}"
    if rng.random() < 0.5:
        return f"T {temp_c} C, HR {hr}, BP {bp}."
    temp_f = round(temp_c * 9 / 5 + 32, 1)
    return rng.choice((f"Vitals: temp {temp_f} F, pulse {hr}, BP {bp}.",
                       f"Temp {temp_f} F, HR {hr}, BP {bp}, SpO2 {rng.randint(95, 99)}%."))


def _ua(rng: random.Random, pyuria: bool, stone: bool = False) -> tuple[str, int | None]:
    """A urinalysis sentence and the WBC/hpf it states (None when it gives no number)."""
    nitrite = rng.choice(("", "", ", nitrite positive", ", nitrite negative"))
    if pyuria:
        w = rng.randint(12, 100)
        return rng.choice((
            (f"UA: WBC {w}/hpf, leukocyte esterase positive{nitrite}.", w),
            (f"Urinalysis shows pyuria ({w} WBC/hpf){nitrite}.", w),
            (f"Urine microscopy: {w} WBC/hpf; dipstick LE {rng.choice(('2+', '3+'))}.", w),
            (f"Urinalysis: WBC >10/hpf, leukocyte esterase positive{nitrite}.", None),
            ("UA notable for pyuria with WBC too numerous to count.", None),
        ))
    w = rng.randint(0, 3)
    if stone:
        return (f"UA: WBC {w}/hpf, RBC {rng.choice(('20-50', '>50', '25-30'))}/hpf, "
                "leukocyte esterase negative.", w)
    return rng.choice((
        (f"UA: WBC {w}/hpf, leukocyte esterase negative{nitrite}.", w),
        ("UA: WBC 0-2/hpf, LE negative.", 2),
        ("Urinalysis unremarkable.", None),
        (f"Urinalysis negative for leukocyte esterase; microscopy {w} WBC/hpf.", w),
        ("No pyuria on urinalysis.", None),
    ))


# --- one note --------------------------------------------------------------------------------
def write_note(rng: random.Random, case: str) -> tuple[str, dict]:
    """One passage for a case ("cystitis" is the positive one) and the facts behind its label."""
    female = case == "vaginitis" or rng.random() < 0.7  # cystitis is commoner in women
    elderly = case in ("asymptomatic_pyuria", "catheter_bacteriuria", "nonspecific_with_pyuria"
                       ) or rng.random() < 0.25
    age = rng.randint(66, 94) if elderly else rng.randint(18, 64)
    he = "She" if female else "He"
    article = "an" if str(age).startswith("8") or age in (11, 18) else "a"
    who = {"age": age, "a": article, "A": article.capitalize(), "abbr": "F" if female else "M",
           "noun": rng.choice(("woman", "female")) if female else rng.choice(("man", "male"))}
    symptoms: list[str] = []
    distractors: list[str] = []
    fever = flank = stone = False
    pyuria = case in ("cystitis", "asymptomatic_pyuria", "nonspecific_with_pyuria")
    parts: list[str] = []
    exam: list[str] = []

    if case in ("cystitis", "symptoms_clean_ua"):
        symptoms = rng.sample(LUTS, rng.choice((1, 1, 2, 2, 3)))
        if case == "symptoms_clean_ua":
            distractors.append("negative_ua_with_symptoms")
        elif rng.random() < 0.25:  # cystitis with upper-tract signs is still a UTI
            fever, flank = rng.random() < 0.7, True
        phrases = [rng.choice(SYMPTOM_PHRASES[s]) for s in LUTS if s in symptoms]
        if flank:
            phrases.append(f"{rng.choice(('right', 'left'))} flank pain")
        if fever:
            phrases.append("fevers")
        if rng.random() < 0.5:
            complaint = f"{rng.choice(DURATIONS)} of {_join(phrases)}"
        else:
            complaint = f"{_join(phrases)} {rng.choice(SINCE)}"
        parts.append(rng.choice(SYMPTOM_OPENINGS).format(setting=rng.choice(SETTINGS),
                                                         complaint=complaint, **who))
        if rng.random() < 0.4:
            parts.append(rng.choice(HISTORY_EXTRAS))
        if "suprapubic pain" in symptoms:
            exam.append(rng.choice(("Suprapubic tenderness to palpation.",
                                    "Abdomen soft with mild suprapubic tenderness.")))
    elif case in ("asymptomatic_pyuria", "catheter_bacteriuria"):
        setting = rng.choice(VISIT_SETTINGS)
        if case == "catheter_bacteriuria":
            visit = rng.choice(("routine review", "a scheduled catheter change",
                                "a follow-up visit"))
            parts.append(rng.choice(VISIT_OPENINGS).format(setting=setting, visit=visit, **who))
            reason = rng.choice(("urinary retention", "neurogenic bladder", "spinal cord injury"))
            parts.append(f"Chronic indwelling Foley catheter for {reason}.")
            org = rng.choice(("E. coli", "Klebsiella", "Enterococcus", "Proteus"))
            parts.append(f"Urine culture grew >100,000 CFU/mL of {org}.")
        else:
            parts.append(rng.choice(VISIT_OPENINGS).format(setting=setting,
                                                           visit=rng.choice(VISITS), **who))
            parts.append(rng.choice(("Urinalysis was sent with routine labs.",
                                     "A screening urinalysis was ordered.")))
        parts.append(rng.choice((f"{he} has no urinary complaints.", "Asymptomatic.",
                                 f"{he} feels well.")))
        distractors.append(case)
    elif case == "nonspecific_with_pyuria":
        family = rng.choice(("daughter", "son", "spouse", "nursing staff"))
        complaint = rng.choice((f"new confusion noticed by {family}",
                                f"cloudy, foul-smelling urine noticed by {family}",
                                "fatigue and poor appetite for a week",
                                "generalized weakness for three days"))
        parts.append(rng.choice(SYMPTOM_OPENINGS).format(setting=rng.choice(SETTINGS),
                                                         complaint=complaint, **who))
        distractors.append("nonspecific_symptom")
    elif case == "flank_or_fever_clean_ua":
        side = rng.choice(("right", "left"))
        kind = rng.choice(("stone", "musculoskeletal", "viral", "fever_and_flank"))
        stone = kind == "stone"
        flank = kind != "viral"
        fever = kind in ("viral", "fever_and_flank")
        complaint = {
            "stone": f"colicky {side} flank pain radiating to the groin",
            "musculoskeletal": f"{side} flank pain after moving furniture",
            "viral": rng.choice(("fever, cough and body aches", "fever and sore throat")),
            "fever_and_flank": f"fever and {side} flank pain",
        }[kind]
        parts.append(rng.choice(SYMPTOM_OPENINGS).format(setting=rng.choice(SETTINGS),
                                                         complaint=complaint, **who))
        if kind == "musculoskeletal":
            exam.append(f"Tender {side} paraspinal muscles.")
    elif case == "vaginitis":
        complaint = rng.choice(("vaginal itching and thick white discharge",
                                "thin grey malodorous vaginal discharge",
                                "vulvar itching and irritation with discharge"))
        parts.append(rng.choice(SYMPTOM_OPENINGS).format(setting=rng.choice(SETTINGS),
                                                         complaint=complaint, **who))
        if rng.random() < 0.5:  # external dysuria: a LUTS word, but no pyuria -> still no
            symptoms = ["dysuria"]
            parts.append(rng.choice(("Reports burning when urine touches the irritated skin.",
                                     "Also notes some dysuria.")))
        distractors.append("vaginal_symptoms")
        if rng.random() < 0.5:
            exam.append(rng.choice(("Pelvic exam: white curd-like discharge.",
                                    "Speculum exam shows thin grey discharge.")))
    else:
        raise AssertionError(case)

    if case in ("nonspecific_with_pyuria", "flank_or_fever_clean_ua", "vaginitis") and (
            rng.random() < 0.6):  # these notes run short; keep lengths alike across labels
        parts.append(rng.choice(GENERAL_EXTRAS))
    if flank:
        distractors.append("flank_pain")
    if fever:
        distractors.append("fever")
    present = set(symptoms) | {name for name, on in (("fever", fever), ("flank pain", flank),
                                                     ("vaginal discharge", case == "vaginitis"))
                               if on}
    deniable = [d for d in DENIABLE if d not in present and (female or d != "vaginal discharge")
                # a catheter drains continuously: frequency, urgency and dysuria are not asked
                and (case != "catheter_bacteriuria" or d not in LUTS[:3])]
    denied = rng.sample(deniable, min(len(deniable), rng.randint(2, 4)))
    parts.append(rng.choice(("Denies {}.", "No {}.", "Negative for {}.")).format(
        _join(denied).replace(", and ", ", or ").replace(" and ", " or ")))
    if rng.random() < 0.6:
        parts.append(rng.choice(INCIDENTAL))
    if fever or rng.random() < 0.7:
        parts.append(_vitals(rng, fever))
    if flank and rng.random() < 0.7:
        exam.append(rng.choice(("CVA tenderness present.", "Costovertebral angle tenderness.")))
    elif not flank and rng.random() < 0.4:
        exam.append("No CVA tenderness.")
    parts.extend(exam)
    ua, wbc = _ua(rng, pyuria, stone)
    parts.append(ua)
    meta = {"case": case, "pyuria": pyuria, "wbc_per_hpf": wbc,
            "symptoms": [s for s in LUTS if s in symptoms], "distractors": distractors,
            "fever": fever, "flank_pain": flank, "age": age, "sex": "female" if female else "male"}
    return " ".join(parts), meta
