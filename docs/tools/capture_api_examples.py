#!/usr/bin/env python3
"""Calls every REST route of a running Abetworks server once and prints each request and
answer, so the examples in docs/api.md are real answers, not guesses.

Needs a server with the agent service behind it and a super admin, on a database it may
write to (a throwaway one: it registers a member, grants licenses and runs agents):

    python3 docs/tools/capture_api_examples.py http://127.0.0.1:3555 admin@example.com PASSWORD

Standard library only. Output: one Markdown-ish block per call on stdout.
"""

from __future__ import annotations

import http.cookiejar
import json
import sys
import time
import urllib.error
import urllib.request


class Client:
    """A cookie jar and, optionally, an API key; writes carry the site's Origin."""

    def __init__(self, base: str, key: str | None = None):
        self.base = base
        self.key = key
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def call(self, method: str, path: str, body: object | None = None, show: bool = True):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if method not in ("GET", "HEAD"):
            request.add_header("Origin", self.base)
        if self.key:
            request.add_header("Authorization", f"Bearer {self.key}")
        try:
            with self.opener.open(request) as response:
                status, headers, raw = response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            status, headers, raw = error.code, error.headers, error.read()
        text = raw.decode(errors="replace")
        try:
            parsed = json.loads(text) if text else None
        except json.JSONDecodeError:
            parsed = text
        if show:
            print(f"### {method} {path}")
            if body is not None:
                print("request:", json.dumps(body, indent=2))
            extra = {h: headers[h] for h in ("Retry-After", "Content-Type") if headers.get(h)}
            print(f"status: {status} {extra}")
            if isinstance(parsed, str):
                print(parsed[:600])
            else:
                print(json.dumps(parsed, indent=2, ensure_ascii=False)[:4000])
            print()
        return status, parsed


def main() -> int:
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    base, admin_email, admin_password = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3]
    admin = Client(base)
    admin.call("POST", "/api/auth/login", {"email": admin_email, "password": admin_password})
    admin.call("GET", "/api/auth/me")

    member = Client(base)
    email = f"member-{int(time.time())}@example.com"
    member.call(
        "POST",
        "/api/auth/register",
        {"email": email, "password": "a-long-member-password", "name": "Ada Member"},
    )
    _, listed = member.call("GET", "/api/marketplace/agents?q=sentiment")
    sentiment = listed["items"][0]
    _, everything = member.call("GET", "/api/marketplace/agents", show=False)
    churn = next(a for a in everything["items"] if a["slug"] == "churn")
    member.call(
        "POST",
        "/api/marketplace/request-access",
        {"agentId": sentiment["id"], "requestReason": "Scoring support tickets."},
    )
    member.call(
        "POST",
        "/api/marketplace/request-access",
        {"agentId": sentiment["id"], "requestReason": "Again."},
    )
    member.call(
        "POST",
        "/api/marketplace/request-access",
        {"agentId": churn["id"], "requestReason": "Churn review."},
        show=False,
    )
    member.call("GET", "/api/marketplace/my-requests")

    _, pending = admin.call("GET", "/api/admin/access-requests?status=pending&pageSize=5")
    mine = [r for r in pending["items"] if r["userEmail"] == email]
    by_agent = {r["agentId"]: r for r in mine}
    admin.call(
        "POST",
        f"/api/admin/access-requests/{by_agent[sentiment['id']]['id']}/approve",
        {"apiCallLimit": 2, "expiresAt": "2027-12-31T23:59:59Z"},
    )
    admin.call(
        "POST",
        f"/api/admin/access-requests/{by_agent[churn['id']]['id']}/reject",
        {"reviewNote": "Not in this quarter's plan."},
    )

    member.call("GET", "/api/marketplace/my-agents")
    _, created = member.call("POST", "/api/keys", {"name": "Reporting job"})
    member.call("GET", "/api/keys")
    keyed = Client(base, key=created["secret"])
    keyed.call(
        "POST",
        f"/api/agents/{sentiment['slug']}/execute",
        {"input": {"texts": ["I love this product", "The update broke everything."]}},
    )
    keyed.call("POST", f"/api/agents/{sentiment['slug']}/execute", {"input": {"wrong": 1}})
    keyed.call("POST", f"/api/agents/{sentiment['slug']}/execute", {"input": {"text": "Fine."}})
    keyed.call("POST", f"/api/agents/{sentiment['slug']}/execute", {"input": {"text": "Fine."}})
    keyed.call("POST", f"/api/agents/{churn['slug']}/execute", {"input": {}})
    keyed.call("GET", f"/api/agents/{sentiment['slug']}/executions?pageSize=2")
    keyed.call("GET", "/api/usage/my-usage")
    Client(base, key="abk_not-a-real-key").call("GET", "/api/auth/me")
    Client(base).call("GET", "/api/auth/me")
    member.call("GET", "/api/admin/licenses")
    member.call("GET", "/api/marketplace/my-requests?pageSize=500")

    _, licenses = admin.call("GET", f"/api/admin/licenses?q={email}&pageSize=5")
    license_id = licenses["items"][0]["id"]
    admin.call(
        "PATCH", f"/api/admin/licenses/{license_id}", {"apiCallLimit": 10, "expiresAt": None}
    )
    admin.call("PATCH", f"/api/admin/licenses/{license_id}", {"status": "suspended"})
    keyed.call("POST", f"/api/agents/{sentiment['slug']}/execute", {"input": {"text": "Fine."}})
    user_id = licenses["items"][0]["userId"]
    admin.call("GET", f"/api/admin/licenses/user/{user_id}")
    admin.call("GET", f"/api/admin/licenses/agent/{sentiment['id']}?pageSize=1")
    admin.call("DELETE", f"/api/admin/licenses/{license_id}")
    admin.call("DELETE", f"/api/admin/licenses/{license_id}")
    admin.call(
        "POST",
        "/api/admin/licenses",
        {"userId": user_id, "agentId": churn["id"], "apiCallLimit": -1},
    )
    admin.call("GET", "/api/admin/usage/overview?from=2026-01-01&to=2027-12-31")
    admin.call("GET", "/api/admin/usage/export.csv?from=2026-01-01")
    _, errors = admin.call("GET", "/api/admin/errors?pageSize=1")
    if errors["items"]:
        admin.call(
            "PATCH",
            f"/api/admin/errors/{errors['items'][0]['id']}/resolve",
            {"resolutionNote": "Input fixed by the caller."},
        )
    admin.call("GET", "/api/admin/errors/stats?from=2026-01-01")
    admin.call("GET", "/api/admin/executions/all?status=failed&pageSize=1")
    admin.call("GET", f"/api/admin/users?q={email}")
    admin.call("PATCH", f"/api/admin/users/{user_id}", {"disabled": True})
    admin.call("PATCH", f"/api/admin/users/{user_id}", {"disabled": False}, show=False)
    admin.call("GET", "/api/admin/agents?q=sentiment")
    admin.call(
        "POST",
        "/api/admin/agents",
        {"slug": f"word-count-{int(time.time())}", "name": "Word Count", "priceCents": 250},
    )
    admin.call("PATCH", f"/api/admin/agents/{sentiment['id']}", {"priceCents": 600})
    admin.call("POST", "/api/admin/agents/sync")
    admin.call("GET", "/api/admin/errors?type=nonsense")
    member.call("DELETE", f"/api/keys/{created['key']['id']}")
    member.call("POST", "/api/auth/logout")
    return 0


if __name__ == "__main__":
    sys.exit(main())
