"""Lead Scoring

Scores a B2B lead from 0 to 100 from its firmographic profile and its engagement, with a grade
from A to D and the reasons behind it.

Every point of the score is explained. Half of it comes from fit (company size, industry,
annual revenue, the contact's seniority and country), half from engagement (email opens, site
visits, a demo request and how recently the lead was active). Each factor has a fixed weight
and a transparent rule, so sales and marketing can see exactly why a lead is hot and what is
missing.

Features:
- Transparent weights: 50 points of fit, 50 points of engagement
- Seniority read from the job title (C-level, VP, director, manager, individual contributor)
- Grade A (80+), B (60+), C (40+) or D, with the top reasons and the biggest gaps
- Deterministic: the same lead always gets the same score

Category: Sales
Price cents: 1500
Currency: USD
Icon: 🎯
Version: 1.0.0
"""

from __future__ import annotations

import math
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

# ---------------------------------------------------------------- weights (sum to 100)
WEIGHTS: dict[str, int] = {
    "company_size": 15,
    "industry": 10,
    "annual_revenue": 10,
    "seniority": 10,
    "country": 5,
    "email_opens": 10,
    "site_visits": 10,
    "demo_requested": 20,
    "recency": 10,
}
FIT_FACTORS = ("company_size", "industry", "annual_revenue", "seniority", "country")
EMAIL_OPENS_CAP = 10
SITE_VISITS_CAP = 15

GRADE_THRESHOLDS: tuple[tuple[int, str], ...] = ((80, "A"), (60, "B"), (40, "C"), (0, "D"))

INDUSTRY_FIT: tuple[tuple[tuple[str, ...], float, str], ...] = (
    (("software", "saas", "technology", "tech", "it services", "internet"), 1.0, "technology"),
    (("financ", "bank", "insurance", "fintech"), 0.9, "financial services"),
    (("health", "pharma", "medical", "biotech"), 0.8, "healthcare"),
    (("manufactur", "industrial", "automotive", "logistics"), 0.7, "manufacturing & logistics"),
    (("retail", "e-commerce", "ecommerce", "consumer"), 0.7, "retail & e-commerce"),
    (("consult", "professional services", "agency", "marketing"), 0.6, "professional services"),
    (("education", "university", "school"), 0.5, "education"),
    (("government", "public sector", "non-profit", "nonprofit", "ngo"), 0.4, "public & non-profit"),
)
OTHER_INDUSTRY_FIT = 0.5

SENIORITY_RULES: tuple[tuple[str, str, float], ...] = (
    (
        r"\b(ceo|cto|cfo|coo|cmo|cio|cro|cpo|chief|founder|co-founder|owner|president)\b",
        "c_level",
        1.0,
    ),
    (r"\b(vp|svp|evp|vice president|head of|head)\b", "vp", 0.85),
    (r"\b(director)\b", "director", 0.7),
    (r"\b(manager|lead|principal)\b", "manager", 0.5),
    (r"\b(intern|student|trainee|assistant)\b", "entry", 0.1),
)
INDIVIDUAL_CONTRIBUTOR_FIT = 0.3
SENIORITY_LABELS = {
    "c_level": "C-level",
    "vp": "VP / head of",
    "director": "director",
    "manager": "manager",
    "entry": "entry level",
    "individual_contributor": "individual contributor",
}

TIER1 = {"US", "CA", "GB", "DE", "FR", "NL", "AU", "SE", "CH", "DK", "NO", "IE", "FI", "NZ"}
TIER2 = {"ES", "IT", "BE", "AT", "PT", "PL", "CZ", "JP", "SG", "KR", "IL", "AE", "LU", "EE"}
COUNTRY_NAMES = {
    "united states": "US", "usa": "US", "united states of america": "US", "america": "US",
    "canada": "CA", "united kingdom": "GB", "uk": "GB", "great britain": "GB", "england": "GB",
    "germany": "DE", "france": "FR", "netherlands": "NL", "the netherlands": "NL",
    "australia": "AU", "sweden": "SE", "switzerland": "CH", "denmark": "DK", "norway": "NO",
    "ireland": "IE", "finland": "FI", "new zealand": "NZ", "spain": "ES", "italy": "IT",
    "belgium": "BE", "austria": "AT", "portugal": "PT", "poland": "PL", "czechia": "CZ",
    "czech republic": "CZ", "japan": "JP", "singapore": "SG", "south korea": "KR",
    "korea": "KR", "israel": "IL", "united arab emirates": "AE", "uae": "AE",
    "luxembourg": "LU", "estonia": "EE", "india": "IN", "brazil": "BR", "mexico": "MX",
    "china": "CN", "nigeria": "NG", "south africa": "ZA", "argentina": "AR",
}  # fmt: skip


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lead_id: str | None = Field(default=None, description="Your id for the lead (echoed back)")
    company_size: int = Field(ge=0, description="Number of employees")
    industry: str = Field(min_length=1, max_length=200)
    annual_revenue: float | None = Field(
        default=None, ge=0, description="Annual revenue in USD; unknown when omitted"
    )
    job_title: str = Field(min_length=1, max_length=200)
    country: str | None = Field(
        default=None, max_length=100, description="ISO 3166 alpha-2 code or English name"
    )
    email_opens: int = Field(default=0, ge=0, description="Marketing emails opened, last 90 days")
    site_visits: int = Field(default=0, ge=0, description="Website sessions, last 90 days")
    demo_requested: bool = False
    days_since_last_activity: int | None = Field(
        default=None, ge=0, description="Days since the last recorded activity; none when omitted"
    )


class Factor(BaseModel):
    factor: str
    group: Literal["fit", "engagement"]
    weight: int = Field(description="Maximum points this factor can give")
    fraction: float = Field(description="Share of the weight earned, 0..1")
    points: float
    explanation: str


class Output(BaseModel):
    lead_id: str | None
    score: int = Field(ge=0, le=100)
    grade: Literal["A", "B", "C", "D"]
    fit_score: float = Field(description="Points from firmographics, out of 50")
    engagement_score: float = Field(description="Points from engagement, out of 50")
    seniority: str
    factors: list[Factor]
    top_reasons: list[str]
    gaps: list[str] = Field(description="Factors that lost the most points")


def _size_fit(size: int) -> tuple[float, str]:
    bands = (
        (10, 0.2, "a micro company (under 10 employees)"),
        (50, 0.5, "a small company (10-49 employees)"),
        (200, 0.8, "a mid-size company (50-199 employees)"),
        (1000, 1.0, "an upper mid-market company (200-999 employees), our best fit"),
    )
    for limit, fraction, text in bands:
        if size < limit:
            return fraction, f"{size} employees: {text}"
    return 0.9, f"{size} employees: an enterprise (1000+), long sales cycles"


def _industry_fit(industry: str) -> tuple[float, str]:
    text = industry.lower()
    for keywords, fraction, label in INDUSTRY_FIT:
        if any(k in text for k in keywords):
            return fraction, f"industry '{industry}' counts as {label}"
    return OTHER_INDUSTRY_FIT, f"industry '{industry}' is outside the core verticals"


def _revenue_fit(revenue: float | None) -> tuple[float, str]:
    if revenue is None:
        return 0.3, "annual revenue unknown"
    millions = revenue / 1_000_000
    if millions < 1:
        return 0.2, f"annual revenue ${millions:.1f}M (under $1M)"
    if millions < 10:
        return 0.5, f"annual revenue ${millions:.1f}M ($1M-$10M)"
    if millions < 50:
        return 0.8, f"annual revenue ${millions:.1f}M ($10M-$50M)"
    return 1.0, f"annual revenue ${millions:.1f}M ($50M or more)"


def seniority_of(title: str) -> tuple[str, float]:
    lowered = title.lower()
    for pattern, level, fraction in SENIORITY_RULES:
        if re.search(pattern, lowered):
            return level, fraction
    return "individual_contributor", INDIVIDUAL_CONTRIBUTOR_FIT


def _country_code(country: str | None) -> str | None:
    if not country or not country.strip():
        return None
    cleaned = country.strip()
    if len(cleaned) == 2 and cleaned.isalpha():
        return cleaned.upper()
    return COUNTRY_NAMES.get(cleaned.lower().replace(".", ""))


def _country_fit(country: str | None) -> tuple[float, str]:
    code = _country_code(country)
    if code is None:
        return (0.3, "country unknown") if not country else (0.4, f"country '{country}'")
    if code in TIER1:
        return 1.0, f"country {code} is a core market"
    if code in TIER2:
        return 0.7, f"country {code} is a secondary market"
    return 0.4, f"country {code} is outside the served markets"


def _recency_fit(days: int | None) -> tuple[float, str]:
    if days is None:
        return 0.0, "no recorded activity"
    for limit, fraction in ((3, 1.0), (7, 0.8), (14, 0.6), (30, 0.4), (90, 0.15)):
        if days <= limit:
            return fraction, f"last active {days} day(s) ago"
    return 0.0, f"inactive for {days} days"


def run(input: Input) -> Output:
    seniority, seniority_fraction = seniority_of(input.job_title)
    evaluated: dict[str, tuple[float, str]] = {
        "company_size": _size_fit(input.company_size),
        "industry": _industry_fit(input.industry),
        "annual_revenue": _revenue_fit(input.annual_revenue),
        "seniority": (
            seniority_fraction,
            f"'{input.job_title}' reads as {SENIORITY_LABELS[seniority]}",
        ),
        "country": _country_fit(input.country),
        "email_opens": (
            min(input.email_opens, EMAIL_OPENS_CAP) / EMAIL_OPENS_CAP,
            f"{input.email_opens} email open(s) (full marks at {EMAIL_OPENS_CAP})",
        ),
        "site_visits": (
            min(input.site_visits, SITE_VISITS_CAP) / SITE_VISITS_CAP,
            f"{input.site_visits} site visit(s) (full marks at {SITE_VISITS_CAP})",
        ),
        "demo_requested": (
            (1.0, "requested a demo") if input.demo_requested else (0.0, "no demo requested")
        ),
        "recency": _recency_fit(input.days_since_last_activity),
    }
    factors = [
        Factor(
            factor=name,
            group="fit" if name in FIT_FACTORS else "engagement",
            weight=WEIGHTS[name],
            fraction=round(fraction, 4),
            points=round(fraction * WEIGHTS[name], 2),
            explanation=text,
        )
        for name, (fraction, text) in evaluated.items()
    ]
    total = sum(f.fraction * f.weight for f in factors)
    score = max(0, min(100, math.floor(total + 0.5)))  # half up: 76.5 -> 77
    grade = next(letter for threshold, letter in GRADE_THRESHOLDS if score >= threshold)

    earned = sorted((f for f in factors if f.points > 0), key=lambda f: (-f.points, f.factor))
    top_reasons = [f"+{f.points:g} pts: {f.explanation}" for f in earned[:3]]
    missing = sorted(
        (f for f in factors if f.weight - f.points >= 1),
        key=lambda f: (-(f.weight - f.points), f.factor),
    )
    gaps = [f"-{f.weight - f.points:g} pts: {f.explanation}" for f in missing[:3]]

    return Output(
        lead_id=input.lead_id,
        score=score,
        grade=grade,
        fit_score=round(sum(f.points for f in factors if f.group == "fit"), 2),
        engagement_score=round(sum(f.points for f in factors if f.group == "engagement"), 2),
        seniority=seniority,
        factors=factors,
        top_reasons=top_reasons,
        gaps=gaps,
    )
