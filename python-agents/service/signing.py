"""The gateway signature on execute calls, and the replay guard.

message   = execution_id + "\\n" + user_id + "\\n" + slug + "\\n" + timestamp + "\\n"
            + sha256_hex(raw request body)
signature = lowercase hex HMAC-SHA256(key = secret (UTF-8), msg = message (UTF-8))

The Rust gateway computes exactly the same thing.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass

HEADER_EXECUTION_ID = "X-Abetworks-Execution-Id"
HEADER_USER_ID = "X-Abetworks-User-Id"
HEADER_TIMESTAMP = "X-Abetworks-Timestamp"
HEADER_SIGNATURE = "X-Abetworks-Signature"
SIGNED_HEADERS = (HEADER_EXECUTION_ID, HEADER_USER_ID, HEADER_TIMESTAMP, HEADER_SIGNATURE)

MAX_CLOCK_SKEW_SECONDS = 60
# An id must be remembered for as long as a request carrying it could still pass the
# timestamp check: a timestamp may be up to 60 s in the future and then stays valid for
# another 60 s, so 120 s covers every case.
REPLAY_WINDOW_SECONDS = 2 * MAX_CLOCK_SKEW_SECONDS
MAX_ID_LENGTH = 200


class SignatureError(Exception):
    """The request's signature headers are missing, malformed, wrong, stale or replayed."""


@dataclass(frozen=True)
class SignedCall:
    execution_id: str
    user_id: str
    timestamp: int


def body_digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def signing_message(execution_id: str, user_id: str, slug: str, timestamp: str, body: bytes) -> str:
    return "\n".join((execution_id, user_id, slug, timestamp, body_digest(body)))


def compute_signature(
    secret: str, execution_id: str, user_id: str, slug: str, timestamp: str, body: bytes
) -> str:
    message = signing_message(execution_id, user_id, slug, timestamp, body)
    return hmac.new(secret.encode("utf-8"), message.encode("utf-8"), hashlib.sha256).hexdigest()


def _header(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(name)
    if value is None or not value.strip():
        raise SignatureError(f"missing {name} header")
    return value.strip()


def check_headers(headers: Mapping[str, str], now: float) -> tuple[SignedCall, str]:
    """Presence, shape and freshness checks, done before the body is read."""
    execution_id = _header(headers, HEADER_EXECUTION_ID)
    user_id = _header(headers, HEADER_USER_ID)
    timestamp = _header(headers, HEADER_TIMESTAMP)
    signature = _header(headers, HEADER_SIGNATURE)
    if len(execution_id) > MAX_ID_LENGTH or len(user_id) > MAX_ID_LENGTH:
        raise SignatureError("execution or user id is too long")
    if not (timestamp.isascii() and timestamp.isdigit()) or len(timestamp) > 12:
        raise SignatureError(f"{HEADER_TIMESTAMP} must be integer unix seconds")
    ts = int(timestamp)
    if abs(now - ts) > MAX_CLOCK_SKEW_SECONDS:
        raise SignatureError("timestamp is too far from the service's clock")
    return SignedCall(execution_id, user_id, ts), signature


def verify_signature(
    secret: str, call: SignedCall, timestamp_text: str, slug: str, body: bytes, signature: str
) -> None:
    expected = compute_signature(
        secret, call.execution_id, call.user_id, slug, timestamp_text, body
    ).encode("ascii")
    provided = signature.encode("utf-8", errors="replace")
    if not hmac.compare_digest(expected, provided):
        raise SignatureError("signature does not match")


class ReplayGuard:
    """Remembers execution ids for ``window`` seconds, holding at most ``max_entries``.

    Every entry lives for the same time, so insertion order is expiry order and the oldest
    entries are always at the front. When the guard is full, the oldest ids are forgotten
    early (logged by the caller through the return value).
    """

    def __init__(
        self,
        window: float = REPLAY_WINDOW_SECONDS,
        max_entries: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._window = window
        self._max = max_entries
        self._clock = clock
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()
        self.evicted_early = 0

    def __len__(self) -> int:
        return len(self._seen)

    def check_and_remember(self, execution_id: str) -> bool:
        """True if the id is new (and is now remembered); False if it is a replay."""
        now = self._clock()
        with self._lock:
            while self._seen:
                oldest_id, expires = next(iter(self._seen.items()))
                if expires > now:
                    break
                del self._seen[oldest_id]
            if execution_id in self._seen:
                return False
            while len(self._seen) >= self._max:
                self._seen.popitem(last=False)
                self.evicted_early += 1
            self._seen[execution_id] = now + self._window
            return True
