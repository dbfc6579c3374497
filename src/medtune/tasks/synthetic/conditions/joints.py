"""Conditions of the joints.

Rows of the reasoning task's table; conditions/__init__.py says how a row reads.
"""

from __future__ import annotations

from medtune.tasks.synthetic.answers import one
from medtune.tasks.synthetic.conditions.row import Condition

# joints
JOINTS: tuple[Condition, ...] = (
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
