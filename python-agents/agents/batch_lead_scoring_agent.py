"""Batch Lead Scoring

Scores a whole list of B2B leads, up to 5,000 at once, with the Lead Scoring rules, and shows
its progress while it works.

Each lead gets the same explained 0-100 score and A-D grade as with Lead Scoring (fit from the
company and the contact, engagement from opens, visits, a demo request and recency). The run
reports how far it has got every 50 leads, so a big list can run in the background with a live
progress bar. The answer sums up the list: how many leads fall in each grade, the average score
and the best leads ranked, with every scored lead on request. No list at hand? Leave the leads
out and it scores a realistic sample list of the size you choose.

Features:
- Up to 5,000 leads in one run, scored with the Lead Scoring rules
- Live progress every 50 leads: run it in the background for big lists
- Grade counts, average score and the top leads ranked, with their main reason
- A reproducible sample list (count and seed) when you have no leads at hand

Category: Sales
Price cents: 4900
Currency: USD
Icon: 📊
Version: 1.0.0
"""

from __future__ import annotations

import importlib.util
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

MAX_LEADS = 5000
PROGRESS_EVERY = 50
MAX_DELAY_MS = 20


def _lead_scoring_rules() -> ModuleType:
    """The Lead Scoring agent next to this file: its Input model and its run()."""
    path = Path(__file__).with_name("lead_scoring_agent.py")
    name = "abetworks_batch_lead_scoring_rules"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load the Lead Scoring rules from {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # pydantic resolves the models' annotations through it
    spec.loader.exec_module(module)
    return module


_rules = _lead_scoring_rules()


class Lead(_rules.Input):
    """One lead, with the fields Lead Scoring takes."""


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid")

    leads: list[Lead] | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_LEADS,
        description="The leads to score; when omitted, a sample list of `count` leads is scored",
    )
    count: int = Field(
        default=1000,
        ge=1,
        le=MAX_LEADS,
        description="How many sample leads to score when no leads are given",
    )
    seed: int = Field(default=7, description="Makes the sample list reproducible")
    top: int = Field(default=10, ge=1, le=100, description="How many of the best leads to list")
    include_all: bool = Field(
        default=False, description="Also return every scored lead, in the input order"
    )
    delay_ms: int = Field(
        default=0,
        ge=0,
        le=MAX_DELAY_MS,
        description="A pause after each lead, in milliseconds, to pace a long run",
    )


class ScoredLead(BaseModel):
    index: int = Field(description="Position in the list, from 0")
    lead_id: str | None
    score: int = Field(ge=0, le=100)
    grade: Literal["A", "B", "C", "D"]
    seniority: str
    main_reason: str | None = Field(description="The factor that earned the most points")


class GradeCounts(BaseModel):
    A: int
    B: int
    C: int
    D: int


class Output(BaseModel):
    scored: int
    sample: bool = Field(description="True when a generated sample list was scored")
    average_score: float
    grades: GradeCounts
    top_leads: list[ScoredLead] = Field(description="The best leads, highest score first")
    leads: list[ScoredLead] = Field(description="Every scored lead when include_all is set")


SAMPLE_INDUSTRIES = (
    "B2B SaaS", "Software", "Fintech", "Banking", "Healthcare", "Biotech", "Manufacturing",
    "Logistics", "Retail", "E-commerce", "Consulting", "Marketing agency", "Education",
    "Government", "Non-profit", "Hospitality", "Construction",
)  # fmt: skip
SAMPLE_TITLES = (
    "CEO", "Founder", "CTO", "VP of Sales", "VP Marketing", "Head of Operations",
    "Director of IT", "Sales Director", "Marketing Manager", "Engineering Manager",
    "Team Lead", "Software Engineer", "Analyst", "Account Executive", "Assistant", "Intern",
)  # fmt: skip
SAMPLE_COUNTRIES = (
    "US", "US", "US", "GB", "DE", "FR", "CA", "NL", "AU", "SE", "ES", "IT", "JP", "SG",
    "IN", "BR", "MX", "ZA", None,
)  # fmt: skip


def sample_leads(count: int, seed: int) -> list[Lead]:
    """`count` plausible leads, the same for the same seed."""
    rng = random.Random(seed)
    leads = []
    for i in range(count):
        size = max(1, round(rng.lognormvariate(4.0, 1.5)))
        revenue = None if rng.random() < 0.25 else round(size * rng.uniform(50_000, 400_000), -3)
        active = None if rng.random() < 0.15 else min(365, int(rng.expovariate(1 / 20)))
        leads.append(
            Lead(
                lead_id=f"sample-{i + 1:05d}",
                company_size=size,
                industry=rng.choice(SAMPLE_INDUSTRIES),
                annual_revenue=revenue,
                job_title=rng.choice(SAMPLE_TITLES),
                country=rng.choice(SAMPLE_COUNTRIES),
                email_opens=min(30, int(rng.expovariate(1 / 6))),
                site_visits=min(40, int(rng.expovariate(1 / 8))),
                demo_requested=rng.random() < 0.2,
                days_since_last_activity=active,
            )
        )
    return leads


def _scored(index: int, lead: Lead) -> ScoredLead:
    result = _rules.run(lead)
    return ScoredLead(
        index=index,
        lead_id=result.lead_id,
        score=result.score,
        grade=result.grade,
        seniority=result.seniority,
        main_reason=result.top_reasons[0] if result.top_reasons else None,
    )


def run(input: Input, progress: Callable[[int, int, str | None], None]) -> Output:
    sample = input.leads is None
    leads = sample_leads(input.count, input.seed) if input.leads is None else input.leads
    total = len(leads)
    progress(0, total, f"Scoring {total} leads")
    scored: list[ScoredLead] = []
    for index, lead in enumerate(leads):
        scored.append(_scored(index, lead))
        if input.delay_ms:
            time.sleep(input.delay_ms / 1000)
        done = index + 1
        if done % PROGRESS_EVERY == 0 or done == total:
            progress(done, total, f"Scored {done} of {total} leads")

    counts = dict.fromkeys("ABCD", 0)
    for lead in scored:
        counts[lead.grade] += 1
    ranked = sorted(scored, key=lambda lead: (-lead.score, lead.index))
    return Output(
        scored=total,
        sample=sample,
        average_score=round(sum(lead.score for lead in scored) / total, 2),
        grades=GradeCounts(**counts),
        top_leads=ranked[: input.top],
        leads=scored if input.include_all else [],
    )
