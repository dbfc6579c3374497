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

The rows live in one module per body system beside this one; ``row.py`` holds the row's type,
``answers.py`` (one folder up) the accepted answers.
"""

from __future__ import annotations

from medtune.tasks.synthetic.conditions import abdomen, chest, joints, metabolic, nervous
from medtune.tasks.synthetic.conditions.row import Condition

# In the table's original order: vignettes draw their condition by position, so the order is
# part of what the generator produces.
CONDITIONS: tuple[Condition, ...] = (
    *abdomen.ABDOMEN,
    *chest.CHEST,
    *chest.RESPIRATORY,
    *abdomen.URINARY,
    *nervous.NERVOUS,
    *metabolic.ENDOCRINE,
    *metabolic.BLOOD,
    *chest.AIRWAY,
    *joints.JOINTS,
)

BY_KEY = {c.key: c for c in CONDITIONS}
