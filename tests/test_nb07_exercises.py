"""Notebook 07's exercises: plausible mistakes get their specific message, correct answers in
another form pass, and wrong methods that hit the right value on this data fail (the checks
every exercise shares are in test_exercises.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from model_health.teaching.exercises import nb07_bias_drift_alerting as nb07
from model_health.teaching.grading import Status

from conftest import feedback_failures, significant


def fnr_difference_without_sign(log):
    return nb07.reference_weekly_fnr_difference(log).abs()


def fnr_difference_reversed(log):
    return -nb07.reference_weekly_fnr_difference(log)


def refusal_rate_difference(log):
    """Refusals among ALL applicants, not the creditworthy: the selection-rate gap."""
    refused = 1 - log.groupby(["week", "group"])["approved"].mean().unstack("group")
    return refused["group B"] - refused["group A"]


def wald(refused_b, n_b, refused_a, n_a):
    return nb07._wald_interval(refused_b, n_b, refused_a, n_a)


def naive_rule(week_log):
    """Point estimate only: no minimum size, no interval."""
    refused_b, n_b, refused_a, n_a = nb07._counts(week_log)
    return refused_b / n_b - refused_a / n_a > 0.1


def rule_without_interval(week_log):
    refused_b, n_b, refused_a, n_a = nb07._counts(week_log)
    return min(n_b, n_a) >= 50 and refused_b / n_b - refused_a / n_a > 0.1


def rule_without_minimum(week_log):
    refused_b, n_b, refused_a, n_a = nb07._counts(week_log)
    low, _ = nb07.reference_newcombe_interval(refused_b, n_b, refused_a, n_a)
    return refused_b / n_b - refused_a / n_a > 0.1 and low > 0


def rule_sizing_group_b_only(week_log):
    refused_b, n_b, refused_a, n_a = nb07._counts(week_log)
    low, _ = nb07.reference_newcombe_interval(refused_b, n_b, refused_a, n_a)
    return n_b >= 50 and refused_b / n_b - refused_a / n_a > 0.1 and low > 0


def rule_sizing_all_applicants(week_log):
    refused_b, n_b, refused_a, n_a = nb07._counts(week_log)
    low, _ = nb07.reference_newcombe_interval(refused_b, n_b, refused_a, n_a)
    return bool(week_log["group"].value_counts().min() >= 50 and refused_b / n_b - refused_a / n_a > 0.1 and low > 0)


def rule_without_threshold(week_log):
    refused_b, n_b, refused_a, n_a = nb07._counts(week_log)
    return min(n_b, n_a) >= 50 and nb07.reference_newcombe_interval(refused_b, n_b, refused_a, n_a)[0] > 0


def rule_with_a_wald_interval(week_log):
    refused_b, n_b, refused_a, n_a = nb07._counts(week_log)
    low, _ = wald(refused_b, n_b, refused_a, n_a)
    return min(n_b, n_a) >= 50 and refused_b / n_b - refused_a / n_a > 0.1 and low > 0


def rule_refusing_groups_of_exactly_the_minimum(week_log):
    """`<=` where the policy says "at least MIN_GROUP_SIZE": a group of exactly 50 is refused."""
    refused_b, n_b, refused_a, n_a = nb07._counts(week_log)
    if min(n_b, n_a) <= 50:
        return False
    low, _ = nb07.reference_newcombe_interval(refused_b, n_b, refused_a, n_a)
    return refused_b / n_b - refused_a / n_a > 0.1 and low > 0


def rule_refusing_groups_of_exactly_the_minimum_without_interval(week_log):
    """Issue 22: passed, since every unseen week where the interval decided had a group of exactly 50."""
    refused_b, n_b, refused_a, n_a = nb07._counts(week_log)
    if min(n_b, n_a) <= 50:
        return False
    return refused_b / n_b - refused_a / n_a > 0.1


def mistakes(ns):
    week_log = ns["log"][ns["log"]["week"] == ns["CHECK_WEEK"]]
    b = week_log[(week_log["group"] == "group B") & (week_log["creditworthy"] == 1)]
    a = week_log[(week_log["group"] == "group A") & (week_log["creditworthy"] == 1)]
    fnr_b, fnr_a = 1 - b["approved"].mean(), 1 - a["approved"].mean()
    rates = ns["false_alarm_rate"]
    weeks = ns["quiet_year"]["week"].nunique()
    table = ns["f1_by_slice"]
    return [
        ("q1", dict(weekly_fnr_difference=fnr_difference_reversed), "sign is reversed"),
        # Same values as the reference on every week where group B is behind, which is most of this log.
        ("q1", dict(weekly_fnr_difference=fnr_difference_without_sign), "don't take abs()"),
        ("q1", dict(weekly_fnr_difference=refusal_rate_difference), "FNR(group B) - FNR(group A) per week"),
        ("q1", dict(weekly_fnr_difference=lambda log: "weekly"), "should return a pandas Series"),
        ("q2", dict(aequitas_fnr_difference=fnr_b / fnr_a), "fnr_disparity, a ratio"),
        ("q2", dict(aequitas_fnr_difference=fnr_a - fnr_b), "sign is reversed"),
        ("q3", dict(difference_interval=wald), "Wald interval"),
        ("q3", dict(difference_interval=lambda *counts: 0.1), "should return (low, high)"),
        ("q4", dict(should_alert=naive_rule), "fewer than MIN_GROUP_SIZE"),
        ("q4", dict(should_alert=rule_without_minimum), "fewer than MIN_GROUP_SIZE"),
        ("q4", dict(should_alert=rule_without_interval), "interval includes 0"),
        # issue 22: each passed the earlier unseen weeks
        ("q4", dict(should_alert=rule_sizing_group_b_only), "group A has only 20"),
        ("q4", dict(should_alert=rule_sizing_all_applicants), "count the creditworthy ones"),
        ("q4", dict(should_alert=rule_without_threshold), "not above the 0.1 threshold"),
        ("q4", dict(should_alert=rule_with_a_wald_interval), "a Wald interval would not"),
        ("q4", dict(should_alert=lambda week_log: "yes"), "True or False"),
        ("q4", dict(should_alert=rule_refusing_groups_of_exactly_the_minimum), "exactly MIN_GROUP_SIZE (50)"),
        ("q4", dict(should_alert=rule_refusing_groups_of_exactly_the_minimum_without_interval),
         "0.113 with 60 and 100 creditworthy applicants, above the threshold, but its 95% interval includes 0"),
        ("q5", dict(false_alarm_rate={"naive": rates["naive"] * weeks, "evidence": rates["evidence"]}),
         "count of weeks"),
        ("q5", dict(false_alarm_rate={"naive": rates["naive"]}), "should be a dict with the keys"),
        ("q5", dict(false_alarm_rate={"naive": rates["naive"], "evidence": 0.5}), "evidence rule"),
        ("q6", dict(first_alert_week=ns["SHIFT_WEEK"] + 20), "the first week should_alert is True"),
        ("q7", dict(degraded_slices=["overall", "east"]), "Degraded (relative drop above 0.1): ['east']"),
        ("q7", dict(f1_by_slice=table.assign(relative_drop=table["before"] - table["after"])), "relative_drop"),
        ("q7", dict(f1_by_slice=table.drop("overall")), "should have the rows"),
        ("q8", dict(second_metric="demographic parity"), "should be one of"),
        ("q8", dict(second_metric=["statistical parity difference"]), "should be one of"),  # unhashable: no crash
        ("q8", dict(second_metric_value=-ns["second_metric_value"]), "sign is reversed"),
        # Issue 22: the FNR difference given for equal opportunity was called "the sign is reversed".
        ("q8", dict(second_metric="equal opportunity difference", second_metric_value=ns["aequitas_fnr_difference"]),
         "that is FNR(B) - FNR(A), which is TPR(A) - TPR(B)"),
    ]


def test_each_mistake_gets_its_specific_feedback(solved_nb07):
    assert feedback_failures(nb07.EXERCISES, solved_nb07, mistakes(solved_nb07)) == []


def test_naive_first_alert_is_named(solved_nb07):
    ns = solved_nb07
    naive = nb07.reference_weekly_fnr_difference(ns["log"])
    naive_first = int(naive.index[(naive.abs() > ns["THRESHOLD"]).to_numpy()][0])
    assert naive_first != ns["first_alert_week"]
    result = nb07.q6.grade({**ns, "first_alert_week": naive_first})
    assert result.status is Status.INCORRECT and "naive rule's first alert" in result.message


def correct_in_another_form(ns):
    table = ns["f1_by_slice"]
    return [
        ("q1", dict(weekly_fnr_difference=lambda log: nb07.reference_weekly_fnr_difference(log).to_dict())),
        ("q2", dict(aequitas_fnr_difference=significant(ns["aequitas_fnr_difference"]))),
        ("q3", dict(difference_interval=lambda *counts: np.array(nb07.reference_newcombe_interval(*counts),
                                                                  dtype=np.float32))),
        ("q4", dict(should_alert=lambda week_log: np.bool_(nb07.reference_should_alert(week_log)))),
        ("q5", dict(false_alarm_rate=pd.Series({k: significant(v) for k, v in
                                                reversed(ns["false_alarm_rate"].items())}))),
        ("q6", dict(first_alert_week=np.int64(ns["first_alert_week"]))),
        ("q7", dict(f1_by_slice=table.map(significant).iloc[::-1][["relative_drop", "after", "before"]],
                    degraded_slices=tuple(ns["degraded_slices"]))),
        # The slice names in a column of their own, not the index
        ("q7", dict(f1_by_slice=table.rename_axis("slice").reset_index())),
        ("q7", dict(f1_by_slice=table.rename_axis("slice").reset_index()[["before", "after", "relative_drop",
                                                                           "slice"]].iloc[::-1])),
        ("q8", dict(second_metric="equal opportunity difference",
                    second_metric_value=-ns["aequitas_fnr_difference"])),
    ]


def test_correct_answers_in_other_forms_pass(solved_nb07):
    """Every case of correct_in_another_form grades correct (a fixed count of cases here once left new ones
    unrun)."""
    exercises = {exercise.name: exercise for exercise in nb07.EXERCISES}
    refused = [f"{name} {sorted(answers)}: {result.message}" for name, answers in correct_in_another_form(solved_nb07)
               if (result := exercises[name].grade({**solved_nb07, **answers})).status is not Status.CORRECT]
    assert not refused, "\n".join(refused)


def test_unseen_weeks_mean_what_they_say():
    """Each unseen week's label is the reference rule's verdict."""
    for refused_b, n_b, refused_a, n_a, alert, why in nb07.UNSEEN_WEEKS:
        assert nb07.reference_should_alert(nb07._week(refused_b, n_b, refused_a, n_a)) is alert, why


def test_the_evidence_rule_cries_wolf_less(solved_nb07):
    """On the quiet year the evidence rule alerts less often than the naive one (the notebook's point)."""
    rates = solved_nb07["false_alarm_rate"]
    assert rates["evidence"] < rates["naive"]


def test_the_unseen_weeks_say_what_the_reference_rule_does():
    """Each unseen week's stated outcome is the reference rule's, at the notebook's THRESHOLD and MIN_GROUP_SIZE."""
    assert [nb07.reference_should_alert(nb07._week(*week[:4])) for week in nb07.UNSEEN_WEEKS] == \
        [week[4] for week in nb07.UNSEEN_WEEKS]
