"""Seeded simulators that know their ground truth, so a learner's diagnosis can be checked.

``simulate_credit_portfolio``: a credit-scoring model's world. A training window, then
monthly production batches with (delayed) default outcomes. From ``shift_month`` on, an
economic downturn ramps in: incomes fall and credit utilization and late payments rise
(data drift in exactly those features), and debt-to-income starts to matter more for
default (concept drift: the same applicant is riskier than before).

With ``seasonal_amplitude`` above 0, loan amounts and credit utilization also follow the
calendar (a holiday peak in December, a low in June) while their relation to default stays
the same: movement a static reference reads as drift, though nothing went wrong.

``simulate_lending_decisions``: a year of a lending model's weekly decision log with protected
groups, creditworthiness learned later, and a known change: from ``shift_week`` on, the model
refuses creditworthy applicants of the protected group more often (its false negative rate
rises by ``fnr_gap``), and in one region its decisions degrade while the overall F1 holds.

``simulate_fraud_transactions``: two years of card transactions, about 1% fraud. Every year
from 20 November to 31 December, holiday shopping makes honest transactions larger, more
often online, farther from home and more frequent (data drift: the model's false alarms
multiply and its precision falls by about 40%); from ``adapt_day`` on, fraudsters imitate
honest behaviour (concept drift: the model misses more fraud).

``simulate_hr_screening``: job applicants with a known skill, screened on features and trained on
past hiring decisions, with four bias mechanisms that can be switched on and off one at a time.

``simulate_recession``: Adult Income rows "a year later", after a downturn hits some
occupations: the same kind of people (inputs resampled from the same rows), but part of
those earning over $50K in the hit occupations now earn less (concept drift only).

``simulate_loan_applicants``: loan applicants with past officers' decisions biased against women
and a career-break field that carries gender (a proxy), with each applicant's true repayment.

``simulate_recommendation_clicks``: a recommender's weekly clicks by user segment, where one
segment degrades while the overall click-through rate stays flat.
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass

import numpy as np
import pandas as pd

from model_health._validation import SEED, NumberRange, OneOf, Satisfies, validate_arguments

__all__ = ["CHURN_FEATURES", "CTR_SEGMENTS", "FLEET", "FLEET_INCIDENTS", "HR_FEATURES", "LOAN_FEATURES", "ChurnTraffic",
           "CreditPortfolio", "ModelFleet", "RecommendationClicks",
           "churn_model", "credit_model", "simulate_model_fleet",
           "fraud_features", "simulate_churn", "simulate_credit_portfolio",
           "simulate_fraud_transactions", "simulate_hr_screening", "simulate_lending_decisions",
           "simulate_loan_applicants", "simulate_recession", "simulate_recommendation_clicks"]

CREDIT_FEATURES = ("income", "debt_to_income", "credit_utilization", "late_payments", "loan_amount",
                   "employment_years", "age", "region", "loan_purpose")
DRIFTING_FEATURES = ("income", "credit_utilization", "late_payments")
SEASONAL_FEATURES = ("loan_amount", "credit_utilization")
UTILIZATION_PER_SEASON = 0.25  # credit utilization moves by this times the seasonal effect
PEAK_MONTH = 12  # the calendar month of the seasonal peak (December)
MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")  # by calendar month - 1
REGIONS = ("north", "south", "east", "west")
PURPOSES = ("car", "home", "education", "business", "other")

# Argument domains shared by the simulators (each simulator declares one per argument).
COUNT = NumberRange(1, whole=True)  # sizes: rows, days, weeks, months
OPEN_SHARE = NumberRange(0, 1, low_open=True, high_open=True)
MAX_SEVERITY = 1.5  # beyond ~1.67 late payments would signal fewer defaults: the story would invert
MAX_SEASONAL_AMPLITUDE = 1.0  # loan amounts up to e (2.7) times larger at the peak


@dataclass(frozen=True)
class CreditPortfolio:
    """The simulated portfolio and the truth behind it.

    Attributes
    ----------
    training : DataFrame
        The training window (``month`` 0): features and the 0/1 target ``default``. It spans
        one calendar year in row order: row ``i`` is from calendar month
        ``1 + 12 * i // n_training`` (January first).
    production : DataFrame
        Monthly batches (``month`` 1 to ``n_months``) with the model's inputs and the
        outcomes that arrive later. Production month ``k`` is calendar month
        ``(k - 1) % 12 + 1``: the model went live in January, after its training year.
    drifted_features : tuple of str
        Features whose distribution the downturn moves (data drift).
    concept_drift_feature : str
        Feature whose relation to default strengthens (concept drift).
    shift_month : int
        First month of the downturn; it reaches full strength ``ramp_months`` later.
    severity : float
        Strength of the downturn at full strength (1.0 is the default story).
    seed : int
        Seed that reproduces every row.
    seasonal_features : tuple of str
        Features that follow the calendar (empty without seasonality): ``loan_amount``
        (its logarithm moves by :meth:`seasonal_effect`) and ``credit_utilization`` (moves
        by ``UTILIZATION_PER_SEASON`` times it). Their relation to default does not change.
    seasonal_amplitude : float
        Size of the seasonal effect at its December peak (0 is no seasonality).
    """

    training: pd.DataFrame
    production: pd.DataFrame
    drifted_features: tuple[str, ...]
    concept_drift_feature: str
    shift_month: int
    ramp_months: int
    severity: float
    seed: int
    target: str = "default"
    features: tuple[str, ...] = CREDIT_FEATURES
    seasonal_features: tuple[str, ...] = ()
    seasonal_amplitude: float = 0.0

    def month(self, number: int) -> pd.DataFrame:
        """One month of production data (0 is the training window)."""
        if number == 0:
            return self.training
        months = sorted(self.production["month"].unique().tolist())
        if number not in months:
            raise ValueError(f"`number` must be 0 (training) or a production month {months}, got {number!r}.")
        return self.production[self.production["month"] == number]

    def downturn_strength(self, month: int) -> float:
        """How far the downturn has progressed in ``month``: 0 before it, 1 at full strength."""
        return self.severity * float(np.clip((month - self.shift_month + 1) / self.ramp_months, 0, 1))

    def calendar_month(self, month: int) -> int:
        """The calendar month (1 = January, 12 = December) of production month ``month``.

        Examples
        --------
        >>> portfolio = simulate_credit_portfolio(seed=1, n_training=1000, n_per_month=100, n_months=24)
        >>> [portfolio.calendar_month(k) for k in (1, 12, 13, 24)]
        [1, 12, 1, 12]
        """
        if month < 1:
            raise ValueError(f"`month` must be a production month (1 or later), got {month!r}; the training "
                             "window (month 0) spans a whole year.")
        return (month - 1) % 12 + 1

    def seasonal_effect(self, month: int) -> float:
        """The seasonal effect in ``month``: ``seasonal_amplitude * cos(2 pi (calendar month - 12) / 12)``.

        Highest in December (``+seasonal_amplitude``), lowest in June, 0 in March and
        September. Month 0 (the training window) spans a whole year, over which the effect
        averages to 0, so it returns 0.

        Examples
        --------
        >>> portfolio = simulate_credit_portfolio(seed=1, n_training=1000, n_per_month=100, n_months=12,
        ...                                       seasonal_amplitude=0.4)
        >>> [round(portfolio.seasonal_effect(k), 2) for k in (6, 9, 12)]
        [-0.4, 0.0, 0.4]
        """
        if month == 0:
            return 0.0
        return float(_seasonal_wave(self.seasonal_amplitude, np.array([self.calendar_month(month)]))[0])


def _seasonal_wave(amplitude: float, calendar_months: np.ndarray) -> np.ndarray:
    """The seasonal effect of each calendar month: a cosine peaking in December."""
    return amplitude * np.cos(2 * np.pi * (calendar_months - PEAK_MONTH) / 12)


def _applicants(rng: np.random.Generator, n: int, strength: float, season: np.ndarray | float = 0.0,
                loan_amount_drop: float = 0.0) -> pd.DataFrame:
    # The seasonal effect is applied to the drawn values, so it draws no random numbers:
    # with season 0 (x * exp(0) and x + 0 are x) every row is what it was without it.
    income = rng.lognormal(np.log(52_000) - 0.25 * strength, 0.45, n)
    utilization = np.clip(rng.beta(2 + 2.2 * strength, 5, n) + UTILIZATION_PER_SEASON * season, 0, 1)
    return pd.DataFrame({
        "income": income.round(-2),
        "debt_to_income": np.clip(rng.gamma(4, 0.08, n), 0, 2).round(3),
        "credit_utilization": utilization.round(3),
        "late_payments": rng.poisson(0.6 + 0.9 * strength, n),
        "loan_amount": (rng.lognormal(np.log(12_000) - loan_amount_drop * strength, 0.6, n)
                        * np.exp(season)).round(-2),
        "employment_years": rng.gamma(2, 3, n).round(1),
        "age": rng.integers(21, 70, n),
        "region": pd.Categorical(rng.choice(REGIONS, n, p=[0.3, 0.25, 0.25, 0.2]), categories=REGIONS),
        "loan_purpose": pd.Categorical(rng.choice(PURPOSES, n, p=[0.3, 0.25, 0.15, 0.15, 0.15]), categories=PURPOSES),
    })


def _defaults(rng: np.random.Generator, applicants: pd.DataFrame, strength: float) -> np.ndarray:
    # Utilization and late payments are scored against the month's own population: when the
    # downturn stretches everyone, a high value says less about a person than it used to.
    typical_utilization = (2 + 2.2 * strength) / (7 + 2.2 * strength)
    typical_late_payments = 0.6 + 0.9 * strength
    logit = (-2.3
             - 1.4 * (np.log(applicants["income"]) - np.log(52_000))
             + (4.0 + 4.0 * strength) * (applicants["debt_to_income"] - 0.32)
             + 5.0 * (1 - 0.5 * strength) * (applicants["credit_utilization"] - typical_utilization)
             + 1.1 * (1 - 0.6 * strength) * (applicants["late_payments"] - typical_late_payments)
             - 0.05 * applicants["employment_years"]
             + 0.4 * (applicants["loan_purpose"] == "business"))
    return (rng.random(len(applicants)) < 1 / (1 + np.exp(-logit.to_numpy(float)))).astype("int64")


@validate_arguments(
    seed=SEED, n_training=COUNT, n_per_month=COUNT, n_months=COUNT,
    shift_month=NumberRange(1, "n_months", whole=True), ramp_months=COUNT,
    severity=NumberRange(0, MAX_SEVERITY, note="0 is no downturn, 1 the default story."),
    seasonal_amplitude=NumberRange(0, MAX_SEASONAL_AMPLITUDE, note="0 is no seasonality; the logarithm of loan "
                                                                   "amounts moves by it at the December peak."),
    loan_amount_drop=NumberRange(0, 1, note="It lowers the logarithm of loan amounts at full strength."))
def simulate_credit_portfolio(seed: int = 2026, *, n_training: int = 20_000, n_per_month: int = 6_000,
                              n_months: int = 6, shift_month: int = 3, ramp_months: int = 3,
                              severity: float = 1.0, seasonal_amplitude: float = 0.0,
                              loan_amount_drop: float = 0.0) -> CreditPortfolio:
    """Simulate a training window and ``n_months`` production months with a downturn.

    With the defaults, the downturn starts in month 3 and is at full strength in month 5.
    :func:`credit_model` trained on the training window then loses about 15% of its F1 by
    month 6, against its F1 in months 1-2 (measured: 16.8% with seed 2026, 12-18% over
    seeds 1-6; ``tests/test_simulators.py`` holds it between 10% and 22%). The default rate
    rises from about 13% to about 17%. Other seeds tell the same story with other numbers;
    ``severity=0`` gives a world with no drift at all.

    ``seasonal_amplitude`` adds a calendar (see :meth:`CreditPortfolio.seasonal_effect`): the
    training window spans a year, production month ``k`` is calendar month
    ``(k - 1) % 12 + 1``, and in calendar month ``c`` the logarithm of ``loan_amount`` moves by
    ``seasonal_amplitude * cos(2 pi (c - 12) / 12)`` and ``credit_utilization`` by
    ``UTILIZATION_PER_SEASON`` (0.25) times that (then clipped to [0, 1]): up to the
    December peak, down to the June low. Who defaults given the features does not change.
    Against the training window, the seasonal features then look drifted around December
    and June (at 0.4, PSI above 0.25; ``tests/test_simulators.py`` holds it), while against
    the same calendar month a year earlier they stay stable. The effect is applied to the
    drawn values, so with the default 0 every row is the same as without the option.

    ``loan_amount_drop`` lowers the logarithm of loan amounts by this times the downturn's
    strength (borrowers ask for a little less): at 0.08 a shift a KS test on thousands of rows
    calls significant while its PSI stays far below 0.1, so it is not in ``drifted_features``.
    Loan amounts do not enter who defaults. The default 0 draws the same rows as before.

    Examples
    --------
    >>> portfolio = simulate_credit_portfolio(seed=1, n_training=1000, n_per_month=500)
    >>> portfolio.production.groupby("month").size().tolist()
    [500, 500, 500, 500, 500, 500]
    >>> portfolio.drifted_features
    ('income', 'credit_utilization', 'late_payments')
    """
    rng = np.random.default_rng(seed)
    seasonal_features = SEASONAL_FEATURES if seasonal_amplitude > 0 else ()
    portfolio = CreditPortfolio(pd.DataFrame(), pd.DataFrame(), DRIFTING_FEATURES, "debt_to_income",
                                shift_month, ramp_months, severity, seed, seasonal_features=seasonal_features,
                                seasonal_amplitude=float(seasonal_amplitude))
    batches = []
    for month, n in [(0, n_training)] + [(m, n_per_month) for m in range(1, n_months + 1)]:
        strength = portfolio.downturn_strength(month) if month else 0.0
        if month == 0:  # the training year, in calendar order
            season = _seasonal_wave(portfolio.seasonal_amplitude, 1 + 12 * np.arange(n) // n)
        else:
            season = portfolio.seasonal_effect(month)
        applicants = _applicants(rng, n, strength, season, loan_amount_drop)
        applicants["default"] = _defaults(rng, applicants, strength)
        applicants.insert(0, "month", month)
        batches.append(applicants)
    training = batches[0].reset_index(drop=True)
    production = pd.concat(batches[1:], ignore_index=True)
    return CreditPortfolio(training, production, DRIFTING_FEATURES, "debt_to_income", shift_month,
                           ramp_months, severity, seed, seasonal_features=seasonal_features,
                           seasonal_amplitude=float(seasonal_amplitude))


@validate_arguments(seed=SEED)
def credit_model(seed: int = 2026):
    """The credit-scoring model the notebooks deploy: gradient boosting with a tuned threshold.

    Returns an unfitted scikit-learn estimator; its ``predict`` flags a default when the
    probability is at least 0.3 (defaults are costly to miss).
    """
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import FixedThresholdClassifier

    return FixedThresholdClassifier(
        HistGradientBoostingClassifier(categorical_features="from_dtype", max_iter=150, random_state=seed),
        threshold=0.3)


RECESSION_OCCUPATIONS = ("Craft-repair", "Machine-op-inspct", "Sales", "Transport-moving")


def _non_empty_frame(value) -> pd.DataFrame:
    if not isinstance(value, pd.DataFrame) or value.empty:
        raise ValueError
    return value


def _text(value) -> str:
    if not isinstance(value, str):
        raise TypeError
    return value


def _names(value) -> tuple[str, ...]:
    if isinstance(value, (str, bytes)) or not pd.api.types.is_list_like(value):
        raise TypeError
    names = tuple(value)
    if not names or not all(isinstance(name, str) for name in names):
        raise ValueError
    return names


@validate_arguments(frame=Satisfies("a non-empty pandas DataFrame", _non_empty_frame),
                    target=Satisfies("a column name (text)", _text),
                    share=NumberRange(0, 1, note="It is the chance a high earner in a hit occupation drops."),
                    occupations=Satisfies("a non-empty list of occupation names (text)", _names), seed=SEED)
def simulate_recession(frame: pd.DataFrame, *, target: str = "income_over_50k", share: float = 0.5,
                       occupations=RECESSION_OCCUPATIONS, seed: int = 2026) -> pd.DataFrame:
    """The same population after a downturn: a bootstrap resample of ``frame`` whose labels change.

    Among the resampled rows in ``occupations`` with ``target`` = 1, each falls to 0 with
    probability ``share``; every other value is a row of ``frame`` as it was. Inputs keep their
    distribution (up to resampling noise), while the chance of the label given the inputs
    falls in those occupations: concept drift, no data drift.

    Examples
    --------
    >>> frame = pd.DataFrame({"occupation": ["Sales"] * 50 + ["Tech-support"] * 50, "income_over_50k": 1})
    >>> after = simulate_recession(frame, share=1.0)
    >>> after.groupby("occupation")["income_over_50k"].mean().to_dict()
    {'Sales': 0.0, 'Tech-support': 1.0}
    """
    if target not in frame or "occupation" not in frame:
        raise ValueError(f"simulate_recession needs the columns 'occupation' and {target!r}; the frame has "
                         f"{list(frame.columns)}.")
    rng = np.random.default_rng(seed)
    after = frame.iloc[rng.integers(0, len(frame), size=len(frame))].reset_index(drop=True)
    hit = after["occupation"].isin(occupations).to_numpy() & (after[target] == 1).to_numpy()
    drops = hit & (rng.random(len(after)) < share)
    after[target] = np.where(drops, 0, after[target]).astype(frame[target].dtype)
    return after


LENDING_GROUPS = ("group A", "group B")  # group B is the protected group whose refusals rise
LENDING_REGIONS = ("east", "north", "south", "west")


@validate_arguments(
    seed=SEED, n_weeks=COUNT, applicants_per_week=COUNT,
    volume_swing=NumberRange(0, 1, high_open=True, note="Every week needs applicants."), protected_share=OPEN_SHARE,
    shift_week=NumberRange(1, whole=True, none_allowed=True, note="None is a year with no change."),
    fnr_gap=NumberRange(0, 1, note="It is how much the protected group's FNR rises."), base_fnr=OPEN_SHARE,
    fpr=OPEN_SHARE, degraded_region=OneOf(LENDING_REGIONS, none_allowed=True),
    region_fnr_rise=NumberRange(0, 1, note="It is how much the degraded region's FNR rises."))
def simulate_lending_decisions(seed: int = 2026, *, n_weeks: int = 52, applicants_per_week: int = 400,
                               volume_swing: float = 0.7, protected_share: float = 0.2, shift_week: int | None = 27,
                               fnr_gap: float = 0.15, base_fnr: float = 0.15, fpr: float = 0.30,
                               degraded_region: str | None = "east", region_fnr_rise: float = 0.20) -> pd.DataFrame:
    """A lending model's decision log: one row per applicant, with the outcome learned later.

    Week ``w`` holds ``applicants_per_week * (1 - volume_swing * cos(2 pi (w - 1) / 52))``
    applicants (rounded): quiet around the turn of the year, busy mid-year, so some weeks are
    too small to judge.
    Columns: ``week`` (1 to ``n_weeks``), ``group`` (``LENDING_GROUPS``; the second is the
    protected group, a ``protected_share`` of applicants), ``gender`` (independent of
    everything: a second attribute whose gap stays 0), ``region``, ``creditworthy`` (1: the
    applicant repaid, the favourable truth, 70% of applicants) and ``approved`` (the model's
    decision).

    Ground truth: a creditworthy applicant is refused (a false negative) with probability
    ``base_fnr``; from ``shift_week`` on, ``base_fnr + fnr_gap`` in the protected group, and
    ``base_fnr + region_fnr_rise`` in ``degraded_region`` for both groups. A bad risk is
    approved with probability ``fpr``. ``shift_week=None`` is a year with no change: every
    FNR difference is noise.

    Examples
    --------
    >>> log = simulate_lending_decisions(seed=1, n_weeks=4, applicants_per_week=100, volume_swing=0,
    ...                                  shift_week=None)
    >>> log.shape, sorted(log["group"].unique())
    ((400, 6), ['group A', 'group B'])
    """
    if base_fnr + fnr_gap + region_fnr_rise > 1:
        raise ValueError(f"`base_fnr` + `fnr_gap` + `region_fnr_rise` must stay a probability (at most 1), got "
                         f"{base_fnr!r} + {fnr_gap!r} + {region_fnr_rise!r} = "
                         f"{base_fnr + fnr_gap + region_fnr_rise:g}.")
    weeks = np.arange(1, n_weeks + 1)
    per_week = np.round(applicants_per_week * (1 - volume_swing * np.cos(2 * np.pi * (weeks - 1) / 52))).astype(int)
    if per_week.min() < 1:
        raise ValueError(f"`applicants_per_week`={applicants_per_week!r} with `volume_swing`={volume_swing!r} leaves "
                         f"week {int(weeks[np.argmin(per_week)])} without applicants; raise applicants_per_week or "
                         "lower volume_swing.")
    rng = np.random.default_rng(seed)
    week = np.repeat(weeks, per_week)
    n = len(week)
    protected = rng.random(n) < protected_share
    region = rng.choice(np.array(LENDING_REGIONS, dtype=object), size=n)
    gender = rng.choice(np.array(["female", "male"], dtype=object), size=n)
    creditworthy = (rng.random(n) < 0.7).astype("int64")
    after = week >= shift_week if shift_week is not None else np.zeros(n, dtype=bool)
    refusal = base_fnr + fnr_gap * (after & protected) + region_fnr_rise * (after & (region == degraded_region))
    approved = np.where(creditworthy == 1, rng.random(n) >= refusal, rng.random(n) < fpr).astype("int64")
    return pd.DataFrame({"week": week, "group": np.where(protected, LENDING_GROUPS[1], LENDING_GROUPS[0]),
                         "gender": gender, "region": region, "creditworthy": creditworthy, "approved": approved})


FRAUD_FEATURES = ("log_amount", "online", "log_distance", "velocity_24h")


def _date(value) -> pd.Timestamp:
    if not isinstance(value, (str, datetime.date, np.datetime64)):
        raise TypeError
    date = pd.Timestamp(value)
    if pd.isna(date):
        raise ValueError
    return date


@validate_arguments(
    seed=SEED, n_days=COUNT, per_day=COUNT, fraud_rate=OPEN_SHARE,
    start=Satisfies("a date such as '2024-01-01'", _date),
    adapt_day=NumberRange(0, whole=True, none_allowed=True, note="None: the fraudsters never adapt."),
    holiday_strength=NumberRange(0, 12.5, note="0 is no holiday effect; the honest online share, 0.25 + 0.06 x "
                                                "strength, must stay a probability."))
def simulate_fraud_transactions(seed: int = 2026, *, n_days: int = 730, per_day: int = 300,
                                fraud_rate: float = 0.01, start: str = "2024-01-01", adapt_day: int | None = 486,
                                holiday_strength: float = 1.0) -> pd.DataFrame:
    """Card transactions with a known drift story, one row per transaction.

    Columns: ``date``, ``day`` (0 = ``start``), ``holiday`` (20 November to 31 December),
    ``amount``, ``online`` (card not present), ``distance_km`` (from home), ``velocity_24h``
    (the card's transactions in the last day), ``fraud`` (the truth, learned later) and
    ``adapted`` (a fraud by the adapted fraudsters: ground truth for the concept drift).

    Ground truth, at ``holiday_strength`` 1: in the holidays there are 80% more transactions,
    honest amounts are 16% larger, 6 points more are online, 4.2% are far from home and
    velocity rises by 0.3; fraud does not change. From ``adapt_day`` (``None``: never) fraud
    looks more honest: smaller amounts, less online, nearer home, slower. With the defaults,
    a model trained on the first 120 days loses about 40% of its precision in the first
    holiday season (``tests/test_simulators.py`` holds 30% to 50%).

    Examples
    --------
    >>> frame = simulate_fraud_transactions(seed=1, n_days=10, per_day=100)
    >>> len(frame), frame["holiday"].any()
    (1000, np.False_)
    """
    rng = np.random.default_rng(seed)
    days = pd.date_range(start, periods=n_days, freq="D")
    holiday_days = np.asarray(((days.month == 11) & (days.day >= 20)) | (days.month == 12))
    per_day_counts = np.round(per_day * (1 + 0.8 * holiday_strength * holiday_days)).astype(int)
    day = np.repeat(np.arange(n_days), per_day_counts)
    holiday = np.repeat(holiday_days, per_day_counts)
    season = holiday_strength * holiday
    n = len(day)
    fraud = rng.random(n) < fraud_rate
    adapted = fraud & (day >= adapt_day) if adapt_day is not None else np.zeros(n, dtype=bool)
    honest_amount = rng.lognormal(3.5, 0.8, n) * (1 + 0.16 * season)
    amount = np.where(fraud, rng.lognormal(np.where(adapted, 4.5, 5.2), 0.8, n), honest_amount)
    online = np.where(fraud, rng.random(n) < np.where(adapted, 0.6, 0.85), rng.random(n) < 0.25 + 0.06 * season)
    travelling = rng.random(n) < 0.042 * season
    honest_distance = np.where(travelling, rng.exponential(80, n), rng.exponential(10, n))
    distance = np.where(fraud, rng.exponential(np.where(adapted, 50, 150), n), honest_distance)
    velocity = np.where(fraud, rng.poisson(np.where(adapted, 4, 6), n), rng.poisson(2 + 0.3 * season, n))
    return pd.DataFrame({"date": days[day], "day": day, "holiday": holiday, "amount": amount.round(2),
                         "online": online.astype("int64"), "distance_km": distance.round(1),
                         "velocity_24h": velocity.astype("int64"), "fraud": fraud.astype("int64"),
                         "adapted": adapted})


def fraud_features(frame: pd.DataFrame) -> pd.DataFrame:
    """The model's inputs: log amount, online, log distance and velocity (``FRAUD_FEATURES``)."""
    return pd.DataFrame({"log_amount": np.log1p(frame["amount"]), "online": frame["online"],
                         "log_distance": np.log1p(frame["distance_km"]),
                         "velocity_24h": frame["velocity_24h"]}, index=frame.index)


HR_FEATURES = ("years_experience", "named_school", "leadership_keywords", "skills_test")


@validate_arguments(
    seed=SEED, n=COUNT, minority_share=NumberRange(0, 1, high_open=True), label_bias=NumberRange(0, 1, high_open=True),
    proxy_gap=NumberRange(0, 1, high_open=True),
    measurement_bias=NumberRange(0, 5, note="It is in standard deviations of skill; 0 is an unbiased score."))
def simulate_hr_screening(seed: int = 2026, *, n: int = 6000, minority_share: float = 0.25, label_bias: float = 0.2,
                          proxy_gap: float = 0.12, measurement_bias: float = 0.25) -> pd.DataFrame:
    """Applicants to a job, one row each, with the truth about them and the bank of past decisions.

    Columns: ``group`` ("majority" or "under-represented", a ``minority_share`` of applicants:
    **under-representation**), ``gender``, ``skill`` (the true ability, same distribution in both
    groups), ``qualified`` (the ground truth: would do the job well), the features a screening
    model sees (``HR_FEATURES``) and ``past_hired`` (the historical decision a model is trained on).

    Mechanisms, each switched off at 0:

    - ``label_bias``: a qualified under-represented applicant was hired in the past with
      probability ``1 - label_bias`` (**historical label bias**: it acts on ``past_hired``).
    - ``proxy_gap``: the under-represented group is ``proxy_gap`` less likely to hold a
      ``named_school`` degree, which past hiring favoured (**a proxy feature**).
    - ``measurement_bias``: ``leadership_keywords`` scores the group ``measurement_bias`` lower at
      equal skill (**measurement bias**).

    ``skills_test`` measures skill without bias. Measured on 60,000 applicants, a logistic
    regression trained on two thirds of them that calls back the top 30% of the rest has an
    impact ratio (under-represented over majority callback rate) of about 0.79 with the
    defaults (a 20% lower callback rate), 1.00 with every mechanism off, 0.95 with only the
    proxy and 0.86 with only measurement bias; label bias alone leaves the model's ratio at
    1.00 (the model does not see the group) but lowers the group's past hiring rate
    (``tests/test_simulators.py`` checks each).

    Examples
    --------
    >>> applicants = simulate_hr_screening(seed=1, n=1000)
    >>> sorted(applicants["group"].unique()), round(float(applicants["qualified"].mean()), 2)
    (['majority', 'under-represented'], 0.29)
    """
    rng = np.random.default_rng(seed)
    minority = rng.random(n) < minority_share
    female = rng.random(n) < 0.45
    skill = rng.normal(size=n)
    years = np.clip(rng.normal(5, 3, n), 0, None).round(1)
    qualified = (skill + 0.15 * (years - 5) / 3 + rng.normal(0, 0.5, n)) > 0.6
    named_school = rng.random(n) < np.clip(0.35 - proxy_gap * minority + 0.1 * skill, 0.01, 0.99)
    keywords = (skill + rng.normal(0, 0.7, n) - measurement_bias * minority).round(2)
    skills_test = (skill + rng.normal(0, 1.0, n)).round(2)
    hired = qualified & ~(minority & (rng.random(n) < label_bias))
    hired |= ~qualified & named_school & (rng.random(n) < 0.15)  # past hiring also favoured the named schools
    return pd.DataFrame({"group": np.where(minority, "under-represented", "majority"),
                         "gender": np.where(female, "female", "male"), "skill": skill.round(3),
                         "years_experience": years, "named_school": named_school.astype("int64"),
                         "leadership_keywords": keywords, "skills_test": skills_test,
                         "qualified": qualified.astype("int64"), "past_hired": hired.astype("int64")})


CHURN_FEATURES = ("tenure_months", "monthly_charges", "support_calls", "contract", "payment_method")
CONTRACTS = ("month-to-month", "one-year", "two-year")
PAYMENT_METHODS = ("card", "bank transfer", "electronic check")


@dataclass(frozen=True)
class ChurnTraffic:
    """A churn model's world: training customers, then weeks of scoring traffic with later outcomes.

    ``training``: one row per customer, ``CHURN_FEATURES`` and ``churned``. ``traffic``: the
    customers scored each week (``week`` 1..n, ``request_id``, ``timestamp``, the features and
    ``churned``, the outcome known a few weeks later). The ground truth: ``promotion_week``
    (from it on, a competitor's promotion), ``drifted_features``, ``billing_weeks`` (month-end
    weeks with more traffic and more churn, every month: seasonal, not drift).
    """

    training: pd.DataFrame
    traffic: pd.DataFrame
    promotion_week: int
    drifted_features: tuple[str, ...]
    billing_weeks: tuple[int, ...]


def _churn_customers(rng: np.random.Generator, n: int, promotion: float) -> pd.DataFrame:
    contract = rng.choice(CONTRACTS, n, p=np.array([0.5 + 0.2 * promotion, 0.3 - 0.1 * promotion,
                                                    0.2 - 0.1 * promotion]))
    return pd.DataFrame({
        "tenure_months": np.clip(rng.gamma(2.0, 14.0, n), 1, 72).round().astype("int64"),
        "monthly_charges": (rng.normal(65 + 12 * promotion, 18, n)).clip(18, 130).round(2),
        "support_calls": rng.poisson(1.2, n).astype("int64"),
        "contract": contract,
        "payment_method": rng.choice(PAYMENT_METHODS, n, p=[0.4, 0.3, 0.3]),
    })


def _churn_outcomes(rng: np.random.Generator, customers: pd.DataFrame, promotion: float,
                    billing: float) -> np.ndarray:
    """Who churns; ``billing`` is the month-end rise in log-odds for one- and two-year contracts (0 otherwise)."""
    logit = (-1.3 - 0.035 * customers["tenure_months"] + 0.025 * (customers["monthly_charges"] - 65)
             + 0.35 * customers["support_calls"]
             + customers["contract"].map({"month-to-month": 1.0, "one-year": -0.3, "two-year": -1.2})
             + 0.4 * (customers["payment_method"] == "electronic check")
             + billing * (customers["contract"] != "month-to-month")  # renewals come due at month end
             # The promotion targets loyal month-to-month customers, whom the model thinks safe.
             + 2.5 * promotion * ((customers["contract"] == "month-to-month") & (customers["tenure_months"] > 24))
             - 3.0 * promotion * (customers["tenure_months"] <= 24))
    return (rng.random(len(customers)) < 1 / (1 + np.exp(-logit))).astype("int64")


@validate_arguments(seed=SEED, n_training=COUNT, n_weeks=COUNT, per_week=COUNT,
                    promotion_week=NumberRange(1, whole=True, note="A week after n_weeks is a promotion still to "
                                                                     "come."),
                    billing_churn=NumberRange(0, 5, note="It is on the log-odds scale; 0 is no month-end effect."))
def simulate_churn(seed: int = 2026, *, n_training: int = 8_000, n_weeks: int = 8, per_week: int = 1_000,
                   promotion_week: int = 6, billing_churn: float = 1.3) -> ChurnTraffic:
    """Customers of a subscription business, and ``n_weeks`` weeks of churn-model traffic.

    Every fourth week is a billing week (month-end: 40% more customers are scored, and renewals
    come due, so customers on one- and two-year contracts, whom the model thinks safe, churn more:
    ``billing_churn`` more in log-odds; the same way every month), which a static threshold
    misreads as a problem.
    From ``promotion_week`` on, a competitor's promotion moves customers to month-to-month
    contracts and higher charges (data drift in ``contract`` and ``monthly_charges``), makes
    loyal month-to-month customers (tenure over 24 months), whom the model thinks safe, leave far
    more often, and newer customers (24 months or less) stay (concept drift: the model's F1 falls). ``tests/test_simulators.py`` checks each part of the story.

    Examples
    --------
    >>> world = simulate_churn(seed=1, n_training=500, n_weeks=4, per_week=100)
    >>> len(world.training), sorted(world.traffic["week"].unique().tolist()), world.billing_weeks
    (500, [1, 2, 3, 4], (4,))
    """
    rng = np.random.default_rng(seed)
    training = _churn_customers(rng, n_training, promotion=0.0)
    training["churned"] = _churn_outcomes(rng, training, promotion=0.0, billing=0.0)
    weeks, billing_weeks = [], tuple(week for week in range(1, n_weeks + 1) if week % 4 == 0)
    for week in range(1, n_weeks + 1):
        billing = float(week in billing_weeks)
        promotion = float(week >= promotion_week)
        customers = _churn_customers(rng, int(per_week * (1 + 0.4 * billing)), promotion)
        customers["churned"] = _churn_outcomes(rng, customers, promotion, billing_churn * billing)
        customers.insert(0, "timestamp", pd.Timestamp("2026-03-02") + pd.Timedelta(days=7 * (week - 1))
                         + pd.to_timedelta(rng.integers(0, 7 * 24 * 3600, len(customers)), unit="s"))
        customers.insert(0, "request_id", [f"w{week}-{number:05d}" for number in range(len(customers))])
        customers.insert(0, "week", week)
        weeks.append(customers.sort_values("timestamp", kind="stable"))
    traffic = pd.concat(weeks, ignore_index=True)
    return ChurnTraffic(training=training, traffic=traffic, promotion_week=promotion_week,
                        drifted_features=("contract", "monthly_charges"), billing_weeks=billing_weeks)


def churn_model(training: pd.DataFrame):
    """The deployed churn model: scaled numbers, one-hot categories, logistic regression, fitted."""
    from sklearn.compose import make_column_transformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    numbers, categories = ["tenure_months", "monthly_charges", "support_calls"], ["contract", "payment_method"]
    model = make_pipeline(make_column_transformer((StandardScaler(), numbers),
                                                  (OneHotEncoder(handle_unknown="ignore"), categories)),
                          LogisticRegression(max_iter=1000))
    return model.fit(training[list(CHURN_FEATURES)], training["churned"])


FLEET = (  # name, model type, owner team, risk tier, predictions per day
    ("churn-eu", "logistic regression", "retention", "limited", 400),
    ("churn-us", "gradient boosting", "retention", "limited", 600),
    ("fraud-card", "gradient boosting", "payments", "high", 800),
    ("fraud-wire", "random forest", "payments", "high", 300),
    ("credit-limit", "logistic regression", "risk", "high", 350),
    ("loan-approval", "gradient boosting", "risk", "high", 450),
    ("hr-screening", "logistic regression", "people", "high", 200),
    ("upsell-propensity", "neural network", "growth", "limited", 700),
    ("stockout-risk", "gradient boosting", "supply", "minimal", 250),
    ("spam-filter", "naive Bayes", "it", "minimal", 900),
    ("support-escalation", "random forest", "support", "limited", 300),
    ("price-sensitivity", "neural network", "pricing", "limited", 500),
)


@dataclass(frozen=True)
class ModelFleet:
    """Prediction logs of many models (JSON lines, one file per model and day) and the truth about them.

    ``models``: one row per model (``model``, ``type``, ``owner``, ``risk_tier``). ``log_dir``:
    ``<model>/day-NN.jsonl`` files, each line a logged prediction (``model``, ``request_id``,
    ``ts`` in epoch seconds, ``latency_ms``, ``score``, ``prediction``, ``label`` (null until the
    outcome arrived), ``feature_1``, ``segment``, ``group_attr``). ``incidents``: the injected
    problems, model -> (kind, first day).
    """

    models: pd.DataFrame
    log_dir: object
    incidents: dict
    start: pd.Timestamp
    days: int


FLEET_INCIDENTS = {
    "fraud-wire": ("performance", 7),  # the outcome stops following the score: F1 falls
    "upsell-propensity": ("drift", 9),  # feature_1 shifts by one standard deviation
    "support-escalation": ("latency", 8),  # responses three times slower
    "loan-approval": ("fairness", 10),  # group B selected far less often
    "spam-filter": ("stale labels", 6),  # outcomes stop arriving
}


def _folder(value) -> os.PathLike | str:
    if not isinstance(value, (str, os.PathLike)) or not str(value):
        raise TypeError
    return value


@validate_arguments(
    log_dir=Satisfies("a folder path (str or pathlib.Path)", _folder), seed=SEED, days=COUNT,
    label_delay_days=NumberRange(0, whole=True),
    scale=NumberRange(0.01, 100, note="It multiplies each model's daily volume; below 0.01 the smallest model "
                                      "would log nothing."))
def simulate_model_fleet(log_dir, seed: int = 2026, *, days: int = 14, label_delay_days: int = 2,
                         scale: float = 1.0) -> ModelFleet:
    """Write ``days`` days of prediction logs for the 12 models of ``FLEET`` into ``log_dir``.

    Each model scores its traffic (``scale`` times its daily volume) with latency around
    40-120 ms; outcomes arrive ``label_delay_days`` after the prediction (rows younger than that
    at the end of the period have no label). ``FLEET_INCIDENTS`` lists the five injected
    problems; every other model stays healthy. ``tests/test_observability.py`` checks each.
    An incident whose first day is after ``days`` does not happen, and is not in ``incidents``.
    """
    import json
    from pathlib import Path

    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2026-06-01")
    end_ts = int((start + pd.Timedelta(days=days)).timestamp())
    log_dir = Path(log_dir)
    for index, (name, _, _, _, per_day) in enumerate(FLEET):
        kind, first_day = FLEET_INCIDENTS.get(name, (None, days + 1))
        base_latency = 40 + 8 * index
        (log_dir / name).mkdir(parents=True, exist_ok=True)
        for day in range(1, days + 1):
            n = int(per_day * scale * rng.uniform(0.9, 1.1))
            broken = day >= first_day
            group = rng.choice(["A", "B"], n, p=[0.6, 0.4])
            segment = rng.choice(["web", "app", "store"], n)
            feature = rng.normal(1.0 if kind == "drift" and broken else 0.0, 1.0, n)
            score = 1 / (1 + np.exp(-(1.6 * feature + rng.normal(0, 1.0, n) - 0.4
                                      - (1.5 if kind == "fairness" and broken else 0.0) * (group == "B"))))
            truth_score = score if not (kind == "performance" and broken) else rng.random(n)
            label = (rng.random(n) < np.clip(0.1 + 0.8 * truth_score, 0, 1)).astype(int)
            ts = (int((start + pd.Timedelta(days=day - 1)).timestamp()) + np.sort(rng.integers(0, 86400, n)))
            latency = rng.lognormal(np.log(base_latency), 0.35, n) * (3.0 if kind == "latency" and broken else 1.0)
            known = ts <= end_ts - label_delay_days * 86400
            if kind == "stale labels":
                known &= ts < int((start + pd.Timedelta(days=first_day - 1)).timestamp())
            lines = [json.dumps({"model": name, "request_id": f"{name}-{day:02d}-{row:05d}", "ts": int(ts[row]),
                                 "latency_ms": round(float(latency[row]), 2), "score": round(float(score[row]), 5),
                                 "prediction": int(score[row] >= 0.5), "label": int(label[row]) if known[row] else None,
                                 "feature_1": round(float(feature[row]), 4),
                                 "segment": str(segment[row]), "group_attr": str(group[row])})
                     for row in range(n)]
            (log_dir / name / f"day-{day:02d}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    models = pd.DataFrame([{"model": name, "type": kind, "owner": owner, "risk_tier": tier}
                           for name, kind, owner, tier, _ in FLEET])
    incidents = {name: (kind, first_day) for name, (kind, first_day) in FLEET_INCIDENTS.items() if first_day <= days}
    return ModelFleet(models=models, log_dir=log_dir, incidents=incidents, start=start, days=days)


LOAN_FEATURES = ("income_k", "debt_ratio", "credit_history_years", "career_break")


@validate_arguments(
    seed=SEED, n=COUNT, women_share=OPEN_SHARE,
    officer_bias=NumberRange(0, 10, note="It is on the log-odds scale; 0 is unbiased officers."),
    proxy_gap=NumberRange(0, 0.9, note="It is a difference of two shares: women had a career break 0.10 + "
                                       "proxy_gap of the time, men 0.10."))
def simulate_loan_applicants(seed: int = 2026, *, n: int = 8_000, women_share: float = 0.5,
                             officer_bias: float = 1.2, proxy_gap: float = 0.45) -> pd.DataFrame:
    """Loan applicants, past loan officers' decisions, and whether each applicant would repay.

    Columns: ``woman`` (1 for a woman; never a model input), the four ``LOAN_FEATURES``,
    ``would_repay`` (the truth, the same function of income, debt and history for everyone) and
    ``approved_past`` (the officers' decision, which a model learns from).

    Ground truth: ``career_break`` says nothing about repaying, but women had one
    ``proxy_gap`` more often (55% vs 10% at the default), so it is a proxy for gender. The
    officers approved women less often at equal creditworthiness (``officer_bias`` on the log-odds
    scale): historical bias in the labels. A model trained on ``approved_past`` without ``woman``
    learns to penalise ``career_break`` and so still approves creditworthy women less often.
    ``officer_bias=0`` removes the bias; ``proxy_gap=0`` makes career breaks independent of gender.

    Examples
    --------
    >>> applicants = simulate_loan_applicants(seed=1, n=1000)
    >>> applicants.groupby("woman")["career_break"].mean().round(1).tolist()
    [0.1, 0.6]
    """
    rng = np.random.default_rng(seed)
    woman = rng.random(n) < women_share
    income_k = rng.lognormal(np.log(48), 0.35, n)
    debt_ratio = rng.beta(2, 5, n)
    history = rng.gamma(3.0, 3.0, n).clip(0, 40)
    career_break = rng.random(n) < np.where(woman, 0.10 + proxy_gap, 0.10)
    creditworthiness = 1.0 + 2.0 * np.log(income_k / 48) - 5.0 * (debt_ratio - 0.28) + 0.08 * (history - 9)
    would_repay = rng.random(n) < 1 / (1 + np.exp(-creditworthiness))
    officer_view = creditworthiness - officer_bias * woman + rng.normal(0, 0.5, n)
    approved_past = rng.random(n) < 1 / (1 + np.exp(-officer_view))
    return pd.DataFrame({"woman": woman.astype("int64"), "income_k": income_k.round(1),
                         "debt_ratio": debt_ratio.round(3), "credit_history_years": history.round(1),
                         "career_break": career_break.astype("int64"), "would_repay": would_repay.astype("int64"),
                         "approved_past": approved_past.astype("int64")})


CTR_SEGMENTS = ("new / app", "new / web", "returning / app", "returning / web")


@dataclass(frozen=True)
class RecommendationClicks:
    """Weekly impressions, clicks and negative feedback of a recommender, by user segment.

    ``log``: one row per week and segment (``week``, ``segment``, ``impressions``, ``clicks``,
    ``hides``: "not interested" clicks). The truth: from ``change_week`` on, the
    ``degraded_segment`` clicks less and hides more, while returning users click slightly more,
    so the overall click-through rate stays flat.
    """

    log: pd.DataFrame
    change_week: int
    degraded_segment: str


@validate_arguments(seed=SEED, n_weeks=NumberRange(2, whole=True),
                    change_week=NumberRange(2, "n_weeks", whole=True), impressions_per_week=COUNT,
                    degraded_segment=OneOf(CTR_SEGMENTS))
def simulate_recommendation_clicks(seed: int = 2026, *, n_weeks: int = 12, change_week: int = 7,
                                   impressions_per_week: int = 200_000,
                                   degraded_segment: str = "new / app") -> RecommendationClicks:
    """A recommender whose overall CTR holds steady while one user segment gets worse.

    Before ``change_week`` each segment clicks at its own steady rate. From then on the
    ``degraded_segment`` clicks 40% less and hides four times as often (recommendations stopped
    fitting it), and the other returning users' click rate rises just enough that the overall
    CTR stays within 2% of its level before.

    Examples
    --------
    >>> world = simulate_recommendation_clicks(seed=1, n_weeks=3, change_week=2)
    >>> world.log.shape, world.degraded_segment
    ((12, 5), 'new / app')
    """
    rng = np.random.default_rng(seed)
    base_share = {"new / app": 0.20, "new / web": 0.15, "returning / app": 0.40, "returning / web": 0.25}
    base_ctr = {"new / app": 0.050, "new / web": 0.040, "returning / app": 0.060, "returning / web": 0.045}
    rows = []
    for week in range(1, n_weeks + 1):
        changed = week >= change_week
        share = dict(base_share)
        ctr = dict(base_ctr)
        hide_rate = dict.fromkeys(CTR_SEGMENTS, 0.004)
        if changed:
            lost = 0.4 * base_ctr[degraded_segment] * base_share[degraded_segment]
            ctr[degraded_segment] *= 0.6
            hide_rate[degraded_segment] *= 4
            # Returning users make up what the degraded segment lost, so the total barely moves.
            returning = [s for s in CTR_SEGMENTS if s.startswith("returning") and s != degraded_segment]
            for segment in returning:
                ctr[segment] += lost / sum(base_share[s] for s in returning)
        for segment in CTR_SEGMENTS:
            impressions = int(impressions_per_week * share[segment] * rng.uniform(0.97, 1.03))
            clicks = rng.binomial(impressions, ctr[segment])
            hides = rng.binomial(impressions, hide_rate[segment])
            rows.append((week, segment, impressions, clicks, hides))
    log = pd.DataFrame(rows, columns=["week", "segment", "impressions", "clicks", "hides"])
    return RecommendationClicks(log=log, change_week=change_week, degraded_segment=degraded_segment)
