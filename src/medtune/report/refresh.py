"""Rebuild a study's statistics and report from study.db, without running any model.

After physicians grade (``medtune grade serve``) their final verdicts are in study.db; this
reads them, the stored judge verdicts and the saved predictions, and writes results.json,
report.md and index.html again (``medtune study report DIR``).
"""

from __future__ import annotations

from pathlib import Path

from medtune.errors import UserError
from medtune.report.model import Results, parse_results, read_results


def refresh_report(study_dir: Path) -> tuple[Path, Results]:
    """(path of index.html, results) rebuilt from study_dir/study.yaml and study.db. The data
    hashes come from the previous results.json (the data are not read again); a previous
    results.json that does not follow the schema is a UserError naming the key."""
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
    todo = (f"move it aside and run `medtune study report {study_dir}` again (the data hashes it "
            "carries are then left out), or run the study again")
    hashes = read_results(previous, todo).study.data_hashes if previous.is_file() else {}
    store = Store(db)
    try:
        results = build_results(store, study, hashes)
    finally:
        store.close()
    checked = parse_results(results, "the rebuilt results")
    return write_report(checked, study_dir / "report"), checked
