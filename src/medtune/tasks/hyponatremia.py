"""Hyponatremia: labs, volume status and history -> the category of the diagnostic algorithm.
(numeric classification; the preprint's second task, where neither SFT nor DPO helped.)

The algorithm (European guideline on hyponatraemia, Spasovski et al. 2014), its thresholds and
the case generator are in tasks/synthetic/hyponatremia.py.
"""

from __future__ import annotations

import random

from medtune.data.records import Example
from medtune.tasks import register_task
from medtune.tasks.base import Endpoint, Label, Task, equal_shares
from medtune.tasks.synthetic.hyponatremia import CATEGORIES, SIADH, categorize, write_case

# Kept short on purpose: every prompt token is paid for in every training step on a CPU.
QUESTION = ("Category (ESE 2014 algorithm)? Answer one of: low solute or polydipsia; "
            "extrarenal loss; renal loss; SIADH; hypervolemic.")


@register_task
class HyponatremiaTask(Task):
    """Hypotonic hyponatremia -> one of five categories of the ESE 2014 algorithm.

    One endpoint, "category". Positive class for F1, sensitivity and specificity: "SIADH".
    Why: it is the commonest cause of hyponatremia in hospital and the category whose
    misreading changes treatment most: SIADH is treated by fluid restriction, hypovolaemia by
    isotonic saline; a hypovolaemic patient misread as SIADH is fluid-restricted when they
    need volume, and isotonic saline given in SIADH can lower the sodium further (the kidney
    keeps the water and excretes the salt). It also needs every lab and the history together,
    so it is the hardest reading to get right.
    """

    name = "hyponatremia"
    kind = "classification"
    description = ("Hypotonic hyponatremia: serum Na, serum and urine osmolality, urine Na, "
                   "volume status and history -> low solute or polydipsia (urine osm <=100), "
                   "extrarenal loss or hypervolemic (urine Na <=30), renal loss (urine Na >30 "
                   "with diuretics or kidney disease), or SIADH (euvolemic, urine Na >30).")
    system_prompt = "You classify hyponatremia by the European 2014 guideline algorithm."
    endpoints = (Endpoint("category", labels=CATEGORIES, positive=SIADH),)

    def answer(self, label: Label) -> str:
        value = self.label_dict(label)["category"]
        if value not in CATEGORIES:
            raise ValueError(f"hyponatremia label must be one of {list(CATEGORIES)}, "
                             f"got {value!r}")
        return value

    def render_prompt(self, passage: str) -> str:
        return f"{passage}\n{QUESTION}"

    def generate(self, n: int, seed: int) -> list[Example]:
        """n cases, the five categories in equal shares (remainder at random), shuffled;
        deterministic by seed."""
        rng = random.Random(seed)
        cats = equal_shares(rng, CATEGORIES, n)
        out = []
        for i, category in enumerate(cats):
            passage, meta = write_case(rng, category)
            label = categorize(meta, meta["volume"], meta["diuretic_or_renal"])
            assert label == category, (category, meta)
            out.append(Example(id=f"hyponatremia-{seed}-{i:05d}",
                               prompt=self.render_prompt(passage), chosen=self.answer(label),
                               label=label, meta=meta))
        return out
