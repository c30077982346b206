"""Notebook 03's exercises: plausible mistakes get their specific message, correct answers in
another form pass, and wrong methods that hit the right value on this data fail (the checks
every exercise shares are in test_exercises.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import chi2_contingency

from model_health.teaching.exercises import nb03_fairness_audit_lending as nb03
from model_health.fairness import group_rates
from model_health.teaching.grading import Status

from conftest import feedback_failures, significant


def pipeline_without_scaling(columns):
    from sklearn.compose import ColumnTransformer, make_column_selector
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    encode = ColumnTransformer([("categories", OneHotEncoder(handle_unknown="ignore"),
                                 make_column_selector(dtype_include="category"))], remainder="passthrough")
    return make_pipeline(encode, LogisticRegression(max_iter=1000))


def pipeline_failing_on_unseen(columns):
    from sklearn.compose import ColumnTransformer, make_column_selector
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    encode = ColumnTransformer([("numbers", StandardScaler(), make_column_selector(dtype_include="number")),
                                ("categories", OneHotEncoder(), make_column_selector(dtype_include="category"))])
    return make_pipeline(encode, LogisticRegression(max_iter=1000))


def pipeline_for_all_columns(ns):
    """Right on FEATURES, but its column lists are fixed: it cannot fit other column sets."""
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    numbers = ns["X_train"].select_dtypes("number").columns.tolist()
    categories = ns["X_train"].select_dtypes("category").columns.tolist()

    def build(columns):
        encode = ColumnTransformer([("numbers", StandardScaler(), numbers),
                                    ("categories", OneHotEncoder(handle_unknown="ignore"), categories)])
        return make_pipeline(encode, LogisticRegression(max_iter=1000))
    return build


def forest(columns):
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OrdinalEncoder

    return make_pipeline(OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1),
                         RandomForestClassifier(random_state=0))


def cramers_v_with_yates(x, y):
    """Right on every table but 2 x 2 (where scipy's default correction changes chi2)."""
    table = pd.crosstab(np.asarray(x), np.asarray(y))
    chi2 = chi2_contingency(table)[0]
    return np.sqrt(chi2 / (table.to_numpy().sum() * (min(table.shape) - 1)))


def phi_squared(x, y):
    table = pd.crosstab(np.asarray(x), np.asarray(y))
    return chi2_contingency(table, correction=False)[0] / (table.to_numpy().sum() * (min(table.shape) - 1))


def cramers_v_over_columns(x, y):
    """Divides by n * (columns - 1): right on square tables and on the notebook's (6 districts x 2 values)."""
    table = pd.crosstab(np.asarray(x), np.asarray(y))
    chi2 = chi2_contingency(table, correction=False)[0]
    return np.sqrt(chi2 / (table.to_numpy().sum() * (table.shape[1] - 1)))


def cramers_v_transposed(x, y):
    """Right: the table of y by x has the same V."""
    from scipy.stats.contingency import association

    return association(pd.crosstab(np.asarray(y), np.asarray(x)).to_numpy(), method="cramer")


def stratified_gap_without_skipping(approved, in_group, strata):
    """The notebook's loop without its rule: a stratum with one side empty puts NaN in the average."""
    frame = pd.DataFrame({"approved": np.asarray(approved, float), "in": np.asarray(in_group, bool),
                          "stratum": np.asarray(strata)})
    gaps, weights = [], []
    for _, stratum in frame.groupby("stratum"):
        gaps.append(stratum.loc[stratum["in"], "approved"].mean() - stratum.loc[~stratum["in"], "approved"].mean())
        weights.append(stratum["in"].sum())
    return np.average(gaps, weights=weights)


def stratified_gap_over_all_group_rows(approved, in_group, strata):
    """Skips a stratum's missing gap in the sum but still counts its group rows in the total weight."""
    frame = pd.DataFrame({"approved": np.asarray(approved, float), "in": np.asarray(in_group, bool),
                          "stratum": np.asarray(strata)})
    rates = frame.pivot_table(index="stratum", columns="in", values="approved", aggfunc="mean")
    counts = frame[frame["in"]].groupby("stratum").size()
    return float(((rates[True] - rates[False]) * counts).sum() / counts.sum())


def stratified_gap_with_empty_side_as_zero(approved, in_group, strata):
    """Takes an empty side's approval rate as 0."""
    frame = pd.DataFrame({"approved": np.asarray(approved, float), "in": np.asarray(in_group, bool),
                          "stratum": np.asarray(strata)})
    rates = frame.pivot_table(index="stratum", columns="in", values="approved", aggfunc="mean").fillna(0)
    counts = frame[frame["in"]].groupby("stratum").size().reindex(rates.index, fill_value=0)
    return float(np.average(rates[True] - rates[False], weights=counts))


def stratified_gap_aligned_by_index(approved, in_group, strata):
    """Right on arrays; on the notebook's amount_quartile, a Series indexed like X_test, pandas aligns it by index
    with the other two, numbered from 0, and pairs the wrong rows."""
    frame = pd.DataFrame({"approved": pd.Series(np.asarray(approved, float)),
                          "in": pd.Series(np.asarray(in_group, bool)), "stratum": pd.Series(strata)}).dropna()
    frame["in"] = frame["in"].astype(bool)
    return nb03.reference_stratified_gap(frame["approved"], frame["in"], frame["stratum"])


def stratified_gap_by_groupby(approved, in_group, strata):
    """Right: the same rule written with groupby."""
    frame = pd.DataFrame({"approved": np.asarray(approved, float), "in": np.asarray(in_group, bool),
                          "stratum": np.asarray(strata)})
    rates = frame.groupby(["stratum", "in"])["approved"].mean().unstack().dropna()
    weights = frame[frame["in"]].groupby("stratum").size().loc[rates.index]
    return float(((rates[True] - rates[False]) * weights).sum() / weights.sum())


def unweighted_stratified_gap(approved, in_group, strata):
    frame = pd.DataFrame({"approved": np.asarray(approved, float), "in": np.asarray(in_group, bool),
                          "stratum": np.asarray(strata)})
    rates = frame.pivot_table(index="stratum", columns="in", values="approved", aggfunc="mean", observed=True)
    return float((rates[True] - rates[False]).mean())


def raw_gap(approved, in_group, strata):
    approved, in_group = np.asarray(approved, float), np.asarray(in_group, bool)
    return approved[in_group].mean() - approved[~in_group].mean()


def rank_every_group(table, min_group_size):
    """Ranks the small groups too: right wherever the lowest rate is in a large group."""
    return table["selection_rate"].idxmin()


def rank_larger_than_minimum(table, min_group_size):
    return table[table["n"] > min_group_size]["selection_rate"].idxmin()


def rank_at_notebook_minimum(ns):
    """Right for the notebook's table: MIN_GROUP_SIZE instead of the argument."""
    def lowest(table, min_group_size):
        return table[table["n"] >= ns["MIN_GROUP_SIZE"]]["selection_rate"].idxmin()
    return lowest


def raise_when_none_is_large_enough(table, min_group_size):
    """Right wherever a group reaches the minimum; idxmin of no group raises."""
    return table[table["n"] >= min_group_size]["selection_rate"].idxmin()


def rank_by_reliable_column(table, min_group_size):
    """Right for a table intersectional_rates made with that minimum; the argument is unused."""
    return table[table["reliable"]]["selection_rate"].idxmin()


def unaware_with_extra_columns(ns, extra):
    """protected_columns with ``extra`` columns too, and the disparate impacts of the models retrained without them."""
    dropped = [*nb03.PROTECTED_COLUMNS, *extra]
    kept = [column for column in ns["FEATURES"] if column not in dropped]
    young = nb03._young(ns["X_test"])
    return (dropped, nb03._disparate_impact(nb03._predictions(ns, kept), young),
            nb03._disparate_impact(nb03._predictions(ns, [c for c in kept if c != nb03.PROXY]), young))


def mistakes(ns):
    young = ns["audit_groups"]["age_band"].to_numpy() == nb03.YOUNG
    y_pred = np.asarray(ns["y_pred"])
    di = y_pred[young].mean() / y_pred[~young].mean()
    ppr = y_pred[young].sum() / y_pred[~young].sum()
    eod = ns["eod_age"]
    table = ns["intersectional"]
    smallest = table["selection_rate"].idxmin()
    rates = ns["error_rates"]
    return [
        ("q1", dict(build_model=pipeline_without_scaling), "not scaled"),
        ("q1", dict(build_model=pipeline_failing_on_unseen), "never saw in training"),
        # Right on FEATURES (the notebook's model), but not a function of `columns`.
        ("q1", dict(build_model=pipeline_for_all_columns(ns)), "Select the columns by dtype"),
        ("q1", dict(build_model=forest), "asks for a LogisticRegression"),
        ("q1", dict(build_model=lambda columns: "model"), "should return a scikit-learn model"),
        # Right on the notebook's 6 x 2 tables, wrong on a 2 x 2 one.
        ("q2", dict(cramers_v=cramers_v_with_yates), "Yates"),
        ("q2", dict(cramers_v=phi_squared), "V squared"),
        # Right on square tables and on the notebook's 6 x 2 ones (columns - 1 = min(rows, columns) - 1 there).
        ("q2", dict(cramers_v=cramers_v_over_columns), "n * (min(rows, columns) - 1) = n * 1"),
        ("q2", dict(district_association={**ns["district_association"], "sex": 0.1}), "district_association['sex']"),
        ("q2", dict(district_association={"age_band": 0.5}), "has the keys"),
        ("q3", dict(di_aequitas=ppr), "ppr disparity"),
        ("q3", dict(di_fairlearn=1 / di), "inverse ratio"),
        ("q3", dict(di_aif360=0.5), "not the ratio of approval rates"),
        ("q4", dict(eod_age=abs(eod)), "without its sign"),
        ("q4", dict(signed_difference=lambda by_group, u, p: by_group[p] - by_group[u]), "sign is reversed"),
        # Right on this data (two groups, the young behind): the gap's size with a minus sign.
        ("q4", dict(signed_difference=lambda by_group, u, p: -(by_group.max() - by_group.min())), "AHEAD"),
        ("q4", dict(signed_difference=lambda by_group, u, p: by_group.min() - by_group.max()), "AHEAD"),
        # Ranking every group gives the right group wherever the lowest rate is in a large group (seeds 29, 59, 61,
        # 101): the function is tried on groups where it is not.
        ("q5", dict(lowest_reliable=rank_every_group, lowest_reliable_group=tuple(smallest)), "too small to rank"),
        ("q5", dict(lowest_reliable=rank_larger_than_minimum), "exactly min_group_size"),
        ("q5", dict(lowest_reliable=rank_at_notebook_minimum(ns)), "too small to rank"),
        ("q5", dict(lowest_reliable=rank_by_reliable_column), "compare n with min_group_size"),
        ("q5", dict(lowest_reliable=lambda table, min_group_size: "someone"), "one row label of the table"),
        ("q5", dict(lowest_reliable=raise_when_none_is_large_enough), "so return None"),
        ("q5", dict(lowest_reliable=lambda table, min_group_size: None), "there is a group to rank"),
        ("q5", dict(lowest_reliable_group="someone"), "should name one group"),
        # The small groups marked instead of the large ones (a table with every group reliable is right on seed 59,
        # where every group has at least MIN_GROUP_SIZE applicants).
        ("q5", dict(intersectional=table.assign(reliable=table["n"] < ns["MIN_GROUP_SIZE"])), "MIN_GROUP_SIZE"),
        ("q6", dict(error_rates=rates.rename(columns={"fpr": "fnr", "fnr": "fpr"})), "swapped"),
        ("q6", dict(error_rates=rates * 0.5), "denominator"),
        ("q6", dict(error_rates=rates.iloc[:1]), "one row per age band"),
        ("q7", dict(protected_columns=["sex", "age", "foreign_worker"]), "personal_status_sex still encodes sex"),
        ("q7", dict(protected_columns=[*nb03.PROTECTED_COLUMNS, "postal_district"]), "Keep postal_district"),
        ("q7", dict(protected_columns=["personal_status_sex", "age"]), "still record a protected attribute"),
        ("q7", dict(di_unaware=di), "original model's disparate impact"),
        ("q7", dict(di_without_proxy=ns["di_unaware"]), "still includes postal_district"),
        # Two more columns dropped, with the disparate impacts of that model: the protected columns are not all
        # that changed.
        ("q7", dict(zip(("protected_columns", "di_unaware", "di_without_proxy"), unaware_with_extra_columns(
            ns, ["job", "housing"]))), "['housing', 'job'] record no protected attribute"),
        ("q8", dict(proxy_auc_with_district=ns["proxy_auc_without_district"]), "swapped"),
        ("q8", dict(proxy_auc_with_district=1.0), "age itself"),
        ("q8", dict(proxy_auc_without_district=0.5), "cross-validated AUC"),
        ("q9", dict(stratified_gap=raw_gap), "raw gap"),
        # The notebook's strata hold similar numbers of each district's applicants: weighting barely matters there.
        ("q9", dict(stratified_gap=unweighted_stratified_gap), "plain mean"),
        ("q9", dict(explained_by_amount={"Hafen": True, "Westend": False}), "Hafen"),
        ("q9", dict(explained_by_amount={"Hafen": False}), "has the keys"),
        # No stratum of the Simpson's-paradox case, nor of the notebook's quartiles, has an empty side.
        ("q9", dict(stratified_gap=stratified_gap_without_skipping),
         "no applicants in the group (strata where either side is empty are skipped), `stratified_gap` returns NaN"),
        ("q9", dict(stratified_gap=stratified_gap_over_all_group_rows), "no applicants outside the group"),
        ("q9", dict(stratified_gap=stratified_gap_with_empty_side_as_zero), "no applicants outside the group"),
        ("q9", dict(stratified_gap=stratified_gap_aligned_by_index), "On the test set's decisions"),
        # A string is truthy: 'False' passed where True was right.
        ("q9", dict(explained_by_amount={d: str(v) for d, v in ns["explained_by_amount"].items()}),
         "should be True or False, got a str"),
        ("q9", dict(explained_by_amount={d: int(v) for d, v in ns["explained_by_amount"].items()}),
         "should be True or False"),
    ]


def test_each_mistake_gets_its_specific_feedback(solved_nb03):
    assert feedback_failures(nb03.EXERCISES, solved_nb03, mistakes(solved_nb03)) == []


def test_training_auc_is_named(solved_nb03):
    """The AUC scored on the rows the model was fitted on (no cross-validation) is caught by name."""
    ns = solved_nb03
    columns = ns["NON_PROTECTED"]
    training = nb03._training_auc(ns, ns["build_model"], columns)
    result = nb03.q8.grade({**ns, "proxy_auc_with_district": training})
    assert result.status is Status.INCORRECT and "rows the model was fitted on" in result.message


def correct_in_another_form(ns):
    table = ns["intersectional"]
    rates = ns["error_rates"]
    lowest = ns["lowest_reliable_group"]
    return [
        ("q2", dict(district_association=pd.Series({k: significant(v) for k, v in
                                                    reversed(ns["district_association"].items())}))),
        ("q2", dict(cramers_v=cramers_v_transposed)),
        ("q3", dict(di_aif360=significant(ns["di_aif360"]), di_fairlearn=np.float32(ns["di_fairlearn"]))),
        ("q4", dict(eod_age=significant(ns["eod_age"]),
                    signed_difference=lambda by_group, u, p: float(np.asarray(by_group[u]) - np.asarray(by_group[p])))),
        ("q5", dict(intersectional=table.rename_axis(["sex", "age_band"]).reset_index().sample(frac=1, random_state=1)[
            ["age_band", "sex", "reliable", "selection_rate", "n"]],
                    lowest_reliable_group=list(reversed(ns["lowest_reliable_group"])))),
        ("q5", dict(lowest_reliable_group=", ".join(ns["lowest_reliable_group"]),
                    lowest_reliable=lambda table, minimum: next(
                        (", ".join(label) for label in table.loc[table["n"] >= minimum].sort_values(
                            "selection_rate").index), None))),
        # Labels in any case: 'Female, 26 and older', ('Female', '26 and older'), 'FEMALE, 26 AND OLDER'.
        ("q5", dict(lowest_reliable_group=", ".join(part.capitalize() for part in lowest))),
        ("q5", dict(lowest_reliable_group=tuple(part.capitalize() for part in lowest))),
        ("q5", dict(lowest_reliable_group=" , ".join(lowest).upper())),
        ("q6", dict(error_rates=rates.round(3).iloc[::-1].reset_index().rename(columns={"index": "age_band"}))),
        ("q7", dict(protected_columns=tuple(reversed(nb03.PROTECTED_COLUMNS)), di_unaware=significant(ns["di_unaware"]))),
        ("q7", dict(protected_columns=pd.Index(sorted(nb03.PROTECTED_COLUMNS)))),
        ("q8", dict(proxy_auc_with_district=significant(ns["proxy_auc_with_district"]))),
        ("q9", dict(explained_by_amount={district: bool(v) for district, v in
                                         reversed(ns["explained_by_amount"].items())},
                    stratified_gap=nb03.reference_stratified_gap)),
        ("q9", dict(explained_by_amount=pd.Series(ns["explained_by_amount"]),
                    stratified_gap=stratified_gap_by_groupby)),
    ]


def test_correct_answers_in_other_forms_pass(solved_nb03):
    """Every case of correct_in_another_form grades correct (a fixed count of cases here once left new ones
    unrun)."""
    exercises = {exercise.name: exercise for exercise in nb03.EXERCISES}
    refused = [f"{name} {sorted(answers)}: {result.message}" for name, answers in correct_in_another_form(solved_nb03)
               if (result := exercises[name].grade({**solved_nb03, **answers})).status is not Status.CORRECT]
    assert not refused, "\n".join(refused)


def test_a_group_too_small_to_rank_is_named(solved_nb03):
    """Naming a group under MIN_GROUP_SIZE as the lowest gets the reason (the published split has two)."""
    table = solved_nb03["intersectional"]
    small = table[~table["reliable"]]
    assert len(small), "the published split should have a group under MIN_GROUP_SIZE"
    result = nb03.q5.grade({**solved_nb03, "lowest_reliable_group": small.index[0]})
    assert result.status is Status.INCORRECT and "too small to rank" in result.message, result.message


def test_lowest_reliable_unseen_groups_tell_the_wrong_rankings_apart():
    """On each minimum the check tries, the right group differs from every wrong ranking of the mistakes."""
    for minimum, table in nb03.UNSEEN_CASES:
        right = nb03.reference_lowest_reliable(table, minimum)
        assert rank_every_group(table, minimum) != right
        assert right is None if (table["n"] < minimum).all() else table.loc[right, "n"] >= minimum
    assert rank_larger_than_minimum(nb03.UNSEEN_GROUPS, 30) != nb03.reference_lowest_reliable(nb03.UNSEEN_GROUPS, 30)
    at_thirty = rank_at_notebook_minimum({"MIN_GROUP_SIZE": 30})
    assert at_thirty(nb03.UNSEEN_GROUPS, 50) != nb03.reference_lowest_reliable(nb03.UNSEEN_GROUPS, 50)


def test_another_valid_pipeline_is_accepted(solved_nb03):
    """q1 accepts any Pipeline that scales, one-hot encodes (ignoring unknowns) and ends in a logistic regression."""
    from sklearn.compose import make_column_transformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, RobustScaler

    def build(columns):
        numbers = [c for c in columns if c in solved_nb03["X_train"].select_dtypes("number").columns]
        categories = [c for c in columns if c not in numbers]
        encode = make_column_transformer((RobustScaler(), numbers),
                                         (OneHotEncoder(handle_unknown="ignore", sparse_output=False), categories))
        return Pipeline([("encode", encode), ("classify", LogisticRegression(C=0.5, max_iter=2000))])

    result = nb03.q1.grade({**solved_nb03, "build_model": build})
    assert result.status is Status.CORRECT, result.message


def test_stratified_gap_reference_on_simpsons_paradox():
    """The first unseen case is a real paradox: ahead in each stratum (+0.1, +0.2), behind overall."""
    approved, in_group, strata, _ = nb03._unseen_strata()[0]
    assert raw_gap(approved, in_group, strata) < 0 < nb03.reference_stratified_gap(approved, in_group, strata)
    assert nb03.reference_stratified_gap(approved, in_group, strata) == pytest.approx(0.175)
    assert unweighted_stratified_gap(approved, in_group, strata) == pytest.approx(0.15)


def test_each_empty_side_case_tells_the_wrong_methods_apart():
    """On the cases with an empty side, each wrong method gives another value than the reference, by more than the
    tolerance; the first has a stratum without group rows, the second one without rows outside the group."""
    from model_health.teaching.grading import close_enough

    for approved, in_group, strata, _ in nb03._unseen_strata()[1:]:
        right = nb03.reference_stratified_gap(approved, in_group, strata)
        assert stratified_gap_by_groupby(approved, in_group, strata) == pytest.approx(right)
        for wrong in (raw_gap, unweighted_stratified_gap):
            assert not close_enough(wrong(approved, in_group, strata), right), wrong.__name__
        assert np.isnan(stratified_gap_without_skipping(approved, in_group, strata))
    approved, in_group, strata, _ = nb03._unseen_strata()[2]
    right = nb03.reference_stratified_gap(approved, in_group, strata)
    for wrong in (stratified_gap_over_all_group_rows, stratified_gap_with_empty_side_as_zero):
        assert not close_enough(wrong(approved, in_group, strata), right), wrong.__name__


def test_the_non_square_table_tells_the_denominators_apart():
    """On the 2 x 3 unseen table, dividing by columns - 1 gives another V; on the square ones it cannot."""
    from model_health.teaching.grading import close_enough

    for x, y, _ in nb03.UNSEEN_TABLES[:-1]:
        assert close_enough(cramers_v_over_columns(x, y), nb03._reference_cramers_v(x, y))
    x, y, _ = nb03.UNSEEN_TABLES[-1]
    assert pd.crosstab(np.asarray(x), np.asarray(y)).shape == (2, 3)
    assert not close_enough(cramers_v_over_columns(x, y), nb03._reference_cramers_v(x, y))
    assert close_enough(cramers_v_transposed(x, y), nb03._reference_cramers_v(x, y))


def test_error_rates_reference_is_group_rates(solved_nb03):
    ns = solved_nb03
    expected = group_rates(ns["y_test"], ns["y_pred"], ns["audit_groups"]["age_band"]).by_group
    pd.testing.assert_frame_equal(nb03.q6.reference(ns), expected[["fpr", "fnr"]])
