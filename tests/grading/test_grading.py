"""The grading data model and web app (FastAPI TestClient): sign-in, blinding, CSRF,
assignment to two graders, adjudication, agreement, export and outcomes."""

from __future__ import annotations

import csv
import logging
import re
import threading
import time

import pytest
from fastapi.testclient import TestClient

from medtune.grading import add_grader, create_items, export_csv, outcomes, statistics
from medtune.grading.app import COOKIE, create_app, server


def grade_all(client, choose):
    """Grade until done; choose(output text) -> value. Returns the outputs seen, in order."""
    seen = []
    while True:
        page = client.get("/").text
        if "All done" in page:
            return seen
        public_id = re.search(r'action="/grade/([0-9a-f]+)"', page).group(1)
        csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page).group(1)
        output = re.search(r'id="output">(.*?)</div>', page, re.S).group(1)
        seen.append(output)
        resp = client.post(f"/grade/{public_id}", data={"value": choose(output), "csrf": csrf},
                           follow_redirects=False)
        assert resp.status_code == 303


@pytest.fixture()
def graded(study_dir, store):
    create_items(store, "medqa", "equivalence", ("base", "sft"))
    tokens = {n: add_grader(store, n) for n in ("ann", "bob")}
    tokens["cat"] = add_grader(store, "cat", role="adjudicator")
    return tokens


def test_tokens_are_stored_hashed(graded, store):
    hashes = [r[0] for r in store.conn.execute("SELECT token_hash FROM graders")]
    assert all(len(h) == 64 for h in hashes)
    assert not any(t in h for t in graded.values() for h in hashes)


def test_each_item_goes_to_two_graders(graded, store):
    counts = [r[0] for r in store.conn.execute("SELECT COUNT(*) FROM assignments GROUP BY item_id")]
    assert counts == [2] * 8


def test_wrong_token_and_no_cookie_are_refused(graded, study_dir):
    client = TestClient(create_app(study_dir))
    assert client.get("/login?token=nope").status_code == 403
    assert client.get("/").status_code == 403
    client.cookies.set(COOKIE, "forged")
    assert client.get("/").status_code == 403


def test_item_is_blinded_escaped_and_shows_gold(sign_in, graded, study_dir, patient):
    client = sign_in(create_app(study_dir), graded["ann"])
    page = client.get("/").text
    assert patient in page and "gold answer" in page and "0 of 8 graded" in page
    assert "&lt;b&gt;" in page and "<b>" not in page  # autoescaped model output
    body = page.split("<body>")[1]
    # the output text holds the variant in this fixture; nothing else may name it
    assert body.count("base") + body.count("sft") == 1
    assert client.get("/").headers["Content-Security-Policy"].startswith("default-src 'none'")


def test_csrf_token_is_required(sign_in, graded, study_dir):
    client = sign_in(create_app(study_dir), graded["ann"])
    public_id = re.search(r'action="/grade/([0-9a-f]+)"', client.get("/").text).group(1)
    resp = client.post(f"/grade/{public_id}", data={"value": "correct", "csrf": "0" * 64})
    assert resp.status_code == 403
    resp = client.post(f"/grade/{public_id}", data={"value": "correct"})
    assert resp.status_code == 403


def test_a_grader_cannot_grade_an_item_not_theirs(sign_in, graded, study_dir, store):
    from medtune.grading import grader_by_token, record_grade

    carl = add_grader(store, "carl")  # joins late: takes a fair share (8 x 2 / 3, so 5 or 6)
    assert re.search(r"0 of [56] graded", sign_in(create_app(study_dir), carl).get("/").text)
    not_carls = store.conn.execute(
        "SELECT public_id FROM grade_items WHERE id NOT IN (SELECT item_id FROM assignments a "
        "JOIN graders g ON g.id=a.grader_id WHERE g.name='carl')").fetchone()[0]
    with pytest.raises(PermissionError):
        record_grade(store, grader_by_token(store, carl), not_carls, "correct")


def test_two_graders_then_adjudicator_then_statistics(sign_in, graded, study_dir, store, tmp_path):
    app = create_app(study_dir)
    ann, bob, cat = (sign_in(app, graded[n]) for n in ("ann", "bob", "cat"))
    seen_ann = grade_all(ann, lambda out: "correct")
    seen_bob = grade_all(bob, lambda out: "incorrect" if out.endswith("answer 0") else "correct")
    assert sorted(seen_ann) == sorted(seen_bob) and seen_ann != seen_bob  # own random order
    assert ann.get("/stats").status_code == 403  # graders stay blind to agreement
    seen_cat = grade_all(cat, lambda out: "incorrect")
    assert sorted(seen_cat) == ["&lt;b&gt;base&lt;/b&gt; answer 0", "&lt;b&gt;sft&lt;/b&gt; answer 0"]
    page = cat.get("/stats").text
    assert "75.0%" in page  # 6 of 8 agree
    (a,) = statistics(store).values()
    assert a.n == 8 and a.percent == 0.75 and a.kappa == 0.0  # ann is constant: no agreement beyond chance
    assert outcomes(store, "medqa") == {v: {"q0": 0.0, "q1": 1.0, "q2": 1.0, "q3": 1.0} for v in ("base", "sft")}
    out = tmp_path / "grades.csv"
    assert export_csv(store, out) == 18
    rows = list(csv.DictReader(open(out)))
    assert {r["final"] for r in rows if r["example_id"] == "q0"} == {"False"}
    assert {r["role"] for r in rows} == {"grader", "adjudicator"}
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", r["graded_at"]) for r in rows)


def test_likert_form_and_weighted_kappa(sign_in, study_dir, store):
    create_items(store, "medqa", "summary_likert", ("base",))
    tokens = [add_grader(store, n) for n in ("ann", "bob")]
    app = create_app(study_dir)
    page = sign_in(app, tokens[0]).get("/").text
    assert 'value="5"' in page and "gold answer" not in page  # Likert needs no gold
    grade_all(sign_in(app, tokens[0]), lambda out: str(int(out[-1]) + 1))
    grade_all(sign_in(app, tokens[1]), lambda out: str(min(int(out[-1]) + 2, 5)))
    (a,) = statistics(store).values()
    # off by one everywhere: no exact agreement, yet the weighted kappa credits near misses
    assert a.n == 4 and a.percent == 0.0 and a.kappa == pytest.approx(5 / 7)


def test_invalid_choice_is_rejected(sign_in, graded, study_dir):
    client = sign_in(create_app(study_dir), graded["ann"])
    page = client.get("/").text
    public_id = re.search(r'action="/grade/([0-9a-f]+)"', page).group(1)
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page).group(1)
    assert client.post(f"/grade/{public_id}", data={"value": "maybe", "csrf": csrf}).status_code == 400


def test_no_patient_text_or_token_in_server_logs(graded, study_dir, caplog, patient):
    import socket
    import urllib.error
    import urllib.parse
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    caplog.set_level(logging.DEBUG)
    srv = server(study_dir, "127.0.0.1", port)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    try:
        for _ in range(200):
            if srv.started:
                break
            time.sleep(0.02)
        base = f"http://127.0.0.1:{port}"
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
        page = opener.open(f"{base}/login?token={graded['ann']}").read().decode()
        nonce = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
        form = urllib.parse.urlencode({"token": graded["ann"], "csrf": nonce}).encode()
        assert patient in opener.open(f"{base}/login", data=form).read().decode()
        for path, status in (("/login?token=wrong-token-xyz", 403), ("/nonexistent", 404)):
            with pytest.raises(urllib.error.HTTPError) as err:
                opener.open(base + path)
            assert err.value.code == status
    finally:
        srv.should_exit = True
        thread.join(5)
    text = caplog.text
    assert "Uvicorn running" in text  # the log is captured at all
    for secret in (patient, graded["ann"], "wrong-token-xyz", "answer", "/login", "GET"):
        assert secret not in text
