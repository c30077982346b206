"""Exercises of notebook 07, Bias-drift alerting for a lending model (simulated decision log).

Checkers recompute expected values from the learner's log with the reference code and the
simulator's ground truth. Numbers are right to 3 significant digits (``grading.close_enough``).
The rules the learner writes are functions, so each check runs them on weeks it has not seen:
q1's weekly difference (a week where the reference group is behind), q3's interval (against
statsmodels' Newcombe interval on several tables) and q4's alert rule (small groups, a group of
exactly MIN_GROUP_SIZE, a gap whose interval includes 0, a gap that clears every test).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial

import numpy as np
import pandas as pd

from model_health.teaching.grading import (
    Claim,
    Exercise,
    ExerciseSet,
    Incorrect,
    WrittenAnswer,
    as_option,
    call_learner_function,
    close_enough,
    expect_close,
    expect_number,
    format_distinct,
    kind_of,
)

NOTEBOOK = "07_bias_drift_alerting"
REFERENCE_GROUP, PROTECTED_GROUP = "group A", "group B"


def _fnr(week_log: pd.DataFrame) -> float:
    creditworthy = week_log[week_log["creditworthy"] == 1]
    return float(1 - creditworthy["approved"].mean()) if len(creditworthy) else float("nan")


def reference_weekly_fnr_difference(log: pd.DataFrame) -> pd.Series:
    """Per week: FNR of the protected group minus FNR of the reference group (creditworthy refused)."""
    rows = {}
    for week, week_log in log.groupby("week"):
        rows[week] = (_fnr(week_log[week_log["group"] == PROTECTED_GROUP])
                      - _fnr(week_log[week_log["group"] == REFERENCE_GROUP]))
    return pd.Series(rows, name="fnr_difference").rename_axis("week")


def _unseen_log() -> pd.DataFrame:
    """Two weeks the learner's function has not seen; in week 2 the reference group is behind."""
    rows = []
    for week, (a_refused, b_refused) in ((1, (2, 5)), (2, (6, 1))):
        for group, refused in ((REFERENCE_GROUP, a_refused), (PROTECTED_GROUP, b_refused)):
            rows += [{"week": week, "group": group, "creditworthy": 1, "approved": int(i >= refused)}
                     for i in range(20)]
            rows += [{"week": week, "group": group, "creditworthy": 0, "approved": i % 2} for i in range(6)]
    return pd.DataFrame(rows)


def _as_week_series(value, name: str) -> pd.Series:
    if isinstance(value, Mapping):
        value = pd.Series(dict(value))
    if isinstance(value, pd.DataFrame) and value.shape[1] == 1:
        value = value.iloc[:, 0]
    if not isinstance(value, pd.Series):
        raise Incorrect(f"`{name}` should return a pandas Series indexed by week, got {kind_of(value)}.")
    return value.sort_index().astype(float)


class WeeklyFnrDifference(Exercise):
    title = "The weekly FNR difference"
    reads = ("weekly_fnr_difference",)
    hints = (
        "FNR of a group = share of its creditworthy applicants (creditworthy == 1) who were refused (approved == 0).",
        "For each week: FNR(group B) - FNR(group A); log.groupby('week') and a small function per week.",
    )

    def expect(self, ns, weekly_fnr_difference):
        unseen = _unseen_log()
        expected = reference_weekly_fnr_difference(unseen)
        found = _as_week_series(call_learner_function(weekly_fnr_difference, unseen.copy(),
                                                      name="weekly_fnr_difference"), "weekly_fnr_difference")
        if list(found.index) != list(expected.index):
            raise Incorrect(f"On a two-week log, `weekly_fnr_difference` returns weeks {list(found.index)}; expected "
                            "one value per week: [1, 2].")
        if not close_enough(found.to_numpy(), expected.to_numpy()):
            if close_enough(found.to_numpy(), -expected.to_numpy()):
                raise Incorrect("The sign is reversed: group B's FNR minus group A's, so a positive value means the "
                                "protected group is refused more.")
            if close_enough(found.to_numpy(), expected.abs().to_numpy()):
                raise Incorrect("On a week where group A is refused more (week 2 of an unseen log), the difference "
                                "should be negative: keep its sign, don't take abs().")
            raise Incorrect(f"On an unseen two-week log, `weekly_fnr_difference` returns {found.round(3).tolist()}; "
                            f"FNR(group B) - FNR(group A) per week is {expected.round(3).tolist()}.")
        weekly = reference_weekly_fnr_difference(ns["log"])
        return f"Over the year the difference ranges from {weekly.min():+.3f} to {weekly.max():+.3f}."

    def reference(self, ns):
        return reference_weekly_fnr_difference


class CrossCheck(Exercise):
    title = "Cross-check one week with Aequitas"
    reads = ("aequitas_fnr_difference",)
    hints = (
        "For week CHECK_WEEK, Aequitas wants columns score (the decision), label_value (the truth) and the group.",
        "Group().get_crosstabs(frame)[0] has an 'fnr' column per attribute_value; group B's minus group A's.",
    )

    def expect(self, ns, aequitas_fnr_difference):
        week_log = ns["log"][ns["log"]["week"] == ns["CHECK_WEEK"]]
        # Aequitas's FNR counts refusals of the favourable label as negatives: the same as ours.
        b = _fnr(week_log[week_log["group"] == PROTECTED_GROUP])
        a = _fnr(week_log[week_log["group"] == REFERENCE_GROUP])
        expect_close("aequitas_fnr_difference", expect_number("aequitas_fnr_difference", aequitas_fnr_difference),
                     b - a, mistakes={
                         "that is Aequitas's fnr_disparity, a ratio; the policy is on the difference.": b / a,
                         "the sign is reversed: group B minus group A.": a - b,
                     }, otherwise=f"that is not group B's FNR minus group A's in week {ns['CHECK_WEEK']}.")
        return f"Aequitas and your function agree: {b - a:+.3f} in week {ns['CHECK_WEEK']}."


def reference_newcombe_interval(refused_b, creditworthy_b, refused_a, creditworthy_a, confidence=0.95):
    """Newcombe's hybrid score interval for FNR(B) - FNR(A)."""
    from statsmodels.stats.proportion import confint_proportions_2indep

    low, high = confint_proportions_2indep(refused_b, creditworthy_b, refused_a, creditworthy_a, method="newcomb",
                                           compare="diff", alpha=1 - confidence)
    return float(low), float(high)


UNSEEN_TABLES = ((12, 40, 5, 120), (3, 9, 30, 150), (40, 100, 40, 100), (0, 25, 4, 80))


class DifferenceInterval(Exercise):
    title = "How sure are we? An interval for the difference"
    reads = ("difference_interval",)
    hints = (
        "statsmodels.stats.proportion.confint_proportions_2indep(refused_b, creditworthy_b, refused_a, "
        "creditworthy_a, method='newcomb', compare='diff') returns (low, high).",
        "Newcombe's interval combines a Wilson score interval per group; unlike the Wald interval it stays inside "
        "[-1, 1] and keeps its coverage for small groups.",
    )

    def expect(self, ns, difference_interval):
        for table in UNSEEN_TABLES:
            expected = reference_newcombe_interval(*table)
            found = call_learner_function(difference_interval, *table, name="difference_interval")
            if isinstance(found, (str, bytes)) or np.ndim(found) != 1 or len(found) != 2:
                raise Incorrect(f"`difference_interval` should return (low, high), got {kind_of(found)}.")
            low, high = (expect_number("difference_interval(...)", bound) for bound in found)
            if not (close_enough(low, expected[0]) and close_enough(high, expected[1])):
                wald = _wald_interval(*table)
                why = (" That is the Wald interval, which is too narrow for small groups and can leave [-1, 1]."
                       if close_enough(low, wald[0]) and close_enough(high, wald[1]) else "")
                raise Incorrect(f"For {table[0]} of {table[1]} refused in group B and {table[2]} of {table[3]} in group A, "
                                f"`difference_interval` returns ({low:.4f}, {high:.4f}); Newcombe's interval is "
                                f"({expected[0]:.4f}, {expected[1]:.4f}).{why}")
        return "Your interval matches Newcombe's hybrid score interval."

    def reference(self, ns):
        return reference_newcombe_interval


def _wald_interval(refused_b, creditworthy_b, refused_a, creditworthy_a):
    p_b, p_a = refused_b / creditworthy_b, refused_a / creditworthy_a
    half = 1.959963984540054 * np.sqrt(p_b * (1 - p_b) / creditworthy_b + p_a * (1 - p_a) / creditworthy_a)
    return p_b - p_a - half, p_b - p_a + half


def _counts(week_log: pd.DataFrame) -> tuple[int, int, int, int]:
    counts = []
    for group in (PROTECTED_GROUP, REFERENCE_GROUP):
        creditworthy = week_log[(week_log["group"] == group) & (week_log["creditworthy"] == 1)]
        counts += [int((creditworthy["approved"] == 0).sum()), len(creditworthy)]
    return tuple(counts)


def reference_should_alert(week_log: pd.DataFrame, *, threshold: float = 0.1, min_group_size: int = 50) -> bool:
    """Alert when both groups have ``min_group_size`` creditworthy applicants, the FNR difference
    exceeds ``threshold`` and its 95% Newcombe interval lies above 0."""
    refused_b, n_b, refused_a, n_a = _counts(week_log)
    if min(n_b, n_a) < min_group_size:
        return False
    low, _ = reference_newcombe_interval(refused_b, n_b, refused_a, n_a)
    return refused_b / n_b - refused_a / n_a > threshold and low > 0


def _week(refused_b, n_b, refused_a, n_a) -> pd.DataFrame:
    rows = [(PROTECTED_GROUP, int(i >= refused_b)) for i in range(n_b)] + [
        (REFERENCE_GROUP, int(i >= refused_a)) for i in range(n_a)]
    frame = pd.DataFrame(rows, columns=["group", "approved"]).assign(week=1, creditworthy=1)
    bad = pd.DataFrame({"group": [PROTECTED_GROUP, REFERENCE_GROUP] * 10, "approved": [0, 1] * 10, "week": 1,
                        "creditworthy": 0})
    return pd.concat([frame, bad], ignore_index=True)


# Weeks the learner's rule has not seen: (refused B, creditworthy B, refused A, creditworthy A, alert?, why).
UNSEEN_WEEKS = (
    (9, 20, 30, 200, False, "group B has only 20 creditworthy applicants, fewer than MIN_GROUP_SIZE"),
    (17, 60, 28, 140, False, "a difference of 0.083 is not above the 0.1 threshold"),
    (17, 50, 22, 100, False, "the difference is 0.12, but its 95% interval includes 0: not enough evidence"),
    (40, 100, 30, 150, True, "a difference of 0.20 with 100 and 150 creditworthy applicants, interval above 0"),
    (60, 150, 40, 200, True, "a difference of 0.20 with large groups"),
    # Each isolates one test of the rule (issue 22: four wrong rules passed the weeks above).
    (80, 200, 0, 20, False, "group A has only 20 creditworthy applicants, fewer than MIN_GROUP_SIZE"),
    (20, 45, 30, 200, False, "group B has 45 creditworthy applicants (55 applicants in all), fewer than "
                             "MIN_GROUP_SIZE: count the creditworthy ones"),
    (280, 1000, 200, 1000, False, "the difference is 0.08, not above the 0.1 threshold, though its interval lies "
                                  "above 0"),
    (8, 50, 2, 50, False, "the difference is 0.12 with 50 in each group, and Newcombe's 95% interval includes 0 "
                          "(a Wald interval would not)"),
    # Issue 22: a rule refusing a group of exactly MIN_GROUP_SIZE (`<=`) and testing no interval passed: the weeks
    # above where the interval decides have a group of exactly 50, which that size test refuses first.
    (20, 60, 22, 100, False, "the difference is 0.113 with 60 and 100 creditworthy applicants, above the threshold, "
                             "but its 95% interval includes 0: not enough evidence"),
    (25, 50, 20, 200, True, "group B has exactly MIN_GROUP_SIZE (50) creditworthy applicants, which is enough "
                            "('at least MIN_GROUP_SIZE'), and a difference of 0.40 whose interval lies above 0"),
)


class EvidenceRule(Exercise):
    title = "Alert only on evidence"
    reads = ("should_alert",)
    hints = (
        "Three tests, all needed: both groups have at least MIN_GROUP_SIZE creditworthy applicants; the FNR "
        "difference exceeds THRESHOLD; the interval's lower bound is above 0.",
        "Count refused and creditworthy applicants per group, then use difference_interval on those counts.",
    )

    def expect(self, ns, should_alert):
        for refused_b, n_b, refused_a, n_a, alert, why in UNSEEN_WEEKS:
            week_log = _week(refused_b, n_b, refused_a, n_a)
            found = call_learner_function(should_alert, week_log, name="should_alert")
            if not isinstance(found, (bool, np.bool_)):
                raise Incorrect(f"`should_alert` should return True or False, got {kind_of(found)}.")
            if bool(found) != alert:
                raise Incorrect(f"On a week where {why}, `should_alert` returns {bool(found)}; it should "
                                f"{'' if alert else 'not '}alert.")
        return "Your rule alerts on real evidence and stays quiet on small or uncertain weeks."

    def reference(self, ns):
        return _notebook_rule(ns)


def _notebook_rule(ns):
    """The reference rule with the notebook's THRESHOLD and MIN_GROUP_SIZE."""
    return partial(reference_should_alert, threshold=ns["THRESHOLD"], min_group_size=ns["MIN_GROUP_SIZE"])


def _rule_in_use(ns):
    """The learner's rule once q4 is right (later answers are judged by it), else the reference."""
    return ns["should_alert"] if EvidenceRule().grade(ns).status.name == "CORRECT" else _notebook_rule(ns)


def _alert_rates(ns, should_alert) -> dict[str, float]:
    quiet = ns["quiet_year"]
    naive = reference_weekly_fnr_difference(quiet).abs() > ns["THRESHOLD"]
    evidence = [bool(should_alert(week_log)) for _, week_log in quiet.groupby("week")]
    return {"naive": float(naive.mean()), "evidence": float(np.mean(evidence))}


class FalseAlarms(Exercise):
    title = "False alarms in a year with no change"
    reads = ("false_alarm_rate",)
    hints = (
        "In quiet_year nothing changes, so every alert is false. naive: the share of weeks with "
        "abs(FNR difference) > THRESHOLD; evidence: the share of weeks should_alert(week_log) is True.",
    )

    def expect(self, ns, false_alarm_rate):
        expected = _alert_rates(ns, _rule_in_use(ns))
        if isinstance(false_alarm_rate, pd.Series):
            false_alarm_rate = false_alarm_rate.to_dict()
        if not isinstance(false_alarm_rate, Mapping) or set(false_alarm_rate) != set(expected):
            raise Incorrect(f"`false_alarm_rate` should be a dict with the keys {sorted(expected)}, got "
                            f"{kind_of(false_alarm_rate)}.")
        weeks = ns["quiet_year"]["week"].nunique()
        for rule, rate in expected.items():
            value = expect_number(f"false_alarm_rate[{rule!r}]", false_alarm_rate[rule])
            expect_close(f"false_alarm_rate[{rule!r}]", value, rate, mistakes={
                "that is a count of weeks; give the share of weeks.": rate * weeks,
            }, otherwise=f"that is not the share of the {weeks} quiet weeks on which the {rule} rule alerts.")
        return (f"In a year with no change the naive rule pages someone in {expected['naive']:.0%} of weeks, the "
                f"evidence rule in {expected['evidence']:.0%}.")

    def reference(self, ns):
        return _alert_rates(ns, _notebook_rule(ns))


class Detection(Exercise):
    title = "When does the evidence rule catch the real change?"
    reads = ("first_alert_week",)
    hints = ("The first week of `log` (in order) for which should_alert(week_log) is True; None if none.",)

    def expect(self, ns, first_alert_week):
        should_alert = _rule_in_use(ns)
        alerts = [week for week, week_log in ns["log"].groupby("week") if should_alert(week_log)]
        expected = alerts[0] if alerts else None
        if first_alert_week != expected:
            naive = reference_weekly_fnr_difference(ns["log"])
            naive_weeks = naive.index[(naive.abs() > ns["THRESHOLD"]).to_numpy()].tolist()
            naive_first = naive_weeks[0] if naive_weeks else None
            if naive_first is not None and first_alert_week == naive_first:
                raise Incorrect(f"Week {naive_first} is the naive rule's first alert; the evidence rule's is {expected}.")
            raise Incorrect(f"`first_alert_week` = {first_alert_week!r}; the first week should_alert is True on `log` "
                            f"is {expected}.")
        shift = ns["SHIFT_WEEK"]
        after = next((week for week in alerts if week >= shift), None)
        if expected is None:
            return f"The evidence rule never alerts, though the gap opened in week {shift}: it is too strict."
        if expected < shift:
            return (f"The first alert, week {expected}, comes before the gap opened (week {shift}): a false alarm. "
                    f"The first alert after the change is week {after}.")
        return f"The gap opened in week {shift}; the evidence rule alerts in week {expected}, {expected - shift} week(s) later."

    def reference(self, ns):
        rule = _notebook_rule(ns)
        return next((week for week, week_log in ns["log"].groupby("week") if rule(week_log)), None)


def _f1_by_period(ns) -> pd.DataFrame:
    from sklearn.metrics import f1_score

    log = ns["log"]
    before = log["week"] < ns["SHIFT_WEEK"]
    rows = {"overall": {"before": f1_score(log[before]["creditworthy"], log[before]["approved"]),
                        "after": f1_score(log[~before]["creditworthy"], log[~before]["approved"])}}
    for region, part in log.groupby("region"):
        early = part["week"] < ns["SHIFT_WEEK"]
        rows[region] = {"before": f1_score(part[early]["creditworthy"], part[early]["approved"]),
                        "after": f1_score(part[~early]["creditworthy"], part[~early]["approved"])}
    table = pd.DataFrame(rows).T
    table["relative_drop"] = 1 - table["after"] / table["before"]
    return table


def _row_names_in_a_column(table: pd.DataFrame, names) -> list[str] | None:
    """The values of the column of ``table`` that holds exactly ``names`` as text, once each (the row names reset
    into a column, as ``rename_axis("slice").reset_index()`` does), or None."""
    for position in range(table.shape[1]):
        values = table.iloc[:, position].tolist()
        if all(isinstance(value, str) for value in values) and sorted(values) == sorted(names):
            return values
    return None


class SliceDrift(Exercise):
    title = "The slice the aggregate hides"
    reads = ("f1_by_slice", "degraded_slices")
    hints = (
        "For 'overall' and each region: F1 of approved vs creditworthy before SHIFT_WEEK and from it on, and "
        "relative_drop = 1 - after / before.",
        "degraded_slices: the rows whose relative_drop exceeds F1_TOLERANCE.",
    )

    def expect(self, ns, f1_by_slice, degraded_slices):
        expected = _f1_by_period(ns)
        if not isinstance(f1_by_slice, pd.DataFrame) or not {"before", "after", "relative_drop"} <= set(
                f1_by_slice.columns):
            raise Incorrect("`f1_by_slice` should be a DataFrame with the columns before, after and relative_drop, "
                            f"got {kind_of(f1_by_slice)}.")
        table = f1_by_slice.set_axis(list(map(str, f1_by_slice.index)))
        names = _row_names_in_a_column(f1_by_slice, expected.index)
        if sorted(table.index) != sorted(expected.index) and names is not None:
            table = f1_by_slice.set_axis(names)  # the same table with its slice names in a column
        if sorted(table.index) != sorted(expected.index):
            raise Incorrect(f"`f1_by_slice` should have the rows {sorted(expected.index)}.")
        table = table.loc[expected.index]
        for column in ("before", "after", "relative_drop"):
            if not close_enough(table[column].to_numpy(float), expected[column].to_numpy()):
                raise Incorrect(f"f1_by_slice['{column}'] should be {expected[column].round(3).to_dict()}.")
        tolerance = ns["F1_TOLERANCE"]
        right = sorted(expected.index[expected["relative_drop"] > tolerance])
        if isinstance(degraded_slices, str) or not isinstance(degraded_slices, (list, tuple, set, pd.Index)):
            raise Incorrect(f"`degraded_slices` should be a list of row names, got {kind_of(degraded_slices)}.")
        if sorted(map(str, degraded_slices)) != right:
            raise Incorrect(f"Degraded (relative drop above {tolerance}): {right}; you listed "
                            f"{sorted(map(str, degraded_slices))}.")
        return (f"Overall F1 fell {expected.loc['overall', 'relative_drop']:.1%}, inside the tolerance; "
                + ", ".join(f"{s} fell {expected.loc[s, 'relative_drop']:.1%}" for s in right) + ".")

    def reference(self, ns):
        table = _f1_by_period(ns)
        return table, sorted(table.index[table["relative_drop"] > ns["F1_TOLERANCE"]])


def _selection_rate_difference(ns) -> float:
    week_log = ns["log"][ns["log"]["week"] == ns["CHECK_WEEK"]]
    rates = week_log.groupby("group")["approved"].mean()
    return float(rates[PROTECTED_GROUP] - rates[REFERENCE_GROUP])


class SecondMetric(Exercise):
    title = "A second fairness metric"
    reads = ("second_metric", "second_metric_value")
    hints = (
        "'statistical parity difference': approval rate of group B minus group A in CHECK_WEEK (all applicants); "
        "'equal opportunity difference': TPR(B) - TPR(A), which is minus the FNR difference.",
    )

    def expect(self, ns, second_metric, second_metric_value):
        week_log = ns["log"][ns["log"]["week"] == ns["CHECK_WEEK"]]
        fnr_difference = (_fnr(week_log[week_log["group"] == PROTECTED_GROUP])
                          - _fnr(week_log[week_log["group"] == REFERENCE_GROUP]))
        values = {"statistical parity difference": _selection_rate_difference(ns),
                  "equal opportunity difference": -fnr_difference}
        second_metric = as_option(second_metric, values)
        if not isinstance(second_metric, str) or second_metric not in values:
            raise Incorrect(f"`second_metric` should be one of {sorted(values)}, got {kind_of(second_metric)} "
                            f"{second_metric!r}.")
        value = expect_number("second_metric_value", second_metric_value)
        reversed_sign = ("that is FNR(B) - FNR(A), which is TPR(A) - TPR(B): the equal opportunity difference is "
                         "TPR(B) - TPR(A), the same gap seen from the approvals." if second_metric ==
                         "equal opportunity difference" else "the sign is reversed: group B minus group A.")
        expect_close("second_metric_value", value, values[second_metric], mistakes={
            reversed_sign: -values[second_metric]},
            otherwise=f"that is not the {second_metric} in week {ns['CHECK_WEEK']} "
                      f"({format_distinct(values[second_metric], value)}).")
        return f"{second_metric}: {values[second_metric]:+.3f} in week {ns['CHECK_WEEK']}."


class AlertJudgment(WrittenAnswer):
    title = "Page, ticket or wait?"
    reads = ("alert_judgment",)
    min_words = 50
    rubric = (
        "Uses the interval and group sizes, not the point estimate alone, to decide whether to page.",
        "Names the false-alarm cost of the naive rule (alert fatigue) with the measured rates.",
        "Says who receives the compliance report and what they should check first.",
        "Mentions the slice (region) problem as a separate, non-fairness alert.",
    )


# --- the story the prose tells (issue 22 §6: it must hold on every seed) -------------------------------------

def _fewer_false_alarms_in_a_quiet_year(ns) -> bool:
    return ns["false_alarm_rate"]["evidence"] < ns["false_alarm_rate"]["naive"]


def _fires_once_the_evidence_is_in_after_the_change(ns) -> bool:
    weeks = pd.DataFrame(ns["weekly"]).set_index("week")
    return bool(weeks.loc[ns["SHIFT_WEEK"]:, "alert"].any())


def _falls_silent_while_the_gap_is_still_wide(ns) -> bool:
    weeks = pd.DataFrame(ns["weekly"]).set_index("week")
    after = weeks.loc[ns["first_alert_week"]:]
    return bool(((~after["alert"]) & (after["difference"] > ns["THRESHOLD"])).any())


def _a_region_fell_while_the_overall_f1_held(ns) -> bool:
    return bool("overall" not in ns["degraded_slices"] and len(ns["degraded_slices"]) > 0)


EXERCISES = ExerciseSet(NOTEBOOK, [
    WeeklyFnrDifference(), CrossCheck(), DifferenceInterval(), EvidenceRule(), FalseAlarms(), Detection(),
    SliceDrift(), SecondMetric(), AlertJudgment(),
], claims=[
    Claim("fewer false alarms in a quiet year", _fewer_false_alarms_in_a_quiet_year),
    Claim("after a real change begins, it fires only once a week's evidence is in",
          _fires_once_the_evidence_is_in_after_the_change),
    Claim("it judges each week on its own, so it can fall silent while the gap is still wide",
          _falls_silent_while_the_gap_is_still_wide),
    Claim("found a region whose performance fell while the overall F1 stayed within tolerance",
          _a_region_fell_while_the_overall_f1_held),
])
q1, q2, q3, q4, q5, q6, q7, q8, q9 = EXERCISES
score_summary = EXERCISES.score_summary

__all__ = ["q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8", "q9", "score_summary"]
