"""The admissions the summarization task writes discharge notes about.

Each scenario is one common internal-medicine admission, managed as its guideline says (source
in the comment above it): why the patient came, the diagnosis, the main inpatient treatment, a
procedure or key result where there is one, the medicines started for discharge, and the
follow-up. Everything a note says comes from these facts, and the key facts (what an internist
taking over must not miss) are the ones the summary is scored on. Each key fact is an Answer
(tasks/synthetic/answers.py): its text as the gold summary words it, and its accepted phrasings as
phrase groups (tasks/scoring/open_answers.py): every group named, any phrase of each.

``confuser`` is a plausible medicine this patient was *not* started on: the flawed summary used
as a rejected answer states it instead of the real one (a factual error, the failure that
matters most in a handover).
"""

from __future__ import annotations

from dataclasses import dataclass

from medtune.tasks.synthetic.answers import Answer, one


@dataclass(frozen=True)
class Med:
    fact: Answer        # the medicine as the summary names it (text) and its phrasings
    order: str          # the discharge order as the note writes it
    confuser: str       # a plausible medicine this patient was not started on


@dataclass(frozen=True)
class Scenario:
    key: str
    ages: tuple[int, int]
    stay: tuple[int, int]              # length of stay, days
    reasons: tuple[str, ...]           # reason for admission (one is told)
    known: dict[str, str | None]       # history always present -> its home medicine (if any)
    history: dict[str, str | None]     # 0-2 of these comorbidities are added
    course: tuple[str, ...]            # hospital course sentences, all told, in order
    procedures: str                    # the note's Procedures line
    diagnosis: str                     # the note's discharge diagnosis line
    meds: tuple[Med, ...]              # started for discharge (each a key fact)
    follow_up: str                     # the note's Follow-up line
    facts: tuple[Answer, ...]            # the other key facts: diagnosis, treatment, result, follow-up
    summaries: tuple[str, ...]         # gold summary templates: {who} and {days} filled in


FOLLOW_1W = ("1 week", "one week", "7 days", "seven days")
FOLLOW_2W = ("2 weeks", "two weeks", "14 days")
FOLLOW_4W = ("4 weeks", "four weeks", "1 month", "one month")
FOLLOW_8W = ("8 weeks", "eight weeks", "2 months", "two months")
PRIMARY_CARE = ("primary care", "PCP", "family doctor", "GP")


def follow(text: str, who: tuple[str, ...], when: tuple[str, ...]) -> Answer:
    return Answer(text, (who, when))


SCENARIOS: tuple[Scenario, ...] = (
    # Metlay et al., ATS/IDSA community-acquired pneumonia guideline, Am J Respir Crit Care Med
    # 2019: non-severe inpatient CAP: a beta-lactam plus a macrolide, oral step-down when
    # stable, at least 5 days in all; no routine follow-up chest imaging.
    Scenario(
        "pneumonia", (45, 85), (3, 5),
        ("fever, productive cough and shortness of breath for 3 days",
         "cough with green sputum, fever and pleuritic chest pain"),
        {},
        {"COPD": "tiotropium inhaler daily", "hypertension": "amlodipine 5 mg daily",
         "type 2 diabetes": "metformin 1000 mg twice daily",
         "hypothyroidism": "levothyroxine 75 mcg daily"},
        ("Chest X-ray showed right lower lobe consolidation; SpO2 89% on room air, CURB-65 2.",
         "Treated with IV ceftriaxone and azithromycin and oxygen; afebrile from day 2 and "
         "weaned to room air.", "Blood cultures were negative."),
        "none", "community-acquired pneumonia, right lower lobe",
        (Med(one("amoxicillin-clavulanate", "co-amoxiclav", "augmentin"),
             "amoxicillin-clavulanate 875/125 mg twice daily for 2 more days", "levofloxacin"),),
        "primary care clinic in 1 week",
        (one("community-acquired pneumonia", "pneumonia", "CAP"),
         Answer("IV ceftriaxone and azithromycin",
              (("ceftriaxone", "azithromycin", "IV antibiotics", "intravenous antibiotics"),)),
         follow("primary care in 1 week", PRIMARY_CARE, FOLLOW_1W)),
        ("{who} admitted for {days} days with community-acquired pneumonia of the right lower "
         "lobe, treated with IV ceftriaxone and azithromycin. Discharged on "
         "amoxicillin-clavulanate for 2 more days; follow-up with primary care in 1 week.",
         "{who} was treated for community-acquired pneumonia with IV ceftriaxone and "
         "azithromycin and oxygen, improving by day 2. Goes home after {days} days on "
         "amoxicillin-clavulanate for 2 more days. Primary care review in 1 week."),
    ),
    # Heidenreich et al., AHA/ACC/HFSA heart failure guideline, Circulation 2022: IV loop
    # diuretic for congestion; HFrEF: ARNI, evidence-based beta-blocker, MRA and SGLT2
    # inhibitor; follow-up within 7 days of discharge.
    Scenario(
        "heart_failure", (55, 85), (4, 7),
        ("two weeks of worsening breathlessness, orthopnea and leg swelling",
         "progressive dyspnea on exertion and ankle edema"),
        {},
        {"atrial fibrillation": "apixaban 5 mg twice daily", "type 2 diabetes":
         "metformin 500 mg twice daily", "gout": "allopurinol 100 mg daily",
         "chronic kidney disease stage 3a": None},
        ("Admitted with bibasal crackles, raised JVP and pitting edema to the knees; BNP 2,140 "
         "pg/mL.", "Diuresed with IV furosemide, net negative 6 L, weight down 5 kg.",
         "Creatinine and potassium stable throughout."),
        "transthoracic echocardiogram: LVEF 25%, dilated left ventricle",
        "acute decompensated heart failure with reduced ejection fraction (new)",
        (Med(one("sacubitril-valsartan", "sacubitril", "Entresto", "ARNI"),
             "sacubitril-valsartan 24/26 mg twice daily", "lisinopril"),
         Med(one("empagliflozin", "SGLT2 inhibitor", "SGLT2i"),
             "empagliflozin 10 mg daily", "glipizide")),
        "heart failure clinic in 1 week with a basic metabolic panel",
        (one("heart failure", "HFrEF", "CHF"),
         one("IV furosemide", "furosemide", "diuresis", "diuresed", "IV diuretics"),
         one("ejection fraction 25%", "EF 25", "LVEF 25", "ejection fraction of 25",
              "EF of 25", "LVEF of 25"),
         follow("heart failure clinic in 1 week", ("heart failure clinic", "HF clinic",
                                                    "cardiology"), FOLLOW_1W)),
        ("{who} admitted for {days} days with new acute decompensated heart failure, ejection "
         "fraction 25%, diuresed with IV furosemide (net negative 6 L). Started on "
         "sacubitril-valsartan and empagliflozin; follow-up in the heart failure clinic in 1 "
         "week with labs.",
         "{who} had new heart failure with an ejection fraction of 25% and was diuresed with "
         "IV furosemide, losing 5 kg over {days} days. Discharged on sacubitril-valsartan and "
         "empagliflozin. Heart failure clinic in 1 week with a metabolic panel."),
    ),
    # Amsterdam et al., AHA/ACC NSTE-ACS guideline, Circulation 2014, and Lawton et al.,
    # ACC/AHA/SCAI revascularization guideline, Circulation 2022: early invasive strategy,
    # DAPT with ticagrelor for 12 months after PCI, high-intensity statin, cardiac rehabilitation.
    Scenario(
        "nstemi", (50, 80), (2, 4),
        ("two hours of substernal chest pressure at rest",
         "chest tightness radiating to the left arm that woke the patient"),
        {},
        {"hypertension": "lisinopril 10 mg daily", "type 2 diabetes": "metformin 1000 mg "
         "twice daily", "current smoking": None, "GERD": "pantoprazole 40 mg daily"},
        ("ECG showed ST depression in V4-V6; troponin rose to 4.2 ng/mL.",
         "Treated with aspirin, heparin and a ticagrelor load.",
         "Pain-free after the procedure; echocardiogram showed normal LV function."),
        "coronary angiography: 90% proximal LAD stenosis, one drug-eluting stent placed",
        "non-ST-elevation myocardial infarction",
        (Med(one("ticagrelor", "dual antiplatelet therapy", "DAPT"),
             "ticagrelor 90 mg twice daily with aspirin 81 mg daily for 12 months", "clopidogrel"),
         Med(one("atorvastatin", "high-intensity statin", "statin"),
             "atorvastatin 80 mg nightly", "ezetimibe")),
        "cardiology clinic in 2 weeks; referred to cardiac rehabilitation",
        (one("non-ST-elevation myocardial infarction", "NSTEMI", "non-STEMI",
              "non ST elevation MI", "myocardial infarction"),
         one("drug-eluting stent", "stent", "stenting", "PCI",
              "percutaneous coronary intervention", "angioplasty"),
         follow("cardiology in 2 weeks", ("cardiology", "cardiologist", "cardiac clinic"),
                FOLLOW_2W)),
        ("{who} admitted for {days} days with a non-ST-elevation myocardial infarction; a "
         "drug-eluting stent was placed in the proximal LAD. Discharged on aspirin with "
         "ticagrelor for 12 months and atorvastatin 80 mg; cardiology follow-up in 2 weeks and "
         "cardiac rehabilitation.",
         "{who} had a non-ST-elevation myocardial infarction treated with a drug-eluting "
         "stent to a 90% LAD stenosis. Goes home after {days} days on ticagrelor plus aspirin "
         "and atorvastatin, with cardiology in 2 weeks."),
    ),
    # Laine et al., ACG guideline on upper GI and ulcer bleeding, Am J Gastroenterol 2021
    # (endoscopic therapy for a visible vessel, high-dose PPI), and Chey et al., ACG guideline
    # on H. pylori, Am J Gastroenterol 2017 (bismuth quadruple therapy for 14 days).
    Scenario(
        "ulcer_bleed", (40, 80), (3, 5),
        ("black tarry stools and lightheadedness for a day",
         "melena and a near-faint at home"),
        {"osteoarthritis": "ibuprofen 400 mg three times daily: STOPPED"},
        {"hypertension": "amlodipine 5 mg daily", "hypothyroidism": "levothyroxine 50 mcg daily",
         "depression": "sertraline 50 mg daily"},
        ("Hemoglobin 6.8 g/dL on arrival; transfused 2 units of red cells and started on IV "
         "pantoprazole.", "Gastric biopsies were positive for Helicobacter pylori.",
         "No rebleeding; hemoglobin stable at 9.1 g/dL."),
        "EGD: 1.5 cm duodenal bulb ulcer with a visible vessel, treated with epinephrine "
        "injection and hemoclips",
        "bleeding duodenal ulcer, Helicobacter pylori positive",
        (Med(one("pantoprazole", "PPI", "proton pump inhibitor"),
             "pantoprazole 40 mg twice daily for 8 weeks", "famotidine"),
         Med(one("bismuth quadruple therapy", "quadruple therapy", "H pylori eradication",
                  "H pylori treatment"),
             "bismuth quadruple therapy for H. pylori for 14 days", "clarithromycin triple therapy")),
        "gastroenterology clinic in 8 weeks with a test of H. pylori eradication",
        (one("duodenal ulcer", "peptic ulcer", "upper GI bleed", "upper gastrointestinal bleed",
              "upper gastrointestinal bleeding", "ulcer bleed"),
         one("endoscopic", "EGD", "endoscopy", "hemoclips", "clips"),
         follow("gastroenterology in 8 weeks", ("gastroenterology", "gastroenterologist",
                                                "GI clinic"), FOLLOW_8W)),
        ("{who} admitted for {days} days with a bleeding duodenal ulcer (hemoglobin 6.8, 2 "
         "units transfused), treated endoscopically with epinephrine and hemoclips; ibuprofen "
         "stopped. Discharged on pantoprazole twice daily and bismuth quadruple therapy for H. "
         "pylori; gastroenterology in 8 weeks to confirm eradication.",
         "{who} had an upper GI bleed from a duodenal ulcer treated at EGD with hemoclips, "
         "needing 2 units of blood. Goes home after {days} days on pantoprazole and bismuth "
         "quadruple therapy, off ibuprofen. Gastroenterology follow-up in 8 weeks."),
    ),
    # Kitabchi et al., ADA consensus on hyperglycemic crises, Diabetes Care 2009: IV fluids and
    # an insulin infusion until the anion gap closes, then basal-bolus subcutaneous insulin.
    Scenario(
        "dka", (18, 40), (2, 4),
        ("two days of vomiting, abdominal pain and polyuria",
         "nausea, thirst and rapid breathing"),
        {"type 1 diabetes": None},
        {"hypothyroidism": "levothyroxine 50 mcg daily", "celiac disease": None,
         "depression": "sertraline 50 mg daily"},
        ("Glucose 520 mg/dL, pH 7.14, bicarbonate 10 mEq/L, anion gap 27, ketones positive; "
         "trigger: missed insulin doses.", "Treated with IV fluids and an insulin infusion; "
         "anion gap closed within 18 hours.", "Diabetes education completed."),
        "none", "diabetic ketoacidosis from missed insulin doses",
        (Med(one("insulin glargine", "glargine", "basal insulin", "basal-bolus insulin"),
             "insulin glargine 20 units nightly and insulin lispro with meals", "metformin"),),
        "endocrinology clinic in 2 weeks",
        (one("diabetic ketoacidosis", "DKA"),
         one("insulin infusion", "IV insulin", "insulin drip", "intravenous insulin"),
         follow("endocrinology in 2 weeks", ("endocrinology", "endocrinologist",
                                             "diabetes clinic"), FOLLOW_2W)),
        ("{who} admitted for {days} days with diabetic ketoacidosis after missed insulin "
         "doses, treated with IV fluids and an insulin infusion. Discharged on insulin "
         "glargine nightly with lispro at meals after diabetes education; endocrinology in 2 "
         "weeks.",
         "{who} had diabetic ketoacidosis triggered by missed insulin, resolved with an "
         "insulin infusion within 18 hours. Goes home after {days} days on insulin glargine "
         "and mealtime lispro, with endocrinology in 2 weeks."),
    ),
    # Global Initiative for Chronic Obstructive Lung Disease (GOLD) 2023 report: exacerbation:
    # short-acting bronchodilators, prednisone 40 mg for 5 days, antibiotics when sputum is
    # purulent; after an exacerbation, LAMA+LABA and pulmonary rehabilitation.
    Scenario(
        "copd", (55, 85), (5, 6),  # prednisone and doxycycline (5 days) finish in hospital
        ("four days of increasing breathlessness and purulent sputum",
         "worsening cough, wheeze and dyspnea after a cold"),
        {"COPD": "salbutamol inhaler as needed"},
        {"hypertension": "amlodipine 5 mg daily", "osteoporosis": "alendronate 70 mg weekly",
         "GERD": "omeprazole 20 mg daily"},
        ("SpO2 86% on room air, pH 7.36 on the blood gas.", "Treated with nebulized albuterol "
         "and ipratropium, prednisone 40 mg daily and doxycycline; back to baseline by day 3.",
         "Chest X-ray showed hyperinflation without consolidation."),
        "none", "acute exacerbation of COPD",
        (Med(one("tiotropium-olodaterol", "tiotropium", "LAMA/LABA", "LAMA LABA", "LAMA"),
             "tiotropium-olodaterol inhaler 2 puffs daily", "fluticasone"),),
        "pulmonology clinic in 4 weeks; referred to pulmonary rehabilitation",
        (one("COPD exacerbation", "exacerbation of COPD", "AECOPD"),
         one("prednisone", "steroids", "corticosteroids", "prednisolone"),
         follow("pulmonology in 4 weeks", ("pulmonology", "pulmonologist", "pulmonary clinic",
                                           "chest clinic"), FOLLOW_4W)),
        ("{who} admitted for {days} days with a COPD exacerbation, treated with nebulized "
         "bronchodilators, prednisone and doxycycline. Discharged on new tiotropium-olodaterol; "
         "pulmonology in 4 weeks and pulmonary rehabilitation.",
         "{who} had a COPD exacerbation with purulent sputum, treated with prednisone, "
         "doxycycline and nebulizers. Goes home after {days} days with new "
         "tiotropium-olodaterol. Pulmonology review in 4 weeks."),
    ),
    # Kleindorfer et al., AHA/ASA secondary stroke prevention guideline, Stroke 2021: atrial
    # fibrillation after ischemic stroke: oral anticoagulation (a DOAC), not antiplatelets;
    # high-intensity statin.
    Scenario(
        "stroke", (60, 88), (4, 6),
        ("sudden left arm weakness and slurred speech",
         "left-sided weakness and facial droop on waking"),
        {},
        {"hypertension": "amlodipine 10 mg daily", "type 2 diabetes": "metformin 1000 mg "
         "twice daily", "hypothyroidism": "levothyroxine 75 mcg daily",
         "osteoarthritis": "acetaminophen as needed"},
        ("Outside the thrombolysis window on arrival; MRI confirmed a right MCA territory "
         "infarct.", "Telemetry showed paroxysmal atrial fibrillation.",
         "Arm strength improved to 4/5; swallow assessment passed."),
        "MRI brain; transthoracic echocardiogram without thrombus",
        "right MCA ischemic stroke; new paroxysmal atrial fibrillation",
        (Med(one("apixaban", "anticoagulation", "DOAC"),
             "apixaban 5 mg twice daily, started on day 4", "aspirin"),
         Med(one("atorvastatin", "high-intensity statin", "statin"),
             "atorvastatin 80 mg nightly", "ezetimibe")),
        "neurology stroke clinic in 4 weeks; outpatient physiotherapy",
        (one("ischemic stroke", "stroke", "cerebral infarction", "MCA infarct"),
         one("atrial fibrillation", "AF", "afib"),
         follow("neurology in 4 weeks", ("neurology", "neurologist", "stroke clinic"), FOLLOW_4W)),
        ("{who} admitted for {days} days with a right MCA ischemic stroke; telemetry found "
         "paroxysmal atrial fibrillation. Discharged on apixaban and atorvastatin 80 mg; "
         "neurology stroke clinic in 4 weeks and outpatient physiotherapy.",
         "{who} had a right MCA ischemic stroke with left arm weakness, now 4/5, and new "
         "atrial fibrillation. Goes home after {days} days on apixaban and atorvastatin. "
         "Neurology follow-up in 4 weeks."),
    ),
    # Stevens et al., IDSA skin and soft tissue infection guideline, Clin Infect Dis 2014:
    # non-purulent cellulitis with systemic signs: IV cefazolin, then an oral beta-lactam for
    # 5-10 days in all.
    Scenario(
        "cellulitis", (30, 80), (2, 4),
        ("spreading redness, swelling and pain of the left leg with fever",
         "a hot, red, swollen left shin and chills"),
        {},
        {"type 2 diabetes": "metformin 1000 mg twice daily", "obesity": None,
         "venous insufficiency": "compression stockings", "hypertension": "lisinopril 10 mg daily"},
        ("T 38.6 C, WBC 14,200/uL; no abscess on exam.", "Treated with IV cefazolin; erythema "
         "receded within the marked borders by day 2.", "Leg ultrasound showed no deep vein "
         "thrombosis."),
        "left leg venous duplex ultrasound", "non-purulent cellulitis of the left leg",
        (Med(one("cephalexin", "cefalexin", "Keflex"),
             "cephalexin 500 mg four times daily to complete 7 days", "clindamycin"),),
        "primary care clinic in 1 week",
        (one("cellulitis"),
         one("IV cefazolin", "cefazolin", "IV antibiotics", "intravenous antibiotics"),
         follow("primary care in 1 week", PRIMARY_CARE, FOLLOW_1W)),
        ("{who} admitted for {days} days with left leg cellulitis, treated with IV cefazolin; "
         "ultrasound excluded DVT. Discharged on cephalexin to complete 7 days; primary care "
         "follow-up in 1 week.",
         "{who} had non-purulent cellulitis of the left leg that improved on IV cefazolin. "
         "Goes home after {days} days on cephalexin to finish 7 days, with primary care "
         "review in 1 week."),
    ),
)

BY_KEY = {s.key: s for s in SCENARIOS}
