"""Fuzzing the readers and the study loader (issue 13): any bytes, and any JSON or YAML shaped
like a record or a study, end as a result or a UserError (exit 2) with a message, never a
traceback. Bounded (200 examples per property, no deadline) to keep the unit tier fast; run
with ``--hypothesis-show-statistics`` to see what was tried."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from medtune.config import load_study
from medtune.data.records import Example
from medtune.data.validate import load_examples
from medtune.errors import UserError
from medtune.tasks import get_task

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow],
                derandomize=True)
FIELDS = list(Example.model_fields) + ["extra"]
STUDY_KEYS = ["name", "model", "tasks", "task", "data", "path", "synthetic", "n", "sizes", "train", "test",
              "training", "max_length", "batch_size", "sft", "dpo", "learning_rates", "betas", "steps", "lora",
              "r", "compute", "processes", "judges", "statistics", "alpha", "selection", "evaluation", "mode"]

# Bytes that look like the files users have: mostly JSON, CSV and YAML text, with encodings and
# control bytes mixed in, rather than uniform noise that fails on the first byte.
_PIECES = st.sampled_from([b"{", b"}", b"[", b"]", b'"', b",", b":", b";", b"\n", b"\r\n", b" ", b"\t",
                           b'"id"', b'"prompt"', b'"chosen"', b'"label"', b'"split"', b'"yes"', b'"no"',
                           b'"train"', b"null", b"1e999", b"9" * 50, b"9" * 5000, b"\\ud800", b"\\u0000", b"\xef\xbb\xbf",
                           b"\xff\xfe", b"\x00", b"\xe9", b"id,prompt,chosen,label", b"a,b,yes,yes", b"- ",
                           b"name: x", b"  ", b"&a", b"*a", b"<<: ", b"!!python/object", b"---", b"..."])
FILE_BYTES = st.one_of(st.binary(max_size=300), st.lists(_PIECES, max_size=60).map(b"".join))

_json_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True),
                          st.text(max_size=20), st.sampled_from(["yes", "no", "train", "test", "user", "assistant"]))
JSON_VALUES = st.recursive(_json_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4),
    st.dictionaries(st.sampled_from(FIELDS + ["role", "content"]), inner, max_size=5)), max_leaves=20)
RECORDS = st.dictionaries(st.sampled_from(FIELDS), JSON_VALUES, max_size=7)
YAML_VALUES = st.recursive(_json_scalars.filter(lambda v: v == v), lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(STUDY_KEYS), inner, max_size=6)), max_leaves=25)


def _outcome(load, data: bytes, suffix: str):
    """Run ``load`` on a file holding ``data``: a result, or a UserError whose message names
    the file and prints (no exception of any other kind may escape)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"fuzz{suffix}"
        path.write_bytes(data)
        try:
            return load(path)
        except UserError as err:
            text = str(err)
            assert str(path) in text and text.strip()
            text.encode("utf-8", "backslashreplace")  # printable: the CLI writes it to stderr
            return err


@pytest.mark.parametrize("suffix", [".jsonl", ".json", ".csv"])
@FUZZ
@given(data=FILE_BYTES)
def test_any_bytes_as_a_data_file(suffix, data):
    _outcome(lambda p: load_examples(p, get_task("uti")), data, suffix)


@FUZZ
@given(records=st.lists(RECORDS, min_size=1, max_size=5))
def test_any_json_records(records):
    data = "".join(json.dumps(r) + "\n" for r in records).encode()
    _outcome(lambda p: load_examples(p, get_task("triage")), data, ".jsonl")


@FUZZ
@given(data=FILE_BYTES)
def test_any_bytes_as_a_study_file(data):
    _outcome(load_study, data, ".yaml")


@FUZZ
@given(study=st.dictionaries(st.sampled_from(STUDY_KEYS), YAML_VALUES, max_size=8))
def test_any_yaml_shaped_like_a_study(study):
    _outcome(load_study, yaml.safe_dump(study).encode(), ".yaml")
