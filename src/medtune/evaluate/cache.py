"""Base-model predictions kept across studies: the base model is the same in every study of
one model, so its test predictions are computed once per model, test set and setting.

A stored file is keyed, like the DPO reference cache (train/refcache.py), by the sha256 of the
model's weights, of the token ids the evaluation feeds it (every example's id and prompt, and
each candidate answer of likelihood scoring, so the data, the tokenizer, the chat template and
the system prompt are all covered), and by every setting that changes a prediction: the task,
the evaluation mode, the generation budget, max_length, the packing budget, the compute type
(fp32 or bf16, train/precision.py), the device type and medtune's version (a parser's fix
would otherwise keep serving stale labels). A change of any of them is another file.

Files live in ``$MEDTUNE_HOME/predictions`` (default ~/.cache/medtune/predictions), beside the
converted models, written atomically (medtune.files). Only whole splits are stored.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from medtune.data.records import Example
from medtune.evaluate.predict import Prediction
from medtune.tasks.base import Task

FORMAT = 1  # bump when the meaning of a stored prediction changes


def cache_dir() -> Path:
    home = os.environ.get("MEDTUNE_HOME") or os.path.join(Path.home(), ".cache", "medtune")
    return Path(home) / "predictions"


def inputs_hash(tokenizer: Any, task: Task, examples: Sequence[Example], likelihood: bool) -> str:
    """sha256 of what the model is shown: each example's id and prompt token ids, and, when
    scoring by likelihood, each candidate answer's token ids after that prompt."""
    from medtune.models.chat import encode_completion, encode_prompt

    answers = [a for _, a in task.candidates()] if likelihood else []
    h = hashlib.sha256()
    for ex in examples:
        messages = ex.messages(task.system_prompt)
        item = [ex.id, encode_prompt(tokenizer, messages), [encode_completion(tokenizer, messages, a) for a in answers]]
        h.update(json.dumps(item, separators=(",", ":")).encode())
        h.update(b"\n")
    return h.hexdigest()


class PredictionCache:
    """Predictions of one model, read from and written to ``directory``. The weights are
    hashed once, here (about a second for a 135M model); the model must not change while the
    cache is in use."""

    def __init__(self, model: Any, directory: Path | None = None) -> None:
        from medtune.train.refcache import weights_hash

        self.directory = cache_dir() if directory is None else Path(directory)
        self.weights = weights_hash(model)

    def path(self, tokenizer: Any, task: Task, examples: Sequence[Example], settings: dict[str, Any]) -> Path:
        """``settings``: mode, max_new_tokens, max_length, pack_tokens, dtype, device (each as the
        evaluation resolved it)."""
        from medtune import __version__

        likelihood = settings["mode"] == "likelihood" and not task.open_ended
        key = {"format": FORMAT, "medtune": __version__, "weights": self.weights, "task": task.name,
               "inputs": inputs_hash(tokenizer, task, examples, likelihood), **settings}
        digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()
        return self.directory / f"{digest}.json"

    @staticmethod
    def read(path: Path, examples: Sequence[Example]) -> list[Prediction] | None:
        """The stored predictions, or None (absent, unreadable, or not these examples)."""
        try:
            rows = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(rows, list) or [r.get("example_id") for r in rows] != [ex.id for ex in examples]:
            return None
        return [Prediction(**r) for r in rows]

    def write(self, path: Path, predictions: Sequence[Prediction]) -> None:
        from medtune.files import private_mkdir, write_atomic

        private_mkdir(self.directory)
        write_atomic(path, json.dumps([asdict(p) for p in predictions]))
