"""Exercises of notebook 03, Fairness audit of a lending model (Statlog German Credit).

Checkers recompute expected values from the learner's split and the learner's own
``build_model`` (once q1 is right) with the reference code (scikit-learn, scipy,
``model_health.fairness``). Numbers are right to 3 significant digits
(``grading.close_enough``). Where a wrong method can hit the right number on this data, the
check runs the learner's function on cases it has not seen: q1's pipeline (rescaled amounts,
an unseen category, other columns), q2's Cramér's V (a 2 x 2 table, a 2 x 3 one), q4's signed
difference (three groups, the unprivileged group ahead), q5's lowest reliable group (the lowest rate
in a small group, other minimum sizes) and q9's stratified gap (Simpson's paradox, strata with one
side empty).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd

from model_health.fairness import aif360_group_metrics, group_rates, intersectional_rates
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
    format_distinct,
    kind_of,
)

NOTEBOOK = "03_fairness_audit_lending"
YOUNG, OLDER = "25 or younger", "26 and older"
SEXES = ("female", "male")
PROTECTED_COLUMNS = ("age", "foreign_worker", "personal_status_sex", "sex")
PROXY = "postal_district"
CV_FOLDS = 5
EXPLAINED_SHARE = 0.5  # a gap is "explained" when controlling for the amount removes more than half of it


def _young(frame: pd.DataFrame) -> np.ndarray:
    return (frame["age"] <= 25).to_numpy()


def _disparate_impact(approved, young: np.ndarray) -> float:
    approved = np.asarray(approved)
    return float(approved[young].mean() / approved[~young].mean())


def _fitted(build_model, columns: list[str], X: pd.DataFrame, y, name: str = "build_model"):
    from sklearn.exceptions import ConvergenceWarning

    model = call_learner_function(build_model, list(columns), name=name)
    if not (hasattr(model, "fit") and hasattr(model, "predict")):
        raise Incorrect(f"`{name}(columns)` should return a scikit-learn model (a Pipeline), got {kind_of(model)}.")
    try:
        with warnings.catch_warnings():
            # An unscaled regression may not converge: the check's own test of scaling says so in words.
            warnings.simplefilter("ignore", ConvergenceWarning)
            return model.fit(X[list(columns)], y)
    except Exception as error:
        raise Incorrect(f"The model `{name}({list(columns)[:3]}...)` returns could not be fitted on those columns "
                        f"({type(error).__name__}: {error}). Select the columns by dtype or from `columns`, not a "
                        "fixed list.") from None


def _predictions(ns, columns) -> np.ndarray:
    """The test-set decisions of the learner's ``build_model`` (q1's reference if q1 is wrong) on ``columns``."""
    build_model = ns["build_model"] if BuildModel().grade(ns).status.name == "CORRECT" else reference_build_model
    return np.asarray(_fitted(build_model, list(columns), ns["X_train"], ns["y_train"]).predict(ns["X_test"][list(columns)]))


def reference_build_model(columns):
    """A logistic regression behind scaling (numbers) and one-hot encoding (categories)."""
    from sklearn.compose import ColumnTransformer, make_column_selector
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    encode = ColumnTransformer([
        ("numbers", StandardScaler(), make_column_selector(dtype_include="number")),
        ("categories", OneHotEncoder(handle_unknown="ignore"), make_column_selector(dtype_include="category")),
    ])
    return make_pipeline(encode, LogisticRegression(max_iter=1000))


class BuildModel(Exercise):
    title = "A logistic regression in a Pipeline"
    reads = ("build_model",)
    hints = (
        "A ColumnTransformer sends the numeric columns to StandardScaler() and the categorical ones to "
        "OneHotEncoder(handle_unknown='ignore'); make_pipeline(that, LogisticRegression(max_iter=1000)).",
        "make_column_selector(dtype_include='number') and make_column_selector(dtype_include='category') pick the "
        "columns by dtype, so the same function works for any list of columns.",
    )

    def expect(self, ns, build_model):
        from sklearn.linear_model import LogisticRegression
        from sklearn.metrics import roc_auc_score

        X_train, X_test, y_train, y_test = (ns[name] for name in ("X_train", "X_test", "y_train", "y_test"))
        columns = list(X_train.columns)
        model = _fitted(build_model, columns, X_train, y_train)
        last = model.steps[-1][1] if hasattr(model, "steps") else model
        if not isinstance(last, LogisticRegression):
            raise Incorrect(f"The model ends in {type(last).__name__}; the exercise asks for a LogisticRegression "
                            "as the Pipeline's last step.")
        auc = roc_auc_score(y_test, model.predict_proba(X_test[columns])[:, 1])
        if auc < 0.7:
            raise Incorrect(f"Its ROC AUC on the test set is {auc:.3f}; a logistic regression on these features "
                            "reaches about 0.75. Are all the columns used?")
        # Money in pfennig instead of marks: a scaled model decides exactly the same.
        rescaled = _fitted(build_model, columns, X_train.assign(credit_amount=X_train["credit_amount"] * 100), y_train)
        same = rescaled.predict(X_test[columns].assign(credit_amount=X_test["credit_amount"] * 100))
        changed = int(np.sum(same != model.predict(X_test[columns])))
        if changed:
            raise Incorrect(f"With credit_amount in pfennig (x 100), {changed} test "
                            "decision(s) change: the numbers are not scaled before the regularised regression. "
                            "Put StandardScaler() on the numeric columns.")
        unseen = X_test[columns].iloc[:3].copy()
        unseen["purpose"] = pd.Categorical(["crypto"] * 3, categories=[*X_test["purpose"].cat.categories, "crypto"])
        try:
            model.predict(unseen)
        except Exception as error:
            raise Incorrect(f"The fitted model fails on a purpose it never saw in training ('crypto'): "
                            f"{type(error).__name__}. Use OneHotEncoder(handle_unknown='ignore').") from None
        _fitted(build_model, ["age", "duration_months", "purpose"], X_train, y_train)
        return f"Test ROC AUC {auc:.3f}; the same function builds a model for any set of columns."

    def reference(self, ns):
        return reference_build_model


# Tables the learner's function has not seen: (x, y, what it tests).
UNSEEN_TABLES = (
    (["a"] * 30 + ["b"] * 30, ["y"] * 22 + ["n"] * 8 + ["y"] * 12 + ["n"] * 18,
     "a 2 x 2 table (scipy's chi2_contingency applies Yates' correction to 2 x 2 tables unless correction=False)"),
    (list("pqrpqrpqrpqrpqrppp"), list("uuvvwwuvwuvwwwuuvv"), "a 3 x 3 table"),
    # Not square: n * (columns - 1) or n * (max(rows, columns) - 1) is not n * (min(rows, columns) - 1) here.
    (["a"] * 18 + ["b"] * 18, ["u"] * 10 + ["v"] * 5 + ["w"] * 3 + ["u"] * 3 + ["v"] * 6 + ["w"] * 9,
     "a 2 x 3 table (2 categories of x, 3 of y)"),
)


def _reference_cramers_v(x, y) -> float:
    from scipy.stats.contingency import association

    return float(association(pd.crosstab(np.asarray(x), np.asarray(y)).to_numpy(), method="cramer"))


def _why_not_cramers_v(found: float, expected: float, table: pd.DataFrame) -> str:
    if close_enough(found, expected ** 2):
        return "that is V squared (phi squared): take the square root"
    smaller, larger = min(table.shape) - 1, max(table.shape) - 1
    if smaller != larger and close_enough(found, expected * np.sqrt(smaller / larger)):
        return (f"that divides chi2 by n * {larger}, the larger of rows - 1 and columns - 1; Cramér's V divides by "
                f"n * (min(rows, columns) - 1) = n * {smaller}")
    return f"Cramér's V is {format_distinct(expected, found)}"


def _association_targets(ns) -> dict[str, np.ndarray]:
    frame = ns["german"].frame
    return {"age_band": np.where(frame["age"] <= 25, YOUNG, OLDER), "sex": frame["sex"].astype(str).to_numpy(),
            "foreign_worker": frame["foreign_worker"].astype(str).to_numpy()}


def _as_dict(value, name: str, keys) -> dict:
    if isinstance(value, pd.Series):
        value = value.to_dict()
    if not isinstance(value, Mapping):
        raise Incorrect(f"`{name}` should be a dict with the keys {sorted(keys)}, got {kind_of(value)}.")
    if set(value) != set(keys):
        raise Incorrect(f"`{name}` has the keys {sorted(map(str, value))}; expected {sorted(keys)}.")
    return dict(value)


class ProxyAssociation(Exercise):
    title = "Find the proxy: Cramér's V"
    reads = ("cramers_v", "district_association")
    hints = (
        "Cramér's V = sqrt(chi2 / (n * (min(rows, columns) - 1))), with chi2 from the contingency table "
        "pd.crosstab(x, y).",
        "scipy.stats.chi2_contingency(table, correction=False)[0] is chi2 (without Yates' correction); or use "
        "scipy.stats.contingency.association(table, method='cramer').",
        "district_association = {name: cramers_v(german.frame['postal_district'], values) for name, values in "
        "PROTECTED_VALUES.items()}.",
    )

    def expect(self, ns, cramers_v, district_association):
        for x, y, case in UNSEEN_TABLES:
            expected = _reference_cramers_v(x, y)
            found = expect_number("cramers_v(...)", call_learner_function(cramers_v, pd.Series(x), np.array(y),
                                                                          name="cramers_v"))
            if not close_enough(found, expected):
                raise Incorrect(f"On {case}, `cramers_v` returns {format_distinct(found, expected)}: "
                                f"{_why_not_cramers_v(found, expected, pd.crosstab(np.asarray(x), np.asarray(y)))}.")
        targets = _association_targets(ns)
        given = _as_dict(district_association, "district_association", targets)
        district = ns["german"].frame[PROXY].to_numpy()
        for name, values in targets.items():
            expect_close(f"district_association[{name!r}]", expect_number(f"district_association[{name!r}]",
                                                                            given[name]),
                         _reference_cramers_v(district, values),
                         otherwise=f"that is not Cramér's V of postal_district and {name} over all 1,000 applicants.")
        strongest = max(targets, key=lambda name: given[name])
        return f"The district is most strongly associated with {strongest} (V = {given[strongest]:.3f})."

    def reference(self, ns):
        district = ns["german"].frame[PROXY].to_numpy()
        return _reference_cramers_v, {name: _reference_cramers_v(district, values)
                                      for name, values in _association_targets(ns).items()}


def _proxy_aucs(ns, build_model) -> dict[str, float]:
    """Cross-validated AUC of predicting 'aged 25 or under' from the non-protected columns, with and without the proxy."""
    from sklearn.model_selection import StratifiedKFold, cross_val_score

    frame, young = ns["german"].X, _young(ns["german"].X).astype(int)
    folds = StratifiedKFold(CV_FOLDS, shuffle=True, random_state=ns["SEED"])
    with_proxy = [column for column in frame.columns if column not in PROTECTED_COLUMNS]
    aucs = {}
    for name, columns in (("with", with_proxy), ("without", [c for c in with_proxy if c != PROXY])):
        model = call_learner_function(build_model, columns, name="build_model")
        aucs[name] = float(cross_val_score(model, frame[columns], young, cv=folds, scoring="roc_auc").mean())
    return aucs


def _training_auc(ns, build_model, columns) -> float:
    from sklearn.metrics import roc_auc_score

    frame, young = ns["german"].X, _young(ns["german"].X).astype(int)
    model = call_learner_function(build_model, columns, name="build_model").fit(frame[columns], young)
    return float(roc_auc_score(young, model.predict_proba(frame[columns])[:, 1]))


class ProxyModel(Exercise):
    title = "A proxy model: can the other columns predict age?"
    reads = ("proxy_auc_with_district", "proxy_auc_without_district")
    hints = (
        "The target is german.X['age'] <= 25; the features are NON_PROTECTED (with the district) or NON_PROTECTED "
        "without 'postal_district'.",
        "cross_val_score(build_model(columns), german.X[columns], is_young, cv=StratifiedKFold(5, shuffle=True, "
        "random_state=SEED), scoring='roc_auc').mean()",
    )

    def expect(self, ns, proxy_auc_with_district, proxy_auc_without_district):
        build_model = ns["build_model"] if BuildModel().grade(ns).status.name == "CORRECT" else reference_build_model
        aucs = _proxy_aucs(ns, build_model)
        non_protected = [c for c in ns["german"].X.columns if c not in PROTECTED_COLUMNS]
        for name, value in (("with", proxy_auc_with_district), ("without", proxy_auc_without_district)):
            label = f"proxy_auc_{name}_district"
            number = expect_number(label, value)
            if number > 0.99:
                raise Incorrect(f"`{label}` = {number:.3f}: an almost perfect AUC means age itself (or a copy) is "
                                "among the features. Use NON_PROTECTED columns only.")
            other = "without" if name == "with" else "with"
            columns = non_protected if name == "with" else [c for c in non_protected if c != PROXY]
            expect_close(label, number, aucs[name], mistakes={
                f"that is the AUC {other} the district: the two are swapped.": aucs[other],
                "that is the AUC on the rows the model was fitted on; cross-validate so each row is scored by a model "
                "that did not see it.": _training_auc(ns, build_model, columns),
            }, otherwise=f"the {CV_FOLDS}-fold cross-validated AUC with build_model and the notebook's folds is "
                         f"{format_distinct(aucs[name], number)}.")
        return (f"AUC {aucs['with']:.3f} with the district vs {aucs['without']:.3f} without: the district adds "
                f"{aucs['with'] - aucs['without']:.3f}, and the other columns already carry some age information.")

    def reference(self, ns):
        aucs = _proxy_aucs(ns, reference_build_model)
        return aucs["with"], aucs["without"]


def _aequitas_ppr_disparity(y_pred, young: np.ndarray) -> float:
    """Aequitas's ppr disparity: each group's share of ALL approvals, young over older (not the selection rate)."""
    y_pred = np.asarray(y_pred)
    return float(y_pred[young].sum() / y_pred[~young].sum())


class ThreeTools(Exercise):
    title = "Disparate impact three ways: AIF360, fairlearn, Aequitas"
    reads = ("di_aif360", "di_fairlearn", "di_aequitas")
    hints = (
        "AIF360: aif360_group_metrics(y_test, y_pred, audit_groups['age_band'], privileged='26 and older')"
        "['disparate_impact'].",
        "fairlearn: MetricFrame(metrics=selection_rate, y_true=y_test, y_pred=y_pred, sensitive_features="
        "audit_groups['age_band']).by_group, then young / older.",
        "Aequitas: the 'pprev_disparity' (predicted prevalence = selection rate) of the young row with "
        "ref_groups_dict={'age_band': '26 and older'}; 'ppr' is a group's share of all approvals, not its rate.",
    )

    def expect(self, ns, di_aif360, di_fairlearn, di_aequitas):
        young = ns["audit_groups"]["age_band"].to_numpy() == YOUNG
        expected = _disparate_impact(ns["y_pred"], young)
        for name, value in (("di_aif360", di_aif360), ("di_fairlearn", di_fairlearn), ("di_aequitas", di_aequitas)):
            expect_close(name, expect_number(name, value), expected, mistakes={
                "that is the inverse ratio: the unprivileged group (25 or younger) goes on top.": 1 / expected,
                "that is Aequitas's ppr disparity, the ratio of the groups' shares of ALL approvals; the selection-"
                "rate ratio is pprev_disparity.": _aequitas_ppr_disparity(ns["y_pred"], young),
            }, otherwise="that is not the ratio of approval rates, 25 or younger over 26 and older, on the test set.")
        verdict = "fails" if expected < 0.8 else "passes"
        return f"All three tools give {expected:.3f}: the model {verdict} the four-fifths rule for age."

    def reference(self, ns):
        young = ns["audit_groups"]["age_band"].to_numpy() == YOUNG
        value = _disparate_impact(ns["y_pred"], young)
        return value, value, value


# Rates by group the learner's function has not seen: (rates, unprivileged, privileged, what it tests).
UNSEEN_RATES = (
    (pd.Series({"a": 0.6, "b": 0.4}), "a", "b", "where the unprivileged group is AHEAD (the difference is positive)"),
    (pd.Series({"x": 0.2, "y": 0.5, "z": 0.9}), "x", "y",
     "with three groups (compare the two named groups, not the largest and smallest rates)"),
)


class SignConventions(Exercise):
    title = "Reconcile the sign conventions"
    reads = ("signed_difference", "eod_age")
    hints = (
        "AIF360's differences are unprivileged minus privileged, so negative means the unprivileged group is "
        "behind; fairlearn's .difference() is max minus min (never negative).",
        "signed_difference returns by_group[unprivileged] - by_group[privileged].",
        "eod_age = signed_difference(MetricFrame(metrics=true_positive_rate, y_true=y_test, y_pred=y_pred, "
        "sensitive_features=audit_groups['age_band']).by_group, '25 or younger', '26 and older').",
    )

    def expect(self, ns, signed_difference, eod_age):
        for rates, unprivileged, privileged, case in UNSEEN_RATES:
            expected = rates[unprivileged] - rates[privileged]
            found = expect_number("signed_difference(...)", call_learner_function(
                signed_difference, rates.copy(), unprivileged, privileged, name="signed_difference"))
            if not close_enough(found, expected):
                why = ("the sign is reversed: AIF360 subtracts the privileged group's rate from the unprivileged "
                       "group's" if close_enough(found, -expected) else
                       f"AIF360's convention gives {format_distinct(expected, found)}")
                raise Incorrect(f"On rates {rates.to_dict()} {case}, `signed_difference` returns "
                                f"{format_distinct(found, expected)}: {why}.")
        aif360 = aif360_group_metrics(ns["y_test"], ns["y_pred"], ns["audit_groups"]["age_band"], privileged=OLDER)
        expected = aif360["equal_opportunity_difference"]
        expect_close("eod_age", expect_number("eod_age", eod_age), expected, mistakes={
            "that is the size of the gap without its sign (fairlearn's equal_opportunity_difference); AIF360's is "
            "negative when the young are behind.": abs(expected),
            "the sign is reversed: young minus older, as AIF360 does.": -expected,
        }, otherwise="that is not the difference in true positive rate (creditworthy applicants approved), 25 or "
                     "younger minus 26 and older.")
        return f"Equal opportunity difference {expected:+.3f}, as AIF360 reports it."


def _intersectional(ns) -> pd.DataFrame:
    return intersectional_rates(ns["y_test"], ns["y_pred"], ns["audit_groups"][["sex", "age_band"]],
                                min_group_size=ns["MIN_GROUP_SIZE"])


def _group_label(value) -> tuple[str, str] | None:
    """(sex, age band) as the data spells them, from a tuple or 'sex, band' in either order and any case."""
    parts = tuple(value) if isinstance(value, (tuple, list, np.ndarray, pd.Index)) else tuple(str(value).split(","))
    labels = [as_option(str(part), (*SEXES, YOUNG, OLDER)) for part in parts]
    sexes = [label for label in labels if label in SEXES]
    bands = [label for label in labels if label in (YOUNG, OLDER)]
    return (sexes[0], bands[0]) if len(parts) == 2 and len(sexes) == 1 and len(bands) == 1 else None


def reference_lowest_reliable(table: pd.DataFrame, min_group_size: int):
    """The row label of ``table``'s lowest selection_rate among the groups of at least ``min_group_size`` (column n);
    None when no group is that large (nothing can be ranked)."""
    large_enough = table[table["n"] >= min_group_size]
    return large_enough["selection_rate"].idxmin() if len(large_enough) else None


# Groups the learner's function has not seen, tried with three minimum sizes: at 30 the lowest rate is in a group of
# 12 (too small) and the lowest of the rest has exactly 30 applicants; at 50 the lowest of the groups of 30 or more
# is too small as well; at 200 no group can be ranked. Ranking every group, or only groups larger than the minimum,
# or always at MIN_GROUP_SIZE, gives another group.
UNSEEN_GROUPS = pd.DataFrame(
    [("female", YOUNG, 12, 0.40), ("female", OLDER, 55, 0.62), ("male", YOUNG, 30, 0.55), ("male", OLDER, 140, 0.70)],
    columns=["sex", "age_band", "n", "selection_rate"]).set_index(["sex", "age_band"])
UNSEEN_CASES = ((30, UNSEEN_GROUPS), (50, UNSEEN_GROUPS.iloc[[2, 0, 3, 1]]), (200, UNSEEN_GROUPS))


def _same_group(found, right, *case) -> bool:
    return (None if found is None else _group_label(found)) == (None if right is None else tuple(right))


def _unseen_groups_shown(table: pd.DataFrame, minimum: int) -> str:
    return (f"groups it has not seen (n {table['n'].tolist()}, selection_rate {table['selection_rate'].tolist()}, "
            f"rows {[', '.join(label) for label in table.index]}) with min_group_size = {minimum}")


def _lowest_reliable_advice(message: str, right, table: pd.DataFrame, minimum: int) -> str | None:
    """What to do when the learner's function raised on an unseen case."""
    if "KeyError: 'reliable'" in message:
        return ("The groups the check tries have only n and selection_rate: compare n with min_group_size, so the "
                "function works for any minimum (a table's reliable column answers for one minimum only).")
    if right is None:
        return (f"That was for groups of which none has min_group_size = {minimum} applicants: nothing can be ranked "
                "there, so return None.")
    return None


def _why_not_lowest_reliable(found, right, table: pd.DataFrame, minimum: int) -> str:
    if right is None:
        return f"no group has {minimum} applicants or more, so none can be ranked: return None."
    right, answer = tuple(right), None if found is None else _group_label(found)
    if found is None:
        return f"{right} has at least min_group_size applicants, so there is a group to rank."
    if answer not in table.index:
        return f"it should return one row label of the table, e.g. {right}."
    if table.loc[answer, "n"] < minimum:
        return (f"that group has {table.loc[answer, 'n']} applicants, fewer than min_group_size: too small to rank. "
                "Keep the rows with n >= min_group_size, then take the lowest selection_rate.")
    if table.loc[right, "n"] == minimum:
        return (f"{right} has exactly min_group_size = {minimum} applicants, and a group of at least the minimum is "
                "ranked: n >= min_group_size.")
    return f"the lowest selection rate among the groups of at least {minimum} is {right}'s."


def _check_lowest_reliable(lowest_reliable) -> None:
    expect_function_picks(lowest_reliable, "lowest_reliable",
                          [((table, minimum), _unseen_groups_shown(table, minimum)) for minimum, table in UNSEEN_CASES],
                          reference_lowest_reliable, same=_same_group, explain=_why_not_lowest_reliable,
                          on_error=_lowest_reliable_advice)


class Intersectional(Exercise):
    title = "Intersectional groups, with a minimum size"
    reads = ("intersectional", "lowest_reliable", "lowest_reliable_group")
    hints = (
        "intersectional_rates(y_test, y_pred, audit_groups[['sex', 'age_band']], min_group_size=MIN_GROUP_SIZE).",
        "lowest_reliable(table, min_group_size): keep the rows with table['n'] >= min_group_size (a group of exactly "
        "the minimum counts), then their ['selection_rate'].idxmin() is the row's label.",
        "lowest_reliable_group = lowest_reliable(intersectional, MIN_GROUP_SIZE).",
    )

    def expect(self, ns, intersectional, lowest_reliable, lowest_reliable_group):
        expected = _intersectional(ns)
        table = expect_dataframe("intersectional", intersectional, ["selection_rate", "reliable"])
        if {"sex", "age_band"} <= set(table.columns):
            table = table.set_index(["sex", "age_band"])
        labels = [_group_label(label) for label in table.index]
        if None in labels or sorted(labels) != sorted(map(tuple, expected.index)):
            raise Incorrect("`intersectional` should have one row per sex x age band group of the test set, as "
                            "intersectional_rates returns it.")
        table.index = pd.MultiIndex.from_tuples(labels)
        table = table.loc[expected.index]
        if not close_enough(table["selection_rate"].to_numpy(float), expected["selection_rate"].to_numpy(float)):
            raise Incorrect("`intersectional`'s selection_rate is not each group's share approved (y_pred).")
        if not (table["reliable"].astype(bool).to_numpy() == expected["reliable"].to_numpy()).all():
            raise Incorrect(f"`reliable` should mark the groups with at least MIN_GROUP_SIZE = {ns['MIN_GROUP_SIZE']} "
                            "test applicants.")
        _check_lowest_reliable(lowest_reliable)
        right = reference_lowest_reliable(expected, ns["MIN_GROUP_SIZE"])
        if right is None:  # possible on another seed: no group reaches the minimum
            if lowest_reliable_group is not None:
                raise Incorrect(f"No group has MIN_GROUP_SIZE = {ns['MIN_GROUP_SIZE']} test applicants or more, so "
                                "none can be ranked: lowest_reliable_group is None.")
            return (f"No group has {ns['MIN_GROUP_SIZE']} test applicants or more: none can be ranked; report each "
                    "group's interval instead.")
        right = tuple(right)
        answer = _group_label(lowest_reliable_group)
        if answer is None:
            raise Incorrect(f"`lowest_reliable_group` should name one group as (sex, age band), e.g. "
                            f"('male', '{OLDER}'); got {lowest_reliable_group!r}.")
        if answer != right:
            if answer in map(tuple, expected.index) and not expected.loc[answer, "reliable"]:
                raise Incorrect(f"{answer} has only {expected.loc[answer, 'n']} test applicants, fewer than "
                                f"MIN_GROUP_SIZE: too small to rank. Choose among the reliable groups.")
            raise Incorrect(f"{answer} is not the reliable group with the lowest selection rate: set "
                            "lowest_reliable_group = lowest_reliable(intersectional, MIN_GROUP_SIZE).")
        small = len(expected) - int(expected["reliable"].sum())
        return (f"Lowest reliable group: {right[0]}, {right[1]} ({expected.loc[right, 'selection_rate']:.3f}). "
                + (f"{small} group(s) are too small to rank; report their intervals instead." if small else
                   f"Every group has at least {ns['MIN_GROUP_SIZE']} test applicants on this split."))

    def reference(self, ns):
        table = _intersectional(ns)
        lowest = reference_lowest_reliable(table, ns["MIN_GROUP_SIZE"])
        return table, reference_lowest_reliable, None if lowest is None else tuple(lowest)


def _error_rates(ns) -> pd.DataFrame:
    return group_rates(ns["y_test"], ns["y_pred"], ns["audit_groups"]["age_band"]).by_group[["fpr", "fnr"]]


class ErrorRates(Exercise):
    title = "Error rates per age group"
    reads = ("error_rates",)
    hints = (
        "FPR = bad risks approved / all bad risks; FNR = good risks refused / all good risks (positive = good credit).",
        "group_rates(y_test, y_pred, audit_groups['age_band']).by_group[['fpr', 'fnr']], or a MetricFrame with "
        "false_positive_rate and false_negative_rate.",
    )

    def expect(self, ns, error_rates):
        expected = _error_rates(ns)
        table = expect_dataframe("error_rates", error_rates, ["fpr", "fnr"])
        if "age_band" in table.columns:
            table = table.set_index("age_band")
        if sorted(map(str, table.index)) != sorted(expected.index):
            raise Incorrect(f"`error_rates` should have one row per age band {sorted(expected.index)}, got "
                            f"{sorted(map(str, table.index))}.")
        table = table.set_axis(list(map(str, table.index))).loc[expected.index]
        fpr, fnr = (table[column].to_numpy(float) for column in ("fpr", "fnr"))
        if close_enough(fpr, expected["fnr"].to_numpy()) and close_enough(fnr, expected["fpr"].to_numpy()):
            raise Incorrect("fpr and fnr are swapped: FPR counts bad risks approved (among bad risks), FNR good risks "
                            "refused (among good risks).")
        for column, values in (("fpr", fpr), ("fnr", fnr)):
            if not close_enough(values, expected[column].to_numpy()):
                raise Incorrect(f"`error_rates['{column}']` is {np.round(values, 3).tolist()}; the {column.upper()} "
                                f"per age band is {np.round(expected[column].to_numpy(), 3).tolist()} (rows "
                                f"{list(expected.index)}). A rate's denominator is the group's bad risks (FPR) or "
                                "good risks (FNR), not all its applicants.")
        worse = expected["fnr"].idxmax()
        return (f"Creditworthy applicants {worse} are refused most often (FNR {expected.loc[worse, 'fnr']:.3f}).")

    def reference(self, ns):
        return _error_rates(ns)


class Unawareness(Exercise):
    title = "Fairness through unawareness"
    reads = ("protected_columns", "di_unaware", "di_without_proxy")
    hints = (
        "Drop every column that records or encodes a protected attribute: sex, age, foreign_worker, and "
        "personal_status_sex (it encodes sex). Keep postal_district for now.",
        "columns = [c for c in FEATURES if c not in protected_columns]; fit build_model(columns) on X_train[columns]; "
        "disparate impact for age of its test predictions.",
        "For di_without_proxy, drop 'postal_district' too and retrain.",
    )

    def expect(self, ns, protected_columns, di_unaware, di_without_proxy):
        if isinstance(protected_columns, str) or not isinstance(protected_columns, (list, tuple, set, pd.Index,
                                                                                      np.ndarray)):
            raise Incorrect(f"`protected_columns` should be a list of column names, got {kind_of(protected_columns)}.")
        dropped = set(map(str, protected_columns))
        unknown = dropped - set(ns["FEATURES"])
        if unknown:
            raise Incorrect(f"{sorted(unknown)} are not columns of X_train.")
        if "personal_status_sex" not in dropped and "sex" in dropped:
            raise Incorrect("personal_status_sex still encodes sex (every woman has the code 'female: "
                            "divorced/separated/married'): unawareness has to drop it too.")
        missing = sorted(set(PROTECTED_COLUMNS) - dropped)
        if missing:
            raise Incorrect(f"{missing} still record a protected attribute; drop them.")
        if PROXY in dropped:
            raise Incorrect("Keep postal_district for di_unaware: the point is that a model blind to the protected "
                            "columns still sees their proxy. Drop it only for di_without_proxy.")
        unprotected = sorted(dropped - set(PROTECTED_COLUMNS))
        if unprotected:
            raise Incorrect(f"{unprotected} record no protected attribute: keep them, so that di_unaware measures "
                            "what removing the protected columns alone does.")
        young = _young(ns["X_test"])
        kept = [column for column in ns["FEATURES"] if column not in dropped]
        unaware = _disparate_impact(_predictions(ns, kept), young)
        without_proxy = _disparate_impact(_predictions(ns, [c for c in kept if c != PROXY]), young)
        original = _disparate_impact(ns["y_pred"], young)
        expect_close("di_unaware", expect_number("di_unaware", di_unaware), unaware, mistakes={
            "that is the original model's disparate impact: retrain build_model without the protected columns.":
                original,
            "that is the model without the district too; di_unaware keeps postal_district.": without_proxy,
        }, otherwise="that is not the disparate impact for age of a model retrained without the protected columns.")
        expect_close("di_without_proxy", expect_number("di_without_proxy", di_without_proxy), without_proxy, mistakes={
            "that still includes postal_district: drop it as well and retrain.": unaware,
        }, otherwise="that is not the disparate impact for age of a model retrained without the protected columns "
                     "and postal_district.")
        return (f"Disparate impact for age: {original:.3f} with every column, {unaware:.3f} blind to the protected "
                f"columns, {without_proxy:.3f} without the proxy too.")

    def reference(self, ns):
        young = _young(ns["X_test"])
        kept = [column for column in ns["FEATURES"] if column not in PROTECTED_COLUMNS]
        return (list(PROTECTED_COLUMNS), _disparate_impact(_predictions(ns, kept), young),
                _disparate_impact(_predictions(ns, [c for c in kept if c != PROXY]), young))


def reference_stratified_gap(approved, in_group, strata) -> float:
    """Approval gap (group minus the rest) within each stratum, averaged with the group's counts as weights."""
    frame = pd.DataFrame({"approved": np.asarray(approved, dtype=float), "in_group": np.asarray(in_group, dtype=bool),
                          "stratum": np.asarray(strata)})
    rates = frame.pivot_table(index="stratum", columns="in_group", values="approved", aggfunc="mean", observed=True)
    counts = frame[frame["in_group"]].groupby("stratum", observed=True).size()
    both = rates.dropna().index.intersection(counts.index)
    gaps = rates.loc[both, True] - rates.loc[both, False]
    return float(np.average(gaps, weights=counts.loc[both]))


def _strata_case(*strata: tuple[str, int, int, int, int]) -> tuple[list[int], list[bool], list[str]]:
    """(approved, in_group, strata) from (stratum, group approved, group refused, others approved, others refused)."""
    approved, in_group, names = [], [], []
    for name, *counts in strata:
        for is_in, decision, count in zip((True, True, False, False), (1, 0, 1, 0), counts):
            approved += [decision] * count
            in_group += [is_in] * count
            names += [name] * count
    return approved, in_group, names


# Cases the learner's function has not seen: (each stratum's counts, as _strata_case takes them; what it tests).
# First Simpson's paradox: the group is ahead in every stratum but behind overall, because most of its applications
# are in the stratum where everyone is approved less. Then a stratum with one side empty: it has no gap, and
# averaging it in gives NaN (or another number, if the empty side counts as a rate of 0 or its rows still weigh).
UNSEEN_STRATA_COUNTS = (
    ((("small", 8, 2, 14, 6), ("large", 12, 18, 2, 8)),
     "a case where the group is ahead in every stratum but behind overall (Simpson's paradox)"),
    ((("low", 6, 4, 4, 6), ("mid", 1, 4, 6, 9), ("high", 0, 0, 12, 0)),
     "a case where stratum 'high' has no applicants in the group (strata where either side is empty are skipped)"),
    ((("low", 6, 2, 6, 6), ("mid", 3, 9, 4, 4), ("high", 2, 8, 0, 0)),
     "a case where stratum 'high' has no applicants outside the group (strata where either side is empty are "
     "skipped)"),
)


def _unseen_strata() -> list[tuple[list[int], list[bool], list[str], str]]:
    """(approved, in_group, strata, what it tests) of each case of UNSEEN_STRATA_COUNTS; built when a check runs,
    since a graded kernel's release build has no helper to build them at import."""
    return [(*_strata_case(*counts), case) for counts, case in UNSEEN_STRATA_COUNTS]


def _has_an_empty_side(in_group, strata) -> bool:
    return bool(pd.crosstab(np.asarray(strata), np.asarray(in_group, dtype=bool)).eq(0).to_numpy().any())


def _why_not_stratified_gap(found: float, expected: float, approved, in_group, strata) -> str:
    frame = pd.DataFrame({"approved": approved, "in_group": in_group, "stratum": strata})
    raw = frame.groupby("in_group")["approved"].mean().diff().iloc[-1]
    by_stratum = frame.pivot_table(index="stratum", columns="in_group", values="approved", aggfunc="mean")
    unweighted = (by_stratum[True] - by_stratum[False]).mean()  # over the strata with both sides
    if close_enough(found, raw):
        return "that is the raw gap, ignoring the strata"
    if close_enough(found, unweighted):
        return "that is the plain mean of the strata's gaps; weight each stratum by the group's applicants in it"
    return f"the weighted within-stratum gap is {format_distinct(expected, found)}"


def _district_gaps(ns, district: str) -> tuple[float, float]:
    y_pred = np.asarray(ns["y_pred"])
    in_district = (ns["X_test"][PROXY] == district).to_numpy()
    raw = float(y_pred[in_district].mean() - y_pred[~in_district].mean())
    return raw, reference_stratified_gap(y_pred, in_district, ns["amount_quartile"])


class CorrelationOrCause(Exercise):
    title = "Correlation or cause? Control for the loan amount"
    reads = ("stratified_gap", "explained_by_amount")
    hints = (
        "Within each stratum: approval rate in the district minus approval rate outside it. Then average those "
        "gaps, weighting each stratum by how many of the district's applicants it holds.",
        "A gap is explained by the amount when the stratified gap is less than half the raw gap in size.",
    )

    def expect(self, ns, stratified_gap, explained_by_amount):
        for approved, in_group, strata, case in _unseen_strata():
            expected = reference_stratified_gap(approved, in_group, strata)
            result = call_learner_function(stratified_gap, np.array(approved), pd.Series(in_group), np.array(strata),
                                           name="stratified_gap")
            if isinstance(result, (float, np.floating)) and np.isnan(result) and _has_an_empty_side(in_group, strata):
                raise Incorrect(f"On {case}, `stratified_gap` returns NaN: that stratum has no gap to average, so "
                                "skip it.")
            found = expect_number("stratified_gap(...)", result)
            if not close_enough(found, expected):
                raise Incorrect(f"On {case}, `stratified_gap` returns {format_distinct(found, expected)}: "
                                f"{_why_not_stratified_gap(found, expected, approved, in_group, strata)}.")
        y_pred = np.asarray(ns["y_pred"])
        districts = ns["DISTRICTS_TO_EXPLAIN"]
        for district in districts:  # the test set's decisions in amount quartiles, which the verdicts rest on
            in_district = (ns["X_test"][PROXY] == district).to_numpy()
            within = _district_gaps(ns, district)[1]
            found = expect_number("stratified_gap(...)", call_learner_function(
                stratified_gap, y_pred, in_district, ns["amount_quartile"], name="stratified_gap"))
            if not close_enough(found, within):
                raise Incorrect(f"On the test set's decisions, `stratified_gap(y_pred, postal_district == "
                                f"{district!r}, amount_quartile)` returns {format_distinct(found, within)}; the gap "
                                f"within amount quartiles, weighted by the district's applicants in each, is "
                                f"{format_distinct(within, found)}.")
        given = _as_dict(explained_by_amount, "explained_by_amount", districts)
        for district, verdict in given.items():
            if not isinstance(verdict, (bool, np.bool_)):
                truthy = (f" ({verdict!r}): a non-empty string counts as true, even 'False'"
                          if isinstance(verdict, str) and verdict else "")
                raise Incorrect(f"explained_by_amount[{district!r}] should be True or False, got "
                                f"{kind_of(verdict)}{truthy}.")
        for district in districts:
            raw, within = _district_gaps(ns, district)
            explained = abs(within) < EXPLAINED_SHARE * abs(raw)
            if bool(given[district]) != explained:
                raise Incorrect(f"{district}: the raw approval gap is {raw:+.3f} and {within:+.3f} within amount "
                                f"quartiles, so it is {'' if explained else 'NOT '}explained by the loan amount.")
        return "; ".join(f"{d}: {'explained by the amount' if given[d] else 'not explained by the amount'}"
                         for d in districts) + "."

    def reference(self, ns):
        verdicts = {}
        for district in ns["DISTRICTS_TO_EXPLAIN"]:
            raw, within = _district_gaps(ns, district)
            verdicts[district] = abs(within) < EXPLAINED_SHARE * abs(raw)
        return reference_stratified_gap, verdicts


class ComplianceNote(WrittenAnswer):
    title = "Brief the compliance officer"
    reads = ("compliance_note",)
    min_words = 60
    rubric = (
        "States the finding with its number: disparate impact for age against the four-fifths rule.",
        "Explains why removing the protected columns did not fix it (the district is a proxy), with the numbers.",
        "Separates the gap explained by a legitimate factor (loan amount) from the gap that is not.",
        "Names what is uncertain (small groups, synthetic district) and what should happen next.",
    )


# --- the story the prose tells (issue 22 §6: it must hold on every seed) -------------------------------------

def _in_district(ns, district: str) -> np.ndarray:
    return (ns["X_test"]["postal_district"] == district).to_numpy()


def _westend_holds_large_loans_and_hafen_young_applicants(ns) -> bool:
    amount, age = ns["X_test"]["credit_amount"].to_numpy(), ns["X_test"]["age"].to_numpy()
    westend, hafen = _in_district(ns, "Westend"), _in_district(ns, "Hafen")
    return bool(np.median(amount[westend]) > np.median(amount[~westend])
                and np.median(age[hafen]) < np.median(age[~hafen]))


def _the_district_adds_to_what_the_columns_know_about_age(ns) -> bool:
    """The proxy model finds age better with the district than without it (AUC 0.02 or more)."""
    return bool(ns["proxy_auc_with_district"] - ns["proxy_auc_without_district"] > 0.02)


EXERCISES = ExerciseSet(NOTEBOOK, [
    BuildModel(), ProxyAssociation(), ThreeTools(), SignConventions(), Intersectional(), ErrorRates(), Unawareness(),
    ProxyModel(), CorrelationOrCause(), ComplianceNote(),
], claims=[
    Claim("Westend holds many **large loans**, a legitimate credit factor; Hafen holds many **young** applicants.",
          _westend_holds_large_loans_and_hafen_young_applicants),
    Claim("The district adds to what the allowed columns know about age",
          _the_district_adds_to_what_the_columns_know_about_age),
])
q1, q2, q3, q4, q5, q6, q7, q8, q9, q10 = EXERCISES
score_summary = EXERCISES.score_summary

__all__ = ["q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8", "q9", "q10", "score_summary"]
