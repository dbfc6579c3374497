"""What checks need to know about a model without loading its weights: its tokenizer and the
length of its context. ``data validate --model`` and ``study validate`` use it, so a bad model
name or an over-long example is found in seconds, not after a model has loaded and run."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from medtune.errors import UserError


@dataclass
class ModelInfo:
    name: str
    path: Path
    tokenizer: Any
    context: int | None  # max_position_embeddings (tokens); None when the config does not say


def model_info(name_or_path: str, key: str = "model", log=lambda msg: None, revision: str | None = None,
               chat_template: str | None = None) -> ModelInfo:
    """The tokenizer and context length of a bundled model or a local model folder. A bundled
    model not converted yet is converted once (``log`` says so: it takes a while); its weights
    are not loaded afterwards. UserError naming ``key`` for a model that cannot be found."""
    from transformers import AutoConfig

    from medtune.models.registry import cache_dir, get_model_spec, load_tokenizer, resolve_model_dir

    spec = get_model_spec(name_or_path)
    if spec is not None and not (cache_dir() / spec.name / "config.json").exists():
        log(f"converting the bundled model {spec.name} once into {cache_dir()} (later runs reuse it)")
    try:
        path = resolve_model_dir(name_or_path, revision)
    except UserError as err:
        raise UserError(f"{key}: {err.message}") from None
    try:
        tokenizer = load_tokenizer(path, name_or_path, chat_template)
        config = AutoConfig.from_pretrained(path)
    except (OSError, ValueError) as err:
        raise UserError(f"{key}: {path} is not a readable Hugging Face model folder ({err}); "
                        "check that it holds config.json and the tokenizer files") from None
    context = getattr(config, "max_position_embeddings", None)
    if context is None and hasattr(config, "get_text_config"):
        context = getattr(config.get_text_config(), "max_position_embeddings", None)
    return ModelInfo(name_or_path, path, tokenizer, int(context) if context else None)
