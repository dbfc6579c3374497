"""The physician grading web app: FastAPI, server-rendered Jinja2 (autoescaped), no front-end
build. It reads and writes study.db only; it never runs a model.

Security: a grader's personal link (``/login?token=...``) shows a confirmation page; its
button POSTs the token with a nonce from a SameSite=Strict cookie set by that page, so another
site cannot sign a grader in as someone else (login CSRF), and a link never replaces an open
session without saying so. The sign-in gives a random session id (only its sha256 is stored)
in an HttpOnly, SameSite=Strict cookie that expires (``access.SESSION_SECONDS``); served beyond
loopback the cookie is ``Secure`` with the ``__Host-`` prefix (so HTTPS in front is required),
on loopback its name carries the port (cookies are shared across ports). Each POST carries a
CSRF token derived from the session (HMAC with a per-process secret). Pages are selected by
grader id in ``grading.items``, so nobody sees another grader's verdicts, and the variant is
never sent (blinding). The access log and FastAPI's built-in OpenTelemetry are off: URLs hold
tokens and pages hold patient text.
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

from medtune.grading import access, items, results
from medtune.store import Store

COOKIE = "medtune_session"
LOGIN_COOKIE = "medtune_login"
# FastAPI records spans, metrics and logs (with the URL, so the login token) as soon as an
# OpenTelemetry provider is configured in the process; the grading app never reports any.
TELEMETRY_OFF = {"tracing": False, "metrics": False, "logs": False, "operation_spans": False,
                 "auto_configure": False}
_env = Environment(loader=PackageLoader("medtune.grading", "templates"), autoescape=True)


def _same(a: str, b: str) -> bool:
    """Constant-time comparison of form values, which may hold any characters."""
    return hmac.compare_digest(a.encode("utf-8", "surrogatepass"), b.encode("utf-8", "surrogatepass"))


def create_app(study_dir: Path, secure: bool = False, cookie: str | None = None) -> FastAPI:
    """``secure``: served beyond loopback (behind HTTPS): ``Secure``, ``__Host-`` cookies.
    ``cookie``: the session cookie's name (default ``medtune_session``)."""
    db_path = Path(study_dir) / "study.db"
    secret = secrets.token_bytes(32)
    prefix = "__Host-" if secure else ""
    session_cookie = prefix + (cookie or COOKIE)
    login_cookie = prefix + session_cookie.removeprefix(prefix).replace("session", "login")
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None, telemetry=TELEMETRY_OFF)

    def csrf_token(session_id: str) -> str:
        return hmac.new(secret, access.hash_token(session_id).encode(), hashlib.sha256).hexdigest()

    def set_cookie(resp: Response, name: str, value: str, max_age: int) -> None:
        resp.set_cookie(name, value, max_age=max_age, path="/", httponly=True, samesite="strict",
                        secure=secure)

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
                    text="This link is not valid, or your session ended. Open the personal link "
                         "the study coordinator gave you.")

    def signed_in(request: Request, store: Store) -> tuple[access.Grader | None, str]:
        session_id = request.cookies.get(session_cookie, "")
        return (access.grader_by_session(store, session_id) if session_id else None), session_id

    @app.get("/login")
    def login_page(request: Request, token: str = "") -> Response:
        with _open(db_path) as store:
            grader = access.grader_by_token(store, token) if token else None
            if grader is None:
                return refused()
            current, _ = signed_in(request, store)
        if current is not None and current.id == grader.id:
            return RedirectResponse("/", status_code=303)
        nonce = secrets.token_urlsafe(32)
        resp = page("login.html.j2", grader=None, who=grader, current=current, token=token, csrf=nonce)
        set_cookie(resp, login_cookie, nonce, 600)
        return resp

    @app.post("/login")
    def login(request: Request, token: str = Form(""), csrf: str = Form("")) -> Response:
        nonce = request.cookies.get(login_cookie, "")
        if not nonce or not _same(csrf, nonce):  # not from our own sign-in page: refuse
            return page("message.html.j2", 403, title="Sign-in expired",
                        text="Open your personal link again and press the sign-in button.")
        with _open(db_path) as store:
            grader = access.grader_by_token(store, token)
            if grader is None:
                return refused()
            _, old = signed_in(request, store)
            if old:
                access.end_session(store, old)
            session_id = access.start_session(store, grader)
        resp = RedirectResponse("/", status_code=303)
        set_cookie(resp, session_cookie, session_id, access.SESSION_SECONDS)
        resp.delete_cookie(login_cookie, path="/", secure=secure, httponly=True, samesite="strict")
        return resp

    @app.post("/logout")
    def logout(request: Request, csrf: str = Form("")) -> Response:
        with _open(db_path) as store:
            grader, session_id = signed_in(request, store)
            if grader is None:
                return refused()
            if not _same(csrf, csrf_token(session_id)):
                return expired()
            access.end_session(store, session_id)
        resp = page("message.html.j2", title="Signed out",
                    text="You are signed out. Your personal link signs you in again.")
        resp.delete_cookie(session_cookie, path="/", secure=secure, httponly=True, samesite="strict")
        return resp

    def expired() -> HTMLResponse:
        return page("message.html.j2", 403, title="Form expired",
                    text="This form is no longer valid. Go back to the grading page and grade again.")

    def item_page(store: Store, grader: access.Grader, session_id: str, item: dict) -> HTMLResponse:
        done, total, _ = items.progress(store, grader)
        disputed = grader.role == "adjudicator" and item["item_id"] in results.disagreements(store)
        return page("item.html.j2", grader=grader, item=item, done=done, total=total, disputed=disputed,
                    csrf=csrf_token(session_id))

    @app.get("/")
    def next_item(request: Request) -> Response:
        with _open(db_path) as store:
            grader, session_id = signed_in(request, store)
            if grader is None:
                return refused()
            done, total, item_id = items.progress(store, grader)
            if item_id is None:
                return page("done.html.j2", grader=grader, done=done, total=total, csrf=csrf_token(session_id))
            return item_page(store, grader, session_id, items.blinded(store, item_id))

    @app.get("/item/{public_id}")
    def item_by_code(request: Request, public_id: str) -> Response:
        """Adjudicators only: rule on an item a grader asked to correct, by its code."""
        with _open(db_path) as store:
            grader, session_id = signed_in(request, store)
            if grader is None:
                return refused()
            if grader.role != "adjudicator":
                return page("message.html.j2", 403, title="Adjudicators only", grader=grader,
                            text="Only an adjudicator opens an item by its code; to ask for a correction, "
                                 "give the code to the study's adjudicator.")
            item = items.item_for(store, grader, public_id)
            if item is None:
                return page("message.html.j2", 404, title="Not found", grader=grader,
                            text=f"No item has the code {public_id}; check it with the grader who sent it.")
            return item_page(store, grader, session_id, item)

    @app.post("/grade/{public_id}")
    def grade(request: Request, public_id: str, value: str = Form(""), csrf: str = Form("")) -> Response:
        with _open(db_path) as store:
            grader, session_id = signed_in(request, store)
            if grader is None:
                return refused()
            if not _same(csrf, csrf_token(session_id)):
                return expired()
            try:
                items.record_grade(store, grader, public_id, value)
            except PermissionError:
                return page("message.html.j2", 404, title="Not found", text="This item is not in your list.")
            except ValueError:
                return page("message.html.j2", 400, title="No choice",
                            text="Choose one of the options before saving.")
            except items.AlreadyGraded:
                return page("message.html.j2", 409, title="Already graded", grader=grader,
                            text=f"You graded item {public_id} already, and a saved grade is never changed. "
                                 "To ask for a correction, give this item code to the study's adjudicator: "
                                 "the adjudicator can rule on it, and that ruling is final.")
            except items.AlreadyRuled:
                return page("message.html.j2", 409, title="Already ruled", grader=grader,
                            text=f"Item {public_id} has a ruling already, and the first ruling stands. "
                                 "If it must change, agree it with the other adjudicators and the study lead.")
        return RedirectResponse("/", status_code=303)

    @app.get("/stats")
    def stats(request: Request) -> Response:
        with _open(db_path) as store:
            grader, session_id = signed_in(request, store)
            if grader is None:
                return refused()
            if grader.role != "adjudicator":
                return page("message.html.j2", 403, title="Adjudicators only",
                            text="Agreement statistics are shown to adjudicators only, so graders stay blind.")
            rows = [(task, rubric, a) for (task, rubric), a in results.statistics(store).items()]
            final = len(results.final_grades(store))
            pending = len(results.disagreements(store))
            return page("stats.html.j2", grader=grader, rows=rows, final=final, pending=pending,
                        csrf=csrf_token(session_id))

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


def is_loopback(host: str) -> bool:
    import ipaddress

    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return host == "localhost"


def server(study_dir: Path, host: str = "127.0.0.1", port: int = 8765):
    """A uvicorn server for the app. The access log is off (URLs carry tokens); uvicorn's own
    logging configuration is not installed, so its few lifecycle messages go through the
    root logger and never include request data. Beyond loopback the cookies are ``Secure``
    (serve it behind HTTPS); on loopback the cookie's name carries the port."""
    import uvicorn

    local = is_loopback(host)
    app = create_app(study_dir, secure=not local, cookie=f"{COOKIE}_{port}" if local else None)
    config = uvicorn.Config(app, host=host, port=port, access_log=False,
                            log_config=None, log_level="info", server_header=False)
    logging.getLogger("uvicorn.access").disabled = True
    return uvicorn.Server(config)
