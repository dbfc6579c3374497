"""UTI: does a short clinical note describe a urinary tract infection? (text classification)

A note describes a UTI only when it reports pyuria AND at least one lower urinary tract symptom
(the paper's rule). The rule's sources, the symptom and pyuria definitions and the distractors
the synthetic notes carry are in tasks/synthetic/uti.py, which writes the notes.
"""

from __future__ import annotations

import random

from medtune.data.records import Example
from medtune.tasks import register_task
from medtune.tasks.base import Endpoint, Label, Task, draw_fitting
from medtune.tasks.synthetic.uti import MAX_WORDS, MIN_WORDS, NEGATIVE_CASES, write_note

# Kept short on purpose: every prompt token is paid for in every training step on a CPU.
QUESTION = ("Question: UTI = pyuria AND at least one lower urinary tract symptom (dysuria, "
            "frequency, urgency, suprapubic pain). UTI? Answer yes or no.")


@register_task
class UTITask(Task):
    """UTI = pyuria AND at least one lower urinary tract symptom (tasks/synthetic/uti.py).

    One endpoint, "uti" (yes / no, positive "yes"); the answer is exactly "yes" or "no".
    """

    name = "uti"
    kind = "classification"
    description = ("Does a clinical note describe a urinary tract infection? Yes only when it "
                   "reports pyuria (>=10 WBC/hpf) AND at least one lower urinary tract symptom "
                   "(dysuria, frequency, urgency, suprapubic pain); pyuria alone, or symptoms "
                   "with a clean urinalysis, is no.")
    system_prompt = "You classify clinical notes by stated criteria."
    endpoints = (Endpoint("uti", labels=("yes", "no"), positive="yes"),)

    def answer(self, label: Label) -> str:
        value = self.label_dict(label)["uti"]
        if value not in ("yes", "no"):
            raise ValueError(f"uti label must be 'yes' or 'no', got {value!r}")
        return value

    def render_prompt(self, passage: str) -> str:
        return f"Clinical note:\n{passage}\n\n{QUESTION}"

    def generate(self, n: int, seed: int) -> list[Example]:
        """n notes, half UTI (the odd one out is a coin flip), negatives spread over the six
        distractor cases; deterministic by seed."""
        rng = random.Random(seed)
        cases = ["cystitis"] * (n // 2) + [rng.choice(NEGATIVE_CASES) for _ in range(n // 2)]
        if n % 2:
            cases.append(rng.choice(("cystitis", rng.choice(NEGATIVE_CASES))))
        rng.shuffle(cases)
        out = []
        for i, case in enumerate(cases):
            passage, meta = draw_fitting(rng, lambda r: write_note(r, case), MIN_WORDS, MAX_WORDS, f"{case} note")
            label = "yes" if meta["pyuria"] and meta["symptoms"] else "no"
            assert (label == "yes") == (case == "cystitis"), (case, meta)
            out.append(Example(id=f"uti-{seed}-{i:05d}", prompt=self.render_prompt(passage),
                               chosen=self.answer(label), label=label, meta=meta))
        return out
