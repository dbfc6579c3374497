"""Conditions of the nervous system.

Rows of the reasoning task's table; conditions/__init__.py says how a row reads.
"""

from __future__ import annotations

from medtune.tasks.synthetic.answers import both, one
from medtune.tasks.synthetic.conditions.row import Condition

# nervous system
NERVOUS: tuple[Condition, ...] = (
    # Tunkel et al., IDSA bacterial meningitis guideline, Clin Infect Dis 2004: adults 2-50
    # years: vancomycin plus a third-generation cephalosporin (ceftriaxone or cefotaxime),
    # with dexamethasone.
    Condition(
        "bacterial_meningitis", (18, 50), "any",
        ("fever, severe headache and confusion for 12 hours",
         "a day of headache, vomiting and fever, now drowsy"),
        ("No recent travel.", "No immunosuppression."),
        "T 39.4 C, neck stiffness, positive Kernig sign, no focal deficit, no papilledema",
        "CSF: WBC 2,400/uL with 90% neutrophils, glucose 20 mg/dL, protein 250 mg/dL",
        ("Petechial rash on the legs.", "Head CT is normal."),
        one("bacterial meningitis", "acute bacterial meningitis", "meningococcal meningitis",
            "pneumococcal meningitis", "pyogenic meningitis"),
        both("IV ceftriaxone plus vancomycin", ("ceftriaxone", "cefotaxime",
                                                "third-generation cephalosporin"),
             ("vancomycin",)),
        dx_rivals=("subarachnoid_hemorrhage", "ischemic_stroke"),
        tx_rivals=("ischemic_stroke", "community_acquired_pneumonia"),
        tx_question="What is the first-line empirical antibiotic treatment?",
    ),
    # Connolly et al., AHA/ASA aneurysmal subarachnoid hemorrhage guideline, Stroke 2012.
    # Diagnosis only: treatment is a bundle (securing the aneurysm, nimodipine, BP control).
    Condition(
        "subarachnoid_hemorrhage", (35, 65), "any",
        ("a sudden severe headache, described as the worst ever, while lifting weights",
         "a thunderclap headache that peaked within a minute"),
        ("Smoker.", "Hypertension."),
        "neck stiffness, photophobia, no focal neurological deficit, GCS 15",
        "non-contrast head CT shows blood in the basal cisterns",
        ("Vomited once.", "No fever."),
        one("subarachnoid hemorrhage", "SAH", "aneurysmal subarachnoid hemorrhage",
            "subarachnoid haemorrhage", "ruptured cerebral aneurysm", "ruptured berry aneurysm"),
        None,
        dx_rivals=("bacterial_meningitis", "ischemic_stroke"),
    ),
    # Powers et al., AHA/ASA early management of acute ischemic stroke, Stroke 2019: IV
    # alteplase within 4.5 hours of last known well for eligible patients.
    Condition(
        "ischemic_stroke", (60, 85), "any",
        ("sudden right-sided weakness and difficulty speaking that began 90 minutes ago",
         "right arm and face weakness with garbled speech, last known well 80 minutes ago"),
        ("No anticoagulant use, no recent surgery or bleeding.",
         "Atrial fibrillation, not anticoagulated; no recent bleeding."),
        "right facial droop and arm weakness, expressive aphasia, BP 168/92",
        "non-contrast head CT shows no hemorrhage; glucose 112 mg/dL; platelets and INR normal",
        ("NIH stroke scale 9.", "No seizure at onset."),
        one("acute ischemic stroke", "ischemic stroke", "ischaemic stroke", "cerebral infarction",
            "left MCA stroke", "left middle cerebral artery stroke", "embolic stroke"),
        one("IV alteplase", "alteplase", "intravenous alteplase", "tPA", "IV tPA", "rtPA",
            "thrombolysis", "intravenous thrombolysis", "IV thrombolysis", "tenecteplase",
            "thrombolytic therapy"),
        dx_rivals=("subarachnoid_hemorrhage", "bell_palsy"),
        tx_rivals=("pulmonary_embolism", "bell_palsy"),
    ),
    # Baugh et al., AAO-HNS clinical practice guideline: Bell's palsy, Otolaryngol Head Neck
    # Surg 2013: oral steroids within 72 hours of onset.
    Condition(
        "bell_palsy", (20, 60), "any",
        ("drooping of the left side of the face noticed on waking",
         "left facial weakness since this morning, unable to close the left eye"),
        ("Mild ache behind the left ear yesterday.", "No recent trauma."),
        "weakness of the whole left face including the forehead, no limb weakness, no other "
        "neurological deficit",
        "ears show no vesicles; glucose normal",
        ("Taste reduced on the left of the tongue.", "Hearing normal."),
        one("Bell palsy", "Bell's palsy", "idiopathic facial nerve palsy",
            "idiopathic facial palsy"),
        one("oral corticosteroids", "corticosteroids", "oral steroids", "steroids",
            "prednisolone", "prednisone", "glucocorticoids"),
        dx_rivals=("ischemic_stroke",),
        tx_rivals=("ischemic_stroke",),
    ),
)
