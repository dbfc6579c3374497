"""Conditions of the chest: chest pain and dyspnea, respiratory infection, airway and allergy.

Rows of the reasoning task's table; conditions/__init__.py says how a row reads.
"""

from __future__ import annotations

from medtune.tasks.synthetic.answers import both, one
from medtune.tasks.synthetic.conditions.row import Condition

# chest pain and dyspnea
CHEST: tuple[Condition, ...] = (
    # O'Gara et al., ACCF/AHA STEMI guideline, Circulation 2013; Ibanez et al., ESC STEMI
    # guidelines 2017: primary PCI is the preferred reperfusion within 120 minutes.
    Condition(
        "stemi", (50, 80), "any",
        ("an hour of crushing substernal chest pain with sweating",
         "heavy central chest pain radiating to the jaw for 50 minutes"),
        ("Smoker with hypertension and diabetes.", "Hypercholesterolemia, not on treatment."),
        "diaphoretic, BP 136/82, HR 64",
        "ECG shows ST elevation in leads II, III and aVF with reciprocal ST depression in aVL; "
        "troponin is rising",
        ("Nausea.", "Aspirin was given by the paramedics."),
        one("inferior ST-elevation myocardial infarction", "inferior STEMI", "STEMI",
            "ST elevation myocardial infarction", "inferior myocardial infarction",
            "inferior wall myocardial infarction", "acute inferior myocardial infarction",
            "ST elevation MI", "inferior MI", "acute myocardial infarction",
            "myocardial infarction"),
        one("primary percutaneous coronary intervention", "primary PCI", "PCI",
            "percutaneous coronary intervention", "emergency coronary angioplasty",
            "primary angioplasty"),
        dx_rivals=("pericarditis", "aortic_dissection", "pulmonary_embolism"),
        tx_rivals=("pericarditis", "ischemic_stroke"),
        tx_question="A PCI-capable center is 20 minutes away. What is the preferred "
                    "reperfusion therapy?",
    ),
    # Adler et al., ESC guidelines for pericardial diseases, Eur Heart J 2015: aspirin or an
    # NSAID plus colchicine, first line (class I).
    Condition(
        "pericarditis", (20, 50), "any",
        ("sharp chest pain that is worse lying flat and eases on sitting forward",
         "two days of pleuritic central chest pain relieved by leaning forward"),
        ("A viral upper respiratory infection last week.", "No cardiac history."),
        "pericardial friction rub at the left sternal border, T 37.8 C",
        "ECG shows diffuse concave ST elevation with PR depression; troponin normal; "
        "echocardiogram shows a small effusion",
        ("BP 122/76.", "Lungs clear."),
        one("acute pericarditis", "pericarditis", "acute viral pericarditis", "viral pericarditis",
            "idiopathic pericarditis"),
        both("NSAID plus colchicine", ("NSAID", "NSAIDs", "ibuprofen", "aspirin", "naproxen",
                                       "nonsteroidal anti-inflammatory drug",
                                       "nonsteroidal anti-inflammatory drugs"), ("colchicine",)),
        dx_rivals=("stemi", "pulmonary_embolism", "aortic_dissection"),
        tx_rivals=("stemi", "pulmonary_embolism"),
    ),
    # Hiratzka et al., ACCF/AHA thoracic aortic disease guideline, Circulation 2010; Erbel et
    # al., ESC aortic diseases 2014: uncomplicated type B dissection is treated medically,
    # first with IV beta-blockade to lower heart rate and blood pressure.
    Condition(
        "aortic_dissection", (55, 80), "any",
        ("sudden tearing chest pain radiating to the back",
         "abrupt severe pain between the shoulder blades described as ripping"),
        ("Long-standing poorly controlled hypertension.", "Stopped taking antihypertensives."),
        "BP 176/98 in the right arm and 142/84 in the left, HR 96, pulses present in the legs",
        "chest X-ray shows a widened mediastinum; CT angiography shows an intimal flap in the "
        "descending thoracic aorta beyond the left subclavian artery (Stanford type B), no "
        "malperfusion",
        ("ECG shows left ventricular hypertrophy without ST elevation.", "Troponin normal."),
        one("aortic dissection", "acute aortic dissection", "type B aortic dissection",
            "Stanford type B aortic dissection", "descending aortic dissection"),
        one("IV beta-blocker", "intravenous beta-blocker", "IV beta blockade", "beta-blocker",
            "beta blocker", "esmolol", "labetalol", "metoprolol"),
        dx_rivals=("stemi", "pulmonary_embolism", "pericarditis"),
        tx_rivals=("stemi", "pulmonary_embolism"),
        tx_question="What is the first-line initial treatment?",
    ),
    # Konstantinides et al., ESC acute pulmonary embolism guidelines, Eur Heart J 2020:
    # anticoagulation (a DOAC preferred) for haemodynamically stable PE; no thrombolysis.
    Condition(
        "pulmonary_embolism", (30, 75), "any",
        ("sudden shortness of breath and pleuritic chest pain",
         "abrupt breathlessness with right-sided pleuritic pain"),
        ("Returned from a 14-hour flight three days ago.", "Ten days after a knee replacement.",
         "Active cancer on chemotherapy."),
        "HR 116, RR 24, SpO2 90% on room air, BP 128/78, swollen tender left calf",
        "CT pulmonary angiography shows a filling defect in a right lower lobe pulmonary "
        "artery; echocardiogram shows normal right ventricular function",
        ("Chest X-ray is clear.", "No hemoptysis."),
        one("pulmonary embolism", "PE", "acute pulmonary embolism", "pulmonary embolus",
            "pulmonary thromboembolism"),
        one("anticoagulation", "anticoagulant", "anticoagulants", "anticoagulant therapy",
            "apixaban", "rivaroxaban", "edoxaban", "dabigatran", "DOAC",
            "direct oral anticoagulant", "low molecular weight heparin", "enoxaparin", "heparin"),
        dx_rivals=("tension_pneumothorax", "community_acquired_pneumonia", "pericarditis"),
        tx_rivals=("aortic_dissection", "stemi"),
    ),
    # Advanced Trauma Life Support, 10th edition (American College of Surgeons 2018): tension
    # pneumothorax is a clinical diagnosis treated by immediate decompression (needle or
    # finger thoracostomy), then a chest tube; imaging must not delay it.
    Condition(
        "tension_pneumothorax", (18, 60), "any",
        ("rapidly worsening breathlessness after a motorcycle crash",
         "severe dyspnea minutes after a fall onto the right side of the chest"),
        ("Right-sided chest wall bruising.", "No known lung disease."),
        "BP 78/40, HR 136, absent breath sounds and hyperresonance on the right, trachea "
        "deviated to the left, distended neck veins",
        "no imaging yet; SpO2 84% on oxygen",
        ("Agitated and sweating.", "No external bleeding."),
        one("tension pneumothorax", "right tension pneumothorax"),
        one("needle decompression", "needle thoracostomy", "needle thoracocentesis",
            "finger thoracostomy", "immediate needle decompression"),
        dx_rivals=("pulmonary_embolism", "asthma_exacerbation"),
        tx_rivals=("pulmonary_embolism", "asthma_exacerbation"),
        tx_question="What is the immediate treatment?",
    ),
)


# respiratory infection
RESPIRATORY: tuple[Condition, ...] = (
    # Metlay et al., ATS/IDSA community-acquired pneumonia guideline, Am J Respir Crit Care
    # Med 2019: outpatient adults without comorbidities: amoxicillin (or doxycycline).
    Condition(
        "community_acquired_pneumonia", (20, 60), "any",
        ("three days of fever and cough productive of rusty sputum",
         "fever, chills and a productive cough with right-sided pleuritic pain"),
        ("Previously healthy, no antibiotics in the past 3 months.",
         "No comorbidities; well enough to be treated at home (CURB-65 score 0)."),
        "T 38.9 C, RR 22, SpO2 95%, crackles and bronchial breathing over the right lower lobe",
        "chest X-ray shows right lower lobe consolidation",
        ("WBC 15,200/uL.", "Urea and blood pressure are normal."),
        one("community-acquired pneumonia", "pneumonia", "lobar pneumonia",
            "bacterial pneumonia", "pneumococcal pneumonia", "right lower lobe pneumonia", "CAP"),
        one("amoxicillin", "doxycycline"),
        dx_rivals=("acute_bronchitis", "pulmonary_embolism"),
        tx_rivals=("acute_bronchitis",),
        tx_question="What is the first-line antibiotic for outpatient treatment?",
    ),
    # Harris et al., ACP/CDC high-value care advice, Ann Intern Med 2016: acute bronchitis
    # should not be treated with antibiotics unless pneumonia is suspected.
    Condition(
        "acute_bronchitis", (25, 55), "any",
        ("ten days of cough that began with a cold",
         "a cough for a week and a half, productive of clear sputum"),
        ("Nonsmoker, no lung disease.", "Sore throat and runny nose at the start."),
        "T 37.1 C, HR 82, RR 16, SpO2 98%, scattered rhonchi that clear with coughing, no focal "
        "crackles",
        "chest X-ray is clear",
        ("No wheeze.", "Eating and drinking normally."),
        one("acute bronchitis", "bronchitis", "acute viral bronchitis", "viral bronchitis",
            "chest cold"),
        one("supportive care", "symptomatic treatment", "symptomatic care",
            "supportive treatment", "no antibiotics"),
        dx_rivals=("community_acquired_pneumonia", "asthma_exacerbation"),
        tx_rivals=("community_acquired_pneumonia",),
    ),
    # Shulman et al., IDSA group A streptococcal pharyngitis guideline, Clin Infect Dis 2012:
    # penicillin or amoxicillin for 10 days.
    Condition(
        "strep_pharyngitis", (16, 35), "any",
        ("two days of sore throat and fever without cough",
         "a painful throat and fever of 38.8 C since yesterday, no cough"),
        ("No known drug allergies.", "Sibling had a similar illness last week."),
        "tonsillar swelling with exudate, tender anterior cervical lymph nodes, no "
        "splenomegaly",
        "rapid streptococcal antigen test is positive",
        ("No rash.", "No hoarseness or conjunctivitis."),
        one("streptococcal pharyngitis", "strep throat", "strep pharyngitis",
            "group A streptococcal pharyngitis", "group A strep pharyngitis",
            "streptococcal tonsillitis", "GAS pharyngitis"),
        one("penicillin V", "penicillin", "phenoxymethylpenicillin", "amoxicillin",
            "benzathine penicillin"),
        dx_rivals=("mononucleosis",),
        tx_rivals=("mononucleosis",),
    ),
    # Womack & Jimenez, Common questions about infectious mononucleosis, Am Fam Physician
    # 2015: supportive care; no antivirals, no routine steroids, avoid contact sports.
    Condition(
        "mononucleosis", (15, 25), "any",
        ("two weeks of sore throat, fever and marked fatigue",
         "fever, sore throat and exhaustion for ten days"),
        ("College student.", "Partner was ill with similar symptoms last month."),
        "tonsillar exudate, posterior cervical lymphadenopathy, palpable spleen tip",
        "blood smear shows atypical lymphocytes; heterophile antibody (Monospot) test is "
        "positive",
        ("ALT mildly raised.", "Rapid streptococcal antigen test negative."),
        one("infectious mononucleosis", "mononucleosis", "mono", "glandular fever",
            "EBV infection", "Epstein-Barr virus infection", "Epstein-Barr virus mononucleosis"),
        one("supportive care", "supportive treatment", "symptomatic treatment",
            "symptomatic care", "rest and fluids"),
        dx_rivals=("strep_pharyngitis",),
        tx_rivals=("strep_pharyngitis",),
    ),
)


# airway and allergy
AIRWAY: tuple[Condition, ...] = (
    # Shaker et al., Anaphylaxis practice parameter update, J Allergy Clin Immunol 2020:
    # intramuscular epinephrine first; antihistamines and steroids are adjuncts.
    Condition(
        "anaphylaxis", (18, 50), "any",
        ("lip swelling, hives and wheezing ten minutes after eating peanuts",
         "widespread hives, throat tightness and wheeze minutes after a bee sting"),
        ("No previous similar reactions.", "Takes no regular medicines."),
        "BP 82/50, HR 124, diffuse urticaria, lip and tongue swelling, bilateral wheeze",
        "SpO2 91% on room air",
        ("Abdominal cramps.", "Hoarse voice."),
        one("anaphylaxis", "anaphylactic reaction", "anaphylactic shock"),
        one("intramuscular epinephrine", "IM epinephrine", "epinephrine", "adrenaline",
            "IM adrenaline", "intramuscular adrenaline"),
        dx_rivals=("asthma_exacerbation",),
        tx_rivals=("asthma_exacerbation",),
    ),
    # Global Initiative for Asthma (GINA) report 2023, management of exacerbations: repeated
    # inhaled short-acting beta2-agonist (with ipratropium and systemic steroid if moderate+).
    Condition(
        "asthma_exacerbation", (18, 35), "any",
        ("wheezing and shortness of breath for a day after a cold",
         "worsening wheeze and chest tightness since last night"),
        ("Asthma since childhood; using the reliever inhaler more often this week.",
         "Known asthma; ran out of the preventer inhaler."),
        "speaks in full sentences, RR 22, HR 104, SpO2 94%, widespread expiratory wheeze",
        "peak flow 60% of personal best",
        ("No fever.", "No urticaria or facial swelling."),
        one("acute asthma exacerbation", "asthma exacerbation", "asthma attack", "acute asthma",
            "exacerbation of asthma"),
        one("inhaled short-acting beta-agonist", "short-acting beta-agonist", "SABA",
            "salbutamol", "albuterol", "inhaled salbutamol", "inhaled albuterol",
            "short-acting beta2-agonist"),
        dx_rivals=("anaphylaxis", "acute_bronchitis"),
        tx_rivals=("anaphylaxis",),
    ),
)
