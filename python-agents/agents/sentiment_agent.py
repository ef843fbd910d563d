"""Sentiment Analyzer

Tells whether texts such as reviews, support tickets or social posts are positive, negative or
neutral, with a score and a sentence-by-sentence breakdown.

The agent uses VADER (Valence Aware Dictionary and sEntiment Reasoner), a lexicon and
rule-based model tuned for short, informal text: it understands negation ("not good"),
intensifiers ("very", "extremely"), capitalisation, exclamation marks, emoticons and emoji.
Each text gets a compound score from -1 (most negative) to +1 (most positive) and a label by
the standard thresholds: positive at +0.05 or above, negative at -0.05 or below, neutral in
between. Each sentence is scored on its own so you can see which part of a mixed review drives
the result.

Features:
- Positive / negative / neutral label with the compound score
- Positive, neutral and negative proportions per text
- Per-sentence breakdown
- Up to 1,000 texts per call, with a summary

Category: Customer Experience
Price cents: 500
Currency: USD
Icon: 💬
Version: 1.0.0
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

POSITIVE_THRESHOLD = 0.05
NEGATIVE_THRESHOLD = -0.05
MAX_TEXT_CHARS = 20_000
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")

Label = Literal["positive", "negative", "neutral"]


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str | None = Field(default=None, max_length=MAX_TEXT_CHARS, description="One text")
    texts: list[str] | None = Field(
        default=None, min_length=1, max_length=1000, description="Several texts"
    )

    @model_validator(mode="after")
    def _one_or_many(self) -> Input:
        if self.text is None and self.texts is None:
            raise ValueError("give 'text' or 'texts'")
        for item in self.texts or []:
            if len(item) > MAX_TEXT_CHARS:
                raise ValueError(f"each text must be at most {MAX_TEXT_CHARS} characters")
        return self

    def all_texts(self) -> list[str]:
        return ([self.text] if self.text is not None else []) + list(self.texts or [])


class SentenceScore(BaseModel):
    sentence: str
    label: Label
    compound: float


class TextScore(BaseModel):
    index: int
    label: Label
    compound: float = Field(ge=-1, le=1)
    positive: float
    neutral: float
    negative: float
    sentences: list[SentenceScore]


class Summary(BaseModel):
    count: int
    positive: int
    negative: int
    neutral: int
    average_compound: float


class Output(BaseModel):
    results: list[TextScore]
    summary: Summary


@lru_cache(maxsize=1)
def analyzer() -> SentimentIntensityAnalyzer:
    return SentimentIntensityAnalyzer()


def label_for(compound: float) -> Label:
    if compound >= POSITIVE_THRESHOLD:
        return "positive"
    if compound <= NEGATIVE_THRESHOLD:
        return "negative"
    return "neutral"


def split_sentences(text: str) -> list[str]:
    return [part.strip() for part in _SENTENCE_END.split(text) if part and part.strip()]


def run(input: Input) -> Output:
    vader = analyzer()
    results: list[TextScore] = []
    for index, text in enumerate(input.all_texts()):
        scores = vader.polarity_scores(text)
        sentences = []
        for sentence in split_sentences(text):
            compound = vader.polarity_scores(sentence)["compound"]
            sentences.append(
                SentenceScore(sentence=sentence, label=label_for(compound), compound=compound)
            )
        results.append(
            TextScore(
                index=index,
                label=label_for(scores["compound"]),
                compound=scores["compound"],
                positive=scores["pos"],
                neutral=scores["neu"],
                negative=scores["neg"],
                sentences=sentences,
            )
        )
    count = len(results)
    return Output(
        results=results,
        summary=Summary(
            count=count,
            positive=sum(r.label == "positive" for r in results),
            negative=sum(r.label == "negative" for r in results),
            neutral=sum(r.label == "neutral" for r in results),
            average_compound=round(sum(r.compound for r in results) / count, 4) if count else 0.0,
        ),
    )
