"""medtune's DPO and SFT objectives and training steps against TRL 1.16, the reference.

medtune trains with its own loop (prompt-shared packed sequences, a 4D attention mask, LM head
on scored positions only); TRL pads each prompt+completion to its own row. Both must score the
same tokens and give the same numbers.

Same data on both sides: the examples go to TRL in its *conversational* format (prompt =
system+user messages, completion = one assistant message; ``medtune.train.trl_align``), through
TRL's own dataset preparation and data collator; medtune gets the same examples through
``medtune.train.batching``. Every test asserts that TRL's prompt and completion token ids equal
medtune's Group ids, token for token. With the ChatML template both take the completion to be
what the template writes after the generation prompt, ``answer<|im_end|>\\n``: the end-of-turn
token (the tokenizer's EOS) *and* the newline after it are scored on both sides, and the first
completion token is predicted from the last prompt position on both.

TRL defaults that would change the numbers are switched off in ``trl_align.trl_args`` (each
one says why). The training-step tests compare LoRA matrices by the relative error of the update,
bounded by ``UPDATE_TOL`` (see there for why it is not 1e-5).
"""

from __future__ import annotations

import copy
import math

import pytest
import torch

pytest.importorskip("trl", reason="TRL is the reference implementation; install the test extra")

from medtune.tasks import get_task  # noqa: E402
from medtune.tasks.rejected import fill_rejected  # noqa: E402
from medtune.train.batching import dpo_groups, sft_groups  # noqa: E402
from medtune.train.loop import train  # noqa: E402
from medtune.train.losses import dpo_loss, sft_loss  # noqa: E402
from medtune.train.packing import completion_logprobs, pack, plan_rows  # noqa: E402
from medtune.train.settings import TrainSettings  # noqa: E402
from medtune.train.trl_align import lora_trainer, trl_args, trl_rows  # noqa: E402

N = 4  # examples (SFT) or pairs (DPO); one batch holds them all
BETA = 0.1

# Bound on ||ours - TRL|| / ||ours - init|| over all LoRA matrices after training steps.
# Float noise alone, measured between two *mathematically identical* medtune runs (all pairs in
# one packed row against one per row, or grad_accum 1 against 4), reaches 1.6e-5 (DPO, 1 step)
# and 6e-5 (SFT, 3 steps): Adam's first steps are about lr * g / (|g| + eps), so on elements
# whose gradient is near zero, summation-order noise in g becomes a visible fraction of lr. A
# bound of 1e-5 would therefore fail on noise. Real misalignments are far above 2e-4: a learning
# rate off by 0.1% gives 1e-3 (1 step) to 1e-2 (3 steps), clipping at 1.0 instead of 0.1 gives
# 3e-3 to 6e-2, a linear instead of constant schedule 2e-2 to 5e-2 (3 steps), one completion
# token left unscored about 0.3, another LoRA init seed more than 1.
UPDATE_TOL = 2e-4


@pytest.fixture(autouse=True)
def _hf_dirs_in_tmp(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "hf" / "datasets"))
    monkeypatch.setenv("TQDM_DISABLE", "1")


@pytest.fixture(autouse=True)
def _one_thread():
    """One intra-op thread: the tensors are tiny, and on a shared 2-core machine OpenMP threads
    contending with other processes made this file about five times slower."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture()
def triage():
    """Four triage examples: two-axis answers of different lengths, so chosen and rejected
    differ in several tokens and in length (e.g. 'urgency: non-urgent; provider: medical
    assistant' against 'urgency: urgent; provider: medical assistant')."""
    task = get_task("triage")
    return task, fill_rejected(task.generate(N, 3), task, seed=0)


def _dataset(method, task, examples):
    from datasets import Dataset

    return Dataset.from_list(trl_rows(method, task, examples))


def _assert_same_tokens(trainer, groups, tokenizer):
    """TRL's tokenized dataset holds exactly medtune's prompt and completion ids."""
    rows = [trainer.train_dataset[i] for i in range(len(groups))]
    for row, g in zip(rows, groups):
        if "prompt_ids" in row:  # DPO
            assert row["prompt_ids"] == g.prompt
            assert [row["chosen_ids"], row["rejected_ids"]] == g.completions
        else:  # SFT: one sequence, the prompt masked out of the labels
            assert row["input_ids"] == g.prompt + g.completions[0]
            assert [t for t, lab in zip(row["input_ids"], row["labels"]) if lab != -100] == g.completions[0]
    assert tokenizer.decode(groups[0].completions[0]).endswith(tokenizer.eos_token + "\n")
    return rows


def _perturbed(model, std: float, seed: int):
    """A copy of ``model`` with Gaussian noise on every weight: a policy that differs from the
    reference, so the DPO loss is not the trivial log 2 of identical models."""
    policy = copy.deepcopy(model)
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in policy.parameters():
            p.add_(std * torch.randn(p.shape, generator=g))
    return policy


def _lora_params(model) -> dict[str, torch.Tensor]:
    """LoRA A and B by their name in the causal LM (without PeftModel's prefix)."""
    return {n.removeprefix("base_model.model."): p.detach().clone()
            for n, p in model.named_parameters() if "lora_" in n}


def _relative_update_error(ours, theirs, start) -> float:
    """||ours - theirs|| / ||ours - start|| over all given tensors (Frobenius, flattened): the
    difference between the two updates, relative to the size of the update itself."""
    diff = math.sqrt(sum(float((ours[k] - theirs[k]).pow(2).sum()) for k in ours))
    step = math.sqrt(sum(float((ours[k] - start[k]).pow(2).sum()) for k in ours))
    return diff / step


def _train_both(tiny, groups, rows, settings: TrainSettings, tmp_path):
    """``settings.steps`` LoRA steps with medtune's ``train`` and with TRL's trainer on the same
    data, aligned: LoRA config (``settings.lora``) and init seed (both seed torch with
    ``settings.seed`` right before ``get_peft_model``), lr, constant schedule, no warm-up, no
    weight decay, clipping norm, beta; one batch of all examples per step.

    Returns (medtune's result, medtune's LoRA after the last step, TRL's LoRA init, TRL's LoRA
    after the last step, TRL's per-step log). medtune's ``train`` returns the model merged; peft
    injects its layers into the model it is given, in place, so ``on_step`` reads A and B off
    that object after the last optimizer step, before the merge."""
    model = copy.deepcopy(tiny.model)
    ours: dict[str, torch.Tensor] = {}

    def on_step(step: int, loss: float) -> None:
        if step == settings.steps:
            ours.update(_lora_params(model))

    result = train(model, groups, [], settings, on_step=on_step)
    assert ours, "no LoRA parameters found on the model given to train()"

    # With a peft_config and no ref_model, TRL's DPO reference is the adapter off.
    trainer = lora_trainer(copy.deepcopy(tiny.model), tiny.tokenizer, rows, settings, str(tmp_path / "trl"))
    _assert_same_tokens(trainer, groups, tiny.tokenizer)
    init = _lora_params(trainer.model)
    trainer.train()
    log = [h for h in trainer.state.log_history if "loss" in h]
    return result, ours, init, _lora_params(trainer.model), log


def _assert_same_steps(settings, result, ours, init, theirs, log):
    assert ours.keys() == theirs.keys() and len(ours) == 2 * 7 * 2  # A and B, 7 linears, 2 layers
    assert len(log) == settings.steps
    assert all(h["grad_norm"] > settings.max_grad_norm for h in log)  # clipping is exercised
    for ours_loss, h in zip(result.train_losses, log):
        assert abs(ours_loss - h["loss"]) <= 1e-5
    if settings.steps == 1:
        for k in ours:
            if "lora_A" in k:  # zero gradient while B = 0: A is still its seeded init on both sides
                assert torch.equal(ours[k], theirs[k]), k
    assert _relative_update_error(ours, theirs, init) <= UPDATE_TOL


# --- DPO ------------------------------------------------------------------------------------


@pytest.mark.parametrize("layout", ["row-per-pair", "one-packed-row"])
def test_dpo_loss_matches_trl_on_same_batch(tiny, triage, tmp_path, layout):
    """TRL's sigmoid DPO loss (beta 0.1) on 4 pairs equals medtune's within 1e-4, and so do the
    summed completion log-probs behind it and the reward statistics.

    TRL side: a real ``DPOTrainer`` (policy = the tiny model with noise of std 0.2 on every
    weight, reference = an explicit frozen copy of the tiny model), its own tokenization and
    ``DataCollatorForPreference``, then ``compute_loss`` (the training loss, through its fused LM
    head), and ``compute_ref_log_probs`` run on the policy and on the reference for the summed
    log-probs. medtune side: ``completion_logprobs(model, pack(groups))`` for policy and
    reference, then ``dpo_loss``; with one pair per row, and with all pairs packed in one row.
    Measured: loss within 3e-7, summed log-probs (about -100 nats) within 2e-5."""
    from trl import DPOConfig, DPOTrainer

    task, examples = triage
    reference = tiny.model.eval()
    policy = _perturbed(reference, std=0.2, seed=1).eval()
    trainer = DPOTrainer(
        model=copy.deepcopy(policy),
        ref_model=copy.deepcopy(reference),
        args=trl_args(DPOConfig, str(tmp_path / "trl"), beta=BETA, loss_type="sigmoid", per_device_train_batch_size=N),
        train_dataset=_dataset("dpo", task, examples),
        processing_class=tiny.tokenizer,
    )
    groups = dpo_groups(tiny.tokenizer, task, examples, max_length=1024)
    batch = trainer.data_collator(_assert_same_tokens(trainer, groups, tiny.tokenizer))
    with torch.no_grad():
        trl_loss = float(trainer.compute_loss(trainer.model, batch))
        trl_policy = torch.stack(trainer.compute_ref_log_probs(trainer.model, batch), dim=1)  # [pairs, 2]
        trl_ref = torch.stack(trainer.compute_ref_log_probs(trainer.ref_model, batch), dim=1)
    mode = "train" if trainer.model.training else "eval"
    trl_stats = {k: v[-1] for k, v in trainer._metrics[mode].items()}

    packed = pack(groups, plan_rows(groups, 4096) if layout == "one-packed-row" else None)
    assert packed.input_ids.shape[0] == (1 if layout == "one-packed-row" else N)
    with torch.no_grad():
        ours_policy = completion_logprobs(policy, packed)[1].view(-1, 2)
        ours_ref = completion_logprobs(reference, packed)[1].view(-1, 2)
    loss, stats = dpo_loss(ours_policy[:, 0], ours_policy[:, 1], ours_ref[:, 0], ours_ref[:, 1], BETA)

    assert abs(float(loss) - math.log(2)) > 0.05  # the policy really differs from the reference
    torch.testing.assert_close(ours_policy, trl_policy, atol=1e-4, rtol=0)
    torch.testing.assert_close(ours_ref, trl_ref, atol=1e-4, rtol=0)
    assert abs(float(loss) - trl_loss) <= 1e-4
    for ours_key, trl_key in [("reward_chosen", "rewards/chosen"), ("reward_rejected", "rewards/rejected"),
                              ("reward_margin", "rewards/margins"), ("reward_accuracy", "rewards/accuracies")]:
        assert abs(float(stats[ours_key]) - trl_stats[trl_key]) <= 1e-5, ours_key


@pytest.mark.parametrize("steps", [1, 3])
def test_dpo_one_step_matches_trl(tiny, triage, tmp_path, steps):
    """After ``steps`` optimizer steps of LoRA DPO on the same 4 pairs, medtune's ``train`` and
    TRL's ``DPOTrainer.train`` hold the same LoRA A and B (update error within ``UPDATE_TOL``)
    and logged the same per-step losses (within 1e-5).

    Aligned as ``_train_both`` says: medtune's ``LoraSettings`` defaults (r 16, alpha 32, no
    dropout, all-linear), seed 0, AdamW at lr 1e-2, the reference = the adapter switched off on
    both sides, and clipping at 0.1 on both: below these steps' gradient norms (0.18 to 0.21,
    asserted from TRL's log) so that clipping is exercised, not a no-op.
    Measured update error: 4.4e-6 (1 step), 2.4e-6 (3 steps); losses within 2e-7.

    One step from a fresh adapter (B = 0) is weak on its own: the loss is exactly log 2 and only
    B moves, by about lr * sign(gradient). It checks the LoRA init (A must be bit-identical) and
    the gradient signs; three steps also check gradient magnitudes, clipping and the schedule."""
    task, examples = triage
    settings = TrainSettings(method="dpo", learning_rate=1e-2, steps=steps, batch_size=N,
                             eval_every=steps, beta=BETA, max_grad_norm=0.1, seed=0)
    groups = dpo_groups(tiny.tokenizer, task, examples, max_length=1024)
    result, ours, init, theirs, log = _train_both(tiny, groups, trl_rows("dpo", task, examples), settings, tmp_path)
    assert result.train_losses[0] == pytest.approx(math.log(2), abs=1e-6)
    _assert_same_steps(settings, result, ours, init, theirs, log)


# --- SFT ------------------------------------------------------------------------------------


def test_sft_loss_matches_trl(tiny, triage, tmp_path):
    """medtune's SFT loss (mean NLL over the batch's completion tokens, nats/token) equals
    ``SFTTrainer.compute_loss`` on the same 4 prompt-completion examples (conversational,
    ``completion_only_loss=True``) within 1e-4, on the tiny model as built (loss about 6.5).

    TRL side: its own tokenization, labels (-100 on the prompt) and collator, then
    ``compute_loss`` (fused LM head). medtune side: ``-token_lp.sum() / n_tokens`` from
    ``completion_logprobs`` (one example per row, and all packed in one row), and the pure
    ``sft_loss`` on full logits of TRL's own collated batch. Measured: bit-identical (0.0)."""
    from trl import SFTConfig, SFTTrainer

    task, examples = triage
    model = tiny.model.eval()
    trainer = SFTTrainer(
        model=copy.deepcopy(model),
        args=trl_args(SFTConfig, str(tmp_path / "trl"), completion_only_loss=True, packing=False,
                      per_device_train_batch_size=N),
        train_dataset=_dataset("sft", task, examples),
        processing_class=tiny.tokenizer,
    )
    groups = sft_groups(tiny.tokenizer, task, examples, max_length=1024)
    batch = trainer.data_collator(_assert_same_tokens(trainer, groups, tiny.tokenizer))
    with torch.no_grad():
        trl_loss = float(trainer.compute_loss(trainer.model, dict(batch)))
        ours = {}
        for layout, rows in [("row-per-example", None), ("one-packed-row", plan_rows(groups, 4096))]:
            token_lp, _ = completion_logprobs(model, pack(groups, rows))
            assert token_lp.numel() == sum(len(g.completions[0]) for g in groups)
            ours[layout] = float(-token_lp.sum() / token_lp.numel())
        logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
        ours["sft_loss"] = float(sft_loss(logits, batch["labels"]))

    assert trl_loss > 1.0  # not a degenerate batch
    for layout, value in ours.items():
        assert abs(value - trl_loss) <= 1e-4, layout


def test_sft_steps_match_trl(tiny, triage, tmp_path):
    """Three LoRA SFT steps of medtune's ``train`` give the LoRA matrices (within
    ``UPDATE_TOL``) and per-step losses (within 1e-5) of ``SFTTrainer.train`` on the same 4
    examples. Checks the loop's loss scaling (each micro-batch's summed NLL over the *global*
    count of completion tokens) against TRL's ``num_items_in_batch``. Aligned as
    ``_train_both`` says; clipping at 0.1, below the gradient norms (0.66 to 0.95).
    Measured update error 8e-5, at the float noise floor of medtune against itself (6e-5)."""
    task, examples = triage
    settings = TrainSettings(method="sft", learning_rate=1e-2, steps=3, batch_size=N,
                             eval_every=3, max_grad_norm=0.1, seed=0)
    groups = sft_groups(tiny.tokenizer, task, examples, max_length=1024)
    result, ours, init, theirs, log = _train_both(tiny, groups, trl_rows("sft", task, examples), settings, tmp_path)
    _assert_same_steps(settings, result, ours, init, theirs, log)
