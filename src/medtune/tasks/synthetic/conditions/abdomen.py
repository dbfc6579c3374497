"""Conditions of the abdomen and the urinary tract.

Rows of the reasoning task's table; conditions/__init__.py says how a row reads.
"""

from __future__ import annotations

from medtune.tasks.synthetic.answers import one
from medtune.tasks.synthetic.conditions.row import Condition

# abdomen
ABDOMEN: tuple[Condition, ...] = (
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
)


# urinary tract
URINARY: tuple[Condition, ...] = (
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
)
