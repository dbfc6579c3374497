"""The study's own variants, in the order they are trained and reported: the base model, SFT
on it, DPO on the best SFT model. Served baselines (study/baselines.py) join them by name."""

VARIANTS = ("base", "sft", "dpo")
