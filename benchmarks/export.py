"""How long ``medtune export`` takes on the bundled model, merged and as an adapter.

Runs a tiny study on the bundled SmolLM2-135M-Instruct (one task, 1 SFT and 1 DPO step: the
export reads checkpoints, not how well they trained) unless a finished study directory is
given, then times each export in this process (model load, rebuild from the checkpoints,
writing safetensors, tokenizer and card) and prints the sizes. The last line is one JSON
object with every figure and the CPU. Seconds are noisy on a shared machine.

    PYTHONPATH=src python benchmarks/export.py [--study DIR]
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import tempfile
import time
from pathlib import Path


def cpu_name() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        return next(line.split(":", 1)[1].strip() for line in out.splitlines() if line.startswith("Model name"))
    except (OSError, StopIteration):
        return platform.processor() or "unknown"


def tiny_study(out: Path) -> None:
    from medtune.config import load_study
    from medtune.runner import run_study

    sets = ["tasks=[{task: uti, data: {synthetic: {n: 24}}, sizes: {train: 8, eval: 2, dev: 2, test: 4}}]",
            "sft.steps=1", "sft.eval_every=1", "dpo.steps=1", "dpo.eval_every=1", "training.batch_size=4",
            "statistics.bootstrap=100", "tracking.tensorboard=false"]
    run_study(load_study(Path(__file__).parents[1] / "examples" / "quick.yaml", sets), out)


def main() -> None:
    from medtune.export import export_model

    parser = argparse.ArgumentParser()
    parser.add_argument("--study", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        study = args.study
        if study is None:
            study = Path(tmp) / "study"
            print("running a tiny study on the bundled model ...", flush=True)
            tiny_study(study)
        figures = {"cpu": cpu_name()}
        for variant, fmt in (("dpo", "merged"), ("dpo", "adapter"), ("sft", "merged")):
            out = Path(tmp) / f"{variant}-{fmt}"
            clock = time.perf_counter()
            export_model(study, out, variant=variant, fmt=fmt)
            seconds = time.perf_counter() - clock
            mb = sum(p.stat().st_size for p in out.iterdir()) / 1e6
            figures[f"{variant}_{fmt}"] = {"seconds": round(seconds, 2), "megabytes": round(mb, 1)}
            print(f"export {variant} {fmt}: {seconds:.1f} s, {mb:.0f} MB", flush=True)
        print(json.dumps(figures))


if __name__ == "__main__":
    main()
