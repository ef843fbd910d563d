#!/usr/bin/env python3
"""Writes the generated tables of the docs from the Rust source: in docs/api.md the route
index (from server/src/routes/*.rs), the error codes and the conflict reasons (from
types/src/error.rs); in docs/operations.md the Prometheus metrics (from server/src/metrics.rs
and src/metric_names.rs) and the alert rules (from deploy/prometheus/alerts.yml).

The tables sit between `<!-- BEGIN generated: NAME (docs/gen_tables.py) -->` and
`<!-- END generated: NAME -->` markers. Run it after changing a route, `ErrorCode`,
`ConflictReason` or a metric:

    python3 docs/gen_tables.py          # rewrites the tables
    python3 docs/gen_tables.py --check  # exit 1 if a table is out of date

It reads the source with a few regular expressions (the route builders, the enum variants,
`ErrorCode::status`, `ErrorCode::default_message`, `ConflictReason::message`, the metric
description arrays): standard library only, no build, so `make test-docs` runs it in a second.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "types" / "src" / "error.rs"
ROUTES = ROOT / "server" / "src" / "routes"
API_PAGE = ROOT / "docs" / "api.md"
OPERATIONS_PAGE = ROOT / "docs" / "operations.md"
METRICS = ROOT / "server" / "src" / "metrics.rs"
METRIC_NAMES = ROOT / "src" / "metric_names.rs"
ALERTS = ROOT / "deploy" / "prometheus" / "alerts.yml"

# Where each conflict comes from. Kept here so a new ConflictReason without an entry fails
# the check (and gets one), instead of silently missing from the reference.
CONFLICT_ORIGINS = {
    "AlreadyLicensed": "`POST /api/marketplace/request-access` while a license for the agent is "
    "in force (active or suspended, not expired); granting a license, or approving a request, "
    "when the user already holds one in force",
    "AlreadyPending": "`POST /api/marketplace/request-access` while a request for the agent is "
    "pending",
    "NotPending": "approving or rejecting a request that is no longer pending",
    "AlreadyResolved": "`PATCH /api/admin/errors/{id}/resolve` on a resolved error",
    "AlreadyFinished": "`POST /api/runs/{runId}/cancel` on a run that has finished; finishing "
    "an execution twice (internal)",
    "AlreadyRevoked": "`DELETE /api/admin/licenses/{id}` on a revoked license",
    "LicenseRevoked": "`PATCH /api/admin/licenses/{id}` on a revoked license",
    "EmailTaken": "`POST /api/auth/register` with an email that has an account",
    "SlugTaken": "`POST /api/admin/agents` with a slug in use",
    "OwnAccount": "`PATCH /api/admin/users/{id}` disabling or demoting yourself",
    "LastOrganizationAdmin": "leaving, removing or demoting the last admin of a team "
    "organisation (`/api/orgs/current/...`), or moving them into another organisation",
    "AlreadyMember": "accepting an invitation to (or being invited into) the organisation you "
    "are already in",
    "AlreadySubscribed": "`POST /api/admin/subscriptions` for an organisation and agent that "
    "already have a subscription; asking for, or approving, a pool the organisation already has "
    "(`forOrganization`)",
    "PersonalOrganization": "inviting into, or managing the members of, a personal organisation; "
    "asking for a pool (`forOrganization`) as the admin of a personal organisation",
}


def screaming_snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).upper()


def snake(name: str) -> str:
    return screaming_snake(name).lower()


def block_after(source: str, opening: str) -> str:
    """The text between `opening`'s first `{` and its matching `}`."""
    start = source.index(opening)
    start = source.index("{", start)
    depth = 0
    for at in range(start, len(source)):
        if source[at] == "{":
            depth += 1
        elif source[at] == "}":
            depth -= 1
            if depth == 0:
                return source[start + 1 : at]
    raise ValueError(f"unbalanced braces after {opening!r}")


def variants(source: str, enum: str) -> list[tuple[str, str]]:
    """The enum's variants in order, each with its doc comment ('' when none)."""
    # `pub enum Name {` or, inside a `vocabulary!` declaration, `Name {` on a line of its own.
    opening = re.search(rf"(pub enum {enum}\b|^\s*{enum} \{{)", source, re.MULTILINE)
    if opening is None:
        raise SystemExit(f"enum {enum} not found")
    body = block_after(source, opening.group(0))
    found, doc = [], []
    for line in body.splitlines():
        line = line.strip()
        if line.startswith("///"):
            doc.append(line[3:].strip())
        elif re.fullmatch(r"[A-Z]\w*,?", line):
            found.append((line.rstrip(","), " ".join(doc)))
            doc = []
    return found


def string_arms(body: str) -> dict[str, str]:
    """`Name => "text"` (or `Name => { "text" }`) arms of a match."""
    arms = re.findall(r'(\w+)\s*=>\s*\{?\s*"((?:[^"\\]|\\.)*)"', body)
    return {name: text.replace('\\"', '"') for name, text in arms}


def status_arms(body: str) -> dict[str, int]:
    """`A | B => 401` arms of a match."""
    table = {}
    for names, status in re.findall(r"((?:\w+\s*\|\s*)*\w+)\s*=>\s*(\d{3})", body):
        for name in re.split(r"\s*\|\s*", names.strip()):
            table[name] = int(status)
    return table


ACCESS = {
    "Anyone": "anyone",
    "SignedIn": "signed in",
    "Admin": "admin, super admin",
    "SuperAdmin": "super admin",
}
ROUTE = re.compile(
    r'Route::(get|post|patch|delete)\(\s*(\w+|"[^"]*")\s*,\s*Access::(\w+)\s*,\s*"((?:[^"\\]|\\.)*)"'
)


def constant(name: str) -> str:
    """The text of a `const NAME: &str = "...";` somewhere in the Rust source."""
    pattern = re.compile(rf'const {name}: &str = "([^"]*)";')
    for path in sorted((ROOT / "src").rglob("*.rs")) + sorted((ROOT / "server").rglob("*.rs")):
        found = pattern.search(path.read_text(encoding="utf-8"))
        if found:
            return found.group(1)
    raise SystemExit(f"docs/gen_tables.py: no const {name} in the Rust source")


def anchor(heading: str) -> str:
    """GitHub's id for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def module_order() -> list[str]:
    """The route modules in the order `routes::api()` adds them."""
    body = block_after((ROUTES / "mod.rs").read_text(encoding="utf-8"), "pub fn api()")
    return re.findall(r"(\w+)::routes\(api\)", body)


def routes() -> list[dict]:
    """Every served route, as its module declares it with `Route::…` builders."""
    found = []
    for module in module_order():
        source = (ROUTES / f"{module}.rs").read_text(encoding="utf-8")
        body = block_after(source, "pub fn routes(")
        starts = list(ROUTE.finditer(body))
        for index, match in enumerate(starts):
            end = starts[index + 1].start() if index + 1 < len(starts) else len(body)
            chain = body[match.end() : end]
            method, path, access, summary = match.groups()
            path = path.strip('"') if path.startswith('"') else constant(path)
            if ".answers_nothing()" in chain:
                success = "204"
            elif ".answers_csv()" in chain:
                success = "200 (CSV)"
            elif ".answers_event_stream()" in chain:
                success = "200 (server-sent events)"
            else:
                status = re.search(r"\.answers(?:_page)?::<.*?>\((\d{3})\)", chain, re.DOTALL)
                success = status.group(1) if status else "200"
            fails = re.search(r"\.fails\(&\[([\d,\s]*)\]\)", chain)
            own = [int(s) for s in re.findall(r"\d{3}", fails.group(1))] if fails else []
            # As Route::error_statuses in server/src/routes/mod.rs computes them.
            errors = {400, 413, 422, 500, *own}
            if access != "Anyone":
                errors.add(401)
            if access != "Anyone" or method != "get":
                errors.add(403)
            if "{" in path:
                errors.add(404)
            found.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "access": ACCESS[access],
                    "summary": summary,
                    "success": success,
                    "errors": ", ".join(str(s) for s in sorted(errors)),
                }
            )
    return found


def route_table() -> str:
    lines = ["| Route | Who | Success | Errors | What it does |", "|---|---|---|---|---|"]
    for route in routes():
        title = f"{route['method']} {route['path']}"
        lines.append(
            f"| [`{title}`](#{anchor(title)}) | {route['access']} | {route['success']} "
            f"| {route['errors']} | {cell(route['summary'])} |"
        )
    return "\n".join(lines)


def cell(text: str) -> str:
    return text.replace("|", "\\|")


def error_code_table(source: str) -> str:
    codes = variants(source, "ErrorCode")
    statuses = status_arms(block_after(source, "pub const fn status"))
    messages = string_arms(block_after(source, "pub const fn default_message"))
    lines = ["| Code | HTTP status | Default message |", "|---|---|---|"]
    for name, doc in codes:
        if name not in statuses or name not in messages:
            raise SystemExit(f"ErrorCode::{name} has no status or default message in {SOURCE}")
        message = messages[name] + (f" *({doc})*" if doc else "")
        lines.append(f"| `{screaming_snake(name)}` | {statuses[name]} | {cell(message)} |")
    return "\n".join(lines)


def conflict_table(source: str) -> str:
    reasons = variants(source, "ConflictReason")
    messages = string_arms(block_after(source, "pub const fn message"))
    names = {name for name, _ in reasons}
    missing = sorted(names - CONFLICT_ORIGINS.keys())
    stale = sorted(CONFLICT_ORIGINS.keys() - names)
    if missing or stale:
        raise SystemExit(
            f"docs/gen_tables.py: CONFLICT_ORIGINS lacks {missing} / names unknown reasons "
            f"{stale}; update it beside ConflictReason"
        )
    lines = ["| `reason` | Message | Given by |", "|---|---|---|"]
    for name, _ in reasons:
        lines.append(
            f"| `{snake(name)}` | {cell(messages[name])} | {cell(CONFLICT_ORIGINS[name])} |"
        )
    return "\n".join(lines)


def metric_constants() -> dict[str, str]:
    """`NAME` and `metric_names::NAME` to the metric's text, from the two source files."""
    names = {}
    for path, prefix in ((METRICS, ""), (METRIC_NAMES, "metric_names::")):
        for name, text in re.findall(r'pub const (\w+): &str = "([^"]*)";', path.read_text()):
            names[prefix + name] = text
    return names


def metrics_table() -> str:
    """The counters, histograms and gauges `server/src/metrics.rs` describes, with their HELP."""
    source = METRICS.read_text(encoding="utf-8")
    names = metric_constants()
    lines = ["| Metric | Type | What it counts |", "|---|---|---|"]
    kinds = (("COUNTERS", "counter"), ("HISTOGRAMS", "histogram (seconds)"), ("GAUGES", "gauge"))
    for array, kind in kinds:
        found = re.search(rf"const {array}: \[.*?\] = \[(.*?)\n\];", source, re.DOTALL)
        if not found:
            raise SystemExit(f"docs/gen_tables.py: no `const {array}` array in {METRICS}")
        entries = re.findall(
            r'\(\s*((?:metric_names::)?\w+)\s*,\s*"((?:[^"\\]|\\.)*)"\s*,?\s*\)',
            found.group(1),
        )
        for ident, help_text in entries:
            if ident not in names:
                raise SystemExit(f"docs/gen_tables.py: the metric constant {ident} is not defined")
            help_text = help_text.replace('\\"', '"')
            lines.append(f"| `{names[ident]}` | {kind} | {cell(help_text)} |")
    return "\n".join(lines)


def alerts_table() -> str:
    """The alert rules of deploy/prometheus/alerts.yml: a regular file of `- alert:` items, read
    without a YAML library (the check uses the standard library only)."""
    lines = ["| Alert | Fires after | Severity | Says |", "|---|---|---|---|"]
    rules = re.split(r"^\s*- alert:\s*", ALERTS.read_text(encoding="utf-8"), flags=re.MULTILINE)
    for rule in rules[1:]:
        name = rule.split()[0]
        wait = re.search(r"^\s*for:\s*(\S+)", rule, re.MULTILINE)
        severity = re.search(r"^\s*severity:\s*(\S+)", rule, re.MULTILINE)
        summary = re.search(r'^\s*summary:\s*"(.*)"\s*$', rule, re.MULTILINE)
        if not (severity and summary):
            raise SystemExit(
                f"docs/gen_tables.py: alert {name} in {ALERTS} lacks a severity or summary"
            )
        said = re.sub(r"\{\{\s*\$labels\.(\w+)\s*\}\}", r"*\1*", summary.group(1))
        lines.append(
            f"| `{name}` | {wait.group(1) if wait else 'at once'} | {severity.group(1)} | {cell(said)} |"
        )
    return "\n".join(lines)


def replace_block(text: str, name: str, content: str) -> str:
    begin = f"<!-- BEGIN generated: {name} (docs/gen_tables.py) -->"
    end = f"<!-- END generated: {name} -->"
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.DOTALL)
    if not pattern.search(text):
        raise SystemExit(f"no {begin} … {end} block")
    return pattern.sub(lambda _: f"{begin}\n{content}\n{end}", text)


def render_api(current: str) -> str:
    source = SOURCE.read_text(encoding="utf-8")
    text = replace_block(current, "route-index", route_table())
    text = replace_block(text, "error-codes", error_code_table(source))
    return replace_block(text, "conflict-reasons", conflict_table(source))


def render_operations(current: str) -> str:
    text = replace_block(current, "metrics", metrics_table())
    return replace_block(text, "alerts", alerts_table())


def main(argv: list[str]) -> int:
    stale = []
    for page, render in ((API_PAGE, render_api), (OPERATIONS_PAGE, render_operations)):
        current = page.read_text(encoding="utf-8")
        wanted = render(current)
        if wanted == current:
            continue
        name = page.relative_to(ROOT)
        if "--check" in argv:
            stale.append(name)
        else:
            page.write_text(wanted, encoding="utf-8")
            print(f"{name}: generated tables rewritten")
    for name in stale:
        print(
            f"{name}: the generated tables differ from the Rust source; "
            "run python3 docs/gen_tables.py",
            file=sys.stderr,
        )
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
