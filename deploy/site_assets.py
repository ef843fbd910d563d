#!/usr/bin/env python3
"""Finishes a built site for serving: content-hashed bundle names and precompressed files.

    site_assets.py SITE_ROOT [--quick]

- The bundle (`pkg/abetworks.js`, `.wasm`, `.css`) gets a copy named by its content
  (`pkg/abetworks.<hash>.js`, ...), which the server sends with `Cache-Control: immutable`, and
  `SITE_ROOT/hash.txt` (`js: <hash>` lines, the format Leptos reads) names them; the server turns
  Leptos' file hashing on when that file exists. The plain names stay for pages that link them
  directly (the API docs page), without long-lived caching. Older hashed copies are removed.
- Every text or WASM file of 1 KiB or more gets a `.gz` (and a `.br` when the brotli module is
  installed) beside it, kept only when smaller, so the server sends the compressed file as it is
  instead of compressing on every request. `--quick` (the debug site) compresses at a lower
  level: the debug WASM is large and its build is run often.

Standard library only, plus the optional `brotli` package (python-agents' dev requirements,
Debian's python3-brotli).
"""

import argparse
import gzip
import hashlib
import sys
from pathlib import Path

try:
    import brotli
except ImportError:  # gzip alone still helps; say so once.
    brotli = None

BUNDLE = {"js": "abetworks.js", "wasm": "abetworks.wasm", "css": "abetworks.css"}
COMPRESSIBLE = {".js", ".wasm", ".css", ".html", ".svg", ".json", ".txt", ".map", ".ico"}
MIN_BYTES = 1024


def content_hash(data: bytes) -> str:
    """The first 16 hex digits of SHA-256: unique enough for one site's few bundle files."""
    return hashlib.sha256(data).hexdigest()[:16]


def fingerprint(site: Path) -> dict[str, str]:
    pkg = site / "pkg"
    hashes = {}
    for kind, name in BUNDLE.items():
        source = pkg / name
        if not source.is_file():
            sys.exit(f"site_assets: {source} is missing: build the site first")
        stem, ext = name.rsplit(".", 1)
        for old in pkg.glob(f"{stem}.*.{ext}*"):
            old.unlink()
        data = source.read_bytes()
        digest = content_hash(data)
        (pkg / f"{stem}.{digest}.{ext}").write_bytes(data)
        hashes[kind] = digest
    (site / "hash.txt").write_text("".join(f"{k}: {v}\n" for k, v in hashes.items()))
    return hashes


def precompress(site: Path, quick: bool) -> tuple[int, int]:
    """(files, bytes saved by the best encoding)."""
    files = saved = 0
    for path in sorted(site.rglob("*")):
        if not path.is_file() or path.suffix not in COMPRESSIBLE:
            continue
        data = path.read_bytes()
        if len(data) < MIN_BYTES:
            continue
        encoded = {".gz": gzip.compress(data, compresslevel=6 if quick else 9, mtime=0)}
        if brotli is not None:
            encoded[".br"] = brotli.compress(data, quality=5 if quick else 11)
        best = len(data)
        for suffix, body in encoded.items():
            target = path.with_name(path.name + suffix)
            if len(body) < len(data):
                target.write_bytes(body)
                best = min(best, len(body))
            elif target.exists():
                target.unlink()
        files += 1
        saved += len(data) - best
    return files, saved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site_root", type=Path)
    parser.add_argument("--quick", action="store_true", help="lower compression levels")
    args = parser.parse_args()
    hashes = fingerprint(args.site_root)
    if brotli is None:
        print("site_assets: the brotli module is not installed: gzip only", file=sys.stderr)
    files, saved = precompress(args.site_root, args.quick)
    print(
        f"site_assets: bundle {', '.join(f'{k} {v}' for k, v in hashes.items())}; "
        f"{files} files precompressed, {saved // 1024} KiB saved"
    )


if __name__ == "__main__":
    main()
