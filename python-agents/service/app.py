"""The Abetworks agent service application factory.

Only the Rust gateway talks to this service. ``GET /agents`` needs the shared secret as a
bearer token; ``POST /agents/{slug}/execute`` and its streaming form
``POST /agents/{slug}/execute/stream`` need the gateway's HMAC signature (see
:mod:`service.signing`). Agents run in worker processes (see :mod:`service.pool`).

The streaming form answers NDJSON, one JSON object per line: ``{"type": "progress", "done",
"total", "message"}`` lines while the agent works (only agents that report progress send
them), then exactly one final line, ``{"type": "output", "output", "durationMs"}`` or
``{"type": "error", "status", "error": {...}}`` where ``status`` is what the plain execute
would have answered and ``error`` is its error object. Refusals (401, 404, 413, 422) come
before the stream starts and are the plain execute's answers. When the client goes away the
agent's worker process is killed and replaced: the work stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import anyio
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Receive, Scope, Send

from service.config import Settings
from service.discovery import AgentSpec, discover_agents
from service.pool import AgentFailed, WorkerCrashed, WorkerPool
from service.signing import (
    HEADER_TIMESTAMP,
    ReplayGuard,
    SignatureError,
    SignedCall,
    check_headers,
    verify_signature,
)

logger = logging.getLogger("abetworks.agents")

SERVICE_VERSION = "1.0.0"
INLINE_PARSE_BYTES = 64 * 1024


def error_response(
    status: int, type_: str, message: str, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    return JSONResponse(
        {"error": {"type": type_, "message": message, **extra}}, status_code=status, headers=headers
    )


def unauthorized(message: str) -> JSONResponse:
    return error_response(401, "unauthorized", message)


def _field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    return ".".join(str(part) for part in loc) or "input"


def validation_response(fields: list[dict[str, str]]) -> JSONResponse:
    return error_response(422, "validation_error", "Input is invalid", fields=fields)


def _clean_message(error: Any) -> str:
    message = str(error["msg"])
    prefix = "Value error, "
    if error.get("type") == "value_error" and message.startswith(prefix):
        return message[len(prefix) :]
    return message


def validation_fields(exc: ValidationError) -> list[dict[str, str]]:
    return [
        {"field": _field_path(err["loc"]), "message": _clean_message(err)} for err in exc.errors()
    ]


class _BodyTooLarge(Exception):
    pass


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def parse_input(spec: AgentSpec, body: bytes) -> tuple[Any, list[dict[str, str]]]:
    """Parse ``{"input": ...}`` and validate it against the agent's Input model.

    Returns the raw input (what the worker will get) and the list of field problems.
    """
    try:
        payload = json.loads(body, parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError):
        return None, [{"field": "body", "message": "Body is not valid JSON"}]
    if not isinstance(payload, dict) or "input" not in payload:
        return None, [
            {"field": "input", "message": 'Body must be a JSON object with an "input" key'}
        ]
    raw_input = payload["input"]
    try:
        spec.input_model.model_validate(raw_input)
    except ValidationError as exc:
        return None, validation_fields(exc)
    return raw_input, []


def _status_type(status: int) -> str:
    return {
        400: "bad_request",
        401: "unauthorized",
        403: "forbidden",
        404: "not_found",
        405: "method_not_allowed",
        413: "payload_too_large",
    }.get(status, "http_error")


class NdjsonStream(StreamingResponse):
    """A streamed answer that stops as soon as the client goes away.

    Starlette watches for the disconnect only on ASGI servers older than spec 2.4 (newer ones
    report it at the next write); this always watches, so an agent that reports no progress
    is stopped at once too. The body iterator is closed at the end either way, which is what
    stops the agent's work.
    """

    media_type = "application/x-ndjson"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            async with anyio.create_task_group() as group:

                async def stream() -> None:
                    with contextlib.suppress(OSError):  # the client went away mid-write
                        await self.stream_response(send)
                    group.cancel_scope.cancel()

                group.start_soon(stream)
                await self.listen_for_disconnect(receive)
                group.cancel_scope.cancel()
        finally:
            aclose = getattr(self.body_iterator, "aclose", None)
            if aclose is not None:
                await aclose()


def ndjson_line(value: dict[str, Any]) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode("utf-8") + b"\n"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    if settings.secret_is_default:
        logger.warning(
            "AGENT_SERVICE_SECRET is not set: using the development default secret. "
            "Set AGENT_SERVICE_SECRET (shared with the gateway) outside development."
        )
    agents: dict[str, AgentSpec] = discover_agents(settings.agents_dir)
    catalog = {"agents": [agents[slug].catalog_entry() for slug in sorted(agents)]}
    replay_guard = ReplayGuard()
    pool = WorkerPool(
        {slug: str(spec.path) for slug, spec in agents.items()},
        size=settings.workers,
        start_timeout=settings.worker_start_timeout_seconds,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        logger.info(
            "starting %d agent worker(s); time limit %.1fs", pool.size, settings.time_limit_seconds
        )
        await pool.start()
        try:
            yield
        finally:
            await pool.close()

    app = FastAPI(
        title="Abetworks agent service",
        version=SERVICE_VERSION,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.settings = settings
    app.state.agents = agents
    app.state.pool = pool
    app.state.replay_guard = replay_guard

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return error_response(
            exc.status_code, _status_type(exc.status_code), str(exc.detail), exc.headers
        )

    @app.exception_handler(RequestValidationError)
    async def request_validation_error(request: Request, exc: RequestValidationError) -> Response:
        fields = [
            {"field": _field_path(err["loc"]), "message": _clean_message(err)}
            for err in exc.errors()
        ]
        return validation_response(fields)

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception) -> JSONResponse:
        logger.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(500, "internal_error", "The agent service hit an internal error")

    @app.get("/health")
    async def health() -> dict[str, Any]:
        return {"status": "ok", "agents": len(agents)}

    @app.get("/agents")
    async def list_agents(request: Request) -> Response:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        token_ok = hmac.compare_digest(
            token.strip().encode("utf-8"), settings.secret.encode("utf-8")
        )
        if scheme.lower() != "bearer" or not token_ok:
            return error_response(
                401,
                "unauthorized",
                "A valid bearer token is required",
                headers={"WWW-Authenticate": "Bearer"},
            )
        return JSONResponse(catalog)

    async def admit(slug: str, request: Request) -> tuple[SignedCall, Any] | Response:
        """The checks before a run: the signature, the agent and its input.

        Returns the signed call and the raw input, or the refusal to answer.
        """
        # 1. The signature, before anything in the body is looked at.
        try:
            call, signature = check_headers(request.headers, time.time())
        except SignatureError as exc:
            logger.warning("refused execute call for %r: %s", slug, exc)
            return unauthorized(str(exc))
        try:
            body = await _read_body(request, settings.max_body_bytes)
        except _BodyTooLarge:
            return error_response(
                413,
                "payload_too_large",
                f"Request body exceeds {settings.max_body_bytes} bytes",
            )
        try:
            verify_signature(
                settings.secret,
                call,
                request.headers[HEADER_TIMESTAMP].strip(),
                slug,
                body,
                signature,
            )
        except SignatureError as exc:
            logger.warning("refused execute call %s for %r: %s", call.execution_id[:64], slug, exc)
            return unauthorized(str(exc))
        if not replay_guard.check_and_remember(call.execution_id):
            logger.warning("refused replayed execution id %s", call.execution_id[:64])
            return unauthorized("execution id was already used")

        # 2. The agent and its input.
        spec = agents.get(slug)
        if spec is None:
            return error_response(404, "not_found", f"No agent with slug {slug!r}")
        if len(body) > INLINE_PARSE_BYTES:  # keep the event loop free for big inputs
            raw_input, problems = await asyncio.to_thread(parse_input, spec, body)
        else:
            raw_input, problems = parse_input(spec, body)
        if problems:
            return validation_response(problems)
        return call, raw_input

    def failure(
        slug: str, call: SignedCall, exc: BaseException, limit: float
    ) -> tuple[int, dict[str, Any]]:
        """Logs a failed run; returns its status and error object (``{"type", "message"}``)."""
        if isinstance(exc, TimeoutError):
            logger.error(
                "agent %s timed out after %.1fs (execution %s)", slug, limit, call.execution_id
            )
            message = f"Agent {slug!r} did not finish within {limit:g} seconds"
            return 504, {"type": "timeout", "message": message}
        if isinstance(exc, AgentFailed):
            logger.error(
                "agent %s raised %s (execution %s, user %s)",
                slug,
                exc.type_name,
                call.execution_id,
                call.user_id,
                exc_info=exc,
            )
            error = {"type": exc.type_name, "message": exc.message, "traceback": exc.traceback_text}
            return 500, error
        if isinstance(exc, WorkerCrashed):
            logger.error(
                "agent %s crashed its worker (execution %s)", slug, call.execution_id, exc_info=exc
            )
            return 500, {"type": "WorkerCrashed", "message": str(exc), "traceback": ""}
        logger.error(
            "agent %s: unexpected error (execution %s)", slug, call.execution_id, exc_info=exc
        )
        return 500, {"type": "internal_error", "message": "The agent service hit an internal error"}

    def log_success(slug: str, call: SignedCall, duration_ms: int) -> None:
        logger.info(
            "agent %s ran in %d ms (execution %s, user %s)",
            slug,
            duration_ms,
            call.execution_id,
            call.user_id,
        )

    def signed_post(path: str, run: Callable[[str, SignedCall, Any], Awaitable[Response]]) -> None:
        """Serves `run` at `path` (POST) to the calls `admit` lets in; its refusal to others."""

        async def endpoint(slug: str, request: Request) -> Response:
            admitted = await admit(slug, request)
            if isinstance(admitted, Response):
                return admitted
            call, raw_input = admitted
            return await run(slug, call, raw_input)

        endpoint.__name__ = run.__name__
        app.post(path)(endpoint)

    async def execute(slug: str, call: SignedCall, raw_input: Any) -> Response:
        # Run it in a worker process, under the time limit.
        limit = settings.time_limit_seconds
        started = time.perf_counter()
        try:
            output = await asyncio.wait_for(pool.execute(slug, raw_input), limit)
        except (TimeoutError, AgentFailed, WorkerCrashed) as exc:
            status, error = failure(slug, call, exc, limit)
            return error_response(status, error.pop("type"), error.pop("message"), **error)
        duration_ms = round((time.perf_counter() - started) * 1000)
        log_success(slug, call, duration_ms)
        content = b'{"output":' + output + b',"durationMs":' + str(duration_ms).encode() + b"}"
        return Response(content, media_type="application/json")

    signed_post("/agents/{slug}/execute", execute)

    async def stream_run(slug: str, call: SignedCall, raw_input: Any) -> AsyncIterator[bytes]:
        """The NDJSON lines of one run: its progress, then its output or its error.

        Progress the client is too slow to take is coalesced (the newest report wins), so a
        slow reader never holds up the agent; the last report always comes before the end.
        """
        limit = settings.stream_time_limit_seconds
        latest: dict[str, Any] | None = None
        arrived = asyncio.Event()

        def on_progress(report: dict[str, Any]) -> None:
            nonlocal latest
            latest = report
            arrived.set()

        started = time.perf_counter()
        run = asyncio.ensure_future(
            asyncio.wait_for(pool.execute(slug, raw_input, on_progress), limit)
        )
        # Its outcome is read below, unless the client went away first.
        run.add_done_callback(lambda task: task.cancelled() or task.exception())
        try:
            while True:
                if latest is not None:
                    report, latest = latest, None
                    yield ndjson_line({"type": "progress", **report})
                    continue
                if run.done():
                    break
                arrived.clear()
                waiter = asyncio.ensure_future(arrived.wait())
                try:
                    await asyncio.wait((run, waiter), return_when=asyncio.FIRST_COMPLETED)
                finally:
                    waiter.cancel()
            try:
                output = run.result()
            except Exception as exc:
                status, error = failure(slug, call, exc, limit)
                yield ndjson_line({"type": "error", "status": status, "error": error})
                return
            duration_ms = round((time.perf_counter() - started) * 1000)
            log_success(slug, call, duration_ms)
            yield (
                b'{"type":"output","output":'
                + output
                + b',"durationMs":'
                + str(duration_ms).encode()
                + b"}\n"
            )
        finally:
            if not run.done():
                # The client went away: cancelling the call kills the agent's worker.
                run.cancel()
                logger.warning(
                    "the client left: stopped agent %s (execution %s)", slug, call.execution_id
                )

    async def execute_stream(slug: str, call: SignedCall, raw_input: Any) -> Response:
        return NdjsonStream(stream_run(slug, call, raw_input))

    signed_post("/agents/{slug}/execute/stream", execute_stream)

    return app
