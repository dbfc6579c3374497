"""Runs that looked hung (issue 13): evaluations and judges advance per batch and per verdict,
and without a terminal the progress is printed as plain, flushed lines."""

from __future__ import annotations

import io

from medtune.cli.lines import LineProgress
from medtune.config import parse_study
from medtune.study.context import Progress
from medtune.runner import run_study


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_plain_lines_at_start_every_tenth_and_end():
    out, clock = io.StringIO(), Clock()
    lines = LineProgress(out, seconds=30, clock=clock)
    lines.stage("uti: base on test", 40)
    for _ in range(40):
        clock.now += 1
        lines.advance(1)
    lines.log("a message")
    clock.now += 3600
    lines.stage("uti: SFT lr=0.001", 1000)
    lines.advance(1)  # neither a tenth nor 30 s since the stage began: no line
    clock.now += 31
    lines.advance(1)  # 30 s without a line: one now, so a slow stage still shows life
    lines.finish()
    text = out.getvalue().splitlines()
    assert text[0] == "[0:00:00] uti: base on test: started (40 units)"
    assert text[1:11] == [f"[0:00:{4 * i:02d}] uti: base on test: {4 * i}/40" for i in range(1, 11)]
    assert text[11:] == ["[0:00:40] a message", "[1:00:40] uti: base on test: done in 3640 s",
                         "[1:00:40] uti: SFT lr=0.001: started (1000 units)", "[1:01:11] uti: SFT lr=0.001: 2/1000",
                         "[1:01:11] uti: SFT lr=0.001: done in 31 s"]


def test_evaluation_advances_per_batch_not_once_at_the_end(tiny_model_dir, tmp_path):
    study = parse_study({
        "name": "pr", "model": str(tiny_model_dir),
        "tasks": [{"task": "uti", "data": {"synthetic": {"n": 40}}, "sizes": {"train": 8, "eval": 2, "dev": 2, "test": 24}}],
        "training": {"batch_size": 4, "pack_tokens": 128},
        "sft": {"learning_rates": [1e-3], "steps": 1}, "dpo": {"enabled": False, "learning_rates": [1e-3], "steps": 1},
    }, "test")
    events = []
    run_study(study, tmp_path, progress=Progress(stage=lambda name, total: events.append(("stage", name, total)),
                                                 advance=lambda n: events.append(("advance", n)),
                                                 log=lambda m: events.append(("log", m))))
    start = events.index(("stage", "uti: base on test", 24))
    end = next(i for i in range(start + 1, len(events)) if events[i][0] == "stage")
    steps = [e[1] for e in events[start + 1:end] if e[0] == "advance"]
    assert sum(steps) == 24 and len(steps) > 1  # pack_tokens 128: several packed batches
    assert any(e[0] == "log" and e[1].startswith("loading model ") for e in events[:start])
