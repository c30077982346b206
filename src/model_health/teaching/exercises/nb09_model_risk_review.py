"""Exercises of notebook 09, Model risk review (Statlog German Credit).

Checkers recompute expected values from the learner's split and model with the reference
code (``model_health.fairness``, ``model_health.reports``). Numbers are right to 3
significant digits (``grading.close_enough``). Where a wrong method can hit the right value
on this data, the check looks at the method: q1's ratio, q2's rule, q4's validator and q7's search are
functions run on cases the learner has not seen; q5 and q6 read the changed applications themselves.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from model_health.fairness import aif360_group_metrics, intersectional_rates
from model_health.teaching.grading import (
    Exercise,
    ExerciseSet,
    Incorrect,
    WrittenAnswer,
    as_option,
    call_learner_function,
    close_enough,
    expect_close,
    expect_dataframe,
    expect_names,
    expect_number,
    format_distinct,
    kind_of,
)
from model_health.reports import SEVERITIES, check_risk_assessment, evaluate_kpis, kpi_named_in, render

NOTEBOOK = "09_model_risk_review"
AIF360_COLUMNS = ("disparate_impact", "statistical_parity_difference", "equal_opportunity_difference",
                  "average_odds_difference")
DISPARATE_IMPACT_FLOOR = 0.8
EQUAL_OPPORTUNITY_LIMIT = 0.1


def _selection_rates(ns, attribute: str) -> pd.Series:
    return pd.Series(np.asarray(ns["y_pred"])).groupby(ns["audit_groups"][attribute].to_numpy()).mean()


# Cases the learner's function has not seen: (approved, groups, unprivileged, privileged, what it tests).
UNSEEN_RATES = (
    ([1, 1, 1, 0, 0, 1, 1, 0, 0, 0], ["a"] * 5 + ["b"] * 5, "a", "b",
     "where the unprivileged group is approved MORE often (disparate impact above 1)"),
    ([1, 0, 0, 0, 1, 1, 0, 0, 1, 1, 1, 1], ["x"] * 4 + ["y"] * 4 + ["z"] * 4, "y", "z",
     "with three groups (compare the two named groups, not a group with everyone else)"),
)


class DisparateImpactByHand(Exercise):
    title = "Disparate impact by hand (the four-fifths rule)"
    reads = ("disparate_impact", "disparate_impact_age")
    hints = (
        "Selection rate = share approved (approved == 1) within a group.",
        "Disparate impact = selection rate of the unprivileged group / selection rate of the privileged group.",
        "pd.Series(approved).groupby(np.asarray(groups)).mean() gives each group's rate; then "
        "rates[unprivileged] / rates[privileged]. Here unprivileged is '25 or younger', privileged '26 and older'.",
    )

    def expect(self, ns, disparate_impact, disparate_impact_age):
        for approved, groups, unprivileged, privileged, case in UNSEEN_RATES:
            rates = pd.Series(approved).groupby(groups).mean()
            expected = rates[unprivileged] / rates[privileged]
            found = expect_number("disparate_impact(...)", call_learner_function(
                disparate_impact, np.array(approved), pd.Series(groups), unprivileged, privileged,
                name="disparate_impact"))
            mistakes = {"the inverse ratio: put the unprivileged group's rate on top": 1 / expected,
                        "a difference of approval rates; disparate impact is their ratio":
                            rates[unprivileged] - rates[privileged]}
            if not close_enough(found, expected):
                why = next((message for message, wrong in mistakes.items() if close_enough(found, wrong)),
                           f"the ratio unprivileged / privileged is {format_distinct(expected, found)}")
                raise Incorrect(f"On a case {case}, `disparate_impact` returns {format_distinct(found, expected)}: "
                                f"{why}.")
        rates = _selection_rates(ns, "age_band")
        young, old = rates["25 or younger"], rates["26 and older"]
        value = expect_number("disparate_impact_age", disparate_impact_age)
        expect_close("disparate_impact_age", value, young / old, mistakes={
            "this is the inverse ratio: put the unprivileged group (25 or younger) on top.": old / young,
            "this is a difference of selection rates; disparate impact is their ratio.": young - old,
        }, otherwise="that is not the ratio of the two age groups' approval rates on the test set.")
        verdict = "fails" if young / old < DISPARATE_IMPACT_FLOOR else "passes"
        return f"{young / old:.3f}: the model {verdict} the four-fifths rule for age."


def reference_failing_attributes(audit: pd.DataFrame) -> list[str]:
    """Attributes failing the review's rule: disparate impact < 0.8 or |equal opportunity difference| > 0.1."""
    fails = ((audit["disparate_impact"] < DISPARATE_IMPACT_FLOOR)
             | (audit["equal_opportunity_difference"].abs() > EQUAL_OPPORTUNITY_LIMIT))
    return sorted(audit.index[fails])


# An audit the learner has not seen, one attribute per way a rule can go wrong. Each row is a
# possible pair of approval rates (privileged 0.8), so the numbers hang together.
UNSEEN_AUDIT = pd.DataFrame({
    "disparate_impact": [0.75, 0.95, 0.97, 0.85, 1.05, 0.80, 0.90],
    "statistical_parity_difference": [-0.20, -0.04, -0.024, -0.12, 0.04, -0.16, -0.08],
    "equal_opportunity_difference": [-0.05, -0.15, 0.15, 0.05, 0.02, 0.03, -0.10],
    "average_odds_difference": [-0.04, -0.09, 0.08, 0.03, 0.01, 0.02, -0.06],
}, index=["region", "marital_status", "disability", "religion", "nationality", "age_group", "language"])
UNSEEN_DIAGNOSES = {
    # attribute: (should fail?, what it shows when the rule gets it wrong)
    "region": (True, "disparate impact 0.75 (below 0.8) was not flagged"),
    "marital_status": (True, "an equal opportunity difference of -0.15 was not flagged: compare its size, "
                             "abs(...), with 0.1"),
    "disability": (True, "an equal opportunity difference of +0.15 was not flagged"),
    "religion": (False, "an attribute that passes both tests was flagged (disparate impact 0.85, equal opportunity "
                        "difference 0.05; only its statistical parity difference, -0.12, exceeds 0.1 in size: the "
                        "second test is on the equal opportunity difference)"),
    "nationality": (False, "an attribute that passes both tests (disparate impact 1.05, equal opportunity "
                           "difference 0.02) was flagged"),
    "age_group": (False, "a disparate impact of exactly 0.8 was flagged: the four-fifths rule fails only below 0.8 "
                         "(<, not <=)"),
    "language": (False, "an equal opportunity difference of exactly -0.10 was flagged: it fails only when its size "
                        "exceeds 0.1 (>, not >=)"),
}


def _failing_names(selected, audit: pd.DataFrame):
    """What ``failing_attributes_of`` selected, as attribute names: a boolean mask over the audit's rows, or the
    failing rows themselves, are the names they select."""
    if isinstance(selected, pd.DataFrame):
        return list(selected.index)
    if isinstance(selected, pd.Series) and selected.dtype == bool and selected.index.equals(audit.index):
        return list(selected.index[selected.to_numpy()])
    return selected


FAILING_ROWS = "attribute names (the rows of the audit that fail)"


class Aif360Audit(Exercise):
    title = "Audit three protected attributes with AIF360"
    reads = ("audit", "failing_attributes_of")
    hints = (
        "For each attribute in PRIVILEGED, call aif360_group_metrics(y_test, y_pred, audit_groups[attribute], "
        "privileged=PRIVILEGED[attribute]).",
        "pd.DataFrame({attribute: metrics, ...}).T gives one row per attribute.",
        "An attribute fails when disparate impact < 0.8 or |equal opportunity difference| > 0.1: "
        "(audit['disparate_impact'] < 0.8) | (audit['equal_opportunity_difference'].abs() > 0.1).",
    )

    def expected(self, ns) -> pd.DataFrame:
        return pd.DataFrame({attribute: aif360_group_metrics(ns["y_test"], ns["y_pred"], ns["audit_groups"][attribute],
                                                             privileged=privileged)
                             for attribute, privileged in ns["PRIVILEGED"].items()}).T

    def expect(self, ns, audit, failing_attributes_of):
        table = expect_dataframe("audit", audit, AIF360_COLUMNS)
        expected = self.expected(ns)
        if isinstance(table.index, pd.RangeIndex) and "index" in table.columns:
            table = table.set_index("index")  # after reset_index(): the attributes are a column
        if sorted(map(str, table.index)) != sorted(expected.index):
            raise Incorrect(f"`audit` has rows {list(table.index)}; expected one per attribute {list(expected.index)}.")
        for attribute in expected.index:
            mine = table.loc[attribute, list(AIF360_COLUMNS)].astype(float).to_numpy()
            reference = expected.loc[attribute, list(AIF360_COLUMNS)].to_numpy(float)
            if close_enough(mine, reference):
                continue
            if close_enough(-mine[1:], reference[1:]):
                raise Incorrect(f"For {attribute} the differences have the wrong sign: privileged must be "
                                f"{ns['PRIVILEGED'][attribute]!r}.")
            raise Incorrect(f"The {attribute} row does not match AIF360's metrics with privileged = "
                            f"{ns['PRIVILEGED'][attribute]!r} on the test predictions.")
        found = expect_names("failing_attributes_of(audit)", _failing_names(call_learner_function(
            failing_attributes_of, UNSEEN_AUDIT.copy(), name="failing_attributes_of"), UNSEEN_AUDIT), what=FAILING_ROWS)
        wrong = {attribute: diagnosis for attribute, (fails, diagnosis) in UNSEEN_DIAGNOSES.items()
                 if (attribute in found) != fails}
        if {"marital_status", "disability"} <= set(wrong):
            del wrong["disability"]
            only_di = "it applies only the four-fifths rule, but " if "region" not in wrong else ""
            wrong["marital_status"] = (f"equal opportunity differences of -0.15 and +0.15 were not flagged: {only_di}"
                                       "an attribute also fails when that difference exceeds 0.1 in size")
        if wrong:
            raise Incorrect("On an audit it had not seen, `failing_attributes_of` got the rule wrong: "
                            + "; ".join(wrong.values()) + ". The rule: disparate impact < 0.8 or |equal opportunity "
                            "difference| > 0.1.")
        failing = reference_failing_attributes(expected)
        mine = expect_names("failing_attributes_of(audit)", _failing_names(call_learner_function(
            failing_attributes_of, expected.copy(), name="failing_attributes_of"), expected), what=FAILING_ROWS)
        if mine != failing:
            raise Incorrect(f"On `audit`, `failing_attributes_of` returns {mine}; the rule gives {failing}.")
        return f"Failing: {failing}. These become findings in the risk assessment."

    def reference(self, ns):
        return self.expected(ns), reference_failing_attributes


INTERSECTION = ("sex", "age_band")


def _intersectional(ns) -> pd.DataFrame:
    return intersectional_rates(ns["y_test"], ns["y_pred"], ns["audit_groups"][list(INTERSECTION)],
                                min_group_size=ns["MIN_GROUP_SIZE"])


def _by_group(table: pd.DataFrame, ns) -> pd.DataFrame:
    """``table`` indexed by "sex, age band" labels, whatever its row order, level order or reset index."""
    if set(INTERSECTION) <= set(table.columns):
        labels = list(table[list(INTERSECTION)].astype(str).itertuples(index=False, name=None))
    else:
        labels = [entry if isinstance(entry, tuple) else (entry,) for entry in table.index]
    sexes, bands = (set(ns["audit_groups"][column].astype(str)) for column in INTERSECTION)
    keys = []
    for label in labels:
        sex = [str(part) for part in label if str(part) in sexes]
        band = [str(part) for part in label if str(part) in bands]
        if len(label) != 2 or len(sex) != 1 or len(band) != 1:
            raise Incorrect(f"`intersectional` should have one row per sex x age band group, labelled by both "
                            f"(as intersectional_rates returns it); found a row labelled {label!r}.")
        keys.append(f"{sex[0]}, {band[0]}")
    return table.set_axis(pd.Index(keys, name="group"), axis=0)


def reference_reliable_gap(table: pd.DataFrame) -> float:
    """max - min of selection_rate over the rows of ``table`` marked reliable."""
    rates = table.loc[table["reliable"].astype(bool), "selection_rate"]
    return float(rates.max() - rates.min())


def _unseen_intersectional(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` (as intersectional_rates returns it) with a small group at each extreme of the selection rates:
    on some seeds the small groups sit inside the reliable ones' range, and both gaps are the same number."""
    unseen = table.copy()
    count = len(unseen)
    reliable = np.ones(count, dtype=bool)
    reliable[[0, -1]] = False
    unseen["reliable"] = reliable
    unseen["n"] = np.where(reliable, 60, 4)
    unseen["selection_rate"] = np.where(reliable, np.linspace(0.35, 0.65, count), [0.05] + [0.0] * (count - 2) + [0.95])
    return unseen


class Intersectional(Exercise):
    title = "Intersectional groups, with uncertainty"
    # The gap on the learner's own table is not asked for: on seeds 11, 59, 61 and 101 the small groups sit inside
    # the reliable ones' range, so the gap over every group is the same number (issue 22); the function shows it.
    reads = ("intersectional", "reliable_gap")
    hints = (
        "intersectional_rates(y_test, y_pred, audit_groups[['sex', 'age_band']], min_group_size=MIN_GROUP_SIZE).",
        "reliable_gap(table): keep the rows with reliable == True, then take max - min of their selection_rate.",
    )

    def expect(self, ns, intersectional, reliable_gap):
        raw = _intersectional(ns)
        expected = _by_group(raw, ns)
        table = _by_group(expect_dataframe("intersectional", intersectional, ["n", "selection_rate", "reliable"]), ns)
        if table.index.has_duplicates or set(table.index) != set(expected.index):
            raise Incorrect(f"`intersectional` has the groups {sorted(table.index)}; expected one row per sex x age "
                            f"band combination of the test set: {sorted(expected.index)}.")
        table = table.loc[expected.index]
        wrong_n = [f"{group} has n = {mine} (expected {right})"
                   for group, mine, right in zip(expected.index, table["n"], expected["n"]) if mine != right]
        if wrong_n:
            raise Incorrect(f"In `intersectional`, {'; '.join(wrong_n)}: count the test applicants in each group.")
        if not close_enough(table["selection_rate"].to_numpy(float), expected["selection_rate"].to_numpy(float)):
            raise Incorrect("`intersectional`'s selection_rate is not each group's share approved by the model "
                            "(y_pred) on the test set.")
        if not (table["reliable"].astype(bool) == expected["reliable"]).all():
            raise Incorrect(f"`reliable` should mark groups with at least MIN_GROUP_SIZE = {ns['MIN_GROUP_SIZE']} "
                            "rows.")
        too_small = "this gap includes groups too small to judge; use only rows marked reliable."
        unseen = _unseen_intersectional(raw)
        shown = "on a table whose smallest groups have the highest and lowest rates"
        gap = expect_number(f"reliable_gap(...) {shown}",
                            call_learner_function(reliable_gap, unseen.copy(), name="reliable_gap"))
        expect_close(f"reliable_gap(...) {shown}", gap, reference_reliable_gap(unseen), mistakes={
            too_small: float(unseen["selection_rate"].max() - unseen["selection_rate"].min())},
            otherwise="that is not max - min of selection_rate over the rows marked reliable.")
        small = len(expected) - int(expected["reliable"].sum())
        caution = (f"{small} group(s) are too small to rank; report their intervals, not their point estimates."
                   if small else "Every group reaches MIN_GROUP_SIZE here; still read the gap with its intervals.")
        return f"Gap among reliable groups: {reference_reliable_gap(expected):.3f}. {caution}"

    def reference(self, ns):
        table = _intersectional(ns)
        return table, reference_reliable_gap, reference_reliable_gap(table)


def _edge_cases(ns) -> dict[str, pd.DataFrame]:
    return ns["EDGE_CASES"]


def _unseen_invalid_applications(ns) -> dict[str, pd.DataFrame]:
    """Applications the model must not score, unlike the four shown: other columns, other values."""
    row = ns["X_train"].iloc[[1]]
    low_age = ns["TRAINING_RANGES"]["age"][0]
    high_amount = ns["TRAINING_RANGES"]["credit_amount"][1]

    def unseen_category(column: str, value: str) -> pd.Categorical:
        # 'vacation' is one of the dataset's codes yet never seen in training: the dtype knowing it is not enough.
        return pd.Categorical([value], categories=list(dict.fromkeys([*row[column].cat.categories, value])))

    return {
        "a missing age": row.assign(age=np.nan),
        "a missing housing": row.assign(housing=pd.Categorical([None], categories=row["housing"].cat.categories)),
        f"age {low_age - 1}, one year below the training minimum": row.assign(age=low_age - 1),
        f"credit_amount {high_amount + 1}, 1 DM above the training maximum": row.assign(credit_amount=high_amount + 1),
        "duration_months of 480": row.assign(duration_months=480),
        "a negative duration_months (-6)": row.assign(duration_months=-6),
        "purpose 'vacation', never seen in training": row.assign(purpose=unseen_category("purpose", "vacation")),
        "checking_account 'offshore', never seen in training": row.assign(
            checking_account=unseen_category("checking_account", "offshore")),
        # one more per column, so that a validation of some columns only is caught
        **{f"{column} {high + 1}, above its training maximum {high}": row.assign(**{column: high + 1})
           for column, (_, high) in ns["TRAINING_RANGES"].items()},
        **{f"{column} 'never-seen', a category not in training": row.assign(
            **{column: unseen_category(column, "never-seen")}) for column in ns["KNOWN_CATEGORIES"]},
    }


def _valid_applications(ns) -> dict[str, pd.DataFrame]:
    """Applications that must pass: ordinary ones, and values on the edges of the training ranges."""
    train = ns["X_train"]
    edges = {f"every number at its training {end}": train.iloc[[2]].assign(
        **{column: limits[index] for column, limits in ns["TRAINING_RANGES"].items()})
        for index, end in enumerate(("minimum", "maximum"))}
    return {**{f"row {position} of X_train": train.iloc[[position]] for position in range(20)}, **edges}


class ValidateApplication(Exercise):
    title = "Reject what the model should never score"
    reads = ("validate_application",)
    hints = (
        "The raw model scores anything: missing values, a negative age, a category it never saw.",
        "For numeric columns, compare with TRAINING_RANGES (min, max); for categories, with KNOWN_CATEGORIES.",
        "Loop over every column of TRAINING_RANGES and KNOWN_CATEGORIES, not over the four shown cases; "
        "return a list of readable problems, e.g. ['age -5 is outside the training range 19-75'], [] when fine.",
    )

    def problems(self, validate_application, row: pd.DataFrame) -> list:
        problems = call_learner_function(validate_application, row.copy(), name="validate_application")
        if not isinstance(problems, list):
            raise Incorrect(f"`validate_application` should return a list of problems ([] when the application "
                            f"is fine), got {kind_of(problems)}.")
        return problems

    def expect(self, ns, validate_application):
        for name, row in _edge_cases(ns).items():
            if not self.problems(validate_application, row):
                raise Incorrect(f"The edge case '{name}' passed your validation: it should be rejected.")
        accepted = [name for name, row in _unseen_invalid_applications(ns).items()
                    if not self.problems(validate_application, row)]
        if accepted:
            shown = "; ".join(accepted[:5]) + (f"; and {len(accepted) - 5} more" if len(accepted) > 5 else "")
            raise Incorrect(f"Your validation rejects the four edge cases shown, but lets through applications like "
                            f"them that it has not seen: {shown}. Check every numeric column against "
                            "TRAINING_RANGES and every category against KNOWN_CATEGORIES.")
        for name, row in _valid_applications(ns).items():
            problems = self.problems(validate_application, row)
            if problems:
                at_edge = [column for column, limits in ns["TRAINING_RANGES"].items() if row[column].iloc[0] in limits]
                edge = (f" Its {', '.join(at_edge)} equal a training minimum or maximum, which is inside the range."
                        if at_edge else "")
                raise Incorrect(f"A valid application ({name}) was rejected: {problems}. Validation must not "
                                f"block ordinary customers.{edge}")
        return (f"All {len(_edge_cases(ns))} edge cases, and {len(_unseen_invalid_applications(ns))} unseen ones, "
                "are rejected with a reason, and valid applications pass.")


PERTURBED_COLUMNS = ["credit_amount", "duration_months"]


def _test_applications(name: str, value, X_test: pd.DataFrame) -> pd.DataFrame:
    """``value`` as X_test's rows in X_test's order (any row order, or a reset index, is fine)."""
    table = expect_dataframe(name, value, X_test.columns)
    if len(table) != len(X_test):
        raise Incorrect(f"`{name}` has {len(table)} rows; expected the {len(X_test)} test applications.")
    if isinstance(table.index, pd.RangeIndex) and not table.index.equals(X_test.index):
        table = table.set_axis(X_test.index, axis=0)  # a reset index keeps X_test's order
    if set(table.index) != set(X_test.index):
        raise Incorrect(f"`{name}` should hold the rows of X_test (its index), changed as asked.")
    return table.loc[X_test.index, list(X_test.columns)]


def _changed_columns(table: pd.DataFrame, base: pd.DataFrame) -> list[str]:
    """Columns of ``table`` whose values differ from ``base`` (same rows) in at least one row."""
    changed = []
    for column in base.columns:
        mine, theirs = table[column], base[column]
        if pd.api.types.is_numeric_dtype(mine) and pd.api.types.is_numeric_dtype(theirs):
            same = np.isclose(mine.to_numpy(float), theirs.to_numpy(float), rtol=0, atol=0, equal_nan=True)
        else:
            same = mine.astype(str).to_numpy() == theirs.astype(str).to_numpy()
        if not same.all():
            changed.append(column)
    return changed


def _share_changed(ns, applications: pd.DataFrame) -> tuple[float, int]:
    changed = ns["model"].predict(applications) != np.asarray(ns["y_pred"])
    return float(np.mean(changed)), int(np.sum(changed))


class PerturbationRobustness(Exercise):
    title = "How many decisions flip under small, realistic changes?"
    reads = ("X_perturbed", "flip_rate")
    hints = (
        "X_perturbed = perturb(X_test, SEED): credit_amount changes by up to 5% and duration by a month.",
        "Compare model.predict(X_perturbed) with y_pred and take the share that differs.",
    )

    def expect(self, ns, X_perturbed, flip_rate):
        X_test = ns["X_test"]
        table = _test_applications("X_perturbed", X_perturbed, X_test)
        changed = _changed_columns(table, X_test)
        if changed == ["sex"]:
            raise Incorrect("`X_perturbed` flips `sex`: that is q6's probe. Here apply perturb(X_test, SEED), which "
                            "changes credit_amount and duration_months.")
        differing = _changed_columns(table, ns["perturb"](X_test, ns["SEED"]))
        if differing:
            raise Incorrect(f"`X_perturbed` differs from perturb(X_test, SEED) in {differing}: apply perturb to "
                            "X_test with the notebook's SEED.")
        expected, count = _share_changed(ns, table)
        value = expect_number("flip_rate", flip_rate)
        expect_close("flip_rate", value, expected, mistakes={
            "this is the share that stayed the same; flip_rate is the share that changed.": 1 - expected,
            "this is a count; divide by the number of applications.": float(count),
        }, otherwise="that is not the share of test decisions that change under perturb(X_test, SEED).")
        return f"{expected:.1%} of decisions flip under changes an applicant would call trivial."


class ProtectedAttributeProbe(Exercise):
    title = "Does flipping only the protected attribute change the decision?"
    reads = ("X_sex_flipped", "protected_flip_rate")
    hints = (
        "X_sex_flipped = with_sex_flipped(X_test): the same applications with only the `sex` column flipped.",
        "Compare model.predict(X_sex_flipped) with y_pred and take the share that differs.",
    )

    def expect(self, ns, X_sex_flipped, protected_flip_rate):
        X_test = ns["X_test"]
        table = _test_applications("X_sex_flipped", X_sex_flipped, X_test)
        others = [column for column in _changed_columns(table, X_test) if column != "sex"]
        if others:
            origin = " (that is q5's perturbation)" if set(others) <= set(PERTURBED_COLUMNS) else ""
            raise Incorrect(f"`X_sex_flipped` changes {others}{origin}: the probe changes only `sex`, so that any "
                            "change in decision comes from it. Use with_sex_flipped(X_test).")
        unflipped = int(np.sum(table["sex"].astype(str).to_numpy() == X_test["sex"].astype(str).to_numpy()))
        if unflipped:
            raise Incorrect(f"`sex` is unchanged for {unflipped} of {len(X_test)} applicants in `X_sex_flipped`: "
                            "flip it for every applicant (with_sex_flipped(X_test)).")
        expected, _ = _share_changed(ns, table)
        expect_close("protected_flip_rate", expect_number("protected_flip_rate", protected_flip_rate), expected,
                     mistakes={"this is the share unchanged; report the share that changed.": 1 - expected},
                     otherwise="that is not the share of decisions that change when only `sex` is flipped.")
        return (f"{expected:.1%} change. Few flips does not prove fairness: `personal_status_sex` still "
                "encodes sex, a proxy the model can read.")


def reference_amount_cut(model, applicant: pd.DataFrame, step: int) -> int | None:
    """The smallest cut of credit_amount, in multiples of ``step``, that turns a denial into an approval."""
    return _smallest_cuts(model, applicant, step)[0]


def _smallest_cuts(model, applicants: pd.DataFrame, step: int) -> list[int | None]:
    """:func:`reference_amount_cut` for every row of ``applicants``, with one model call for all."""
    amounts = applicants["credit_amount"].astype(int).to_numpy()
    cuts = [np.arange(step, amount, step) for amount in amounts]
    sizes = np.array([len(applicant_cuts) for applicant_cuts in cuts])
    if not sizes.sum():
        return [None] * len(applicants)
    # One batch: a model call per candidate (or per applicant) would make the check take seconds.
    candidates = applicants.iloc[np.repeat(np.arange(len(applicants)), sizes)].assign(
        credit_amount=np.repeat(amounts, sizes) - np.concatenate(cuts))
    approved = model.predict(candidates) == 1
    smallest, start = [], 0
    for applicant_cuts in cuts:
        hits = np.flatnonzero(approved[start:start + len(applicant_cuts)])
        smallest.append(int(applicant_cuts[hits[0]]) if hits.size else None)
        start += len(applicant_cuts)
    return smallest


def _denial_cuts(ns) -> pd.Series:
    """The smallest cut (or None) for every denied test applicant, indexed like X_test."""
    denied = ns["X_test"][np.asarray(ns["y_pred"]) == 0]
    return pd.Series(_smallest_cuts(ns["model"], denied, ns["AMOUNT_STEP"]), index=denied.index, dtype=object)


def _other_denials(ns, cuts: pd.Series) -> list[tuple[pd.DataFrame, int | None]]:
    """Denied applicants other than the shown one, with their smallest cut: two whose cut is an odd number of
    steps (1, then 3 or more: a search in bigger steps, or from the top, misses them) and one that no cut
    flips. Each the one with the fewest candidate cuts, as the learner's search calls the model once per cut."""
    step, X_test = ns["AMOUNT_STEP"], ns["X_test"]
    cuts = cuts.drop(ns["applicant"].index)
    table = pd.DataFrame({"cut": cuts, "amount": X_test.loc[cuts.index, "credit_amount"]})
    odd = table[table["cut"].notna()].astype({"cut": int}).query(f"cut // {step} % 2 == 1")
    odd = odd.sort_values(["cut", "amount"], kind="stable")
    chosen = [*odd.index[:1], *odd.index[odd["cut"] >= 3 * step][:1],
              *table[table["cut"].isna()].sort_values("amount", kind="stable").index[:1]]
    return [(X_test.loc[[index]], cuts[index]) for index in chosen]


class Counterfactual(Exercise):
    title = "The smallest change that flips a denial"
    reads = ("smallest_amount_cut_for",)
    hints = (
        "Try cuts of AMOUNT_STEP, 2 * AMOUNT_STEP, ... below the applicant's credit_amount, in that order.",
        "For each cut, model.predict(applicant.assign(credit_amount=amount - cut)); stop at the first approval (1).",
        "If no cut below the full amount flips the decision, return None.",
    )

    def cut_for(self, function, applicant: pd.DataFrame):
        cut = call_learner_function(function, applicant.copy(), name="smallest_amount_cut_for")
        return None if cut is None else expect_number("smallest_amount_cut_for(applicant)", cut)

    def expect(self, ns, smallest_amount_cut_for):
        model, applicant, step = ns["model"], ns["applicant"], ns["AMOUNT_STEP"]
        expected = reference_amount_cut(model, applicant, step)
        cut = self.cut_for(smallest_amount_cut_for, applicant)
        amount = int(applicant["credit_amount"].iloc[0])
        if expected is None and cut is not None:
            raise Incorrect("No cut below the full amount flips this denial; the answer is None.")
        if expected is not None:
            if cut is None:
                raise Incorrect(f"It returns None, but a cut of {expected:,} DM flips this denial.")
            if cut == amount - expected:
                raise Incorrect(f"{cut:g} is the new amount; return the cut (how much less to borrow).")
            if cut % step:
                raise Incorrect(f"Search in steps of AMOUNT_STEP = {step} DM; {cut:g} is not a multiple of it.")
            if cut > expected:
                raise Incorrect(f"A cut of {cut:g} DM flips the decision, but a smaller one already does.")
            if cut < expected:
                raise Incorrect(f"With a cut of {cut:g} DM the model still denies the loan.")
        cuts = _denial_cuts(ns)
        for other, right in _other_denials(ns, cuts):
            found = self.cut_for(smallest_amount_cut_for, other)
            if found != right:
                shown = "None" if found is None else f"{found:g}"
                truth = "no cut below the full amount flips it (None)" if right is None else \
                    f"the smallest cut the model approves is {right:,} DM"
                raise Incorrect(f"For another denied applicant (credit_amount {int(other['credit_amount'].iloc[0]):,} "
                                f"DM) `smallest_amount_cut_for` returns {shown}, but {truth}. Try every multiple of "
                                "AMOUNT_STEP from the smallest up, on the applicant it is given.")
        if expected is None:
            return "No amount cut flips this denial: the reason lies elsewhere."
        return (f"'You would be approved for {amount - expected:,} DM instead of {amount:,}': a counterfactual a "
                f"customer understands. Only {cuts.notna().sum()} of {len(cuts)} denials can be flipped this way.")


# What each measured KPI means for the review: its kind, the direction that alerts, and why.
KPI_MEANINGS = {
    "disparate_impact": ("fairness", "min", "disparate impact is a ratio of approval rates: the lower, the worse "
                                            "for the unprivileged group"),
    "equal_opportunity_gap": ("fairness", "max", "an equal opportunity gap is the size of a difference in TPR: "
                                                 "the larger, the worse"),
    "accuracy": ("performance", "min", "accuracy: higher is better"),
    "recall_good_credit": ("performance", "min", "recall: higher is better"),
    "roc_auc": ("performance", "min", "ROC AUC: higher is better"),
}
ALERTS = {"min": "alert below the threshold", "max": "alert above the threshold"}


def _kpi_meaning(name: str) -> tuple[str, str, str] | None:
    return next((meaning for prefix, meaning in KPI_MEANINGS.items() if name.startswith(prefix)), None)


class DefineKpis(Exercise):
    title = "Monitoring KPIs, fairness included, as data"
    reads = ("kpis",)
    carries_own_answer = "any KPI set with the required properties is right; the review monitors the learner's"
    hints = (
        "Each KPI is a dict with name (a key of `measured`), kind ('performance' or 'fairness'), threshold "
        "and direction ('min': alert below, 'max': alert above).",
        "Include performance (e.g. roc_auc) and fairness (e.g. disparate_impact_age_band with threshold 0.8).",
        "Ask of each KPI: is a larger value better (direction 'min') or worse ('max')? Disparate impact falls "
        "when a group is treated worse; an equal opportunity gap grows.",
    )

    def expect(self, ns, kpis):
        try:
            results = evaluate_kpis(kpis, ns["measured"])
        except ValueError as problem:
            raise Incorrect(str(problem)) from None
        problems = []
        for name, kpi in results.iterrows():
            meaning = _kpi_meaning(name)
            if meaning is None:
                continue
            kind, direction, why = meaning
            if kpi["kind"] != kind:
                problems.append(f"{name} is a {kind} KPI, not a {kpi['kind']} one"
                                + (": it says nothing about how groups are treated" if kind == "performance" else ""))
            if kpi["direction"] != direction:
                problems.append(f"{name} has direction {kpi['direction']!r} ({ALERTS[kpi['direction']]}), but "
                                f"{why}: use {direction!r} ({ALERTS[direction]})")
        if problems:
            raise Incorrect("; ".join(problems) + ".")
        kinds = set(results["kind"])
        if kinds != {"performance", "fairness"}:
            missing = sorted({"performance", "fairness"} - kinds)
            raise Incorrect(f"Add at least one {missing[0]} KPI: monitoring must watch both.")
        loose = results[results.index.str.startswith("disparate_impact")
                        & (results["threshold"] < DISPARATE_IMPACT_FLOOR)]
        if len(loose):
            raise Incorrect(f"{list(loose.index)} use a threshold below 0.8: looser than the four-fifths rule.")
        loose = results[results.index.str.startswith("equal_opportunity_gap")
                        & (results["threshold"] > EQUAL_OPPORTUNITY_LIMIT)]
        if len(loose):
            raise Incorrect(f"{list(loose.index)} use a threshold above 0.1: looser than the review's rule "
                            "(|equal opportunity difference| > 0.1 fails).")
        failed = results.index[results["status"] == "failed"].tolist()
        return f"{len(results)} KPIs; failing at launch: {failed or 'none'}."

    def reference(self, ns):
        fairness = [{"name": f"disparate_impact_{attribute}", "kind": "fairness", "threshold": 0.8, "direction": "min"}
                    for attribute in ns["PRIVILEGED"]]
        return [{"name": "roc_auc", "kind": "performance", "threshold": 0.7, "direction": "min"}, *fairness]


class RiskAssessment(Exercise):
    title = "A risk assessment that holds together"
    reads = ("risk_assessment",)
    carries_own_answer = "the findings and conditions are the learner's words; the model card records them"
    hints = (
        "recommendation is 'go', 'go with conditions' or 'no-go'; findings are dicts with 'finding' and 'severity'; "
        "conditions is a list of strings, one per condition.",
        "A failed KPI must be named in a finding, and a failed fairness KPI rules out an unconditional 'go'.",
        "A failed fairness KPI is at least a 'medium' finding: it blocks an unconditional 'go'.",
    )

    def expect(self, ns, risk_assessment):
        if not isinstance(risk_assessment, dict):
            raise Incorrect("`risk_assessment` should be a dict with 'recommendation', 'findings' and 'conditions', "
                            f"got {kind_of(risk_assessment)}.")
        results = evaluate_kpis(ns["kpis"], ns["measured"])
        try:
            problems = check_risk_assessment(risk_assessment, results)
        except ValueError as problem:
            raise Incorrect(str(problem).replace("`assessment", "`risk_assessment")) from None
        if problems:
            raise Incorrect(" ".join(problems))
        failed_fairness = results.index[(results["status"] == "failed") & (results["kind"] == "fairness")]
        findings = risk_assessment.get("findings", [])
        rated_low = [name for name in failed_fairness
                     if max((SEVERITIES.index(as_option(finding["severity"], SEVERITIES)) for finding in findings
                             if kpi_named_in(name, finding["finding"])), default=0) == 0]
        if rated_low:
            raise Incorrect(f"Failed fairness KPI(s) {rated_low} are rated 'low': a failed fairness KPI rules out an "
                            "unconditional 'go', so rate its finding 'medium' or 'high'.")
        conditions = risk_assessment.get("conditions", [])
        return f"Consistent: '{risk_assessment['recommendation']}' with {len(conditions)} condition(s)."

    def reference(self, ns):
        results = evaluate_kpis(ns["kpis"], ns["measured"])
        failed = results.index[results["status"] != "passed"].tolist()
        return {
            "recommendation": "go with conditions" if failed else "go",
            "findings": [{"finding": f"Failed KPI {name}", "severity": "high"} for name in failed],
            "conditions": [f"Remediate {name} before full launch; manual review meanwhile." for name in failed],
        }


# The values the model card template needs (templates/model_card.md.j2); the notebook lists them too.
MODEL_CARD_KEYS = ("model_name", "owner", "model_type", "version", "intended_use", "out_of_scope", "audited_groups",
                   "metrics", "evaluation_data", "training_data", "fairness", "ethical_considerations",
                   "recommendation", "conditions")


def _unmeasured_numbers(reported, measured: Mapping[str, float], where: str) -> list[str]:
    """What ``reported`` (name -> number) claims that ``measured`` does not hold, to 3 significant digits."""
    if isinstance(reported, pd.Series):
        reported = reported.to_dict()
    if not isinstance(reported, Mapping):
        raise Incorrect(f"{where} should be a dict of name -> measured value, got {kind_of(reported)}.")
    problems = []
    for name, value in reported.items():
        if name not in measured:
            problems.append(f"{where} reports {name!r}, which was not measured (measured: {sorted(measured)})")
            continue
        number = expect_number(f"{where}[{name!r}]", value)
        if not close_enough(number, measured[name]):
            problems.append(f"{where} reports {name} = {format_distinct(number, measured[name])}, but it was "
                            f"measured at {format_distinct(measured[name], number)}")
    return problems


class ModelCardContext(Exercise):
    title = "Fill in the model card"
    reads = ("model_card_context",)
    shown_as_written = "once accepted, the learner's own model card is written from it"
    hints = (
        f"The model card needs the keys {list(MODEL_CARD_KEYS)}.",
        "metrics come from `measured`, fairness from `audit` (audit.to_dict(orient='index')); recommendation and "
        "conditions from risk_assessment.",
    )

    def expect(self, ns, model_card_context):
        if not isinstance(model_card_context, dict):
            raise Incorrect(f"`model_card_context` should be a dict with the keys {list(MODEL_CARD_KEYS)}, got "
                            f"{kind_of(model_card_context)}.")
        missing = [key for key in MODEL_CARD_KEYS if key not in model_card_context]
        if missing:
            raise Incorrect(f"`model_card_context` lacks the key(s) {missing}; the model card needs all of "
                            f"{list(MODEL_CARD_KEYS)}.")
        lists = [key for key in ("audited_groups", "conditions")
                 if not isinstance(model_card_context[key], (list, tuple))
                 or not all(isinstance(item, str) for item in model_card_context[key])]
        if lists:
            raise Incorrect(f"{lists} should each be a list of str (one item per line of the card), e.g. "
                            "list(PRIVILEGED) and risk_assessment['conditions'].")
        audit = ns["audit"]
        assessment = ns["risk_assessment"]
        problems = _unmeasured_numbers(model_card_context["metrics"], ns["measured"], "metrics")
        if not model_card_context["metrics"]:
            problems.append("metrics is empty: report the performance measured (from `measured`)")
        if sorted(item.strip() for item in model_card_context["audited_groups"]) != sorted(map(str, audit.index)):
            problems.append(f"audited_groups lists {list(model_card_context['audited_groups'])}, but the audit covered "
                            f"{list(audit.index)}")
        if sorted(item.strip() for item in model_card_context["conditions"]) != sorted(
                str(item).strip() for item in assessment.get("conditions", [])):
            problems.append("conditions are not the risk assessment's: the card states the conditions the review set")
        fairness = model_card_context["fairness"]
        if not isinstance(fairness, Mapping):
            raise Incorrect("`fairness` should be a dict of attribute -> {metric: value}, as "
                            f"audit.to_dict(orient='index') gives, got {kind_of(fairness)}.")
        omitted = [attribute for attribute in audit.index if attribute not in fairness]
        if omitted:
            problems.append(f"fairness omits the audited attribute(s) {omitted}")
        for attribute, row in fairness.items():
            if attribute not in audit.index:
                problems.append(f"fairness reports {attribute!r}, which was not audited (audited: {list(audit.index)})")
                continue
            problems += _unmeasured_numbers(row, audit.loc[attribute, list(AIF360_COLUMNS)].to_dict(),
                                            f"fairness[{attribute!r}]")
        if problems:
            raise Incorrect("The card must report what was measured: " + "; ".join(problems) + ".")
        try:
            render("model_card", **model_card_context)
        except (ValueError, TypeError, AttributeError) as problem:
            raise Incorrect(f"The model card template cannot use these values: {problem}") from None
        if str(model_card_context["recommendation"]).strip().casefold() != str(
                assessment["recommendation"]).strip().casefold():
            raise Incorrect("The card's recommendation differs from the risk assessment's.")
        empty = [key for key, value in model_card_context.items() if isinstance(value, str) and not value.strip()]
        if empty:
            raise Incorrect(f"Section(s) {empty} are empty; a model card says something in each.")
        return "The card renders, and its numbers and recommendation match the audit."


class StakeholderSummary(WrittenAnswer):
    title = "Present the findings to business and legal"
    reads = ("stakeholder_summary",)
    min_words = 60
    rubric = (
        "Opens with the recommendation and the one reason that matters most.",
        "States each fairness finding in plain words (who is approved less often, by how much), with uncertainty.",
        "Separates what was measured from what is suspected (proxies, causes).",
        "Lists the conditions, each with an owner and a date or trigger.",
        "Says what monitoring and rollback exist if the model goes live.",
    )


EXERCISES = ExerciseSet(NOTEBOOK, [
    DisparateImpactByHand(), Aif360Audit(), Intersectional(), ValidateApplication(), PerturbationRobustness(),
    ProtectedAttributeProbe(), Counterfactual(), DefineKpis(), RiskAssessment(), ModelCardContext(),
    StakeholderSummary(),
])
q1, q2, q3, q4, q5, q6, q7, q8, q9, q10, q11 = EXERCISES
score_summary = EXERCISES.score_summary

__all__ = ["q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8", "q9", "q10", "q11", "score_summary"]
