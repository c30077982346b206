"""Exercises of notebook 08, Resume-screening bias audit and mitigation plan (HR simulator).

Checkers recompute expected values from the learner's data with the reference code and the
simulator's ground truth. Numbers are right to 3 significant digits (``grading.close_enough``).
Where a wrong method can hit the right number on this data, the check runs the learner's
function on cases it has not seen: q1's impact ratios (three groups, the highest-rate group
neither the largest nor the most selected), q3's stage that adds the most to the gap (one
case where the gap changes sign), q5's stratified gap (a case where the raw gap has the
opposite sign) and q7's choice of method to ship (one case left to the default min_ratio).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

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
    expect_dataframe,
    expect_function_picks,
    expect_number,
    expect_series,
    kind_of,
    refuse_the_wrong_method,
)

NOTEBOOK = "08_resume_screening_audit"
MINORITY, MAJORITY = "under-represented", "majority"


def reference_impact_ratios(selected, groups) -> pd.Series:
    """Each group's selection rate divided by the highest group's (NYC Local Law 144's impact ratio)."""
    rates = pd.Series(np.asarray(selected, dtype=float)).groupby(np.asarray(groups)).mean()
    return rates / rates.max()


# Unequal sizes, so that the largest or the most selected group is not the one with the highest rate.
UNSEEN_SELECTIONS = (
    ([1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 0, 1, 0, 0, 0], ["x"] * 8 + ["y"] * 3 + ["z"] * 4,
     "three groups of unequal sizes, where group x has the most applicants and the most selections but group y the "
     "highest rate (divide by the highest rate, not by the rate of a fixed group, the largest or the most selected)"),
)


class ImpactRatios(Exercise):
    title = "Impact ratios, as a Local Law 144 audit reports them"
    reads = ("impact_ratios", "callback_impact_ratio")
    hints = (
        "Selection rate per group: pd.Series(selected).groupby(groups).mean(); impact ratio = rate / rates.max().",
        "callback_impact_ratio is the under-represented group's impact ratio for the model's callbacks on the test set.",
    )

    def expect(self, ns, impact_ratios, callback_impact_ratio):
        for selected, groups, case in UNSEEN_SELECTIONS:
            expected = reference_impact_ratios(selected, groups).sort_index()
            found = expect_series("impact_ratios(...)", call_learner_function(
                impact_ratios, np.array(selected), pd.Series(groups), name="impact_ratios"))
            if list(found.index) != list(expected.index) or not close_enough(found.to_numpy(), expected.to_numpy()):
                raise Incorrect(f"On {case}, `impact_ratios` returns {found.round(3).to_dict()}; expected "
                                f"{expected.round(3).to_dict()}.")
        ratios = reference_impact_ratios(ns["callback"], ns["test"]["group"])
        rates = pd.Series(np.asarray(ns["callback"], dtype=float)).groupby(ns["test"]["group"].to_numpy()).mean()
        expect_close("callback_impact_ratio", expect_number("callback_impact_ratio", callback_impact_ratio),
                     ratios[MINORITY], mistakes={
                         "that is the difference of callback rates; the impact ratio divides.":
                             rates[MINORITY] - rates[MAJORITY]})
        return (f"Impact ratio {ratios[MINORITY]:.3f}: the under-represented group is called back "
                f"{1 - ratios[MINORITY]:.0%} less often.")

    def reference(self, ns):
        return reference_impact_ratios, float(reference_impact_ratios(ns["callback"], ns["test"]["group"])[MINORITY])


def _ratio_interval(ns) -> tuple[float, float]:
    from statsmodels.stats.proportion import confint_proportions_2indep

    test, callback = ns["test"], np.asarray(ns["callback"], dtype=bool)
    minority = (test["group"] == MINORITY).to_numpy()
    low, high = confint_proportions_2indep(int(callback[minority].sum()), int(minority.sum()),
                                           int(callback[~minority].sum()), int((~minority).sum()),
                                           compare="ratio", method="log")
    return float(low), float(high)


class FourFifths(Exercise):
    title = "The four-fifths rule and sampling noise"
    reads = ("impact_ratio_interval", "four_fifths_verdict")
    hints = (
        "confint_proportions_2indep(called_minority, n_minority, called_majority, n_majority, compare='ratio', "
        "method='log') gives the 95% interval of the ratio of callback rates.",
        "'fails' if the whole interval is below 0.8, 'passes' if it is all above, 'inconclusive' if it contains 0.8.",
    )

    def expect(self, ns, impact_ratio_interval, four_fifths_verdict):
        low, high = _ratio_interval(ns)
        if isinstance(impact_ratio_interval, (str, bytes)) or np.ndim(impact_ratio_interval) != 1 or len(
                impact_ratio_interval) != 2:
            raise Incorrect(f"`impact_ratio_interval` should be (low, high), got {kind_of(impact_ratio_interval)}.")
        given_low, given_high = (expect_number("impact_ratio_interval", bound) for bound in impact_ratio_interval)
        if not (close_enough(given_low, low) and close_enough(given_high, high)):
            raise Incorrect(f"`impact_ratio_interval` is ({given_low:.4f}, {given_high:.4f}); the 95% log interval of "
                            f"the callback-rate ratio is ({low:.4f}, {high:.4f}).")
        verdict = "fails" if high < 0.8 else "passes" if low > 0.8 else "inconclusive"
        if four_fifths_verdict != verdict:
            raise Incorrect(f"With the interval ({low:.3f}, {high:.3f}), the verdict is {verdict!r}: compare the "
                            "whole interval with 0.8, not the point estimate.")
        return f"Interval ({low:.3f}, {high:.3f}): the four-fifths verdict is {verdict!r}."

    def reference(self, ns):
        low, high = _ratio_interval(ns)
        return (low, high), "fails" if high < 0.8 else "passes" if low > 0.8 else "inconclusive"


def _selection_gaps(ns) -> dict[str, float]:
    test, callback = ns["test"], np.asarray(ns["callback"], dtype=float)
    minority = (test["group"] == MINORITY).to_numpy()
    rate = lambda values: float(np.mean(values[minority]) - np.mean(values[~minority]))  # noqa: E731
    return {"truth": rate(test["qualified"].to_numpy(float)), "labels": rate(test["past_hired"].to_numpy(float)),
            "model": rate(callback)}


STAGES = ("truth", "labels", "model")


def stage_changes(gaps: Mapping[str, float]) -> dict[str, float]:
    """What each stage adds to the gap: its gap minus the stage before's (the truth's from no gap at all)."""
    return {stage: gaps[stage] - (gaps[before] if before else 0.0)
            for before, stage in zip((None, *STAGES[:-1]), STAGES)}


def reference_stage_adding_most(gaps: Mapping[str, float]) -> str | None:
    """The stage whose gap changes most in size from the stage before it; None where a gap is undefined (NaN: a group
    with no test applicants), since which stage adds the most is then unknown."""
    changes = stage_changes(gaps)
    if any(np.isnan(change) for change in changes.values()):
        return None
    return max(STAGES, key=lambda stage: abs(changes[stage]))


# Each case tells the rule from a near miss: the largest gap, the first gap beyond 0.05, changes measured from
# the truth, the most negative change, leaving the truth out, and comparing the gaps' sizes (|gap| - |gap before|),
# which only a gap that changes sign tells apart.
UNSEEN_GAPS = (
    ({"truth": 0.0, "labels": -0.10, "model": -0.12}, "the model has the largest gap, but the labels add most of it"),
    ({"truth": -0.06, "labels": -0.08, "model": -0.20}, "the truth's gap is beyond 0.05, but the model adds the most"),
    ({"truth": 0.0, "labels": 0.12, "model": 0.10}, "the labels add a gap the model then narrows a little"),
    ({"truth": 0.15, "labels": 0.10, "model": 0.09}, "the gap is all in the truth, and later stages narrow it"),
    ({"truth": 0.06, "labels": -0.04, "model": -0.09},
     "the gap changes sign: the labels move it by 0.10, though its size changes least there; a change is the "
     "difference of the gaps, not of their sizes"),
)


class Stage(Exercise):
    title = "Isolate the stage: truth, labels or model?"
    reads = ("gap_by_stage", "stage_adding_most", "gap_added_by")
    hints = (
        "Each gap is the under-represented group's rate minus the majority's, on the test applicants: of qualified "
        "(the truth), of past_hired (the labels) and of callback (the model).",
        "What a stage adds is its gap minus the gap of the stage before (the truth's: its own gap). "
        "stage_adding_most returns the stage whose change is largest in size: max(..., key=lambda s: abs(change[s])). "
        "gap_added_by = stage_adding_most(gap_by_stage).",
    )

    def expect(self, ns, gap_by_stage, stage_adding_most, gap_added_by):
        expected = _selection_gaps(ns)
        if isinstance(gap_by_stage, pd.Series):
            gap_by_stage = gap_by_stage.to_dict()
        if not isinstance(gap_by_stage, Mapping) or set(gap_by_stage) != set(expected):
            raise Incorrect(f"`gap_by_stage` should be a dict with the keys {sorted(expected)}, got "
                            f"{kind_of(gap_by_stage)}.")
        for stage, value in expected.items():
            expect_close(f"gap_by_stage[{stage!r}]", expect_number(f"gap_by_stage[{stage!r}]", gap_by_stage[stage]),
                         value, mistakes={"the sign is reversed: under-represented minus majority.": -value})
        for gaps, case in UNSEEN_GAPS:
            found = as_option(call_learner_function(stage_adding_most, dict(gaps), name="stage_adding_most"), STAGES)
            right = reference_stage_adding_most(gaps)
            if found != right:
                shown = ", ".join(f"{stage} {gap:+.2f}" for stage, gap in gaps.items())
                raise Incorrect(f"For the gaps {shown} ({case}), `stage_adding_most` returns {found!r}; the stage "
                                f"whose change (its gap minus the gap before) is largest in size is {right!r}.")
        first = reference_stage_adding_most(expected)
        if first is None:  # possible on another seed only: a group with no test applicants
            return ("A stage's gap is undefined (a group with no test applicants), so which stage adds the most is "
                    "unknown.")
        if as_option(gap_added_by, STAGES) != first:
            raise Incorrect(f"The gaps are {', '.join(f'{k} {v:+.3f}' for k, v in expected.items())}: the stage that "
                            f"adds the most is {first!r}; set gap_added_by = stage_adding_most(gap_by_stage).")
        return (f"Truth {expected['truth']:+.3f}, labels {expected['labels']:+.3f}, model {expected['model']:+.3f}: "
                f"the stages add {', '.join(f'{change:+.3f}' for change in stage_changes(expected).values())}; "
                f"most of the gap enters at the {first} stage.")

    def reference(self, ns):
        gaps = _selection_gaps(ns)
        return gaps, reference_stage_adding_most, reference_stage_adding_most(gaps)


def _representation(ns) -> dict[str, float]:
    applicants = ns["applicants"]
    minority = applicants["group"] == MINORITY
    return {"applicants": float(minority.mean()),
            "past hires": float(minority[applicants["past_hired"] == 1].mean()),
            "named-school graduates": float(minority[applicants["named_school"] == 1].mean())}


class Representation(Exercise):
    title = "Representation: who is in the data, and among the positives"
    reads = ("minority_share",)
    hints = (
        "The under-represented group's share of all applicants, of the past hires (past_hired == 1) and of the "
        "named-school graduates (named_school == 1).",
    )

    def expect(self, ns, minority_share):
        expected = _representation(ns)
        if isinstance(minority_share, pd.Series):
            minority_share = minority_share.to_dict()
        if not isinstance(minority_share, Mapping) or set(minority_share) != set(expected):
            raise Incorrect(f"`minority_share` should be a dict with the keys {sorted(expected)}.")
        applicants = ns["applicants"]
        for key, value in expected.items():
            subset = {"applicants": applicants, "past hires": applicants[applicants["past_hired"] == 1],
                      "named-school graduates": applicants[applicants["named_school"] == 1]}[key]
            rate_instead = float(subset["group"].eq(MINORITY).sum() / len(applicants))
            expect_close(f"minority_share[{key!r}]", expect_number(f"minority_share[{key!r}]", minority_share[key]),
                         value, mistakes={"divide by the size of that subset, not by all applicants.": rate_instead})
        return ("The group is " + ", ".join(f"{v:.1%} of {k}" for k, v in expected.items())
                + ": fewer of the positives a model learns from.")


def reference_gap_at_equal_skill(score, skill, groups, *, bins: int = 10) -> float:
    """Mean score of the under-represented group minus the majority's within skill deciles,
    weighted by the under-represented group's applicants in each decile."""
    frame = pd.DataFrame({"score": np.asarray(score, dtype=float), "group": np.asarray(groups),
                          "decile": pd.qcut(np.asarray(skill, dtype=float), bins, labels=False)})
    means = frame.pivot_table(index="decile", columns="group", values="score", aggfunc="mean")
    weights = frame[frame["group"] == MINORITY].groupby("decile").size()
    both = means.dropna().index.intersection(weights.index)
    return float(np.average(means.loc[both, MINORITY] - means.loc[both, MAJORITY], weights=weights.loc[both]))


def _unseen_scores():
    """The under-represented group is more skilled here, so its raw mean is higher, yet it scores lower at equal skill."""
    rng = np.random.default_rng(7)
    groups = np.where(rng.random(2000) < 0.5, MINORITY, MAJORITY)
    skill = rng.normal(size=2000) + 0.8 * (groups == MINORITY)
    return skill - 0.3 * (groups == MINORITY), skill, groups


class MeasurementBias(Exercise):
    title = "Measurement bias: the keywords score at equal skill"
    reads = ("gap_at_equal_skill", "keywords_gap")
    hints = (
        "Cut skill into deciles (pd.qcut(skill, 10, labels=False)); in each, the mean score of the under-represented "
        "group minus the majority's; average those, weighted by the under-represented group's count per decile.",
    )

    def expect(self, ns, gap_at_equal_skill, keywords_gap):
        score, skill, groups = _unseen_scores()
        expected = reference_gap_at_equal_skill(score, skill, groups)
        found = expect_number("gap_at_equal_skill(...)", call_learner_function(
            gap_at_equal_skill, pd.Series(score), pd.Series(skill), pd.Series(groups), name="gap_at_equal_skill"))
        if not close_enough(found, expected):
            raw = score[groups == MINORITY].mean() - score[groups == MAJORITY].mean()
            why = ("that is the raw difference, which here has the opposite sign: compare within skill deciles"
                   if close_enough(found, raw) else f"the weighted within-decile gap is {expected:.4f}")
            raise Incorrect(f"On applicants where the group is more skilled, `gap_at_equal_skill` returns {found:.4f}: "
                            f"{why}.")
        applicants = ns["applicants"]
        value = reference_gap_at_equal_skill(applicants["leadership_keywords"], applicants["skill"], applicants["group"])
        expect_close("keywords_gap", expect_number("keywords_gap", keywords_gap), value,
                     otherwise="that is not gap_at_equal_skill of leadership_keywords over all applicants.")
        return f"At equal skill, the keywords score puts the group {abs(value):.2f} points lower: a biased measurement."

    def reference(self, ns):
        applicants = ns["applicants"]
        return reference_gap_at_equal_skill, reference_gap_at_equal_skill(
            applicants["leadership_keywords"], applicants["skill"], applicants["group"])


def _intersectional(ns) -> pd.DataFrame:
    test = ns["test"]
    frame = pd.DataFrame({"group": test["group"].to_numpy(), "gender": test["gender"].to_numpy(),
                          "called": np.asarray(ns["callback"], dtype=float)})
    table = frame.groupby(["group", "gender"])["called"].agg(["size", "mean"]).rename(
        columns={"size": "n", "mean": "selection_rate"})
    table["impact_ratio"] = table["selection_rate"] / table["selection_rate"].max()
    return table


def _category_named(answer, categories: list[tuple]) -> tuple | None:
    """The (group, gender) category ``answer`` names, in any form a learner writes it: a tuple or list, a dict
    with group and gender, or text such as "under-represented, male" (any case), in either order (no group is
    named like a gender, and q6 accepts a table grouped by gender first); None if it names none."""
    if isinstance(answer, dict) and {"group", "gender"} <= set(answer):
        answer = (answer["group"], answer["gender"])
    if isinstance(answer, (tuple, list)) and len(answer) == 2:
        answer = " ".join(map(str, answer))
    if not isinstance(answer, str):
        return None
    words = lambda text: re.sub(r"[\s,/|()'\"]+", " ", text).strip().lower()  # noqa: E731
    return next((category for category in categories if words(answer) in
                 {words(" ".join(map(str, category))), words(" ".join(map(str, category[::-1])))}), None)


class Intersectional(Exercise):
    title = "Intersectional categories"
    reads = ("intersectional", "lowest_category")
    hints = (
        "Group the test applicants by group and gender: count (n), callback rate, and impact ratio = rate / the "
        "highest category's rate.",
        "lowest_category is the (group, gender) with the lowest impact ratio among categories with at least "
        "MIN_CATEGORY_SIZE applicants.",
    )

    def expect(self, ns, intersectional, lowest_category):
        expected = _intersectional(ns)
        table = expect_dataframe("intersectional", intersectional, ["n", "selection_rate", "impact_ratio"])
        if {"group", "gender"} <= set(table.columns):
            table = table.set_index(["group", "gender"])
        categories = sorted(map(tuple, expected.index))
        if isinstance(table.index, pd.MultiIndex) and table.index.nlevels == 2 \
                and sorted((group, gender) for gender, group in table.index) == categories:
            table = table.swaplevel()  # grouped by (gender, group): the same table
        if sorted(map(tuple, table.index)) != categories:
            raise Incorrect(f"`intersectional` should have one row per (group, gender): {sorted(expected.index)}.")
        table = table.loc[expected.index]
        # The majority group's rate over both genders can equal the top category's to 1e-4 (issue 22).
        majority = ns["test"]["group"] == MAJORITY
        majority_rate = np.asarray(ns["callback"], dtype=float)[majority.to_numpy()].mean()
        refuse_the_wrong_method(
            table["impact_ratio"], expected["impact_ratio"], expected["selection_rate"] / majority_rate,
            "intersectional['impact_ratio'] divides by the majority group's callback rate; an intersectional impact "
            "ratio divides by the highest category's rate (the best-treated group and gender).")
        for column in ("n", "selection_rate", "impact_ratio"):
            if not close_enough(table[column].to_numpy(float), expected[column].to_numpy(float)):
                raise Incorrect(f"intersectional['{column}'] should be {expected[column].round(3).to_dict()}.")
        eligible = expected[expected["n"] >= ns["MIN_CATEGORY_SIZE"]]
        right = eligible["impact_ratio"].idxmin()
        answer = _category_named(lowest_category, list(expected.index))
        if answer is None:
            raise Incorrect(f"`lowest_category` should name one (group, gender) category, such as "
                            f"{tuple(expected.index[0])!r}; got {kind_of(lowest_category)} {lowest_category!r}.")
        if answer != tuple(right):
            raise Incorrect(f"{answer!r} is not the (group, gender) category with the lowest impact ratio "
                            f"among those with at least MIN_CATEGORY_SIZE = {ns['MIN_CATEGORY_SIZE']} applicants.")
        return f"Lowest: {right[0]}, {right[1]} (impact ratio {eligible.loc[right, 'impact_ratio']:.3f})."

    def reference(self, ns):
        table = _intersectional(ns)
        return table, table[table["n"] >= ns["MIN_CATEGORY_SIZE"]]["impact_ratio"].idxmin()


def _mitigation_table(ns) -> pd.DataFrame:
    test = ns["test"]
    minority = (test["group"] == MINORITY).to_numpy()
    qualified = test["qualified"].to_numpy()
    rows = {}
    for method, selected in ns["decisions"].items():
        selected = np.asarray(selected, dtype=float)
        rows[method] = {"impact_ratio": selected[minority].mean() / selected[~minority].mean(),
                        "callback_gap": selected[minority].mean() - selected[~minority].mean(),
                        "qualified_called_back": selected[qualified == 1].mean(),
                        "precision": qualified[selected == 1].mean()}
    return pd.DataFrame(rows).T


def reference_method_to_ship(table: pd.DataFrame, min_ratio: float = 0.8):
    """Among the rows with an impact_ratio of at least ``min_ratio``, the one with the highest qualified_called_back;
    None when no row has."""
    eligible = table[table["impact_ratio"] >= min_ratio]
    return eligible["qualified_called_back"].idxmax() if len(eligible) else None


_CANDIDATES = pd.DataFrame({"impact_ratio": [0.95, 0.85, 0.70, 0.80], "callback_gap": [-0.01, -0.04, -0.09, -0.05],
                            "qualified_called_back": [0.50, 0.62, 0.70, 0.58], "precision": [0.80, 0.60, 0.50, 0.65]},
                           index=["fairest", "balanced", "unfair", "at the line"])
# Each case tells the rule from a near miss: shipping the fairest or the most precise method, ignoring the line,
# a strict > at the line, ignoring min_ratio, a table where no method qualifies, and a default other than 0.8
# (the notebook calls choose_method(mitigation_table) without min_ratio).
UNSEEN_TABLES = (
    ((_CANDIDATES, 0.8), "the fairest method is not the one calling back the most qualified"),
    ((_CANDIDATES.drop("balanced"), 0.8), "a method exactly at the line qualifies"),
    ((_CANDIDATES, 0.9), "the line is raised"),
    ((_CANDIDATES.assign(impact_ratio=[0.7, 0.6, 0.5, 0.75]), 0.8), "no method reaches the line (return None)"),
    ((_CANDIDATES,), "the fairest method is not the one calling back the most qualified, and choose_method(table) "
                     "is called without min_ratio, so its default of 0.8 applies"),
)


class Mitigations(Exercise):
    title = "Compare the mitigations on one table"
    reads = ("mitigation_table", "choose_method", "method_to_ship")
    hints = (
        "For each method in `decisions`: impact_ratio (under-represented / majority callback rate), callback_gap "
        "(their difference), qualified_called_back (share of truly qualified called back) and precision (share of "
        "callbacks who are qualified).",
        "choose_method(table, min_ratio=0.8): keep the rows with impact_ratio >= min_ratio; return the index label of "
        "the highest qualified_called_back among them (idxmax), or None if no row is left. "
        "method_to_ship = choose_method(mitigation_table).",
    )

    def expect(self, ns, mitigation_table, choose_method, method_to_ship):
        expected = _mitigation_table(ns)
        table = expect_dataframe("mitigation_table", mitigation_table, list(expected.columns))
        table = table.set_axis(list(map(str, table.index)))
        if sorted(table.index) != sorted(expected.index):
            raise Incorrect(f"`mitigation_table` should have one row per method: {sorted(expected.index)}.")
        table = table.loc[expected.index]
        for column in expected.columns:
            if not close_enough(table[column].to_numpy(float), expected[column].to_numpy()):
                raise Incorrect(f"mitigation_table['{column}'] should be {expected[column].round(3).to_dict()}.")
        expect_function_picks(
            choose_method, "choose_method",
            [(arguments, f"a table where {case}" + (f", with min_ratio={arguments[1]}" if arguments[1:] else ""))
             for arguments, case in UNSEEN_TABLES], reference_method_to_ship,
            same=lambda found, right, candidates, *min_ratio: as_option(found, candidates.index) == right,
            explain=lambda found, right, candidates, *min_ratio: (
                f"expected {right!r}: among the rows with impact_ratio >= "
                f"{'min_ratio' if min_ratio else '0.8 (the default of min_ratio)'}, the highest "
                f"qualified_called_back.\n{candidates.to_string()}"))
        right = reference_method_to_ship(expected)
        if as_option(method_to_ship, expected.index) != right:
            eligible = sorted(expected.index[expected["impact_ratio"] >= 0.8])
            raise Incorrect(f"{method_to_ship!r} is not the method with the most qualified candidates called back among "
                            f"those with an impact ratio of at least 0.8 ({eligible}): set "
                            "method_to_ship = choose_method(mitigation_table).")
        if right is None:
            return "No method reaches an impact ratio of 0.8: none can be shipped as it is."
        return f"Ship {right!r}: impact ratio {expected.loc[right, 'impact_ratio']:.3f}."

    def reference(self, ns):
        table = _mitigation_table(ns)
        return table, reference_method_to_ship, reference_method_to_ship(table)


def _winners_and_losers(ns) -> dict[str, float]:
    test = ns["test"]
    baseline = np.asarray(ns["decisions"]["baseline"], dtype=bool)
    shipped = reference_method_to_ship(_mitigation_table(ns))  # q7's one right answer, whatever its spelling
    if shipped is None:
        raise Incorrect("No method reaches an impact ratio of 0.8 on this data, so none is shipped and nobody gains "
                        "or loses against the baseline.")
    chosen = np.asarray(ns["decisions"][shipped], dtype=bool)
    qualified = test["qualified"].to_numpy() == 1
    minority = (test["group"] == MINORITY).to_numpy()
    return {"qualified under-represented gained": int(np.sum(chosen & ~baseline & qualified & minority)),
            "qualified majority lost": int(np.sum(~chosen & baseline & qualified & ~minority))}


class WhoGainsAndLoses(Exercise):
    title = "Who gains and who loses?"
    reads = ("gains_and_losses",)
    hints = (
        "Compare the shipped method's callbacks with the baseline's on the test applicants: qualified "
        "under-represented candidates called back now but not before, and qualified majority candidates called back "
        "before but not now.",
    )

    def expect(self, ns, gains_and_losses):
        expected = _winners_and_losers(ns)
        if isinstance(gains_and_losses, pd.Series):
            gains_and_losses = gains_and_losses.to_dict()
        if not isinstance(gains_and_losses, Mapping) or set(gains_and_losses) != set(expected):
            raise Incorrect(f"`gains_and_losses` should be a dict with the keys {sorted(expected)}.")
        for key, value in expected.items():
            if expect_number(f"gains_and_losses[{key!r}]", gains_and_losses[key]) != value:
                raise Incorrect(f"gains_and_losses[{key!r}] should count applicants: {value}.")
        return ", ".join(f"{key}: {value}" for key, value in expected.items()) + "."


class OneWeekPlan(WrittenAnswer):
    title = "The one-week plan"
    reads = ("one_week_plan",)
    min_words = 60
    rubric = (
        "Names where the gap comes from (labels, proxy, keywords) with the measured numbers.",
        "Actions with owners and days: drop or fix the keywords score, the named-school proxy, relabel or reweight.",
        "States costs and risks: qualified candidates affected, legal exposure (four-fifths, Local Law 144 audit).",
        "Says how success is measured after the change (impact ratio with its interval, qualified called back).",
    )


# --- the story the prose tells (issue 22 §6: it must hold on every seed) -------------------------------------

NOISE = 0.03  # the prose: "on 6,000 applicants a difference of rates below about 0.03 is within sampling noise"


def _called_back_markedly_less_often(ns) -> bool:
    """The complaint holds up: a 10% lower callback rate or more (the scenario is built for about 20%, near the
    four-fifths line, which q2 judges with an interval)."""
    return bool(ns["callback_impact_ratio"] < 0.9)


def _no_gap_in_the_truth_a_gap_in_the_labels(ns) -> bool:
    """The truth's gap is within sampling noise and the labels add one beyond it (by chance the truth can favour the
    group a little, so the labels' own gap is measured from the truth's)."""
    gaps = ns["gap_by_stage"]
    return bool(abs(gaps["truth"]) < NOISE and gaps["labels"] - gaps["truth"] < -NOISE)


EXERCISES = ExerciseSet(NOTEBOOK, [
    ImpactRatios(), FourFifths(), Stage(), Representation(), MeasurementBias(), Intersectional(), Mitigations(),
    WhoGainsAndLoses(), OneWeekPlan(),
], claims=[
    Claim("people from a historically under-represented group are called back markedly less often",
          _called_back_markedly_less_often),
    Claim("no gap in the truth, a gap in the historical labels", _no_gap_in_the_truth_a_gap_in_the_labels),
])
q1, q2, q3, q4, q5, q6, q7, q8, q9 = EXERCISES
score_summary = EXERCISES.score_summary

__all__ = ["q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8", "q9", "score_summary"]
