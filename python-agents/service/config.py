"""Service settings, read from the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DEV_SECRET = "abetworks-dev-secret"
DEFAULT_AGENTS_DIR = Path(__file__).resolve().parent.parent / "agents"
# One worker per core, at least 2 (so one slow call never blocks the rest) and at most 4
# by default (each worker holds pandas, statsmodels and scikit-learn: ~200 MB).
DEFAULT_WORKERS = min(max(2, os.cpu_count() or 1), 4)


def _positive_float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number of seconds, got {raw!r}") from None
    if not value > 0 or value == float("inf"):
        raise ValueError(f"{name} must be a positive number, got {raw!r}")
    return value


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name} must be an integer, got {raw!r}") from None
    if value < 1:
        raise ValueError(f"{name} must be at least 1, got {raw!r}")
    return value


@dataclass(frozen=True)
class Settings:
    secret: str = DEV_SECRET
    time_limit_seconds: float = 30.0
    agents_dir: Path = DEFAULT_AGENTS_DIR
    workers: int = DEFAULT_WORKERS
    max_body_bytes: int = 10 * 1024 * 1024
    worker_start_timeout_seconds: float = 120.0
    secret_is_default: bool = False

    def __repr__(self) -> str:  # never print the secret
        return (
            f"Settings(time_limit_seconds={self.time_limit_seconds}, "
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
            agents_dir=Path(agents_dir).resolve() if agents_dir else DEFAULT_AGENTS_DIR,
            workers=_positive_int(env, "AGENT_WORKERS", DEFAULT_WORKERS),
            max_body_bytes=_positive_int(env, "AGENT_MAX_BODY_BYTES", 10 * 1024 * 1024),
            worker_start_timeout_seconds=_positive_float(
                env, "AGENT_WORKER_START_TIMEOUT_SECONDS", 120.0
            ),
        )
