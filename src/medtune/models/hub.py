"""Models from the Hugging Face Hub: ``model: org/name`` (optionally ``revision:``).

Everything goes through huggingface_hub's own cache and conventions, so a model downloaded
once (by medtune, ``hf download`` or transformers) is found again: ``HF_HOME`` /
``HF_HUB_CACHE`` for the cache, ``HF_TOKEN`` (or ``hf auth login``) for gated and private
models, ``HF_HUB_OFFLINE=1`` to never touch the network. Only safetensors weights, configs,
tokenizer files and chat templates are fetched: pickled ``.bin`` weights are never loaded.

The commit a study ran on is pinned into study.db (meta ``model_revision``) the first time,
and every later run, export or worker of that study loads that commit, even when the branch
named by ``revision:`` (default ``main``) has moved on since.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from medtune.errors import UserError

HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
ALLOW = ["*.json", "*.safetensors", "*.jinja", "tokenizer.model", "*.txt", "*.tiktoken"]


def is_hub_id(name: str) -> bool:
    """``org/name`` that is not a local folder (a local path wins: ``./org/name`` is a path)."""
    return bool(HUB_ID.match(name)) and not Path(name).expanduser().exists()


def snapshot(repo_id: str, revision: str | None = None) -> Path:
    """The local snapshot folder of ``repo_id`` at ``revision`` (a branch, tag or commit),
    from the cache or downloaded into it; UserError saying what to do when it cannot be had."""
    from huggingface_hub import constants, snapshot_download
    from huggingface_hub.errors import (
        GatedRepoError,
        IncompleteSnapshotError,
        LocalEntryNotFoundError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    at = f"{repo_id} (revision {revision or 'main'})"
    try:
        return Path(snapshot_download(repo_id, revision=revision, allow_patterns=ALLOW))
    except GatedRepoError:
        raise UserError(f"model {at} is gated: accept its conditions on https://huggingface.co/{repo_id} with "
                        "your account, then set HF_TOKEN to a token of that account (or run `hf auth login`)") from None
    except RepositoryNotFoundError:
        raise UserError(f"model {repo_id}: no such model on the Hugging Face Hub, or it is private; check the "
                        "name in `model:`, or set HF_TOKEN to a token that can read it") from None
    except RevisionNotFoundError:
        raise UserError(f"model {repo_id}: no revision {revision!r}; give an existing branch, tag or commit "
                        "as `revision:` in the study file") from None
    except (LocalEntryNotFoundError, IncompleteSnapshotError):
        why = ("HF_HUB_OFFLINE=1 forbids downloading it" if constants.HF_HUB_OFFLINE
               else "the Hub could not be reached to download it")
        raise UserError(f"model {at} is not (completely) in the Hugging Face cache {constants.HF_HUB_CACHE}, and "
                        f"{why}; download it on a machine with network access with `hf download {repo_id}"
                        f"{' --revision ' + revision if revision else ''}` into the same HF_HOME (or copy that "
                        "cache here), then run again") from None


def pinned_revision(store: Any, model: str, revision: str | None) -> str | None:
    """The commit of a Hub model this study runs on: the one pinned in study.db, else the
    commit ``revision`` resolves to now, pinned. None for a bundled model or a local folder."""
    if not is_hub_id(model):
        return None
    stored = store.meta("model_revision")
    if stored is not None and stored.get("model") == model:
        return stored["commit"]
    commit = snapshot(model, revision).name  # snapshots/<commit hash>
    store.set_meta({"model_revision": {"model": model, "requested": revision, "commit": commit}})
    return commit


def stored_revision(store: Any, model: str) -> str | None:
    """The pinned commit, for code that loads a finished study's model (export)."""
    stored = store.meta("model_revision")
    return stored["commit"] if stored is not None and stored.get("model") == model else None
