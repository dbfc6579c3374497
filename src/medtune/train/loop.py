"""One training loop for SFT and DPO, on accelerate + peft.

SFT minimises the negative log-likelihood of the gold answer's tokens (prompt tokens are not
scored). DPO starts from the merged SFT weights, which are also its reference model; the
reference log-probs of the pairs a run draws are computed before the first step (or read from
a ``ReferenceCache`` by the caller), so no DPO step runs a reference forward.

Batch arithmetic: ``batch_size`` examples (SFT) or pairs (DPO) per optimizer step, split into
``grad_accum`` micro-batches. Each micro-batch's loss is its *sum* divided by the global
denominator (scored tokens for SFT, pairs for DPO), so the summed gradient is exactly that of
the whole batch at once, whatever the split.

Several processes (``torch.distributed.run`` / ``accelerate launch``; gloo on CPU, NCCL on GPU):
every rank draws the same seeded batch stream and takes a contiguous share of each step's
examples; the model is wrapped in DDP (or FSDP, train/fsdp.py) through a ``PackedScorer``. The loss
keeps the *global* denominator, which every rank knows because it sees the whole step's
indices, and is multiplied by the world size because DDP averages the ranks' gradients: the
reduced gradient is exactly the single-process one, up to float summation order. Eval losses
and the reference pass are computed on shards and gathered; checkpoints are written by rank 0.

Checkpoints (``Checkpointing``, see checkpoint.py) are taken at every eval step and at the
end. A run resumed from one replays the seeded batch stream to its step and restores weights,
optimizer, scheduler and RNG states, so its losses are exactly those of a run that was never
stopped. A checkpoint holds no reference log-probs: they are those of the starting weights,
taken (or read from the cache) before the checkpoint's weights are loaded.
"""

from __future__ import annotations

import contextlib
import math
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from medtune.train import distributed, parallel, precision
from medtune.train.attention import use_flex_attention
from medtune.train.frozen import FrozenStates, frozen_layers
from medtune.train.packing import Group, PackedScorer, pack, plan_rows
from medtune.train.refcache import Reference, compute_logprobs
from medtune.train.settings import TrainSettings, apply_lora, quiet_deprecation


@dataclass
class CurvePoint:
    step: int
    eval_loss: float


@dataclass
class Checkpointing:
    """Where ``train`` saves its checkpoints, which one it continues from, and who is told.

    ``on_saved(path, step, curve)`` runs once the checkpoint is completely on disk (the study
    records it in study.db and prunes older ones there)."""

    directory: Path
    resume: Path | None = None
    on_saved: Callable[[Path, int, list[CurvePoint]], None] | None = None


@dataclass
class TrainResult:
    model: Any  # trained model, LoRA merged in
    train_losses: list[float]  # one per optimizer step
    curve: list[CurvePoint]  # eval loss at step 0 and every eval_every steps
    seconds: float  # wall seconds in train(), reference pass included, summed over resumes
    tokens: int  # real tokens through forward+backward
    dtype: str = "fp32"  # the compute type of every step (train/precision.py)


def _batches(n: int, batch_size: int, seed: int, strata: list[str] | None = None) -> Iterator[list[int]]:
    """Endless stream of example-index batches: a new seeded shuffle every epoch.

    With ``strata`` (e.g. each example's label), every epoch is shuffled within each stratum
    and the strata are then interleaved evenly, so every batch carries about the data set's
    own label proportions. Without it, a small batch that happens to be mostly one label
    swings the model's prior back and forth between steps. The proportions are kept as they
    are (no re-balancing), so the prior learned is the data's."""
    rng = random.Random(seed)
    order: list[int] = []
    while True:
        batch = []
        while len(batch) < batch_size:
            if not order:
                order = _epoch_order(n, rng, strata)
            batch.append(order.pop())
        yield batch


def _epoch_order(n: int, rng: random.Random, strata: list[str] | None) -> list[int]:
    """One epoch's order, consumed from the end (``pop``)."""
    if strata is None:
        order = list(range(n))
        rng.shuffle(order)
        return order
    by_stratum: dict[str, list[int]] = {}
    for i, s in enumerate(strata):
        by_stratum.setdefault(s, []).append(i)
    keyed = []
    for key in sorted(by_stratum):
        members = by_stratum[key]
        rng.shuffle(members)
        # Member j of a stratum of size m sits at fraction (j + u) / m of the epoch.
        keyed += [((j + rng.random()) / len(members), i) for j, i in enumerate(members)]
    keyed.sort(reverse=True)
    return [i for _, i in keyed]


def _micro_batches(indices: list[int], grad_accum: int) -> list[list[int]]:
    size = math.ceil(len(indices) / grad_accum)
    return [indices[i : i + size] for i in range(0, len(indices), size)]


def drawn_indices(n: int, settings: TrainSettings, strata: list[str] | None = None) -> list[int]:
    """The training indices ``train`` will draw in ``settings.steps`` steps (sorted, unique):
    the pairs whose reference log-probs a DPO run needs."""
    stream = _batches(n, settings.batch_size, settings.seed, strata)
    return sorted({i for _ in range(settings.steps) for i in next(stream)})


def _dpo_reference(model, train_groups, eval_groups, settings, strata, given: Reference | None,
                   frozen: FrozenStates | None) -> Reference:
    """``given``, checked to hold every pair the run uses; or computed from ``model`` as it is
    (the starting weights are the reference), keeping the lower layers' states in ``frozen``."""
    drawn = drawn_indices(len(train_groups), settings, strata)
    reference = given
    if reference is None:
        every_eval = list(range(len(eval_groups)))
        reference = Reference(
            compute_logprobs(model, train_groups, drawn, settings.pack_tokens, settings.compute, frozen),
            compute_logprobs(model, eval_groups, every_eval, settings.pack_tokens, settings.compute, frozen))
    if reference.train[drawn].isnan().any() or reference.eval.isnan().any():
        raise ValueError("the reference lacks log-probs of pairs this run uses: compute it for "
                         "drawn_indices() of these settings and every eval pair")
    return reference


def train(
    model: Any,
    train_groups: list[Group],
    eval_groups: list[Group],
    settings: TrainSettings,
    on_step: Callable[[int, float], None] | None = None,
    strata: list[str] | None = None,
    checkpoints: Checkpointing | None = None,
    reference: Reference | None = None,
    frozen: FrozenStates | None = None,
    reuse_frozen: bool = True,
) -> TrainResult:
    """Train ``model`` (a transformers causal LM) in place and return it merged.

    SFT groups have one completion (the gold answer); DPO groups two (chosen, rejected).
    ``strata`` (one key per training group, e.g. its label) makes batches label-stratified.
    ``checkpoints``: save at every eval step and at the end, and continue from ``resume``
    (a checkpoint of a run with the same settings and data) when given.
    ``reference`` (DPO): the reference log-probs of the pairs, e.g. from a ``ReferenceCache``;
    without it they are computed here, from ``model`` before any step (also when resuming:
    the starting weights are the reference, so a checkpoint need not hold it).
    ``frozen``: the states below the LoRA layers (train/frozen.py) of earlier runs from a start
    model with the same lower layers, used if they fit ``model``; without them (or when they
    do not fit) a run with ``lora.last_layers`` keeps its own. ``reuse_frozen=False`` runs every
    step through every layer (the benchmark's comparison).
    Under several processes every rank calls ``train`` with the same arguments and gets the
    same result (losses and curve summed or gathered over ranks, the same merged weights)."""
    from transformers import get_scheduler

    quiet_deprecation()

    start = time.perf_counter()  # the reference pass counts: it is part of DPO's cost
    want = 1 if settings.method == "sft" else 2
    assert all(len(g.completions) == want for g in train_groups + eval_groups)
    if not train_groups:
        raise ValueError("no training examples")
    accelerator = parallel.accelerator(settings)
    if settings.batch_size % accelerator.num_processes:
        raise ValueError(f"batch_size {settings.batch_size} does not split evenly over "
                         f"{accelerator.num_processes} processes; use a multiple of the process count")
    torch.manual_seed(settings.seed)
    frozen = _frozen(model, settings, accelerator, frozen) if reuse_frozen else None
    if settings.method == "dpo":
        reference = _dpo_reference(model, train_groups, eval_groups, settings, strata, reference, frozen)
    attn_before = use_flex_attention(model)  # FlexAttention where CUDA is present
    if settings.lora is not None:
        model = apply_lora(model, settings.lora, settings.seed)

    resume = None if checkpoints is None else checkpoints.resume
    if resume is not None:  # after the reference: a fresh adapter / untouched weights *are* it
        from medtune.train import checkpoint as ckpt

        if settings.strategy == "fsdp":
            raise ValueError("resuming an FSDP run is not supported; start the run again")
        ckpt.set_weights(model, ckpt.load_weights(resume))
        trainer_state = ckpt.load_trainer(resume)
    scorer, shell = parallel.prepare(accelerator, PackedScorer(model), settings)
    params = [p for p in scorer.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=settings.learning_rate, weight_decay=settings.weight_decay)
    scheduler = get_scheduler(
        settings.schedule if settings.schedule != "constant" else "constant_with_warmup",
        optimizer,
        num_warmup_steps=settings.warmup_steps,
        num_training_steps=settings.steps,
    )
    if resume is not None:
        optimizer.load_state_dict(trainer_state["optimizer"])
        scheduler.load_state_dict(trainer_state["scheduler"])
    optimizer = accelerator.prepare(optimizer)
    scorer.train()

    def eval_loss() -> float:
        if not eval_groups:
            return float("nan")
        with precision.autocast(settings.compute, accelerator.device):
            lp = parallel.logprobs(accelerator, scorer, eval_groups, settings, frozen)
        if settings.method == "sft":
            n_tokens = sum(len(g.completions[0]) for g in eval_groups)
            return float(-lp.sum() / n_tokens)
        from medtune.train.losses import dpo_loss

        lp = lp.view(-1, 2)
        ref = reference.eval
        loss, _ = dpo_loss(lp[:, 0], lp[:, 1], ref[:, 0], ref[:, 1], settings.beta)
        return float(loss)

    stream = _batches(len(train_groups), settings.batch_size, settings.seed, strata)
    if resume is not None:
        state = ckpt.load_state(resume)
        done, losses, tokens, seconds_before = state["step"], state["train_losses"], state["tokens"], state["seconds"]
        _check_dtype(state, settings, resume)
        curve = [CurvePoint(s, v) for s, v in state["curve"]]
        for _ in range(done):
            next(stream)
        ckpt.set_rng_state(trainer_state["rng"])  # last: nothing above may draw from it
    else:
        done, losses, tokens, seconds_before = 0, [], 0, 0.0
        if settings.method == "dpo" and eval_groups:
            # Before the first step the policy is the reference (LoRA B = 0, or untouched full
            # weights), so every margin is 0 and the loss is exactly log 2: no forward needed.
            curve = [CurvePoint(0, math.log(2))]
        else:
            curve = [CurvePoint(0, eval_loss())]
    for step in range(done + 1, settings.steps + 1):
        indices = next(stream)
        loss_value, tokens_step = _step(scorer, accelerator, train_groups, indices, settings, reference, frozen)
        tokens += tokens_step
        parallel.clip_grad_norm(accelerator, scorer, params, settings.max_grad_norm)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        losses.append(loss_value)
        if on_step is not None:
            on_step(step, loss_value)
        if step % settings.eval_every == 0 or step == settings.steps:
            curve.append(CurvePoint(step, eval_loss()))
            if checkpoints is not None:
                seconds = seconds_before + time.perf_counter() - start
                _save(checkpoints, accelerator, scorer, optimizer, scheduler,
                      {"step": step, "train_losses": losses, "curve": [(p.step, p.eval_loss) for p in curve],
                       "tokens": tokens, "seconds": seconds, "dtype": settings.compute})
    seconds = seconds_before + time.perf_counter() - start

    model = parallel.trained_model(accelerator, scorer, shell)
    if settings.lora is not None:
        model = model.merge_and_unload()
    if attn_before is not None:  # evaluation and generation run as before training
        model.set_attn_implementation(attn_before)
    model.eval()
    return TrainResult(model=model, train_losses=losses, curve=curve, seconds=seconds, tokens=tokens,
                       dtype=settings.compute)


def _frozen(model, settings: TrainSettings, accelerator, given: FrozenStates | None) -> FrozenStates | None:
    """The states below the LoRA layers this run reuses: ``given`` where they are this model's,
    else new ones; None where none apply (no ``last_layers``, dropout below the adapters, or
    FSDP over several processes, which shards the layers themselves)."""
    layer = 0 if settings.lora is None else frozen_layers(model, settings.lora.last_layers)
    if layer == 0 or (settings.strategy == "fsdp" and accelerator.num_processes > 1):
        return None
    if given is not None and given.fits(model, layer, settings.compute):
        return given
    return FrozenStates(model, layer, settings.compute)


def _check_dtype(state: dict[str, Any], settings: TrainSettings, path: Path) -> None:
    """A run continues in the type it started in: its losses would otherwise jump at the resume
    step. Checkpoints written before the dtype was recorded were fp32."""
    saved = state.get("dtype", "fp32")
    if saved != settings.compute:
        from medtune.errors import UserError

        raise UserError(f"{path}: this checkpoint was trained in {saved} and this run computes in "
                        f"{settings.compute}; set training.dtype: {saved} to continue it "
                        "(auto picks by hardware, train/precision.py)")


def _save(checkpoints: Checkpointing, accelerator, scorer, optimizer, scheduler, state: dict[str, Any]) -> None:
    """Rank 0 writes the checkpoint; every rank then gets its path and calls ``on_saved``."""
    from medtune.train import checkpoint as ckpt

    weights = parallel.trainable_weights(accelerator, scorer)
    trainer = {
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict(),
        "rng": ckpt.rng_state(),
    }
    path = distributed.run_on_main(
        lambda: ckpt.save(checkpoints.directory, state["step"], weights, trainer, state))
    if checkpoints.on_saved is not None:
        checkpoints.on_saved(path, state["step"], [CurvePoint(s, v) for s, v in state["curve"]])


def _step(model, accelerator, groups, indices, settings, ref, frozen=None) -> tuple[float, int]:
    """Forward and backward over this rank's share of one optimizer step's examples; returns
    (loss, tokens) of the whole step, summed over ranks. ``model``: a (wrapped) PackedScorer,
    or a causal LM (wrapped here). With ``frozen``, only the layers above it run."""
    from medtune.train.losses import dpo_loss

    scorer = model if isinstance(accelerator.unwrap_model(model), PackedScorer) else PackedScorer(model)
    if settings.method == "sft":
        denominator = sum(len(groups[i].completions[0]) for i in indices)
    else:
        denominator = len(indices)
    # DDP and FSDP average the ranks' gradients; the world size undoes that average.
    scale = accelerator.num_processes / denominator
    start, stop = distributed.bounds(len(indices), accelerator.num_processes, accelerator.process_index)
    micros = _micro_batches(indices[start:stop], settings.grad_accum)
    total, tokens = 0.0, 0
    for k, micro in enumerate(micros):
        chunk = [groups[i] for i in micro]
        rows = plan_rows(chunk, settings.pack_tokens)
        batch = pack(chunk, rows).to(accelerator.device)
        if frozen is not None:
            batch = frozen.attach(accelerator.unwrap_model(scorer).lm, chunk, rows, batch, settings.pack_tokens)
        # Gradients are reduced across ranks once, on the step's last micro-batch.
        sync = contextlib.nullcontext() if k == len(micros) - 1 else accelerator.no_sync(scorer)
        with sync:
            # Autocast covers the forward only; backward runs each op in its forward's type.
            # The log-probs come out fp32 (completion_logprobs), so the losses reduce in fp32.
            with precision.autocast(settings.compute, accelerator.device):
                token_lp, seq_lp = scorer(batch)
            if settings.method == "sft":
                loss = -token_lp.sum()
            else:
                pairs = seq_lp.view(-1, 2)
                r = ref.train[micro].to(pairs.device)
                # dpo_loss averages over its pairs; back to their sum.
                mean_loss, _ = dpo_loss(pairs[:, 0], pairs[:, 1], r[:, 0], r[:, 1], settings.beta)
                loss = mean_loss * len(micro)
            accelerator.backward(loss * scale)
        total += float(loss.detach()) / denominator
        tokens += batch.n_tokens
    if accelerator.num_processes > 1:
        parts = distributed.gather((total, tokens))
        total, tokens = sum(p[0] for p in parts), sum(p[1] for p in parts)
    return total, tokens
