"""A pool of worker processes that run agents off the event loop.

Each worker is a separate Python process (``python -m service.worker``) that imports the
agents once and then runs one call at a time, so CPU-bound agents use every core and never
block the service's event loop. A worker that overruns the time limit is killed (the work
really stops) and replaced; so is one that crashes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from service import protocol
from service.worker import PARENT_PID_ENV

logger = logging.getLogger("abetworks.agents.pool")

SERVICE_ROOT = Path(__file__).resolve().parent.parent
# Variables the worker processes must not see: agents have no business with the secret.
_HIDDEN_FROM_WORKERS = ("AGENT_SERVICE_SECRET",)


class AgentFailed(Exception):
    """The agent raised an exception inside its worker."""

    def __init__(self, type_name: str, message: str, traceback_text: str) -> None:
        super().__init__(f"{type_name}: {message}")
        self.type_name = type_name
        self.message = message
        self.traceback_text = traceback_text


class RemoteTraceback(Exception):
    """Carries the worker's traceback text so logging.exception shows it as the cause."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text

    def __str__(self) -> str:
        return f'\n"""\n{self.text}"""'


class WorkerCrashed(Exception):
    """The worker process died while running an agent."""


def _describe_exit(returncode: int | None) -> str:
    if returncode is None:
        return "an unknown status"
    if returncode < 0:
        try:
            return f"signal {signal.Signals(-returncode).name}"
        except ValueError:
            return f"signal {-returncode}"
    return f"exit code {returncode}"


class _Worker:
    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.pid = proc.pid

    @property
    def alive(self) -> bool:
        return self.proc.returncode is None

    async def send(self, payload: bytes) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(protocol.encode_frame(payload))
        await self.proc.stdin.drain()

    async def recv(self) -> tuple[bytes, bytes]:
        assert self.proc.stdout is not None
        header = await self.proc.stdout.readexactly(protocol.HEADER.size)
        payload = await self.proc.stdout.readexactly(protocol.decode_length(header))
        return payload[:1], payload[1:]

    def kill(self) -> None:
        if self.alive:
            with contextlib.suppress(ProcessLookupError):
                self.proc.kill()

    async def stop(self, grace: float = 3.0) -> None:
        """Close the pipe (the worker exits on EOF); kill it if it does not go in time."""
        if self.proc.stdin is not None:
            with contextlib.suppress(Exception):
                self.proc.stdin.close()
        try:
            await asyncio.wait_for(self.proc.wait(), grace)
        except TimeoutError:
            self.kill()
            with contextlib.suppress(Exception):
                await self.proc.wait()


class WorkerPool:
    def __init__(
        self,
        agent_paths: dict[str, str],
        size: int,
        start_timeout: float = 120.0,
    ) -> None:
        if size < 1:
            raise ValueError("a worker pool needs at least one worker")
        self._agent_paths = dict(agent_paths)
        self.size = size
        self._start_timeout = start_timeout
        self._idle: asyncio.Queue[_Worker] = asyncio.Queue()
        self._workers: set[_Worker] = set()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._closed = False
        self.replaced = 0

    @property
    def pids(self) -> list[int]:
        return sorted(w.pid for w in self._workers)

    def _worker_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in _HIDDEN_FROM_WORKERS}
        python_path = env.get("PYTHONPATH")
        env["PYTHONPATH"] = (
            f"{SERVICE_ROOT}{os.pathsep}{python_path}" if python_path else str(SERVICE_ROOT)
        )
        env[PARENT_PID_ENV] = str(os.getpid())
        return env

    async def _spawn(self) -> _Worker:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "service.worker",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            cwd=str(SERVICE_ROOT),
            env=self._worker_env(),
        )
        worker = _Worker(proc)
        try:
            await worker.send(json.dumps({"agents": self._agent_paths}).encode("utf-8"))
            kind, payload = await asyncio.wait_for(worker.recv(), self._start_timeout)
            if kind != protocol.KIND_READY:
                raise RuntimeError(f"worker {worker.pid} sent {kind!r} instead of ready")
        except BaseException:
            worker.kill()
            with contextlib.suppress(Exception):
                await worker.proc.wait()
            raise
        ready = json.loads(payload)
        if ready.get("failed"):
            logger.error("worker %d could not load: %s", worker.pid, ready["failed"])
        logger.info("worker %d ready with %d agent(s)", worker.pid, len(ready["loaded"]))
        return worker

    async def _bring_up(self) -> None:
        delay = 0.5
        while not self._closed:
            try:
                worker = await self._spawn()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("could not start an agent worker; retrying in %.1fs", delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)
                continue
            if self._closed:
                await worker.stop()
                return
            self._workers.add(worker)
            self._idle.put_nowait(worker)
            return

    def _launch(self) -> asyncio.Task[Any]:
        task = asyncio.create_task(self._bring_up())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def start(self) -> None:
        """Start the workers and wait (up to the start timeout) until they are ready."""
        tasks = [self._launch() for _ in range(self.size)]
        _, pending = await asyncio.wait(tasks, timeout=self._start_timeout)
        if pending:
            logger.error(
                "%d of %d agent worker(s) not ready after %.0fs; still trying in the background",
                len(pending),
                self.size,
                self._start_timeout,
            )

    def _retire(self, worker: _Worker) -> None:
        """Kill a worker (if still running) and start a replacement."""
        self._workers.discard(worker)
        worker.kill()
        reap = asyncio.create_task(worker.stop(grace=5.0))
        self._tasks.add(reap)
        reap.add_done_callback(self._tasks.discard)
        if not self._closed:
            self.replaced += 1
            self._launch()

    async def _acquire(self) -> _Worker:
        while True:
            worker = await self._idle.get()
            if worker.alive:
                return worker
            logger.warning(
                "agent worker %d died while idle (%s)",
                worker.pid,
                _describe_exit(worker.proc.returncode),
            )
            self._retire(worker)

    async def execute(
        self,
        slug: str,
        raw_input: Any,
        on_progress: Callable[[dict[str, Any]], None] | None = None,
    ) -> bytes:
        """Run one agent call in a free worker; returns the output model's JSON.

        With ``on_progress``, the agent's progress reports (``{"done", "total", "message"}``)
        are handed to it, in order, as they arrive; all of them come before the return.
        Raises AgentFailed when the agent raised, WorkerCrashed when its process died.
        Cancel it (e.g. with asyncio.wait_for) to enforce a time limit: a worker that is
        cancelled mid-call is killed and replaced.
        """
        if self._closed:
            raise RuntimeError("the worker pool is closed")
        worker = await self._acquire()
        request = {"slug": slug, "input": raw_input, "progress": on_progress is not None}
        try:
            await worker.send(json.dumps(request).encode("utf-8"))
            kind, payload = await worker.recv()
            while kind == protocol.KIND_PROGRESS:
                if on_progress is not None:
                    on_progress(json.loads(payload))
                kind, payload = await worker.recv()
        except (asyncio.IncompleteReadError, ConnectionError) as exc:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(worker.proc.wait(), 2.0)
            status = _describe_exit(worker.proc.returncode)
            self._retire(worker)
            raise WorkerCrashed(
                f"the agent's worker process {worker.pid} died with {status}"
            ) from exc
        except BaseException:
            self._retire(worker)
            raise
        self._idle.put_nowait(worker)
        if kind == protocol.KIND_OUTPUT:
            return payload
        if kind == protocol.KIND_ERROR:
            error = json.loads(payload)
            failure = AgentFailed(error["type"], error["message"], error["traceback"])
            failure.__cause__ = RemoteTraceback(error["traceback"])
            raise failure
        raise WorkerCrashed(f"worker {worker.pid} sent an unknown reply kind {kind!r}")

    async def close(self) -> None:
        self._closed = True
        for task in list(self._tasks):
            task.cancel()
        workers = list(self._workers)
        self._workers.clear()
        await asyncio.gather(*(w.stop() for w in workers), return_exceptions=True)
        if self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
