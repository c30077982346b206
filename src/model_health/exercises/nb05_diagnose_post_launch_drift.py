"""Exercises of notebook 05, Diagnose and mitigate post-launch drift (credit-portfolio simulator).

Checkers recompute every expected value from the learner's portfolio and model with the
reference code (``model_health.drift``, ``model_health.simulators``), and compare the
diagnosis with the simulator's ground truth. Tolerances: 1e-6 (exact computations).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from model_health.drift import (
    PSI_ALERT,
    PSI_WATCH,
    categorical_psi,
    drift_table,
    population_stability_index,
    psi_band,
)
from model_health.drift import _psi_from_counts  # the one PSI formula, for the equal-width-bins mistake
from model_health.grading import (
    Exercise,
    ExerciseSet,
    Incorrect,
    WrittenAnswer,
    call_learner_function,
    expect_close,
    expect_number,
)
from model_health.monitoring import MonitoringPolicy, replay_policy
from model_health.simulators import MONTH_NAMES, credit_model

NOTEBOOK = "05_diagnose_post_launch_drift"


def _months(ns) -> list[int]:
    return sorted(ns["portfolio"].production["month"].unique().tolist())


def reference_f1_by_month(ns) -> pd.Series:
    from sklearn.metrics import f1_score

    portfolio, model, features = ns["portfolio"], ns["model"], ns["FEATURES"]
    return pd.Series({month: f1_score(portfolio.month(month)["default"], model.predict(portfolio.month(month)[features]))
                      for month in _months(ns)}, name="f1").rename_axis("month")


def reference_drift(ns) -> pd.DataFrame:
    features = ns["FEATURES"]
    return drift_table(ns["portfolio"].training[features], ns["portfolio"].month(6)[features])


def _expect_series_by_month(name: str, value, expected: pd.Series, *, months: str = "the production months"
                            ) -> pd.Series:
    if not isinstance(value, pd.Series):
        raise Incorrect(f"`{name}` should be a pandas Series indexed by month, got {type(value).__name__}.")
    if sorted(value.index.tolist()) != expected.index.tolist():
        raise Incorrect(f"`{name}` has index {value.index.tolist()}; expected {months} "
                        f"{expected.index.tolist()}.")
    return value.reindex(expected.index).astype(float)


class F1ByMonth(Exercise):
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
        mine = _expect_series_by_month("f1_by_month", f1_by_month, expected)
        portfolio, model, features = ns["portfolio"], ns["model"], ns["FEATURES"]
        outcomes = {m: (portfolio.month(m)["default"], model.predict(portfolio.month(m)[features]))
                    for m in expected.index}
        accuracy = pd.Series({m: accuracy_score(*pair) for m, pair in outcomes.items()})
        recall = pd.Series({m: recall_score(*pair) for m, pair in outcomes.items()})
        # Accuracy of predicting "repays" for everyone: what accuracy must beat to mean anything.
        all_repay = pd.Series({m: 1 - float(np.mean(pair[0])) for m, pair in outcomes.items()})
        beaten = int((all_repay > accuracy).sum())
        if np.allclose(mine, accuracy, atol=1e-6):
            raise Incorrect(f"These are accuracies. With few defaults, predicting 'repays' for everyone scores "
                            f"{all_repay.min():.2f} to {all_repay.max():.2f} here, above the model in {beaten} of "
                            f"{len(accuracy)} months: accuracy cannot say what broke. Compute F1 on defaults.")
        if np.allclose(mine, recall, atol=1e-6):
            raise Incorrect("These are recalls; F1 also accounts for precision.")
        wrong = [m for m in expected.index if abs(mine[m] - expected[m]) > 1e-6]
        if wrong:
            raise Incorrect(f"F1 for month(s) {wrong} does not match the deployed model on that month's batch.")
        return (f"F1 went from {expected.iloc[0]:.3f} in month 1 to {expected.iloc[-1]:.3f} in month 6 "
                f"({1 - expected.iloc[-1] / expected.iloc[0]:.0%} lower). Accuracy alone would mislead: in "
                f"{beaten} of {len(accuracy)} months, predicting 'repays' for everyone scores higher than the model.")

    def reference(self, ns):
        return reference_f1_by_month(ns)


def reference_first_degraded_month(ns) -> int | None:
    f1 = reference_f1_by_month(ns)
    degraded = f1[f1 < (1 - ns["DEGRADATION_TOLERANCE"]) * ns["baseline_f1"]]
    return int(degraded.index[0]) if len(degraded) else None


class FirstDegradedMonth(Exercise):
    title = "When did performance degrade?"
    reads = ("first_degraded_month",)
    hints = (
        "Degraded means F1 below (1 - DEGRADATION_TOLERANCE) * baseline_f1.",
        "Filter f1_by_month with that condition and take the first month (the smallest index).",
    )

    def expect(self, ns, first_degraded_month):
        expected = reference_first_degraded_month(ns)
        f1 = reference_f1_by_month(ns)
        if expected is None:
            if first_degraded_month is not None:
                raise Incorrect("No month falls below the degradation line; the answer is None.")
            return "No month degraded beyond the tolerance."
        month = expect_number("first_degraded_month", first_degraded_month)
        if month == f1.idxmin() and month != expected:
            raise Incorrect(f"Month {month:g} is the worst month, not the first one below the line.")
        if month != expected:
            line = (1 - ns["DEGRADATION_TOLERANCE"]) * ns["baseline_f1"]
            raise Incorrect(f"In month {month:g} F1 is {f1.get(int(month), float('nan')):.3f}; the first month "
                            f"below the line ({line:.3f}) is another one.")
        return (f"Month {expected}. Labels arrive later, so a label-based alarm hears of it even later: "
                "watch the inputs too.")


class PsiFunction(Exercise):
    title = "Implement the population stability index"
    reads = ("psi",)
    hints = (
        "Bin edges: the reference's deciles, np.quantile(reference, [0.1, 0.2, ..., 0.9]) (then np.unique).",
        "Shares per bin for both samples: np.bincount(np.searchsorted(edges, values), minlength=len(edges)+1) / n.",
        "Floor both shares at MIN_SHARE, then PSI = sum((current - reference) * log(current / reference)).",
    )

    def expect(self, ns, psi):
        rng = np.random.default_rng(0)
        reference = rng.normal(size=5000)
        cases = {
            "a 0.3 sd shift": rng.normal(0.3, 1, 4000),
            "a wider spread": rng.normal(0, 1.5, 3000),
            "values all above the reference's range (empty bins)": rng.uniform(10, 11, 1000),
        }
        for description, current in cases.items():
            value = call_learner_function(psi, reference, current, name="psi")
            value = float(np.asarray(value)) if np.ndim(value) == 0 else value
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
                                 _psi_from_counts(*width_counts),
                         }, otherwise="that does not match PSI with reference-decile bins and shares floored "
                                      "at MIN_SHARE.")
        return "Your PSI matches the workbook's on a shift, a spread change and empty bins."


class PsiByFeature(Exercise):
    title = "PSI of every feature in month 6"
    reads = ("psi_by_feature",)
    hints = (
        "Compare portfolio.training with portfolio.month(6), one feature at a time.",
        "Use your psi for numeric features and categorical_psi for 'region' and 'loan_purpose'.",
    )

    def expect(self, ns, psi_by_feature):
        expected = reference_drift(ns)["psi"]
        if not isinstance(psi_by_feature, pd.Series):
            raise Incorrect(f"`psi_by_feature` should be a pandas Series indexed by feature, got "
                            f"{type(psi_by_feature).__name__}.")
        missing = sorted(set(expected.index) - set(psi_by_feature.index))
        if missing:
            raise Incorrect(f"`psi_by_feature` lacks feature(s) {missing}.")
        portfolio = ns["portfolio"]
        for feature in expected.index:
            value = expect_number(f"psi_by_feature['{feature}']", psi_by_feature[feature])
            training, month_6 = portfolio.training[feature], portfolio.month(6)[feature]
            swapped = (population_stability_index(month_6, training) if pd.api.types.is_numeric_dtype(training)
                       else categorical_psi(month_6, training))
            expect_close(f"psi_by_feature['{feature}']", value, expected[feature], mistakes={
                "the arguments look swapped: training is the reference.": swapped,
            }, otherwise="that is not the PSI of month 6 against the training window.")
        top = expected.sort_values(ascending=False).index[:3].tolist()
        return f"The three largest: {', '.join(top)}. Next, sort them into bands."

    def reference(self, ns):
        return reference_drift(ns)["psi"]


class FlagFeatures(Exercise):
    title = "Flag drifted and watch-list features"
    reads = ("drifted_features", "watch_features")
    hints = (
        "Drifted: PSI above PSI_ALERT (0.25). Watch: PSI from PSI_WATCH (0.1) up to 0.25.",
        "Return sorted lists of feature names, e.g. sorted(psi_by_feature[psi_by_feature > PSI_ALERT].index).",
    )

    def expect(self, ns, drifted_features, watch_features):
        psi = reference_drift(ns)["psi"]
        expected_drift = sorted(psi[psi > PSI_ALERT].index)
        expected_watch = sorted(psi[(psi >= PSI_WATCH) & (psi <= PSI_ALERT)].index)
        for name, value in (("drifted_features", drifted_features), ("watch_features", watch_features)):
            if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
                raise Incorrect(f"`{name}` should be a list of feature names, got {type(value).__name__}.")
        if sorted(drifted_features) == sorted(psi[psi >= PSI_WATCH].index) and expected_watch:
            raise Incorrect("`drifted_features` includes the watch band: only PSI above 0.25 counts as drift.")
        if sorted(drifted_features) != expected_drift:
            extra = len(set(drifted_features) - set(expected_drift))
            missed = len(set(expected_drift) - set(drifted_features))
            raise Incorrect(f"`drifted_features` should hold every feature with PSI > {PSI_ALERT} and no other: "
                            f"yours has {extra} at or below it and misses {missed} above it.")
        if sorted(watch_features) != expected_watch:
            raise Incorrect(f"`watch_features` should hold the features with PSI from {PSI_WATCH} to {PSI_ALERT}.")
        truth = sorted(ns["portfolio"].drifted_features)
        verdict = "exactly the features the simulator moved" if expected_drift == truth else \
            f"compare with the simulator's truth: {truth}"
        return f"Drifted: {expected_drift}: {verdict}."


class StatisticalVsPractical(Exercise):
    title = "Significant is not the same as important"
    reads = ("tiny_shift_pvalue", "tiny_shift_psi", "tiny_shift_band")
    hints = (
        "scipy.stats.ks_2samp(big_reference, big_current).pvalue gives the KS test's p-value.",
        "population_stability_index(big_reference, big_current) and psi_band(...) give size and band.",
    )

    def expect(self, ns, tiny_shift_pvalue, tiny_shift_psi, tiny_shift_band):
        from scipy.stats import ks_2samp

        reference, current = ns["big_reference"], ns["big_current"]
        ks = ks_2samp(reference, current)
        expected_p = float(ks.pvalue)
        expected_psi = population_stability_index(reference, current)
        p_value = expect_number("tiny_shift_pvalue", tiny_shift_pvalue)
        if abs(p_value - float(ks.statistic)) < 1e-12:
            raise Incorrect("`tiny_shift_pvalue` is the KS statistic; take .pvalue.")
        expect_close("tiny_shift_pvalue", p_value, expected_p,
                     otherwise="that is not the KS p-value of big_reference against big_current.")
        expect_close("tiny_shift_psi", expect_number("tiny_shift_psi", tiny_shift_psi), expected_psi, mistakes={
            "the arguments look swapped: big_reference is the reference.":
                population_stability_index(current, reference)})
        if tiny_shift_band != psi_band(expected_psi):
            raise Incorrect(f"`tiny_shift_band` should be the PSI band of that value: one of 'stable', "
                            f"'watch', 'drift' (got {tiny_shift_band!r}).")
        return (f"p = {expected_p:.2g} says the shift is real; PSI = {expected_psi:.4f} says it is tiny. With a "
                "million rows every shift is 'significant': alert on size, not on p-values.")


class DataOrConceptDrift(Exercise):
    title = "Data drift, concept drift, or both?"
    reads = ("f1_deployed_on_recent", "f1_refit_on_recent", "drift_kind")
    hints = (
        "Fit credit_model(SEED) on recent_fit, then score both models on recent_eval.",
        "If a model refit on recent labels, with the same features, does much better on the same rows, the "
        "relation between features and outcome changed.",
        "The inputs moved too (q5). drift_kind is one of 'data', 'concept' or 'both'.",
    )

    def expect(self, ns, f1_deployed_on_recent, f1_refit_on_recent, drift_kind):
        from sklearn.metrics import f1_score

        features, recent_fit, recent_eval = ns["FEATURES"], ns["recent_fit"], ns["recent_eval"]
        deployed = f1_score(recent_eval["default"], ns["model"].predict(recent_eval[features]))
        refit_model = credit_model(ns["SEED"]).fit(recent_fit[features], recent_fit["default"])
        refit = f1_score(recent_eval["default"], refit_model.predict(recent_eval[features]))
        on_fit_rows = f1_score(recent_fit["default"], refit_model.predict(recent_fit[features]))
        expect_close("f1_deployed_on_recent", expect_number("f1_deployed_on_recent", f1_deployed_on_recent),
                     deployed, otherwise="that is not the deployed model's F1 on recent_eval.")
        expect_close("f1_refit_on_recent", expect_number("f1_refit_on_recent", f1_refit_on_recent), refit, mistakes={
            "this is the refit model scored on the rows it was fit on; score it on recent_eval.": on_fit_rows,
        }, otherwise="that is not the F1 on recent_eval of credit_model(SEED) fit on recent_fit.")
        portfolio = ns["portfolio"]
        truth = "both" if portfolio.drifted_features and portfolio.severity > 0 else "none"
        answers = ("data", "concept", "both")
        if drift_kind not in answers:
            raise Incorrect(f"`drift_kind` should be one of {answers} (got {drift_kind!r}).")
        if drift_kind == "data":
            raise Incorrect(f"The refit model scores {refit:.3f} against {deployed:.3f} on the same rows: the "
                            "relation between features and default changed too, which is concept drift.")
        if drift_kind == "concept":
            raise Incorrect("Feature distributions moved as well (see the PSI bands): that is data drift too.")
        if drift_kind != truth:
            raise Incorrect(f"The simulator's truth is {truth!r}.")
        return (f"Both: the inputs moved (PSI) and the same inputs now mean more risk (refit {refit:.3f} vs "
                f"deployed {deployed:.3f}). Data drift alone would not be fixed by new labels; this is.")


def reference_retraining(ns) -> tuple[float, float]:
    from sklearn.metrics import f1_score

    portfolio, features = ns["portfolio"], ns["FEATURES"]
    recent = pd.concat([portfolio.month(m) for m in ns["RECENT_MONTHS"]])
    everything = pd.concat([portfolio.training] + [portfolio.month(m) for m in range(1, 6)])
    held_out = portfolio.month(6)
    scores = []
    for window in (recent, everything):
        model = credit_model(ns["SEED"]).fit(window[features], window["default"])
        scores.append(f1_score(held_out["default"], model.predict(held_out[features])))
    return scores[0], scores[1]


class Retrain(Exercise):
    title = "Retrain on a recent window, validate on a later month"
    reads = ("f1_recent_window", "f1_everything")
    hints = (
        "Recent window: months in RECENT_MONTHS. Everything: the training window plus months 1 to 5.",
        "Fit credit_model(SEED) on each and score F1 on month 6, which neither has seen.",
    )

    def expect(self, ns, f1_recent_window, f1_everything):
        recent, everything = reference_retraining(ns)
        expect_close("f1_recent_window", expect_number("f1_recent_window", f1_recent_window), recent,
                     otherwise="that is not month 6's F1 of credit_model(SEED) fit on the RECENT_MONTHS.")
        expect_close("f1_everything", expect_number("f1_everything", f1_everything), everything,
                     otherwise="that is not month 6's F1 of credit_model(SEED) fit on training + months 1-5.")
        deployed = reference_f1_by_month(ns)[6]
        better = "recent window" if recent > everything else "everything"
        return (f"Month 6 F1: deployed {deployed:.3f}, everything {everything:.3f}, recent window {recent:.3f}. "
                f"The {better} wins here: old data teaches the old relation.")


class Policy(Exercise):
    title = "A monitoring policy, replayed over six months"
    reads = ("monitoring_policy",)
    hints = (
        "A dict with psi_alert, f1_drop_alert, label_delay_months (outcomes arrive 1 month late) and min_labels.",
        "Replay it with replay_policy and look at months 1-2 (no downturn yet): no alert should fire there.",
        "The standard PSI band (0.25) with a 10% F1 tolerance is a good start; check it alerts by month 4.",
    )

    def expect(self, ns, monitoring_policy):
        try:
            policy = MonitoringPolicy.from_dict(monitoring_policy)
        except ValueError as problem:
            raise Incorrect(str(problem)) from None
        if policy.label_delay_months < ns["LABEL_DELAY_MONTHS"]:
            raise Incorrect(f"Outcomes arrive {ns['LABEL_DELAY_MONTHS']} month(s) late; a policy cannot read "
                            f"them sooner (label_delay_months = {policy.label_delay_months}).")
        replay = replay_policy(policy, ns["max_psi_by_month"], reference_f1_by_month(ns), ns["labels_by_month"],
                               baseline_f1=ns["baseline_f1"])
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
        degraded = reference_first_degraded_month(ns)
        if degraded is None:
            return f"First alert in month {first} ({alerts.iloc[0]['reason']}), no false alarms."
        seen_by_labels = degraded + policy.label_delay_months
        return (f"{len(alerts)} alert(s), the first in month {first} ({alerts.iloc[0]['reason']}), no false alarms. "
                f"F1 degraded in month {degraded}, which label-only monitoring would learn in month "
                f"{seen_by_labels}: {seen_by_labels - first} month(s) of degraded service saved.")

    def reference(self, ns):
        return {"psi_alert": PSI_ALERT, "f1_drop_alert": ns["DEGRADATION_TOLERANCE"],
                "label_delay_months": ns["LABEL_DELAY_MONTHS"], "min_labels": 500}


def _psi_against(ns, reference_of, *, swapped: bool = False) -> pd.DataFrame:
    """PSI per feature (columns) of each month of SECOND_YEAR (rows) against ``reference_of(month)``."""
    portfolio, features = ns["seasonal_portfolio"], ns["FEATURES"]
    rows = {}
    for month in ns["SECOND_YEAR"]:
        reference, current = reference_of(portfolio, month), portfolio.month(month)
        if swapped:
            reference, current = current, reference
        rows[month] = drift_table(reference[features], current[features])["psi"]
    return pd.DataFrame(rows).T.rename_axis("month")


def _training_window(portfolio, month):
    return portfolio.training


def _same_month_last_year(portfolio, month):
    return portfolio.month(month - 12)


def _previous_month(portfolio, month):
    return portfolio.month(month - 1)


def reference_seasonal_alerts(ns) -> tuple[pd.Series, pd.Series, list[int], list[int]]:
    static = _psi_against(ns, _training_window).max(axis=1).rename("max_psi")
    seasonal = _psi_against(ns, _same_month_last_year).max(axis=1).rename("max_psi")
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
    """Static vs seasonal reference. PSI values: within 1e-6; alert months: exact (``>`` or ``>=``
    PSI_ALERT both pass, as no month's PSI lands exactly on it)."""

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
        mine_static = _expect_series_by_month("static_max_psi", static_max_psi, static,
                                              months="the months of SECOND_YEAR")
        mine_seasonal = _expect_series_by_month("seasonal_max_psi", seasonal_max_psi, seasonal,
                                                months="the months of SECOND_YEAR")
        self._expect_max_psi("static_max_psi", mine_static, static, ns, _training_window, {
            "this is the seasonal reference's PSI (month k - 12); the static reference is the training window.":
                lambda: seasonal,
        }, "does not match the largest PSI of any feature against the training window.")
        self._expect_max_psi("seasonal_max_psi", mine_seasonal, seasonal, ns, _same_month_last_year, {
            "this compares with the training window again, the static reference; compare month k with month "
            "k - 12, the same calendar month a year earlier.": lambda: static,
            "this compares each month with the month before (k - 1). Neighbouring months differ by the season too, "
            "and a slow drift hides in month-to-month steps: compare with month k - 12, a year earlier.":
                lambda: _psi_against(ns, _previous_month).max(axis=1),
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
    def _expect_max_psi(name, mine, expected, ns, reference_of, mistakes, otherwise):
        wrong = [int(month) for month in expected.index if not abs(mine[month] - expected[month]) <= 1e-6]
        if not wrong:
            return
        psi = _psi_against(ns, reference_of)
        candidates = {
            "the arguments look swapped: the reference (the earlier sample) is the first argument.":
                lambda: _psi_against(ns, reference_of, swapped=True).max(axis=1),
            "this is the mean PSI over the features; an alert looks at the largest one.":
                lambda: psi.mean(axis=1),
            "this is the sum of the features' PSI; an alert looks at the largest one.": lambda: psi.sum(axis=1),
            **mistakes,
        }
        for message, values in candidates.items():
            if np.allclose(mine.to_numpy(), values().reindex(expected.index).to_numpy(), atol=1e-6):
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


EXERCISES = ExerciseSet(NOTEBOOK, [
    F1ByMonth(), FirstDegradedMonth(), PsiFunction(), PsiByFeature(), FlagFeatures(),
    StatisticalVsPractical(), DataOrConceptDrift(), Retrain(), Policy(), SeasonalReference(), MonitoringPlan(),
])
q1, q2, q3, q4, q5, q6, q7, q8, q9, q10, q11 = EXERCISES
score_summary = EXERCISES.score_summary

__all__ = ["q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8", "q9", "q10", "q11", "score_summary"]
