"""The physician grading web app: FastAPI, server-rendered Jinja2 (autoescaped), no front-end
build. It reads and writes study.db only; it never runs a model.

Security: a grader signs in with a personal link; the token is kept in an HttpOnly,
SameSite=Strict cookie and only its sha256 is stored. Each POST carries a CSRF token derived
from the session (HMAC of the token hash with a per-process secret). Pages are selected by
grader id in ``grading.db``, so nobody sees another grader's verdicts, and the variant is
never sent (blinding). The server's access log is off: URLs hold tokens and pages hold
patient text.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from pathlib import Path

from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader

from medtune.grading import db
from medtune.study.store import Store

COOKIE = "medtune_grader"
_env = Environment(loader=PackageLoader("medtune.grading", "templates"), autoescape=True)


def create_app(study_dir: Path) -> FastAPI:
    db_path = Path(study_dir) / "study.db"
    secret = secrets.token_bytes(32)
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)

    def csrf_token(grader: db.Grader) -> str:
        return hmac.new(secret, f"{grader.id}:{grader.name}".encode(), hashlib.sha256).hexdigest()

    def page(name: str, status: int = 200, **ctx) -> HTMLResponse:
        nonce = secrets.token_urlsafe(16)
        html = _env.get_template(name).render(nonce=nonce, **ctx)
        resp = HTMLResponse(html, status_code=status)
        resp.headers["Content-Security-Policy"] = (
            f"default-src 'none'; style-src 'nonce-{nonce}'; script-src 'nonce-{nonce}'; "
            "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
        resp.headers["Referrer-Policy"] = "no-referrer"
        resp.headers["Cache-Control"] = "no-store"
        resp.headers["X-Content-Type-Options"] = "nosniff"
        return resp

    def refused() -> HTMLResponse:
        return page("message.html.j2", 403, title="Not signed in",
                    text="This link is not valid. Open the personal link the study coordinator gave you.")

    def signed_in(request: Request, store: Store) -> db.Grader | None:
        token = request.cookies.get(COOKIE)
        return db.grader_by_token(store, token) if token else None

    @app.get("/login")
    def login(token: str = "") -> Response:
        with _open(db_path) as store:
            if not token or db.grader_by_token(store, token) is None:
                return refused()
        resp = RedirectResponse("/", status_code=303)  # drop the token from the address bar
        resp.set_cookie(COOKIE, token, httponly=True, samesite="strict", max_age=30 * 24 * 3600)
        return resp

    @app.get("/")
    def next_item(request: Request) -> Response:
        with _open(db_path) as store:
            grader = signed_in(request, store)
            if grader is None:
                return refused()
            done, total, item_id = db.progress(store, grader)
            if item_id is None:
                return page("done.html.j2", grader=grader, done=done, total=total)
            item = db.blinded(store, item_id)
            return page("item.html.j2", grader=grader, item=item, done=done, total=total,
                        csrf=csrf_token(grader))

    @app.post("/grade/{public_id}")
    def grade(request: Request, public_id: str, value: str = Form(""), csrf: str = Form("")) -> Response:
        with _open(db_path) as store:
            grader = signed_in(request, store)
            if grader is None:
                return refused()
            if not hmac.compare_digest(csrf, csrf_token(grader)):
                return page("message.html.j2", 403, title="Form expired",
                            text="This form is no longer valid. Go back to the grading page and grade again.")
            try:
                db.record_grade(store, grader, public_id, value)
            except PermissionError:
                return page("message.html.j2", 404, title="Not found", text="This item is not in your list.")
            except ValueError:
                return page("message.html.j2", 400, title="No choice",
                            text="Choose one of the options before saving.")
        return RedirectResponse("/", status_code=303)

    @app.get("/stats")
    def stats(request: Request) -> Response:
        with _open(db_path) as store:
            grader = signed_in(request, store)
            if grader is None:
                return refused()
            if grader.role != "adjudicator":
                return page("message.html.j2", 403, title="Adjudicators only",
                            text="Agreement statistics are shown to adjudicators only, so graders stay blind.")
            rows = [(task, rubric, a) for (task, rubric), a in db.statistics(store).items()]
            final = len(db.final_grades(store))
            pending = len(db.disagreements(store))
            return page("stats.html.j2", grader=grader, rows=rows, final=final, pending=pending)

    return app


class _open:
    """A Store per request: sqlite connections are not shared across the server's threads."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __enter__(self) -> Store:
        self.store = Store(self.path)
        return self.store

    def __exit__(self, *exc) -> None:
        self.store.close()


def server(study_dir: Path, host: str = "127.0.0.1", port: int = 8765):
    """A uvicorn server for the app. The access log is off (URLs carry tokens); uvicorn's own
    logging configuration is not installed, so its few lifecycle messages go through the
    root logger and never include request data."""
    import uvicorn

    config = uvicorn.Config(create_app(study_dir), host=host, port=port, access_log=False,
                            log_config=None, log_level="info", server_header=False)
    logging.getLogger("uvicorn.access").disabled = True
    return uvicorn.Server(config)
