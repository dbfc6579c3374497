"""Which floating-point type the model computes in: bf16 where the hardware multiplies it fast.

``training.dtype`` (config.py) is ``auto`` (the default), ``bf16`` or ``fp32``:
- ``bf16``: matmuls and the other autocast-eligible ops run in bfloat16 under
  ``torch.autocast``, while every weight stays float32: the trainable LoRA weights, the AdamW
  state and the merged model are float32, and the log-softmax and every loss reduction are
  computed in float32 (packing.completion_logprobs and losses.py cast the logits up first).
- ``fp32``: no autocast.
- ``auto``: ``bf16`` on a GPU that supports it (``torch.cuda.is_bf16_supported``) and on a CPU
  with AMX-BF16 tiles (the ``amx_bf16`` CPU flag), ``fp32`` elsewhere.

Why AMX and not AVX512-BF16 alone: on a CPU that has AVX512-BF16 but no AMX (measured on a
Sapphire Rapids VM whose hypervisor hides AMX, flags ``avx512_bf16`` without ``amx_bf16``),
torch 2.13's oneDNN bf16 GEMM ran at 0.5-1.0x the fp32 one (1024-2048 square: fp32 110-178
GFLOP/s, bf16 65-97), so bf16 would make training slower there as well as less exact. With AMX
the issue measured 3.4-4.3x. ``dtype: bf16`` forces bf16 on any CPU that oneDNN can run it on.

The older spellings stay valid: ``training.mixed_precision: bf16`` means ``dtype: bf16``; and
``dtype: float32 | bfloat16 | float16`` keep their old meaning, the type the base weights are
loaded in, with no autocast (float32 = ``fp32``).
"""

from __future__ import annotations

import contextlib
import functools
from typing import Any, Literal

import torch

Compute = Literal["fp32", "bf16"]
# training.dtype values that name the type the weights are *stored* in (the older meaning)
WEIGHT_DTYPES = ("float32", "bfloat16", "float16")


@functools.cache
def cpu_flags() -> frozenset[str]:
    """The CPU's feature flags as Linux lists them (/proc/cpuinfo); empty elsewhere."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("flags"):
                    return frozenset(line.split(":", 1)[1].split())
    except OSError:
        pass
    return frozenset()


def cpu_name() -> str:
    """The CPU's model name (/proc/cpuinfo), or the platform's processor string."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform

    return platform.processor() or platform.machine()


def bf16_flags() -> list[str]:
    """The bf16-related flags this CPU has (for benchmark output and logs)."""
    return sorted(f for f in cpu_flags() if "bf16" in f or f.startswith("amx"))


def fast_bf16(device_type: str) -> bool:
    """True where bf16 matmuls beat fp32 ones: a bf16-capable GPU, or a CPU with AMX-BF16
    that oneDNN can use."""
    if device_type == "cuda":
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    return "amx_bf16" in cpu_flags() and torch.ops.mkldnn._is_mkldnn_bf16_supported()


def default_device_type() -> str:
    return "cuda" if torch.cuda.is_available() else "cpu"


def resolve(dtype: str, mixed_precision: str = "no", device_type: str | None = None) -> Compute:
    """The compute type of a study's ``training.dtype`` (and the older ``mixed_precision``)."""
    if dtype == "bf16" or mixed_precision == "bf16":
        return "bf16"
    if dtype == "auto":
        return "bf16" if fast_bf16(device_type or default_device_type()) else "fp32"
    return "fp32"  # fp32, or a weight dtype (the weights themselves set the arithmetic)


def weights_dtype(dtype: str) -> str:
    """The torch dtype name the base weights are loaded in: float32 unless the study names a
    weight dtype (the older meaning of ``training.dtype``)."""
    return dtype if dtype in WEIGHT_DTYPES else "float32"


def label(dtype: str, mixed_precision: str = "no", device_type: str | None = None) -> str:
    """What the report and results.json say the study computed in: ``bf16`` (autocast over
    float32 weights), ``fp32``, or ``bfloat16``/``float16`` (weights stored in that type)."""
    if dtype in ("bfloat16", "float16") and mixed_precision != "bf16":
        return dtype
    return resolve(dtype, mixed_precision, device_type)


def autocast(compute: str, device: Any = None) -> contextlib.AbstractContextManager:
    """``torch.autocast`` to bf16 for ``compute == "bf16"``, nothing for fp32."""
    if compute != "bf16":
        return contextlib.nullcontext()
    device_type = torch.device(device).type if device is not None else default_device_type()
    return torch.autocast(device_type=device_type, dtype=torch.bfloat16)
