#!/usr/bin/env python3
"""The deployment test behind `make test-deploy`: the shipped deploy/ files, run for real.

On 127.0.0.1 only, with free ports: a fresh PostgreSQL database (created and dropped here), the
agent service, two server instances and Debian's nginx running deploy/nginx/abetworks.conf
(ports and paths substituted) with a certificate made here. Through nginx over HTTPS it signs in
as the admin, syncs and publishes an agent, grants a license and runs the agent; it checks that
one session works on both instances, that the client's address comes from nginx's forwarding
headers (and cannot be spoofed), and that nginx keeps answering after one instance is killed.
It also runs `nginx -t`, `systemd-analyze verify` on the units and, when installed, hadolint.

Standard library only. Usage (the Makefile passes both paths; `make test` passes the debug build
it has already made for Playwright, since what is tested here is the deployment, and a release
build would add some 25 minutes to a cold run; `make test-deploy-release` runs the release build):
    python deploy/test/test_deploy.py --server target/release/server --site target/site [--keep]
Environment: ABETWORKS_TEST_POSTGRES as for the Rust tests (a postgres:// URL of a maintenance
database, or `skip`); default postgres://postgres@127.0.0.1:5432/postgres.
"""

from __future__ import annotations

import argparse
import http.client
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from harness import (
    CLIENT_ADDRESS,
    ROOT,
    SESSION_COOKIE,
    CheckFailed,
    Client,
    Database,
    Processes,
    Report,
    check,
    free_port,
    make_certificate,
    nginx_command,
    nginx_config,
    upstreams_in_access_log,
    wait_until,
)
from static_checks import check_dockerfiles, check_static_files, check_units

TIME_LIMIT_SECONDS = 420
ADMIN_EMAIL = "deploy-admin@example.com"
ADMIN_PASSWORD = "deploy-test-password-" + secrets.token_hex(8)
RUN_BODY = {"input": {"texts": ["I love this product", "This is terrible"]}}


@dataclass
class Stack:
    ports: dict[str, int]
    client: Client
    tmp: Path
    processes: Processes
    database: Database


def answers(port: int, path: str) -> bool:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        conn.request("GET", path)
        return conn.getresponse().status == 200
    finally:
        conn.close()


def start_stack(report: Report, args, tmp: Path, processes: Processes, database: Database) -> Stack:
    """nginx -t, then the database, the agent service, both instances and nginx."""
    server, site = Path(args.server).resolve(), Path(args.site).resolve()
    ports = {name: free_port() for name in ("http", "https", "server1", "server2", "agents")}
    cert, key = make_certificate(tmp)
    main = nginx_config(tmp, ports, cert, key)
    pid = f"pid {tmp}/nginx.pid;"
    tested = subprocess.run(
        nginx_command(tmp, main, "-t", "-g", pid), capture_output=True, text=True, timeout=60
    )
    for line in tested.stderr.strip().splitlines():
        print(f"       {line}")
    check(tested.returncode == 0, "nginx -t refused deploy/nginx/abetworks.conf")
    report.ok("nginx -t accepts deploy/nginx/abetworks.conf")

    database.create()
    report.ok(f"created database {database.name}")

    secret = secrets.token_urlsafe(36)
    uvicorn = str(ROOT / "python-agents/.venv/bin/uvicorn")
    agents_port = str(ports["agents"])
    processes.start(
        "agents",
        [uvicorn, "service.main:app", "--host", "127.0.0.1", "--port", agents_port],
        env={**os.environ, "AGENT_SERVICE_SECRET": secret, "AGENT_WORKERS": "2"},
        cwd=ROOT / "python-agents",
    )
    # Both at once, as systemd starts them: they share the migrations and the first admin.
    for name in ("server1", "server2"):
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "DATABASE_URL": database.url,
            "LEPTOS_SITE_ADDR": f"127.0.0.1:{ports[name]}",
            "LEPTOS_SITE_ROOT": str(site),
            "AGENT_SERVICE_URL": f"http://127.0.0.1:{agents_port}",
            "AGENT_SERVICE_SECRET": secret,
            "ABETWORKS_ENV": "production",
            "ABETWORKS_TRUSTED_PROXIES": "127.0.0.1",
            "ABETWORKS_ADMIN_EMAIL": ADMIN_EMAIL,
            "ABETWORKS_ADMIN_PASSWORD": ADMIN_PASSWORD,
            # The test syncs by hand through the admin route (one of the things it checks).
            "ABETWORKS_SYNC_ON_START": "false",
            "ABETWORKS_LOG_FORMAT": "json",
        }
        processes.start(name, [str(server), "serve"], env=env)

    for name in ("server1", "server2"):
        process = processes.running[name]

        def up(name=name, process=process) -> bool:
            check(process.poll() is None, f"{name} exited")
            return answers(ports[name], "/healthz")

        wait_until(name, up, 90)
    report.ok("two instances answer /healthz (started together on one fresh database)")
    wait_until("the agent service", lambda: answers(ports["agents"], "/health"), 150)
    report.ok("the agent service answers /health")

    processes.start("nginx", nginx_command(tmp, main, "-g", f"daemon off; {pid}"))
    client = Client(ports["https"], cert)
    wait_until("nginx", lambda: client.request("GET", "/healthz")[0] == 200, 30)
    report.ok("nginx answers over HTTPS with the test's certificate")
    return Stack(ports, client, tmp, processes, database)


def check_the_edge(report: Report, stack: Stack) -> None:
    client, https = stack.client, stack.ports["https"]
    status, headers, _ = client.request(
        "GET", "/login?next=%2F", port=stack.ports["http"], tls=False
    )
    location = headers.get("Location")
    expected = f"https://127.0.0.1:{https}/login?next=%2F"
    check(status == 301 and location == expected, f"redirect: {status} {location}")
    report.ok("plain HTTP is redirected to HTTPS")
    status, headers, _ = client.request("GET", "/metrics")
    check(status == 404, f"/metrics through nginx answered {status}")
    check("max-age" in (headers.get("Strict-Transport-Security") or ""), "no HSTS header")
    report.ok("/metrics is hidden behind nginx; answers carry HSTS")


def sign_in_and_run(report: Report, stack: Stack) -> dict:
    """Signs in (pretending to be another client), licenses an agent and runs it; the user."""
    client = stack.client
    spoof = {
        "X-Forwarded-For": "6.6.6.6",
        "Forwarded": "for=7.7.7.7;proto=https",
        "X-Request-Id": "deploy-test-login",
    }
    credentials = {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
    status, headers, user = client.request("POST", "/api/auth/login", credentials, headers=spoof)
    check(status == 200, f"login: {status} {user}")
    cookies = [
        value
        for name, value in headers.items()
        if name.lower() == "set-cookie" and value.startswith(SESSION_COOKIE + "=")
    ]
    check(len(cookies) == 1, f"login set no session cookie: {headers.items()}")
    attributes = [a.strip().lower() for a in cookies[0].split(";")[1:]]
    check("secure" in attributes and "httponly" in attributes, f"cookie: {cookies[0]}")
    request_id = headers.get("x-request-id")
    check(request_id == "deploy-test-login", f"request id not passed on: {request_id}")
    client.cookie = cookies[0].split(";")[0].split("=", 1)[1]
    report.ok("signed in as the admin through nginx; the session cookie is Secure and HttpOnly")

    status, _, synced = client.request("POST", "/api/admin/agents/sync")
    check(status == 200, f"sync: {status} {synced}")
    status, _, page = client.request("GET", "/api/admin/agents?q=sentiment")
    agents = [a for a in (page or {}).get("items", []) if a.get("slug") == "sentiment"]
    check(status == 200 and agents, f"the catalog lacks the sentiment agent: {status} {page}")
    agent_id = agents[0]["id"]
    status, _, agent = client.request("PATCH", f"/api/admin/agents/{agent_id}", {"published": True})
    check(status == 200 and agent.get("published") is True, f"publish: {status} {agent}")
    grant = {"userId": user["id"], "agentId": agent_id, "apiCallLimit": 100}
    status, _, license_view = client.request("POST", "/api/admin/licenses", grant)
    check(status == 201, f"grant: {status} {license_view}")
    report.ok("synced the catalog, published the sentiment agent and granted the admin a license")

    status, _, outcome = client.request("POST", "/api/agents/sentiment/execute", RUN_BODY)
    check(status == 200 and "output" in outcome, f"execute: {status} {outcome}")
    report.ok(f"ran the sentiment agent through nginx: 200 in {outcome.get('durationMs')} ms")

    too_large = b'{"input": "' + b"x" * (300 * 1024) + b'"}'
    status, _, _ = client.request("POST", "/api/agents/sentiment/execute", too_large)
    check(status == 413, f"a 300 KiB body answered {status}")
    report.ok("nginx refuses a body over 256 KiB with 413")
    return user


def check_both_instances(report: Report, stack: Stack, user: dict) -> None:
    client, ports = stack.client, stack.ports
    for _ in range(8):
        status, _, me = client.request("GET", "/api/auth/me")
        check(status == 200 and me["id"] == user["id"], f"me: {status} {me}")
    logged = upstreams_in_access_log(stack.tmp, client.answered_by_nginx)
    served = {tried for entry in logged for tried in entry.split(", ")}
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.23"}
    for name in ("server1", "server2"):
        check(f"127.0.0.1:{ports[name]}" in served, f"nginx never used {name}: {served}")
        status, _, me = client.request(
            "GET",
            "/api/auth/me",
            port=ports[name],
            tls=False,
            source="127.0.0.1",
            headers=forwarded,
        )
        check(status == 200 and me["id"] == user["id"], f"{name} directly: {status} {me}")
    report.ok("round robin reached both instances, and the one session works on each of them")

    # What the instances recorded as the client: nginx's peer, not nginx, nor the spoofed ones.
    login = "SELECT DISTINCT ip FROM login_attempts WHERE succeeded"
    audit = "SELECT DISTINCT ip FROM logs WHERE action IN ('auth.login', 'license.grant')"
    for table, sql in (("login_attempts", login), ("logs", audit)):
        recorded = stack.database.query(sql).splitlines()
        check(recorded == [CLIENT_ADDRESS], f"{table} recorded {recorded}, not {CLIENT_ADDRESS}")
    report.ok(f"login and audit rows hold the forwarded client {CLIENT_ADDRESS}, not nginx's")

    accept = {"Accept": "text/event-stream"}
    status, headers, first = client.first_event_bytes("/api/notifications/stream", accept)
    check(
        status == 200 and "text/event-stream" in (headers.get("Content-Type") or ""),
        f"/api/notifications/stream through nginx: {status} {headers.get('Content-Type')}",
    )
    check(first.startswith("retry:"), f"the stream's first line did not arrive: {first!r}")
    # nginx logs the stream when it closes: wait for that line before counting lines again.
    upstreams_in_access_log(stack.tmp, client.answered_by_nginx)
    report.ok("/api/notifications/stream streams through nginx, its first line at once")


def check_failover(report: Report, stack: Stack) -> None:
    client = stack.client
    stack.processes.kill("server2")
    before = len(upstreams_in_access_log(stack.tmp, client.answered_by_nginx))
    for number in range(12):
        run = number % 4 == 0
        path = "/api/agents/sentiment/execute" if run else "/api/auth/me"
        status, _, answer = client.request(
            "POST" if run else "GET", path, RUN_BODY if run else None
        )
        check(status == 200, f"request {number + 1} after killing server2: {status} {answer}")
    after = upstreams_in_access_log(stack.tmp, before + 12)[before:]
    check(len(after) == 12, f"nginx logged {len(after)} of the 12 requests")
    server1 = f":{stack.ports['server1']}"
    check(all(a.endswith(server1) for a in after), f"answers came from elsewhere: {after}")
    report.ok("after killing server2, nginx served 12 of 12 requests (GET and POST) via server1")


def run(report: Report, args, tmp: Path, processes: Processes, database: Database) -> None:
    server, site = Path(args.server).resolve(), Path(args.site).resolve()
    check(server.is_file(), f"{server} is missing: run `make build`")
    check(site.is_dir(), f"{site} is missing: run `make build`")
    check(shutil.which("nginx") is not None, "no nginx (`make test-deploy` installs it)")
    check_static_files(report)
    check_dockerfiles(report)
    check_units(report, server, tmp)
    stack = start_stack(report, args, tmp, processes, database)
    check_the_edge(report, stack)
    user = sign_in_and_run(report, stack)
    check_both_instances(report, stack, user)
    check_failover(report, stack)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default=str(ROOT / "target/release/server"))
    parser.add_argument("--site", default=str(ROOT / "target/site"))
    parser.add_argument("--keep", action="store_true", help="keep the folder of logs and configs")
    args = parser.parse_args()

    maintenance = os.environ.get("ABETWORKS_TEST_POSTGRES", "")
    if maintenance == "skip":
        print("*** SKIPPING the deployment test: it needs PostgreSQL (ABETWORKS_TEST_POSTGRES) ***")
        return 0

    def out_of_time(*_):
        raise CheckFailed(f"the deployment test ran over {TIME_LIMIT_SECONDS} s")

    signal.signal(signal.SIGALRM, out_of_time)
    signal.alarm(TIME_LIMIT_SECONDS)
    started = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix="abetworks-deploy-"))
    tmp.chmod(0o755)  # nginx's workers (nobody) use the temporary folders inside
    (tmp / "logs").mkdir()
    report = Report()
    processes = Processes(tmp / "logs")
    database = Database(maintenance or "postgres://postgres@127.0.0.1:5432/postgres")
    print(f"deployment test in {tmp}")
    try:
        run(report, args, tmp, processes, database)
    except Exception as failure:  # any failure: report it, show the logs, clean up
        report.failed += 1
        print(f"  FAIL {type(failure).__name__}: {failure}", flush=True)
        processes.tail()
    finally:
        signal.alarm(0)
        processes.stop_all()
        try:
            database.drop()
        except CheckFailed as failure:
            report.failed += 1
            print(f"  FAIL dropping {database.name}: {failure}")
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"deployment test took {time.monotonic() - started:.0f} s")
    print(f"{report.passed} passed, {report.failed} failed")
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
