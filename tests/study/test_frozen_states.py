"""A study with LoRA on the last layers trains from the states below them (train/frozen.py):
each training sequence goes through the lower layers once per task and method (DPO's through
the reference pass), and the study stores the losses of one that runs every layer."""

from medtune.config import parse_study
from medtune.runner import run_study
from medtune.store import Store
from tolerance import assert_close


def _study(model_dir):
    return parse_study({
        "name": "frozen", "seed": 0, "model": str(model_dir),
        "tasks": [{"task": "uti", "data": {"synthetic": {"n": 36}}, "sizes": {"train": 12, "eval": 4, "dev": 4, "test": 16}}],
        # two SFT configs: the second reads the first one's states; 5 steps of 4 draw 20 of 12
        "training": {"batch_size": 4, "pack_tokens": 256, "lora": {"last_layers": 1}},
        "sft": {"learning_rates": [1e-3, 2e-3], "steps": 5, "eval_every": 5},
        "dpo": {"learning_rates": [1e-3], "betas": [0.1], "steps": 3, "eval_every": 3},
        "statistics": {"bootstrap": 100},
    }, "test")


def _losses(out):
    store = Store(out / "study.db")
    try:
        return {r["key"]: (store.curve(r["id"], "train_loss"), store.curve(r["id"], "eval_loss"))
                for r in store.runs("uti")}
    finally:
        store.close()


def test_a_study_from_the_states_stores_the_losses_of_every_layer(tiny_model_dir, tmp_path, monkeypatch):
    from medtune.train import frozen, loop

    computed: list[tuple[object, int]] = []  # (states, groups run through the lower layers) per fill
    fill = frozen.FrozenStates.fill

    def counting(self, model, groups, pack_tokens):
        before = self.groups_computed
        fill(self, model, groups, pack_tokens)
        computed.append((self, self.groups_computed - before))  # the object: kept alive, ids stay apart

    monkeypatch.setattr(frozen.FrozenStates, "fill", counting)
    run_study(_study(tiny_model_dir), tmp_path / "states")
    per_states: dict[int, int] = {}
    for states, n in computed:
        per_states[id(states)] = per_states.get(id(states), 0) + n
    # SFT: 12 train + 4 eval groups, once for both configs; DPO: the pairs its 3 steps draw
    # (at most 12) and the 4 eval pairs, once, in the reference pass
    sft, dpo = per_states.values()
    assert sft == 12 + 4 and 4 < dpo <= 12 + 4

    monkeypatch.setattr(loop, "frozen_layers", lambda model, last: 0)  # every layer, every step
    monkeypatch.setattr("medtune.train.frozen.frozen_layers", lambda model, last: 0)
    run_study(_study(tiny_model_dir), tmp_path / "full")
    with_states, full = _losses(tmp_path / "states"), _losses(tmp_path / "full")
    assert with_states.keys() == full.keys() and len(full) == 3
    assert_close(with_states, full)
