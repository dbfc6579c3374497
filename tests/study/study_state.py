"""Helpers of the resume tests: a study directory's state, minus what the clock decides."""

import json
import re
import sqlite3
from pathlib import Path


def query(db: Path, sql: str) -> list[tuple]:
    if not db.exists():
        return []
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        return conn.execute(sql).fetchall()
    except sqlite3.OperationalError:  # tables not created yet
        return []
    finally:
        conn.close()


def comparable(results: dict) -> dict:
    """results.json without what the clock decides."""
    results = json.loads(json.dumps(results))
    del results["study"]["created"], results["compute"]
    for t in results["tasks"].values():
        t["recommendation"] = re.sub(r"DPO cost [0-9.]+x the compute of SFT", "", t["recommendation"])
        for method in (t.get("sweep") or {}).values():
            for c in method.get("candidates", []):
                c.pop("seconds", None)
    return results


TABLES = {
    "runs": "SELECT key, task, method, config, status, tokens, device, selected, dev_metric, role, plateau_step, plateau_found, "
            "(SELECT key FROM runs r2 WHERE r2.id = runs.chosen_run), chosen_step, chosen_eval_loss FROM runs",
    "curve": "SELECT r.key, c.step, c.name, c.value FROM curve c JOIN runs r ON r.id = c.run_id",
    "predictions": "SELECT * FROM predictions",
    "prompts": "SELECT * FROM prompts",
    "checkpoints": "SELECT r.key, c.step, c.path, c.resumable FROM checkpoints c JOIN runs r ON r.id = c.run_id",
    "compute": "SELECT task, stage, run_key FROM compute",
    "stages": "SELECT name, task, state FROM stages",
    "meta": "SELECT * FROM meta WHERE key != 'grading_salt'",  # a random secret per study
    "juries": "SELECT * FROM juries",
    "jury_verdicts": "SELECT * FROM jury_verdicts",
}


def snapshot(out: Path) -> dict:
    db = out / "study.db"
    state = {name: sorted(query(db, sql), key=repr) for name, sql in TABLES.items()}
    state["files"] = sorted(str(p.relative_to(out)) for p in (out / "checkpoints").rglob("*"))
    state["results"] = comparable(json.loads((out / "report" / "results.json").read_text()))
    return state


