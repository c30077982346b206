"""Notebook 13's exercises: plausible mistakes get their specific message, correct answers in
another form pass, the written answers' rubric self-check and STAR split say what they found,
and a re-seeded notebook still grades correct (the checks every exercise shares are in
test_exercises.py)."""

from __future__ import annotations

import re

import nbformat
import numpy as np
import pandas as pd
import pytest

from model_health.drift import population_stability_index
from model_health.teaching.exercises import nb13_interview_practice as nb13
from model_health.teaching.grading import (RubricPoint, StarAnswer, Status, WrittenAnswer, bind, rubric_coverage,
                                           split_star)

from conftest import REPO, feedback_failures, run_code_cells, significant

SOLUTION = REPO / "solutions" / "13_interview_practice.ipynb"


def trigger_one_week(weekly_f1, baseline, ratio=0.8, consecutive=2):
    """Fires on the first bad week: the seasonal dip would retrain the model."""
    return nb13.reference_first_trigger_week(weekly_f1, baseline, ratio, 1)


def trigger_nan_breaks_run(weekly_f1, baseline, ratio=0.8, consecutive=2):
    """A week without labels resets the count (NaN < x is False)."""
    run = 0
    for week, value in weekly_f1.items():
        run = run + 1 if value < ratio * baseline else 0
        if run >= consecutive:
            return week
    return None


def trigger_position(weekly_f1, baseline, ratio=0.8, consecutive=2):
    """Returns the position in the series, not the week: right only when weeks are numbered from 0."""
    week = nb13.reference_first_trigger_week(weekly_f1, baseline, ratio, consecutive)
    return None if week is None else list(weekly_f1.index).index(week)


def trigger_fixed_ratio(weekly_f1, baseline, ratio=0.8, consecutive=2):
    """Hard-codes the 0.8: right on every case called with the defaults."""
    return nb13.reference_first_trigger_week(weekly_f1, baseline, 0.8, consecutive)


def trigger_fixed_consecutive(weekly_f1, baseline, ratio=0.8, consecutive=2):
    """Hard-codes two weeks in a row."""
    return nb13.reference_first_trigger_week(weekly_f1, baseline, ratio, 2)


def trigger_at_or_below(weekly_f1, baseline, ratio=0.8, consecutive=2):
    """Counts a week exactly on the line as below it."""
    run = 0
    for week, value in weekly_f1.dropna().items():
        run = run + 1 if value <= ratio * baseline else 0
        if run >= consecutive:
            return week
    return None


def trigger_by_share_of_baseline(f1_by_week, base, share=0.8, weeks_in_a_row=2):
    """Right, written another way: other parameter names, F1 as a share of the baseline."""
    below = (f1_by_week.dropna() / base < share).astype(int)
    runs = below.groupby((below == 0).cumsum()).cumsum()
    fired = runs[runs >= weeks_in_a_row]
    return fired.index[0] if len(fired) else None


def brief_swapped(before, now):
    """PSI with the arguments swapped: the bins come from this month's sample."""
    return population_stability_index(now, before), *nb13.reference_drift_brief(before, now)[1:]


def brief_in_points(before, now):
    """The median's change in currency units."""
    psi, _, below = nb13.reference_drift_brief(before, now)
    return psi, now.median() - before.median(), below


def brief_of_means(before, now):
    """The mean's relative change: on incomes that only scale, the same as the median's to 3 digits."""
    psi, _, below = nb13.reference_drift_brief(before, now)
    return psi, now.mean() / before.mean() - 1, below


def brief_current_quartile(before, now):
    """The share below this month's own quartile: about 25% whatever happened."""
    return *nb13.reference_drift_brief(before, now)[:2], (now < now.quantile(0.25)).mean()


def mistakes(ns):
    this = ns["this_quarter"]
    fraud, flagged = this["fraud"], this["flagged"]
    honest_last_quarter = 1 - ns["last_quarter"]["fraud"].mean()
    honest_f1 = 2 * ((fraud == 0) & (flagged == 0)).sum() / ((fraud == 0).sum() + (flagged == 0).sum())
    precision = fraud[flagged == 1].mean()
    shap_values = ns["shap_values"]
    audit = ns["audit"]
    past = audit.groupby("woman")["approved_past"].mean()
    creditworthy_past = audit[audit["approved_past"] == 1]
    fnr_past = (creditworthy_past["approved"] == 0).groupby(creditworthy_past["woman"]).mean()
    not_creditworthy = audit[audit["would_repay"] == 0]
    fpr = (not_creditworthy["approved"] == 1).groupby(not_creditworthy["woman"]).mean()
    fnr = ns["fnr_by_group"]
    weekly = ns["clicks"].assign(ctr=ns["clicks"]["clicks"] / ns["clicks"]["impressions"])
    first, last = ns["first_weeks"], ns["last_weeks"]
    others = [segment for segment in ns["ctr_change_by_segment"].index if segment != ns["degraded_segment"]]
    wrong_pick = {**ns["readiness_domain"], "a tested rollback to the previous version": "monitoring"}
    questions = {question["id"]: question for question in ns["QUIZ"]}
    return [
        ("q1", dict(accuracy_this_quarter=1 - fraud.mean()), "flagging nothing"),
        ("q1", dict(gain_over_flagging_nothing=ns["accuracy_this_quarter"] - fraud.mean()), "subtracts the fraud rate"),
        ("q1", dict(gain_over_flagging_nothing=1 - fraud.mean()), "subtract it from the model's accuracy"),
        ("q1", dict(gain_over_flagging_nothing=-ns["gain_over_flagging_nothing"]), "flagging nothing minus the model"),
        ("q1", dict(gain_over_flagging_nothing=100 * ns["gain_over_flagging_nothing"]), "percentage points"),
        ("q1", dict(gain_over_flagging_nothing=ns["accuracy_last_quarter"] - honest_last_quarter),
         "last quarter's gain"),
        # Rounded as a learner writes it: the share of honest transactions is the same in both quarters to 3
        # digits on 8 of the 10 vetted seeds (issue 22 §3), the gain over it is not.
        ("q1", dict(gain_over_flagging_nothing=significant(ns["accuracy_this_quarter"] - honest_last_quarter)),
         "from last quarter"),
        ("q1", dict(f1_this_quarter=honest_f1), "F1 of the honest class"),
        ("q1", dict(f1_this_quarter=ns["recall_this_quarter"]), "that is recall"),
        ("q1", dict(f1_this_quarter=ns["f1_last_quarter"]), "last quarter's F1"),
        ("q2", dict(drifted_inputs=["log_amount", "online"]), "p < 0.01"),
        ("q2", dict(drifted_inputs=["amount"]), "not inputs"),
        ("q2", dict(failure_kind="data drift"), "the inputs did not move"),
        ("q2", dict(failure_kind="label drift"), "the fraud rate barely moved"),
        ("q2", dict(failure_kind="drift"), "should be one of"),
        ("q2", dict(recall_this_quarter=precision), "that is precision"),
        ("q4", dict(approval_gap=-ns["approval_gap"]), "men minus women"),
        ("q4", dict(approval_gap=past[1] - past[0]), "past decisions"),
        ("q4", dict(proxy_feature="income_k"), "not the input that tells women from men best"),
        ("q4", dict(proxy_auc={"career_break": 0.7}), "one value per input"),
        ("q4", dict(proxy_auc={**ns["proxy_auc"], "career_break": 0.9}), "proxy_auc['career_break']"),
        ("q6", dict(fnr_by_group={"women": fnr_past[1], "men": fnr_past[0]}), "past decisions"),
        ("q6", dict(fnr_by_group={"women": fpr[1], "men": fpr[0]}), "false positive rates"),
        ("q6", dict(fnr_by_group={"women": fnr["men"], "men": fnr["women"]}), "swapped"),
        ("q6", dict(fnr_by_group={"women": 1 - fnr["women"], "men": 1 - fnr["men"]}), "true positive rates"),
        ("q6", dict(fnr_by_group={"female": 0.3, "male": 0.2}), "keys 'women' and 'men'"),
        ("q6", dict(equal_opportunity_difference=-ns["equal_opportunity_difference"]), "men minus women"),
        ("q8", dict(top_reason=shap_values.idxmax()), "but it raised it"),
        ("q8", dict(top_reason=shap_values.drop(shap_values.idxmin()).idxmin()), "another input lowered it more"),
        ("q8", dict(top_reason="gender"), "should be one of the inputs"),
        ("q8", dict(income_needed_k=ns["income_needed_k"] - ns["applicant"]["income_k"]), "that is the change"),
        ("q8", dict(decision_without_break={"approved": "denied", "denied": "approved"}[
            ns["decision_without_break"]]), "Predict again"),
        ("q10", dict(ctr_by_week=weekly.groupby("week")["ctr"].mean()), "mean of the segments' CTRs"),
        ("q10", dict(ctr_by_week=ns["ctr_by_week"].iloc[1:]), "one value per week"),
        ("q10", dict(ctr_change_by_segment=last["clicks"] / last["impressions"] - first["clicks"] / first["impressions"]),
         "differences in points"),
        ("q10", dict(degraded_segment=others[0]), "not the segment whose CTR fell most"),
        ("q12", dict(income_psi=population_stability_index(ns["income_now"], ns["income_before"])), "swapped"),
        # The swapped PSI is within 3 digits of the right one on seeds 7 and 61 (issue 22 §3): unseen samples tell.
        ("q12", dict(drift_brief=brief_swapped), "swapped"),
        ("q12", dict(drift_brief=brief_in_points), "currency units"),
        ("q12", dict(drift_brief=brief_of_means), "change of the mean"),
        ("q12", dict(drift_brief=brief_current_quartile), "current sample's quartile"),
        ("q12", dict(drift_brief=lambda before, now: nb13.reference_drift_brief(before, now)[:2]), "three numbers"),
        ("q12", dict(drift_brief=lambda before, now: before.quantile(1.5)), "raised ValueError"),
        ("q12", dict(median_income_change=ns["income_now"].median() - ns["income_before"].median()), "currency units"),
        ("q12", dict(share_below_old_quartile=(ns["income_now"] < ns["income_now"].quantile(0.25)).mean()),
         "current sample's quartile"),
        ("q14", dict(readiness_domain=wrong_pick), "belongs to system"),
        ("q14", dict(readiness_domain={"a datasheet for the training data": "data"}), "one key per check"),
        ("q14", dict(missing_domain="data"), "has a check in 'data'"),
        ("q14", dict(missing_domain="people"), "should be one of"),
        ("q16", dict(first_trigger_week=trigger_one_week), "a single bad week"),
        ("q16", dict(first_trigger_week=trigger_nan_breaks_run), "without labels"),
        ("q16", dict(first_trigger_week=trigger_position), "weeks"),
        ("q16", dict(first_trigger_week=lambda *args: 1 / 0), "raised ZeroDivisionError"),
        ("q16", dict(first_trigger_week=trigger_fixed_ratio), "ignores its `ratio` argument"),
        ("q16", dict(first_trigger_week=trigger_fixed_consecutive), "ignores its `consecutive` argument"),
        ("q16", dict(first_trigger_week=trigger_at_or_below), "F1 on the line is not below it"),
        ("q16", dict(churn_rate_change=100 * ns["churn_rate_change"]), "give it as a fraction"),
        ("q16", dict(churn_rate_change=-ns["churn_rate_change"]), "first minus last"),
        ("q16", dict(retrain_week=ns["retrain_week"] + 1), "apply first_trigger_week"),
        ("q16", dict(weekly_f1=ns["weekly_f1"].reset_index(drop=True)), "indexed by week"),
        ("q18", dict(quiz_answers={**ns["quiz_answers"], "metrics-05": 4}), "Not right: metrics-05"),
        ("q18", dict(quiz_answers={**ns["quiz_answers"], "gov-04": "maybe"}), "not in the expected form"),
        ("q18", dict(quiz_answers={**ns["quiz_answers"], "metrics-99": 1}), "not in this round"),
        ("q18", dict(quiz_answers=[2, 3]), "should be a dict"),
    ] + [("q18", dict(quiz_answers={**ns["quiz_answers"], question_id: wrong}), question_id)
         for question_id, wrong in (("mitig-02", 1), ("comm-02", 1)) if question_id in questions]


def test_each_mistake_gets_its_specific_feedback(solved_nb13):
    assert feedback_failures(nb13.EXERCISES, solved_nb13, mistakes(solved_nb13)) == []


def test_the_unseen_samples_tell_each_brief_mistake_from_the_right_number():
    """Every wrong method of q12's drift_brief gives a number the check refuses, rounded, on some unseen sample,
    whatever the seed (issue 22 §3: on incomes that only shift, the swapped PSI and the mean's change do not)."""
    from model_health.teaching.grading import close_enough

    for wrong in (brief_swapped, brief_in_points, brief_of_means, brief_current_quartile):
        assert any(not close_enough([significant(value) for value in wrong(before, now)],
                                    nb13.reference_drift_brief(before, now))
                   for before, now, _ in nb13.UNSEEN_SAMPLES), wrong.__name__


def test_a_drift_brief_left_blank_is_not_attempted(solved_nb13):
    from model_health.teaching.grading import ____

    result = nb13.q12.grade({**solved_nb13, "drift_brief": lambda before, now: (1.0, ____, ____)})
    assert result.status is Status.NOT_ATTEMPTED and "drift_brief" in result.message


def test_a_quiz_round_answered_in_part_is_graded_on_what_was_answered(solved_nb13):
    """5 of 6 answered is an attempt (issue 22: it showed as not attempted): right so far, one still to answer."""
    from model_health.teaching.grading import ____

    answers = dict(solved_nb13["quiz_answers"])
    answers.pop("gov-04")
    for partial in (answers, {**answers, "gov-04": ____}):  # left out, or left blank
        result = nb13.q18.grade({**solved_nb13, "quiz_answers": partial})
        assert result.status is Status.INCORRECT, result.message
        assert f"{len(answers)} of {len(answers) + 1} right" in result.message and "gov-04" in result.message
    for blank in ({}, {question_id: ____ for question_id in solved_nb13["quiz_answers"]}):
        assert nb13.q18.grade({**solved_nb13, "quiz_answers": blank}).status is Status.NOT_ATTEMPTED


def correct_in_another_form(ns):
    return [
        ("q1", dict(accuracy_this_quarter=significant(ns["accuracy_this_quarter"], 4),
                    f1_this_quarter=np.float32(ns["f1_this_quarter"]), f1_last_quarter=significant(ns["f1_last_quarter"]))),
        ("q2", dict(drifted_inputs=tuple(ns["drifted_inputs"]), failure_kind=" Concept Drift",
                    recall_this_quarter=significant(ns["recall_this_quarter"]))),
        ("q4", dict(approval_gap=significant(ns["approval_gap"]),
                    proxy_auc=pd.Series({f: max(v, 1 - v) for f, v in reversed(ns["proxy_auc"].items())}),
                    proxy_feature=ns["proxy_feature"].upper())),
        ("q6", dict(equal_opportunity_difference=round(ns["equal_opportunity_difference"], 3))),  # as printed
        ("q6", dict(fnr_by_group=pd.Series(ns["fnr"]), equal_opportunity_difference=significant(
            ns["equal_opportunity_difference"]))),
        ("q8", dict(income_needed_k=significant(ns["income_needed_k"]), decision_without_break=
                    ns["decision_without_break"].capitalize())),
        ("q10", dict(ctr_by_week={int(week): significant(value) for week, value in ns["ctr_by_week"].items()},
                     ctr_change_by_segment=ns["ctr_change_by_segment"].to_dict())),
        ("q12", dict(income_psi=significant(ns["income_psi"]), share_below_old_quartile=np.float32(
            ns["share_below_old_quartile"]))),
        ("q12", dict(drift_brief=lambda before, now: pd.Series(nb13.reference_drift_brief(before, now)).astype(
            np.float32).tolist())),
        ("q14", dict(readiness_domain=pd.Series({k: v.upper() for k, v in ns["readiness_domain"].items()}),
                     missing_domain="System ")),
        ("q16", dict(weekly_f1=ns["weekly_f1"].to_dict(), first_trigger_week=lambda *args: (
            None if (week := nb13.reference_first_trigger_week(*args)) is None else np.int64(week)))),
        ("q16", dict(churn_rate_change=round(ns["churn_rate_change"], 3))),  # as printed, a fraction (issue 22)
        ("q16", dict(first_trigger_week=trigger_by_share_of_baseline)),
        ("q18", dict(quiz_answers={key: str(value).lower() for key, value in ns["quiz_answers"].items()})),
    ]


def test_correct_answers_in_other_forms_pass(solved_nb13):
    """Every case of correct_in_another_form grades correct (a fixed count of cases here once left new ones
    unrun)."""
    exercises = {exercise.name: exercise for exercise in nb13.EXERCISES}
    refused = [f"{name} {sorted(answers)}: {result.message}" for name, answers in correct_in_another_form(solved_nb13)
               if (result := exercises[name].grade({**solved_nb13, **answers})).status is not Status.CORRECT]
    assert not refused, "\n".join(refused)


def test_at_least_eight_auto_graded_cores_and_one_written_answer_per_question():
    written = [exercise for exercise in nb13.EXERCISES if isinstance(exercise, WrittenAnswer)]
    assert len(nb13.EXERCISES.exercises) - len(written) >= 8
    assert sorted(int(re.match(r"Q(\d)", exercise.title)[1]) for exercise in written) == list(range(1, 9))
    assert all(isinstance(item, RubricPoint) for exercise in written for item in exercise.rubric)
    assert {exercise.title[:2] for exercise in written if isinstance(exercise, StarAnswer)} == {"Q6", "Q8"}


def test_reseeded_notebook_grades_correct(tmp_path):
    """Expectations come from the learner's own data: the whole notebook under another seed still grades correct."""
    notebook = nbformat.read(SOLUTION, as_version=4)
    setup_cell = next(cell for cell in notebook.cells if "setup(seed=2026)" in cell.source)
    setup_cell.source = setup_cell.source.replace("setup(seed=2026)", "setup(seed=7)")
    path = tmp_path / SOLUTION.name
    nbformat.write(notebook, path)
    ns = run_code_cells(path)
    try:
        assert ns["SEED"] == 7
        for exercise in nb13.EXERCISES:
            expected = Status.WRITTEN if isinstance(exercise, WrittenAnswer) else Status.CORRECT
            result = exercise.grade(ns)
            assert result.status is expected, f"{exercise.name}: {result.message}"
    finally:
        bind({})


# --- the written answers: rubric self-check and STAR ------------------------------------------------------------

class TestRubricSelfCheck:
    POINTS = (RubricPoint("Names proxies.", ("proxy", "proxies", "correlated feature")),
              RubricPoint("Mentions money.", ("$", "cost")))

    def test_a_synonym_counts_and_word_starts_matter(self):
        found = dict((point.point, term) for point, term in rubric_coverage(
            "Correlated  features carry it; it would cost $2M.", self.POINTS))
        assert found == {"Names proxies.": "correlated feature", "Mentions money.": "$"}
        assert RubricPoint("x", ("proxy",)).found_in("approximately proxy-free") == "proxy"
        assert RubricPoint("x", ("proxy",)).found_in("approximately") is None

    def test_a_point_needs_terms(self):
        with pytest.raises(ValueError, match="at least one term"):
            RubricPoint("empty", ())

    def test_the_check_lists_covered_points_and_says_it_is_a_heuristic(self, solved_nb13):
        answer = ("I understand the concern. Removing gender does not make the model fair, because career "
                  "breaks are a proxy for it; past decisions taught the model to penalise them and it still does so. "
                  "Dropping the column only hides the problem from us, while the people refused keep paying for it, "
                  "so the work is not done by deleting one field from a table.")
        bind({**solved_nb13, "answer_unawareness": answer})
        try:
            shown = str(nb13.q5.check())
        finally:
            bind(solved_nb13)
        assert "heuristic aid and not a grade" in shown
        assert ("[~] Names proxies: other features correlated with the attribute carry it.  "
                "(mentions 'proxy', 'career break')") in shown
        assert "[ ] Proposes measuring with a fairness definition" in shown


class TestStar:
    STORY = {"Situation": "Monitoring flagged drift in applicants' income after a downturn.",
             "Task": "I had to explain the risk to the Head of Lending.",
             "Action": "I wrote a one-page brief with one chart of the incomes then and now.",
             "Result": "She approved manual review of borderline cases that same week."}

    @pytest.mark.parametrize("text", [
        "Situation: a. Task: b. Action: c. Result: d.",
        "(Situation) a. (Task) b. (Action) c. (Result) d.",
        "**Situation** a.\n**Task**: b.\n**Action** - c.\n**Result**: d.",
        "S: a\nT: b\nA: c\nR: d",
    ])
    def test_labelled_forms_split(self, text):
        assert [part.strip(".") for part in split_star(text).values()] == ["a", "b", "c", "d"]

    def test_a_letter_inside_a_sentence_is_not_a_label(self):
        assert split_star("I took a - small step. Then a: nothing.") == dict.fromkeys(split_star("").keys(), "")

    def test_a_dict_needs_known_parts(self):
        assert split_star({"s": "x", "RESULT": "y"})["Result"] == "y"
        with pytest.raises(ValueError, match="Unknown STAR part"):
            split_star({"Background": "x"})

    def grade(self, ns, answer):
        return nb13.q13.grade({**ns, "answer_drift_story": answer})

    def test_the_four_parts_as_text_or_dict_are_self_assessed(self, solved_nb13):
        text = "\n".join(f"{part}: {said} We measured it and reported it to the board." for part, said in self.STORY.items())
        assert self.grade(solved_nb13, text).status is Status.WRITTEN
        padded = {part: said + " We measured it and reported it to the board." for part, said in self.STORY.items()}
        assert self.grade(solved_nb13, padded).status is Status.WRITTEN

    def test_the_missing_part_is_named(self, solved_nb13):
        text = "\n".join(f"{part}: {said} We measured it and reported it to the board." for part, said in
                         self.STORY.items() if part != "Result")
        result = self.grade(solved_nb13, text)
        assert result.status is Status.WRITTEN  # advice, not a verdict (issue 22)
        assert "no Result" in result.message and "Situation (" not in result.message

    def test_unlabelled_text_and_thin_parts_get_specific_feedback(self, solved_nb13):
        prose = " ".join(self.STORY.values()) * 3
        assert "no STAR part is labelled" in self.grade(solved_nb13, prose).message
        thin = {**self.STORY, "Task": "Explain."}
        result = self.grade(solved_nb13, {k: v * (1 if k == "Task" else 3) for k, v in thin.items()})
        assert result.status is Status.WRITTEN and "Task" in result.message and "too short" in result.message
        assert self.grade(solved_nb13, {"Background": "x"}).message.startswith("Unknown STAR part")
