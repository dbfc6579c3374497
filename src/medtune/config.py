"""The study file: typed, strict, every problem reported at once with its key.

A study is tasks x one model x methods (SFT, then DPO on the best SFT model), with the sweep
grids, step budgets, evaluation mode, statistics and LLM judges. Unknown keys and wrong types are errors
(``extra="forbid"``), never silently ignored.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from medtune.errors import UserError
from medtune.judges.config import JurySettings
from medtune.variants import VARIANTS


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SyntheticData(Strict):
    n: int = Field(gt=0, description="examples to generate (seeded by the study seed)")
    seed: int | None = None


class DataSource(Strict):
    path: str | None = None
    synthetic: SyntheticData | None = None

    @model_validator(mode="after")
    def one_source(self) -> DataSource:
        if (self.path is None) == (self.synthetic is None):
            raise ValueError("give exactly one of `path` (a JSONL/CSV file) or `synthetic`")
        return self


class Sizes(Strict):
    train: int = Field(gt=0)
    eval: int = Field(ge=0)
    dev: int = Field(ge=0)
    test: int = Field(gt=0)


class TaskSteps(Strict):
    """A task's own step budgets, where they differ from ``sft.steps`` / ``dpo.steps``: tasks
    differ in how long they take to learn (the paper's curves plateaued at different steps)."""

    sft: int | None = Field(None, gt=0)
    dpo: int | None = Field(None, gt=0)


class TaskEntry(Strict):
    task: str
    data: DataSource
    sizes: Sizes | None = None  # None: the data file's own `split` fields are used
    steps: TaskSteps | None = None  # None: the study's sft.steps and dpo.steps
    # How DPO's rejected answers are made where the data has none (tasks/rejected.py);
    # None: the task's default (wrong_label for classification, wrong_option otherwise).
    rejected: Literal["wrong_label", "wrong_option", "weaker_model", "on_policy"] | None = None
    rejected_model: str | None = Field(
        None, description="weaker_model: the model that writes the rejected answers (a bundled "
        "name or a local directory); default: the study's model, not fine-tuned")

    @field_validator("task")
    @classmethod
    def known_task(cls, name: str) -> str:
        from medtune.tasks import task_names

        if name not in task_names():
            raise ValueError(f"unknown task {name!r}; known tasks: {', '.join(task_names())}")
        return name

    @model_validator(mode="after")
    def rejected_fits_task(self) -> TaskEntry:
        from medtune.tasks import get_task, task_names

        if self.rejected_model is not None and self.rejected != "weaker_model":
            raise ValueError("rejected_model is only used with `rejected: weaker_model`")
        if self.task in task_names() and self.rejected == "wrong_label" and get_task(self.task).open_ended:
            raise ValueError(f"rejected: wrong_label needs a task with labels, and {self.task} is "
                             "open-ended; use wrong_option, weaker_model or on_policy")
        return self


class Lora(Strict):
    r: int = Field(16, gt=0)
    alpha: int = Field(32, gt=0)
    dropout: float = Field(0.0, ge=0, lt=1)
    target_modules: str | list[str] = "all-linear"
    last_layers: int | None = Field(None, gt=0, description="adapt only the last N layers (cheaper steps)")


class Training(Strict):
    lora: Lora | None = Field(default_factory=Lora, description="null for full fine-tuning")
    batch_size: int = Field(8, gt=0)
    grad_accum: int = Field(1, gt=0)
    max_length: int = Field(512, gt=8)
    pack_tokens: int = Field(1024, gt=8)
    dtype: Literal["auto", "bf16", "fp32", "float32", "bfloat16", "float16"] = Field(
        "auto", description="auto: bf16 autocast where the hardware multiplies bf16 fast (AMX-BF16 CPU, "
        "bf16 GPU), fp32 elsewhere; bf16 / fp32 force one (weights, optimizer and losses stay fp32); "
        "float32 | bfloat16 | float16: the type the base weights are stored in, no autocast "
        "(train/precision.py)")
    mixed_precision: Literal["no", "bf16"] = Field(
        "no", description="older spelling of dtype: bf16 (bf16 autocast around float32 weights)")
    schedule: Literal["constant", "linear", "cosine"] = "constant"
    warmup_steps: int = Field(0, ge=0)


# A learning rate of 0 trains nothing and a negative one climbs the loss; a DPO beta of 0
# removes the pull toward the reference model the method rests on.
PositiveFloat = Annotated[float, Field(gt=0)]


class Sft(Strict):
    learning_rates: list[PositiveFloat] = Field(min_length=1)
    steps: int = Field(gt=0)
    eval_every: int = Field(10, gt=0)


class Dpo(Strict):
    enabled: bool = True
    learning_rates: list[PositiveFloat] = Field(min_length=1)
    betas: list[PositiveFloat] = Field([0.1], min_length=1)
    steps: int = Field(gt=0)
    eval_every: int = Field(10, gt=0)


def task_steps(study: Study, task: str, method: str) -> int:
    """The step budget of ``method`` ("sft" or "dpo") for one task of the study."""
    entry = next(e for e in study.tasks if e.task == task)
    own = None if entry.steps is None else getattr(entry.steps, method)
    return own if own is not None else (study.sft if method == "sft" else study.dpo).steps


class Selection(Strict):
    """How each sweep config's step count is chosen, then the best config (study/plateau.py).

    ``retrain_at_plateau: false`` (default) takes the checkpoint saved at the plateau step of
    the probe run. ``true`` is the paper's way: train the config again from scratch to the
    plateau step. The two give different models whenever the learning-rate schedule depends
    on the run's length: a ``linear`` or ``cosine`` schedule decays to zero at the last step,
    so the retrained run ends with a small learning rate, while the probe was still at a high
    one at that step. With a ``constant`` schedule (warmup shorter than the plateau) the
    retrained run is the probe's prefix, step for step, and retraining only costs time."""

    smoothing: int = Field(1, ge=1, description="trailing moving average over N eval points (1: none)")
    window: int = Field(3, ge=1, description="later eval points that must not improve on the plateau")
    tolerance: float = Field(0.01, ge=0, description="relative eval-loss improvement that still counts as flat")
    retrain_at_plateau: bool = False


class Evaluation(Strict):
    # classification tasks only: open-ended ones are always evaluated by generation
    mode: Literal["likelihood", "generate"] = "likelihood"
    max_new_tokens: int | None = Field(
        None, gt=0, description="generation budget; default: the task's own (32 for labels, "
        "24 for reasoning answers, 128 for summaries)")


class Statistics(Strict):
    alpha: float = Field(0.05, gt=0, lt=1)
    correction: Literal["bonferroni", "holm"] = "bonferroni"
    bootstrap: int = Field(1000, ge=100)
    # docs/statistics.md: which comparisons are corrected together (only primary ones)
    family: Literal["study", "task", "paper"] = Field(
        "study", description="study: every primary comparison of the study; task: each task's "
        "own; paper: Bonferroni over the number of tasks, as the paper did (5 tasks: p < .01)")
    permutations: int = Field(9999, ge=999, description="minimum random permutations of the "
                              "F1 test (raised so the smallest p is a twentieth of the threshold)")
    power: float = Field(0.8, gt=0, lt=1, description="power for `study plan` and the minimum detectable effect")
    noninferiority_margin: float | None = Field(
        None, gt=0, description="a non-significant comparison whose interval of b - a lies above "
        "-margin is reported as 'as good as' (in the metric's units, e.g. 0.05 F1)")

    @model_validator(mode="after")
    def _paper_is_bonferroni(self) -> "Statistics":
        if self.family == "paper" and self.correction != "bonferroni":
            raise ValueError("statistics.family 'paper' is Bonferroni over the number of tasks; "
                             "set statistics.correction: bonferroni or choose family study or task")
        return self


class Compute(Strict):
    """How many processes train, and how (docs/scaling.md). None of it changes a result
    beyond float rounding, so it may change between runs of one study directory."""

    processes: int = Field(1, ge=1, description="processes on this node, one per GPU (or CPU "
                           "processes with gloo); more than 1 relaunches the study under torch.distributed.run")
    strategy: Literal["ddp", "fsdp"] = Field(
        "ddp", description="ddp: a full replica per process; fsdp: weights sharded across the "
        "processes (full fine-tuning of large models; GPUs, or CPUs with gloo)")
    fan_out: bool = Field(
        True, description="with several GPUs and a sweep of several configs, train the configs side by "
        "side, one per GPU, instead of each on all GPUs (study/fanout.py)")
    timeout_minutes: float = Field(
        30.0, gt=0, description="under several processes, how long a process waits for the others "
        "at a collective before it gives up (a rank that hangs); raise it when rank 0's LLM judges "
        "take longer, as the other ranks wait for them")


class Tracking(BaseModel):
    """The study file's ``tracking:`` section (study/tracking.py)."""

    model_config = ConfigDict(extra="forbid")

    tensorboard: bool = Field(True, description="event files in DIR/tensorboard/<run key>/")
    mlflow: str | None = Field(None, description="an MLflow tracking URI, e.g. file:./mlruns or sqlite:///mlflow.db")


class BaselineSettings(BaseModel):
    """One served model evaluated as a variant."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$", description="the variant's name in the report (and cache key)")
    base_url: str = Field(description="e.g. http://127.0.0.1:8000/v1")
    model: str = Field(min_length=1, description="the served model's name")
    api_key_env: str | None = Field(None, description="name of the environment variable holding the key")
    allow_external: bool = Field(False, description="allow an endpoint outside loopback/private networks")
    shots: int = Field(0, ge=0, description="worked examples from the train split before each test prompt")
    structured: bool = Field(True, description="ask for a reply constrained to the task's answers")
    max_tokens: int | None = Field(None, gt=0, description="default: the study's generation budget")
    seed: int = 0
    timeout_seconds: float = Field(60.0, gt=0)
    retries: int = Field(3, ge=0)
    backoff_seconds: float = Field(1.0, ge=0)

    @model_validator(mode="after")
    def _check(self) -> BaselineSettings:
        from medtune.judges.egress import check_egress

        if self.name in VARIANTS:
            raise ValueError(f"baseline name {self.name!r} is taken by a fine-tuning variant; choose another")
        try:  # before any training, like the judges' guard
            check_egress(self.name, self.base_url, self.allow_external)
        except UserError as err:
            raise ValueError(str(err).replace("judge ", "baseline ", 1)) from None
        return self


class Study(Strict):
    name: str
    seed: int = 0
    model: str
    revision: str | None = Field(None, description="a Hub model's branch, tag or commit (default main); "
                                 "the commit used is pinned in study.db")
    chat_template: str | None = Field(None, description="Jinja chat template for a model whose tokenizer has none")
    tasks: list[TaskEntry] = Field(min_length=1)
    training: Training = Field(default_factory=Training)
    sft: Sft
    dpo: Dpo
    selection: Selection = Field(default_factory=Selection)
    evaluation: Evaluation = Field(default_factory=Evaluation)
    statistics: Statistics = Field(default_factory=Statistics)
    judges: JurySettings | None = Field(None, description="LLM judges of the test outputs (graders)")
    compute: Compute = Field(default_factory=Compute)
    tracking: Tracking = Field(default_factory=Tracking, description="TensorBoard event files, MLflow")
    baselines: list[BaselineSettings] = Field(
        default_factory=list, description="served models (OpenAI-compatible endpoints) evaluated as variants")

    @model_validator(mode="after")
    def known_tasks(self) -> Study:
        if self.training.batch_size % self.compute.processes:
            raise ValueError(f"training.batch_size {self.training.batch_size} does not split evenly over "
                             f"compute.processes {self.compute.processes}: every process takes an equal share of "
                             "each step's examples; make batch_size a multiple of the process count")
        names = [t.task for t in self.tasks]
        twice = [f"tasks.{i}.task" for i, n in enumerate(names) if n in names[:i]]
        if twice:
            raise ValueError(f"{', '.join(twice)}: the task is listed twice; list each task once")
        if len({b.name for b in self.baselines}) != len(self.baselines):
            raise ValueError("baselines: each `name` must be unique (each is a variant of the report); rename one")
        if self.judges is not None:
            stray = sorted(set(self.judges.rubrics) - set(names))
            if stray:
                raise ValueError(f"judges.rubrics names task(s) {stray} that the study does not run; "
                                 f"its tasks: {', '.join(names)}")
        return self


def _format_errors(err: ValidationError) -> list[str]:
    problems = []
    for e in err.errors():
        key = ".".join(str(p) for p in e["loc"])
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            msg = "unknown key (check its spelling against examples/quick.yaml)"
        # a check across sections names its keys at the start of its message itself
        problems.append(f"{key}: {msg}" if e["loc"] else msg)
    return problems


def apply_overrides(raw: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """``key.sub=value`` strings (value parsed as YAML) applied onto the raw study dict; a
    number picks an item of a list (``tasks.0.sizes.test=16``)."""
    for item in overrides:
        if "=" not in item:
            raise UserError(f"override {item!r} is not KEY=VALUE (e.g. sft.steps=20)")
        key, value = item.split("=", 1)
        node = raw
        parts = key.strip().split(".")
        for p in parts[:-1]:
            if isinstance(node, list):  # tasks.0.sizes.test=16: a list item by its index
                if not p.isdigit() or int(p) >= len(node):
                    raise UserError(f"override {item!r}: {p} is not an index of that list (0 to {len(node) - 1})")
                node = node[int(p)]
            else:
                node = node.setdefault(p, {})
            if not isinstance(node, (dict, list)):
                raise UserError(f"override {item!r}: {p} is not a section")
        node[_override_key(item, node, parts[-1])] = _override_value(item, value)
    return raw


def _override_key(item: str, node: dict | list, key: str) -> str | int:
    """``key`` of a section, or an existing index of a list (``sft.learning_rates.0=1e-4``)."""
    if isinstance(node, dict):
        return key
    if key.isdigit() and int(key) < len(node):
        return int(key)
    raise UserError(f"override {item!r}: that is a list of {len(node)} item(s); name an index "
                    f"(0 to {len(node) - 1}), or set the whole list (e.g. sft.learning_rates=[1e-4,1e-5])")


def _override_value(item: str, value: str) -> Any:
    from medtune.strict_yaml import load_yaml_text

    try:
        return load_yaml_text(value, "value")
    except UserError as err:
        raise UserError(f"override {item!r}: the value is not valid YAML ({err.message.removeprefix('value: ')}); "
                        "quote text, close brackets (e.g. sft.learning_rates=[1e-4,1e-5])") from None


def parse_study(raw: Any, source: str) -> Study:
    if not isinstance(raw, dict):
        raise UserError(f"{source}: a study file is a YAML mapping (name, model, tasks, sft, dpo, ...)")
    try:
        return Study.model_validate(raw)
    except ValidationError as err:
        problems = _format_errors(err)
        raise UserError(f"{source}: {len(problems)} problem(s) in the study file", problems) from None


def load_study(path: str | Path, overrides: list[str] | None = None) -> Study:
    from medtune.strict_yaml import read_yaml_file

    raw = read_yaml_file(path, "study file")
    if raw is not None and not isinstance(raw, dict):
        raise UserError(f"{path}: the study file holds a YAML {_yaml_kind(raw)}, but a study file is a mapping "
                        "of keys (name:, model:, tasks:, sft:, dpo:, ...); see examples/quick.yaml")
    raw = apply_overrides(raw or {}, overrides or [])
    return parse_study(raw, str(path))


def _yaml_kind(value: Any) -> str:
    return "list" if isinstance(value, list) else f"single value ({type(value).__name__})"


def dump_study(study: Study) -> str:
    """The resolved study (defaults filled in) as YAML, written into the study directory."""
    return yaml.safe_dump(study.model_dump(mode="json"), sort_keys=False)
