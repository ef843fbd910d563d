"""The streaming execute: NDJSON progress lines, then one output or error line."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from service.worker import ProgressReporter
from tests.conftest import FAKE_STREAM_TIME_LIMIT, AgentClient, signed_headers


def progress_of(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The progress lines, after checking that exactly one final line ends the stream."""
    *progress, last = lines
    assert all(line["type"] == "progress" for line in progress), lines
    assert last["type"] in {"output", "error"}, lines
    return progress


def test_a_stream_sends_each_progress_report_then_the_output(fake_agents: AgentClient) -> None:
    lines = fake_agents.lines("steps", {"steps": 3, "pause": 0.06})
    assert progress_of(lines) == [
        {"type": "progress", "done": step, "total": 3, "message": f"step {step}"}
        for step in (1, 2, 3)
    ]
    assert lines[-1]["output"] == {"counted": 3}
    assert isinstance(lines[-1]["durationMs"], int) and lines[-1]["durationMs"] >= 180


def test_an_agent_that_reports_no_progress_streams_only_its_output(
    fake_agents: AgentClient,
) -> None:
    lines = fake_agents.lines("echo", {"text": "hi", "times": 2})
    assert [line["type"] for line in lines] == ["output"]
    assert lines[0]["output"] == {"text": "HI HI"}


def test_the_plain_execute_of_a_progress_agent_answers_only_its_output(
    fake_agents: AgentClient,
) -> None:
    assert fake_agents.output("steps", {"steps": 4}) == {"counted": 4}


def test_an_agent_that_raises_ends_the_stream_with_one_error_line_and_its_traceback(
    fake_agents: AgentClient,
) -> None:
    lines = fake_agents.lines("steps", {"steps": 5, "pause": 0.06, "fail_at": 3})
    assert [line["done"] for line in progress_of(lines)] == [1, 2]
    assert lines[-1] == {"type": "error", "status": 500, "error": lines[-1]["error"]}
    error = lines[-1]["error"]
    assert error["type"] == "RuntimeError"
    assert error["message"] == "step 3 went wrong"
    trace = error["traceback"]
    assert trace.startswith("Traceback (most recent call last):")
    assert "steps_agent.py" in trace and "in fail" in trace
    assert trace.rstrip().endswith("RuntimeError: step 3 went wrong")


def test_a_crashed_worker_ends_the_stream_with_an_error_line(fake_agents: AgentClient) -> None:
    (line,) = fake_agents.lines("crash", {})
    assert line["type"] == "error" and line["status"] == 500
    assert line["error"]["type"] == "WorkerCrashed"
    assert "exit code 3" in line["error"]["message"]


def test_a_stream_over_its_time_limit_ends_with_a_timeout_line_and_its_worker_is_killed(
    fake_agents: AgentClient,
) -> None:
    pool = fake_agents.app.state.pool
    replaced = pool.replaced
    started = time.monotonic()
    lines = fake_agents.lines("steps", {"steps": 1000, "pause": 0.1})
    elapsed = time.monotonic() - started
    assert len(progress_of(lines)) >= 10
    assert lines[-1]["status"] == 504
    assert lines[-1]["error"]["type"] == "timeout"
    assert FAKE_STREAM_TIME_LIMIT <= elapsed < FAKE_STREAM_TIME_LIMIT + 2
    assert pool.replaced == replaced + 1
    assert fake_agents.lines("steps", {"steps": 1})[-1]["output"] == {"counted": 1}


def test_a_refused_stream_answers_like_the_plain_execute(fake_agents: AgentClient) -> None:
    body = json.dumps({"input": {"text": "hi"}}).encode()
    url = "/agents/echo/execute/stream"
    unsigned = fake_agents.client.post(url, content=body)
    assert unsigned.status_code == 401
    assert unsigned.json()["error"]["type"] == "unauthorized"
    forged = fake_agents.client.post(
        url, content=body, headers=signed_headers("echo", body, secret="not-the-secret")
    )
    assert forged.status_code == 401
    assert forged.json()["error"]["message"] == "signature does not match"
    # An execution id accepted by one form is refused by the other.
    once = "exec-streamed-once"
    assert fake_agents.execute("echo", {"text": "hi"}, stream=True, execution_id=once).is_success
    again = fake_agents.execute("echo", {"text": "hi"}, execution_id=once)
    assert again.status_code == 401
    assert again.json()["error"]["message"] == "execution id was already used"

    unknown = fake_agents.execute("no-such-agent", {}, stream=True)
    assert unknown.status_code == 404
    invalid = fake_agents.execute("steps", {"steps": -1}, stream=True)
    assert invalid.status_code == 422
    assert invalid.json()["error"]["fields"][0]["field"] == "steps"


def test_the_batch_agent_reports_monotonic_progress_up_to_its_total(
    real_agents: AgentClient,
) -> None:
    lines = real_agents.lines("batch-lead-scoring", {"count": 1500, "delay_ms": 1})
    progress = progress_of(lines)
    assert len(progress) >= 5, progress
    assert {line["total"] for line in progress} == {1500}
    done = [line["done"] for line in progress]
    assert done[0] == 0 and done[-1] == 1500
    assert done == sorted(set(done)), "progress never goes back nor repeats"
    assert all(d % 50 == 0 for d in done)
    assert progress[-1]["message"] == "Scored 1500 of 1500 leads"
    assert lines[-1]["output"]["scored"] == 1500
    assert sum(lines[-1]["output"]["grades"].values()) == 1500


# ---------------------------------------------------------------- the progress callback


def test_progress_reports_are_checked() -> None:
    report = ProgressReporter()
    report(0, 0)
    report(3, 10, "three")
    for bad, error in (
        ((11, 10), ValueError),
        ((-1, 10), ValueError),
        ((1.5, 10), TypeError),
        ((True, 10), TypeError),
        ((1, 10, 42), TypeError),
    ):
        with pytest.raises(error):
            report(*bad)


def test_progress_reports_closer_than_50_ms_are_dropped_but_never_the_last() -> None:
    sent: list[dict[str, Any]] = []
    now = [100.0]
    report = ProgressReporter(lambda payload: sent.append(json.loads(payload)), lambda: now[0])
    report(1, 4, "x" * 600)
    now[0] += 0.01
    report(2, 4)  # dropped: 10 ms after the last one sent
    now[0] += 0.05
    report(3, 4)
    now[0] += 0.001
    report(4, 4, "done")  # the last one always goes
    assert [(r["done"], r["total"]) for r in sent] == [(1, 4), (3, 4), (4, 4)]
    assert len(sent[0]["message"]) == 500
    assert sent[-1]["message"] == "done"
