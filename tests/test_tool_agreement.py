"""The named tools and the workbook's own helpers agree where they compute the same thing.

Where they do not, the test says why in words a learner can use: which binning, which
test, which reference. Drift: Evidently vs ``model_health.drift`` on the credit-portfolio
simulator's month 6 against its training window. Fairness: Aequitas vs
``model_health.fairness`` (fairlearn, AIF360) on German Credit.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import chisquare

from model_health.drift import PSI_ALERT, PSI_WATCH, drift_table
from model_health.simulators import simulate_credit_portfolio

CATEGORICAL = ["region", "loan_purpose"]


@pytest.fixture(scope="module")
def month_6():
    """The training window (reference), month 6 (current), and the workbook's drift table."""
    portfolio = simulate_credit_portfolio()
    features = list(portfolio.features)
    reference, current = portfolio.training[features], portfolio.month(6)[features]
    return reference, current, drift_table(reference, current)


@pytest.fixture(scope="module")
def evidently_values(month_6):
    """Evidently's per-column drift value, by (column, method): a p-value for ks/chisquare, else PSI.

    The column types are declared: left to infer them, Evidently reads ``late_payments``
    (whole numbers, few distinct values) as categorical and runs a chi-square test on it,
    where the workbook, going by the dtype, runs KS.
    """
    from evidently import DataDefinition, Dataset, Report
    from evidently.metrics import ValueDrift

    reference, current, _ = month_6
    numeric = [column for column in reference.columns if column not in CATEGORICAL]
    definition = DataDefinition(numerical_columns=numeric, categorical_columns=CATEGORICAL)
    methods = [(column, "ks") for column in numeric] + [(column, "chisquare") for column in CATEGORICAL]
    methods += [(column, "psi") for column in reference.columns]
    snapshot = Report([ValueDrift(column=column, method=method) for column, method in methods]).run(
        current_data=Dataset.from_pandas(current, data_definition=definition),
        reference_data=Dataset.from_pandas(reference, data_definition=definition))
    values = {(result["config"]["column"], result["config"]["method"]): float(result["value"])
              for result in snapshot.dict()["metrics"]}
    assert set(values) == set(methods)
    return values


def evidently_bins(reference: np.ndarray, current: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Shares per bin as Evidently 0.7's PSI bins them (``get_binned_data``), for a numeric column.

    More than 20 distinct reference values: equal-width bins over both samples together,
    as many as Sturges' rule gives (about 16 here); otherwise one bin per value. An empty
    bin gets 1e-4, or a millionth of the smallest non-empty share when that is <= 1e-4.
    """
    if np.unique(reference).size > 20:
        edges = np.histogram_bin_edges(np.concatenate([reference, current]), bins="sturges")
        shares = [np.histogram(sample, edges)[0] / sample.size for sample in (reference, current)]
    else:
        values = np.union1d(reference, current)
        shares = [np.array([(sample == value).mean() for value in values]) for sample in (reference, current)]
    filled = []
    for share in shares:
        smallest = share[share > 0].min()
        filled.append(np.where(share == 0, smallest / 1e6 if smallest <= 1e-4 else 1e-4, share))
    return filled[0], filled[1]


class TestEvidentlyDrift:
    def test_ks_p_values_agree(self, month_6, evidently_values):
        """KS: the same p-value, to 1e-9 relative.

        Both call scipy's two-sample KS test and both get its asymptotic p-value: the
        workbook asks for it, Evidently leaves scipy's ``method="auto"``, which picks the
        asymptotic one once a sample has more than 10,000 rows (the training window has
        20,000). On two small samples scipy would compute the exact p-value for Evidently
        and they would differ a little.
        """
        _, _, table = month_6
        for column in table.index[table["kind"] == "numeric"]:
            assert evidently_values[column, "ks"] == pytest.approx(table.loc[column, "p_value"], rel=1e-9, abs=0), column

    def test_categorical_psi_agrees(self, month_6, evidently_values):
        """PSI of a categorical column: the same value (one bin per category in both), to 1e-9 relative."""
        _, _, table = month_6
        for column in CATEGORICAL:
            assert evidently_values[column, "psi"] == pytest.approx(table.loc[column, "psi"], rel=1e-9), column

    def test_numeric_psi_differs_only_by_binning(self, month_6, evidently_values):
        """PSI of a numeric column: another binning, the same formula and the same verdict.

        The workbook bins at the reference's deciles (10 bins of equal reference share) and
        floors each share at 1e-4. Evidently uses equal-width bins over both samples (about
        16; one per value for ``late_payments``) and fills empty bins with a tiny share. So
        the numbers differ (workbook vs Evidently: income 0.294 vs 0.287, late payments 0.85 vs 0.93,
        loan amount 0.001 vs 0.006). The formula is the same: fed Evidently's bins and fill,
        it gives Evidently's number. And both put the same columns above 0.25 (drift) and
        the others below 0.1 (stable).
        """
        reference, current, table = month_6
        for column in table.index[table["kind"] == "numeric"]:
            reference_shares, current_shares = evidently_bins(reference[column].to_numpy(float),
                                                              current[column].to_numpy(float))
            recomputed = np.sum((current_shares - reference_shares) * np.log(current_shares / reference_shares))
            assert evidently_values[column, "psi"] == pytest.approx(recomputed, rel=1e-9), column
        evidently_psi = pd.Series({column: evidently_values[column, "psi"] for column in table.index})
        assert set(evidently_psi.index[evidently_psi > PSI_ALERT]) == set(table.index[table["psi"] > PSI_ALERT])
        assert set(evidently_psi.index[evidently_psi < PSI_WATCH]) == set(table.index[table["psi"] < PSI_WATCH])

    def test_chi_square_is_another_test(self, month_6, evidently_values):
        """Chi-square: Evidently tests goodness of fit, the workbook homogeneity; Evidently's p is smaller.

        Evidently compares month 6's counts with the counts the reference's shares predict
        (``scipy.stats.chisquare``), as if those shares were exact. The workbook tests the
        2 x k table of both samples' counts (``chi2_contingency``), which allows for the
        reference being a sample too. Its statistic is smaller, by about n_reference /
        (n_reference + n_current) = 20,000 / 26,000, so its p-values are larger: on this
        month Evidently flags ``loan_purpose`` at 0.05 (p = 0.036) and the workbook does not
        (p = 0.091). Neither column moved in the simulation: that flag is a false alarm.
        """
        reference, current, table = month_6
        share = len(reference) / (len(reference) + len(current))
        for column in CATEGORICAL:
            counts = pd.concat([reference[column].value_counts(), current[column].value_counts()], axis=1).fillna(0)
            observed, expected = counts.iloc[:, 1].to_numpy(), counts.iloc[:, 0].to_numpy() * len(current) / len(reference)
            goodness_of_fit = chisquare(observed, expected)
            assert evidently_values[column, "chisquare"] == pytest.approx(goodness_of_fit.pvalue, rel=1e-9), column
            assert table.loc[column, "statistic"] / goodness_of_fit.statistic == pytest.approx(share, rel=0.02)
            assert table.loc[column, "p_value"] > evidently_values[column, "chisquare"]


@pytest.fixture(scope="module")
def german_predictions():
    """German Credit with a simple model's 0/1 predictions (1 = good credit: approve), and sex as text."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from model_health.data import load_german_credit

    german = load_german_credit()
    features = pd.get_dummies(german.X.drop(columns=[*german.sensitive_features, "personal_status_sex"]), dtype=float)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(features, german.y)
    return german.y.to_numpy(), model.predict(features), german.frame["sex"].astype(str).to_numpy()


@pytest.fixture(scope="module")
def aequitas_table(german_predictions):
    """Aequitas's group table with disparities against men (the largest group, and AIF360's privileged one)."""
    from aequitas.bias import Bias
    from aequitas.group import Group

    y_true, y_pred, sex = german_predictions
    audit = pd.DataFrame({"score": y_pred, "label_value": y_true, "sex": sex})
    table, _ = Group().get_crosstabs(audit)
    table = Bias().get_disparity_predefined_groups(table, original_df=audit, ref_groups_dict={"sex": "male"})
    return table.set_index("attribute_value")


class TestAequitasFairness:
    """Aequitas names: ``pprev`` (predicted prevalence) is the selection rate, the share of a
    group predicted positive; ``ppr`` is something else, the group's share of all positive
    predictions. Here positive means "good credit", the favourable outcome, so FNR is the
    share of good risks refused and FPR the share of bad risks approved. A disparity is the
    group's value divided by the reference group's (a ratio, 1 = parity), where AIF360's
    differences subtract (unprivileged minus privileged, 0 = parity).
    """

    def test_group_rates_agree_with_fairlearn(self, german_predictions, aequitas_table):
        """Selection rate (pprev), TPR, FNR and FPR per group: the same numbers as group_rates, to 1e-12."""
        from model_health.fairness import group_rates

        by_group = group_rates(*german_predictions).by_group
        for ours, theirs in (("selection_rate", "pprev"), ("tpr", "tpr"), ("fnr", "fnr"), ("fpr", "fpr")):
            assert aequitas_table.loc[by_group.index, theirs].to_numpy(float) == pytest.approx(
                by_group[ours].to_numpy(float), rel=1e-12), ours

    def test_disparities_agree_with_aif360(self, german_predictions, aequitas_table):
        """Women against men: Aequitas's pprev disparity is AIF360's disparate impact (a ratio);
        AIF360's equal opportunity difference is TPR(women) - TPR(men), which is
        FNR(men) - FNR(women): the FNR gap with the opposite sign, not a ratio."""
        from model_health.fairness import aif360_group_metrics

        y_true, y_pred, sex = german_predictions
        aif360 = aif360_group_metrics(y_true, y_pred, sex, privileged="male")
        women, men = aequitas_table.loc["female"], aequitas_table.loc["male"]
        assert women["pprev_disparity"] == pytest.approx(aif360["disparate_impact"], rel=1e-12)
        assert women["pprev"] - men["pprev"] == pytest.approx(aif360["statistical_parity_difference"], rel=1e-12)
        assert men["fnr"] - women["fnr"] == pytest.approx(aif360["equal_opportunity_difference"], rel=1e-12)
        assert women["fnr_disparity"] == pytest.approx(women["fnr"] / men["fnr"], rel=1e-12)
        assert 0.5 * ((women["fpr"] - men["fpr"]) + (women["tpr"] - men["tpr"])) == pytest.approx(
            aif360["average_odds_difference"], rel=1e-12)

    def test_ppr_is_not_the_selection_rate(self, aequitas_table):
        """``ppr`` adds up to 1 over the groups (a share of all approvals), so its disparity mostly
        reflects group size: comparing it with the four-fifths rule would be a mistake."""
        assert aequitas_table["ppr"].sum() == pytest.approx(1.0)
        assert aequitas_table.loc["female", "ppr_disparity"] < 0.5 < aequitas_table.loc["female", "pprev_disparity"]
