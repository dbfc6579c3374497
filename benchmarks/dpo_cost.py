"""What a DPO step costs against an SFT step, in medtune and in TRL, measured side by side.

Same model (the bundled SmolLM2-135M-Instruct by default), the same 64 pairs (32 from the
``uti`` generator, 32 from ``triage``), the same LoRA config (medtune's ``LoraSettings``
defaults: r 16, alpha 32, all linear layers) and batch size, in one process, one after the
other: medtune SFT, medtune DPO, TRL ``SFTTrainer``, TRL ``DPOTrainer`` (aligned with medtune by
``medtune.train.trl_align``, as in tests/train/test_trl_reference.py). The first ``--warmup``
steps of each are not timed.

medtune's DPO step runs no reference forward: the reference log-probs come precomputed, as a
DPO sweep gets them from the study directory's cache (``medtune.train.refcache``), once per
sweep. That one-off pass is timed and printed apart (``ours_reference_seconds``). TRL's
``DPOTrainer`` with a LoRA adapter and its defaults runs the reference (adapter off) at every
step.

Every run computes in one type, ``--dtype`` (default ``auto``: what a study would pick on this
machine, medtune.train.precision), TRL included (its ``bf16`` flag), so the TRL/medtune ratios
compare like with like. Tokens per second are set against the machine limit in that type: the
measured GEMM FLOP/s (fp32 and bf16 are both measured and printed side by side) divided by the
FLOPs a token needs (see ``flops_per_token``). medtune's SFT step is also timed in the other
type, for the bf16/fp32 speed ratio of a real step.

Evaluation is measured too: choice scoring (label log-likelihood, the study's default test
evaluation) in tokens/s against the forward-only limit, and greedy generation with the KV cache
in new tokens/s.

The last line printed is one JSON object with every figure, the CPU's name, its flags and the
load average (others may be running: compare ratios measured side by side in one run, never
absolute times across runs).

    make bench      # installs the bench extra (TRL), then runs this
    PYTHONPATH=src python benchmarks/dpo_cost.py [--model DIR] [--steps 8] [--warmup 2] [--dtype auto]
"""

from __future__ import annotations

import argparse
import copy
import importlib.util
import json
import os
import sys
import tempfile
import time
from typing import Any

import torch

from medtune.train import precision

N_PAIRS = 64
TASKS = ("uti", "triage")


TORCH_DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16}
INSTALL_HINT = ("benchmarks/dpo_cost.py runs TRL side by side with medtune, and TRL is not installed.\n"
                "Install the benchmark's dependencies with `make bench` (which then runs this script) or\n"
                "    pip install -e '.[bench]'")


def gemm_flops(size: int, dtype: str = "fp32", repeats: int = 5) -> float:
    """Best-of-``repeats`` FLOP/s of a square matmul (2 n^3 FLOPs) in ``dtype`` on this machine's
    default thread count: the machine's practical arithmetic peak in that type."""
    a, b = (torch.randn(size, size, dtype=TORCH_DTYPES[dtype]) for _ in range(2))
    a @ b  # warm the allocator and the BLAS thread pool
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - start)
    return 2 * size**3 / best


def lora_params(model: Any, r: int) -> int:
    """Parameters of a rank-r adapter on every linear layer of the decoder ("all-linear", which
    leaves out the LM head): r x (in + out) per layer."""
    return sum(r * (m.in_features + m.out_features)
               for m in model.get_decoder().modules() if isinstance(m, torch.nn.Linear))


def flops_per_token(model: Any, lora_params: int, scored_fraction: float) -> float:
    """Training FLOPs per token of LoRA fine-tuning, counting only the work LoRA requires.

    - Decoder weights (N_body, every nn.Linear of the decoder): forward 2 N_body; backward only
      the gradient with respect to the activations, 2 N_body, because frozen weights need no
      weight gradient. So 4 N_body, not the 6 N of full fine-tuning (which adds 2 N for the
      weight gradients); 6 N would inflate the limit's cost and flatter the fraction by 1.5x.
    - LoRA matrices (N_lora): trained, so the full 6 N_lora.
    - LM head (N_head = vocab x hidden): needed only at scored (completion) positions, forward
      and activation gradient, 4 N_head per scored token; ``scored_fraction`` is scored tokens
      over all tokens of the batch.
    - Attention scores and softmax (about 4 x context x hidden per layer, a few percent at these
      lengths) are left out: the limit is then slightly optimistic, the fraction conservative.
    """
    body = sum(m.weight.numel() for m in model.get_decoder().modules() if isinstance(m, torch.nn.Linear))
    head = model.get_output_embeddings().weight.numel()
    return 4 * body + 6 * lora_params + 4 * head * scored_fraction


def forward_flops_per_token(model: Any, scored_fraction: float) -> float:
    """Forward-only FLOPs per token of scoring (no adapter, no backward): 2 N_body, plus the
    LM head at scored positions only (packing.completion_logprobs), 2 N_head per scored token."""
    body = sum(m.weight.numel() for m in model.get_decoder().modules() if isinstance(m, torch.nn.Linear))
    return 2 * body + 2 * model.get_output_embeddings().weight.numel() * scored_fraction


def _pairs(tokenizer: Any, max_length: int) -> tuple[list, list, list, list]:
    """The 64 pairs as medtune groups (DPO and SFT) and as TRL rows (DPO and SFT)."""
    from medtune.tasks import get_task
    from medtune.tasks.rejected import fill_rejected
    from medtune.train.batching import dpo_groups, sft_groups
    from medtune.train.trl_align import trl_rows

    dpo, sft, trl_dpo, trl_sft = [], [], [], []
    for name in TASKS:
        task = get_task(name)
        examples = fill_rejected(task.generate(N_PAIRS // len(TASKS), seed=0), task, seed=0)
        dpo += dpo_groups(tokenizer, task, examples, max_length)
        sft += sft_groups(tokenizer, task, examples, max_length)
        trl_dpo += trl_rows("dpo", task, examples)
        trl_sft += trl_rows("sft", task, examples)
    return dpo, sft, trl_dpo, trl_sft


def _seconds_per_step(ends: list[float], warmup: int) -> float:
    """Mean seconds per step after the warm-up, from the end time of every step."""
    timed = ends[warmup - 1 :]
    return (timed[-1] - timed[0]) / (len(timed) - 1)


def run_ours(model: Any, groups: list, settings: Any, warmup: int, frozen: bool = False) -> dict[str, float]:
    """Seconds per step of medtune's loop. ``frozen``: with LoRA on the last layers, the states
    below them are computed for every group first (timed apart, ``fill_seconds``: once per
    sequence in a study), so the steps measured are those of a later epoch or sweep config;
    without it, every step runs every layer (the loop's ``reuse_frozen=False``)."""
    from medtune.train.frozen import FrozenStates, frozen_layers
    from medtune.train.loop import drawn_indices, train
    from medtune.train.refcache import Reference, compute_logprobs

    states, fill_seconds = None, 0.0
    if frozen:
        start = time.perf_counter()
        states = FrozenStates(model, frozen_layers(model, settings.lora.last_layers), settings.compute)
        states.fill(model, groups, settings.pack_tokens)
        fill_seconds = time.perf_counter() - start
    reference, ref_seconds = None, 0.0
    if settings.method == "dpo":
        start = time.perf_counter()
        reference = Reference(compute_logprobs(model, groups, drawn_indices(len(groups), settings), settings.pack_tokens),
                              torch.zeros(0, 2))
        ref_seconds = time.perf_counter() - start
    ends: list[float] = []
    result = train(copy.deepcopy(model), groups, [], settings, on_step=lambda s, l: ends.append(time.perf_counter()),
                   reference=reference, frozen=states, reuse_frozen=frozen)
    # Tokens per step: the run's mean (timed and warm-up steps draw from the same 64 pairs).
    return {"s_per_step": _seconds_per_step(ends, warmup), "tokens_per_step": result.tokens / settings.steps,
            "reference_seconds": ref_seconds, "fill_seconds": fill_seconds}


def frozen_comparison(model: Any, groups: list, settings: Any, warmup: int) -> dict[str, Any]:
    """SFT with LoRA on the last layers (``settings.lora.last_layers``), every step through every
    layer and from the states below the adapters, side by side (train/frozen.py)."""
    full = run_ours(model, groups, settings, warmup)
    _fresh_accelerate_state()
    cached = run_ours(model, groups, settings, warmup, frozen=True)
    n = settings.lora.last_layers
    return {f"ours_sft_last{n}_s_per_step": full["s_per_step"],
            f"ours_sft_last{n}_frozen_s_per_step": cached["s_per_step"],
            f"ours_sft_last{n}_frozen_to_full": cached["s_per_step"] / full["s_per_step"],
            f"ours_sft_last{n}_frozen_fill_seconds": cached["fill_seconds"],
            f"ours_sft_last{n}_frozen_fill_groups": len(groups)}


def machine() -> dict[str, Any]:
    """The CPU and its load: figures from different runs are compared by ratio, never absolute."""
    return dict(cpu=precision.cpu_name(), cpu_bf16_flags=precision.bf16_flags(),
                cpu_flags=" ".join(sorted(precision.cpu_flags())),
                load_average_1min=os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
                threads=torch.get_num_threads(), device="cuda" if torch.cuda.is_available() else "cpu")


def run_eval(model: Any, tokenizer: Any, dtype: str, pack_tokens: int, n: int) -> dict[str, float]:
    """Choice scoring (every label of every example as a packed completion) and greedy
    generation on ``n`` test-like examples per task, in ``dtype``; one untimed warm-up each."""
    from medtune.evaluate.predict import predict_by_generation, predict_by_likelihood
    from medtune.tasks import get_task
    from medtune.train.batching import make_groups

    tokens = scored = seconds = 0.0
    new_tokens = gen_seconds = 0.0
    for name in TASKS:
        task = get_task(name)
        examples = task.generate(n, seed=1)
        answers = [a for _, a in task.candidates()]
        groups = make_groups(tokenizer, task, examples, lambda ex: answers, 1024)
        tokens += sum(len(g.prompt) + sum(len(c) for c in g.completions) for g in groups)
        scored += sum(len(c) for g in groups for c in g.completions)
        predict_by_likelihood(model, tokenizer, task, examples[:4], 1024, pack_tokens, dtype)
        start = time.perf_counter()
        predict_by_likelihood(model, tokenizer, task, examples, 1024, pack_tokens, dtype)
        seconds += time.perf_counter() - start
        predict_by_generation(model, tokenizer, task, examples[:2], 4, dtype=dtype)
        start = time.perf_counter()
        preds = predict_by_generation(model, tokenizer, task, examples[: n // 2], task.max_new_tokens, dtype=dtype)
        gen_seconds += time.perf_counter() - start
        # answers re-tokenized (+1 for the end-of-turn token): close to the tokens decoded
        new_tokens += sum(len(tokenizer(p.text, add_special_tokens=False)["input_ids"]) + 1 for p in preds)
    return {"tokens_per_s": tokens / seconds, "scored_fraction": scored / tokens,
            "generate_new_tokens_per_s": new_tokens / gen_seconds}


def run_trl(model: Any, tokenizer: Any, rows: list, settings: Any, warmup: int) -> dict[str, float]:
    from transformers import TrainerCallback

    from medtune.train.trl_align import lora_trainer

    ends: list[float] = []

    class StepEnds(TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):
            ends.append(time.perf_counter())

    with tempfile.TemporaryDirectory() as out:
        trainer = lora_trainer(copy.deepcopy(model), tokenizer, rows, settings, out,
                               use_cpu=not torch.cuda.is_available(), bf16=settings.compute == "bf16")
        trainer.add_callback(StepEnds())
        trainer.train()
    return {"s_per_step": _seconds_per_step(ends, warmup)}


def _fresh_accelerate_state() -> None:
    """accelerate keeps one process-wide state and refuses a second mixed-precision setting in
    it: TRL with ``bf16=True`` sets bf16 there, medtune's loop (which applies autocast itself,
    train/precision.py) "no" on a CPU. One process runs both here, so each run starts clean."""
    from accelerate.state import AcceleratorState

    AcceleratorState._reset_state()


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="smollm2-135m-instruct", help="bundled model name or local HF directory")
    parser.add_argument("--steps", type=int, default=8, help="timed optimizer steps per method")
    parser.add_argument("--warmup", type=int, default=2, help="steps run first and not timed (at least 1)")
    parser.add_argument("--batch-size", type=int, default=8)
    # About two of these ~150-token pairs per row. On a CPU, SDPA computes the whole L x L of a
    # row, masked or not, so long rows cost attention (the quick demo uses 256 for this reason);
    # with FlexAttention on a GPU the masked tiles are skipped and longer rows cost little.
    parser.add_argument("--pack-tokens", type=int, default=384, help="medtune's tokens per packed row")
    parser.add_argument("--gemm-size", type=int, default=1024)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's own)")
    parser.add_argument("--dtype", choices=["auto", "bf16", "fp32"], default="auto",
                        help="compute type of every run, TRL's included (auto: what a study picks here)")
    parser.add_argument("--eval-examples", type=int, default=48, help="test-like examples per task for evaluation")
    parser.add_argument("--last-layers", type=int, default=8,
                        help="LoRA on the last N layers for the frozen-states comparison (the quick demo's 8)")
    parser.add_argument("--frozen-only", action="store_true",
                        help="only the frozen-states comparison (no TRL, no evaluation)")
    args = parser.parse_args(argv)
    if importlib.util.find_spec("trl") is None and not args.frozen_only:
        print(INSTALL_HINT, file=sys.stderr)
        raise SystemExit(2)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.warmup < 1 or args.steps < 1:
        parser.error("--warmup and --steps must be at least 1 (the first step's end starts the clock)")

    from medtune.models import load_model
    from medtune.train.settings import LoraSettings, TrainSettings

    loaded = load_model(args.model)
    model, tokenizer = loaded.model, loaded.tokenizer
    if torch.cuda.is_available():
        model = model.to("cuda")
    dpo_groups, sft_groups, trl_dpo_rows, trl_sft_rows = _pairs(tokenizer, max_length=1024)
    steps = args.warmup + args.steps
    dtype = precision.resolve(args.dtype)
    other = "fp32" if dtype == "bf16" else "bf16"
    common = dict(learning_rate=1e-4, steps=steps, batch_size=args.batch_size, eval_every=steps,
                  lora=LoraSettings(), pack_tokens=args.pack_tokens)
    sft = TrainSettings(method="sft", dtype=dtype, **common)
    dpo = TrainSettings(method="dpo", beta=0.1, dtype=dtype, **common)
    sft_other = TrainSettings(method="sft", dtype=other, **common)
    last = min(args.last_layers, model.config.num_hidden_layers - 1)  # at least one frozen layer
    sft_last = TrainSettings(method="sft", dtype=dtype, **{**common, "lora": LoraSettings(last_layers=last)})
    if args.frozen_only:
        out = {**frozen_comparison(model, sft_groups, sft_last, args.warmup), "dtype": dtype, **machine(),
               "model": args.model, "batch_size": args.batch_size, "steps": args.steps, "warmup": args.warmup}
        print(json.dumps(out))
        return out

    gemm_before = {t: gemm_flops(args.gemm_size, t) for t in TORCH_DTYPES}
    runs = {
        "ours_sft": lambda: run_ours(model, sft_groups, sft, args.warmup),
        "ours_dpo": lambda: run_ours(model, dpo_groups, dpo, args.warmup),
        "trl_sft": lambda: run_trl(model, tokenizer, trl_sft_rows, sft, args.warmup),
        "trl_dpo": lambda: run_trl(model, tokenizer, trl_dpo_rows, dpo, args.warmup),
        f"ours_sft_{other}": lambda: run_ours(model, sft_groups, sft_other, args.warmup),
    }
    figures = {}
    for name, run in runs.items():
        _fresh_accelerate_state()
        figures[name] = run()
        print(f"{name:13s} {figures[name]['s_per_step']:8.3f} s/step", flush=True)
    evals = {t: run_eval(model, tokenizer, t, args.pack_tokens, args.eval_examples) for t in (dtype, other)}
    # The best of two measurements, before and after: the machine's peak, not a busy moment.
    gemms = {t: max(gemm_before[t], gemm_flops(args.gemm_size, t)) for t in TORCH_DTYPES}
    gemm = gemms[dtype]

    assert sft.lora.target_modules == "all-linear" and sft.lora.last_layers is None
    n_lora = lora_params(model, sft.lora.r)
    out: dict[str, Any] = {}
    for method, groups in (("sft", sft_groups), ("dpo", dpo_groups)):
        tokens = sum(len(g.prompt) + sum(len(c) for c in g.completions) for g in groups)
        scored = sum(len(c) for g in groups for c in g.completions)
        per_token = flops_per_token(model, n_lora, scored / tokens)
        ours = figures[f"ours_{method}"]
        tokens_per_s = ours["tokens_per_step"] / ours["s_per_step"]
        out[f"ours_{method}_tokens_per_s"] = tokens_per_s
        out[f"{method}_limit_tokens_per_s"] = gemm / per_token
        out[f"{method}_flops_per_token"] = per_token
        out[f"{method}_fraction_of_limit"] = tokens_per_s * per_token / gemm
    for name, f in figures.items():
        out[f"{name}_s_per_step"] = f["s_per_step"]
    ev = evals[dtype]
    forward = forward_flops_per_token(model, ev["scored_fraction"])
    out.update(
        eval_tokens_per_s=ev["tokens_per_s"],
        eval_limit_tokens_per_s=gemm / forward,
        eval_fraction_of_limit=ev["tokens_per_s"] * forward / gemm,
        eval_generate_new_tokens_per_s=ev["generate_new_tokens_per_s"],
        **{f"eval_tokens_per_s_{other}": evals[other]["tokens_per_s"],
           f"eval_generate_new_tokens_per_s_{other}": evals[other]["generate_new_tokens_per_s"],
           f"ours_sft_{other}_to_{dtype}": figures[f"ours_sft_{other}"]["s_per_step"] / figures["ours_sft"]["s_per_step"]},
    )
    out.update(
        ours_dpo_to_sft=figures["ours_dpo"]["s_per_step"] / figures["ours_sft"]["s_per_step"],
        trl_dpo_to_sft=figures["trl_dpo"]["s_per_step"] / figures["trl_sft"]["s_per_step"],
        trl_dpo_to_ours_dpo=figures["trl_dpo"]["s_per_step"] / figures["ours_dpo"]["s_per_step"],
        trl_sft_to_ours_sft=figures["trl_sft"]["s_per_step"] / figures["ours_sft"]["s_per_step"],
        **frozen_comparison(model, sft_groups, sft_last, args.warmup),
        throughput_fraction_of_limit=out["sft_fraction_of_limit"],
        ours_reference_seconds=figures["ours_dpo"]["reference_seconds"],
        gemm_gflops=gemm / 1e9,
        gemm_gflops_fp32=gemms["fp32"] / 1e9,
        gemm_gflops_bf16=gemms["bf16"] / 1e9,
        dtype=dtype,
        **machine(),
        model=args.model, n_pairs=len(dpo_groups), batch_size=args.batch_size, steps=args.steps,
        warmup=args.warmup,
    )
    print(f"medtune tokens/s (SFT, {dtype}) {out['ours_sft_tokens_per_s']:.0f} of a limit of "
          f"{out['sft_limit_tokens_per_s']:.0f} (GEMM {out['gemm_gflops']:.0f} GFLOP/s; fp32 "
          f"{out['gemm_gflops_fp32']:.0f}, bf16 {out['gemm_gflops_bf16']:.0f}); choice scoring "
          f"{out['eval_tokens_per_s']:.0f} tokens/s, {out['eval_fraction_of_limit']:.2f} of the forward-only limit")
    print(json.dumps(out))
    return out


if __name__ == "__main__":
    main()
