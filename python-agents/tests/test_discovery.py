"""Agent discovery: the docstring format, the real catalog, drop-in modules, broken modules."""

from __future__ import annotations

import logging
import textwrap
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.config import DEV_SECRET, Settings
from service.discovery import (
    AgentDefinitionError,
    discover_agents,
    parse_docstring,
    slug_for,
)
from tests.conftest import FAKE_AGENTS, SECRET, VALID_FAKES, AgentClient

REAL_SLUGS = [
    "batch-lead-scoring",
    "churn",
    "data-clean",
    "email",
    "forecast",
    "lead-scoring",
    "sentiment",
]


def fields_of(metadata: object, *extra: str) -> dict[str, object]:
    """The catalog fields of parsed metadata (and `extra` ones), by name."""
    names = ("category", "price_cents", "currency", "icon", "version", *extra)
    return {name: getattr(metadata, name) for name in names}


def test_slug_rules() -> None:
    assert slug_for(Path("lead_scoring_agent.py")) == "lead-scoring"
    assert slug_for(Path("email_agent.py")) == "email"
    assert slug_for(Path("invoice_reader.py")) == "invoice-reader"
    assert slug_for(Path("agent.py")) == "agent"


def test_parse_docstring_full_format() -> None:
    doc = """Invoice Reader

    Reads invoices
    and pulls out totals.

    Handles PDFs and images.

    Checks the VAT arithmetic.

    Features:
    - Line items
    - VAT check that wraps
      onto a second line

    Category: Finance
    Price cents: 1_999
    currency: eur
    Icon: 🧾
    Version: 2.1.0
    """
    md = parse_docstring(doc)
    assert md.name == "Invoice Reader"
    assert md.short_description == "Reads invoices and pulls out totals."
    assert md.long_description == "Handles PDFs and images.\n\nChecks the VAT arithmetic."
    assert md.features == ("Line items", "VAT check that wraps onto a second line")
    assert fields_of(md) == {
        "category": "Finance",
        "price_cents": 1999,
        "currency": "EUR",
        "icon": "🧾",
        "version": "2.1.0",
    }


def test_parse_docstring_defaults() -> None:
    md = parse_docstring("Tiny\n\nDoes one thing.\n\nPrice cents: 0\n")
    assert md.long_description == "Does one thing."
    defaults = {"category": "General", "currency": "USD", "icon": "🤖", "version": "1.0.0"}
    assert fields_of(md, "features") == {**defaults, "price_cents": 0, "features": ()}


def test_a_paragraph_with_a_colon_stays_a_paragraph() -> None:
    md = parse_docstring("X\n\nShort.\n\nNote: this is prose, not metadata.\n\nPrice cents: 5")
    assert md.long_description == "Note: this is prose, not metadata."


@pytest.mark.parametrize(
    ("doc", "problem"),
    [
        (None, "no docstring"),
        ("Name only\n\nPrice cents: 1", "no description"),
        ("Name\n\nText.", "Price cents"),
        ("Name\n\nText.\n\nPrice cents: cheap", "integer"),
        ("Name\n\nText.\n\nPrice cents: -5", "negative"),
        ("Name\n\nText.\n\nPrice cents: 5\nCurrency: dollars", "3-letter"),
        ("Name\n\nText.\n\nFeatures:\nnot a bullet\n\nPrice cents: 5", "Features"),
    ],
)
def test_parse_docstring_rejects(doc: str | None, problem: str) -> None:
    with pytest.raises(AgentDefinitionError, match=problem):
        parse_docstring(doc)


def test_the_real_agents_are_discovered(real_agents: AgentClient) -> None:
    catalog = real_agents.catalog()
    assert [a["slug"] for a in catalog] == REAL_SLUGS
    assert real_agents.client.get("/health").json() == {"status": "ok", "agents": 7}
    for agent in catalog:
        assert set(agent) == {
            "slug",
            "name",
            "shortDescription",
            "longDescription",
            "category",
            "priceCents",
            "currency",
            "icon",
            "features",
            "version",
            "inputSchema",
            "outputSchema",
            "reportsProgress",
        }
        assert agent["name"] and agent["shortDescription"] and agent["longDescription"]
        assert agent["longDescription"] != agent["shortDescription"]
        assert isinstance(agent["priceCents"], int) and agent["priceCents"] > 0
        assert agent["currency"] == "USD"
        assert agent["icon"] and not agent["icon"].isascii()
        assert len(agent["features"]) >= 3
        assert agent["version"] == "1.0.0"
        for schema in (agent["inputSchema"], agent["outputSchema"]):
            assert schema["type"] == "object"
            assert schema["properties"]
    by_slug = {a["slug"]: a for a in catalog}
    assert "series" in by_slug["forecast"]["inputSchema"]["required"]
    assert "recipients" in by_slug["email"]["inputSchema"]["properties"]
    assert "grade" in by_slug["lead-scoring"]["outputSchema"]["properties"]
    # Only the batch agent reports its progress.
    assert [a["slug"] for a in catalog if a["reportsProgress"]] == ["batch-lead-scoring"]
    # The SMTP password is marked as a secret in the schema.
    smtp = by_slug["email"]["inputSchema"]["$defs"]["SmtpSettings"]["properties"]
    assert smtp["password"]["anyOf"][0]["format"] == "password"
    assert smtp["password"]["writeOnly"] is True


def test_broken_modules_are_skipped_with_a_logged_error(
    fake_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="abetworks.agents.discovery"):
        agents = discover_agents(fake_dir)
    assert set(agents) == VALID_FAKES
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for broken in (
        "syntax_error_agent.py",
        "no_run_agent.py",
        "no_docstring_agent.py",
        "import_error_agent.py",
    ):
        assert broken in logged
    assert "_helper.py" not in logged


def test_missing_agents_folder_gives_an_empty_catalog(tmp_path: Path) -> None:
    assert discover_agents(tmp_path / "nope") == {}


def test_a_dropped_in_module_becomes_an_agent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "agents"
    folder.mkdir()
    (folder / "echo_agent.py").write_text(textwrap.dedent(FAKE_AGENTS["echo_agent.py"]))
    (folder / "word_count_agent.py").write_text(
        textwrap.dedent(
            '''
            """Word Count

            Counts the words in a text.

            Counting is done by splitting on whitespace.

            Features:
            - Counts words

            Category: Text
            Price cents: 250
            Icon: 🔢
            Version: 0.3.0
            """
            from pydantic import BaseModel

            class Input(BaseModel):
                text: str

            class Output(BaseModel):
                words: int

            def run(input: Input) -> Output:
                return Output(words=len(input.text.split()))
            '''
        )
    )
    monkeypatch.setenv("AGENTS_DIR", str(folder))
    monkeypatch.setenv("AGENT_SERVICE_SECRET", SECRET)
    monkeypatch.setenv("AGENT_WORKERS", "1")
    settings = Settings.from_env()
    assert settings.agents_dir == folder.resolve()
    with TestClient(create_app(settings)) as client:
        agents = AgentClient(client)
        catalog = agents.catalog()
        assert [a["slug"] for a in catalog] == ["echo", "word-count"]
        entry = catalog[1]
        assert entry["name"] == "Word Count"
        assert entry["priceCents"] == 250
        assert entry["icon"] == "🔢"
        assert entry["category"] == "Text"
        assert entry["features"] == ["Counts words"]
        assert entry["inputSchema"]["required"] == ["text"]
        assert entry["outputSchema"]["properties"]["words"]["type"] == "integer"
        assert agents.output("word-count", {"text": "one two  three"}) == {"words": 3}


def test_default_secret_warns_and_is_never_logged(
    fake_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        settings = Settings.from_env({"AGENTS_DIR": str(fake_dir)})
        create_app(settings)
    assert settings.secret == DEV_SECRET
    assert settings.secret_is_default
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("AGENT_SERVICE_SECRET is not set" in w for w in warnings)
    assert DEV_SECRET not in caplog.text
    assert DEV_SECRET not in repr(settings)


def test_settings_from_env() -> None:
    settings = Settings.from_env({"AGENT_SERVICE_SECRET": "abc", "AGENT_TIME_LIMIT_SECONDS": "2.5"})
    assert settings.secret == "abc"
    assert not settings.secret_is_default
    assert settings.time_limit_seconds == 2.5
    assert Settings.from_env({}).time_limit_seconds == 30
    with pytest.raises(ValueError, match="AGENT_TIME_LIMIT_SECONDS"):
        Settings.from_env({"AGENT_TIME_LIMIT_SECONDS": "-1"})
    with pytest.raises(ValueError, match="AGENT_WORKERS"):
        Settings.from_env({"AGENT_WORKERS": "many"})
