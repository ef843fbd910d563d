"""Data Cleaner

Cleans tabular records (CRM exports, sign-up lists, spreadsheets): trims text, normalises
emails and phone numbers, fixes numbers and dates, drops duplicate rows, and reports every
change it made.

Give the rows as a list of JSON objects. The agent loads them into a pandas DataFrame and works
column by column. Text is trimmed and inner runs of whitespace collapsed; empty strings and
placeholders such as "N/A" or "null" become null. Email columns are lower-cased and get a
companion "<column>_valid" flag. Phone columns are reduced to digits and written in E.164 form
(+14155550123) when the number carries a country code or you give a default one. Numeric
columns ("$1,200.50", "(300)") become numbers and date columns become ISO 8601 dates; columns
are treated as numeric or dates when you name them, or when their name and contents make it
obvious. Finally, rows that are exact duplicates after cleaning are dropped. Every changed cell
is listed with its row, column, value before and after, and the rule that changed it, and
values that could not be repaired are listed as issues.

Features:
- Trims text and turns empty strings and N/A placeholders into nulls
- Lower-cases emails and flags invalid ones
- Phone numbers as digits or E.164
- Numbers and dates coerced when asked or when obvious
- Drops exact duplicate rows
- A full audit trail: row, column, before, after, rule

Category: Data
Price cents: 1200
Currency: USD
Icon: 🧹
Version: 1.0.0
"""

from __future__ import annotations

import math
import re
import warnings
from collections import Counter
from functools import partial
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

Cell = str | int | float | bool | None
Kind = Literal["email", "phone", "numeric", "date", "text"]

NULL_TOKENS = {"n/a", "na", "null", "nan", "none", "#n/a", "-", "--"}
EMAIL_RE = re.compile(r"^[a-z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}$")
EMAIL_NAME_RE = re.compile(r"e-?mail", re.IGNORECASE)
PHONE_WORDS = {"phone", "mobile", "tel", "telephone", "cell", "fax", "whatsapp"}
DATE_WORDS = {"date", "at", "time", "timestamp", "dob", "birthday", "birth", "day", "since"}
NUMERIC_WORDS = {
    "amount", "price", "total", "revenue", "cost", "qty", "quantity", "count", "age", "score",
    "salary", "balance", "value", "sum", "spend", "income", "units", "weight", "height",
}  # fmt: skip
DATE_LIKE_RE = re.compile(
    r"^\d{4}-\d{1,2}-\d{1,2}([ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$"
    r"|^\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}$"
    r"|^\d{4}/\d{1,2}/\d{1,2}$"
    r"|^(\d{1,2}\s+)?(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{1,2}?,?\s*\d{4}$"
    r"|^\d{1,2}\s+(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{4}$",
    re.IGNORECASE,
)
NUMBER_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
THOUSANDS_RE = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")
CURRENCY_CHARS = "$€£¥"
EXTENSION_RE = re.compile(r"\s*(?:x|ext\.?|extension)\s*\d+\s*$", re.IGNORECASE)
AUTO_SHARE = 0.8  # share of values that must fit a kind to detect it from content alone
HINTED_SHARE = 0.5  # the same when the column's name already suggests the kind


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid")

    records: list[dict[str, Cell]] = Field(
        min_length=1, max_length=50_000, description="Rows as JSON objects"
    )
    numeric_columns: list[str] = Field(default_factory=list)
    date_columns: list[str] = Field(default_factory=list)
    email_columns: list[str] | None = Field(
        default=None, description="Email columns; detected by name and content when omitted"
    )
    phone_columns: list[str] | None = Field(
        default=None, description="Phone columns; detected by name when omitted"
    )
    auto_detect: bool = Field(
        default=True, description="Also treat obviously numeric or date columns as such"
    )
    default_country_code: str | None = Field(
        default=None,
        pattern=r"^\+?[1-9]\d{0,2}$",
        description="Calling code for phone numbers without one, e.g. '1' or '+44'",
    )
    dayfirst: bool = Field(default=False, description="Read 03/04/2024 as 3 April")
    drop_duplicates: bool = True
    max_changes: int = Field(
        default=5000, ge=0, le=200_000, description="Most changes and issues listed"
    )

    @field_validator("numeric_columns", "date_columns", "email_columns", "phone_columns")
    @classmethod
    def _known_columns(cls, value: list[str] | None, info: ValidationInfo) -> list[str] | None:
        records = info.data.get("records")
        if value and records:
            known = {key for row in records for key in row}
            unknown = [name for name in value if name not in known]
            if unknown:
                raise ValueError(f"unknown column(s): {', '.join(unknown)}")
        return value


class Change(BaseModel):
    row: int = Field(description="Index of the row in the input")
    column: str | None
    before: Any
    after: Any
    rule: str
    detail: str | None = None


class Issue(BaseModel):
    row: int
    column: str
    value: Any
    problem: str


class ColumnReport(BaseModel):
    name: str
    kind: Kind
    changed_cells: int
    issues: int


class Summary(BaseModel):
    rows_in: int
    rows_out: int
    duplicates_dropped: int
    cells_changed: int
    changes_by_rule: dict[str, int]
    added_columns: list[str]


class Output(BaseModel):
    records: list[dict[str, Cell]]
    kept_rows: list[int] = Field(description="Input row index of each output record")
    columns: list[ColumnReport]
    changes: list[Change]
    changes_truncated: bool
    issues: list[Issue]
    summary: Summary


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b


class _Log:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.changes: list[Change] = []
        self.issues: list[Issue] = []
        self.by_rule: Counter[str] = Counter()
        self.by_column: Counter[str] = Counter()
        self.issues_by_column: Counter[str] = Counter()
        self.cells: set[tuple[int, str]] = set()
        self.truncated = False

    def change(self, row: int, column: str | None, before: Any, after: Any, rule: str, **kw: Any):
        self.by_rule[rule] += 1
        if column is not None and (row, column) not in self.cells:
            self.cells.add((row, column))
            self.by_column[column] += 1
        if len(self.changes) < self.limit:
            self.changes.append(
                Change(row=row, column=column, before=before, after=after, rule=rule, **kw)
            )
        else:
            self.truncated = True

    def issue(self, row: int, column: str, value: Any, problem: str) -> None:
        self.issues_by_column[column] += 1
        if len(self.issues) < self.limit:
            self.issues.append(Issue(row=row, column=column, value=value, problem=problem))
        else:
            self.truncated = True


def _apply(
    frame: pd.DataFrame, column: str, log: _Log, rule: str, fn: Any, detail: str | None = None
) -> None:
    """Apply ``fn`` to every non-null cell of ``column`` and log the cells it changed."""
    before = frame[column].tolist()
    after = [None if value is None else fn(value) for value in before]
    for row, (old, new) in zip(frame.index, zip(before, after, strict=True), strict=True):
        if not _same(old, new):
            log.change(int(row), column, old, new, rule, detail=detail)
    frame[column] = pd.Series(after, index=frame.index, dtype=object)


# ------------------------------------------------------------------ individual rules
def _trim(value: Any) -> Any:
    return " ".join(value.split()) if isinstance(value, str) else value


def _null_token(value: Any) -> Any:
    if isinstance(value, str) and (value == "" or value.lower() in NULL_TOKENS):
        return None
    return value


def _lower_email(value: Any) -> Any:
    if isinstance(value, str):
        lowered = value.lower()
        return lowered[len("mailto:") :] if lowered.startswith("mailto:") else lowered
    return value


def _parse_number(value: Any) -> int | float | None:
    """Parse '1,200.50', '$300', '(42)', '-7', '1e3'; None when it is not a number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value if math.isfinite(value) else None
    text = str(value).strip()
    negative = text.startswith("(") and text.endswith(")")
    if negative:
        text = text[1:-1].strip()
    text = text.strip(CURRENCY_CHARS).replace(" ", "")
    if text[:1] in "+-" and text[1:2] in CURRENCY_CHARS:
        text = text[0] + text[2:]
    if THOUSANDS_RE.match(text):
        text = text.replace(",", "")
    if not NUMBER_RE.match(text):
        return None
    result: int | float = int(text) if re.fullmatch(r"[+-]?\d+", text) else float(text)
    if not math.isfinite(result):
        return None
    return -result if negative else result


def _coerce_number(value: Any) -> Any:
    return value if isinstance(value, bool) else _parse_number(value)


def _looks_like_code(value: Any) -> bool:
    """'02134' or '007' are codes (zip, id), not numbers: keep them as text."""
    return isinstance(value, str) and len(value) > 1 and value[0] == "0" and value.isdigit()


def _phone(value: Any, default_code: str | None) -> tuple[Any, str | None]:
    """Digits only, or E.164 ('+' + country code + national number) when that is known.

    Returns the normalised value and a problem description (None when fine).
    """
    text = EXTENSION_RE.sub("", str(value).strip())
    digits = re.sub(r"\D", "", text)
    if not digits:
        return value, "no digits in phone number"
    international = text.startswith("+")
    if not international and digits.startswith("00"):
        digits, international = digits[2:], True
    if international:
        if 8 <= len(digits) <= 15:
            return "+" + digits, None
        return digits, "cannot be written as E.164 (wrong length)"
    if not default_code:
        problem = None if 7 <= len(digits) <= 15 else "unusual length for a phone number"
        return digits, problem
    code = default_code.lstrip("+")
    national = digits[1:] if digits.startswith("0") else digits  # drop a trunk prefix
    if code == "1":  # North American numbering plan: always 10 national digits
        if len(national) == 11 and national.startswith("1"):
            national = national[1:]
        ok = len(national) == 10
    else:
        ok = 7 <= len(national) <= 15 - len(code)
    if ok:
        return f"+{code}{national}", None
    return digits, f"too short or too long for a +{code} number; kept as digits"


def _phone_value(value: Any, default_code: str | None) -> Any:
    return _phone(value, default_code)[0]


def _timestamp(value: str, dayfirst: bool) -> pd.Timestamp | None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parsed = pd.to_datetime(value, dayfirst=dayfirst, errors="coerce")
    return None if parsed is None or pd.isna(parsed) else parsed


def _to_iso(value: Any, parsed: dict[str, pd.Timestamp | None], date_only: bool) -> Any:
    if not isinstance(value, str):
        return value
    ts = parsed[value]
    if ts is None:
        return None
    return ts.date().isoformat() if date_only else ts.isoformat()


# ------------------------------------------------------------------ column detection
def name_words(column: str) -> set[str]:
    """'signupDate' / 'signup_date' / 'Signup Date' -> {'signup', 'date'}."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", column)
    return set(re.findall(r"[a-z]+", spaced.lower()))


def _share(count: int, total: int, hinted: bool) -> bool:
    return total > 0 and count > 0 and count >= (HINTED_SHARE if hinted else AUTO_SHARE) * total


def _detect(column: str, series: pd.Series, data: Input) -> Kind:
    values = [v for v in series.tolist() if v is not None]
    strings = [v for v in values if isinstance(v, str)]
    words = name_words(column)
    with_at = sum("@" in s for s in strings)
    if data.email_columns is not None:
        if column in data.email_columns:
            return "email"
    elif with_at and (EMAIL_NAME_RE.search(column) or with_at >= AUTO_SHARE * len(values)):
        return "email"
    if data.phone_columns is not None:
        if column in data.phone_columns:
            return "phone"
    elif words & PHONE_WORDS or any(w.endswith("phone") for w in words):
        phone_like = sum(
            not isinstance(v, bool) and len(re.sub(r"\D", "", str(v))) >= 5 for v in values
        )
        if _share(phone_like, len(values), hinted=True):
            return "phone"
    if column in data.date_columns:
        return "date"
    if column in data.numeric_columns:
        return "numeric"
    if not data.auto_detect or not values:
        return "text"
    if _share(sum(bool(DATE_LIKE_RE.match(s)) for s in strings), len(values), hinted=False):
        return "date"
    if words & DATE_WORDS and len(strings) == len(values):
        sample = strings[:200]
        parsed = sum(_timestamp(s, data.dayfirst) is not None for s in sample)
        if _share(parsed, len(sample), hinted=True):
            return "date"
    if any(_looks_like_code(v) for v in strings):
        return "text"
    numbers = sum(_parse_number(v) is not None for v in values)
    if _share(numbers, len(values), hinted=bool(words & NUMERIC_WORDS)):
        return "numeric"
    return "text"


# ------------------------------------------------------------------ the agent
def run(input: Input) -> Output:
    columns = list(dict.fromkeys(key for row in input.records for key in row))
    frame = pd.DataFrame(
        {c: pd.Series([row.get(c) for row in input.records], dtype=object) for c in columns}
    )
    log = _Log(input.max_changes)
    kinds: dict[str, Kind] = {}
    added: list[str] = []

    for column in columns:
        _apply(frame, column, log, "trim_whitespace", _trim)
        _apply(frame, column, log, "empty_to_null", _null_token)
        kind = kinds[column] = _detect(column, frame[column], input)

        if kind == "email":
            _apply(frame, column, log, "lowercase_email", _lower_email)
            flags: list[bool | None] = []
            for row, value in zip(frame.index, frame[column].tolist(), strict=True):
                if value is None:
                    flags.append(None)
                    continue
                valid = isinstance(value, str) and bool(EMAIL_RE.match(value))
                flags.append(valid)
                if not valid:
                    log.issue(int(row), column, value, "invalid email address")
            flag_column = f"{column}_valid"
            frame[flag_column] = pd.Series(flags, index=frame.index, dtype=object)
            added.append(flag_column)

        elif kind == "phone":
            code = input.default_country_code
            for row, value in zip(frame.index, frame[column].tolist(), strict=True):
                problem = None if value is None else _phone(value, code)[1]
                if problem:
                    log.issue(int(row), column, value, problem)
            rule = "phone_e164" if code else "phone_normalise"
            _apply(frame, column, log, rule, partial(_phone_value, default_code=code))

        elif kind == "numeric":
            for row, value in zip(frame.index, frame[column].tolist(), strict=True):
                if value is not None and _coerce_number(value) is None:
                    log.issue(int(row), column, value, "not a number; set to null")
            _apply(frame, column, log, "coerce_numeric", _coerce_number)

        elif kind == "date":
            cache: dict[str, pd.Timestamp | None] = {}
            for value in frame[column].tolist():
                if isinstance(value, str) and value not in cache:
                    cache[value] = _timestamp(value, input.dayfirst)
            stamps = [ts for ts in cache.values() if ts is not None]
            date_only = all(ts.tzinfo is None and ts == ts.normalize() for ts in stamps)
            for row, value in zip(frame.index, frame[column].tolist(), strict=True):
                if isinstance(value, str) and cache[value] is None:
                    log.issue(int(row), column, value, "not a date; set to null")
            to_iso = partial(_to_iso, parsed=cache, date_only=date_only)
            _apply(frame, column, log, "coerce_date", to_iso)

    # Companion flag columns go right after their email column.
    order: list[str] = []
    for column in columns:
        order.append(column)
        if f"{column}_valid" in added:
            order.append(f"{column}_valid")
    frame = frame[order]

    kept = list(frame.index)
    duplicates = 0
    if input.drop_duplicates:
        first_seen: dict[tuple[Any, ...], int] = {}
        kept = []
        for row, values in zip(frame.index, frame.itertuples(index=False, name=None), strict=True):
            key = tuple((type(v).__name__, v) for v in values)
            if key in first_seen:
                duplicates += 1
                log.change(
                    int(row),
                    None,
                    dict(zip(order, values, strict=True)),
                    None,
                    "drop_duplicate",
                    detail=f"duplicate of row {first_seen[key]}",
                )
            else:
                first_seen[key] = int(row)
                kept.append(row)
        frame = frame.loc[kept]

    records = [
        dict(zip(order, values, strict=True)) for values in frame.itertuples(index=False, name=None)
    ]
    return Output(
        records=records,
        kept_rows=[int(r) for r in kept],
        columns=[
            ColumnReport(
                name=c,
                kind=kinds[c],
                changed_cells=log.by_column[c],
                issues=log.issues_by_column[c],
            )
            for c in columns
        ],
        changes=log.changes,
        changes_truncated=log.truncated,
        issues=log.issues,
        summary=Summary(
            rows_in=len(input.records),
            rows_out=len(records),
            duplicates_dropped=duplicates,
            cells_changed=len(log.cells),
            changes_by_rule=dict(sorted(log.by_rule.items())),
            added_columns=added,
        ),
    )
