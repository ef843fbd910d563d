#!/usr/bin/env python3
"""The documentation check behind `make test-docs`: standard library only, a few seconds.

1. Every relative link and image in README.md and docs/*.md points at a file or folder of this
   repository, and every `#anchor` at a heading of the target page. Links that leave the
   repository (`../shared/…`, absolute paths, `file:`) and web links to hosts other than the
   local server and example domains are refused: the docs must stand on their own.
2. Every ```sh / ```bash block runs, from the repository root, and must exit 0 — unless its
   fence says `no-run` (```sh no-run), and then its first line must be a `#` comment saying why.
3. The generated tables of docs/api.md and docs/operations.md match the Rust source (docs/gen_tables.py --check).
4. docs/schema.md describes every table and column that the migrations create.

Usage: python3 docs/check_docs.py [--no-run]   (--no-run skips step 2)
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import unquote, urlparse

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK_TIMEOUT_SECONDS = 60
# Blocks that build, serve or test the whole project are too heavy to run here (and `make test`
# would run itself): they must say `no-run`.
HEAVY = re.compile(r"\bmake\s+(run|test|build|bench|setup)\b|\bcargo\s+(build|leptos|test|bench)\b")
# Web links may point at the app itself (a local server) or at placeholder domains.
ALLOWED_HOSTS = re.compile(r"^(127\.0\.0\.1|localhost|\[::1\]|([\w-]+\.)*example\.(com|org|net))$")

FENCE = re.compile(r"^(\s*)(```+|~~~+)\s*(.*)$")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
LINK = re.compile(r"!?\[(?:[^\]\[]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
AUTOLINK = re.compile(r"<(https?://[^>\s]+)>")
INLINE_CODE = re.compile(r"(`+)(?:(?!\1).)+?\1")


class Page:
    """A Markdown page split into prose lines, headings and fenced blocks."""

    def __init__(self, path: Path):
        self.path = path
        self.prose: list[tuple[int, str]] = []
        self.blocks: list[tuple[int, str, str]] = []  # (line, info, text)
        self.anchors: set[str] = set()
        self._split(path.read_text(encoding="utf-8").splitlines())

    def _split(self, lines: list[str]) -> None:
        fence, info, start, body = None, "", 0, []
        seen: dict[str, int] = {}
        for number, line in enumerate(lines, 1):
            match = FENCE.match(line)
            if fence is None and match:
                fence, info, start, body = match.group(2), match.group(3).strip(), number, []
                continue
            if fence is not None:
                if match and match.group(2).startswith(fence) and not match.group(3).strip():
                    self.blocks.append((start, info, "\n".join(body)))
                    fence = None
                else:
                    body.append(line)
                continue
            self.prose.append((number, line))
            heading = HEADING.match(line)
            if heading:
                slug = github_anchor(heading.group(2))
                count = seen.get(slug, 0)
                seen[slug] = count + 1
                self.anchors.add(slug if count == 0 else f"{slug}-{count}")
        self.anchors.update(re.findall(r'<a\s+(?:id|name)="([^"]+)"', "\n".join(lines)))


def github_anchor(heading: str) -> str:
    """The id GitHub gives a heading: markup and punctuation dropped, lower case, hyphens."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # links keep their text
    text = text.replace("`", "").lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


_pages: dict[Path, Page] = {}


def page(path: Path) -> Page:
    if path not in _pages:
        _pages[path] = Page(path)
    return _pages[path]


def inside_repository(path: Path) -> bool:
    try:
        path.resolve().relative_to(ROOT)
        return True
    except ValueError:
        return False


def check_link(source: Page, target: str) -> str | None:
    """What is wrong with `target` as a link from `source`, or None."""
    parsed = urlparse(target)
    if parsed.scheme in ("http", "https"):
        host = parsed.hostname or ""
        if not ALLOWED_HOSTS.match(host):
            return f"web link outside the project: {target}"
        return None
    if parsed.scheme == "mailto":
        return None
    if parsed.scheme or target.startswith("/"):
        return f"absolute link (use a path relative to the page): {target}"
    path_text, _, anchor = target.partition("#")
    if path_text:
        resolved = (source.path.parent / unquote(path_text)).resolve()
        if not inside_repository(resolved):
            return f"link leaves the repository: {target}"
        if not resolved.exists():
            return f"no such file: {target}"
    else:
        resolved = source.path
    if anchor:
        if resolved.suffix != ".md" or resolved.is_dir():
            return f"anchor on a file that is not Markdown: {target}"
        if unquote(anchor) not in page(resolved).anchors:
            return f"no heading #{anchor} in {resolved.relative_to(ROOT)}"
    return None


def links(current: Page) -> list[tuple[int, str]]:
    found = []
    for number, line in current.prose:
        text = INLINE_CODE.sub("", line)
        found += [(number, m.group(1)) for m in LINK.finditer(text)]
        found += [(number, m.group(1)) for m in AUTOLINK.finditer(text)]
    return found


def check_links() -> tuple[int, list[str]]:
    checked, problems = 0, []
    for path in PAGES:
        current = page(path)
        for number, target in links(current):
            checked += 1
            problem = check_link(current, target)
            if problem:
                problems.append(f"{path.relative_to(ROOT)}:{number}: {problem}")
    return checked, problems


def shell_blocks() -> list[tuple[Path, int, list[str], str]]:
    found = []
    for path in PAGES:
        for start, info, text in page(path).blocks:
            words = info.split()
            if words and words[0] in ("sh", "bash", "shell", "console"):
                found.append((path, start, words, text))
    return found


def run_blocks() -> tuple[int, int, list[str]]:
    ran, skipped, problems = 0, 0, []
    for path, start, words, text in shell_blocks():
        where = f"{path.relative_to(ROOT)}:{start}"
        if "no-run" in words:
            skipped += 1
            first = text.lstrip().splitlines()[0] if text.strip() else ""
            if not first.startswith("#"):
                problems.append(f"{where}: a no-run block must start with a `# why` comment")
            continue
        if HEAVY.search(text):
            problems.append(f"{where}: builds, serves or tests the project; mark it `no-run`")
            continue
        ran += 1
        began = time.monotonic()
        # Its own process group, so a block that starts children cannot outlive the check.
        process = subprocess.Popen(
            ["bash", "-euo", "pipefail", "-c", text],
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        try:
            output, _ = process.communicate(timeout=BLOCK_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            problems.append(f"{where}: still running after {BLOCK_TIMEOUT_SECONDS} s; killed")
            continue
        took = time.monotonic() - began
        if process.returncode != 0:
            tail = output.strip().splitlines()[-15:]
            problems.append(f"{where}: exited {process.returncode}:\n    " + "\n    ".join(tail))
        else:
            print(f"  ran {where} ({took:.1f} s)")
    return ran, skipped, problems


def check_generated_tables() -> list[str]:
    result = subprocess.run(
        [sys.executable, str(ROOT / "docs" / "gen_tables.py"), "--check"],
        check=False,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        return [(result.stdout + result.stderr).strip() or "docs/gen_tables.py --check failed"]
    return []


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def migrated_tables() -> dict[str, list[str]]:
    """Each table the migrations create, with its columns, read from migration/src/m*.rs."""
    tables: dict[str, list[str]] = {}
    for path in sorted((ROOT / "migration" / "src").glob("m2*.rs")):
        source = path.read_text(encoding="utf-8")
        # `use SubscriptionMemberUsage as U;` inside a function: the table is still its own name.
        aliases = dict((a, n) for n, a in re.findall(r"\buse\s+(\w+)\s+as\s+(\w+)\s*;", source))
        for create in re.finditer(r"Table::create\(\)\s*\.table\((\w+)::Table\)", source):
            iden = create.group(1)
            end = source.find(".take()", create.end())
            body = source[create.end() : end]
            columns = []
            for column in re.finditer(r"\.col\(\s*\w+\(\s*" + iden + r"::(\w+)", body):
                columns.append(snake(column.group(1)))
            tables[snake(aliases.get(iden, iden))] = columns
    return tables


def check_schema_page() -> list[str]:
    text = (ROOT / "docs" / "schema.md").read_text(encoding="utf-8")
    problems = []
    sections = re.split(r"^### ", text, flags=re.MULTILINE)
    for table, columns in migrated_tables().items():
        section = next(
            (s for s in sections if s.startswith(f"`{table}`") or f"**`{table}`**" in s), None
        )
        if section is None:
            problems.append(f"docs/schema.md: no section for the table `{table}`")
            continue
        if f"**`{table}`**" in section:  # a reserved table, described in one bullet
            start = section.index(f"**`{table}`**")
            section = section[start : section.find("\n- **", start + 1)]
        for column in columns:
            if f"`{column}`" not in section:
                problems.append(
                    f"docs/schema.md: `{table}` does not describe its column `{column}`"
                )
    return problems


def main(argv: list[str]) -> int:
    # The generated tables first: a block below must not be able to hide a stale table.
    problems: list[str] = check_generated_tables()
    checked, found = check_links()
    problems += found
    print(f"links: {checked} checked in {len(PAGES)} pages")
    ran = skipped = 0
    if "--no-run" not in argv:
        ran, skipped, found = run_blocks()
        problems += found
        print(f"shell blocks: {ran} ran, {skipped} marked no-run")
    problems += check_schema_page()
    for problem in problems:
        print(f"FAIL {problem}", file=sys.stderr)
    passed = checked + ran + 2 - len(problems)
    print(f"docs check: {max(passed, 0)} passed, {len(problems)} failed")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
