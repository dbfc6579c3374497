"""Synthetic hyponatremia cases for tasks/hyponatremia.py, and the algorithm that labels them.

Hyponatremia: labs, volume status and history -> the category of the diagnostic algorithm.
(numeric classification; the preprint's second task, where neither SFT nor DPO helped.)

The algorithm is the European clinical practice guideline on hyponatraemia (Spasovski et al.,
Eur J Endocrinol 2014;170:G1-G47, figure 3, "Algorithm for the diagnosis of hyponatraemia"),
applied to hypotonic hyponatremia:

1. Hyponatremia: serum Na <135 mmol/L. Hypotonic: measured serum osmolality <275 mOsm/kg
   (generated cases are all hypotonic; glucose, mannitol and pseudohyponatremia are excluded
   by the prompt's "serum osm" line).
2. Urine osmolality <=100 mOsm/kg -> maximally dilute urine: excess water relative to solute,
   "low solute intake or primary polydipsia" (beer potomania, tea-and-toast diet, psychogenic
   polydipsia).
3. Urine osm >100 and urine Na <=30 mmol/L -> low effective arterial blood volume, the kidney
   holding sodium: either extrarenal loss (vomiting, diarrhoea, burns, third spacing: the
   patient is hypovolaemic) or a hypervolaemic state (heart failure, cirrhosis, nephrotic
   syndrome: oedema, ascites).
4. Urine osm >100 and urine Na >30 -> with diuretics or kidney disease: renal loss (also
   mineralocorticoid deficiency, salt-wasting nephropathy); without them and euvolaemic:
   SIADH-like (after hypothyroidism and adrenal insufficiency are excluded; the generated
   SIADH cases say so, or give a cause: SCLC, pneumonia, SSRI, postoperative pain).
   The guideline warns that diuretics make urine Na uninterpretable; generated diuretic
   cases are hypovolaemic, so the guideline's pathway gives renal loss.

Generated values keep out of the grey zones (urine osm 101-120, urine Na 25-40) so every label
is clearly right by the guideline, and volume status, oedema and history always agree with the
category (hypervolaemic cases have oedema or ascites; hypovolaemic ones dry mucosa or
orthostasis). The hypervolaemic branch has urine Na <=30 here; a cardiac or cirrhotic patient
on diuretics would muddy it and is not generated.
"""

from __future__ import annotations

import random

LOW_SOLUTE = "low solute or polydipsia"
EXTRARENAL = "extrarenal loss"
RENAL = "renal loss"
SIADH = "SIADH"
HYPERVOLEMIC = "hypervolemic"
CATEGORIES = (LOW_SOLUTE, EXTRARENAL, RENAL, SIADH, HYPERVOLEMIC)

# category -> (volume status phrases, history phrases)
VOLUME = {
    LOW_SOLUTE: ("euvolemic on exam", "no edema, moist mucosa"),
    EXTRARENAL: ("dry mucous membranes, orthostatic hypotension", "hypovolemic, flat JVP",
                 "poor skin turgor, tachycardic"),
    RENAL: ("dry mucous membranes, orthostatic hypotension", "hypovolemic, flat JVP",
            "poor skin turgor, tachycardic"),
    SIADH: ("euvolemic on exam", "no edema, moist mucosa, normal JVP"),
    HYPERVOLEMIC: ("bilateral leg edema, raised JVP", "tense ascites and leg edema",
                   "anasarca"),
}
HISTORY = {
    LOW_SOLUTE: ("drinks 12 cans of beer a day and eats little", "schizophrenia, drinks "
                 "about 8 L of water daily", "tea-and-toast diet for months"),
    EXTRARENAL: ("3 days of diarrhea and poor oral intake", "profuse watery diarrhea for 4 days",
                 "high-output ileostomy", "extensive burns two days ago"),
    RENAL: ("started hydrochlorothiazide last month", "on furosemide, poor intake",
            "salt-wasting nephropathy", "on indapamide, recent falls"),
    SIADH: ("small-cell lung cancer", "community-acquired pneumonia", "started sertraline "
            "2 weeks ago", "day 2 after hip surgery, on opioids"),
    # "no diuretics": a loop diuretic raises urine Na and would move the case off this branch
    HYPERVOLEMIC: ("new heart failure, EF 25%, no diuretics yet", "alcoholic cirrhosis, no "
                   "diuretics", "nephrotic syndrome, albumin 1.8 g/dL, no diuretics"),
}
SIADH_EXCLUSIONS = ("TSH and morning cortisol normal.", "Thyroid and adrenal function normal.")
OPENINGS = ("{age}-year-old {sex}: {history}.", "{age} y/o {sex}, {history}.",
            "Patient {age}{abbr}, history: {history}.")


def _labs(rng: random.Random, category: str) -> dict:
    """Lab values (mmol/L, mOsm/kg) on the clear side of every threshold of the algorithm."""
    na = rng.randint(112, 132)
    serum_osm = min(272, round(2 * na + rng.uniform(5, 15)))  # calculated-ish, always <275
    if category == LOW_SOLUTE:
        urine_osm, urine_na = rng.randint(40, 95), rng.randint(5, 20)
    elif category in (EXTRARENAL, HYPERVOLEMIC):
        urine_osm, urine_na = rng.randint(250, 700), rng.randint(5, 24)
    else:  # RENAL, SIADH
        urine_osm, urine_na = rng.randint(250, 700), rng.randint(41, 110)
    return {"serum_na": na, "serum_osm": serum_osm, "urine_osm": urine_osm, "urine_na": urine_na}


def categorize(labs: dict, volume: str, diuretic_or_renal: bool) -> str:
    """The guideline's algorithm on the facts (ESE 2014, figure 3); thresholds in mOsm/kg and
    mmol/L. ``volume`` is "hypovolemic", "euvolemic" or "hypervolemic"."""
    assert labs["serum_osm"] < 275, "only hypotonic hyponatremia is classified"
    if labs["urine_osm"] <= 100:
        return LOW_SOLUTE
    if labs["urine_na"] <= 30:
        return HYPERVOLEMIC if volume == "hypervolemic" else EXTRARENAL
    if diuretic_or_renal:
        return RENAL
    return SIADH


def write_case(rng: random.Random, category: str) -> tuple[str, dict]:
    labs = _labs(rng, category)
    female = rng.random() < 0.5
    history = rng.choice(HISTORY[category])
    # thiazide hyponatremia and the tea-and-toast diet are diseases of old age
    old = "tea-and-toast" in history or (category == RENAL and rng.random() < 0.5)
    age = rng.randint(70, 92) if old else rng.randint(22, 88)
    parts = [rng.choice(OPENINGS).format(age=age, sex="woman" if female else "man",
                                         abbr="F" if female else "M", history=history)]
    parts.append(f"Exam: {rng.choice(VOLUME[category])}.")
    lab_order = [f"Na {labs['serum_na']}", f"serum osm {labs['serum_osm']}",
                 f"urine osm {labs['urine_osm']}", f"urine Na {labs['urine_na']}"]
    parts.append("Labs: " + ", ".join(lab_order) + ".")
    if category == SIADH or (category == LOW_SOLUTE and rng.random() < 0.5):
        parts.append(rng.choice(SIADH_EXCLUSIONS))
    volume = {EXTRARENAL: "hypovolemic", RENAL: "hypovolemic",
              HYPERVOLEMIC: "hypervolemic"}.get(category, "euvolemic")
    diuretic_or_renal = category == RENAL
    meta = {**labs, "volume": volume, "diuretic_or_renal": diuretic_or_renal,
            "history": history, "age": age, "sex": "female" if female else "male"}
    return " ".join(parts), meta
