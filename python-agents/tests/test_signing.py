"""The gateway signature: unit checks and every way a call can be refused."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from pathlib import Path

import pytest

from service.signing import (
    SIGNED_HEADERS,
    ReplayGuard,
    compute_signature,
    signing_message,
)
from tests.conftest import SECRET, AgentClient, signed_headers


def test_signature_matches_the_documented_recipe() -> None:
    body = b'{"input":{"text":"hi"}}'
    message = (
        "exec-1\nuser-7\nlead-scoring\n1700000000\n" + hashlib.sha256(body).hexdigest()
    ).encode()
    expected = hmac.new(b"s3cret", message, hashlib.sha256).hexdigest()
    assert signing_message("exec-1", "user-7", "lead-scoring", "1700000000", body) == (
        message.decode()
    )
    assert compute_signature("s3cret", "exec-1", "user-7", "lead-scoring", "1700000000", body) == (
        expected
    )


def test_fixed_vector_shared_with_the_gateway() -> None:
    """The same vector is in README.md so the Rust gateway can test against it."""
    body = b'{"input":{"text":"I love it"}}'
    assert hashlib.sha256(body).hexdigest() == (
        "6926f84abb6ffac83d2789b162990a8886d196d78886a91feb56dbf81918ac16"
    )
    assert compute_signature(
        "abetworks-dev-secret", "exec-0001", "user-0001", "sentiment", "1700000000", body
    ) == ("d138d5979faba972d6952812119e9af5e6ef3295e739a6a5ebc94f03c3421d01")


def test_replay_guard_forgets_ids_after_the_window() -> None:
    now = [1000.0]
    guard = ReplayGuard(window=120, clock=lambda: now[0])
    assert guard.check_and_remember("a")
    assert not guard.check_and_remember("a")
    now[0] += 119
    assert not guard.check_and_remember("a")
    now[0] += 2
    assert guard.check_and_remember("a")  # expired, so accepted (and remembered) again
    assert len(guard) == 1


def test_replay_guard_is_bounded() -> None:
    guard = ReplayGuard(window=120, max_entries=3, clock=lambda: 0.0)
    for key in "abcd":
        assert guard.check_and_remember(key)
    assert len(guard) == 3
    assert guard.evicted_early == 1
    assert not guard.check_and_remember("d")


def _marker_lines(marker: Path) -> list[str]:
    return marker.read_text().splitlines() if marker.exists() else []


def _post(agents: AgentClient, slug: str, body: bytes, headers: dict[str, str]):
    return agents.client.post(f"/agents/{slug}/execute", content=body, headers=headers)


def _assert_unauthorized(response, marker: Path) -> None:
    assert response.status_code == 401, response.text
    error = response.json()["error"]
    assert error["type"] == "unauthorized"
    assert error["message"]
    assert _marker_lines(marker) == [], "the agent ran without a valid signature"


BODY = json.dumps({"input": {"note": "ran"}}).encode()


def test_valid_signature_runs_the_agent(fake_agents: AgentClient, marker: Path) -> None:
    response = _post(fake_agents, "marker", BODY, signed_headers("marker", BODY))
    assert response.status_code == 200, response.text
    assert response.json()["output"] == {"ok": True}
    assert _marker_lines(marker) == ["ran"]


@pytest.mark.parametrize("missing", SIGNED_HEADERS)
def test_missing_header_is_refused(fake_agents: AgentClient, marker: Path, missing: str) -> None:
    headers = signed_headers("marker", BODY)
    del headers[missing]
    response = _post(fake_agents, "marker", BODY, headers)
    _assert_unauthorized(response, marker)
    assert missing in response.json()["error"]["message"]


def test_wrong_secret_is_refused(fake_agents: AgentClient, marker: Path) -> None:
    headers = signed_headers("marker", BODY, secret="not-the-secret")
    _assert_unauthorized(_post(fake_agents, "marker", BODY, headers), marker)


def test_garbage_signature_is_refused(fake_agents: AgentClient, marker: Path) -> None:
    headers = signed_headers("marker", BODY)
    headers["X-Abetworks-Signature"] = "0" * 64
    _assert_unauthorized(_post(fake_agents, "marker", BODY, headers), marker)
    good = signed_headers("marker", BODY)
    good["X-Abetworks-Signature"] = good["X-Abetworks-Signature"].upper()  # must be lowercase
    _assert_unauthorized(_post(fake_agents, "marker", BODY, good), marker)


@pytest.mark.parametrize("offset", [-61, -3600, 61, 3600])
def test_stale_or_future_timestamp_is_refused(
    fake_agents: AgentClient, marker: Path, offset: int
) -> None:
    headers = signed_headers("marker", BODY, timestamp=int(time.time()) + offset)
    _assert_unauthorized(_post(fake_agents, "marker", BODY, headers), marker)


@pytest.mark.parametrize("timestamp", ["soon", "1.7e9", "-5", ""])
def test_malformed_timestamp_is_refused(
    fake_agents: AgentClient, marker: Path, timestamp: str
) -> None:
    headers = signed_headers("marker", BODY, timestamp=timestamp)
    _assert_unauthorized(_post(fake_agents, "marker", BODY, headers), marker)


def test_timestamp_a_little_off_is_accepted(fake_agents: AgentClient, marker: Path) -> None:
    for offset in (-50, 50):
        headers = signed_headers("marker", BODY, timestamp=int(time.time()) + offset)
        assert _post(fake_agents, "marker", BODY, headers).status_code == 200
    assert len(_marker_lines(marker)) == 2


def test_replayed_execution_id_is_refused(fake_agents: AgentClient, marker: Path) -> None:
    headers = signed_headers("marker", BODY, execution_id="exec-replay-1")
    assert _post(fake_agents, "marker", BODY, headers).status_code == 200
    replay = _post(fake_agents, "marker", BODY, headers)
    assert replay.status_code == 401
    assert replay.json()["error"]["type"] == "unauthorized"
    # Freshly signed, but the id is the same: still a replay.
    again = signed_headers("marker", BODY, execution_id="exec-replay-1")
    assert _post(fake_agents, "marker", BODY, again).status_code == 401
    assert _marker_lines(marker) == ["ran"], "the agent must run exactly once"


def test_tampered_body_is_refused(fake_agents: AgentClient, marker: Path) -> None:
    headers = signed_headers("marker", BODY)
    tampered = json.dumps({"input": {"note": "tampered"}}).encode()
    _assert_unauthorized(_post(fake_agents, "marker", tampered, headers), marker)


def test_signature_for_another_agent_is_refused(fake_agents: AgentClient, marker: Path) -> None:
    headers = signed_headers("echo", BODY)
    _assert_unauthorized(_post(fake_agents, "marker", BODY, headers), marker)


def test_signature_for_another_user_is_refused(fake_agents: AgentClient, marker: Path) -> None:
    headers = signed_headers("marker", BODY, user_id="user-1")
    headers["X-Abetworks-User-Id"] = "user-2"
    _assert_unauthorized(_post(fake_agents, "marker", BODY, headers), marker)


def test_refused_call_does_not_burn_the_execution_id(
    fake_agents: AgentClient, marker: Path
) -> None:
    bad = signed_headers("marker", BODY, execution_id="exec-burn-1", secret="wrong")
    assert _post(fake_agents, "marker", BODY, bad).status_code == 401
    good = signed_headers("marker", BODY, execution_id="exec-burn-1")
    assert _post(fake_agents, "marker", BODY, good).status_code == 200


def test_signature_is_checked_before_the_body_is_parsed(
    fake_agents: AgentClient, marker: Path
) -> None:
    not_json = b"this is not json"
    headers = signed_headers("marker", not_json, secret="wrong")
    _assert_unauthorized(_post(fake_agents, "marker", not_json, headers), marker)


def test_agents_listing_needs_the_bearer_secret(fake_agents: AgentClient) -> None:
    client = fake_agents.client
    for headers in (
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": f"Basic {SECRET}"},
        {"Authorization": SECRET},
        {"Authorization": f"Bearer {SECRET}x"},
    ):
        response = client.get("/agents", headers=headers)
        assert response.status_code == 401, headers
        assert response.json()["error"]["type"] == "unauthorized"
    ok = client.get("/agents", headers={"Authorization": f"Bearer {SECRET}"})
    assert ok.status_code == 200


def test_health_is_open(fake_agents: AgentClient) -> None:
    response = fake_agents.client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "agents": 9}
