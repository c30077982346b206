"""model_health.explain and model_health.whatif: SHAP values that add up, faithful reasons and
narratives, exact counterfactuals, clear errors; the what-if widgets driven through their callbacks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

from model_health.exceptions import ApproximateValueWarning, UndefinedValueWarning
from model_health.explain import change_needed, linear_shap, narrate, top_reasons
from model_health.simulators import HR_FEATURES, simulate_hr_screening
from model_health.whatif import CandidateExplorer, ThresholdExplorer

FEATURES = list(HR_FEATURES)


@pytest.fixture(scope="module")
def screening():
    applicants = simulate_hr_screening(seed=7, n=1500)
    train, test = applicants.iloc[:1000], applicants.iloc[1000:].reset_index(drop=True)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(train[FEATURES], train["past_hired"])
    return model, train, test


def test_linear_shap_adds_up_and_matches_shaps_exact_explainer(screening):
    import shap

    model, train, test = screening
    values = linear_shap(model, train[FEATURES], test[FEATURES].head(50))
    assert np.allclose(values.sum(axis=1) + values.attrs["base_value"], model.decision_function(test[FEATURES].head(50)))
    exact = shap.explainers.Exact(lambda rows: model.decision_function(pd.DataFrame(rows, columns=FEATURES)),
                                  shap.maskers.Independent(train[FEATURES], max_samples=len(train)))
    assert np.allclose(values.head(5).to_numpy(), exact(test[FEATURES].head(5).to_numpy()).values, atol=1e-6)


def test_linear_shap_refuses_what_it_cannot_explain(screening):
    model, train, test = screening
    forest = RandomForestClassifier(n_estimators=5, random_state=0).fit(train[FEATURES], train["past_hired"])
    with pytest.raises(TypeError, match="binary linear classifier"):
        linear_shap(forest, train[FEATURES], test[FEATURES])
    with pytest.raises(ValueError, match=r"lacks the feature column\(s\) \['skills_test'\]"):
        linear_shap(model, train[FEATURES], test[FEATURES].drop(columns="skills_test"))
    with pytest.raises(ValueError, match="has NaN"):
        linear_shap(model, train[FEATURES], test[FEATURES].head(3).assign(skills_test=np.nan))
    encoded = make_pipeline(OneHotEncoder(), LogisticRegression()).fit(train[["named_school"]], train["past_hired"])
    with pytest.raises(ValueError, match="one-to-one"):
        linear_shap(encoded, train[["named_school"]], test[["named_school"]])


def test_top_reasons_ranks_by_size_keeps_direction_and_skips_zeros():
    row = pd.Series({"a": 0.2, "b": -0.9, "c": 0.0, "d": 0.5})
    assert top_reasons(row, k=3) == [("b", "lowered"), ("d", "raised"), ("a", "raised")]
    assert top_reasons({"a": 0.0}) == []
    with pytest.raises(ValueError, match="NaN or non-numeric"):
        top_reasons(pd.Series({"a": np.nan}))
    with pytest.raises(TypeError, match="Series of SHAP values"):
        top_reasons([0.1, 0.2])


@pytest.mark.parametrize("k", [0, -1, 1.5, "2", True, None])
def test_top_reasons_refuses_a_k_that_is_not_a_count(k):
    """k=-1 silently dropped the last reason (a slice [:-1]); a k that is not a whole number >= 1 is refused."""
    with pytest.raises(ValueError, match="`k` should be"):
        top_reasons(pd.Series({"a": 0.2, "b": -0.9, "c": 0.5}), k=k)


def test_narratives_name_the_reasons_in_order_with_their_direction(screening):
    model, train, test = screening
    values = linear_shap(model, train[FEATURES], test[FEATURES].head(30))
    for candidate, row in values.iterrows():
        reasons = top_reasons(row)
        text = narrate(reasons, score=0.4, decision="not shortlisted")
        positions = [text.index(f"{feature} {direction}") for feature, direction in reasons]
        assert positions == sorted(positions) and text.startswith("Not shortlisted (score 0.40)")
    assert "No feature moved" in narrate([], score=0.5, decision="shortlisted")


def test_change_needed_lands_exactly_on_the_threshold(screening):
    model, _, test = screening
    for position in range(10):
        candidate = test.loc[position, FEATURES]
        for feature in ("skills_test", "years_experience"):
            change = change_needed(model, candidate, feature, 0.6)
            moved = candidate.to_frame().T.astype(float)
            moved[feature] += change
            assert model.predict_proba(moved)[0, 1] == pytest.approx(0.6)
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        change_needed(model, test.loc[0, FEATURES], "skills_test", 1.0)
    with pytest.raises(ValueError, match="not a column"):
        change_needed(model, test.loc[0, FEATURES], "height", 0.5)


def test_a_feature_without_effect_has_no_counterfactual():
    """NaN, and a warning saying why (it was a silent NaN)."""
    X = pd.DataFrame({"a": [0.0, 1, 2, 3], "b": [5.0, 5, 5, 5]})
    model = LogisticRegression().fit(X, [0, 0, 1, 1])
    model.coef_[0, 1] = 0.0  # b plays no part in the score
    with pytest.warns(UndefinedValueWarning, match="`b` has no effect on the score"):
        assert np.isnan(change_needed(model, X.iloc[0], "b"))


@pytest.fixture(scope="module")
def incomes():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"income": rng.lognormal(3, 1, 500), "debt": rng.lognormal(0, 1, 500)})
    y = (np.log1p(X["income"]) - np.log1p(X["debt"]) + rng.normal(0, 0.5, 500) > 2.5).astype(int)
    return X, y


@pytest.mark.parametrize("transform", [np.log1p, np.sqrt], ids=["log1p", "sqrt"])
def test_a_non_linear_pipeline_gets_a_searched_change_that_reaches_the_threshold(incomes, transform):
    """Log-odds not linear in the feature: the change lands on the threshold, with a warning that it is approximate
    (the slope from a step of 1 gave a change that left a log1p candidate at 0.03, not 0.5, without a word)."""
    X, y = incomes
    model = make_pipeline(FunctionTransformer(transform, feature_names_out="one-to-one"), StandardScaler(),
                          LogisticRegression()).fit(X, y)
    for position in np.argsort(model.predict_proba(X)[:, 1])[[0, 10, -1]]:
        candidate = X.iloc[[position]]
        with pytest.warns(ApproximateValueWarning, match="not linear in `income`.*numerical search"):
            change = change_needed(model, candidate, "income", 0.5)
        moved = candidate.assign(income=candidate["income"] + change)
        assert model.predict_proba(moved)[0, 1] == pytest.approx(0.5, abs=1e-9)


def test_a_threshold_no_change_can_reach_is_nan_with_the_reason(incomes):
    """Through a bounded transform the score saturates: no change reaches 0.999, so NaN and a warning."""
    X, y = incomes
    model = make_pipeline(FunctionTransformer(lambda values: np.tanh(values / 20), feature_names_out="one-to-one"),
                          LogisticRegression()).fit(X, y)
    with pytest.warns(UndefinedValueWarning, match="no change of `income` found that puts the score at 0.999"):
        assert np.isnan(change_needed(model, X.iloc[[0]], "income", 0.999))


def test_candidate_explorer_follows_the_widgets(screening):
    model, train, test = screening
    explorer = CandidateExplorer(model, test[FEATURES].head(5), train[FEATURES])
    first = explorer.state()
    assert first["score"] == pytest.approx(model.predict_proba(test[FEATURES].head(1))[0, 1])
    needed = change_needed(model, test.loc[0, FEATURES], "skills_test")
    explorer.sliders["skills_test"].value = test.loc[0, "skills_test"] + needed + 0.1  # as dragging the slider does
    after = explorer.state()
    assert after["decision"] != first["decision"] or needed < 0
    assert after["narrative"] in explorer.output.value.replace("&#x27;", "'")
    explorer.picker.value = 3  # as choosing in the dropdown does: the sliders take candidate 3's values
    assert explorer.state()["row"]["skills_test"] == pytest.approx(test.loc[3, "skills_test"])
    assert explorer.state()["score"] == pytest.approx(model.predict_proba(test[FEATURES].iloc[[3]])[0, 1])
    with pytest.raises(KeyError, match="not a feature"):
        explorer.set_feature("height", 1.0)
    with pytest.raises(KeyError, match="not a candidate"):
        explorer.select(999)


def test_threshold_explorer_recomputes_rates_per_group(screening):
    model, _, test = screening
    scores = model.predict_proba(test[FEATURES])[:, 1]
    explorer = ThresholdExplorer(test["qualified"], scores, test["group"])
    before = explorer.rates()
    explorer.sliders["under-represented"].value = 0.2  # as dragging the slider does
    after = explorer.rates()
    minority = (test["group"] == "under-represented").to_numpy()
    assert after.loc["under-represented", "selection_rate"] == pytest.approx(np.mean(scores[minority] >= 0.2))
    assert after.loc["majority", "selection_rate"] == before.loc["majority", "selection_rate"]
    assert "0.2" in explorer.output.value
    with pytest.raises(ValueError, match="same length"):
        ThresholdExplorer(test["qualified"], scores[:10], test["group"])


@pytest.mark.parametrize(("arguments", "message"), [
    (([1, 0], [0.2, 0.8], ["a", None]), "`groups` contains 1 missing group label"),
    (([1, 0], [0.2, 1.8], ["a", "b"]), "`scores` should hold probabilities in \\[0, 1\\]"),
    (([1, 2], [0.2, 0.8], ["a", "b"]), "`y_true` should hold binary labels 0/1"),
    (([1, 0], [0.2, 0.8], ["a", "b"], float("nan")), "`threshold` should be a finite number"),
    (([1, 0], [0.2, 0.8], ["a", "b"], 1.5), "`threshold` is a score between 0 and 1"),
])
def test_threshold_explorer_refuses_what_it_cannot_show(arguments, message):
    """A missing group label became a group called 'nan'; scores, labels and the threshold are checked too."""
    *data, threshold = arguments if len(arguments) == 4 else (*arguments, 0.5)
    with pytest.raises(ValueError, match=message):
        ThresholdExplorer(*data, threshold=threshold)
