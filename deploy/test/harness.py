"""The pieces of the deployment test: checks and their report, the processes it starts, its
database, nginx's configuration and an HTTP(S) client. Standard library only."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import secrets
import signal
import socket
import ssl
import subprocess
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
# The client pretends to be elsewhere: it connects from this loopback address, so nginx sees it
# as the client while the instances see nginx (127.0.0.1, the trusted proxy).
CLIENT_ADDRESS = "127.0.0.2"
SESSION_COOKIE = "abetworks_session"


class CheckFailed(Exception):
    pass


def check(condition: bool, message: str) -> None:
    if not condition:
        raise CheckFailed(message)


class Report:
    """Counts the checks and prints one line each, then the closing `N passed, N failed`."""

    def __init__(self) -> None:
        self.passed = 0
        self.failed = 0

    def ok(self, text: str) -> None:
        self.passed += 1
        print(f"  ok   {text}", flush=True)

    def note(self, text: str) -> None:
        print(f"  note {text}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(what: str, probe, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if probe():
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise CheckFailed(f"{what} did not come up within {seconds:.0f} s")


# -------------------------------------------------------------------------- the processes ----


class Processes:
    """Every process the test starts, each in its own process group, stopped at the end."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.running: dict[str, subprocess.Popen] = {}

    def start(
        self,
        name: str,
        command: list[str],
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
    ):
        log = open(self.logs / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self.running[name] = process
        return process

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        process = self.running.pop(name)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)

    def stop_all(self) -> None:
        for name in list(self.running):
            self.kill(name, signal.SIGTERM)

    def tail(self, lines: int = 25) -> None:
        for log in sorted(self.logs.glob("*.log")):
            text = log.read_text(errors="replace").splitlines()[-lines:]
            print(f"--- {log.name} (last {len(text)} lines)")
            print("\n".join(text))


class Database:
    """A database of its own on the PostgreSQL server, dropped at the end."""

    def __init__(self, maintenance_url: str) -> None:
        self.maintenance_url = maintenance_url
        self.name = f"abetworks_deploy_{os.getpid()}_{secrets.token_hex(3)}"
        parts = urllib.parse.urlsplit(maintenance_url)
        query = parts.query or "sslmode=prefer"
        self.url = urllib.parse.urlunsplit(
            parts._replace(path=f"/{self.name}", query=query)
        )
        self.created = False

    def psql(self, sql: str, url: str | None = None) -> str:
        done = subprocess.run(
            ["psql", url or self.maintenance_url, "-v", "ON_ERROR_STOP=1", "-Atc", sql],
            capture_output=True,
            text=True,
            timeout=60,
        )
        check(done.returncode == 0, f"psql: {done.stderr.strip()}")
        return done.stdout.strip()

    def create(self) -> None:
        self.psql(f'CREATE DATABASE "{self.name}"')
        self.created = True

    def query(self, sql: str) -> str:
        return self.psql(sql, self.url)

    def drop(self) -> None:
        if self.created:
            self.psql(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            self.created = False


def make_certificate(tmp: Path) -> tuple[Path, Path]:
    cert, key = tmp / "cert.pem", tmp / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    key.chmod(0o600)
    return cert, key


def nginx_config(tmp: Path, ports: dict[str, int], cert: Path, key: Path) -> Path:
    """The shipped file with this run's ports and paths, inside a minimal main configuration."""
    text = (DEPLOY / "nginx/abetworks.conf").read_text()
    substitutions = [
        ("server 127.0.0.1:3001 ", f"server 127.0.0.1:{ports['server1']} ", 1),
        ("server 127.0.0.1:3002 ", f"server 127.0.0.1:{ports['server2']} ", 1),
        ("listen 80;", f"listen 127.0.0.1:{ports['http']};", 1),
        ("listen [::]:80;", "", 1),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{ports['https']} ssl http2;", 1),
        ("listen [::]:443 ssl http2;", "", 1),
        ("https://$host$request_uri", f"https://$host:{ports['https']}$request_uri", 1),
        ("/etc/abetworks/tls/fullchain.pem", str(cert), 1),
        ("/etc/abetworks/tls/privkey.pem", str(key), 1),
        ("/var/log/nginx/abetworks.access.log", str(tmp / "logs/nginx-access.log"), 1),
    ]
    for old, new, count in substitutions:
        found = text.count(old)
        check(
            found == count,
            f"deploy/nginx/abetworks.conf: {old!r} found {found} times, expected {count}",
        )
        text = text.replace(old, new)
    site = tmp / "abetworks.conf"
    site.write_text(text)
    main = tmp / "nginx.conf"
    main.write_text(
        "worker_processes 1;\n"
        "events { worker_connections 256; }\n"
        "http {\n"
        f"    access_log {tmp}/logs/nginx-default-access.log;\n"
        + "".join(
            f"    {kind}_temp_path {tmp}/nginx-{kind};\n"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        + f"    include {site};\n"
        "}\n"
    )
    return main


def nginx_command(tmp: Path, main: Path, *extra: str) -> list[str]:
    return [
        "nginx",
        "-p",
        str(tmp),
        "-c",
        str(main),
        "-e",
        str(tmp / "logs/nginx-error.log"),
        *extra,
    ]


# --------------------------------------------------------------------------------- client ----


class Client:
    """HTTP(S) to 127.0.0.1 from a chosen loopback source address, with one session cookie."""

    def __init__(self, https_port: int, cert: Path) -> None:
        self.https_port = https_port
        self.context = ssl.create_default_context(cafile=str(cert))
        self.cookie: str | None = None
        self.origin = f"https://127.0.0.1:{https_port}"
        self.answered_by_nginx = 0  # requests nginx answered over HTTPS, so logged

    def request(
        self,
        method,
        path,
        body=None,
        port=None,
        tls=True,
        source=CLIENT_ADDRESS,
        headers=None,
    ):
        port = port or self.https_port
        if tls:
            conn = http.client.HTTPSConnection(
                "127.0.0.1",
                port,
                context=self.context,
                timeout=60,
                source_address=(source, 0),
            )
        else:
            conn = http.client.HTTPConnection(
                "127.0.0.1", port, timeout=60, source_address=(source, 0)
            )
        sent = {
            "Origin": self.origin if tls else f"http://127.0.0.1:{port}",
            **(headers or {}),
        }
        if self.cookie:
            sent["Cookie"] = f"{SESSION_COOKIE}={self.cookie}"
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            sent["Content-Type"] = "application/json"
        try:
            conn.request(method, path, body=data, headers=sent)
            response = conn.getresponse()
            raw = response.read()
            if tls and port == self.https_port:
                self.answered_by_nginx += 1
        finally:
            conn.close()
        try:
            payload = json.loads(raw) if raw else None
        except ValueError:
            payload = raw.decode(errors="replace")
        return response.status, response.headers, payload

    def first_event_bytes(self, path, headers=None):
        """Opens an event stream through nginx and reads its first line, then hangs up: the
        status, the headers and that line. The line arriving at once (long before nginx's
        buffers would fill) shows the stream is not buffered."""
        conn = http.client.HTTPSConnection(
            "127.0.0.1", self.https_port, context=self.context, timeout=15
        )
        sent = {"Origin": self.origin, **(headers or {})}
        if self.cookie:
            sent["Cookie"] = f"{SESSION_COOKIE}={self.cookie}"
        try:
            conn.request("GET", path, headers=sent)
            response = conn.getresponse()
            line = response.readline() if response.status == 200 else response.read()
            self.answered_by_nginx += 1
        finally:
            conn.close()
        return response.status, response.headers, line.decode(errors="replace")


def upstreams_in_access_log(tmp: Path, at_least: int = 0) -> list[str]:
    """The instances nginx tried, one entry a request; waits (briefly) for `at_least` entries,
    as nginx writes a request's line just after answering it."""
    deadline = time.monotonic() + 5
    while True:
        log = (tmp / "logs/nginx-access.log").read_text()
        # `$upstream_addr` lists every instance tried: "127.0.0.1:3002, 127.0.0.1:3001".
        entries = re.findall(r"upstream=(.*?) upstream_status=", log)
        if len(entries) >= at_least or time.monotonic() > deadline:
            return entries
        time.sleep(0.1)
