"""The execute endpoint's error paths: 404, 422, 413, 500 with traceback, 504, crashes."""

from __future__ import annotations

import json
import logging
import os
import time

import pytest

from tests.conftest import FAKE_TIME_LIMIT, AgentClient, signed_headers


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _wait_for(condition, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def test_success_shape(fake_agents: AgentClient) -> None:
    response = fake_agents.execute("echo", {"text": "hello", "times": 2})
    assert response.status_code == 200
    body = response.json()
    assert body["output"] == {"text": "HELLO HELLO"}
    assert isinstance(body["durationMs"], int) and body["durationMs"] >= 0
    assert response.headers["content-type"] == "application/json"


def test_unknown_agent_is_404(fake_agents: AgentClient) -> None:
    response = fake_agents.execute("no-such-agent", {})
    assert response.status_code == 404
    assert response.json()["error"]["type"] == "not_found"
    assert "no-such-agent" in response.json()["error"]["message"]


def test_unknown_route_uses_the_error_shape(fake_agents: AgentClient) -> None:
    response = fake_agents.client.get("/nowhere")
    assert response.status_code == 404
    assert response.json()["error"]["type"] == "not_found"


def test_invalid_input_is_422_with_field_names(fake_agents: AgentClient) -> None:
    response = fake_agents.execute("echo", {"text": "", "times": 9, "extra": 1})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["type"] == "validation_error"
    assert error["message"] == "Input is invalid"
    fields = {f["field"]: f["message"] for f in error["fields"]}
    assert set(fields) == {"text", "times"}
    assert "at least 1 character" in fields["text"]
    assert "less than or equal to 5" in fields["times"]


def test_missing_required_field_is_named(fake_agents: AgentClient) -> None:
    response = fake_agents.execute("echo", {})
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == [{"field": "text", "message": "Field required"}]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"not json at all", "body"),
        (b'{"input": NaN}', "body"),
        (b'{"data": {}}', "input"),
        (b"[1, 2]", "input"),
        (b'{"input": "text"}', "input"),
    ],
)
def test_malformed_body_is_422(fake_agents: AgentClient, body: bytes, field: str) -> None:
    response = fake_agents.client.post(
        "/agents/echo/execute", content=body, headers=signed_headers("echo", body)
    )
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["type"] == "validation_error"
    assert error["fields"][0]["field"] == field


def test_oversized_body_is_413(fake_agents: AgentClient) -> None:
    body = json.dumps({"input": {"text": "x" * 100_000}}).encode()
    response = fake_agents.client.post(
        "/agents/echo/execute", content=body, headers=signed_headers("echo", body)
    )
    assert response.status_code == 413
    assert response.json()["error"]["type"] == "payload_too_large"


def test_agent_exception_is_500_with_traceback(
    fake_agents: AgentClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="abetworks.agents"):
        response = fake_agents.execute("boom", {})
    assert response.status_code == 500
    error = response.json()["error"]
    assert error["type"] == "ValueError"
    assert error["message"] == "kaboom: the agent broke"
    trace = error["traceback"]
    assert trace.startswith("Traceback (most recent call last):")
    assert "boom_agent.py" in trace
    assert "in explode" in trace
    assert "raise ValueError(reason)" in trace
    assert trace.rstrip().endswith("ValueError: kaboom: the agent broke")
    # Logged with logging.exception, the worker's traceback included.
    records = [r for r in caplog.records if "boom" in r.getMessage()]
    assert records and records[0].exc_info is not None
    assert "raise ValueError(reason)" in caplog.text


def test_invalid_output_is_500(fake_agents: AgentClient) -> None:
    response = fake_agents.execute("bad-output", {})
    assert response.status_code == 500
    error = response.json()["error"]
    assert error["type"] == "ValidationError"
    assert "count" in error["message"]


def test_the_service_keeps_working_after_an_agent_fails(fake_agents: AgentClient) -> None:
    assert fake_agents.execute("boom", {}).status_code == 500
    assert fake_agents.output("echo", {"text": "still here"}) == {"text": "STILL HERE"}


def test_slow_agent_is_504_and_its_worker_is_killed(fake_agents: AgentClient) -> None:
    pool = fake_agents.app.state.pool
    before = set(pool.pids)
    started = time.monotonic()
    response = fake_agents.execute("slow", {"seconds": 30})
    elapsed = time.monotonic() - started
    assert response.status_code == 504
    assert response.json()["error"]["type"] == "timeout"
    assert elapsed < FAKE_TIME_LIMIT + 2
    # The overrunning worker process is really gone, and a fresh one takes its place.
    killed = before - set(pool.pids)
    assert len(killed) == 1
    (pid,) = killed
    assert _wait_for(lambda: not _pid_alive(pid))
    assert _wait_for(lambda: len(pool.pids) == 2)
    assert fake_agents.output("echo", {"text": "after"}) == {"text": "AFTER"}
    assert fake_agents.output("slow", {"seconds": 0.05}) == {"slept": 0.05}


def test_crashing_agent_is_500_and_the_worker_is_replaced(fake_agents: AgentClient) -> None:
    pool = fake_agents.app.state.pool
    response = fake_agents.execute("crash", {})
    assert response.status_code == 500
    error = response.json()["error"]
    assert error["type"] == "WorkerCrashed"
    assert "exit code 3" in error["message"]
    assert _wait_for(lambda: len(pool.pids) == 2)
    assert fake_agents.output("echo", {"text": "ok"}) == {"text": "OK"}


def test_calls_run_concurrently(fake_agents: AgentClient) -> None:
    """Two one-second agents on two workers finish together, not one after the other."""
    import concurrent.futures

    def call(_: int) -> int:
        return fake_agents.execute("slow", {"seconds": 1.0}).status_code

    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(2) as executor:
        statuses = list(executor.map(call, range(2)))
    elapsed = time.monotonic() - started
    assert statuses == [200, 200]
    assert elapsed < 1.8, f"calls were serialised ({elapsed:.2f}s)"
