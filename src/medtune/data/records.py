"""The one record every part of medtune reads: an Example (one JSONL line).

Fields (DESIGN.md, Concepts): ``id``, ``split``, ``prompt`` (text, or chat messages),
``chosen`` (gold response), ``rejected`` (optional; a strategy makes it when absent),
``label`` (a string, or an object for multi-axis tasks such as triage), ``meta``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

Split = Literal["train", "eval", "dev", "test"]
SPLITS: tuple[Split, ...] = ("train", "eval", "dev", "test")


class Message(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Literal["system", "user", "assistant"]
    content: str


class Example(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    split: Split | None = None
    prompt: str | list[Message]
    chosen: str
    rejected: str | None = None
    label: str | dict[str, str] | None = None
    meta: dict = {}

    def messages(self, system_prompt: str | None = None) -> list[dict[str, str]]:
        """The prompt as chat messages, with the task's system prompt first if the
        prompt does not bring its own."""
        if isinstance(self.prompt, str):
            msgs = [{"role": "user", "content": self.prompt}]
        else:
            msgs = [m.model_dump() for m in self.prompt]
        if system_prompt and msgs[0]["role"] != "system":
            msgs.insert(0, {"role": "system", "content": system_prompt})
        return msgs

    def prompt_text(self) -> str:
        """The prompt flattened to text (for hashing and leakage checks)."""
        if isinstance(self.prompt, str):
            return self.prompt
        return "\n".join(m.content for m in self.prompt)
