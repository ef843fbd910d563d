"""The real agents, called through the service with realistic input."""

from __future__ import annotations

import email
import math
import socket
from collections.abc import Iterator
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.conftest import AgentClient

# ---------------------------------------------------------------- lead scoring

HOT_LEAD = {
    "lead_id": "L-1001",
    "company_size": 450,
    "industry": "B2B SaaS",
    "annual_revenue": 75_000_000,
    "job_title": "VP of Sales",
    "country": "United States",
    "email_opens": 14,
    "site_visits": 22,
    "demo_requested": True,
    "days_since_last_activity": 1,
}
COLD_LEAD = {
    "lead_id": "L-1002",
    "company_size": 4,
    "industry": "Government",
    "job_title": "Marketing Intern",
    "country": "BR",
    "email_opens": 0,
    "site_visits": 1,
    "demo_requested": False,
    "days_since_last_activity": 200,
}


def test_hot_lead_gets_grade_a(real_agents: AgentClient) -> None:
    out = real_agents.output("lead-scoring", HOT_LEAD)
    assert out["lead_id"] == "L-1001"
    assert out["grade"] == "A"
    assert out["score"] >= 90
    assert out["seniority"] == "vp"
    assert sum(f["weight"] for f in out["factors"]) == 100
    assert math.isclose(out["fit_score"] + out["engagement_score"], out["score"], abs_tol=0.6)
    assert out["top_reasons"][0] == "+20 pts: requested a demo"
    assert len(out["top_reasons"]) == 3


def test_cold_lead_gets_grade_d_with_its_gaps(real_agents: AgentClient) -> None:
    out = real_agents.output("lead-scoring", COLD_LEAD)
    assert out["grade"] == "D"
    assert out["score"] < 25
    assert out["seniority"] == "entry"
    assert out["gaps"][0] == "-20 pts: no demo requested"
    factors = {f["factor"]: f for f in out["factors"]}
    assert factors["recency"]["points"] == 0
    assert factors["country"]["fraction"] == 0.4


def test_engagement_moves_the_grade(real_agents: AgentClient) -> None:
    # A great fit that engages little: fit 48.5 + engagement (2 + 2 + 20 + 4).
    lukewarm = {**HOT_LEAD, "email_opens": 2, "site_visits": 3, "days_since_last_activity": 25}
    out = real_agents.output("lead-scoring", lukewarm)
    assert (out["score"], out["grade"]) == (77, "B")
    # The same lead without the demo request drops a grade.
    out = real_agents.output("lead-scoring", {**lukewarm, "demo_requested": False})
    assert (out["score"], out["grade"]) == (57, "C")


def test_lead_scoring_validates(real_agents: AgentClient) -> None:
    response = real_agents.execute("lead-scoring", {**HOT_LEAD, "company_size": -3})
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == "company_size"


# ---------------------------------------------------------------- batch lead scoring


def test_batch_scores_given_leads_exactly_like_lead_scoring(real_agents: AgentClient) -> None:
    out = real_agents.output(
        "batch-lead-scoring", {"leads": [COLD_LEAD, HOT_LEAD], "include_all": True}
    )
    hot = real_agents.output("lead-scoring", HOT_LEAD)
    cold = real_agents.output("lead-scoring", COLD_LEAD)
    assert out["scored"] == 2 and out["sample"] is False
    assert [(lead["lead_id"], lead["score"], lead["grade"]) for lead in out["leads"]] == [
        ("L-1002", cold["score"], cold["grade"]),
        ("L-1001", hot["score"], hot["grade"]),
    ]
    assert out["top_leads"][0]["lead_id"] == "L-1001"
    assert out["top_leads"][0]["main_reason"] == hot["top_reasons"][0]
    assert out["grades"] == {"A": 1, "B": 0, "C": 0, "D": 1}
    assert out["average_score"] == (hot["score"] + cold["score"]) / 2


def test_batch_sample_list_is_reproducible_and_summed_up(real_agents: AgentClient) -> None:
    first = real_agents.output("batch-lead-scoring", {"count": 300, "seed": 11, "top": 5})
    again = real_agents.output("batch-lead-scoring", {"count": 300, "seed": 11, "top": 5})
    other = real_agents.output("batch-lead-scoring", {"count": 300, "seed": 12, "top": 5})
    assert first == again and first != other
    assert first["scored"] == 300 and first["sample"] is True
    assert sum(first["grades"].values()) == 300
    assert first["leads"] == []  # only on request
    scores = [lead["score"] for lead in first["top_leads"]]
    assert len(scores) == 5 and scores == sorted(scores, reverse=True)
    assert 20 < first["average_score"] < 80


@pytest.mark.parametrize(
    ("agent_input", "field"),
    [
        ({"count": 5001}, "count"),
        ({"delay_ms": 21}, "delay_ms"),
        ({"leads": []}, "leads"),
        ({"leads": [{**HOT_LEAD, "company_size": -1}]}, "leads.0.company_size"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_batch_lead_scoring_validates(
    real_agents: AgentClient, agent_input: dict[str, Any], field: str
) -> None:
    response = real_agents.execute("batch-lead-scoring", agent_input)
    assert response.status_code == 422
    assert [f["field"] for f in response.json()["error"]["fields"]] == [field]


# ---------------------------------------------------------------- email

TEMPLATES = {
    "subject_template": "{{ first_name }}, your {{ plan | default('Starter') }} renewal",
    "body_template": (
        "Hi {{ first_name }},\n\n"
        "{% if company %}Thanks for choosing us at {{ company }}. {% endif %}"
        "Your plan renews on {{ renewal_date }}.\n\n— {{ sender }}\n"
    ),
    "common_fields": {"sender": "The Abetworks team"},
}
RECIPIENTS = [
    {
        "email": "ana@example.com",
        "name": "Ana Lima",
        "fields": {
            "first_name": "Ana",
            "company": "Acme",
            "plan": "Pro",
            "renewal_date": "1 May",
        },
    },
    {"email": "ben@example.com", "fields": {"first_name": "Ben"}},
]


def test_email_drafts_and_missing_fields(real_agents: AgentClient) -> None:
    out = real_agents.output("email", {**TEMPLATES, "recipients": RECIPIENTS})
    assert out["mode"] == "draft"
    assert out["template_fields"] == ["company", "first_name", "plan", "renewal_date", "sender"]
    ana, ben = out["emails"]
    assert ana["status"] == "draft"
    assert ana["subject"] == "Ana, your Pro renewal"
    assert ana["body"] == (
        "Hi Ana,\n\nThanks for choosing us at Acme. Your plan renews on 1 May.\n\n"
        "— The Abetworks team\n"
    )
    assert ana["missing_fields"] == []
    assert ben["status"] == "skipped"
    assert ben["missing_fields"] == ["renewal_date"]  # company is optional, plan has a default
    assert (out["drafted"], out["skipped"], out["sent"]) == (1, 1, 0)


def test_email_template_cannot_escape_the_sandbox(real_agents: AgentClient) -> None:
    out = real_agents.output(
        "email",
        {
            "subject_template": "Hi",
            "body_template": "{{ first_name.__class__.__mro__[1].__subclasses__() }}",
            "recipients": [{"email": "x@example.com", "fields": {"first_name": "X"}}],
        },
    )
    result = out["emails"][0]
    assert result["status"] == "skipped"
    assert "subclasses" not in result["body"]


def test_email_rejects_bad_input(real_agents: AgentClient) -> None:
    response = real_agents.execute(
        "email",
        {
            "subject_template": "Hi {{ name",
            "body_template": "Body",
            "recipients": [{"email": "not-an-email"}],
        },
    )
    assert response.status_code == 422
    fields = {f["field"] for f in response.json()["error"]["fields"]}
    assert fields == {"subject_template", "recipients.0.email"}


class _Sink:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], Message]] = []
        self.logins: list[tuple[bytes, bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(
            (
                envelope.mail_from,
                list(envelope.rcpt_tos),
                email.message_from_bytes(envelope.content),
            )
        )
        return "250 Message accepted for delivery"

    def authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        self.logins.append((auth_data.login, auth_data.password))
        ok = auth_data.login == b"mailer" and auth_data.password == b"s3cret-pass"
        return AuthResult(success=ok, handled=False)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_sink() -> Iterator[tuple[_Sink, int]]:
    sink = _Sink()
    port = _free_port()
    controller = Controller(
        sink,
        hostname="127.0.0.1",
        port=port,
        authenticator=sink.authenticate,
        auth_require_tls=False,
    )
    controller.start()
    try:
        yield sink, port
    finally:
        controller.stop()


def test_email_is_really_sent_over_smtp(
    real_agents: AgentClient, smtp_sink: tuple[_Sink, int]
) -> None:
    sink, port = smtp_sink
    smtp = {
        "host": "127.0.0.1",
        "port": port,
        "sender": "news@abetworks.test",
        "sender_name": "Abetworks",
        "username": "mailer",
        "password": "s3cret-pass",
    }
    out = real_agents.output("email", {**TEMPLATES, "recipients": RECIPIENTS, "smtp": smtp})
    assert out["mode"] == "send"
    assert (out["sent"], out["skipped"], out["failed"]) == (1, 1, 0)
    assert out["emails"][0]["status"] == "sent"
    assert out["emails"][1]["status"] == "skipped"
    assert "s3cret-pass" not in str(out)

    assert sink.logins == [(b"mailer", b"s3cret-pass")]
    assert len(sink.messages) == 1, "the recipient with a missing field must not be mailed"
    mail_from, rcpt_tos, message = sink.messages[0]
    assert mail_from == "news@abetworks.test"
    assert rcpt_tos == ["ana@example.com"]
    assert message["Subject"] == "Ana, your Pro renewal"
    assert message["To"] == "Ana Lima <ana@example.com>"
    assert message["From"] == "Abetworks <news@abetworks.test>"
    assert "Thanks for choosing us at Acme." in message.get_payload(decode=True).decode()


def test_email_reports_smtp_failures(
    real_agents: AgentClient, smtp_sink: tuple[_Sink, int]
) -> None:
    sink, port = smtp_sink
    recipients = RECIPIENTS[:1]
    # Wrong password: the login is refused and nothing is delivered.
    smtp = {
        "host": "127.0.0.1",
        "port": port,
        "sender": "news@abetworks.test",
        "username": "mailer",
        "password": "wrong",
    }
    out = real_agents.output("email", {**TEMPLATES, "recipients": recipients, "smtp": smtp})
    assert out["failed"] == 1 and out["sent"] == 0
    assert "SMTPAuthenticationError" in out["smtp_error"]
    # STARTTLS requested from a server that does not offer it.
    smtp = {"host": "127.0.0.1", "port": port, "sender": "a@abetworks.test", "starttls": True}
    out = real_agents.output("email", {**TEMPLATES, "recipients": recipients, "smtp": smtp})
    assert out["failed"] == 1
    assert "STARTTLS" in out["smtp_error"]
    # Nobody listening.
    smtp = {"host": "127.0.0.1", "port": _free_port(), "sender": "a@abetworks.test"}
    out = real_agents.output("email", {**TEMPLATES, "recipients": recipients, "smtp": smtp})
    assert out["failed"] == 1
    assert "ConnectionRefusedError" in out["smtp_error"]
    assert sink.messages == []


# ---------------------------------------------------------------- forecast


def _monthly_sales(months: int) -> list[float]:
    """Rising sales with a yearly pattern and a little deterministic noise."""
    season = [-8, -6, -2, 1, 4, 6, 9, 8, 3, 0, 5, 12]
    return [
        round(200 + 4.0 * t + season[t % 12] + ((t * 37) % 7 - 3) * 0.8, 2) for t in range(months)
    ]


def test_forecast_of_a_rising_seasonal_series_rises(real_agents: AgentClient) -> None:
    history = _monthly_sales(36)
    out = real_agents.output(
        "forecast",
        {"series": history, "horizon": 12, "seasonal_period": 12, "start_date": "2022-01-01"},
    )
    assert out["seasonal"] is True
    assert out["seasonal_period"] == 12
    assert "additive seasonality" in out["method"]
    values = [p["value"] for p in out["forecast"]]
    assert len(values) == 12
    # Next year is higher than this year, month for month and on average.
    assert sum(values) / 12 > sum(history[-12:]) / 12 + 30
    assert all(v > h for v, h in zip(values, history[-12:], strict=True))
    assert out["trend_per_period"] > 2
    assert [p["date"] for p in out["forecast"][:2]] == ["2025-01-01", "2025-02-01"]
    for p in out["forecast"]:
        assert p["lower"] <= p["value"] <= p["upper"]
        assert p["upper"] - p["lower"] > 0
    # Intervals widen with the horizon.
    first, last = out["forecast"][0], out["forecast"][-1]
    assert last["upper"] - last["lower"] > first["upper"] - first["lower"]
    assert out["mape"] is not None and out["mape"] < 5


def test_short_series_is_fitted_without_seasonality(real_agents: AgentClient) -> None:
    history = [120, 126, 131, 135, 142, 147, 151, 158, 163, 170]
    out = real_agents.output("forecast", {"series": history, "horizon": 3})
    assert out["seasonal"] is False
    assert "fewer than two full seasons" in out["notes"][0]
    values = [p["value"] for p in out["forecast"]]
    assert values[0] > history[-1]
    assert values[0] < values[1] < values[2]


def test_forecast_is_deterministic(real_agents: AgentClient) -> None:
    payload = {"series": _monthly_sales(30), "horizon": 4}
    assert real_agents.output("forecast", payload) == real_agents.output("forecast", payload)


@pytest.mark.parametrize(
    ("series", "message"),
    [([100, 110, 120], "at least 8"), ([], "at least 8")],
)
def test_too_short_series_is_a_validation_error(
    real_agents: AgentClient, series: list[float], message: str
) -> None:
    response = real_agents.execute("forecast", {"series": series})
    assert response.status_code == 422
    (field,) = response.json()["error"]["fields"]
    assert field["field"] == "series"
    assert message in field["message"]


# ---------------------------------------------------------------- sentiment


def test_sentiment_labels(real_agents: AgentClient) -> None:
    out = real_agents.output(
        "sentiment",
        {
            "texts": [
                "This is the worst service I have ever used. Terrible support, and I want a "
                "refund!",
                "Absolutely love the new dashboard, great job team :)",
                "The invoice was sent on Tuesday.",
                "The onboarding was great. But the billing page is awful and confusing.",
            ]
        },
    )
    negative, positive, neutral, mixed = out["results"]
    assert negative["label"] == "negative" and negative["compound"] <= -0.5
    assert positive["label"] == "positive" and positive["compound"] >= 0.5
    assert neutral["label"] == "neutral" and neutral["compound"] == 0
    assert [s["label"] for s in mixed["sentences"]] == ["positive", "negative"]
    assert mixed["sentences"][0]["sentence"] == "The onboarding was great."
    assert len(negative["sentences"]) == 2
    assert math.isclose(
        negative["positive"] + negative["neutral"] + negative["negative"], 1, abs_tol=0.01
    )
    # "But" shifts the weight to the second clause: the mixed review is negative overall.
    assert mixed["label"] == "negative"
    assert out["summary"] == {
        "count": 4,
        "positive": 1,
        "negative": 2,
        "neutral": 1,
        "average_compound": -0.0859,
    }


def test_sentiment_single_text_and_negation(real_agents: AgentClient) -> None:
    out = real_agents.output("sentiment", {"text": "The product is not good."})
    assert out["results"][0]["label"] == "negative"
    response = real_agents.execute("sentiment", {})
    assert response.status_code == 422


# ---------------------------------------------------------------- data cleaning

MESSY = [
    {
        "name": "  Alice   Smith ",
        "email": " Alice@Example.COM ",
        "phone": "(415) 555-0123",
        "amount": "$1,200.50",
        "signup_date": "03/04/2024",
        "zip": "02134",
    },
    {
        "name": "Bob Jones",
        "email": "bob@example",
        "phone": "+44 20 7946 0958",
        "amount": "300",
        "signup_date": "2024-02-10",
        "zip": "10001",
    },
    {
        "name": "Alice Smith",
        "email": "alice@example.com",
        "phone": "415.555.0123",
        "amount": "1200.50",
        "signup_date": "2024-03-04",
        "zip": "02134",
    },
    {
        "name": "N/A",
        "email": "",
        "phone": "555-0199",
        "amount": "(75.25)",
        "signup_date": "not yet",
        "zip": "60601",
    },
]


def test_data_clean_normalises_and_drops_duplicates(real_agents: AgentClient) -> None:
    out = real_agents.output("data-clean", {"records": MESSY, "default_country_code": "1"})
    summary = out["summary"]
    assert (summary["rows_in"], summary["rows_out"], summary["duplicates_dropped"]) == (4, 3, 1)
    assert out["kept_rows"] == [0, 1, 3]
    alice, bob, unknown = out["records"]
    assert alice == {
        "name": "Alice Smith",
        "email": "alice@example.com",
        "email_valid": True,
        "phone": "+14155550123",
        "amount": 1200.5,
        "signup_date": "2024-03-04",
        "zip": "02134",
    }
    assert bob["email_valid"] is False
    assert bob["phone"] == "+442079460958"
    assert bob["amount"] == 300
    assert unknown["name"] is None and unknown["email"] is None
    assert unknown["amount"] == -75.25
    assert unknown["phone"] == "5550199"  # 7 digits: not a complete +1 number
    assert unknown["signup_date"] is None
    kinds = {c["name"]: c["kind"] for c in out["columns"]}
    assert kinds == {
        "name": "text",
        "email": "email",
        "phone": "phone",
        "amount": "numeric",
        "signup_date": "date",
        "zip": "text",
    }
    changes = out["changes"]
    assert {
        "row": 0,
        "column": "name",
        "before": "  Alice   Smith ",
        "after": "Alice Smith",
        "rule": "trim_whitespace",
        "detail": None,
    } in changes
    assert {
        "row": 0,
        "column": "email",
        "before": "Alice@Example.COM",
        "after": "alice@example.com",
        "rule": "lowercase_email",
        "detail": None,
    } in changes
    duplicate = next(c for c in changes if c["rule"] == "drop_duplicate")
    assert duplicate["row"] == 2
    assert duplicate["detail"] == "duplicate of row 0"
    assert duplicate["before"]["email"] == "alice@example.com"
    issues = {(i["row"], i["column"]): i["problem"] for i in out["issues"]}
    assert issues[(1, "email")] == "invalid email address"
    assert issues[(3, "signup_date")] == "not a date; set to null"
    assert issues[(3, "phone")].startswith("too short or too long for a +1 number")
    assert summary["added_columns"] == ["email_valid"]
    assert summary["changes_by_rule"]["drop_duplicate"] == 1


def test_data_clean_explicit_columns_and_no_dedupe(real_agents: AgentClient) -> None:
    rows = [
        {"sku": "A-1", "qty": " 12 ", "when": "2024/01/05"},
        {"sku": "A-1", "qty": "12", "when": "2024/01/05"},
        {"sku": "B-2", "qty": "lots", "when": "Jan 7, 2024"},
    ]
    out = real_agents.output(
        "data-clean",
        {
            "records": rows,
            "numeric_columns": ["qty"],
            "date_columns": ["when"],
            "drop_duplicates": False,
        },
    )
    assert [r["qty"] for r in out["records"]] == [12, 12, None]
    assert [r["when"] for r in out["records"]] == ["2024-01-05", "2024-01-05", "2024-01-07"]
    assert out["summary"]["duplicates_dropped"] == 0
    response = real_agents.execute("data-clean", {"records": rows, "numeric_columns": ["nope"]})
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == "numeric_columns"


def test_data_clean_handles_a_large_export(real_agents: AgentClient) -> None:
    rows = [
        {
            "id": i,
            "email": f" User{i % 1500}@Example.com ",
            "plan": ["free", "pro", "team"][i % 3] if i % 1500 != 7 else " ",
            "seats": str(1 + i % 1500 % 9),
        }
        for i in range(3000)
    ]
    # Rows i and i + 1500 differ only by id: drop it so they become exact duplicates.
    for row in rows:
        row["id"] = row["id"] % 1500
    out = real_agents.output("data-clean", {"records": rows, "max_changes": 100})
    summary = out["summary"]
    assert summary["rows_in"] == 3000
    assert summary["rows_out"] == 1500
    assert summary["duplicates_dropped"] == 1500
    assert out["changes_truncated"] is True
    assert len(out["changes"]) == 100
    assert out["records"][0] == {
        "id": 0,
        "email": "user0@example.com",
        "email_valid": True,
        "plan": "free",
        "seats": 1,
    }
    assert out["records"][7]["plan"] is None


# ---------------------------------------------------------------- churn

RISKY = {
    "customer_id": "cus_risky",
    "tenure_months": 2,
    "monthly_charges": 99.0,
    "contract": "month-to-month",
    "support_tickets_90d": 6,
    "logins_30d": 1,
    "payment_failures_90d": 2,
    "auto_pay": False,
}
LOYAL = {
    "customer_id": "cus_loyal",
    "tenure_months": 58,
    "monthly_charges": 45.0,
    "contract": "two-year",
    "support_tickets_90d": 0,
    "logins_30d": 35,
    "payment_failures_90d": 0,
    "auto_pay": True,
}


def test_churn_ranks_risky_above_loyal(real_agents: AgentClient) -> None:
    out = real_agents.output("churn", {"customers": [RISKY, LOYAL]})
    risky, loyal = out["predictions"]
    assert risky["customer_id"] == "cus_risky"
    assert risky["risk_level"] == "high" and risky["churn_probability"] > 0.8
    assert loyal["risk_level"] == "low" and loyal["churn_probability"] < 0.05
    assert len(risky["top_factors"]) == 3
    assert all(f["direction"] == "raises risk" and f["effect"] > 0 for f in risky["top_factors"])
    assert all(f["direction"] == "lowers risk" for f in loyal["top_factors"])
    risky_features = {f["feature"] for f in risky["top_factors"]}
    assert "payment_failures_90d" in risky_features
    assert (out["high_risk"], out["medium_risk"], out["low_risk"]) == (1, 0, 1)
    model = out["model"]
    assert model["holdout_auc"] > 0.75
    assert model["training_rows"] == 4800
    assert "LogisticRegression" in model["algorithm"]


def test_churn_is_deterministic_and_validates(real_agents: AgentClient) -> None:
    payload = {"customers": [RISKY, LOYAL], "top_factors": 2}
    first = real_agents.output("churn", payload)
    assert first == real_agents.output("churn", payload)
    assert all(len(p["top_factors"]) <= 2 for p in first["predictions"])
    bad = {**RISKY, "contract": "weekly"}
    response = real_agents.execute("churn", {"customers": [bad]})
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == "customers.0.contract"
