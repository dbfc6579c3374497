"""How the relaunching process and a rank report failures (study/launch.py): the failed rank
named, the launcher's own SIGTERMs left out, a user error said once, a lost peer in one line."""

from __future__ import annotations

import signal

from medtune.errors import UserError
from medtune.study import launch


def test_failure_names_the_rank_that_died_not_those_the_launcher_stopped():
    message = launch.failure_message({0: -signal.SIGTERM, 1: -signal.SIGKILL})
    assert message.startswith("rank 1 was killed by SIGKILL;") and "rank 0" not in message
    assert "rank 0 exited with code 1" in launch.failure_message({0: 1})
    # Only SIGTERMs (a user stopping the ranks): those are named.
    assert launch.failure_message({1: -signal.SIGTERM}).startswith("rank 1 was killed by SIGTERM")


def test_a_rank_user_error_goes_to_the_launcher_and_is_printed_once(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(launch.ERRORS_ENV, str(tmp_path))
    monkeypatch.setenv("WORLD_SIZE", "2")
    for rank in ("0", "1"):
        monkeypatch.setenv("RANK", rank)
        launch.report_user_error(UserError("data.jsonl:3: bad label", problems=["x"]))
    assert capsys.readouterr().err == ""  # the launching process says it
    assert launch._user_errors(tmp_path) == ["data.jsonl:3: bad label\n  x"]
    (tmp_path / "rank-00001.txt").write_text("other")
    assert launch._user_errors(tmp_path) == ["rank 0: data.jsonl:3: bad label\n  x", "rank 1: other"]


def test_without_the_relauncher_a_rank_prints_its_error_with_its_rank(monkeypatch, capsys):
    monkeypatch.delenv(launch.ERRORS_ENV, raising=False)
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "1")
    launch.report_user_error(UserError("missing.jsonl: no such file"))
    assert capsys.readouterr().err == "error: rank 1: missing.jsonl: no such file\n"


def test_lost_peer_is_one_line_naming_this_rank(monkeypatch, capsys):
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "0")
    gloo = RuntimeError("[third_party/gloo/gloo/transport/tcp/pair.cc:537] Read error [127.0.0.1]:43230: "
                        "Connection reset by peer. This is typically caused by a remote worker hanging")
    assert launch.lost_contact(gloo)
    err = capsys.readouterr().err
    assert err.startswith("error: rank 0: lost contact with the other processes (Read error [127.0.0.1]:43230: "
                          "Connection reset by peer)") and err.count("\n") == 1
    assert not launch.lost_contact(ValueError("a bug"))  # anything else keeps its traceback
    monkeypatch.setenv("WORLD_SIZE", "1")
    assert not launch.lost_contact(gloo)
