"""Worker process: imports the agents once and runs them, one call at a time.

Started by :mod:`service.pool` as ``python -m service.worker``. It talks to the service over
its original stdin/stdout (see :mod:`service.protocol`); file descriptors 0 and 1 are moved
away first, so an agent that prints or reads standard input cannot corrupt the protocol
(prints go to standard error, which is the service's log).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import logging
import os
import signal
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from service import protocol
from service.discovery import AgentSpec, load_agent

logger = logging.getLogger("abetworks.agents.worker")

PARENT_PID_ENV = "ABETWORKS_AGENT_SERVICE_PID"
# Progress reports closer together than this are dropped (the last one, done == total, never
# is): an agent may report after every item without flooding the pipe.
PROGRESS_MIN_INTERVAL_SECONDS = 0.05
MAX_PROGRESS_MESSAGE_CHARS = 500


def _die_with_parent() -> None:
    """Ask Linux to kill this process when the service dies (best effort)."""
    with contextlib.suppress(Exception):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL)
    expected = os.environ.get(PARENT_PID_ENV)
    if expected and expected.isdigit() and os.getppid() != int(expected):
        os._exit(0)  # the service is already gone


def _take_protocol_streams() -> tuple[IO[bytes], IO[bytes]]:
    proto_in = os.fdopen(os.dup(0), "rb")
    proto_out = os.fdopen(os.dup(1), "wb")
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.dup2(2, 1)
    sys.stdin = open(os.devnull)  # noqa: SIM115 - lives as long as the process
    sys.stdout = sys.stderr
    return proto_in, proto_out


def _read_frame(stream: IO[bytes]) -> bytes | None:
    header = stream.read(protocol.HEADER.size)
    if len(header) < protocol.HEADER.size:
        return None
    length = protocol.decode_length(header)
    payload = stream.read(length)
    if len(payload) < length:
        return None
    return payload


def _write_frame(stream: IO[bytes], kind: bytes, payload: bytes) -> None:
    stream.write(protocol.encode_frame(kind + payload))
    stream.flush()


def _error_payload(exc: BaseException) -> bytes:
    return json.dumps(
        {
            "type": type(exc).__name__,
            "message": str(exc),
            "traceback": "".join(traceback.format_exception(exc)),
        }
    ).encode("utf-8")


class ProgressReporter:
    """The ``progress`` an agent gets: ``progress(done, total, message=None)``.

    ``done`` and ``total`` are integers with ``0 <= done <= total``; ``message`` is a short
    text (cut at 500 characters). Reports are sent to the service as ``P`` frames, at most one
    every 50 ms except the final one (``done == total``); without a ``send`` (a call that did
    not ask for progress) they are checked and dropped.
    """

    def __init__(
        self,
        send: Callable[[bytes], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._send = send
        self._clock = clock
        self._last_sent: float | None = None

    def __call__(self, done: int, total: int, message: str | None = None) -> None:
        for name, value in (("done", done), ("total", total)):
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"progress {name} must be an integer, got {value!r}")
        if not 0 <= done <= total:
            raise ValueError(f"progress must have 0 <= done <= total, got {done} of {total}")
        if message is not None and not isinstance(message, str):
            raise TypeError(f"progress message must be a string, got {type(message).__name__}")
        if self._send is None:
            return
        now = self._clock()
        recent = (
            self._last_sent is not None and now - self._last_sent < PROGRESS_MIN_INTERVAL_SECONDS
        )
        if recent and done < total:
            return
        self._last_sent = now
        text = None if message is None else message[:MAX_PROGRESS_MESSAGE_CHARS]
        self._send(json.dumps({"done": done, "total": total, "message": text}).encode("utf-8"))


def run_agent(spec: AgentSpec, raw_input: Any, progress: ProgressReporter | None = None) -> bytes:
    """Validate the input, run the agent and return its output as JSON bytes.

    An agent whose ``run`` takes ``progress`` gets ``progress`` (a silent reporter if none).
    """
    agent_input = spec.input_model.model_validate(raw_input)
    if spec.reports_progress:
        result = spec.run(agent_input, progress=progress or ProgressReporter())
    else:
        result = spec.run(agent_input)
    if inspect.iscoroutine(result):
        result = asyncio.run(result)
    if not isinstance(result, spec.output_model):
        result = spec.output_model.model_validate(result)
    return result.model_dump_json().encode("utf-8")


def _load(paths: dict[str, str]) -> tuple[dict[str, AgentSpec], dict[str, str]]:
    loaded: dict[str, AgentSpec] = {}
    failed: dict[str, str] = {}
    for slug, path in paths.items():
        try:
            loaded[slug] = load_agent(Path(path))
        except (Exception, SystemExit) as exc:
            logger.exception("worker %d could not load agent %s", os.getpid(), slug)
            failed[slug] = f"{type(exc).__name__}: {exc}"
    return loaded, failed


def serve(proto_in: IO[bytes], proto_out: IO[bytes]) -> None:
    first = _read_frame(proto_in)
    if first is None:
        return
    init = json.loads(first)
    agents, failed = _load(init["agents"])
    ready = {"loaded": sorted(agents), "failed": failed, "pid": os.getpid()}
    _write_frame(proto_out, protocol.KIND_READY, json.dumps(ready).encode("utf-8"))

    while True:
        frame = _read_frame(proto_in)
        if frame is None:
            return  # the service closed the pipe: shut down
        request = json.loads(frame)
        slug = request["slug"]
        spec = agents.get(slug)
        reporter = ProgressReporter(
            (lambda payload: _write_frame(proto_out, protocol.KIND_PROGRESS, payload))
            if request.get("progress")
            else None
        )
        try:
            if spec is None:
                raise LookupError(f"agent {slug!r} is not loaded in this worker")
            output = run_agent(spec, request["input"], reporter)
            reply = protocol.encode_frame(protocol.KIND_OUTPUT + output)
        except (Exception, SystemExit) as exc:
            reply = protocol.encode_frame(protocol.KIND_ERROR + _error_payload(exc))
        proto_out.write(reply)
        proto_out.flush()


def main() -> None:
    _die_with_parent()
    # The service handles Ctrl-C itself and then closes our pipe.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    proto_in, proto_out = _take_protocol_streams()
    logging.basicConfig(
        level=os.environ.get("LOG_LEVEL", "INFO").upper(),
        format=f"%(asctime)s %(levelname)s [worker {os.getpid()}] %(name)s: %(message)s",
    )
    with contextlib.suppress(BrokenPipeError):  # the service went away mid-reply
        serve(proto_in, proto_out)


if __name__ == "__main__":
    main()
