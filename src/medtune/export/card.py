"""The exported model's card: ``README.md`` with Hugging Face model-card front matter (YAML
between ``---`` lines: base_model, library_name, tags, pipeline_tag) and a body a reviewer can
check the model against: what it was tuned for, on which data (hashes), how it did on the
study's test set (values with 95% intervals, paired tests with raw and adjusted p-values, all
read from ``report/results.json``), how to prompt it, its intended use and its limits.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from medtune import __version__
from medtune.report.comparison_table import HEADERS as COMPARISON_HEADERS
from medtune.report.comparison_table import comparison_rows
from medtune.report.model import Results, Task

LABELS = {"base": "base model", "sft": "SFT", "dpo": "DPO (on the SFT model)"}


def model_card(study: Any, results: Results, task: str, variant: str, fmt: str) -> str:
    from medtune.tasks import get_task

    t = results.tasks[task]
    hub = base_model_id(study.model)
    front: dict[str, Any] = {}
    if hub:
        front["base_model"] = hub
    front.update({
        "library_name": "peft" if fmt == "adapter" else "transformers",
        "pipeline_tag": "text-generation",
        "tags": ["medtune", "medical", "clinical", task, variant] + (["lora"] if study.training.lora and variant != "base" else []),
        "inference": False,  # not for public inference widgets: a clinical model under local review
    })
    settings = task_settings(study, get_task(task), variant)
    lines = [
        "---", yaml.safe_dump(front, sort_keys=False).rstrip(), "---", "",
        f"# {study.name}: {task} ({LABELS[variant]})", "",
        "**Not a medical device.** This model has not been cleared or approved by any regulator. Its "
        "outputs are suggestions for review by a qualified clinician and must not be used on their own "
        "to diagnose, triage or treat anyone.", "",
        f"{'Evaluated' if variant == 'base' else 'Fine-tuned'} with [medtune](https://pypi.org/project/medtune/) "
        f"{__version__} from `{hub or study.model}` for the task `{task}`; variant **{variant}** "
        f"({'merged weights' if fmt == 'merged' else 'a LoRA adapter over the base model'}). "
        f"The study recommended: {t.recommendation or 'no recommendation recorded'}", "",
        "## Test results", "",
        *_results_table(t), "",
        *_comparisons(results, t), "",
        "## Training", "",
        *_training(study, results, task, variant), "",
        "## How to prompt it", "",
        "The study prompted the model through its chat template, with this system message first "
        "(also in `medtune_task.json`):", "",
        "```", settings["system_prompt"], "```", "",
        f"Answers were read by {'generation' if settings['evaluation_mode'] == 'generate' else 'comparing the likelihood of the allowed answers'}"
        f"{' (greedy, up to ' + str(settings['max_new_tokens']) + ' new tokens: generation_config.json)' if settings['evaluation_mode'] == 'generate' else ''}."
        + (f" The allowed answers: {', '.join('`' + a + '`' for a in settings['answers'])}." if "answers" in settings else ""),
        "",
        "## Intended use", "",
        f"Research and evaluation of the `{task}` task by a clinical informatics team, on data like the "
        "study's, under the oversight of clinicians, and as the starting point of a local validation "
        "before any deployment.", "",
        "## Limitations", "",
        f"- Tested on {t.n_test} examples of one data set (hashes above); performance on "
        "another population, site, note style or time period is unknown until measured there.",
        "- The intervals and p-values describe this test set only; a significant difference is not a "
        "guarantee of clinical benefit.",
        "- A small language model can state wrong facts fluently; it can also miss urgent findings. Keep a "
        "clinician in the loop and monitor errors after deployment.",
        "- Inherits the biases and license terms of its base model.",
    ]
    return "\n".join(lines) + "\n"


def _results_table(t: Task) -> list[str]:
    rows = [f"{t.metric} on the test set (n={t.n_test}), 95% intervals:", "",
            "| variant | value | 95% interval |", "|---|---|---|"]
    for name, v in t.variants.items():
        interval = "n/a" if not v.ci95 or None in v.ci95 else f"{v.ci95[0]:.3f} to {v.ci95[1]:.3f}"
        value = "n/a" if v.value is None else f"{v.value:.3f}"
        rows.append(f"| {name} | {value} | {interval} |")
    return rows


def _comparisons(results: Results, t: Task) -> list[str]:
    """The report's own comparisons table: which test decides, the effect with its interval,
    p and adjusted p, the verdict, the detectable difference (report/comparison_table.py)."""
    family = (t.family.text if t.family else "") or (
        f"{_or_na(results.correction)} correction over {_or_na(results.n_comparisons)} "
        f"comparisons, alpha {_or_na(results.alpha)}")
    rows = [f"Paired tests ({family}):", "", "| " + " | ".join(COMPARISON_HEADERS) + " |",
            "|" + "---|" * len(COMPARISON_HEADERS)]
    rows += ["| " + " | ".join(r["cells"]) + " |" for r in comparison_rows(t.comparisons, t.kind, t.metric)]
    if results.decision_rule:
        rows += ["", f"Decision rule: {results.decision_rule}"]
    return rows


def _or_na(x: Any) -> str:
    return "n/a" if x is None else str(x)


def _training(study: Any, results: Results, task: str, variant: str) -> list[str]:
    hashes = results.study.data_hashes
    lora = study.training.lora
    method = {"base": "none (the base model as it is)", "sft": "supervised fine-tuning on the gold answers",
              "dpo": "supervised fine-tuning, then direct preference optimization on top"}[variant]
    sweep = results.tasks[task].sweep
    winners = {m: s.winner for m, s in sweep.methods().items()} if sweep else {}
    revision = results.study.model_revision
    return [
        f"- Base model: `{study.model}`" + (f" at commit `{revision}`" if revision else "") + ".",
        f"- Method: {method}; runs chosen by the paper's protocol (eval-loss plateau, then the dev split): "
        f"{json.dumps(winners) if winners else 'n/a'}.",
        f"- Data hash of `{task}` (sha256 over its examples and splits): `{hashes.get(task, 'n/a')}`.",
        f"- Weights: {'LoRA r=%d alpha=%d on %s' % (lora.r, lora.alpha, lora.target_modules) if lora else 'every weight'}"
        f"{'' if not lora or not lora.last_layers else ' (last %d layers)' % lora.last_layers}; "
        f"dtype {study.training.dtype}; seed {study.seed}.",
    ]


def task_settings(study: Any, task: Any, variant: str) -> dict[str, Any]:
    """How the study prompted and read the model (the model card shows the same)."""
    out = {"task": task.name, "variant": variant, "study": study.name, "system_prompt": task.system_prompt,
           "evaluation_mode": "generate" if task.open_ended else study.evaluation.mode,
           "max_new_tokens": study.evaluation.max_new_tokens or task.max_new_tokens}
    if task.endpoints:
        out["answers"] = [answer for _, answer in task.candidates()]
    return out


def base_model_id(model: str) -> str | None:
    """The Hub id of the study's base model (a bundled model's origin, or the Hub name the
    study gave), or None for a local directory."""
    from medtune.models import get_model_spec

    spec = get_model_spec(model)
    if spec is not None:
        return spec.hub_id
    if Path(model).expanduser().exists() or model.startswith((".", "/", "~")):
        return None
    return model if model.count("/") == 1 else None
