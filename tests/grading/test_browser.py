"""The grading app in Debian's Chromium (headless, via Playwright) on loopback: two graders
sign in by their links and grade with the keyboard and the mouse, their disagreement reaches
the adjudicator, whose ruling is final; a late re-post from a stale tab is refused; a link
does not silently replace a session; a wrong token is refused; sign-out ends the session."""

from __future__ import annotations

import shutil
import socket
import threading
import time

import pytest

from medtune.grading import add_grader, create_items, outcomes
from medtune.grading.app import server
from medtune.store import Store

pytestmark = pytest.mark.integration

CHROMIUM = shutil.which("chromium")


@pytest.fixture()
def live(study_dir):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = server(study_dir, "127.0.0.1", port)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(250):
        if srv.started:
            break
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(5)


@pytest.fixture()
def browser():
    if CHROMIUM is None:
        pytest.skip("chromium not found: install Debian's chromium (apt-get install -y chromium); "
                    "`make test` does this")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                              args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield b
        b.close()


def open_link(context, live, token, expect_current=None):
    """Open a personal link and press the confirmation button; returns the page."""
    page = context.new_page()
    page.goto(f"{live}/login?token={token}")
    if expect_current:
        assert f"signed in as {expect_current}" in page.locator("#current").inner_text()
    with page.expect_navigation():
        page.click("#sign-in")
    return page


def grade_in_browser(page, choose, on_item=None):
    """Grade every item; choose(output text) -> ("key", key) or ("click", value id).
    on_item(output) runs before each item is graded."""
    seen = []
    while page.locator("#title").count() == 0:  # the done page has a title, item pages don't
        output = page.locator("#output").inner_text()
        seen.append(output)
        if on_item:
            on_item(output)
        action = choose(output)
        with page.expect_navigation():
            if action[0] == "key":
                page.keyboard.press(action[1])
            else:
                page.check(f"#{action[1]}")
                page.click("#save")
    return seen


def test_full_grading_flow_ruling_late_re_post_and_sign_in(study_dir, live, browser):
    store = Store(study_dir / "study.db")
    create_items(store, "medqa", "equivalence", ("base", "sft"))
    tokens = {n: add_grader(store, n) for n in ("ann", "bob")}
    tokens["cat"] = add_grader(store, "cat", role="adjudicator")

    ann = open_link(browser.new_context(), live, tokens["ann"])
    assert ann.locator("#progress-text").inner_text() == "0 of 8 graded"
    seen_ann = grade_in_browser(ann, lambda out: ("key", "c"))
    assert ann.locator("#progress-text").inner_text().startswith("8 of 8 graded")

    bob_context = browser.new_context()
    bob = open_link(bob_context, live, tokens["bob"])
    stale = []  # a second tab left open on the item bob disagrees on

    def keep_a_tab(output):
        if output.endswith("answer 0") and not stale:
            stale.append(bob_context.new_page())
            stale[0].goto(f"{live}/")

    seen_bob = grade_in_browser(bob, lambda out: ("key", "i") if out.endswith("answer 0")
                                else ("click", "vcorrect"), on_item=keep_a_tab)
    assert sorted(seen_ann) == sorted(seen_bob) and seen_ann != seen_bob  # own order
    assert "base" not in bob.content().split("<body>")[1]  # nothing names a variant

    resp = ann.goto(f"{live}/stats")
    assert resp.status == 403 and "Adjudicators only" in ann.content()

    cat = open_link(browser.new_context(), live, tokens["cat"])
    assert "your verdict is final" in cat.content()
    seen_cat = grade_in_browser(cat, lambda out: ("key", "i"))
    assert sorted(seen_cat) == ["<b>base</b> answer 0", "<b>sft</b> answer 0"]
    assert outcomes(store, "medqa")["sft"] == {"q0": 0.0, "q1": 1.0, "q2": 1.0, "q3": 1.0}

    # Bob's stale tab still shows the disputed item; saving "correct" would make the graders
    # agree and undo the ruling. It is refused, and says how to ask for a correction.
    tab = stale[0]
    assert tab.locator("#output").inner_text().endswith("answer 0")
    with tab.expect_navigation():
        tab.check("#vcorrect")
        tab.click("#save")
    assert tab.locator("#title").inner_text() == "Already graded"
    assert "adjudicator" in tab.locator("#message").inner_text()
    assert outcomes(store, "medqa")["sft"]["q0"] == 0.0

    cat.goto(f"{live}/stats")
    assert cat.locator("#stats .n").inner_text() == "8"
    assert cat.locator("#stats .percent").inner_text() == "75.0%"
    assert cat.locator("#stats .kappa").inner_text() == "0.000"

    # A link opened in a signed-in browser asks first; until confirmed, ann is still ann.
    ann.goto(f"{live}/login?token={tokens['bob']}")
    assert "signed in as ann" in ann.locator("#current").inner_text()
    ann.goto(f"{live}/")
    assert "ann (grader)" in ann.locator("#who").inner_text()
    with ann.expect_navigation():
        ann.click("#logout")
    assert ann.locator("#title").inner_text() == "Signed out"
    assert ann.goto(f"{live}/").status == 403

    stranger = browser.new_context().new_page()
    resp = stranger.goto(f"{live}/login?token=not-a-real-token")
    assert resp.status == 403 and "This link is not valid" in stranger.content()
    assert stranger.goto(f"{live}/").status == 403
    store.close()
