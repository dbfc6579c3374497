"""Export shapes: OpenAI chat SFT, OpenAI preference (DPO) and TRL conversational preference."""

from __future__ import annotations

import json

import pytest

from medtune.data.export import export_examples, export_record, load_for_export
from medtune.data.records import Example
from medtune.errors import UserError

EX = Example(id="a", prompt="Note: dysuria, 20 WBC/hpf. UTI?", chosen="yes", rejected="no",
             label="yes")
SYSTEM = {"role": "system", "content": "Be careful."}
USER = {"role": "user", "content": "Note: dysuria, 20 WBC/hpf. UTI?"}


def test_openai_sft_shape():
    assert export_record(EX, "openai-sft", "Be careful.") == {
        "messages": [SYSTEM, USER, {"role": "assistant", "content": "yes"}]}


def test_openai_dpo_shape():
    assert export_record(EX, "openai-dpo", "Be careful.") == {
        "input": {"messages": [SYSTEM, USER]},
        "preferred_output": [{"role": "assistant", "content": "yes"}],
        "non_preferred_output": [{"role": "assistant", "content": "no"}]}


def test_trl_conversational_preference_shape():
    assert export_record(EX, "trl") == {
        "prompt": [USER],
        "chosen": [{"role": "assistant", "content": "yes"}],
        "rejected": [{"role": "assistant", "content": "no"}]}


def test_chat_prompt_with_own_system_message_is_kept():
    ex = Example(**{**EX.model_dump(), "prompt": [{"role": "system", "content": "Own."}, USER]})
    msgs = export_record(ex, "openai-sft", "Be careful.")["messages"]
    assert msgs[0] == {"role": "system", "content": "Own."} and len(msgs) == 3


def test_export_writes_one_line_per_example(tmp_path):
    out = tmp_path / "o.jsonl"
    assert export_examples([EX, EX.model_copy(update={"id": "b"})], "trl", out) == 2
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert lines == [export_record(EX, "trl")] * 2
    assert [p.name for p in tmp_path.iterdir()] == ["o.jsonl"]  # no temporary file left


def test_preference_formats_need_rejected(tmp_path):
    no_rej = EX.model_copy(update={"id": "x", "rejected": None})
    with pytest.raises(UserError) as info:
        export_examples([EX, no_rej], "openai-dpo", tmp_path / "o.jsonl", source="d.jsonl")
    assert str(info.value).startswith("d.jsonl: 1 records have no rejected answer (x); "
                                      "openai-dpo needs preference pairs")
    assert export_examples([no_rej], "openai-sft", tmp_path / "o.jsonl") == 1
    assert not (tmp_path / "o.jsonl.tmp").exists()


def test_unknown_format(tmp_path):
    with pytest.raises(UserError, match="use one of openai-sft, openai-dpo, trl"):
        export_examples([EX], "anthropic", tmp_path / "o.jsonl")


def test_load_without_task_accepts_any_label(tmp_path):
    f = tmp_path / "d.jsonl"
    f.write_text(json.dumps({"id": "a", "prompt": "p", "chosen": "c", "label": "anything"}) + "\n")
    assert load_for_export(f, None)[0].label == "anything"


def test_cli_export_uses_the_task_system_prompt(tmp_path):
    from typer.testing import CliRunner

    from medtune.cli.data import app
    from medtune.tasks import get_task

    f = tmp_path / "d.jsonl"
    f.write_text(json.dumps(EX.model_dump(exclude_none=True)) + "\n")
    out = tmp_path / "o.jsonl"
    result = CliRunner().invoke(app, ["export", str(f), "--format", "openai-dpo", "--out",
                                      str(out), "--task", "uti"])
    assert result.exit_code == 0, result.output
    (line,) = [json.loads(x) for x in out.read_text().splitlines()]
    assert line["input"]["messages"][0] == {"role": "system",
                                            "content": get_task("uti").system_prompt}
