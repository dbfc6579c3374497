"""The typed model of ``report/results.json``, schema 1: the authoritative description of
every key the study writes, read back by the report, the model card, ``medtune study report``
and the CLI's summary.

The builders (report/results.py and the modules it calls) still assemble plain dicts; the
writer validates them here and writes what the model dumps, the readers validate the file
here and use attributes. Three rules keep schema 1 the same on disk:

- A key that was absent stays absent and a null stays null (dump with ``exclude_unset``).
- Keys come out in the order they came in (``Node`` remembers it): the builders order a
  comparison's keys differently for McNemar, the t-test and the F1 test, and that order is
  part of today's bytes.
- Within a schema version keys are added, never renamed or removed (docs/design.md): every
  node keeps keys it does not know (``extra="allow"``), so a newer medtune's file of the same
  schema still reads. ``undeclared()`` lists such keys; a test holds the writer to none.

A number keeps its JSON type: ``Num`` is an int or a float, so 2 stays 2 and 2.0 stays 2.0.
Units: seconds are wall-clock seconds; ``ci95`` is [low, high] of a 95% interval, each end
null when undefined; ``effect`` is b - a in the metric's units.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar, Literal, Union

from pydantic import (BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_serializer,
                      model_validator)

from medtune.errors import UserError
from medtune.variants import VARIANTS

SCHEMA = 1
Num = Union[int, float]
Interval = Union[list[Union[Num, None]], None]


class Node(BaseModel):
    """A JSON object of results.json that dumps with its keys in the order they were read."""

    model_config = ConfigDict(extra="allow", protected_namespaces=())
    OPEN: ClassVar[bool] = False  # True: keys beyond the declared ones belong to the schema
    _order: tuple[str, ...] = PrivateAttr(default=())

    @model_validator(mode="wrap")
    @classmethod
    def _remember_order(cls, data: Any, handler: Any) -> Any:
        node = handler(data)
        if isinstance(data, dict):
            node._order = tuple(data)
        return node

    @model_serializer(mode="wrap")
    def _in_order(self, handler: Any) -> dict[str, Any]:
        out = handler(self)
        # a key set after reading (e.g. a filled recommendation) follows, in declared order
        first = {k: out[k] for k in self._order if k in out}
        return first | {k: v for k, v in out.items() if k not in first}

    def undeclared(self, path: str = "") -> list[str]:
        """Dotted paths of keys this model does not declare, here and below."""
        out = [] if self.OPEN else [f"{path}{k}" for k in self.__pydantic_extra__ or {}]
        for name, field in type(self).model_fields.items():
            out += _undeclared(getattr(self, name), f"{path}{field.alias or name}.")
        return out


def _undeclared(value: Any, path: str) -> list[str]:
    if isinstance(value, Node):
        return value.undeclared(path)
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _undeclared(v, f"{path}{k}.")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _undeclared(v, f"{path}{i}.")]
    return []


# --- one task ------------------------------------------------------------------------------

class Scores(Node):
    """What a variant and each of its endpoints share: the value with its interval, the
    examples scored, and a classification's F1, accuracy, sensitivity and specificity."""

    value: Num | None = None
    ci95: Interval = None
    n: int | None = None  # open-ended and graded: examples with the outcome or a verdict
    f1: Num | None = None
    accuracy: Num | None = None
    accuracy_ci95: Interval = None
    sensitivity: Num | None = None
    specificity: Num | None = None


class EndpointSummary(Scores):
    """One endpoint of one variant: a classification axis (its F1's interval and average;
    ``f1_positive`` beside a macro-F1) or an open-ended outcome (value, ci95, n)."""

    f1_ci95: Interval = None
    f1_average: str | None = None  # "positive" (two labels) or "macro"
    f1_positive: Num | None = None


class Variant(Scores):
    """One variant (base, sft, dpo or a served baseline) of a task or of a graded section.
    ``value``/``ci95``: the task's headline metric. An open-ended task also carries each of its
    outcomes' means under the outcome's name (e.g. ``coverage``, ``rouge_l``): those keys are
    the task's own, so any number is allowed beside the declared ones."""

    OPEN = True
    __pydantic_extra__: dict[str, Num | None] = Field(init=False)
    value: Num | None  # required here
    parse_failure_rate: Num | None = None
    empty_answer_rate: Num | None = None
    mean_answer_words: Num | None = None
    n_missing: int | None = None  # graded: outputs without a verdict
    per_endpoint: dict[str, EndpointSummary] = Field(default_factory=dict)


class Comparison(Node):
    """One paired test of variant b against variant a (report/effects.py,
    report/classification.py); ``p_adjusted``, ``significant``, ``verdict`` and the rest of
    the verdict come from report/verdicts.py."""

    a: str
    b: str
    endpoint: str | None = None
    test: str  # permutation_f1, mcnemar_exact, paired_t, wilcoxon_signed_rank
    primary: bool | None = None
    secondary: bool | None = None
    metric: str | None = None
    f1_average: str | None = None
    n: int | None = None
    a_only: int | None = None
    b_only: int | None = None
    discordant: int | None = None
    effect: Num | None = None
    effect_ci95: Interval = None
    effect_se: Num | None = None
    mean_diff: Num | None = None
    sd_diff: Num | None = None
    statistic: Num | None = None
    p: Num | None
    p_min: Num | None = None
    method: str | None = None
    resamples: int | None = None
    note: str | None = None
    p_adjusted: Num | None
    significant: bool
    threshold: Num | None = None
    verdict: str | None = None
    mde: Num | None = None
    as_good: bool | None = None

    @property
    def shown_effect(self) -> Num | None:
        """b - a: the effect, or the mean difference where only that was recorded."""
        return self.effect if "effect" in self.model_fields_set else self.mean_diff

    @property
    def decides(self) -> bool:
        """A primary comparison: in the family, it decides the verdict."""
        return self.primary is not False and not self.secondary


class Agreement(Node):
    """Agreement of two raters (judges, or the two physicians of each item): percent and
    Cohen's kappa, null when undefined."""

    raters: str
    n: int
    percent: Num | None = None
    kappa: Num | None = None
    weights: str | None = None


class GradedSection(Node):
    """``tasks.<task>.graded.<judges:rubric | physicians:rubric>`` (report/graded.py)."""

    source: str  # judges | physicians
    judges: list[str] = Field(default_factory=list)
    aggregate: str | None = None
    rubric: str
    kind: str  # likert | binary
    metric: str | None = None
    variants: dict[str, Variant]
    comparisons: list[Comparison] = Field(default_factory=list)
    agreement: list[Agreement] = Field(default_factory=list)
    unparseable: dict[str, Num] = Field(default_factory=dict)


class Automatic(Node):
    """An open-ended task headlined by its graders keeps its automatic outcomes here."""

    metric: str
    endpoints: list[str] = Field(default_factory=list)
    variants: dict[str, Variant]
    comparisons: list[Comparison] = Field(default_factory=list)


class TaskFamily(Node):
    """The multiple-comparison family a task's primary comparisons belong to."""

    name: str
    m: int
    threshold: Num | None = None
    correction: str | None = None
    text: str = ""
    decisive_test: list[str] = Field(default_factory=list)


class Rejected(Node):
    """How DPO's rejected answers were made; a model strategy's per-split counts."""

    strategy: str
    model: str | None = None
    generated_answers: dict[str, dict[str, int]] = Field(default_factory=dict)
    fallback_strategy: str | None = None


class Candidate(Node):
    """One sweep config: its eval-loss curve ([step, loss] pairs), plateau and dev metric."""

    key: str
    learning_rate: Num
    beta: Num | None = None
    steps: int
    curve: list[list[Num]]
    plateau_step: int | None = None
    plateau_found: bool = False
    chosen_step: int | None = None
    retrained: bool = False
    eval_loss: Num | None = None
    dev_metric: Num | None = None
    selected: bool = False
    seconds: Num | None = None


class SweepMethod(Node):
    metric: str | None = None
    winner: str | None = None
    candidates: list[Candidate]


class Sweep(Node):
    """``tasks.<task>.sweep`` (report/sweep_results.py): the selection rule (the study file's
    ``selection`` section, as configured) and per method its candidates."""

    rule: dict[str, Any] = Field(default_factory=dict)
    sft: SweepMethod | None = None
    dpo: SweepMethod | None = None

    def methods(self) -> dict[str, SweepMethod]:
        return {m: s for m, s in (("sft", self.sft), ("dpo", self.dpo)) if s is not None}


class Baseline(Node):
    """How a served baseline's replies came back (study/baselines.py)."""

    model: str
    shots: int
    n: int
    structured_requested: bool = False
    structured_replies: int | None = None
    unparseable_rate: Num | None = None


class Task(Node):
    """``tasks.<task>``: variants, paired comparisons and the recommendation of one task."""

    kind: str | None = None  # classification, open_qa, summarization, ...
    metric: str
    n_test: int
    endpoints: list[str] = Field(default_factory=list)
    variants: dict[str, Variant]
    comparisons: list[Comparison]
    rejected: Rejected | None = None
    sweep: Sweep | None = None
    graded: dict[str, GradedSection] = Field(default_factory=dict)
    baselines: dict[str, Baseline] = Field(default_factory=dict)
    automatic: Automatic | None = None
    graded_by: str | None = None  # the graded section that gives the headline
    family: TaskFamily | None = None
    deploy: str | None = None
    recommendation: str | None = None

    @model_validator(mode="after")
    def _known_variants(self) -> Task:
        unknown = [v for v in self.variants if v not in VARIANTS and v not in self.baselines]
        if unknown:
            raise ValueError(f"variants.{unknown[0]}: unknown variant; expected base, sft, dpo or "
                             "one of the task's baselines")
        return self


# --- the document --------------------------------------------------------------------------

class StudyInfo(Node):
    name: str | None = None
    model: str | None = None
    seed: int | None = None
    created: str | None = None  # ISO 8601, UTC, seconds
    medtune_version: str | None = None
    data_hashes: dict[str, str] = Field(default_factory=dict)  # task -> sha256 of its examples and splits
    model_revision: str | None = None  # a Hub model's pinned commit
    source: str | None = None  # `medtune compare`: where the predictions came from


class MethodCompute(Node):
    """One method's training runs (sft, dpo; ``eval`` has seconds and hours only)."""

    seconds: Num
    hours: Num
    runs: int | None = None
    steps: int | None = None
    tokens: int | None = None
    seconds_per_step: Num | None = None
    devices: list[str] = Field(default_factory=list)


class Compute(Node):
    """Wall-clock seconds per stage (sft, dpo, eval), in total and per task, the DPO/SFT ratios."""

    seconds: dict[str, Num] = Field(default_factory=dict)
    dpo_to_sft: Num | None = None
    seconds_per_step: dict[str, Num] = Field(default_factory=dict)
    dpo_to_sft_per_step: Num | None = None
    per_task: dict[str, dict[str, Num]] = Field(default_factory=dict)
    per_method: dict[str, MethodCompute] = Field(default_factory=dict)
    dtype: str | None = None


class Results(Node):
    """The whole results.json. ``version`` is the ``schema`` key."""

    version: Literal[1] = Field(alias="schema")
    study: StudyInfo
    alpha: Num | None = None
    correction: str | None = None
    family: str | None = None  # study | task | paper
    n_comparisons: int | None = None
    threshold: Num | None = None
    decision_rule: str | None = None
    noninferiority_margin: Num | None = None
    tasks: dict[str, Task]
    compute: Compute = Field(default_factory=Compute)


# --- reading and writing -------------------------------------------------------------------

class ResultsError(ValueError):
    """A results dict that does not follow the schema: built by medtune, a bug (exit 1)."""


class ResultsFileError(UserError, ResultsError):
    """A results.json file that does not follow the schema: the user can rebuild it (exit 2)."""


REBUILD = "rebuild it from study.db with `medtune study report DIR` (DIR: the study directory)"
BUG = "results that medtune built and that do not fit are a bug: please report it"


def parse_results(data: Any, source: str = "results", todo: str = BUG,
                  error: type[ResultsError] = ResultsError) -> Results:
    """``data`` (a results.json document) as a ``Results``, or ``error`` naming every key that
    does not fit, what is wrong with it, and ``todo``."""
    if not isinstance(data, dict):
        raise error(f"{source}: expected a JSON object (results.json schema {SCHEMA}); {todo}")
    version = data.get("schema")
    if isinstance(version, int) and not isinstance(version, bool) and version > SCHEMA:
        raise error(f"{source}: schema {version} was written by a newer medtune; this one reads "
                    f"schema {SCHEMA}: upgrade medtune (pip install -U medtune), or {todo}")
    try:
        return Results.model_validate(data)
    except ValidationError as err:
        problems = _problems(err, data)  # every key at once, in the document's order
        raise error(f"{source} does not follow results.json schema {SCHEMA}: "
                    + "; ".join(problems) + f". To fix: {todo}") from None


def _problems(err: ValidationError, data: Any) -> list[str]:
    """One line per key: its dotted path in the document (a union's member names, which
    pydantic adds to the location, left out) and pydantic's message."""
    found: dict[str, str] = {}
    for e in err.errors():
        path, node = [], data
        for i, part in enumerate(e["loc"]):
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and isinstance(part, int) and part < len(node):
                node = node[part]
            elif not (i == len(e["loc"]) - 1 and e["type"] == "missing"):
                continue  # a union member's name, not a key
            path.append(str(part))
        key = ".".join(path) or "(top level)"
        found[key] = "missing" if e["type"] == "missing" else e["msg"]
    return [f"{k}: {m}" for k, m in found.items()]


def read_results(path: Path, todo: str = REBUILD) -> Results:
    """``path`` (a study's report/results.json) validated, or a UserError saying what to do."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ResultsFileError(f"{path}: missing; {todo}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ResultsFileError(f"{path}: not readable as JSON ({err}); {todo}") from None
    return parse_results(data, str(path), todo, ResultsFileError)


def to_dict(results: Node) -> dict[str, Any]:
    """The plain dict of a node, as results.json holds it: the same keys in the same order."""
    return results.model_dump(mode="python", by_alias=True, exclude_unset=True)


def dump_results(results: Results) -> str:
    """results.json's text, byte for byte what json.dumps of the builders' dict gave: python
    mode keeps each number's type (and a NaN, where a builder let one through)."""
    return json.dumps(to_dict(results), indent=2, ensure_ascii=False) + "\n"
