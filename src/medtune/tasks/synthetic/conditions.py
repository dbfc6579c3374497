"""The table of conditions the reasoning task builds its vignettes from.

Each row is a classic presentation (complaint, history, examination, key tests), the diagnosis
and, where one first-line treatment is agreed, that treatment, with its source in a comment.
Accepted answers are phrase groups (tasks/scoring/open_answers.py): every group must be named, any
phrase of a group names it; synonyms are the names a physician would accept. Rows without a
treatment are asked for the diagnosis only, because their first step is a bundle (DKA: fluids,
insulin, potassium) or depends on a specialist's choice.

``dx_rivals`` and ``tx_rivals`` name related rows whose answer is a *plausible wrong* answer
here: the rejected answer of a DPO pair, and what makes a hedged answer wrong in grading
("appendicitis or ectopic pregnancy"). They are chosen so that the rival's answer is clearly
wrong for this row (nitrofurantoin does not reach renal tissue in pyelonephritis;
anticoagulation is contraindicated in pericarditis and aortic dissection; amoxicillin in
mononucleosis; antibiotics are not indicated in acute bronchitis).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Answer:
    text: str                              # the gold answer as the model should write it
    groups: tuple[tuple[str, ...], ...]    # accepted: every group named, any phrase of each


def one(text: str, *synonyms: str) -> Answer:
    return Answer(text, ((text, *synonyms),))


def both(text: str, first: tuple[str, ...], second: tuple[str, ...]) -> Answer:
    return Answer(text, (first, second))


@dataclass(frozen=True)
class Condition:
    key: str
    ages: tuple[int, int]
    sex: str                       # "female", "male" or "any"
    complaints: tuple[str, ...]    # one is told: a noun phrase after "presents with"
    history: tuple[str, ...]       # one is told (a sentence), if any
    exam: str                      # always told
    tests: str                     # always told: the key tests
    extras: tuple[str, ...]        # 0-2 supporting findings are added, as sentences
    diagnosis: Answer
    treatment: Answer | None
    dx_rivals: tuple[str, ...]
    tx_rivals: tuple[str, ...] = ()
    tx_question: str | None = None  # when "first-line treatment" needs narrowing


CONDITIONS: tuple[Condition, ...] = (
    # --- abdomen ------------------------------------------------------------------------------
    # Di Saverio et al., WSES Jerusalem guidelines on acute appendicitis, World J Emerg Surg
    # 2020: appendectomy (laparoscopic preferred) is the treatment of choice.
    Condition(
        "appendicitis", (18, 45), "any",
        ("abdominal pain that began around the umbilicus and moved to the right lower quadrant",
         "a day of periumbilical pain now localized to the right lower quadrant"),
        ("Anorexia and nausea since the pain began.", "No previous abdominal surgery."),
        "T 38.1 C, tenderness and guarding at McBurney's point",
        "WBC 14,800/uL with neutrophilia; CT shows a dilated, non-compressible appendix with "
        "periappendiceal fat stranding",
        ("Positive Rovsing sign.", "Urinalysis is normal.", "Pain on coughing."),
        one("acute appendicitis", "appendicitis"),
        one("appendectomy", "laparoscopic appendectomy", "appendicectomy"),
        dx_rivals=("cholecystitis", "ectopic_pregnancy", "pyelonephritis"),
        tx_rivals=("cholecystitis",),
    ),
    # Okamoto et al., Tokyo Guidelines 2018 (TG18) flowchart for acute cholecystitis,
    # J Hepatobiliary Pancreat Sci 2018: early laparoscopic cholecystectomy for grade I-II.
    Condition(
        "cholecystitis", (35, 65), "any",
        ("12 hours of constant right upper quadrant pain that began after a fatty meal",
         "right upper quadrant pain radiating to the right shoulder since last night"),
        ("Similar but brief episodes after meals in the past months.", "Vomited twice."),
        "T 38.3 C, right upper quadrant tenderness with inspiratory arrest on palpation "
        "(Murphy sign)",
        "WBC 13,600/uL; ultrasound shows gallstones, a thickened gallbladder wall and "
        "pericholecystic fluid",
        ("Bilirubin and lipase are normal.", "No jaundice."),
        one("acute cholecystitis", "acute calculous cholecystitis", "cholecystitis",
            "calculous cholecystitis"),
        one("laparoscopic cholecystectomy", "cholecystectomy", "early laparoscopic cholecystectomy"),
        dx_rivals=("pancreatitis", "appendicitis", "pyelonephritis"),
        tx_rivals=("appendicitis",),
    ),
    # Tenner et al., ACG guideline: management of acute pancreatitis, Am J Gastroenterol 2013,
    # and Crockett et al., AGA guideline 2018: early goal-directed IV fluid resuscitation.
    # Alcohol-related here (no gallstones on ultrasound), so cholecystectomy is clearly wrong.
    Condition(
        "pancreatitis", (30, 60), "any",
        ("severe epigastric pain radiating to the back with persistent vomiting",
         "sudden epigastric pain boring through to the back"),
        ("Drinks about a bottle of vodka a day.", "Binge drinking over the weekend."),
        "epigastric tenderness with guarding, HR 108",
        "serum lipase 1,850 U/L (more than three times the upper limit of normal); ultrasound "
        "shows no gallstones",
        ("Pain eases on leaning forward.", "Triglycerides are normal."),
        one("acute pancreatitis", "pancreatitis", "alcoholic pancreatitis",
            "alcohol induced pancreatitis"),
        one("IV fluid resuscitation", "intravenous fluid resuscitation", "iv fluids",
            "intravenous fluids", "fluid resuscitation", "lactated ringer's", "ringer's lactate",
            "aggressive hydration", "iv hydration", "intravenous hydration"),
        dx_rivals=("cholecystitis", "stemi"),
        tx_rivals=("cholecystitis",),
    ),
    # ACOG Practice Bulletin 193, Tubal ectopic pregnancy, Obstet Gynecol 2018 (diagnosis by
    # hCG and transvaginal ultrasound). Asked for the diagnosis only: methotrexate or surgery
    # depend on hCG level, rupture and the patient's choice.
    Condition(
        "ectopic_pregnancy", (18, 40), "female",
        ("lower abdominal pain and vaginal spotting after 7 weeks of amenorrhea",
         "left-sided pelvic pain and light vaginal bleeding; her last period was 6 weeks ago"),
        ("History of pelvic inflammatory disease.", "Not using contraception."),
        "left adnexal tenderness, closed cervical os, BP 118/72",
        "serum hCG 2,400 mIU/mL; transvaginal ultrasound shows an empty uterus and a left "
        "adnexal mass",
        ("No fever.", "Urinalysis is normal."),
        one("ectopic pregnancy", "tubal ectopic pregnancy", "tubal pregnancy"),
        None,
        dx_rivals=("appendicitis", "pyelonephritis"),
    ),
    # --- chest pain and dyspnea -----------------------------------------------------------------
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
    # --- respiratory infection --------------------------------------------------------------
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
    # --- urinary tract ------------------------------------------------------------------------
    # Gupta et al., IDSA/ESCMID guideline on uncomplicated cystitis and pyelonephritis in
    # women, Clin Infect Dis 2011: cystitis: nitrofurantoin, TMP-SMX (resistance <20%),
    # fosfomycin or pivmecillinam; fluoroquinolones kept for other uses.
    Condition(
        "cystitis", (18, 45), "female",
        ("two days of dysuria and urinary frequency",
         "burning on urination with urgency and suprapubic discomfort since yesterday"),
        ("Not pregnant; no previous urinary infections.", "Sexually active, not pregnant."),
        "afebrile, mild suprapubic tenderness, no costovertebral angle tenderness",
        "urine dipstick positive for leukocyte esterase and nitrite",
        ("No vaginal discharge.", "No flank pain or nausea."),
        one("acute uncomplicated cystitis", "cystitis", "uncomplicated cystitis",
            "acute cystitis", "lower urinary tract infection", "uncomplicated urinary tract "
            "infection", "bladder infection", "urinary tract infection", "UTI"),
        one("nitrofurantoin", "fosfomycin", "trimethoprim-sulfamethoxazole", "TMP-SMX",
            "co-trimoxazole", "pivmecillinam"),
        dx_rivals=("pyelonephritis",),
        tx_rivals=("pyelonephritis",),
    ),
    # Gupta et al. 2011 (as above): outpatient pyelonephritis: oral ciprofloxacin where
    # fluoroquinolone resistance is <10%; nitrofurantoin does not reach renal tissue.
    Condition(
        "pyelonephritis", (18, 45), "female",
        ("fever, chills and right flank pain after three days of dysuria",
         "right flank pain with fever and nausea"),
        ("Not pregnant, tolerating oral fluids.", "Not pregnant; no urological history."),
        "T 39.1 C, HR 104, BP 122/74, right costovertebral angle tenderness",
        "urinalysis shows pyuria and white cell casts; urine culture sent",
        ("Local fluoroquinolone resistance is under 10%.", "Creatinine normal."),
        one("acute pyelonephritis", "pyelonephritis", "acute uncomplicated pyelonephritis",
            "upper urinary tract infection", "kidney infection"),
        one("oral ciprofloxacin", "ciprofloxacin", "levofloxacin", "fluoroquinolone"),
        dx_rivals=("cystitis", "cholecystitis", "appendicitis"),
        tx_rivals=("cystitis",),
    ),
    # --- nervous system ---------------------------------------------------------------------
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
    # --- endocrine and metabolic ---------------------------------------------------------------
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
    # --- blood ------------------------------------------------------------------------------
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
    # --- airway and allergy ---------------------------------------------------------------------
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
    # --- joints ---------------------------------------------------------------------------------
    # Neogi, Gout, N Engl J Med 2011 and FitzGerald et al., ACR gout guideline, Arthritis Care
    # Res 2020 (diagnosis by monosodium urate crystals). Diagnosis only: colchicine, an NSAID
    # and a glucocorticoid are equal first-line options.
    Condition(
        "gout", (45, 75), "male",
        ("sudden severe pain, redness and swelling of the right big toe overnight",
         "an exquisitely painful, swollen first toe joint that woke him at night"),
        ("Drank heavily at a party the evening before.", "Started hydrochlorothiazide last month."),
        "warm, red, swollen, very tender right first metatarsophalangeal joint, T 37.6 C",
        "joint aspirate shows needle-shaped, negatively birefringent crystals; Gram stain "
        "negative",
        ("Serum urate 9.2 mg/dL.", "No trauma."),
        one("acute gout", "gout", "gout flare", "acute gouty arthritis", "gouty arthritis",
            "podagra"),
        None,
        dx_rivals=("septic_arthritis", "pseudogout"),
    ),
    # Mathews et al., Bacterial septic arthritis in adults, Lancet 2010. Diagnosis only:
    # drainage and IV antibiotics chosen by Gram stain.
    Condition(
        "septic_arthritis", (30, 75), "any",
        ("two days of a hot, painful, swollen right knee with fever",
         "a painful swollen knee that cannot bear weight, and fevers"),
        ("Rheumatoid arthritis on methotrexate.", "Diabetes; no injury."),
        "T 38.8 C, hot knee effusion, pain on any passive movement",
        "synovial fluid WBC 85,000/uL with 92% neutrophils, no crystals, Gram-positive cocci "
        "in clusters",
        ("CRP 180 mg/L.", "Blood cultures pending."),
        one("septic arthritis", "bacterial arthritis", "septic knee", "infectious arthritis",
            "staphylococcal septic arthritis"),
        None,
        dx_rivals=("gout", "pseudogout"),
    ),
    # Zhang et al., EULAR recommendations for calcium pyrophosphate deposition, Ann Rheum Dis
    # 2011: rhomboid, weakly positively birefringent crystals; chondrocalcinosis.
    Condition(
        "pseudogout", (65, 88), "any",
        ("a swollen, painful left knee for two days",
         "sudden pain and swelling of the left knee"),
        ("Hyperparathyroidism.", "Osteoarthritis of both knees."),
        "warm left knee effusion, T 37.5 C",
        "synovial fluid shows rhomboid, positively birefringent crystals and no organisms; "
        "knee X-ray shows chondrocalcinosis",
        ("Synovial fluid WBC 18,000/uL.", "Gram stain negative."),
        one("pseudogout", "acute calcium pyrophosphate crystal arthritis", "CPPD",
            "calcium pyrophosphate deposition disease", "acute CPP crystal arthritis",
            "calcium pyrophosphate deposition"),
        None,
        dx_rivals=("gout", "septic_arthritis"),
    ),
)

BY_KEY = {c.key: c for c in CONDITIONS}
