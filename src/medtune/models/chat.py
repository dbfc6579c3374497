"""Chat formatting through the tokenizer's own template.

A training or scoring sequence is ``prompt_ids + completion_ids``: the prompt rendered with the
generation prompt (``<|im_start|>assistant\\n`` for SmolLM2), the completion being the answer
followed by whatever the template closes an assistant turn with (``<|im_end|>\\n``), so the
model learns to stop. The two parts are tokenized separately so that the boundary is exact.
"""

from __future__ import annotations

from typing import Any


def render_prompt(tokenizer: Any, messages: list[dict[str, str]]) -> str:
    return tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)


def completion_text(tokenizer: Any, messages: list[dict[str, str]], answer: str) -> str:
    """The answer as the template writes it after the generation prompt (with the
    end-of-turn marker)."""
    prompt = render_prompt(tokenizer, messages)
    full = tokenizer.apply_chat_template(
        messages + [{"role": "assistant", "content": answer}], tokenize=False
    )
    if not full.startswith(prompt):
        # Templates that rewrite earlier turns when an assistant turn follows: fall back to
        # the answer plus the end-of-sequence token.
        return answer + (tokenizer.eos_token or "")
    return full[len(prompt) :]


def encode_prompt(tokenizer: Any, messages: list[dict[str, str]]) -> list[int]:
    return tokenizer(render_prompt(tokenizer, messages), add_special_tokens=False)["input_ids"]


def encode_completion(tokenizer: Any, messages: list[dict[str, str]], answer: str) -> list[int]:
    text = completion_text(tokenizer, messages, answer)
    return tokenizer(text, add_special_tokens=False)["input_ids"]
