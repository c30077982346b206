"""Notebook 05's exercises: plausible mistakes get their specific message (the checks every
exercise shares are in test_exercises.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import ks_2samp
from sklearn.metrics import accuracy_score, f1_score

from model_health.drift import MIN_SHARE, categorical_psi, drift_table, population_stability_index
from model_health.exercises import nb05_diagnose_post_launch_drift as nb05
from model_health.simulators import credit_model

from conftest import feedback_failures


def psi_without_floor(reference, current):
    edges = np.unique(np.quantile(reference, np.linspace(0.1, 0.9, 9)))
    shares = [np.bincount(np.searchsorted(edges, x), minlength=len(edges) + 1) / len(x) for x in (reference, current)]
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.sum((shares[1] - shares[0]) * np.log(shares[1] / shares[0])))


def _psi_with_edges_from(sample):
    edges = np.unique(np.quantile(sample, np.linspace(0.1, 0.9, 9)))

    def psi(reference, current):
        shares = [np.maximum(np.bincount(np.searchsorted(edges, x), minlength=len(edges) + 1) / len(x), MIN_SHARE)
                  for x in (reference, current)]
        return float(np.sum((shares[1] - shares[0]) * np.log(shares[1] / shares[0])))
    return psi


def mistakes(ns):
    portfolio, model, features = ns["portfolio"], ns["model"], ns["FEATURES"]
    accuracy = pd.Series({m: accuracy_score(portfolio.month(m)["default"], model.predict(portfolio.month(m)[features]))
                          for m in range(1, 7)})
    f1 = ns["f1_by_month"]
    month_6 = portfolio.month(6)
    swapped_psi = ns["psi_by_feature"].copy()
    swapped_psi["income"] = population_stability_index(month_6["income"], portfolio.training["income"])
    drifted, watch = ns["drifted_features"], ns["watch_features"]
    big_reference, big_current = ns["big_reference"], ns["big_current"]
    refit = credit_model(ns["SEED"]).fit(ns["recent_fit"][features], ns["recent_fit"]["default"])
    refit_on_fit_rows = f1_score(ns["recent_fit"]["default"], refit.predict(ns["recent_fit"][features]))
    policy = ns["monitoring_policy"]
    seasonal, months = ns["seasonal_portfolio"], ns["SECOND_YEAR"]
    static_psi, seasonal_psi = ns["static_max_psi"], ns["seasonal_max_psi"]
    largest_psi = ns["largest_psi"]
    previous_month_psi = pd.Series({k: largest_psi(seasonal.month(k - 1), seasonal.month(k)) for k in months})
    swapped_seasonal_psi = pd.Series({k: largest_psi(seasonal.month(k), seasonal.month(k - 12)) for k in months})
    swapped_static_psi = pd.Series({k: largest_psi(seasonal.month(k), seasonal.training) for k in months})
    features = ns["FEATURES"]
    mean_static_psi = pd.Series({k: drift_table(seasonal.training[features], seasonal.month(k)[features])["psi"].mean()
                                 for k in months})
    static_alerts, seasonal_alerts = ns["static_alert_months"], ns["seasonal_alert_months"]
    return [
        ("q1", dict(f1_by_month=accuracy), "These are accuracies. With few defaults, predicting 'repays'"),
        ("q1", dict(f1_by_month=f1.iloc[:3]), "expected the production months"),
        ("q1", dict(f1_by_month=f1.to_dict()), "should be a pandas Series"),
        ("q2", dict(first_degraded_month=int(f1.idxmin())), "worst month"),
        ("q2", dict(first_degraded_month=1), "first month below the line"),
        ("q3", dict(psi=lambda reference, current: population_stability_index(current, reference)), "swapped"),
        # PSI's formula is symmetric, so binning on the current sample is the same mistake as swapping.
        ("q3", dict(psi=psi_without_floor), "Floor the shares"),
        ("q3", dict(psi=lambda reference, current: _psi_with_edges_from(current)(reference, current)),
         "current sample's deciles"),
        ("q3", dict(psi=lambda reference, current: 1 / 0), "raised ZeroDivisionError"),
        ("q4", dict(psi_by_feature=swapped_psi), "swapped"),
        ("q4", dict(psi_by_feature=ns["psi_by_feature"].drop("region")), "lacks feature"),
        ("q5", dict(drifted_features=sorted(drifted + watch + ["age"])), "at or below"),
        ("q5", dict(drifted_features=drifted[:-1]), "misses 1"),
        ("q5", dict(watch_features=["region"]), "watch_features"),
        ("q6", dict(tiny_shift_pvalue=float(ks_2samp(big_reference, big_current).statistic)), "KS statistic"),
        ("q6", dict(tiny_shift_psi=population_stability_index(big_current, big_reference)), "swapped"),
        ("q6", dict(tiny_shift_band="drift"), "PSI band"),
        ("q7", dict(drift_kind="data"), "concept drift"),
        ("q7", dict(drift_kind="concept"), "data drift too"),
        ("q7", dict(f1_refit_on_recent=refit_on_fit_rows), "rows it was fit on"),
        ("q8", dict(f1_recent_window=ns["f1_everything"]), "RECENT_MONTHS"),
        ("q9", dict(monitoring_policy={**policy, "psi_alert": 0.001}), "False alarm in month 1"),
        ("q9", dict(monitoring_policy={**policy, "psi_alert": 50.0, "f1_drop_alert": 0.9}), "never alerts"),
        ("q9", dict(monitoring_policy={**policy, "psi_alert": 1.5}), "first alert comes in month"),
        ("q9", dict(monitoring_policy={**policy, "label_delay_months": 0}), "month(s) late"),
        ("q9", dict(monitoring_policy={"psi_alert": 0.25}), "missing"),
        ("q9", dict(monitoring_policy={**policy, "min_labels": "many"}), "must be a number"),
        ("q10", dict(seasonal_max_psi=static_psi), "compares with the training window again"),
        ("q10", dict(seasonal_max_psi=previous_month_psi), "month before (k - 1)"),
        ("q10", dict(seasonal_max_psi=swapped_seasonal_psi), "arguments look swapped"),
        ("q10", dict(static_max_psi=swapped_static_psi), "arguments look swapped"),
        ("q10", dict(static_max_psi=seasonal_psi), "seasonal reference's PSI"),
        ("q10", dict(static_max_psi=mean_static_psi), "mean PSI over the features"),
        ("q10", dict(static_max_psi=pd.Series({k: largest_psi(seasonal.training, seasonal.month(k))
                                               for k in range(1, 25)})), "expected the months of SECOND_YEAR"),
        ("q10", dict(static_max_psi=static_psi.to_dict()), "should be a pandas Series"),
        ("q10", dict(static_alert_months={k: True for k in static_alerts}), "got a dict"),
        ("q10", dict(static_alert_months=static_psi > 0.25), "True/False mask"),
        ("q10", dict(static_alert_months=static_psi[static_psi > 0.25]), "the months are its index"),
        ("q10", dict(static_alert_months=[str(k) for k in static_alerts]), "month numbers (integers)"),
        ("q10", dict(static_alert_months=sorted(static_psi[static_psi >= 0.1].index)), "watch band"),
        ("q10", dict(static_alert_months=static_alerts[1:]), "misses 1 above it"),
        ("q10", dict(seasonal_alert_months=static_alerts), "static reference's alerts"),
        ("q10", dict(seasonal_alert_months=seasonal_alerts + [13]), "has 1 at or below it"),
    ]


def test_mistakes_get_specific_feedback(solved_nb05):
    """Each plausible mistake is incorrect, with the message that names its likely cause."""
    failures = feedback_failures(nb05.EXERCISES, solved_nb05, mistakes(solved_nb05))
    assert not failures, "\n".join(failures)


def test_diagnosis_matches_the_simulator(solved_nb05):
    """The solved notebook's drifted features are the simulator's truth."""
    assert solved_nb05["drifted_features"] == sorted(solved_nb05["portfolio"].drifted_features)


def test_seasonal_alerts_match_the_simulator(solved_nb05):
    """In the solved notebook the static reference raises seasonal false alarms; the seasonal one only the downturn's."""
    portfolio = solved_nb05["seasonal_portfolio"]
    static, seasonal = solved_nb05["static_alert_months"], solved_nb05["seasonal_alert_months"]
    assert any(portfolio.downturn_strength(month) == 0 for month in static)
    assert seasonal and all(portfolio.downturn_strength(month) > 0 for month in seasonal)
    assert set(seasonal) <= set(static)


def test_categorical_psi_used_for_categories(solved_nb05):
    """Categorical features are scored with categorical_psi in the reference answer."""
    portfolio = solved_nb05["portfolio"]
    expected = categorical_psi(portfolio.training["region"], portfolio.month(6)["region"])
    assert solved_nb05["psi_by_feature"]["region"] == expected
