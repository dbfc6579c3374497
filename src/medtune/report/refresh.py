"""Rebuild a study's statistics and report from study.db, without running any model.

After physicians grade (``medtune grade serve``) their final verdicts are in study.db; this
reads them, the stored judge verdicts and the saved predictions, and writes results.json,
report.md and index.html again (``medtune study report DIR``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from medtune.errors import UserError


def refresh_report(study_dir: Path) -> tuple[Path, dict[str, Any]]:
    """(path of index.html, results) rebuilt from study_dir/study.yaml and study.db. The data
    hashes come from the previous results.json (the data are not read again)."""
    from medtune.config import load_study
    from medtune.report.render import write_report
    from medtune.report.results import build_results
    from medtune.store import Store

    study_file, db = study_dir / "study.yaml", study_dir / "study.db"
    if not study_file.is_file() or not db.is_file():
        raise UserError(f"{study_dir}: no study.yaml and study.db here; give the directory a "
                        "`medtune study run --out DIR` wrote")
    study = load_study(study_file)
    previous = study_dir / "report" / "results.json"
    hashes = json.loads(previous.read_text())["study"]["data_hashes"] if previous.is_file() else {}
    store = Store(db)
    try:
        results = build_results(store, study, hashes)
    finally:
        store.close()
    return write_report(results, study_dir / "report"), results
