"""A task's examples, read or generated, validated, split and given their offline rejected
answers: what every stage of that task reads (``TaskData``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from medtune.config import TaskEntry
from medtune.data.records import Example
from medtune.errors import UserError
from medtune.tasks import Task, get_task


@dataclass
class TaskData:
    task: Task
    splits: dict[str, list[Example]]
    data_hash: str
    rejected: str = "wrong_label"  # the rejected strategy (tasks/rejected.py)
    rejected_model: str | None = None


def prepare_data(entry: TaskEntry, seed: int, base_dir: Path, key: str = "task") -> TaskData:
    """The task's examples, validated and split. ``key`` names the task's entry in the study
    file (``tasks.0``) in the messages of problems that are not in the data file itself."""
    from medtune.data.splits import assign_splits, by_split, data_hash
    from medtune.data.validate import load_examples
    from medtune.tasks.rejected import OFFLINE, fill_rejected

    task = get_task(entry.task)
    if entry.data.synthetic is not None:
        syn = entry.data.synthetic
        examples = task.generate(syn.n, seed if syn.seed is None else syn.seed)
    else:
        path = Path(entry.data.path)
        if not path.is_absolute():
            path = base_dir / path
        examples = load_examples(path, task)
    if entry.sizes is not None:
        try:
            examples = assign_splits(examples, entry.sizes.model_dump(), seed)
        except UserError as err:
            where = f"data.synthetic.n is {len(examples)}" if entry.data.synthetic else f"data.path {entry.data.path}"
            raise UserError(f"{key}.sizes ({entry.task}; {where}): {err.message}", err.problems) from None
    elif any(ex.split is None for ex in examples):
        raise UserError(
            f"{key} ({entry.task}): some examples have no `split` and the study gives no `sizes`; "
            "add `sizes: {train: N, eval: N, dev: N, test: N}` to the task in the study file"
        )
    strategy = entry.rejected or task.default_rejected
    if strategy in OFFLINE:  # model-made ones come just before DPO (_generated_rejected)
        examples = fill_rejected(examples, task, strategy, seed)
    splits = by_split(examples)
    for name in ("train", "test"):
        if not splits.get(name):
            raise UserError(f"{key} ({entry.task}): the {name} split is empty; give it examples")
    return TaskData(task, splits, data_hash(examples), strategy, entry.rejected_model)
