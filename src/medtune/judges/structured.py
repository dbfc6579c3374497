"""Replies in a form that parses: ask an OpenAI-compatible server for structured output.

A closed answer set (a rubric's verdicts, a classification task's answers) is sent as
``response_format`` with a JSON schema whose one field is an ``enum`` of the answers: OpenAI,
vLLM (guided decoding) and llama.cpp's server (grammar from the schema) all constrain decoding
to it, so a small model can only reply ``{"answer": "correct"}``, never "Yes". A server that
refuses the request (HTTP 400/422: an older server, a model without guided decoding) is asked
again in plain text, and that server is not asked for structure again; a server that ignores
the field and answers in text is parsed as text. Either way the reply is then parsed as
strictly as before: an answer outside the set is unparseable, never guessed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from medtune.judges.backends import StructuredUnsupported


def choice_format(name: str, choices: Sequence[str]) -> dict[str, Any]:
    """``response_format`` asking for ``{"answer": one of choices}``."""
    return {"type": "json_schema", "json_schema": {
        "name": name, "strict": True,
        "schema": {"type": "object", "properties": {"answer": {"type": "string", "enum": list(choices)}},
                   "required": ["answer"], "additionalProperties": False}}}


def answer_text(reply: str) -> str:
    """The answer in a structured reply (``{"answer": "..."}``), else the reply as it is."""
    try:
        obj = json.loads(reply)
    except ValueError:
        return reply
    if isinstance(obj, dict) and set(obj) == {"answer"} and isinstance(obj["answer"], str):
        return obj["answer"]
    return reply


class StructuredCaller:
    """Calls one backend, asking for structure until the server refuses it once.

    ``call(complete, messages, response_format)``: ``complete(response_format)`` makes the call
    (with retries); returns (reply, True when the reply was asked for under the format)."""

    def __init__(self) -> None:
        self.refused = False

    def call(self, complete: Callable[[dict[str, Any] | None], str],
             response_format: dict[str, Any] | None) -> tuple[str, bool]:
        if response_format is not None and not self.refused:
            try:
                return complete(response_format), True
            except StructuredUnsupported:
                self.refused = True
        return complete(None), False
