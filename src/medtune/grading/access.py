"""Who may grade: graders and adjudicators, their secret links, and sessions.

A link carries a random token; only its sha256 is stored, so study.db alone signs nobody in.
Signing in gives a random session id for the cookie (again only its sha256 is stored), valid
for ``SESSION_SECONDS``; the link's token itself never goes into a cookie. Revoking ends a
grader's sessions and makes their link invalid; their grades and queue stay.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass

from medtune.errors import UserError
from medtune.grading.assignment import assign
from medtune.store import Store

SESSION_SECONDS = 12 * 3600  # a working day: the link signs in again after that


@dataclass(frozen=True)
class Grader:
    id: int
    name: str
    role: str  # grader | adjudicator


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def add_grader(store: Store, name: str, role: str = "grader") -> str:
    """Create a grader, give them a share of the items, and return their secret token."""
    if role not in ("grader", "adjudicator"):
        raise UserError(f"--role must be grader or adjudicator, got {role!r}")
    token = secrets.token_urlsafe(32)
    if not store.insert_grader(name, role, hash_token(token)):
        raise UserError(f"a grader named {name!r} exists already; choose another name")
    assign(store)
    return token


def grader_by_token(store: Store, token: str) -> Grader | None:
    row = store.grader_by_token_hash(hash_token(token))
    return None if row is None else Grader(row[0], row[1], row[2])


def start_session(store: Store, grader: Grader) -> str:
    """A new random session id for the cookie, valid for SESSION_SECONDS."""
    session_id = secrets.token_urlsafe(32)
    now = time.time()
    store.add_session(hash_token(session_id), grader.id, now, now + SESSION_SECONDS)
    return session_id


def grader_by_session(store: Store, session_id: str) -> Grader | None:
    row = store.grader_by_session_hash(hash_token(session_id))
    return None if row is None else Grader(row[0], row[1], row[2])


def end_session(store: Store, session_id: str) -> None:
    store.end_session(hash_token(session_id))


def revoke(store: Store, name: str, new_link: bool = False) -> str | None:
    """End every session of grader ``name`` and make their link invalid; with ``new_link``,
    return a fresh token (the grader keeps their grades and queue)."""
    token = secrets.token_urlsafe(32)
    if not store.replace_token(name, hash_token(token)):
        raise UserError(f"no grader named {name!r} in this study; "
                        "`medtune grade export` lists the graders who graded")
    return token if new_link else None
