"""Rebuild a study's chosen model from its checkpoints and write it out for deployment.

The weights are rebuilt exactly as the study evaluated them: the base model, the selected SFT
run's checkpoint at its chosen step (LoRA applied, then merged), and for DPO the selected DPO
run's checkpoint on top of that merged SFT model (study/sweep.py). So the exported model gives
the study's recorded test predictions.

An adapter export of DPO is one LoRA adapter over the *base* model, although DPO's adapter was
trained over the merged SFT model: the two low-rank updates add up, W + B1 A1 s + B2 A2 s =
W + [B1 B2] [A1; A2] s, so the rank-2r adapter with A and B stacked and alpha doubled (the
scale s = alpha / r is unchanged) is the same model, up to float rounding.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from medtune import variants
from medtune.errors import UserError
from medtune.files import PRIVATE_DIR, PRIVATE_FILE, fsync_dir, private_mkdir, write_atomic
from medtune.report.model import Results

VARIANTS = ("sft", "dpo", "selected")
FORMATS = ("merged", "adapter")
TASK_FILE = "medtune_task.json"  # how the study prompted the model: deployments must do the same


@dataclass
class ExportResult:
    out: Path
    task: str
    variant: str  # base | sft | dpo (``selected`` resolved)
    format: str
    files: list[str]


def load_study_dir(study_dir: Path) -> tuple[Any, Results]:
    """(Study, results.json) of a finished study directory, or UserError saying what to run
    (a results.json that does not follow the schema included)."""
    from medtune.config import parse_study
    from medtune.report.model import read_results

    if not (study_dir / "study.yaml").exists() or not (study_dir / "study.db").exists():
        raise UserError(f"{study_dir}: not a study directory (no study.yaml and study.db); give the "
                        "--out folder of `medtune study run`")
    results_path = study_dir / "report" / "results.json"
    if not results_path.exists():
        raise UserError(f"{results_path}: missing; finish the study first (`medtune study run` on it) "
                        "or rebuild the report with `medtune study report`")
    study = parse_study(yaml.safe_load((study_dir / "study.yaml").read_text(encoding="utf-8")),
                        str(study_dir / "study.yaml"))
    return study, read_results(results_path, f"rebuild it with `medtune study report {study_dir}`")


def pick_task(study: Any, task: str | None) -> str:
    names = [t.task for t in study.tasks]
    if task is None:
        if len(names) == 1:
            return names[0]
        raise UserError(f"the study fine-tuned one model per task ({', '.join(names)}); "
                        "name the one to export with --task")
    if task not in names:
        raise UserError(f"--task {task}: the study has no such task; its tasks: {', '.join(names)}")
    return task


def resolve_variant(results: Results, task: str, variant: str) -> str:
    """``selected``: the variant the report recommends deploying for the task."""
    if variant not in VARIANTS:
        raise UserError(f"--variant {variant}: use one of {', '.join(VARIANTS)}")
    if variant != "selected":
        return variant
    deploy = results.tasks[task].deploy if task in results.tasks else None
    if deploy not in variants.VARIANTS:
        raise UserError(f"task {task}: the report names no variant to deploy; choose one with --variant sft or dpo")
    return deploy


def checkpoint_chain(store: Any, study_dir: Path, task: str, variant: str) -> list[Path]:
    """The checkpoints to apply to the base model, in order: [] for base, [SFT] for SFT,
    [SFT, DPO] for DPO (DPO trained on top of the selected SFT model)."""
    methods = {"base": [], "sft": ["sft"], "dpo": ["sft", "dpo"]}[variant]
    chain = []
    for method in methods:
        selected = [r for r in store.runs(task) if r["method"] == method and r["selected"]]
        if not selected or selected[0]["chosen_run"] is None:
            raise UserError(f"{study_dir}: task {task} has no selected {method.upper()} run yet; "
                            "finish the study (`medtune study run` on it) first")
        row = store.checkpoint(selected[0]["chosen_run"], selected[0]["chosen_step"])
        if row is None or not (study_dir / row["path"]).is_dir():
            raise UserError(f"{study_dir}: the checkpoint of the selected {method.upper()} run of {task} is "
                            "missing; run the study again to rebuild it")
        chain.append(study_dir / row["path"])
    return chain


def export_model(study_dir: str | Path, out: str | Path, variant: str = "selected", fmt: str = "merged",
                 task: str | None = None) -> ExportResult:
    from medtune.export.card import model_card, task_settings
    from medtune.models import load_model
    from medtune.store import Store
    from medtune.tasks import get_task

    study_dir, out = Path(study_dir), Path(out)
    if fmt not in FORMATS:
        raise UserError(f"--format {fmt}: use one of {', '.join(FORMATS)}")
    study, results = load_study_dir(study_dir)
    task_name = pick_task(study, task)
    resolved = resolve_variant(results, task_name, variant)
    if fmt == "adapter" and (resolved == "base" or study.training.lora is None):
        why = "the selected variant is the base model" if resolved == "base" else "the study fine-tuned every weight (no LoRA)"
        raise UserError(f"--format adapter: {why}, so there is no adapter; use --format merged")
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise UserError(f"{out}: already exists; give a new folder as --out (an export never overwrites)")
    from medtune.models.hub import stored_revision
    from medtune.train.precision import weights_dtype

    store = Store(study_dir / "study.db")
    try:
        chain = checkpoint_chain(store, study_dir, task_name, resolved)
        revision = stored_revision(store, study.model)
    finally:
        store.close()

    loaded = load_model(study.model, weights_dtype(study.training.dtype), revision, study.chat_template)
    private_mkdir(out.parent)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        if fmt == "merged":
            _write_merged(loaded, chain, study, tmp)
        else:
            _write_adapter(loaded, chain, study, tmp)
        loaded.tokenizer.save_pretrained(tmp)
        task_obj = get_task(task_name)
        _write_generation_config(loaded, study, task_obj, tmp)
        write_atomic(tmp / TASK_FILE, json.dumps(task_settings(study, task_obj, resolved), indent=2))
        write_atomic(tmp / "README.md", model_card(study, results, task_name, resolved, fmt))
        _make_private(tmp)
        if out.exists():
            out.rmdir()  # an empty folder the user made for it
        os.rename(tmp, out)
        fsync_dir(out.parent)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return ExportResult(out, task_name, resolved, fmt, sorted(p.name for p in out.iterdir()))


def lora_settings(study: Any) -> Any:
    from medtune.train.settings import LoraSettings

    lora = study.training.lora
    return None if lora is None else LoraSettings(**lora.model_dump())


def _rebuild(loaded: Any, chain: list[Path], study: Any) -> Any:
    from medtune.train.checkpoint import load_trained

    model = loaded.model
    for path in chain:
        model = load_trained(model, path, lora_settings(study), study.seed)
    return model


def _write_merged(loaded: Any, chain: list[Path], study: Any, tmp: Path) -> None:
    model = _rebuild(loaded, chain, study)
    model.config.use_cache = True  # medtune trains without the KV cache; generation wants it
    model.save_pretrained(tmp, safe_serialization=True)


def _write_adapter(loaded: Any, chain: list[Path], study: Any, tmp: Path) -> None:
    import dataclasses

    from medtune.export.card import base_model_id
    from medtune.train.checkpoint import load_weights, set_weights
    from medtune.train.settings import apply_lora

    lora = lora_settings(study)
    weights = [load_weights(p) for p in chain]
    if len(weights) == 2:  # SFT then DPO: one adapter of twice the rank (module docstring)
        lora = dataclasses.replace(lora, r=2 * lora.r, alpha=2 * lora.alpha)
        weights = [stack_adapters(*weights)]
    model = apply_lora(loaded.model, lora, study.seed)
    set_weights(model, weights[0])
    model.save_pretrained(tmp)
    config_path = tmp / "adapter_config.json"
    config = json.loads(config_path.read_text(encoding="utf-8"))
    config["base_model_name_or_path"] = base_model_id(study.model) or study.model
    write_atomic(config_path, json.dumps(config, indent=2, sort_keys=True))


def stack_adapters(first: dict[str, Any], second: dict[str, Any]) -> dict[str, Any]:
    """Two LoRA adapters of one shape as one of twice the rank: A (r x in) stacked on rows,
    B (out x r) side by side, so B A = B1 A1 + B2 A2."""
    import torch

    if set(first) != set(second):
        raise ValueError("the SFT and DPO adapters adapt different modules")
    out = {}
    for name, a in first.items():
        if ".lora_A." in name:
            out[name] = torch.cat([a, second[name]], dim=0)
        elif ".lora_B." in name:
            out[name] = torch.cat([a, second[name]], dim=1)
        else:
            raise ValueError(f"{name}: only LoRA A and B matrices can be combined")
    return out


def _write_generation_config(loaded: Any, study: Any, task: Any, tmp: Path) -> None:
    """Greedy decoding with the study's answer budget, stopping at the end of the turn: what
    the study's evaluation did (evaluate/predict.py)."""
    from transformers import GenerationConfig

    tok, base = loaded.tokenizer, loaded.model.generation_config
    eos = base.eos_token_id if isinstance(base.eos_token_id, list) else [base.eos_token_id]
    eos = [e for e in dict.fromkeys([*eos, tok.eos_token_id]) if e is not None]
    GenerationConfig(do_sample=False, max_new_tokens=study.evaluation.max_new_tokens or task.max_new_tokens,
                     eos_token_id=eos if len(eos) > 1 else eos[0], pad_token_id=tok.pad_token_id,
                     bos_token_id=base.bos_token_id).save_pretrained(tmp)


def _make_private(folder: Path) -> None:
    """Owner-only, like every file medtune writes (files.py): an export holds a model trained
    on patient text."""
    os.chmod(folder, PRIVATE_DIR)
    for root, dirs, files in os.walk(folder):
        for d in dirs:
            os.chmod(os.path.join(root, d), PRIVATE_DIR)
        for f in files:
            os.chmod(os.path.join(root, f), PRIVATE_FILE)
