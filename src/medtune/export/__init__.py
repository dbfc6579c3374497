"""``medtune export``: a study's fine-tuned model in the forms deployment stacks load.

- ``merged``: a plain Hugging Face model directory (safetensors weights, config, tokenizer with
  its chat template, a greedy generation config) that transformers, vLLM, TGI and llama.cpp's
  converter load as they are;
- ``adapter``: a PEFT LoRA adapter directory over the study's base model.
Both carry a model card (``README.md``, card.py) with the study's test results.
"""

from medtune.export.model import ExportResult, export_model

__all__ = ["ExportResult", "export_model"]
