"""`medtune export` on a study run on the tiny model: the merged directory reloads in a separate
process with transformers alone and reproduces the study's recorded test answers; the PEFT
adapter (DPO: SFT and DPO adapters stacked) is the same model; files are owner-only; the model
card carries the study's results."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from medtune.config import parse_study
from medtune.errors import UserError
from medtune.export import export_model
from medtune.store import Store
from medtune.runner import run_study

HERE = Path(__file__).parent


@pytest.fixture(scope="module")
def study_dir(babbling_model_dir, tmp_path_factory):
    """A generate-mode study (recorded answers are generated text): UTI, SFT then DPO, LoRA."""
    out = tmp_path_factory.mktemp("exported-study") / "study"
    study = parse_study({
        "name": "export", "seed": 0, "model": str(babbling_model_dir),
        "tasks": [{"task": "uti", "data": {"synthetic": {"n": 28}},
                   "sizes": {"train": 8, "eval": 2, "dev": 2, "test": 16}}],
        "training": {"batch_size": 4, "pack_tokens": 256, "lora": {"r": 4, "alpha": 8}},
        "sft": {"learning_rates": [1e-2], "steps": 2, "eval_every": 2},
        "dpo": {"learning_rates": [1e-2], "betas": [0.1], "steps": 2, "eval_every": 2},
        "evaluation": {"mode": "generate", "max_new_tokens": 6},
        "statistics": {"bootstrap": 100},
    }, "test")
    run_study(study, out)
    return out


def _answers_in_plain_transformers(export_dir: Path, cases: list[dict], tmp_path: Path) -> dict:
    cases_path = tmp_path / "cases.json"
    cases_path.write_text(json.dumps(cases))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # no medtune source on the path
    proc = subprocess.run([sys.executable, str(HERE / "plain_transformers.py"), str(export_dir), str(cases_path)],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("variant", ["sft", "dpo"])
def test_merged_export_reproduces_recorded_answers_in_plain_transformers(study_dir, tmp_path, variant):
    out = tmp_path / "model"
    result = export_model(study_dir, out, variant=variant, fmt="merged")
    assert result.variant == variant and result.task == "uti"
    for name in ("model.safetensors", "config.json", "tokenizer.json", "generation_config.json", "README.md"):
        assert (out / name).exists(), name
    assert json.loads((out / "config.json").read_text())["use_cache"] is True  # serving wants the KV cache
    generation = json.loads((out / "generation_config.json").read_text())
    assert generation["do_sample"] is False and generation["max_new_tokens"] == 6  # the study's greedy budget
    store = Store(study_dir / "study.db")
    prompts, recorded = store.prompts("uti"), store.predictions("uti", variant, "test")
    store.close()
    got = _answers_in_plain_transformers(out, [{"id": r["example_id"], "prompt": prompts[r["example_id"]]}
                                               for r in recorded], tmp_path)
    assert got["modules"] == []
    assert any(r["text"] for r in recorded)  # the babbling model answers non-blank text
    assert got["answers"] == {r["example_id"]: r["text"] for r in recorded}


def test_dpo_adapter_is_the_merged_dpo_model(study_dir, tmp_path, babbling_model_dir):
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    export_model(study_dir, tmp_path / "merged", variant="dpo", fmt="merged")
    result = export_model(study_dir, tmp_path / "adapter", variant="dpo", fmt="adapter")
    assert "adapter_model.safetensors" in result.files and "model.safetensors" not in result.files
    config = json.loads((tmp_path / "adapter" / "adapter_config.json").read_text())
    assert (config["r"], config["lora_alpha"]) == (8, 16)  # SFT's r=4 and DPO's r=4, stacked
    base = AutoModelForCausalLM.from_pretrained(babbling_model_dir)
    via_adapter = PeftModel.from_pretrained(base, tmp_path / "adapter").merge_and_unload().state_dict()
    merged = AutoModelForCausalLM.from_pretrained(tmp_path / "merged").state_dict()
    assert via_adapter.keys() == merged.keys()
    worst = max(float((via_adapter[k] - merged[k]).abs().max()) for k in merged)
    assert worst < 1e-5
    base_sd = AutoModelForCausalLM.from_pretrained(babbling_model_dir).state_dict()
    assert max(float((base_sd[k] - merged[k]).abs().max()) for k in merged) > 1e-3  # it did train


def test_files_owner_only_and_model_card(study_dir, tmp_path):
    out = tmp_path / "card"
    result = export_model(study_dir, out, variant="selected", fmt="merged")
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    for p in out.rglob("*"):
        assert stat.S_IMODE(p.stat().st_mode) == (0o700 if p.is_dir() else 0o600), p
    text = (out / "README.md").read_text()
    assert text.startswith("---\n")
    front = yaml.safe_load(text.split("---\n")[1])
    assert front["library_name"] == "transformers" and "medtune" in front["tags"]
    assert "base_model" not in front  # a local base model has no Hub id
    results = json.loads((study_dir / "report" / "results.json").read_text())
    t = results["tasks"]["uti"]
    assert result.variant == t["deploy"]
    assert "Not a medical device" in text and "## Intended use" in text and "## Limitations" in text
    assert results["study"]["data_hashes"]["uti"] in text
    for v in t["variants"].values():
        assert f"{v['value']:.3f}" in text and f"{v['ci95'][0]:.3f} to {v['ci95'][1]:.3f}" in text
    sft_vs_base = [c for c in t["comparisons"] if {c["a"], c["b"]} == {"base", "sft"}]
    assert sft_vs_base and text.count("| SFT vs base |") == len(sft_vs_base)  # each test, one row
    assert "Decides" in text and "Decision rule:" in text
    settings = json.loads((out / "medtune_task.json").read_text())
    assert settings["system_prompt"] in text and settings["task"] == "uti"


def test_bundled_model_card_names_its_hub_origin():
    from medtune.export.card import base_model_id

    assert base_model_id("smollm2-135m-instruct") == "HuggingFaceTB/SmolLM2-135M-Instruct"
    assert base_model_id("org/name") == "org/name"
    assert base_model_id("/models/local") is None


def test_refuses_what_it_cannot_export(study_dir, tmp_path):
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "file").write_text("x")
    with pytest.raises(UserError, match="already exists"):
        export_model(study_dir, taken, variant="sft")
    with pytest.raises(UserError, match="--variant"):
        export_model(study_dir, tmp_path / "a", variant="best")
    with pytest.raises(UserError, match="--format"):
        export_model(study_dir, tmp_path / "b", variant="sft", fmt="gguf")
    with pytest.raises(UserError, match="no such task"):
        export_model(study_dir, tmp_path / "c", variant="sft", task="triage")
    with pytest.raises(UserError, match="not a study directory"):
        export_model(tmp_path, tmp_path / "d", variant="sft")
    assert not (tmp_path / "a").exists() and sorted(p.name for p in tmp_path.iterdir()) == ["taken"]


def test_cli_exit_code_2_names_the_problem(study_dir, tmp_path, monkeypatch, capsys):
    from medtune.cli import main

    monkeypatch.setattr(sys, "argv", ["medtune", "export", str(study_dir), "--out", str(tmp_path / "x"),
                                      "--format", "adapter", "--variant", "base"])
    with pytest.raises(SystemExit) as exc:
        main()
    assert exc.value.code == 2 and "--variant base" in capsys.readouterr().err
