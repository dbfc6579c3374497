"""One study directory, one study: a changed study is refused, naming what changed."""

import pytest

from medtune.config import parse_study
from medtune.errors import UserError
from medtune.store import Store
from medtune.study.guard import check_study_dir


def _study(**over):
    raw = {"name": "s", "model": "m", "tasks": [{"task": "uti", "data": {"synthetic": {"n": 30}},
                                                 "sizes": {"train": 10, "eval": 4, "dev": 4, "test": 8}}],
           "sft": {"learning_rates": [1e-3], "steps": 4}, "dpo": {"learning_rates": [1e-4], "steps": 2}}
    raw.update(over)
    return parse_study(raw, "test")


@pytest.fixture()
def store(tmp_path):
    s = Store(tmp_path / "study.db")
    check_study_dir(s, _study(), {"uti": "a" * 64}, tmp_path)
    yield s
    s.close()


def test_same_study_and_report_only_changes_continue(store, tmp_path):
    check_study_dir(store, _study(), {"uti": "a" * 64}, tmp_path)
    check_study_dir(store, _study(name="renamed", statistics={"alpha": 0.01, "correction": "holm"}),
                    {"uti": "a" * 64}, tmp_path)


def test_changed_settings_and_data_are_named(store, tmp_path):
    changed = _study(sft={"learning_rates": [1e-3, 1e-4], "steps": 4}, selection={"window": 5})
    with pytest.raises(UserError) as err:
        check_study_dir(store, changed, {"uti": "b" * 64}, tmp_path)
    text = str(err.value)
    assert "sft.learning_rates: was [0.001], now [0.001, 0.0001]" in text
    assert "selection.window: was 3, now 5" in text
    assert "data of task uti: hash was aaaaaaaaaaaa, now bbbbbbbbbbbb" in text
    assert "--out" in text and "delete" in text


def test_added_task_is_named(store, tmp_path):
    tasks = _study().model_dump(mode="json")["tasks"] + [
        {"task": "triage", "data": {"synthetic": {"n": 30}}, "sizes": {"train": 10, "eval": 4, "dev": 4, "test": 8}}]
    with pytest.raises(UserError, match=r"tasks\.1\.task: was \(absent\), now \"triage\""):
        check_study_dir(store, _study(tasks=tasks), {"uti": "a" * 64, "triage": "c" * 64}, tmp_path)


def test_directory_of_an_older_medtune_is_refused(tmp_path):
    s = Store(tmp_path / "study.db")
    s.start_run("uti/sft/lr=0.001", "uti", "sft", {"steps": 1}, "cpu")
    with pytest.raises(UserError, match="older medtune"):
        check_study_dir(s, _study(), {"uti": "a" * 64}, tmp_path)
    s.close()


def test_a_setting_added_since_the_directory_was_made_continues_at_none(store, tmp_path):
    """A directory recorded before `revision` and `chat_template` existed (their keys absent)
    continues while they stay None; using one is a change."""
    stored = store.meta("study_config")
    for key in ("revision", "chat_template"):
        stored.pop(key)
    store.set_meta({"study_config": stored})
    check_study_dir(store, _study(), {"uti": "a" * 64}, tmp_path)
    with pytest.raises(UserError) as err:
        check_study_dir(store, _study(revision="v2"), {"uti": "a" * 64}, tmp_path)
    assert 'revision: was (absent), now "v2"' in err.value.problems


def test_a_directory_from_before_training_dtype_auto_continues_where_auto_is_fp32(tmp_path, monkeypatch):
    """Directories made when training.dtype defaulted to float32 (no autocast) hold fp32 runs:
    today's default ``auto`` continues them where it means fp32, and is refused, naming the
    key, where it would compute in bf16."""
    from medtune.train import precision

    store = Store(tmp_path / "study.db")
    old = _study(training={"dtype": "float32"})
    check_study_dir(store, old, {"uti": "a" * 64}, tmp_path)
    monkeypatch.setattr(precision, "fast_bf16", lambda device_type: False)
    check_study_dir(store, _study(), {"uti": "a" * 64}, tmp_path)  # auto = fp32 here
    check_study_dir(store, _study(training={"dtype": "fp32"}), {"uti": "a" * 64}, tmp_path)
    monkeypatch.setattr(precision, "fast_bf16", lambda device_type: True)
    with pytest.raises(UserError) as err:
        check_study_dir(store, _study(), {"uti": "a" * 64}, tmp_path)
    assert 'training.dtype: was "fp32", now "bf16"' in str(err.value)
    store.close()
