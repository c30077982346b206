"""Exercises of notebook 05, Diagnose and mitigate post-launch drift (credit-portfolio simulator).

Checkers recompute every expected value from the learner's portfolio and model with the
reference code (``model_health.drift``, ``model_health.simulators``), and compare the
diagnosis with the simulator's ground truth. Values a learner computes are right to 3
significant digits (``close_enough``, relative, so tiny p-values compare too). Where a
wrong method could hit the right value on this data, the learner writes a function and the
check runs it on cases they have not seen (q2 to q7). Reference model fits are cached
by a digest of their data, so a check repeated on the same data answers at once.
"""

from __future__ import annotations

from types import MappingProxyType

import numpy as np
import pandas as pd

from model_health.drift import (
    DECILES,
    PSI_ALERT,
    PSI_WATCH,
    categorical_psi,
    drift_table,
    population_stability_index,
    psi_band,
)
from model_health.drift import psi_from_counts  # the one PSI formula, for the wrong-bins mistakes
from model_health.teaching.grading import (
    Claim,
    Exercise,
    ExerciseSet,
    Incorrect,
    WrittenAnswer,
    as_option,
    cached_by_data_digest,
    call_learner_function,
    close_enough,
    expect_close,
    expect_number,
    format_distinct,
)
from model_health.monitoring import MonitoringPolicy, replay_policy
from model_health.simulators import MONTH_NAMES, credit_model

NOTEBOOK = "05_diagnose_post_launch_drift"


@cached_by_data_digest
def _outcomes_and_predictions(model, production: pd.DataFrame, features: tuple) -> dict[int, tuple]:
    """Per month: (outcomes, the model's predictions), as read-only arrays."""
    from threadpoolctl import threadpool_limits

    pairs = {}
    with threadpool_limits(limits=1, user_api="openmp"):  # see _fitted_credit_model
        for month, batch in production.groupby("month"):
            pair = (batch["default"].to_numpy(), np.asarray(model.predict(batch[list(features)])))
            for array in pair:
                array.setflags(write=False)
            pairs[int(month)] = pair
    return pairs


def deployed_outcomes(ns) -> dict[int, tuple]:
    """Per production month: (outcomes, the deployed model's predictions)."""
    portfolio, features = ns["portfolio"], tuple(ns["FEATURES"])
    return _outcomes_and_predictions(ns["model"], portfolio.production[["month", "default", *features]], features)


def reference_f1_by_month(ns) -> pd.Series:
    from sklearn.metrics import f1_score

    return pd.Series({month: f1_score(*pair) for month, pair in deployed_outcomes(ns).items()},
                     name="f1").rename_axis("month")


def reference_drift(ns) -> pd.DataFrame:
    features = ns["FEATURES"]
    return drift_table(ns["portfolio"].training[features], ns["portfolio"].month(6)[features])


@cached_by_data_digest
def _fitted_credit_model(seed, features: pd.DataFrame, outcome: pd.Series):
    """``credit_model(seed)`` fit on these rows, in this order (above 10,000 rows its early-stopping
    split depends on row order). One OpenMP thread: the same trees, and on a busy 2-core machine
    ten times faster than two threads competing for the cores."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="openmp"):
        return credit_model(seed).fit(features, outcome)


def _f1_of(model, rows: pd.DataFrame, features: list[str]) -> float:
    """F1 of ``model`` on ``rows`` (one OpenMP thread, see :func:`_fitted_credit_model`)."""
    from sklearn.metrics import f1_score
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="openmp"):
        return float(f1_score(rows["default"], model.predict(rows[features])))


def _refit_f1(seed, fit_rows: pd.DataFrame, scored_rows: pd.DataFrame, features: list[str]) -> float:
    """F1 on ``scored_rows`` of ``credit_model(seed)`` fit on ``fit_rows``."""
    return _f1_of(_fitted_credit_model(seed, fit_rows[features], fit_rows["default"]), scored_rows, features)


def _as_series_by_month(name: str, value, expected: pd.Series, *, months: str = "the production months"
                        ) -> pd.Series:
    """A learner's values per month (a Series, a one-column DataFrame or a dict, in any order) as floats in
    ``expected``'s order."""
    if isinstance(value, dict):
        value = pd.Series(value, dtype=object)
    if isinstance(value, pd.DataFrame) and value.shape[1] == 1:  # series.to_frame("f1"): the same values
        value = value.iloc[:, 0]
    if not isinstance(value, pd.Series):
        raise Incorrect(f"`{name}` should be a pandas Series indexed by month, got {type(value).__name__}.")
    index, wanted = value.index.tolist(), expected.index.tolist()
    if len(index) == len(wanted) and set(index) == set(range(len(wanted))) != set(wanted):
        raise Incorrect(f"`{name}` is indexed 0 to {len(wanted) - 1} (a reset index?); index it by month: "
                        f"{months} {wanted}.")
    if len(index) != len(wanted) or set(index) != set(wanted):
        raise Incorrect(f"`{name}` has index {index}; expected {months} {wanted}.")
    return pd.Series([expect_number(f"{name}[{month}]", value[month]) for month in expected.index],
                     index=expected.index, dtype=float)


class _SeriesAnswer(Exercise):
    """An exercise whose answer, a value per month or per feature, later cells use as a Series."""

    def carry_forward(self):
        answer = super().carry_forward()
        return pd.Series(answer, dtype=float) if isinstance(answer, dict) else answer


class F1ByMonth(_SeriesAnswer):
    title = "F1 of the deployed model, month by month"
    reads = ("f1_by_month",)
    hints = (
        "portfolio.month(k) is month k's batch; its 'default' column holds the outcomes that arrived later.",
        "For each month: f1_score(batch['default'], model.predict(batch[FEATURES])).",
        "Collect them in a pd.Series indexed by month, e.g. pd.Series({k: ... for k in range(1, 7)}).",
    )

    def expect(self, ns, f1_by_month):
        from sklearn.metrics import accuracy_score, recall_score

        expected = reference_f1_by_month(ns)
        mine = _as_series_by_month("f1_by_month", f1_by_month, expected)
        outcomes = deployed_outcomes(ns)
        accuracy = pd.Series({m: accuracy_score(*pair) for m, pair in outcomes.items()})
        recall = pd.Series({m: recall_score(*pair) for m, pair in outcomes.items()})
        # Accuracy of predicting "repays" for everyone: what accuracy must beat to mean anything.
        all_repay = pd.Series({m: 1 - float(np.mean(pair[0])) for m, pair in outcomes.items()})
        beaten = int((all_repay > accuracy).sum())
        if close_enough(mine, accuracy):
            raise Incorrect(f"These are accuracies. With few defaults, predicting 'repays' for everyone scores "
                            f"{all_repay.min():.2f} to {all_repay.max():.2f} here, above the model in {beaten} of "
                            f"{len(accuracy)} months: accuracy cannot say what broke. Compute F1 on defaults.")
        if close_enough(mine, recall):
            raise Incorrect("These are recalls; F1 also accounts for precision.")
        wrong = [m for m in expected.index if not close_enough(mine[m], expected[m])]
        if wrong:
            raise Incorrect(f"F1 for month(s) {wrong} does not match the deployed model on that month's batch "
                            f"(month {wrong[0]}: yours {format_distinct(mine[wrong[0]], expected[wrong[0]])}).")
        return (f"F1 went from {expected.iloc[0]:.3f} in month 1 to {expected.iloc[-1]:.3f} in month 6 "
                f"({1 - expected.iloc[-1] / expected.iloc[0]:.0%} lower). Accuracy alone would mislead: in "
                f"{beaten} of {len(accuracy)} months, predicting 'repays' for everyone scores higher than the model.")

    def reference(self, ns):
        return reference_f1_by_month(ns)


def _first_month_below(f1: pd.Series, baseline_f1: float, tolerance: float) -> int | None:
    below = f1[f1 < (1 - tolerance) * baseline_f1]
    return int(below.index.min()) if len(below) else None


def reference_first_degraded_month(ns) -> int | None:
    return _first_month_below(reference_f1_by_month(ns), ns["baseline_f1"], ns["DEGRADATION_TOLERANCE"])


def _expect_month_or_none(name: str, value) -> int | None:
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer, float, np.floating)):
        raise Incorrect(f"`{name}` should be a month number (or None when no month is below the line), got "
                        f"{type(value).__name__}.")
    if not float(value).is_integer():
        raise Incorrect(f"`{name}` should be a month number (or None when no month is below the line), got "
                        f"{value!r}.")
    return int(value)


# Cases the learner has not seen: (description, F1 by month, baseline F1, tolerance). In the first, month 1
# is well above the launch baseline, so a line drawn from month 1 crosses earlier; in the last, a 10%
# tolerance gives another month than the 20% asked for.
_UNSEEN_F1_CASES = (
    ("a launch baseline below month 1's F1", pd.Series({1: 0.62, 2: 0.60, 3: 0.55, 4: 0.50, 5: 0.46, 6: 0.44}),
     0.52, 0.10),
    ("no month below the line", pd.Series({1: 0.50, 2: 0.49, 3: 0.48, 4: 0.47}), 0.50, 0.10),
    ("a 20% tolerance", pd.Series({1: 0.50, 2: 0.45, 3: 0.41, 4: 0.39, 5: 0.38}), 0.50, 0.20),
)


class FirstDegradedMonth(Exercise):
    title = "When did performance degrade?"
    reads = ("first_month_below_line", "degradation_line", "first_degraded_month")
    hints = (
        "Degraded means F1 below (1 - tolerance) * baseline_f1: the line is drawn from the F1 at launch, not "
        "from month 1. degradation_line is that line for DEGRADATION_TOLERANCE.",
        "Filter f1_by_month with that condition and take the smallest month of what is left; None if nothing is.",
    )

    def expect(self, ns, first_month_below_line, degradation_line, first_degraded_month):
        f1 = reference_f1_by_month(ns)
        baseline, tolerance = ns["baseline_f1"], ns["DEGRADATION_TOLERANCE"]
        line = (1 - tolerance) * baseline
        # Month 1's F1 can put the line on the same side of every month as the launch baseline does: the line
        # itself shows which F1 it was drawn from.
        expect_close("degradation_line", expect_number("degradation_line", degradation_line), line, mistakes={
            "drawn from month 1's F1; the line is relative to baseline_f1, the F1 the model was approved with.":
                (1 - tolerance) * f1.iloc[0],
            "that is the tolerance's share of baseline_f1; the line is (1 - DEGRADATION_TOLERANCE) * baseline_f1.":
                tolerance * baseline,
            "that is baseline_f1 itself; a month is degraded only when it is DEGRADATION_TOLERANCE below it.":
                baseline,
        })
        for description, case_f1, baseline, tolerance in _UNSEEN_F1_CASES:
            month = _expect_month_or_none(
                f"first_month_below_line(...) for {description}",
                call_learner_function(first_month_below_line, case_f1.copy(), baseline, tolerance,
                                      name="first_month_below_line"))
            expected = _first_month_below(case_f1, baseline, tolerance)
            if month == expected:
                continue
            shown = f"On F1 {case_f1.round(2).to_dict()} with baseline_f1={baseline} and tolerance={tolerance}"
            if month == _first_month_below(case_f1, case_f1.iloc[0], tolerance):
                raise Incorrect(f"{shown}, your function returns month {month}: it draws the line from month 1's "
                                "F1. The line is relative to baseline_f1, the F1 the model was approved with.")
            if month == _first_month_below(case_f1, baseline, ns["DEGRADATION_TOLERANCE"]):
                raise Incorrect(f"{shown}, your function returns month {month}: it uses DEGRADATION_TOLERANCE "
                                "instead of its `tolerance` argument.")
            if month is not None and month == int(case_f1.idxmin()):
                raise Incorrect(f"{shown}, your function returns month {month}: the worst month, not the first one "
                                "below the line.")
            if expected is None:
                raise Incorrect(f"{shown}, no month is below the line, so your function should return None; it "
                                f"returns {month!r}.")
            raise Incorrect(f"{shown}, the first month below the line is not {month!r}.")
        expected = reference_first_degraded_month(ns)
        month = _expect_month_or_none("first_degraded_month", first_degraded_month)
        if month is None and expected is not None:
            raise Incorrect(f"`first_degraded_month` is None, but at least one month's F1 is below the line "
                            f"({line:.3f}): expected the number of the first such month.")
        if month != expected:
            shown = "None" if expected is None else f"month {expected}"
            raise Incorrect(f"`first_degraded_month` is {month!r}, not what `first_month_below_line(f1_by_month, "
                            f"baseline_f1, DEGRADATION_TOLERANCE)` gives ({shown}): apply your function to "
                            "this notebook's values.")
        if expected is None:
            return f"No month's F1 is below the line ({line:.3f})."
        return (f"Month {expected}, the first below F1 {line:.3f}. Labels arrive later, so a label-based alarm hears "
                "of it even later: watch the inputs too.")


def _psi_with_edges(reference, current, *, side: str) -> float:
    """PSI at the reference's deciles with ``searchsorted``'s ``side``: "left" puts a value equal to
    an edge in the bin below, ``(a, b]`` (the workbook's); "right" in the bin above, ``[a, b)``
    (np.digitize's default)."""
    reference, current = np.asarray(reference, dtype=float), np.asarray(current, dtype=float)
    edges = np.unique(np.quantile(reference, DECILES))
    return psi_from_counts(*(np.bincount(np.searchsorted(edges, sample, side=side), minlength=len(edges) + 1)
                              for sample in (reference, current)))


UPPER_BIN_MESSAGE = ("a value equal to an edge is counted in the bin above ([a, b) bins, np.digitize's default); "
                     "the workbook's bins are (edge, next edge]: np.searchsorted(edges, values), or "
                     "np.digitize(values, edges, right=True).")


class PsiFunction(Exercise):
    title = "Implement the population stability index"
    reads = ("psi",)
    hints = (
        "Bin edges: the reference's deciles, np.quantile(reference, [0.1, 0.2, ..., 0.9]) (then np.unique).",
        "Shares per bin for both samples: np.bincount(np.searchsorted(edges, values), minlength=len(edges)+1) / n. "
        "searchsorted puts a value equal to an edge in the bin below it, as (a, b] asks.",
        "Floor both shares at MIN_SHARE, then PSI = sum((current - reference) * log(current / reference)).",
    )

    def expect(self, ns, psi):
        rng = np.random.default_rng(0)
        reference = rng.normal(size=5000)
        cases = {
            "a 0.3 sd shift": (reference, rng.normal(0.3, 1, 4000)),
            "a wider spread": (reference, rng.normal(0, 1.5, 3000)),
            "values all above the reference's range (empty bins)": (reference, rng.uniform(10, 11, 1000)),
            # Whole numbers, like this notebook's ages: many values sit exactly on a decile edge.
            "whole-number ages (values on the bin edges)": (rng.integers(18, 76, 5000), rng.integers(21, 80, 4000)),
        }
        for description, (reference, current) in cases.items():
            value = call_learner_function(psi, reference, current, name="psi")
            value = float(np.asarray(value)) if np.ndim(value) == 0 and not isinstance(value, str) else value
            if isinstance(value, float) and not np.isfinite(value):
                raise Incorrect(f"For {description}, your PSI is {value}: an empty bin has share 0 and log(0) "
                                "diverges. Floor the shares at MIN_SHARE.")
            value = expect_number(f"psi(reference, {description})", value)
            width_edges = np.linspace(reference.min(), reference.max(), 11)[1:-1]
            width_counts = [np.bincount(np.searchsorted(width_edges, x), minlength=10) for x in (reference, current)]
            expect_close(f"psi(reference, {description})", value, population_stability_index(reference, current),
                         mistakes={
                             "your bins are the current sample's deciles (or the arguments are swapped): "
                             "bin on the reference, the first argument.":
                                 population_stability_index(current, reference),
                             "your bins look equal-width; this workbook pins reference deciles.":
                                 psi_from_counts(*width_counts),
                             UPPER_BIN_MESSAGE: _psi_with_edges(reference, current, side="right"),
                         }, otherwise="that does not match PSI with reference-decile bins (a, b] and shares "
                                      "floored at MIN_SHARE.")
        return ("Your PSI matches the workbook's on a shift, a spread change, empty bins and values on the "
                "bin edges.")


def _unseen_columns() -> dict[str, tuple[pd.Series, pd.Series]]:
    """Columns the learner's ``feature_psi`` has not seen. The 12 branches have shares of about 1/12, so decile
    bins of their category codes merge some of them: loans moving between merged branches (the first two, the
    last two) change the categorical PSI but not a PSI of the codes. The whole numbers are a numeric column
    whose every value is a category to categorical_psi."""
    branches = [f"branch {number:02d}" for number in range(1, 13)]
    rng = np.random.default_rng(5)
    return {
        "a categorical column of 12 branches": tuple(
            pd.Series(pd.Categorical(np.repeat(branches, counts), categories=branches), name="branch")
            for counts in ([100] * 12, [40, 160] + [100] * 8 + [150, 50])),
        "a numeric column of whole numbers (months of tenure)": (
            pd.Series(rng.integers(0, 60, 3000), name="tenure_months"),
            pd.Series(rng.integers(6, 72, 2500), name="tenure_months")),
    }


def _feature_psi(reference: pd.Series, current: pd.Series) -> float:
    if pd.api.types.is_numeric_dtype(reference):
        return population_stability_index(reference, current)
    return categorical_psi(reference, current)


class PsiByFeature(Exercise):
    title = "PSI of every feature in month 6"
    reads = ("feature_psi", "psi_by_feature")
    hints = (
        "pd.api.types.is_numeric_dtype(reference) tells a numeric column from a categorical one.",
        "feature_psi: population_stability_index(reference, current) for numbers, categorical_psi(reference, "
        "current) otherwise, one bin per category (binning category codes at deciles merges categories).",
        "psi_by_feature: pd.Series({feature: feature_psi(portfolio.training[feature], portfolio.month(6)[feature]) "
        "for feature in FEATURES}).",
    )

    def expect(self, ns, feature_psi, psi_by_feature):
        for description, (reference, current) in _unseen_columns().items():
            self._expect_psi(f"feature_psi(...) for {description}",
                             call_learner_function(feature_psi, reference.copy(), current.copy(), name="feature_psi"),
                             reference, current)
        expected = reference_drift(ns)["psi"]
        if isinstance(psi_by_feature, dict):
            psi_by_feature = pd.Series(psi_by_feature, dtype=object)
        if not isinstance(psi_by_feature, pd.Series):
            raise Incorrect(f"`psi_by_feature` should be a pandas Series indexed by feature, got "
                            f"{type(psi_by_feature).__name__}.")
        missing = sorted(set(expected.index) - set(psi_by_feature.index))
        if missing:
            raise Incorrect(f"`psi_by_feature` lacks feature(s) {missing}.")
        portfolio = ns["portfolio"]
        for feature in expected.index:
            self._expect_psi(f"psi_by_feature['{feature}']", psi_by_feature[feature], portfolio.training[feature],
                             portfolio.month(6)[feature], otherwise="that is not the PSI of month 6 against the "
                                                                    "training window.")
        top = expected.sort_values(ascending=False).index[:3].tolist()
        return f"The three largest: {', '.join(top)}. Next, sort them into bands."

    @staticmethod
    def _expect_psi(name: str, value, reference: pd.Series, current: pd.Series, *,
                    otherwise: str = "that is not population_stability_index of a numeric column, nor "
                                     "categorical_psi of a categorical one.") -> None:
        value = expect_number(name, value)
        if pd.api.types.is_numeric_dtype(reference):
            mistakes = {
                "the arguments look swapped: the reference (training) is the first argument.":
                    population_stability_index(current, reference),
                UPPER_BIN_MESSAGE: _psi_with_edges(reference, current, side="right"),
                "this is categorical_psi of a numeric column, every distinct value a category; numbers take "
                "population_stability_index, binned at the reference's deciles.": categorical_psi(reference, current),
            }
        else:  # categorical PSI is symmetric in its arguments: no swap to tell apart
            mistakes = {
                "this is a numeric PSI of the category codes: decile bins merge categories, and loans moving between "
                "categories of one bin go unseen. Categories take categorical_psi, one bin per category.":
                    population_stability_index(reference.cat.codes, current.cat.codes)
                    if isinstance(reference.dtype, pd.CategoricalDtype) else None,
            }
        expect_close(name, value, _feature_psi(reference, current), mistakes=mistakes, otherwise=otherwise)

    def reference(self, ns):
        return _feature_psi, reference_drift(ns)["psi"]


def _expect_feature_list(name: str, value) -> list[str]:
    """A learner's feature names in any order and container (list, tuple, set, array, Index), sorted."""
    if isinstance(value, pd.Series) and not all(isinstance(v, str) for v in value):
        raise Incorrect(f"`{name}` is a Series; the feature names are its index: take them as a list.")
    if isinstance(value, pd.Series):  # the names themselves, in a Series
        value = value.tolist()
    if isinstance(value, (set, frozenset)):
        value = list(value)
    if not isinstance(value, (list, tuple, np.ndarray, pd.Index)) or np.ndim(value) != 1 \
            or not all(isinstance(v, str) for v in value):
        raise Incorrect(f"`{name}` should be a list of feature names, got {type(value).__name__}.")
    return sorted(value)


# PSI values the learner has not seen, with features in every band (none on an edge), among them one at 0.05
# (stable, inside a watch band mistyped as 0.01-0.25) and a watch list that is not empty.
_UNSEEN_PSI = pd.Series({"income": 0.40, "credit_utilization": 0.18, "late_payments": 0.05, "age": 0.12,
                         "loan_amount": 0.27, "debt_to_income": 0.02, "employment_years": 0.0009,
                         "region": 0.09, "loan_purpose": 0.11})


def _bands(psi: pd.Series) -> tuple[list[str], list[str]]:
    bands = psi.map(psi_band)
    return sorted(psi.index[bands == "drift"]), sorted(psi.index[bands == "watch"])


def _p_value_message(subject: str, rows: int) -> str:
    return (f"{subject} the features whose test (KS, chi-square) has p < 0.05 in month 6. With {rows:,} rows a "
            "test also finds shifts too small to matter: size decides, PSI above PSI_ALERT.")


class FlagFeatures(Exercise):
    title = "Flag drifted and watch-list features"
    reads = ("flag_features", "drifted_features", "watch_features")
    hints = (
        "Drifted: PSI above PSI_ALERT (0.25). Watch: PSI from PSI_WATCH (0.1) up to 0.25. Size decides, not "
        "a p-value.",
        "In flag_features, use only its argument: sorted(psi_values[psi_values > PSI_ALERT].index), and the "
        "same with both bounds for the watch list.",
    )

    def expect(self, ns, flag_features, drifted_features, watch_features):
        drift = reference_drift(ns)
        real = drift["psi"]
        significant = sorted(drift.index[drift["p_value"] < 0.05])
        rows = len(ns["portfolio"].month(6))
        for description, psi in (("month 6's PSI", real), (f"PSI values {_UNSEEN_PSI.to_dict()}", _UNSEEN_PSI)):
            answer = call_learner_function(flag_features, psi.copy(), name="flag_features")
            if not isinstance(answer, (tuple, list)) or len(answer) != 2:
                raise Incorrect("`flag_features` should return two lists, (drifted, watch), got "
                                f"{type(answer).__name__}.")
            if psi is real and _expect_feature_list("drifted", answer[0]) == significant != _bands(real)[0]:
                raise Incorrect(_p_value_message("For month 6's PSI, `flag_features` returns as drifted", rows))
            self._expect_bands(f"For {description}, `flag_features` returns", psi, *answer, real=real)
        lists = tuple(_expect_feature_list(name, value) for name, value in
                      (("drifted_features", drifted_features), ("watch_features", watch_features)))
        for name, mine, expected in zip(("drifted_features", "watch_features"), lists, _bands(real)):
            if mine == expected:
                continue
            if name == "drifted_features" and mine == significant:
                raise Incorrect(_p_value_message("`drifted_features` are", rows))
            if lists == _bands(self._month_psi(ns, 5)):
                raise Incorrect("`drifted_features` and `watch_features` are month 5's lists; the downturn was still "
                                "growing then. Flag month 6's PSI: flag_features(psi_by_feature).")
            raise Incorrect(f"`{name}` is not what `flag_features(psi_by_feature)` gives: apply your function "
                            "to month 6's PSI.")
        expected_drift, _ = _bands(real)
        truth = sorted(ns["portfolio"].drifted_features)
        verdict = "exactly the features the downturn moved" if expected_drift == truth else \
            f"compare with the simulator's truth: {truth}"
        small = [f"{feature} (p = {drift.loc[feature, 'p_value']:.1g}, PSI {drift.loc[feature, 'psi']:.3f})"
                 for feature in significant if drift.loc[feature, "band"] == "stable"]
        if small:
            verdict += (f". A test also calls {', '.join(small)} significant: a shift too small to matter, "
                        "which a p-value rule would have flagged")
        return f"Drifted: {expected_drift}: {verdict}. Your function also banded values it had not seen."

    @staticmethod
    def _month_psi(ns, month: int) -> pd.Series:
        features = ns["FEATURES"]
        return drift_table(ns["portfolio"].training[features], ns["portfolio"].month(month)[features])["psi"]

    @staticmethod
    def _expect_bands(where: str, psi: pd.Series, drifted, watch, *, real: pd.Series) -> None:
        drifted = _expect_feature_list("drifted", drifted)
        watch = _expect_feature_list("watch", watch)
        expected_drift, expected_watch = _bands(psi)
        if (drifted, watch) == (expected_drift, expected_watch):
            return
        if psi is not real and (drifted, watch) == _bands(real):
            raise Incorrect(f"{where} month 6's lists whatever it is given: flag the PSI values passed to it.")
        unknown = sorted(set(drifted + watch) - set(psi.index))
        if unknown:
            raise Incorrect(f"{where} feature(s) {unknown} that are not in the values it was given.")
        for name, mine, expected in (("drifted", drifted, expected_drift), ("watch", watch, expected_watch)):
            extra, missed = sorted(set(mine) - set(expected)), sorted(set(expected) - set(mine))
            if not (extra or missed):
                continue
            shown = {feature: float(psi[feature]) for feature in extra + missed}
            if name == "drifted" and extra and set(extra) <= set(expected_watch):
                raise Incorrect(f"{where} drifted features in the watch band {shown}: only PSI above "
                                f"PSI_ALERT ({PSI_ALERT}) counts as drift.")
            if name == "watch" and extra and all(psi[f] < PSI_WATCH for f in extra):
                raise Incorrect(f"{where} a watch list with PSI below PSI_WATCH ({PSI_WATCH}): {shown}. The watch "
                                f"band is {PSI_WATCH} to {PSI_ALERT}.")
            raise Incorrect(f"{where} a {name} list that has {extra or 'nothing'} too many and misses "
                            f"{missed or 'nothing'} (PSI {shown}). Drift: PSI above {PSI_ALERT}; watch: from "
                            f"{PSI_WATCH} to {PSI_ALERT}.")


@cached_by_data_digest
def _ks_and_psi(reference: np.ndarray, current: np.ndarray) -> tuple[float, float, float]:
    """The KS statistic and p-value, and the PSI, of ``current`` against ``reference``."""
    from scipy.stats import ks_2samp

    ks = ks_2samp(reference, current)
    return float(ks.statistic), float(ks.pvalue), population_stability_index(reference, current)


def _wrong_tests(reference: np.ndarray, current: np.ndarray) -> dict[str, float]:
    """Other tests' p-values, each with the message that names it (computed only for a wrong answer)."""
    from scipy.stats import mannwhitneyu, ttest_ind

    return {
        "this is a t-test's p-value (ttest_ind), which compares means; KS compares whole distributions: "
        "use ks_2samp.": float(ttest_ind(reference, current).pvalue),
        "this is Welch's t-test's p-value (ttest_ind with equal_var=False), which compares means; KS compares "
        "whole distributions: use ks_2samp.": float(ttest_ind(reference, current, equal_var=False).pvalue),
        "this is the Mann-Whitney U test's p-value (mannwhitneyu), a test of ranks; the KS test is ks_2samp.":
            float(mannwhitneyu(reference, current).pvalue),
    }


def _expect_p_value(name: str, value, reference: np.ndarray, current: np.ndarray, *, samples: str) -> float:
    statistic, expected, _ = _ks_and_psi(reference, current)
    if isinstance(value, str) and value in ("stable", "watch", "drift"):
        raise Incorrect(f"`{name}` is the band name {value!r}; a p-value is a number: ks_2samp(...).pvalue.")
    p_value = expect_number(name, value)
    if close_enough(p_value, expected):
        return p_value
    if p_value == 0:
        raise Incorrect(f"`{name}` is 0, but the KS p-value of {samples} is tiny, not zero: take "
                        "ks_2samp(reference, current).pvalue as it comes, unrounded.")
    expect_close(name, p_value, expected, mistakes={
        "this is the KS statistic; take .pvalue.": statistic, **_wrong_tests(reference, current)},
        otherwise=f"that is not the KS p-value of {samples}.")
    return p_value


# Samples the learner's function has not seen: a shift in the watch band whose p-value is tiny, so a band
# taken from the p-value is "stable"; and a wider spread with the same mean, which a t-test cannot see.
def _unseen_shifts() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(1)
    return {"a 0.4 sd shift of 2,000 rows": (rng.normal(0, 1, 2000), rng.normal(0.4, 1, 2000)),
            "a wider spread (sd 1.6), same mean, 2,000 rows": (rng.normal(0, 1, 2000), rng.normal(0, 1.6, 2000))}


class StatisticalVsPractical(Exercise):
    title = "Significant is not the same as important"
    reads = ("shift_evidence", "tiny_shift_pvalue", "tiny_shift_psi", "tiny_shift_band")
    hints = (
        "scipy.stats.ks_2samp(reference, current).pvalue gives the KS test's p-value.",
        "population_stability_index(reference, current) gives the size; psi_band of that PSI (not of the "
        "p-value) gives the band.",
    )

    def expect(self, ns, shift_evidence, tiny_shift_pvalue, tiny_shift_psi, tiny_shift_band):
        for description, (reference, current) in _unseen_shifts().items():
            answer = call_learner_function(shift_evidence, reference.copy(), current.copy(), name="shift_evidence")
            if not isinstance(answer, (tuple, list)) or len(answer) != 3:
                raise Incorrect("`shift_evidence` should return three values, (p_value, psi, band), got "
                                f"{type(answer).__name__}.")
            self._expect_evidence(f"shift_evidence(...)[{{}}] for {description}", answer, reference, current,
                                  samples=description)
        self._expect_evidence("tiny_shift_{}", (tiny_shift_pvalue, tiny_shift_psi, tiny_shift_band),
                              ns["big_reference"], ns["big_current"], samples="big_reference and big_current")
        _, expected_p, expected_psi = _ks_and_psi(ns["big_reference"], ns["big_current"])
        return (f"p = {expected_p:.2g} says the shift is real; PSI = {expected_psi:.4f} says it is tiny. With a "
                "million rows every shift is 'significant': alert on size, not on p-values.")

    @staticmethod
    def _expect_evidence(name: str, answer, reference, current, *, samples: str) -> None:
        """``name`` has a ``{}`` for the part: "pvalue"/"psi"/"band" (variables) or 0/1/2 (the function's)."""
        parts = ("pvalue", "psi", "band") if name.startswith("tiny") else (0, 1, 2)
        p_value, psi_value, band = answer
        _expect_p_value(name.format(parts[0]), p_value, reference, current, samples=samples)
        _, _, expected_psi = _ks_and_psi(reference, current)
        psi_name = name.format(parts[1])
        expect_close(psi_name, expect_number(psi_name, psi_value), expected_psi, mistakes={
            "the arguments look swapped: the reference is the first argument.":
                population_stability_index(current, reference)},
            otherwise=f"that is not the PSI of {samples}.")
        band = as_option(band, ("stable", "watch", "drift", "unknown"))
        if isinstance(band, str) and band == psi_band(expected_psi):
            return
        band_name = name.format(parts[2])
        if band == psi_band(float(p_value)):
            raise Incorrect(f"`{band_name}` is {band!r}, the band of the p-value; bands are for PSI: "
                            f"psi_band(psi).")
        raise Incorrect(f"`{band_name}` should be the PSI band of that PSI: one of 'stable', 'watch', 'drift' "
                        f"(got {band!r}).")


def _unseen_refit_rows(ns) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rows ``refit_comparison`` has not been run on: a refit on 2,000 loans of month 1, before the downturn,
    scored on recent_eval. The deployed model's F1 on both sets together is far from its F1 on recent_eval
    (on the notebook's own halves, all of month 6, it can be within rounding)."""
    return ns["portfolio"].month(1).iloc[:2000], ns["recent_eval"]


def _another_credit_model(ns):
    """A model that is not the deployed one: credit_model(SEED + 1) fit on 1,000 loans of month 5, in the downturn
    (its F1 on recent_eval is 0.02 or more from the deployed model's on every vetted seed). Cached: fit once."""
    rows, features = ns["portfolio"].month(5).iloc[:1000], ns["FEATURES"]
    return _fitted_credit_model(ns["SEED"] + 1, rows[features], rows["default"])


def _expect_refit_comparison(parts: tuple[str, str], answer: tuple, ns, fit_rows: pd.DataFrame,
                             eval_rows: pd.DataFrame) -> tuple[float, float]:
    """``answer`` (named ``parts``) is (the deployed model's F1 on ``eval_rows``, F1 there of credit_model(SEED)
    fit on ``fit_rows``)."""
    features, seed = ns["FEATURES"], ns["SEED"]
    deployed = _f1_of(ns["model"], eval_rows, features)
    refit = _refit_f1(seed, fit_rows, eval_rows, features)
    on_all_rows = _f1_of(ns["model"], pd.concat([fit_rows, eval_rows]), features)
    expect_close(parts[0], expect_number(parts[0], answer[0]), deployed, mistakes={
        "this is the deployed model's F1 on the fit and evaluation rows together (for recent_fit and recent_eval, "
        "all of month 6); score it on the evaluation rows only, the rows the refit model is scored on too.":
            on_all_rows,
    }, otherwise="that is not the deployed model's F1 on the evaluation rows.")
    expect_close(parts[1], expect_number(parts[1], answer[1]), refit, mistakes={
        "this is the refit model scored on the rows it was fit on; score it on the evaluation rows.":
            _refit_f1(seed, fit_rows, fit_rows, features),
        "this is the deployed model's F1 on the evaluation rows; fit credit_model(SEED) on the fit rows first.":
            deployed,
    }, otherwise="that is not the F1 on the evaluation rows of credit_model(SEED) fit on the fit rows.")
    return deployed, refit


class DataOrConceptDrift(Exercise):
    title = "Data drift, concept drift, or both?"
    reads = ("refit_comparison", "f1_deployed_on_recent", "f1_refit_on_recent", "drift_kind")
    hints = (
        "refit_comparison: f1_score(eval_rows['default'], model.predict(eval_rows[FEATURES])) for the deployed "
        "model; fit credit_model(SEED) on fit_rows and score it on eval_rows the same way. Both on eval_rows.",
        "If a model refit on recent labels, with the same features, does much better on the same rows, the "
        "relation between features and outcome changed.",
        "The inputs moved too (q5). drift_kind is one of 'data', 'concept' or 'both'.",
    )

    def expect(self, ns, refit_comparison, f1_deployed_on_recent, f1_refit_on_recent, drift_kind):
        fit_rows, eval_rows = _unseen_refit_rows(ns)
        answer = call_learner_function(refit_comparison, ns["model"], fit_rows.copy(), eval_rows.copy(),
                                       name="refit_comparison")
        if not isinstance(answer, (tuple, list)) or len(answer) != 2:
            raise Incorrect("`refit_comparison` should return two numbers, (deployed F1, refit F1), got "
                            f"{type(answer).__name__}.")
        called = "refit_comparison(model, month 1's first 2,000 loans, recent_eval)"
        _expect_refit_comparison((f"{called}[0]", f"{called}[1]"), answer, ns, fit_rows, eval_rows)
        # Called with the deployed model alone, a function that scores the global `model` passed (issue 22). Only
        # the first F1 is judged here: 500 rows to refit on keep the learner's refit quick.
        other, features = _another_credit_model(ns), ns["FEATURES"]
        answer = call_learner_function(refit_comparison, other, fit_rows.iloc[:500].copy(), eval_rows.copy(),
                                       name="refit_comparison")
        if not isinstance(answer, (tuple, list)) or len(answer) != 2:
            raise Incorrect("`refit_comparison` should return two numbers, (the F1 of `model`, refit F1), got "
                            f"{type(answer).__name__}.")
        called = "refit_comparison(another model, month 1's first 500 loans, recent_eval)[0]"
        expect_close(called, expect_number(called, answer[0]), _f1_of(other, eval_rows, features), mistakes={
            "`refit_comparison` uses the global `model`, not its `model` argument: this is the deployed model's F1, "
            "where the model passed was another.": _f1_of(ns["model"], eval_rows, features),
        }, otherwise="that is not the F1 on the evaluation rows of the model passed as `model`.")
        deployed, refit = _expect_refit_comparison(
            ("f1_deployed_on_recent", "f1_refit_on_recent"), (f1_deployed_on_recent, f1_refit_on_recent), ns,
            ns["recent_fit"], ns["recent_eval"])
        portfolio = ns["portfolio"]
        truth = "both" if portfolio.drifted_features and portfolio.severity > 0 else "none"
        answers = ("data", "concept", "both")
        kind = as_option(drift_kind, answers)
        if kind not in answers:
            raise Incorrect(f"`drift_kind` should be one of {answers} (got {drift_kind!r}).")
        if kind == "data":
            raise Incorrect(f"The refit model scores {refit:.3f} against {deployed:.3f} on the same rows: the "
                            "relation between features and default changed too, which is concept drift.")
        if kind == "concept":
            raise Incorrect("Feature distributions moved as well (see the PSI bands): that is data drift too.")
        if kind != truth:
            raise Incorrect(f"The simulator's truth is {truth!r}.")
        return (f"Both: the inputs moved (PSI) and the same inputs now mean more risk (refit {refit:.3f} vs "
                f"deployed {deployed:.3f}). Data drift alone would not be fixed by new labels; this is.")


def _row_digests(rows: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """One hash per row of ``columns`` (index ignored), sorted: equal for the same rows in any order."""
    return np.sort(pd.util.hash_pandas_object(rows[columns], index=False).to_numpy())


def _expect_window(name: str, rows, expected: pd.DataFrame, features: list[str], *, description: str) -> None:
    """``rows`` holds exactly ``expected``'s rows, in any order, with any index."""
    if not isinstance(rows, pd.DataFrame):
        raise Incorrect(f"`{name}` should be a DataFrame of loans, got {type(rows).__name__}.")
    columns = [*features, "default"]
    missing = [column for column in columns if column not in rows.columns]
    if missing:
        raise Incorrect(f"`{name}` lacks column(s) {missing}; keep the features and 'default'.")
    if "month" in rows.columns:
        months = sorted(int(month) for month in rows["month"].unique())
        if months != sorted(int(month) for month in expected["month"].unique()):
            shown = ", ".join("the training window (month 0)" if month == 0 else str(month) for month in months)
            raise Incorrect(f"`{name}` holds months {shown}; it should hold {description}.")
    if len(rows) != len(expected) or not np.array_equal(_row_digests(rows, columns), _row_digests(expected, columns)):
        raise Incorrect(f"`{name}` has {len(rows):,} rows, not the {len(expected):,} loans of {description} "
                        "(rows missing, repeated or changed).")


class Retrain(Exercise):
    """Fit on the learner's own windows, in their row order: above 10,000 rows the model's early stopping
    holds out a split that depends on row order, so only the learner's order gives their number."""

    title = "Retrain on a recent window, validate on a later month"
    reads = ("recent_window", "everything", "f1_recent_window", "f1_everything")
    rejected_forms = MappingProxyType({
        **{f"{table}: 3 significant digits": "a table of data rows, not figures: rounded, they are other rows"
           for table in ("recent_window", "everything")},
        **{f"{table}: rows in another order": "the model's early stopping holds out rows by their order: another "
                                              "order is another fit, and the F1 reported is that of their own order"
           for table in ("recent_window", "everything")},
    })
    hints = (
        "Recent window: months in RECENT_MONTHS. Everything: the training window plus months 1 to 5.",
        "Fit credit_model(SEED) on each and score F1 on month 6, which neither has seen.",
    )

    def expect(self, ns, recent_window, everything, f1_recent_window, f1_everything):
        portfolio, features, seed = ns["portfolio"], ns["FEATURES"], ns["SEED"]
        recent_months = list(ns["RECENT_MONTHS"])
        _expect_window("recent_window", recent_window, pd.concat([portfolio.month(m) for m in recent_months]),
                       features, description=f"the months of RECENT_MONTHS, {recent_months}")
        _expect_window("everything", everything,
                       pd.concat([portfolio.training] + [portfolio.month(m) for m in range(1, 6)]), features,
                       description="the training window (month 0) and months 1-5 (not month 6, the month you "
                                   "validate on)")
        held_out = portfolio.month(6)
        recent = _refit_f1(seed, recent_window, held_out, features)
        whole = _refit_f1(seed, everything, held_out, features)
        deployed = reference_f1_by_month(ns)[6]
        order_note = ("; above 10,000 rows the model's early stopping holds out rows chosen by their order, so fit "
                      "on `{}` itself, as you built it")
        expect_close("f1_recent_window", expect_number("f1_recent_window", f1_recent_window), recent, mistakes={
            "this is the F1 of the model fit on everything; swap the two.": whole,
            "this is the deployed model's month-6 F1; fit credit_model(SEED) on recent_window.": deployed,
            "this is the refit model scored on the rows it was fit on; score it on month 6.":
                _refit_f1(seed, recent_window, recent_window, features),
        }, otherwise="that is not month 6's F1 of credit_model(SEED) fit on `recent_window`"
                     + order_note.format("recent_window") + ".")
        expect_close("f1_everything", expect_number("f1_everything", f1_everything), whole, mistakes={
            "this is the F1 of the model fit on the recent window; swap the two.": recent,
            "this is the deployed model's month-6 F1; fit credit_model(SEED) on everything.": deployed,
        }, otherwise="that is not month 6's F1 of credit_model(SEED) fit on `everything`"
                     + order_note.format("everything") + ".")
        return (f"Month 6 F1: deployed {deployed:.3f}, everything {whole:.3f}, recent window {recent:.3f}. "
                f"{_retraining_verdict(recent, whole)}")


def _retraining_verdict(recent: float, whole: float) -> str:
    """Which refit scored higher on month 6, as the F1s are shown (3 decimals): the check compares, it does not
    establish why.

    >>> _retraining_verdict(0.61, 0.58)
    'On month 6, the recent window scores the higher F1.'
    >>> _retraining_verdict(0.5804, 0.5796)
    'On month 6, the two tie (to 3 decimals).'
    """
    if round(recent, 3) == round(whole, 3):
        return "On month 6, the two tie (to 3 decimals)."
    return f"On month 6, {'the recent window' if recent > whole else 'everything'} scores the higher F1."


class Policy(Exercise):
    """The policy is replayed on this notebook's months, and on two made-up histories with the inputs
    unchanged: F1 within the tolerance (it must stay quiet) and F1 well below it (its F1 rule must fire)."""

    title = "A monitoring policy, replayed over six months"
    reads = ("monitoring_policy",)
    hints = (
        "A dict with psi_alert, f1_drop_alert, label_delay_months (outcomes arrive 1 month late) and min_labels.",
        "Replay it with replay_policy and look at months 1-2 (no downturn yet): no alert should fire there.",
        "The standard PSI band (0.25) with a 10% F1 tolerance is a good start; check it alerts by month 4, and that "
        "min_labels is a number of outcomes a month actually delivers.",
    )

    def expect(self, ns, monitoring_policy):
        try:
            policy = MonitoringPolicy.from_dict(monitoring_policy)
        except ValueError as problem:
            raise Incorrect(str(problem)) from None
        delay = ns["LABEL_DELAY_MONTHS"]
        if policy.label_delay_months != delay:
            # A fact of the data: a longer delay would pass the replay and claim savings the policy does not make.
            raise Incorrect(f"`label_delay_months` = {policy.label_delay_months:g}, but outcomes arrive {delay} "
                            f"month(s) late (LABEL_DELAY_MONTHS): that is the data's delay, not a choice. A policy "
                            "cannot read them sooner, and one that waits longer judges F1 later than it could.")
        labels, baseline = ns["labels_by_month"], ns["baseline_f1"]
        if policy.min_labels > labels.max():
            raise Incorrect(f"`min_labels` = {policy.min_labels:,} is more than any month delivers (at most "
                            f"{int(labels.max()):,} outcomes here): your F1 rule never runs, so F1 falling with the "
                            "inputs unchanged would never alert.")
        self._expect_f1_rule(policy, ns)
        replay = replay_policy(policy, ns["max_psi_by_month"], reference_f1_by_month(ns), labels,
                               baseline_f1=baseline)
        shift = ns["portfolio"].shift_month
        false_alarms = replay[(replay.index < shift) & replay["alert"]]
        if len(false_alarms):
            month = int(false_alarms.index[0])
            raise Incorrect(f"False alarm in month {month}, before the downturn ({false_alarms.loc[month, 'reason']}; "
                            f"max PSI {false_alarms.loc[month, 'max_psi']:.3f}): a threshold this tight causes "
                            "alert fatigue.")
        alerts = replay[replay["alert"]]
        if alerts.empty:
            raise Incorrect("Your policy never alerts in six months, while F1 fell well below its baseline.")
        first = int(alerts.index[0])
        if first > shift + 1:
            raise Incorrect(f"Your first alert comes in month {first}; the downturn began in month {shift}. "
                            "Lower a threshold so it is caught within a month.")
        text = (f"{len(alerts)} alert(s), the first in month {first} ({alerts.iloc[0]['reason']}), no false alarms; "
                "and your F1 rule fires on a drop the inputs do not show, and stays quiet within the tolerance.")
        degraded = reference_first_degraded_month(ns)
        if degraded is None:
            return text
        seen_by_labels = degraded + policy.label_delay_months
        return (text + f" F1 degraded in month {degraded}, which your F1 rule alone would report in month "
                f"{seen_by_labels}: {seen_by_labels - first} month(s) of degraded service saved.")

    @staticmethod
    def _expect_f1_rule(policy: MonitoringPolicy, ns) -> None:
        """Replay two histories with stable inputs and this notebook's label volumes: F1 half the
        tolerance below the baseline (no alert allowed), then twice the tolerance below it from the
        downturn month (the F1 rule must fire)."""
        labels, baseline, tolerance = ns["labels_by_month"], ns["baseline_f1"], ns["DEGRADATION_TOLERANCE"]
        shift, months = ns["portfolio"].shift_month, labels.index
        stable_inputs = pd.Series(0.0, index=months)
        within = replay_policy(policy, stable_inputs, pd.Series((1 - tolerance / 2) * baseline, index=months),
                               labels, baseline_f1=baseline)
        if within["alert"].any():
            month = int(within.index[within["alert"]][0])
            raise Incorrect(f"With the inputs unchanged and F1 {tolerance / 2:.0%} below the baseline every month, "
                            f"inside the {tolerance:.0%} tolerance, your policy alerts in month {month}: "
                            f"f1_drop_alert = {policy.f1_drop_alert:g} fires on ordinary noise (alert fatigue).")
        drop = 2 * tolerance
        dropped = replay_policy(policy, stable_inputs,
                                pd.Series(np.where(months >= shift, (1 - drop) * baseline, baseline), index=months),
                                labels, baseline_f1=baseline)
        if dropped["alert"].any():
            return
        story = (f"With the inputs unchanged and F1 {drop:.0%} below the baseline from month {shift} on (concept "
                 "drift, which PSI cannot see), your policy never alerts")
        if policy.f1_drop_alert >= drop:
            raise Incorrect(f"{story}: f1_drop_alert = {policy.f1_drop_alert:g} waits for F1 to fall "
                            f"{policy.f1_drop_alert:.0%} below the baseline.")
        # label_delay_months is the data's (checked above): what is left is a month with too few outcomes.
        short = [int(month) for month in months if month >= shift and labels[month] < policy.min_labels]
        raise Incorrect(f"{story}: min_labels = {policy.min_labels:,} is more than month(s) {short} deliver, so "
                        "their F1 is never read." if short else f"{story}.")

    def reference(self, ns):
        return {"psi_alert": PSI_ALERT, "f1_drop_alert": ns["DEGRADATION_TOLERANCE"],
                "label_delay_months": ns["LABEL_DELAY_MONTHS"], "min_labels": 500}


# Which month each month k of the second year is compared with, per reference ("training" is the window).
_REFERENCE_MONTH = {"same month last year": lambda month: month - 12, "previous month": lambda month: month - 1}


@cached_by_data_digest
def _psi_by_month(training: pd.DataFrame, production: pd.DataFrame, months: tuple, reference: str,
                  swapped: bool) -> pd.DataFrame:
    """PSI per feature (columns) of each month in ``months`` (rows) against ``reference``: "training" or a
    key of ``_REFERENCE_MONTH``; ``swapped`` puts the month first, as a mistaken call would."""
    by_month = production.groupby("month")
    rows = {}
    for month in months:
        earlier = (training if reference == "training"
                   else by_month.get_group(_REFERENCE_MONTH[reference](month)).drop(columns="month"))
        current = by_month.get_group(month).drop(columns="month")
        if swapped:
            earlier, current = current, earlier
        rows[month] = drift_table(earlier, current)["psi"]
    return pd.DataFrame(rows).T.rename_axis("month")


def _psi_against(ns, reference: str, *, swapped: bool = False) -> pd.DataFrame:
    portfolio, features = ns["seasonal_portfolio"], list(ns["FEATURES"])
    return _psi_by_month(portfolio.training[features], portfolio.production[["month", *features]],
                         tuple(ns["SECOND_YEAR"]), reference, swapped)


def reference_seasonal_alerts(ns) -> tuple[pd.Series, pd.Series, list[int], list[int]]:
    static = _psi_against(ns, "training").max(axis=1).rename("max_psi")
    seasonal = _psi_against(ns, "same month last year").max(axis=1).rename("max_psi")
    return static, seasonal, _alert_months(static), _alert_months(seasonal)


def _alert_months(max_psi: pd.Series) -> list[int]:
    return sorted(int(month) for month in max_psi.index[max_psi > PSI_ALERT])


def _month_names(ns, months) -> str:
    portfolio = ns["seasonal_portfolio"]
    return ", ".join(f"{month} {MONTH_NAMES[portfolio.calendar_month(month) - 1]}" for month in months)


def _expect_month_list(name: str, value) -> list[int]:
    if isinstance(value, pd.Series):
        if pd.api.types.is_bool_dtype(value):
            raise Incorrect(f"`{name}` is a True/False mask per month; keep the months where it is True "
                            "(its index), as a sorted list.")
        raise Incorrect(f"`{name}` is a Series (of PSI values?); the months are its index: take them as a "
                        "sorted list.")
    if isinstance(value, dict):
        raise Incorrect(f"`{name}` should be a sorted list of month numbers, e.g. [13, 18], got a dict: keep "
                        "only the months that alert.")
    if not isinstance(value, (list, tuple, np.ndarray, pd.Index)) or np.ndim(value) != 1:
        raise Incorrect(f"`{name}` should be a sorted list of month numbers, e.g. [13, 18], got "
                        f"{type(value).__name__}.")
    wrong = [month for month in value if isinstance(month, (bool, np.bool_))
             or not isinstance(month, (int, np.integer))]
    if wrong:
        raise Incorrect(f"`{name}` should hold month numbers (integers), found {wrong[0]!r}.")
    return sorted(int(month) for month in value)


class SeasonalReference(Exercise):
    """Static vs seasonal reference. PSI values: to 3 significant digits; alert months: exact, in any
    order or container (``>`` or ``>=`` PSI_ALERT both pass, as no month's PSI lands exactly on it)."""

    title = "Seasonality: a static reference cries wolf"
    reads = ("static_max_psi", "seasonal_max_psi", "static_alert_months", "seasonal_alert_months")
    hints = (
        "A seasonal reference compares like with like: month k against the same calendar month one year "
        "earlier, which is month k - 12 (months 1-12 are the first year).",
        "For each k in SECOND_YEAR: largest_psi(seasonal_portfolio.training, seasonal_portfolio.month(k)) for the "
        "static reference, largest_psi(seasonal_portfolio.month(k - 12), seasonal_portfolio.month(k)) for the "
        "seasonal one. Collect each in a pd.Series indexed by month: pd.Series({k: ... for k in SECOND_YEAR}).",
        "Alert months: sorted(static_max_psi[static_max_psi > PSI_ALERT].index), and the same for "
        "seasonal_max_psi.",
    )

    def expect(self, ns, static_max_psi, seasonal_max_psi, static_alert_months, seasonal_alert_months):
        static, seasonal, static_alerts, seasonal_alerts = reference_seasonal_alerts(ns)
        mine_static = _as_series_by_month("static_max_psi", static_max_psi, static,
                                              months="the months of SECOND_YEAR")
        mine_seasonal = _as_series_by_month("seasonal_max_psi", seasonal_max_psi, seasonal,
                                                months="the months of SECOND_YEAR")
        self._expect_max_psi("static_max_psi", mine_static, static, ns, "training", {
            "this is the seasonal reference's PSI (month k - 12); the static reference is the training window.":
                lambda: seasonal,
        }, "does not match the largest PSI of any feature against the training window.")
        self._expect_max_psi("seasonal_max_psi", mine_seasonal, seasonal, ns, "same month last year", {
            "this compares with the training window again, the static reference; compare month k with month "
            "k - 12, the same calendar month a year earlier.": lambda: static,
            "this compares each month with the month before (k - 1). Neighbouring months differ by the season too, "
            "and a slow drift hides in month-to-month steps: compare with month k - 12, a year earlier.":
                lambda: _psi_against(ns, "previous month").max(axis=1),
        }, "does not match the largest PSI of any feature against the same calendar month a year earlier "
           "(month k - 12).")
        for name, value, expected, max_psi in (
                ("static_alert_months", static_alert_months, static_alerts, static),
                ("seasonal_alert_months", seasonal_alert_months, seasonal_alerts, seasonal)):
            months = _expect_month_list(name, value)
            if months == expected:
                continue
            if months == sorted(int(month) for month in max_psi.index[max_psi >= PSI_WATCH]):
                raise Incorrect(f"`{name}` includes the watch band: an alert is a largest PSI above PSI_ALERT "
                                f"({PSI_ALERT}).")
            if name == "seasonal_alert_months" and months == static_alerts:
                raise Incorrect("`seasonal_alert_months` are the static reference's alerts; threshold "
                                "seasonal_max_psi.")
            extra, missed = len(set(months) - set(expected)), len(set(expected) - set(months))
            raise Incorrect(f"`{name}` should list every month of SECOND_YEAR whose largest PSI is above "
                            f"PSI_ALERT ({PSI_ALERT}) and no other: yours has {extra} at or below it and misses "
                            f"{missed} above it.")
        portfolio = ns["seasonal_portfolio"]
        calm = [month for month in static_alerts if portfolio.downturn_strength(month) == 0]
        text = f"Against the training window {len(static_alerts)} of {len(static)} months alert"
        text += (f"; {len(calm)} have no downturn at all ({_month_names(ns, calm)}): the season, not drift. "
                 if calm else ". ")
        if not seasonal_alerts:
            return text + "Against the same month last year, none does."
        in_downturn = all(portfolio.downturn_strength(month) > 0 for month in seasonal_alerts)
        return text + (f"Against the same month last year only {_month_names(ns, seasonal_alerts)} alert"
                       + (f": the downturn that began in month {portfolio.shift_month}." if in_downturn else "."))

    @staticmethod
    def _expect_max_psi(name, mine, expected, ns, reference, mistakes, otherwise):
        wrong = [int(month) for month in expected.index if not close_enough(mine[month], expected[month])]
        if not wrong:
            return
        psi = _psi_against(ns, reference)
        candidates = {
            "the arguments look swapped: the reference (the earlier sample) is the first argument.":
                lambda: _psi_against(ns, reference, swapped=True).max(axis=1),
            "this is the mean PSI over the features; an alert looks at the largest one.":
                lambda: psi.mean(axis=1),
            "this is the sum of the features' PSI; an alert looks at the largest one.": lambda: psi.sum(axis=1),
            **mistakes,
        }
        for message, values in candidates.items():
            if close_enough(mine.to_numpy(), values().reindex(expected.index).to_numpy()):
                raise Incorrect(f"`{name}`: {message}")
        raise Incorrect(f"`{name}` for month(s) {wrong} {otherwise}")

    def reference(self, ns):
        return reference_seasonal_alerts(ns)


class MonitoringPlan(WrittenAnswer):
    title = "Monitoring schedule and retraining trigger"
    reads = ("monitoring_plan",)
    min_words = 50
    rubric = (
        "Says what is checked how often (inputs daily/weekly by PSI; performance when labels arrive).",
        "Alerts on aggregate accuracy alone? No: names per-feature PSI and F1 (or recall) by segment.",
        "States the retraining trigger as thresholds plus a minimum number of labels.",
        "Handles seasonality as in q10: PSI also against the same month last year (a seasonal reference), so "
        "the season alone pages no one.",
        "Names who is alerted and what they do (investigate, retrain on a recent window, roll back).",
    )


# --- the story the prose tells (issue 22 §6: it must hold on every seed) -------------------------------------

def _f1_dropped_by_more_than_a_tenth(ns) -> bool:
    return bool(ns["f1_by_month"].iloc[-1] < 0.9 * ns["baseline_f1"])


def _recent_window_beats_everything(ns) -> bool:
    return bool(ns["f1_recent_window"] > ns["f1_everything"])


def _static_reference_pages_every_winter_and_summer(ns) -> bool:
    alerts = ns["static_max_psi"][ns["static_max_psi"] > ns["PSI_ALERT"]].index
    calendar = {month: (month - 1) % 12 + 1 for month in alerts}  # production month 13 is January
    return bool(set(calendar.values()) & {12, 1, 2}) and bool(set(calendar.values()) & {6, 7, 8})


EXERCISES = ExerciseSet(NOTEBOOK, [
    F1ByMonth(), FirstDegradedMonth(), PsiFunction(), PsiByFeature(), FlagFeatures(),
    StatisticalVsPractical(), DataOrConceptDrift(), Retrain(), Policy(), SeasonalReference(), MonitoringPlan(),
], claims=[
    Claim("Its F1 has dropped by more than a tenth", _f1_dropped_by_more_than_a_tenth),
    Claim("a static PSI threshold pages someone every winter and every summer",
          _static_reference_pages_every_winter_and_summer),
    Claim("a recent window beat retraining on everything", _recent_window_beats_everything),
])
q1, q2, q3, q4, q5, q6, q7, q8, q9, q10, q11 = EXERCISES
score_summary = EXERCISES.score_summary

__all__ = ["q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8", "q9", "q10", "q11", "score_summary"]
