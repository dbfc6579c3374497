"""Judge backends: ``complete(messages) -> reply text``, temperature 0 and a fixed seed.

A registry maps a backend name to a factory, so a new backend registers like the built-ins.
Heavy imports (openai, transformers) happen inside the factories.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Protocol

from medtune.errors import UserError
from medtune.judges.config import JudgeSettings
from medtune.judges.egress import check_egress, guarded_http_client, refusal_in


class Backend(Protocol):
    # response_format: an OpenAI structured-output request (judges/structured.py), or None
    def complete(self, messages: list[dict[str, str]], response_format: dict | None = None) -> str: ...


class TransientError(Exception):
    """A failure worth retrying (connection, timeout, rate limit, server error)."""


class StructuredUnsupported(Exception):
    """The backend refused a structured-output request: ask again in plain text."""


_BACKENDS: dict[str, Callable[[JudgeSettings], Backend]] = {}


def register_backend(name: str):
    def wrap(factory: Callable[[JudgeSettings], Backend]):
        _BACKENDS[name] = factory
        return factory
    return wrap


def make_backend(settings: JudgeSettings) -> Backend:
    return _BACKENDS[settings.backend](settings)


def api_key(settings: JudgeSettings) -> str:
    """The key from the environment variable the study file names; local servers (vLLM,
    llama.cpp, Ollama) ignore the key, so none named is fine."""
    if not settings.api_key_env:
        return "not-needed"
    key = os.environ.get(settings.api_key_env, "")
    if not key:
        raise UserError(f"judge {settings.name!r}: environment variable {settings.api_key_env} "
                        "(api_key_env) is not set; export it first")
    return key


class OpenAIBackend:
    def __init__(self, settings: JudgeSettings) -> None:
        import openai

        assert settings.base_url is not None
        check_egress(settings.name, settings.base_url, settings.allow_external)
        if settings.proxy:
            check_egress(settings.name, settings.proxy, settings.allow_external)
        key = api_key(settings)
        self.settings = settings
        self._openai = openai
        # Our own retry loop (judges.jury) owns backoff, so the client does not retry. The
        # guarded client follows no redirect, ignores proxy variables, and re-checks addresses.
        http = guarded_http_client(settings.name, settings.allow_external, settings.timeout_seconds,
                                   settings.proxy)
        self.client = openai.OpenAI(base_url=settings.base_url, api_key=key, max_retries=0,
                                    timeout=settings.timeout_seconds, http_client=http)

    def complete(self, messages: list[dict[str, str]], response_format: dict | None = None) -> str:
        o = self._openai
        extra = {} if response_format is None else {"response_format": response_format}
        try:
            resp = self.client.chat.completions.create(
                model=self.settings.model, messages=messages, temperature=0,
                seed=self.settings.seed, max_tokens=self.settings.max_tokens, **extra,
            )
        except (o.APIConnectionError, o.APITimeoutError, o.RateLimitError, o.InternalServerError) as err:
            if refusal_in(err) is not None:  # the address changed to an outside one: no retry
                raise refusal_in(err) from None
            raise TransientError(f"{type(err).__name__}: {err}") from err
        except o.APIStatusError as err:
            if response_format is not None and err.status_code in (400, 422):
                raise StructuredUnsupported(f"HTTP {err.status_code}") from err
            if 300 <= err.status_code < 400:
                raise UserError(f"judge {self.settings.name!r} answered with a redirect (HTTP "
                                f"{err.status_code}) to {err.response.headers.get('location')!r}; medtune "
                                "follows no redirect, so patient text goes only where `base_url` says: "
                                "set `base_url` to the final address") from None
            raise UserError(f"judge {self.settings.name!r}: the server refused the call "
                            f"(HTTP {err.status_code}); check `model` and the API key") from None
        return resp.choices[0].message.content or ""


class LocalBackend:
    """A causal LM from a local directory; greedy decoding (temperature 0)."""

    def __init__(self, settings: JudgeSettings) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.settings = settings
        self.torch = torch
        self.tokenizer = AutoTokenizer.from_pretrained(settings.model)
        self.model = AutoModelForCausalLM.from_pretrained(settings.model).eval()

    def complete(self, messages: list[dict[str, str]], response_format: dict | None = None) -> str:
        if response_format is not None:  # no constrained decoding here: the caller asks in text
            raise StructuredUnsupported("the local backend has no structured output")
        torch = self.torch
        torch.manual_seed(self.settings.seed)
        ids = self.tokenizer.apply_chat_template(messages, add_generation_prompt=True,
                                                 return_tensors="pt", return_dict=True)
        with torch.no_grad():
            out = self.model.generate(**ids, do_sample=False, max_new_tokens=self.settings.max_tokens,
                                      pad_token_id=self.tokenizer.pad_token_id)
        return self.tokenizer.decode(out[0, ids["input_ids"].shape[1]:], skip_special_tokens=True)


register_backend("openai")(OpenAIBackend)
register_backend("local")(LocalBackend)
