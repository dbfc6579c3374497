"""Endocrine, metabolic and blood conditions.

Rows of the reasoning task's table; conditions/__init__.py says how a row reads.
"""

from __future__ import annotations

from medtune.tasks.synthetic.answers import one
from medtune.tasks.synthetic.conditions.row import Condition

# endocrine and metabolic
ENDOCRINE: tuple[Condition, ...] = (
    # Kitabchi et al., ADA consensus: hyperglycemic crises in adults with diabetes, Diabetes
    # Care 2009 (DKA and HHS criteria). Diagnosis only: treatment is fluids, insulin, potassium.
    Condition(
        "dka", (16, 30), "any",
        ("three days of polyuria, thirst, abdominal pain and vomiting",
         "vomiting and abdominal pain after several days of excessive thirst"),
        ("Type 1 diabetes; ran out of insulin last week.", "Type 1 diabetes with a recent flu."),
        "deep rapid breathing, fruity breath, dry mucous membranes, HR 118",
        "glucose 540 mg/dL, arterial pH 7.12, bicarbonate 9 mEq/L, anion gap 26, serum "
        "ketones strongly positive",
        ("Potassium 5.4 mEq/L.", "Drowsy but oriented."),
        one("diabetic ketoacidosis", "DKA"),
        None,
        dx_rivals=("hhs",),
    ),
    Condition(
        "hhs", (65, 88), "any",
        ("a week of increasing thirst and confusion",
         "several days of drowsiness and passing large amounts of urine"),
        ("Type 2 diabetes on metformin; recent urinary infection.", "Type 2 diabetes, lives alone."),
        "dry mucous membranes, obtunded, HR 112, BP 102/60, normal breathing",
        "glucose 1,050 mg/dL, effective serum osmolality 355 mOsm/kg, pH 7.36, bicarbonate "
        "22 mEq/L, ketones trace",
        ("Creatinine raised from baseline.", "Sodium 149 mEq/L (corrected)."),
        one("hyperosmolar hyperglycemic state", "HHS", "hyperosmolar hyperglycaemic state",
            "hyperosmolar hyperglycemic nonketotic state", "hyperosmolar nonketotic "
            "hyperglycemia", "HONK"),
        None,
        dx_rivals=("dka",),
    ),
    # Jonklaas et al., ATA guidelines for the treatment of hypothyroidism, Thyroid 2014:
    # levothyroxine monotherapy.
    Condition(
        "hypothyroidism", (35, 70), "any",
        ("months of fatigue, weight gain and cold intolerance",
         "tiredness, constipation and feeling cold all the time"),
        ("Dry skin and hair loss.", "Hoarse voice and a puffy face.", "No medications."),
        "HR 54, dry coarse skin, delayed relaxation of the ankle reflexes",
        "TSH 28 mU/L with a low free T4",
        ("Cholesterol raised.", "Mild normocytic anemia."),
        one("primary hypothyroidism", "hypothyroidism", "overt hypothyroidism",
            "overt primary hypothyroidism"),
        one("levothyroxine", "L-thyroxine", "thyroxine", "T4 replacement"),
        dx_rivals=("adrenal_insufficiency", "graves_disease"),
        tx_rivals=("graves_disease", "adrenal_insufficiency"),
    ),
    # Kahaly et al., European Thyroid Association guideline for Graves' hyperthyroidism, Eur
    # Thyroid J 2018: antithyroid drugs (methimazole/carbimazole) first line. Patients here are
    # not pregnant (propylthiouracil would replace methimazole in the first trimester).
    Condition(
        "graves_disease", (20, 45), "female",
        ("weight loss despite a good appetite, heat intolerance and palpitations",
         "three months of palpitations, sweating and losing weight"),
        ("Not pregnant; smoker.", "Mother has thyroid disease; not pregnant."),
        "fine tremor, HR 112, diffuse non-tender goiter, proptosis with lid retraction",
        "TSH below 0.01 mU/L with high free T4; TSH receptor antibodies positive",
        ("Frequent loose stools.", "Brisk reflexes."),
        one("Graves disease", "Graves' disease", "Graves hyperthyroidism", "Graves"),
        one("methimazole", "thiamazole", "carbimazole", "antithyroid drugs",
            "antithyroid medication"),
        dx_rivals=("hypothyroidism",),
        tx_rivals=("hypothyroidism",),
        tx_question="Which antithyroid drug is first-line?",
    ),
    # Bornstein et al., Endocrine Society guideline on primary adrenal insufficiency, J Clin
    # Endocrinol Metab 2016: glucocorticoid replacement, hydrocortisone preferred.
    Condition(
        "adrenal_insufficiency", (25, 55), "any",
        ("months of fatigue, weight loss and salt craving",
         "tiredness, weight loss and dizziness on standing"),
        ("History of vitiligo.", "Autoimmune hypothyroidism on levothyroxine."),
        "BP 92/58 with a postural drop, hyperpigmentation of the palmar creases and buccal "
        "mucosa",
        "sodium 128 mEq/L, potassium 5.9 mEq/L; low morning cortisol with a high ACTH",
        ("Glucose 68 mg/dL.", "Abdominal pain and nausea."),
        one("primary adrenal insufficiency", "Addison disease", "Addison's disease",
            "adrenal insufficiency", "primary adrenocortical insufficiency"),
        one("hydrocortisone", "glucocorticoid replacement", "hydrocortisone replacement"),
        dx_rivals=("hypothyroidism",),
        tx_rivals=("hypothyroidism",),
    ),
)


# blood
BLOOD: tuple[Condition, ...] = (
    # Snook et al., British Society of Gastroenterology guideline for iron deficiency anaemia
    # in adults, Gut 2021: oral iron first line.
    Condition(
        "iron_deficiency_anemia", (22, 45), "female",
        ("fatigue and breathlessness on exertion with heavy menstrual periods",
         "months of tiredness; her periods have become very heavy"),
        ("Vegetarian diet.", "No gastrointestinal symptoms."),
        "conjunctival pallor, koilonychia, HR 96",
        "hemoglobin 8.9 g/dL, MCV 68 fL, ferritin 6 ng/mL",
        ("Platelets 480,000/uL.", "Celiac serology negative."),
        one("iron deficiency anemia", "iron deficiency anaemia", "iron deficiency"),
        one("oral iron", "ferrous sulfate", "ferrous sulphate", "ferrous fumarate",
            "ferrous gluconate", "iron supplementation", "iron supplements"),
        dx_rivals=("pernicious_anemia", "hypothyroidism"),
        tx_rivals=("pernicious_anemia",),
    ),
    # Devalia et al., BSH guideline on cobalamin and folate disorders, Br J Haematol 2014:
    # intramuscular hydroxocobalamin for pernicious anaemia, more often with neurological signs.
    Condition(
        "pernicious_anemia", (50, 75), "any",
        ("fatigue with numbness and tingling in both feet",
         "months of tiredness, a sore tongue and an unsteady gait"),
        ("Autoimmune hypothyroidism.", "Eats a mixed diet; no alcohol."),
        "pale, smooth red tongue, reduced vibration sense and proprioception in the feet",
        "hemoglobin 9.1 g/dL, MCV 118 fL, low vitamin B12, anti-intrinsic factor antibodies "
        "positive",
        ("Hypersegmented neutrophils on the smear.", "Folate normal."),
        one("pernicious anemia", "pernicious anaemia", "vitamin B12 deficiency",
            "B12 deficiency", "cobalamin deficiency"),
        one("intramuscular hydroxocobalamin", "hydroxocobalamin", "intramuscular vitamin B12",
            "IM vitamin B12", "IM B12", "vitamin B12 injections", "vitamin B12 injection",
            "B12 injections", "intramuscular cyanocobalamin", "parenteral vitamin B12"),
        dx_rivals=("iron_deficiency_anemia",),
        tx_rivals=("iron_deficiency_anemia",),
    ),
)
