"""MedQA (Jin et al. 2021, USMLE-style questions) made open-ended, as the paper did.

The paper (Savage et al. 2025, "Clinical Reasoning") used MedQA step 2&3 questions with the
answer options removed, so the model must produce the answer rather than pick a letter; DPO's
rejected answer was a random wrong option. This adapter does the same on MedQA's JSONL:
``question``, ``answer`` (text of the right option), ``options`` ({letter: text}),
``meta_info`` ("step1" or "step2&3"), ``answer_idx`` (the right letter).

Question stems end in "Which of the following ...?", which makes no sense without the options;
``open_question`` rewrites them by the rules in ``REWRITES`` (first match wins, one rewrite per
question). Options and the right letter stay in ``meta`` so open answers can be graded:
``grade_open_answer`` gives a normalized match to the gold option; an answer that names no
option or only a wrong one is incorrect, and token-overlap F1 (SQuAD's answer F1) only breaks
ties between options the answer names. An answer that names the right thing in other words ("MI" for "myocardial
infarction") needs the equivalence judge of the graders.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from medtune.data.records import Example
from medtune.errors import UserError
from medtune.tasks.scoring.open_answers import named, normalize_answer, token_f1
from medtune.tasks.rejected import fill_rejected

SYSTEM_PROMPT = ("You are a physician answering a clinical vignette. Give the single best "
                 "answer in a few words.")

_VERBS = ("is|are|was|were|best|would|could|should|will|most|has|have|can|does|do|did|"
          "explains|describes|accounts")
# (name, pattern, replacement): applied in order, first match only; case-insensitive, and the
# replacement keeps the capital of a sentence start.
REWRITES: tuple[tuple[str, str, str], ...] = (
    ("of_the_following_which", r"\bof the following,? which\b", "which"),
    ("preposition_which_end", r"\b(of|to|by|with|for|from|in|on|at)\s+which of the following\s*\?",
     r"\1 what?"),
    ("which_end", r"\bwhich of the following\s*\?", "what?"),
    ("which_verb", rf"\bwhich of the following\s+({_VERBS})\b", r"what \1"),
    ("which_noun", r"\bwhich of the following\s+([a-z-]+)", r"which \1"),
)


# --- making questions open-ended ----------------------------------------------------------
def open_question(question: str) -> tuple[str, str | None]:
    """The question without its reference to options, and the name of the rule used (None
    when no rule applied and the question is returned unchanged)."""
    for name, pattern, repl in REWRITES:
        m = re.search(pattern, question, flags=re.IGNORECASE)
        if m is None:
            continue
        new = m.expand(repl)
        if m.group(0)[:1].isupper():
            new = new[:1].upper() + new[1:]
        return question[: m.start()] + new + question[m.end():], name
    return question, None


# --- grading an open answer ---------------------------------------------------------------
@dataclass(frozen=True)
class OpenGrade:
    gold: str              # letter of the right option
    exact: bool            # normalized answer equals the gold option, or names only it
    closest: str | None    # among the options the answer names, the one with the highest token
    #                        F1; None when it names none, or the best is shared
    f1: dict[str, float]   # token F1 against every option
    named: tuple[str, ...] = ()  # letters of the options the answer names, as whole phrases

    @property
    def correct(self) -> bool:
        return self.exact or self.closest == self.gold


def grade_open_answer(answer: str, options: dict[str, str], answer_idx: str) -> OpenGrade:
    """Grade a free-text answer against the options. ``exact``: the normalized answer equals
    the normalized gold option, or the gold option appears in it as a whole phrase and no
    other option does. An answer that names no option, or names only a wrong one, is
    incorrect: a shared word ("tumor" in "carcinoma in situ breast cancer ... tumor") never
    makes an unnamed option right. Token F1 (closeness) only breaks the tie when the answer
    names several options: ``closest`` is the named option with the best token F1 (None if
    shared). ``correct`` is exact, or closest is the gold letter."""
    # an option named only as part of a longer named option ("anemia" in "iron deficiency
    # anemia") does not count as a second answer
    options_named = named(answer, {k: [[v]] for k, v in options.items()})
    exact = normalize_answer(answer) == normalize_answer(options[answer_idx]) or options_named == [answer_idx]
    f1 = {k: token_f1(answer, v) for k, v in options.items()}
    closest = None
    if options_named:
        best = max(f1[k] for k in options_named)
        top = [k for k in options_named if f1[k] == best]
        closest = top[0] if len(top) == 1 else None
    return OpenGrade(gold=answer_idx, exact=exact, closest=closest, f1=f1, named=tuple(options_named))


# --- the adapter --------------------------------------------------------------------------
def read_medqa(path: str | Path, meta_info: str | None = None, seed: int = 0) -> list[Example]:
    """MedQA JSONL -> open-ended Examples (label None; options, answer_idx, meta_info and the
    rewrite rule in meta). ``meta_info`` keeps only questions with that value ("step2&3").
    ``rejected`` is a wrong option drawn with Random(f"{seed}:{id}"). The id is a hash of the
    question, so the same question always gets the same id and a repeated one is reported.
    Every malformed line is reported at once as FILE:LINE."""
    from medtune.data.readers import read_jsonl

    rows = read_jsonl(path)
    if not rows:
        raise UserError(f"{path}: no questions; a MedQA file has one JSON object per line "
                        "(question, answer, options, meta_info, answer_idx)")
    examples: list[Example] = []
    problems: list[str] = []
    first_line: dict[str, int] = {}
    seen_meta: Counter = Counter()
    for line, raw in rows:
        found = _check_row(raw)
        if found:
            problems += [f"{path}:{line}: {p}" for p in found]
            continue
        seen_meta[raw.get("meta_info")] += 1
        if meta_info is not None and raw.get("meta_info") != meta_info:
            continue
        qid = "medqa-" + hashlib.sha1(raw["question"].strip().encode()).hexdigest()[:12]
        if qid in first_line:
            problems.append(f"{path}:{line}: question: same question as line {first_line[qid]}; "
                            "drop one copy")
            continue
        first_line[qid] = line
        options = {str(k): str(v) for k, v in raw["options"].items()}
        prompt, rule = open_question(raw["question"].strip())
        example = Example(
            id=qid, prompt=prompt, chosen=raw["answer"].strip(), label=None,
            meta={"options": options, "answer_idx": raw["answer_idx"],
                  "meta_info": raw.get("meta_info"), "rewrite": rule, "source_line": line})
        examples += fill_rejected([example], None, "wrong_option", seed)
    if problems:
        n = len(problems)
        raise UserError(f"{path}: {n} problem{'s' if n != 1 else ''}", problems=problems)
    if meta_info is not None and not examples:
        values = ", ".join(f"{v!r} ({c})" for v, c in sorted(seen_meta.items(), key=str))
        raise UserError(f"{path}: no question has meta_info {meta_info!r}; the file has "
                        f"{values or 'none'}. Pass one of those to --meta, or leave --meta out.")
    return examples


def _check_row(raw: dict) -> list[str]:
    """``field: what is wrong`` for one MedQA record."""
    found = []
    for key in ("question", "answer", "answer_idx"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            found.append(f"{key}: missing or not text; MedQA records need question, answer, "
                         "options, answer_idx")
    options = raw.get("options")
    if not isinstance(options, dict) or len(options) < 2:
        found.append('options: expected an object of at least two {"A": "text", ...}')
        return found
    if found:
        return found
    if raw["answer_idx"] not in options:
        found.append(f"answer_idx: {raw['answer_idx']!r} is not one of the option letters "
                     f"{sorted(options)}")
    elif normalize_answer(str(options[raw["answer_idx"]])) != normalize_answer(raw["answer"]):
        found.append(f"answer: {raw['answer']!r} differs from option {raw['answer_idx']} "
                     f"({options[raw['answer_idx']]!r}); fix answer or answer_idx")
    return found
