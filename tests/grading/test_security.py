"""The grading app's security findings, one test (or a few) each: blinding that cannot be
predicted, append-only grades and one ruling per item, sign-in without login CSRF, sessions
instead of raw tokens, late graders, odd CSRF values, file modes and telemetry."""

from __future__ import annotations

import hashlib
import hmac
import os
import random
import re
import sqlite3
import stat

import pytest
from fastapi.testclient import TestClient

from medtune.grading import add_grader, create_items, final_grades
import medtune.grading as gdb
from medtune.grading.app import COOKIE, create_app
from medtune.store import Store


def form(client, path="/"):
    page = client.get(path).text
    public_id = re.search(r'action="/grade/([0-9a-f]+)"', page).group(1)
    csrf = re.search(r'id="grade-form">.*?name="csrf" value="([0-9a-f]+)"', page, re.S).group(1)
    return public_id, csrf


def post(client, public_id, csrf, value):
    return client.post(f"/grade/{public_id}", data={"value": value, "csrf": csrf}, follow_redirects=False)


def grader(store, name):
    return gdb.Grader(*store.conn.execute("SELECT id, name, role FROM graders WHERE name=?", (name,)).fetchone())


# --- 1. blinding -----------------------------------------------------------------------------

def _study(path, n=20):
    store = Store(path / "study.db")
    create_items(store, "medqa", "equivalence", ("base", "sft"))
    for name in ("ann", "bob"):
        add_grader(store, name)
    add_grader(store, "cat", role="adjudicator")
    return store


def _order(store, name):
    """A queue as (example, variant) pairs: what the public code and the ids could predict."""
    rows = {r[0]: (r[1], r[2]) for r in store.conn.execute("SELECT id, example_id, variant FROM grade_items")}
    return [rows[i] for i in gdb.queue(store, grader(store, name))]


def test_item_ids_do_not_come_in_variant_blocks(make_study):
    store = _study(make_study("s", 20))
    variants = [r[0] for r in store.conn.execute("SELECT variant FROM grade_items ORDER BY id")]
    runs = sum(1 for a, b in zip(variants, variants[1:]) if a != b) + 1
    assert runs > 2  # blocks would be 2 runs (20 base, then 20 sft); shuffled, about 20


def test_queue_order_cannot_be_predicted_from_code_and_ids(make_study):
    """Two studies with the same items, graders and ids give different orders: the order
    depends on each study's secret salt, not on the grader id or the insertion order."""
    one, two = _study(make_study("one", 20)), _study(make_study("two", 20))
    assert sorted(_order(one, "ann")) == sorted(_order(two, "ann"))
    assert _order(one, "ann") != _order(two, "ann")
    ids = gdb.queue(one, grader(one, "ann"))
    for guess in (sorted(ids), sorted(ids, reverse=True)):
        assert ids != guess
    old = sorted(ids)
    random.Random(grader(one, "ann").id).shuffle(old)  # the old, public seeding
    assert ids != old
    # The order is the keyed hash of the study's secret salt, the grader and the item:
    salt = one.meta("grading_salt")
    assert len(salt) == 64
    public = dict(one.conn.execute("SELECT id, public_id FROM grade_items"))
    key = lambda i: hmac.new(bytes.fromhex(salt), f"{grader(one, 'ann').id}:{public[i]}".encode(),  # noqa: E731
                             hashlib.sha256).digest()
    assert ids == sorted(ids, key=key)


def test_adjudicator_queue_is_keyed_too(make_study):
    orders = []
    for name in ("one", "two"):
        store = _study(make_study(name, 20))
        for who in ("ann", "bob"):  # disagree on every item
            g = grader(store, who)
            for i in gdb.queue(store, g):
                pid = store.conn.execute("SELECT public_id FROM grade_items WHERE id=?", (i,)).fetchone()[0]
                gdb.record_grade(store, g, pid, "correct" if who == "ann" else "incorrect")
        orders.append(_order(store, "cat"))
    assert len(orders[0]) == 40 and sorted(orders[0]) == sorted(orders[1]) and orders[0] != orders[1]


def test_existing_study_gets_a_salt_by_migration(tmp_path):
    db = tmp_path / "study.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE migrations (name TEXT PRIMARY KEY, applied REAL)")
    conn.commit()
    conn.close()
    from medtune.store.migrations import MIGRATIONS

    names = [n for n, _ in MIGRATIONS]
    assert names.index("0004_grading_security") == len(names) - 1 or "0004_grading_security" in names
    store = Store(db)
    assert re.fullmatch(r"[0-9a-f]{64}", store.meta("grading_salt"))
    store.close()
    assert Store(db).meta("grading_salt") == Store(db).meta("grading_salt")  # stable once made


# --- 3. append-only grades, one ruling per item ----------------------------------------------

@pytest.fixture()
def graded(store):
    create_items(store, "medqa", "equivalence", ("base", "sft"))
    tokens = {n: add_grader(store, n) for n in ("ann", "bob")}
    tokens["cat"] = add_grader(store, "cat", role="adjudicator")
    tokens["dan"] = add_grader(store, "dan", role="adjudicator")
    return tokens


def _pid(store, example, variant="sft"):
    return store.conn.execute("SELECT public_id, id FROM grade_items WHERE example_id=? AND variant=?",
                              (example, variant)).fetchone()


def test_a_second_grade_is_refused_with_how_to_ask_for_a_correction(sign_in, graded, study_dir, store):
    ann = sign_in(create_app(study_dir), graded["ann"])
    public_id, csrf = form(ann)
    assert post(ann, public_id, csrf, "correct").status_code == 303
    resp = post(ann, public_id, csrf, "incorrect")  # the back button, then a different choice
    assert resp.status_code == 409
    assert "adjudicator" in resp.text and public_id in resp.text
    item_id = store.conn.execute("SELECT id FROM grade_items WHERE public_id=?", (public_id,)).fetchone()[0]
    assert [r[0] for r in store.conn.execute("SELECT value FROM grades WHERE item_id=?", (item_id,))] == ["true"]


def test_grades_cannot_be_updated_or_deleted_in_the_database(graded, store):
    pid, item_id = _pid(store, "q1")
    gdb.record_grade(store, grader(store, "ann"), pid, "correct")
    for sql in ("UPDATE grades SET value='false'", "DELETE FROM grades",
                f"INSERT OR REPLACE INTO grades VALUES ({item_id}, {grader(store, 'ann').id}, 'false', 0)"):
        with pytest.raises(sqlite3.DatabaseError, match="append-only|UNIQUE"):
            store.conn.execute(sql)
    assert [tuple(r) for r in store.conn.execute("SELECT value FROM grades")] == [("true",)]


def test_a_late_re_post_cannot_change_a_ruling(graded, store):
    pid, item_id = _pid(store, "q0")
    gdb.record_grade(store, grader(store, "ann"), pid, "correct")
    gdb.record_grade(store, grader(store, "bob"), pid, "incorrect")
    gdb.record_grade(store, grader(store, "cat"), pid, "incorrect")
    assert final_grades(store)[item_id] is False
    with pytest.raises(gdb.AlreadyGraded):
        gdb.record_grade(store, grader(store, "bob"), pid, "correct")  # would have made them agree
    assert final_grades(store)[item_id] is False and item_id in gdb.disagreements(store)


def test_several_adjudicators_the_first_ruling_stands(graded, store):
    pid, item_id = _pid(store, "q0")
    gdb.record_grade(store, grader(store, "ann"), pid, "correct")
    gdb.record_grade(store, grader(store, "bob"), pid, "incorrect")
    gdb.record_grade(store, grader(store, "dan"), pid, "correct")  # dan (higher id) rules first
    with pytest.raises(gdb.AlreadyRuled):
        gdb.record_grade(store, grader(store, "cat"), pid, "incorrect")
    assert final_grades(store)[item_id] is True
    assert gdb.progress(store, grader(store, "cat"))[:2] == (1, 1)  # done for every adjudicator


def test_only_an_adjudicator_changes_an_agreed_grade(sign_in, graded, study_dir, store):
    pid, item_id = _pid(store, "q2")
    for who in ("ann", "bob"):
        gdb.record_grade(store, grader(store, who), pid, "correct")
    assert final_grades(store)[item_id] is True
    cat = sign_in(create_app(study_dir), graded["cat"])
    page = cat.get(f"/item/{pid}")  # a correction asked for by a grader, by item code
    assert page.status_code == 200 and "A correction of this item was asked for" in page.text
    public_id, csrf = form(cat, f"/item/{pid}")
    assert post(cat, public_id, csrf, "incorrect").status_code == 303
    assert final_grades(store)[item_id] is False
    ann = sign_in(create_app(study_dir), graded["ann"])
    assert ann.get(f"/item/{pid}").status_code == 403  # graders cannot open items by code


# --- 4 and 5. sign-in, sessions, logout, revoke ----------------------------------------------

def test_a_link_does_not_replace_an_existing_session_silently(sign_in, graded, study_dir):
    app = create_app(study_dir)
    ann = sign_in(app, graded["ann"])
    page = ann.get(f"/login?token={graded['bob']}")  # a link someone sent to ann
    assert page.status_code == 200 and "bob" in page.text and "signed in as ann" in page.text
    assert "ann (grader)" in ann.get("/").text  # still ann until she confirms
    # a cross-site POST carries no login nonce cookie: refused
    other = TestClient(app)
    resp = other.post("/login", data={"token": graded["bob"], "csrf": "x"}, follow_redirects=False)
    assert resp.status_code == 403 and COOKIE not in resp.cookies


def test_the_cookie_holds_a_random_session_id_not_the_token(sign_in, graded, study_dir, store):
    ann = sign_in(create_app(study_dir), graded["ann"])
    sid = ann.cookies.get(COOKIE)
    assert sid and sid != graded["ann"] and graded["ann"] not in sid
    stored = [r[0] for r in store.conn.execute("SELECT id_hash FROM sessions")]
    assert stored == [hashlib.sha256(sid.encode()).hexdigest()]


def test_session_cookie_flags_beyond_loopback(graded, study_dir):
    app = create_app(study_dir, secure=True)
    client = TestClient(app, base_url="https://grading.example")
    page = client.get(f"/login?token={graded['ann']}")
    nonce = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    resp = client.post("/login", data={"token": graded["ann"], "csrf": nonce}, follow_redirects=False)
    cookie = [v for k, v in resp.headers.multi_items() if k == "set-cookie" and "session" in v][0]
    assert cookie.startswith("__Host-medtune_session=") and "Secure" in cookie and "Path=/" in cookie
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Max-Age=43200" in cookie
    assert "Domain" not in cookie


def test_session_expiry_logout_and_revoke(sign_in, graded, study_dir, store, monkeypatch):
    app = create_app(study_dir)
    ann = sign_in(app, graded["ann"])
    csrf = re.search(r'action="/logout".*?name="csrf" value="([0-9a-f]+)"', ann.get("/").text, re.S).group(1)
    assert ann.post("/logout", data={"csrf": csrf}).status_code == 200
    assert ann.get("/").status_code == 403
    ann = sign_in(app, graded["ann"])
    import time

    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + gdb.SESSION_SECONDS + 1)
    assert ann.get("/").status_code == 403  # expired
    monkeypatch.setattr(time, "time", real)
    ann = sign_in(app, graded["ann"])
    assert gdb.revoke(store, "ann") is None
    assert ann.get("/").status_code == 403  # sessions ended
    assert TestClient(app).get(f"/login?token={graded['ann']}").status_code == 403  # link dead
    new = gdb.revoke(store, "ann", new_link=True)
    sign_in(app, new)


def test_revoke_cli(graded, study_dir):
    from typer.testing import CliRunner

    from medtune.cli import _register, app

    _register()
    res = CliRunner().invoke(app, ["grade", "revoke", str(study_dir), "ann"])
    assert res.exit_code == 0 and "revoked" in res.output and "token=" not in res.output
    res = CliRunner().invoke(app, ["grade", "revoke", str(study_dir), "ann", "--new-link"])
    assert res.exit_code == 0 and re.search(r"/login\?token=[\w-]{43}\b", res.output)
    res = CliRunner().invoke(app, ["grade", "revoke", str(study_dir), "nobody"])
    assert res.exit_code != 0 and "nobody" in str(res.exception)


# --- 6. late graders, odd CSRF values --------------------------------------------------------

def test_graders_added_after_items_get_a_fair_share(study_dir, store):
    create_items(store, "medqa", "equivalence", ("base", "sft"))  # the README's order
    add_grader(store, "ann")
    add_grader(store, "bob")
    pid, _ = _pid(store, "q0")
    gdb.record_grade(store, grader(store, "ann"), pid, "correct")  # ann started already
    add_grader(store, "carl")
    add_grader(store, "dora")
    load = dict(store.conn.execute("SELECT g.name, COUNT(a.item_id) FROM graders g "
                                   "LEFT JOIN assignments a ON a.grader_id=g.id GROUP BY g.name"))
    assert load == {"ann": 4, "bob": 4, "carl": 4, "dora": 4}  # 8 items x 2 graders / 4
    counts = [r[0] for r in store.conn.execute("SELECT COUNT(*) FROM assignments GROUP BY item_id")]
    assert counts == [2] * 8
    assert gdb.progress(store, grader(store, "ann"))[0] == 1  # her grade kept its item


def test_a_non_ascii_csrf_value_is_refused_not_a_500(sign_in, graded, study_dir):
    ann = sign_in(create_app(study_dir), graded["ann"])
    public_id, _ = form(ann)
    assert post(ann, public_id, "é" * 64, "correct").status_code == 403


# --- 7. file modes, telemetry ----------------------------------------------------------------

def test_study_db_and_its_journal_are_owner_only(make_study):
    old = os.umask(0o022)
    try:
        path = make_study("s")
        store = Store(path / "study.db")
        create_items(store, "medqa", "equivalence", ("base",))
        assert len(list(path.glob("study.db*"))) == 3  # the database, -wal and -shm
        for path in path.glob("study.db*"):
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
        store.close()
    finally:
        os.umask(old)


def test_export_is_owner_only_and_a_replaced_export_keeps_its_mode(graded, store, tmp_path):
    out = tmp_path / "grades.csv"
    gdb.export_csv(store, out)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    os.chmod(out, 0o640)
    gdb.export_csv(store, out)
    assert stat.S_IMODE(out.stat().st_mode) == 0o640


def test_web_framework_telemetry_is_off(sign_in, graded, study_dir, monkeypatch):
    """With an OpenTelemetry tracer provider configured in the process, the app starts no
    span (FastAPI's would hold the URL: the login link's token, redacted or not)."""
    from opentelemetry import trace

    spans = []

    class Tracer(trace.NoOpTracer):
        def start_span(self, name, *args, **kw):
            spans.append((name, kw.get("attributes")))
            return super().start_span(name, *args, **kw)

    class Provider(trace.TracerProvider):  # a configured provider, as an SDK would install
        def get_tracer(self, *args, **kw):
            return Tracer()

    monkeypatch.setattr(trace, "get_tracer_provider", Provider)
    sign_in(create_app(study_dir), graded["ann"]).get("/")
    assert spans == []
