"""Framing between the service and its worker processes.

Every frame is a 4-byte big-endian length followed by that many bytes. Frames from the
service to a worker are JSON objects. Frames from a worker start with one kind byte:

- ``R`` ready, then JSON ``{"loaded": [slug, ...], "failed": {slug: error}}``
- ``O`` success, then the output model as JSON (sent on untouched to the caller)
- ``E`` failure, then JSON ``{"type", "message", "traceback"}``
- ``P`` progress, then JSON ``{"done", "total", "message"}``: any number of these may come
  before the ``O`` or ``E`` that ends a call (only when the call asked for progress)
"""

from __future__ import annotations

import struct

HEADER = struct.Struct(">I")
MAX_FRAME_BYTES = 256 * 1024 * 1024

KIND_READY = b"R"
KIND_OUTPUT = b"O"
KIND_ERROR = b"E"
KIND_PROGRESS = b"P"


def encode_frame(payload: bytes) -> bytes:
    if len(payload) > MAX_FRAME_BYTES:
        raise ValueError(f"frame of {len(payload)} bytes exceeds {MAX_FRAME_BYTES}")
    return HEADER.pack(len(payload)) + payload


def decode_length(header: bytes) -> int:
    (length,) = HEADER.unpack(header)
    if length > MAX_FRAME_BYTES:
        raise ValueError(f"frame of {length} bytes exceeds {MAX_FRAME_BYTES}")
    return length
