"""Sales Forecast

Forecasts the next periods of a sales series with Holt-Winters exponential smoothing, with
prediction intervals.

The agent fits an additive-trend Holt-Winters model (statsmodels ExponentialSmoothing) to your
history, oldest value first. When the series holds at least two full seasons of the period you
give (for example 24 monthly values for a yearly season of 12), it adds an additive seasonal
component; otherwise it fits trend only and says so. Prediction intervals come from 2,000
simulated future paths with bootstrapped residuals, drawn with a fixed seed so the same history
always gives the same forecast. The fit quality (RMSE, MAPE) and the smoothing parameters are
reported alongside.

Features:
- Holt-Winters with additive trend, seasonal when two full seasons are available
- Prediction intervals at the confidence level you choose
- Optional calendar dates for the forecast periods
- Deterministic: a fixed simulation seed

Category: Analytics
Price cents: 2500
Currency: USD
Icon: 📈
Version: 1.0.0
"""

from __future__ import annotations

import math
import warnings
from datetime import date
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator
from statsmodels.tsa.holtwinters import ExponentialSmoothing

MIN_POINTS = 8
MAX_POINTS = 10_000
SIMULATIONS = 2_000
SEED = 20_240_601
FREQUENCIES = {"day": "D", "week": "W-MON", "month": "MS", "quarter": "QS", "year": "YS"}


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid")

    series: list[float] = Field(
        description=f"Sales per period, oldest first; at least {MIN_POINTS} values"
    )
    seasonal_period: int | None = Field(
        default=12,
        ge=2,
        le=366,
        description="Length of one season in periods (12 for monthly data); null for none",
    )
    horizon: int = Field(default=6, ge=1, le=120, description="How many periods to forecast")
    confidence: float = Field(default=0.9, gt=0.5, lt=1.0, description="Interval level")
    start_date: date | None = Field(
        default=None, description="Date of the first value of the series, to label periods"
    )
    frequency: Literal["day", "week", "month", "quarter", "year"] = "month"

    @field_validator("series")
    @classmethod
    def _check_series(cls, series: list[float]) -> list[float]:
        if len(series) < MIN_POINTS:
            raise ValueError(
                f"series has {len(series)} value(s); at least {MIN_POINTS} are needed to fit "
                "a trend model"
            )
        if len(series) > MAX_POINTS:
            raise ValueError(f"series has more than {MAX_POINTS} values")
        if not all(math.isfinite(v) for v in series):
            raise ValueError("series values must be finite numbers")
        return series


class ForecastPoint(BaseModel):
    step: int
    date: date | None
    value: float
    lower: float
    upper: float


class Output(BaseModel):
    method: str
    seasonal: bool
    seasonal_period: int | None
    confidence: float
    forecast: list[ForecastPoint]
    trend_per_period: float = Field(description="The fitted trend at the end of the history")
    rmse: float
    mape: float | None = Field(description="Mean absolute percentage error in %, if no zeros")
    parameters: dict[str, float]
    notes: list[str]


def _labels(start: date | None, frequency: str, n_history: int, horizon: int) -> list[date | None]:
    if start is None:
        return [None] * horizon
    index = pd.date_range(
        pd.Timestamp(start), periods=n_history + horizon, freq=FREQUENCIES[frequency]
    )
    return [ts.date() for ts in index[n_history:]]


def run(input: Input) -> Output:
    y = np.asarray(input.series, dtype=float)
    n = len(y)
    notes: list[str] = []
    period = input.seasonal_period
    seasonal = period is not None and n >= 2 * period
    if period is not None and not seasonal:
        notes.append(
            f"Seasonality left out: {n} values are fewer than two full seasons "
            f"({2 * period}) of period {period}."
        )
    if input.start_date is not None and input.frequency == "week":
        notes.append("Weekly dates are aligned to Mondays.")

    model = ExponentialSmoothing(
        y,
        trend="add",
        seasonal="add" if seasonal else None,
        seasonal_periods=period if seasonal else None,
        initialization_method="estimated",
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = model.fit(optimized=True)
    for warning in caught:
        text = str(warning.message).strip()
        if text and f"Fit warning: {text}" not in notes:
            notes.append(f"Fit warning: {text}")

    point = np.asarray(fit.forecast(input.horizon), dtype=float)
    residuals = y - np.asarray(fit.fittedvalues, dtype=float)
    rmse = float(np.sqrt(np.mean(residuals**2)))
    if rmse > 0:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            simulated = fit.simulate(
                input.horizon,
                repetitions=SIMULATIONS,
                error="add",
                random_errors="bootstrap",
                rng=np.random.RandomState(SEED),
            )
        paths = np.asarray(simulated, dtype=float).reshape(input.horizon, SIMULATIONS)
        tail = (1 - input.confidence) / 2 * 100
        lower = np.percentile(paths, tail, axis=1)
        upper = np.percentile(paths, 100 - tail, axis=1)
        # Keep the point forecast inside its interval even when the simulation is skewed.
        lower, upper = np.minimum(lower, point), np.maximum(upper, point)
        # When the fit finds level and trend all but fixed (smoothing near 0), the simulated
        # paths share one trend and the interval stops widening, as if the trend were known
        # exactly. It is not: widen at least like a random walk, sqrt(h) times the first step.
        growth = np.sqrt(np.arange(1, input.horizon + 1, dtype=float))
        below = np.maximum.accumulate(np.maximum(point - lower, (point[0] - lower[0]) * growth))
        above = np.maximum.accumulate(np.maximum(upper - point, (upper[0] - point[0]) * growth))
        lower, upper = point - below, point + above
    else:
        lower = upper = point
        notes.append("The model fits the history exactly, so the interval has no width.")

    nonzero = y != 0
    mape = float(np.mean(np.abs(residuals[nonzero] / y[nonzero])) * 100) if nonzero.all() else None
    params = {
        key: float(fit.params[key])
        for key in ("smoothing_level", "smoothing_trend", "smoothing_seasonal")
        if fit.params.get(key) is not None and not np.isnan(fit.params[key])
    }
    trend = float(np.asarray(fit.trend)[-1])
    labels = _labels(input.start_date, input.frequency, n, input.horizon)
    method = "Holt-Winters exponential smoothing, additive trend" + (
        f", additive seasonality (period {period})" if seasonal else ", no seasonality"
    )
    return Output(
        method=method,
        seasonal=seasonal,
        seasonal_period=period if seasonal else None,
        confidence=input.confidence,
        forecast=[
            ForecastPoint(
                step=i + 1,
                date=labels[i],
                value=round(float(point[i]), 4),
                lower=round(float(lower[i]), 4),
                upper=round(float(upper[i]), 4),
            )
            for i in range(input.horizon)
        ],
        trend_per_period=round(trend, 4),
        rmse=round(rmse, 4),
        mape=None if mape is None else round(mape, 4),
        parameters={k: round(v, 6) for k, v in params.items()},
        notes=notes,
    )
