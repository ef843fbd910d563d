"""Service settings, read from the environment."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

DEV_SECRET = "abetworks-dev-secret"
DEFAULT_AGENTS_DIR = Path(__file__).resolve().parent.parent / "agents"
# One worker per core, at least 2 (so one slow call never blocks the rest) and at most 4
# by default (each worker holds pandas, statsmodels and scikit-learn: ~200 MB).
DEFAULT_WORKERS = min(max(2, os.cpu_count() or 1), 4)


_N = TypeVar("_N", int, float)


def _number(
    env: Mapping[str, str],
    name: str,
    default: _N,
    parse: Callable[[str], _N],
    kind: str,
    is_allowed: Callable[[_N], bool],
    allowed: str,
) -> _N:
    """`name` from `env` as `kind` that `is_allowed` (else "must be `allowed`"); `default`
    when unset or blank."""
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = parse(raw)
    except ValueError:
        raise ValueError(f"{name} must be {kind}, got {raw!r}") from None
    if not is_allowed(value):
        raise ValueError(f"{name} must be {allowed}, got {raw!r}")
    return value


def _positive_float(env: Mapping[str, str], name: str, default: float) -> float:
    def is_positive(value: float) -> bool:
        return 0 < value < float("inf")

    return _number(
        env, name, default, float, "a number of seconds", is_positive, "a positive number"
    )


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    def is_positive(value: int) -> bool:
        return value >= 1

    return _number(env, name, default, int, "an integer", is_positive, "at least 1")


@dataclass(frozen=True)
class Settings:
    secret: str = DEV_SECRET
    time_limit_seconds: float = 30.0
    # The streaming execute (long agents, background runs) has a limit of its own.
    stream_time_limit_seconds: float = 600.0
    agents_dir: Path = DEFAULT_AGENTS_DIR
    workers: int = DEFAULT_WORKERS
    max_body_bytes: int = 10 * 1024 * 1024
    worker_start_timeout_seconds: float = 120.0
    secret_is_default: bool = False

    def __repr__(self) -> str:  # never print the secret
        return (
            f"Settings(time_limit_seconds={self.time_limit_seconds}, "
            f"stream_time_limit_seconds={self.stream_time_limit_seconds}, "
            f"agents_dir={str(self.agents_dir)!r}, workers={self.workers}, "
            f"max_body_bytes={self.max_body_bytes}, secret_is_default={self.secret_is_default})"
        )

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        secret = env.get("AGENT_SERVICE_SECRET", "")
        agents_dir = env.get("AGENTS_DIR", "").strip()
        return cls(
            secret=secret or DEV_SECRET,
            secret_is_default=not secret,
            time_limit_seconds=_positive_float(env, "AGENT_TIME_LIMIT_SECONDS", 30.0),
            stream_time_limit_seconds=_positive_float(
                env, "AGENT_STREAM_TIME_LIMIT_SECONDS", 600.0
            ),
            agents_dir=Path(agents_dir).resolve() if agents_dir else DEFAULT_AGENTS_DIR,
            workers=_positive_int(env, "AGENT_WORKERS", DEFAULT_WORKERS),
            max_body_bytes=_positive_int(env, "AGENT_MAX_BODY_BYTES", 10 * 1024 * 1024),
            worker_start_timeout_seconds=_positive_float(
                env, "AGENT_WORKER_START_TIMEOUT_SECONDS", 120.0
            ),
        )
