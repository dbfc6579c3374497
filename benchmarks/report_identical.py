"""Does a change leave results.json byte-identical? A small judged study on the tiny random
model of the tests (tests/conftest.py): a labelled task, two open-ended ones (one judged, one
scored by its outcomes alone) and a free-text one, judged by two LLM judges on a loopback
OpenAI-compatible server (no network), run once; then its report rebuilt, and the study run
again on its directory (every stage stored: nothing trains, no judge is called). Compare the
results.json files of two checkouts with ``diff``.

    PYTHONPATH=src python benchmarks/report_identical.py run OUT      # study -> OUT/results-run.json
    PYTHONPATH=src python benchmarks/report_identical.py report OUT   # medtune study report -> OUT/results-report.json
    PYTHONPATH=src python benchmarks/report_identical.py rerun OUT    # study run again -> OUT/results-rerun.json
    PYTHONPATH=src python benchmarks/report_identical.py diff A.json B.json

``diff`` ignores ``study.created`` (a timestamp) and, with ``--timing``, every measured
second (compute seconds and their ratios differ between two trainings of the same study, and
the recommendation quotes the DPO/SFT compute ratio);
it prints the differing keys and exits 1 when there are any.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TIMED = [False]  # diff --timing
TIMING = {"seconds", "hours", "seconds_per_step", "dpo_to_sft", "dpo_to_sft_per_step", "eval"}


def _setup(out: Path):
    """The tiny model (built once beside OUT, so studies in sibling directories use the same
    path), the test-only open-ended task, a judge server."""
    os.environ.setdefault("MEDTUNE_HOME", str(out / "home"))
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "study")]  # as pytest's rootdir imports see them
    import torch

    torch.set_num_threads(1)
    import medtune.tasks as tasks_pkg
    from tests.conftest import ChatServer, build_tiny_model
    from tests.study.test_judge_stage import TinySummary, reply

    tasks_pkg._load_builtins()
    tasks_pkg._REGISTRY["tiny_summary"] = TinySummary
    if not (_model(out) / "config.json").is_file():
        build_tiny_model(_model(out))
    return ChatServer({n: (lambda text, n=n: reply(n, text)) for n in ("a", "b")})


def _model(out: Path) -> Path:
    return out.parent / "report-identical-model"


def _study(out: Path, url: str):
    from medtune.config import parse_study

    sizes = {"train": 8, "eval": 4, "dev": 4, "test": 12}
    return parse_study({
        "name": "judged", "seed": 0, "model": str(_model(out)),
        "tasks": [{"task": "tiny_summary", "data": {"synthetic": {"n": 28}}, "sizes": sizes},
                  {"task": "uti", "data": {"synthetic": {"n": 28}}, "sizes": sizes},
                  {"task": "summarization", "data": {"synthetic": {"n": 28}}, "sizes": sizes},
                  {"task": "reasoning", "data": {"synthetic": {"n": 28}}, "sizes": sizes}],
        "training": {"batch_size": 4, "pack_tokens": 1024, "max_length": 1000},
        "sft": {"learning_rates": [1e-2, 1e-3], "steps": 4, "eval_every": 1},
        "dpo": {"learning_rates": [1e-2], "betas": [0.1, 0.5], "steps": 3, "eval_every": 1},
        "evaluation": {"mode": "generate", "max_new_tokens": 6},
        "statistics": {"bootstrap": 100},
        "selection": {"tolerance": 0.0, "window": 2},
        "tracking": {"tensorboard": False},
        "judges": {"jury": [{"name": n, "backend": "openai", "model": n, "base_url": url, "backoff_seconds": 0}
                            for n in ("a", "b")],
                   "rubrics": {"tiny_summary": "summary_likert", "uti": "equivalence",
                               "summarization": "summary_likert"}},
    }, "report_identical")


def run(out: Path, name: str) -> None:
    from medtune.runner import run_study

    server = _setup(out)
    try:
        run_study(_study(out, server.url), out / "study")
    finally:
        server.close()
    shutil.copy(out / "study" / "report" / "results.json", out / name)
    print(f"{out / name}: {len(server.calls)} judge calls")


def report(out: Path) -> None:
    from medtune.report.refresh import refresh_report

    _setup(out).close()
    refresh_report(out / "study")
    shutil.copy(out / "study" / "report" / "results.json", out / "results-report.json")
    print(out / "results-report.json")


def _flat(value, prefix=""):
    """{dotted key: leaf value} of a JSON value."""
    if isinstance(value, dict):
        return {k2: v2 for k, v in value.items() for k2, v2 in _flat(v, f"{prefix}{k}.").items()}
    if isinstance(value, list):
        return {k2: v2 for i, v in enumerate(value) for k2, v2 in _flat(v, f"{prefix}{i}.").items()}
    return {prefix[:-1]: value}


def _untimed(flat: dict) -> dict:
    """Without measured seconds: timing keys dropped, the quoted compute ratio blanked."""
    return {k: re.sub(r"DPO cost [0-9.]+x", "DPO cost ?x", v) if isinstance(v, str) else v
            for k, v in flat.items() if not set(k.split(".")) & TIMING and not k.startswith("compute.per_task.")}


def diff(a: Path, b: Path, timing: bool) -> int:
    ta, tb = a.read_text(), b.read_text()
    fa, fb = _flat(json.loads(ta)), _flat(json.loads(tb))
    if timing:
        fa, fb = _untimed(fa), _untimed(fb)
    keys = [k for k in sorted(set(fa) | set(fb))
            if k != "study.created" and fa.get(k, "<absent>") != fb.get(k, "<absent>")]
    for k in keys:
        print(f"{k}: {fa.get(k, '<absent>')!r} != {fb.get(k, '<absent>')!r}")
    # byte-identical apart from the timestamp: same key order and formatting too
    strip = lambda text: "\n".join(line for line in text.splitlines() if '"created"' not in line)  # noqa: E731
    same_bytes = strip(ta) == strip(tb)
    print(f"{len(keys)} differing keys; bytes apart from 'created': {'identical' if same_bytes else 'different'}")
    return 1 if keys else 0


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("what", choices=["run", "report", "rerun", "diff"])
    p.add_argument("paths", nargs="+", type=Path)
    p.add_argument("--timing", action="store_true", help="diff: also ignore measured seconds")
    args = p.parse_args()
    if args.what == "diff":
        raise SystemExit(diff(*args.paths, timing=args.timing))
    out = args.paths[0].resolve()
    out.mkdir(parents=True, exist_ok=True)
    if args.what == "run":
        run(out, "results-run.json")
    elif args.what == "rerun":
        run(out, "results-rerun.json")
    else:
        report(out)


if __name__ == "__main__":
    main()
