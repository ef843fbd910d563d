"""The real thing: uvicorn started with the documented command, talked to over HTTP."""

from __future__ import annotations

import concurrent.futures
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import SECRET, signed_headers

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid:
            found.append(int(entry.name))
    return found


class Server:
    def __init__(self, proc: subprocess.Popen, url: str, log: Path) -> None:
        self.proc = proc
        self.url = url
        self.log = log

    def execute(self, client: httpx.Client, slug: str, agent_input: dict) -> httpx.Response:
        body = json.dumps({"input": agent_input}).encode()
        return client.post(
            f"{self.url}/agents/{slug}/execute", content=body, headers=signed_headers(slug, body)
        )


@pytest.fixture(scope="module")
def server(fake_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    port = _free_port()
    log = tmp_path_factory.mktemp("server") / "server.log"
    env = {
        **os.environ,
        "AGENTS_DIR": str(fake_dir),
        "AGENT_SERVICE_SECRET": SECRET,
        "AGENT_TIME_LIMIT_SECONDS": "5",
        "AGENT_WORKERS": "2",
    }
    uvicorn = Path(sys.executable).parent / "uvicorn"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(uvicorn), "service.main:app", "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"server did not start:\n{log.read_text()}")
        time.sleep(0.1)
    yield Server(proc, url, log)
    if proc.poll() is None:
        proc.kill()
        proc.wait(10)


def test_health_over_http(server: Server) -> None:
    response = httpx.get(f"{server.url}/health")
    assert response.json() == {"status": "ok", "agents": 9}


def test_agents_do_not_see_the_secret(server: Server) -> None:
    with httpx.Client(timeout=10) as client:
        hidden = server.execute(client, "env", {"name": "AGENT_SERVICE_SECRET"})
        visible = server.execute(client, "env", {"name": "AGENT_TIME_LIMIT_SECONDS"})
    assert hidden.json()["output"] == {"value": None}
    assert visible.json()["output"] == {"value": "5"}


def test_cpu_bound_agent_does_not_block_the_event_loop(server: Server) -> None:
    with httpx.Client(timeout=10) as client, concurrent.futures.ThreadPoolExecutor(1) as pool:
        spinning = pool.submit(server.execute, client, "spin", {"seconds": 1.5})
        time.sleep(0.3)  # let the spin start
        latencies = []
        for _ in range(5):
            started = time.monotonic()
            assert client.get(f"{server.url}/health").status_code == 200
            latencies.append(time.monotonic() - started)
            time.sleep(0.1)
        # Meanwhile another agent runs on the second worker.
        echoed = server.execute(client, "echo", {"text": "parallel"})
        assert echoed.status_code == 200
        response = spinning.result()
    assert response.status_code == 200
    assert response.json()["output"]["loops"] > 0
    assert max(latencies) < 0.5, latencies


def test_concurrent_calls_over_http(server: Server) -> None:
    with httpx.Client(timeout=10) as client, concurrent.futures.ThreadPoolExecutor(2) as pool:
        started = time.monotonic()
        futures = [pool.submit(server.execute, client, "slow", {"seconds": 1.0}) for _ in range(2)]
        statuses = [f.result().status_code for f in futures]
        elapsed = time.monotonic() - started
    assert statuses == [200, 200]
    assert elapsed < 1.8


def test_a_client_that_leaves_a_stream_stops_its_agent(server: Server) -> None:
    workers = set(_children(server.proc.pid))
    body = json.dumps({"input": {"steps": 1000, "pause": 0.05}}).encode()  # 50 s of work
    url = f"{server.url}/agents/steps/execute/stream"
    with (
        httpx.Client(timeout=10) as client,
        client.stream("POST", url, content=body, headers=signed_headers("steps", body)) as answer,
    ):
        assert answer.status_code == 200
        assert answer.headers["content-type"] == "application/x-ndjson"
        first = json.loads(next(answer.iter_lines()))
        assert first["type"] == "progress" and first["total"] == 1000
    # The connection is closed: the worker running the agent is killed and replaced.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        now = set(_children(server.proc.pid))
        if len(workers - now) == 1 and len(now) == 2:
            break
        time.sleep(0.05)
    assert len(workers - now) == 1 and len(now) == 2, (workers, now)
    assert "the client left: stopped agent steps" in server.log.read_text()


def test_shutdown_stops_workers_and_secret_never_logged(server: Server) -> None:
    workers = _children(server.proc.pid)
    assert len(workers) == 2
    server.proc.send_signal(signal.SIGINT)
    assert server.proc.wait(20) == 0
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(Path(f"/proc/{pid}").exists() for pid in workers):
        time.sleep(0.05)
    assert not any(Path(f"/proc/{pid}").exists() for pid in workers)
    log = server.log.read_text()
    assert "worker" in log and "ready" in log
    assert "agents may print" in log  # an agent's print went to the log, not the protocol
    assert SECRET not in log
