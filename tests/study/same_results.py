"""The results model against the dicts it replaced, on a real study directory."""

import json
from pathlib import Path

from medtune.config import load_study
from medtune.report.model import dump_results, parse_results
from medtune.report.results import build_results
from medtune.store import Store


def assert_model_writes_the_same_bytes(out: Path) -> None:
    """Rebuild the study's results from study.db; the text the old writer made of the
    builders' dict (json.dumps, indent 2, no ASCII escapes) and the text of the model are the
    same bytes, and both are the results.json on disk (its timestamp taken over). The model
    declares every key the builders wrote."""
    on_disk = (out / "report" / "results.json").read_text(encoding="utf-8")
    store = Store(out / "study.db")
    try:
        built = build_results(store, load_study(out / "study.yaml"), json.loads(on_disk)["study"]["data_hashes"])
    finally:
        store.close()
    built["study"]["created"] = json.loads(on_disk)["study"]["created"]
    # the old writer filled a task's deploy and recommendation only where the builders had not
    assert all("deploy" in t and t["recommendation"] for t in built["tasks"].values())
    old = json.dumps(built, indent=2, ensure_ascii=False) + "\n"
    model = parse_results(built)
    assert dump_results(model) == old == on_disk
    assert model.undeclared() == []
