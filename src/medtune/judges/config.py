"""Judge settings as the study file states them (the lead's config imports these models).

Strict (``extra="forbid"``): a misspelt key is an error that names it, never ignored.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class JudgeSettings(BaseModel):
    """One LLM judge. ``openai``: any OpenAI-compatible chat-completions server (vLLM,
    llama.cpp server, Ollama, OpenAI); ``local``: a Hugging Face model in this process."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, description="cache key: change it when the judge changes")
    backend: Literal["openai", "local"]
    model: str = Field(min_length=1, description="served model name, or a local model directory")
    base_url: str | None = Field(None, description="openai backend: e.g. http://127.0.0.1:8000/v1")
    api_key_env: str | None = Field(None, description="name of the environment variable holding the key")
    allow_external: bool = Field(False, description="allow a judge outside loopback/private networks")
    proxy: str | None = Field(None, description="HTTP proxy for this judge, e.g. http://10.0.0.2:3128; "
                              "proxy variables in the environment are never used")
    seed: int = 0
    max_tokens: int = Field(16, gt=0, description="a verdict is one token or word")
    timeout_seconds: float = Field(60.0, gt=0)
    retries: int = Field(3, ge=0, description="extra attempts after a failed call")
    backoff_seconds: float = Field(1.0, ge=0, description="first wait; doubles per retry")
    structured: bool = Field(True, description="ask for a verdict constrained to the rubric's words "
                             "(response_format with a JSON schema) where the server offers it")

    @model_validator(mode="after")
    def _backend_fields(self) -> JudgeSettings:
        if self.backend == "openai" and not self.base_url:
            raise ValueError("the openai backend needs `base_url` (e.g. http://127.0.0.1:8000/v1)")
        if self.backend == "local" and (self.base_url or self.api_key_env):
            raise ValueError("the local backend takes no `base_url` or `api_key_env`")
        return self


class JurySettings(BaseModel):
    """The study file's ``judges:`` section: the jury, the rubric per task, and how the jury's
    Likert scores combine (binary verdicts are always a majority vote; a tie is no verdict).

    The egress guard runs here, at validation, so a study whose judge points outside loopback
    or private networks without ``allow_external: true`` fails before any training.
    """

    model_config = ConfigDict(extra="forbid")

    jury: list[JudgeSettings] = Field(min_length=1, description="every judge judges every item")
    rubrics: dict[str, str] = Field(min_length=1, description="task name -> rubric name, "
                                    "e.g. {summarization: summary_likert, medqa: equivalence}")
    likert: Literal["mean", "median"] = Field("mean", description="how the judges' 1-5 scores combine")

    @model_validator(mode="after")
    def _check(self) -> JurySettings:
        from medtune.errors import UserError
        from medtune.judges.egress import check_egress
        from medtune.judges.rubrics import get_rubric

        names = [j.name for j in self.jury]
        if len(set(names)) != len(names):
            raise ValueError(f"judge names must be unique (they key the cache), got {names}")
        problems = []
        for task, rubric in self.rubrics.items():
            try:
                get_rubric(rubric)
            except UserError as err:
                problems.append(f"rubrics.{task}: {err}")
        for j in self.jury:
            if j.backend == "openai":
                try:
                    check_egress(j.name, j.base_url, j.allow_external)
                    if j.proxy:
                        check_egress(j.name, j.proxy, j.allow_external)
                except UserError as err:
                    problems.append(str(err))
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def aggregate(self, rubric_kind: str) -> str:
        """How the jury's verdicts combine for a rubric of this kind: mean or median, majority."""
        return self.likert if rubric_kind == "likert" else "majority"
