"""`openai-conformance sample`: generated requests as JSON lines, errors as one line and exit code 2."""

from __future__ import annotations

import json

import pytest

from conformance.cli import main
from conformance.errors import EXIT_USAGE


def _lines(capsys: pytest.CaptureFixture[str]) -> list[dict]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_negative_samples_name_their_constraint(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sample", "listMessages", "--mode", "negative", "-n", "4", "--seed", "2"]) == 0
    lines = _lines(capsys)
    assert len(lines) == 4
    assert all(line["mode"] == "negative" and line["breaks"] for line in lines)


def test_the_same_seed_prints_the_same_requests(capsys: pytest.CaptureFixture[str]) -> None:
    main(["sample", "GET /threads/{thread_id}/messages", "-n", "3", "--seed", "7"])
    first = _lines(capsys)
    main(["sample", "listMessages", "-n", "3", "--seed", "7"])
    assert _lines(capsys) == first
    assert all(1 <= line["query"].get("limit", 20) <= 100 for line in first)  # "between 1 and 100"


def test_examples_mode(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sample", "createMessage", "--mode", "examples"]) == 0
    (line,) = _lines(capsys)
    assert line["path"] == "/threads/thread_abc123/messages" and line["body"]["role"] == "user"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["sample", "noSuchOperation"], "no operation 'noSuchOperation'"),
        (["sample", "listModels", "--mode", "negative"], "no parameter or body"),
        (["sample", "listModels", "-n", "0"], "--count"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert main(argv) == EXIT_USAGE
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert message in err


def test_nulls_modes_print_the_properties_they_set_to_null(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sample", "createAssistant", "--mode", "nulls", "-n", "2"]) == 0
    lines = _lines(capsys)
    assert len(lines) == 2 and all("description" in line["nulls"] for line in lines)
    assert all(line["body"][name] is None for line in lines for name in line["nulls"])
    assert main(["sample", "createResponse", "--mode", "nested-nulls", "-n", "1"]) == 0
    (line,) = _lines(capsys)
    assert "reasoning.effort" in line["nulls"] and line["body"]["reasoning"]["effort"] is None
    assert main(["sample", "listModels", "--mode", "nulls"]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "listModels has no body property the spec lets be null" in err
