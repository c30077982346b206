"""Exercises of notebook 02, Lifecycle map and data-bias hunt (UCI Adult).

Checkers recompute expected values from the learner's data with the reference code
(pandas, scipy, scikit-learn, MLflow's client). Numbers are right to 3 significant digits
(``grading.close_enough``). Where a wrong method can hit the right number on this data, the
check looks at the method: q3's heaping ratio runs on hours it has not seen, q5's schema on
corrupted batches it has not seen, and q8 reads the learner's run back from the MLflow store.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from model_health.data import dataset_digest
from model_health.teaching.grading import (
    Claim,
    Exercise,
    ExerciseSet,
    Incorrect,
    WrittenAnswer,
    as_option,
    cached_by_data_digest,
    call_learner_function,
    close_enough,
    expect_close,
    expect_dataframe,
    expect_number,
    expect_series,
    format_distinct,
    kind_of,
)

NOTEBOOK = "02_lifecycle_data_bias"
OVERFITTING_GAP = 0.10  # train F1 - validation F1 above this: overfitting
UNDERFITTING_SHORTFALL = 0.05  # validation F1 this far below the best model's: underfitting
STAGES = ("data collection", "preprocessing", "training", "evaluation", "deployment", "monitoring")


def _expect_same_groups(name: str, value: pd.Series, expected: pd.Series) -> pd.Series:
    if sorted(value.index) != sorted(expected.index):
        raise Incorrect(f"`{name}` has the groups {sorted(value.index)}; expected one per group: "
                        f"{sorted(expected.index)}.")
    return value.loc[expected.index].astype(float)


def _representation(frame: pd.DataFrame) -> pd.DataFrame:
    sample = frame["race"].astype(str).value_counts(normalize=True)
    population = frame.groupby(frame["race"].astype(str))["fnlwgt"].sum() / frame["fnlwgt"].sum()
    table = pd.DataFrame({"sample_share": sample, "population_share": population}).sort_index()
    table["ratio"] = table["sample_share"] / table["population_share"]
    return table


class Representation(Exercise):
    title = "Representation: the sample vs the population it stands for"
    reads = ("representation", "most_under_represented")
    hints = (
        "sample_share: adult.frame['race'].value_counts(normalize=True). population_share: the sum of fnlwgt per "
        "group over the sum of all fnlwgt (each row stands for fnlwgt people).",
        "ratio = sample_share / population_share; below 1 means the group has fewer rows than its share of the "
        "population. most_under_represented is the group with the lowest ratio.",
    )

    def expect(self, ns, representation, most_under_represented):
        expected = _representation(ns["adult"].frame)
        table = expect_dataframe("representation", representation, ["sample_share", "population_share", "ratio"])
        if "race" in table.columns:
            table = table.set_index("race")
        table = table.set_axis(list(map(str, table.index)))
        for column in ("sample_share", "population_share", "ratio"):
            values = _expect_same_groups(f"representation['{column}']", table[column], expected[column])
            if close_enough(values.to_numpy(), expected[column].to_numpy()):
                continue
            if column == "population_share" and close_enough(values.to_numpy(), expected["sample_share"].to_numpy()):
                raise Incorrect("population_share equals the sample share: weight each row by fnlwgt, the number of "
                                "people it stands for.")
            if column == "ratio" and close_enough(values.to_numpy(), 1 / expected["ratio"].to_numpy()):
                raise Incorrect("ratio is inverted: sample_share / population_share, so below 1 means "
                                "under-represented.")
            raise Incorrect(f"representation['{column}'] does not match: expected "
                            f"{expected[column].round(4).to_dict()}.")
        lowest = expected["ratio"].idxmin()
        if str(most_under_represented) != lowest:
            raise Incorrect(f"{most_under_represented!r} is not the group with the lowest ratio of sample share to "
                            "population share.")
        return (f"{lowest}: {expected.loc[lowest, 'sample_share']:.1%} of the rows but "
                f"{expected.loc[lowest, 'population_share']:.1%} of the population they stand for.")

    def reference(self, ns):
        table = _representation(ns["adult"].frame)
        return table, table["ratio"].idxmin()


def _base_rates(frame: pd.DataFrame) -> pd.Series:
    return frame.groupby(frame["sex"].astype(str))["income_over_50k"].mean()


class BaseRates(Exercise):
    title = "Historical bias: base rates by sex"
    reads = ("base_rate", "base_rate_gap")
    hints = (
        "The base rate of a group is the share of its people with income_over_50k == 1: "
        "adult.frame.groupby('sex')['income_over_50k'].mean().",
        "base_rate_gap = base_rate['Male'] - base_rate['Female'].",
    )

    def expect(self, ns, base_rate, base_rate_gap):
        frame = ns["adult"].frame
        expected = _base_rates(frame)
        rates = _expect_same_groups("base_rate", expect_series("base_rate", base_rate), expected)
        share_of_high = frame[frame["income_over_50k"] == 1]["sex"].astype(str).value_counts(normalize=True)
        if not close_enough(rates.to_numpy(), expected.to_numpy()):
            if close_enough(rates.to_numpy(), share_of_high.loc[expected.index].to_numpy()):
                raise Incorrect("base_rate holds each sex's share among the people earning over $50K, "
                                "P(sex | >50K); the base rate is P(>50K | sex): group by sex, then average the label.")
            raise Incorrect(f"base_rate should be each sex's share earning over $50K: {expected.round(4).to_dict()}.")
        gap = expected["Male"] - expected["Female"]
        expect_close("base_rate_gap", expect_number("base_rate_gap", base_rate_gap), gap, mistakes={
            "the sign is reversed: men's rate minus women's.": -gap,
            "that is a ratio; the gap is a difference of rates.": expected["Male"] / expected["Female"],
        })
        return (f"Men earn over $50K {expected['Male']:.1%} of the time, women {expected['Female']:.1%}: a model "
                "trained on these labels learns that gap.")


def reference_heaping_ratio(hours, value) -> float:
    """Rows at ``value`` over the mean rows at ``value - 1`` and ``value + 1`` (an absent value counts 0)."""
    counts = pd.Series(np.asarray(hours)).value_counts()
    neighbours = (counts.get(value - 1, 0) + counts.get(value + 1, 0)) / 2
    return float(counts.get(value, 0) / neighbours) if neighbours else float("nan")


# Hours the learner's function has not seen: (hours, value, what it tests).
UNSEEN_HOURS = (
    ([50] * 30 + [49] * 3 + [51] * 5 + [40] * 12, 50, "heaping at 50 hours"),
    ([20] * 10 + [19] * 4 + [40] * 8, 20, "where nobody reports 21 hours (an absent value counts as 0 rows)"),
)


class Heaping(Exercise):
    title = "Measurement bias: heaping at 40 hours"
    reads = ("heaping_ratio", "heaping_at_40")
    hints = (
        "counts = pd.Series(hours).value_counts(); the ratio is counts[value] / mean of counts[value - 1] and "
        "counts[value + 1].",
        "counts.get(value + 1, 0) treats an hour nobody reported as 0 rows instead of raising KeyError.",
    )

    def expect(self, ns, heaping_ratio, heaping_at_40):
        for hours, value, case in UNSEEN_HOURS:
            expected = reference_heaping_ratio(hours, value)
            found = expect_number("heaping_ratio(...)", call_learner_function(
                heaping_ratio, pd.Series(hours), value, name="heaping_ratio"))
            if not close_enough(found, expected):
                raise Incorrect(f"On {case}, `heaping_ratio` returns {format_distinct(found, expected)}; rows at the "
                                f"value over the mean rows at its two neighbours is {format_distinct(expected, found)}.")
        expected = reference_heaping_ratio(ns["adult"].frame["hours_per_week"], 40)
        expect_close("heaping_at_40", expect_number("heaping_at_40", heaping_at_40), expected,
                     otherwise="that is not heaping_ratio of adult.frame['hours_per_week'] at 40.")
        return (f"{expected:.0f} times as many people report exactly 40 hours as 39 or 41: answers are rounded to a "
                "habit, so hours_per_week measures what people say, not what they work.")


def _missing_by_sex(frame: pd.DataFrame) -> pd.Series:
    return frame["occupation"].isna().groupby(frame["sex"].astype(str)).mean()


def _missingness_p_values(frame: pd.DataFrame) -> tuple[float, float]:
    from scipy.stats import chi2_contingency

    table = pd.crosstab(frame["occupation"].isna(), frame["sex"].astype(str))
    return float(chi2_contingency(table, correction=False)[1]), float(chi2_contingency(table)[1])


class Missingness(Exercise):
    title = "Is missingness random? `?` by group"
    reads = ("missing_rate_by_sex", "missingness_p_value", "missing_at_random")
    hints = (
        "adult.frame['occupation'].isna().groupby(adult.frame['sex']).mean() is each sex's share of missing "
        "occupations.",
        "scipy.stats.chi2_contingency(pd.crosstab(missing, sex))[1] is the p-value of the test that missingness "
        "and sex are independent; missing_at_random = p >= 0.05.",
    )

    def expect(self, ns, missing_rate_by_sex, missingness_p_value, missing_at_random):
        frame = ns["adult"].frame
        expected = _missing_by_sex(frame)
        rates = _expect_same_groups("missing_rate_by_sex", expect_series("missing_rate_by_sex", missing_rate_by_sex),
                                    expected)
        missing = frame[frame["occupation"].isna()]["sex"].astype(str).value_counts(normalize=True)
        if not close_enough(rates.to_numpy(), expected.to_numpy()):
            if close_enough(rates.to_numpy(), missing.loc[expected.index].to_numpy()):
                raise Incorrect("missing_rate_by_sex holds each sex's share of the missing rows; the rate is the share "
                                "of each sex's rows that are missing.")
            raise Incorrect(f"missing_rate_by_sex should be {expected.round(4).to_dict()}.")
        p_value = expect_number("missingness_p_value", missingness_p_value)
        uncorrected, corrected = _missingness_p_values(frame)
        # Relative to 3 significant digits however small (issue 22: any p below 1e-12 passed, 0.0 and a test of
        # another column included); with or without Yates' correction, which chi2_contingency applies by default.
        if not (close_enough(p_value, uncorrected) or close_enough(p_value, corrected)):
            if p_value == 0:
                raise Incorrect(f"`missingness_p_value` = 0: the p-value is tiny, not zero; keep the value "
                                f"chi2_contingency returns ({corrected:.3g}), not a rounded one.")
            raise Incorrect(f"`missingness_p_value` = {format_distinct(p_value, corrected)}: the chi-square test of "
                            f"missing occupation vs sex gives {format_distinct(corrected, p_value)}.")
        if not isinstance(missing_at_random, (bool, np.bool_)):
            raise Incorrect(f"`missing_at_random` should be True or False, got {kind_of(missing_at_random)}.")
        if bool(missing_at_random) != (uncorrected >= 0.05):
            raise Incorrect(f"With p = {uncorrected:.3g}, independence is {'not ' if uncorrected < 0.05 else ''}"
                            "rejected at 0.05, so missing_at_random should be "
                            f"{uncorrected >= 0.05}.")
        return (f"Occupation is missing for {expected['Female']:.1%} of women and {expected['Male']:.1%} of men: "
                "dropping those rows removes more women.")


def _corrupted_batches(ns) -> dict[str, pd.DataFrame]:
    """Batches the learner's gate has not seen, each with one kind of corruption."""
    batch = ns["adult"].frame.sample(200, random_state=7).reset_index(drop=True)
    with_text_age = batch.astype({"age": "object"})
    with_text_age.loc[0, "age"] = "thirty"
    sex = batch["sex"].cat.add_categories(["F"])
    sex[:3] = "F"
    return {
        "a negative age": batch.assign(age=batch["age"].where(batch.index > 2, -1)),
        "an age of 150": batch.assign(age=batch["age"].where(batch.index > 0, 150)),
        "hours_per_week of 120": batch.assign(hours_per_week=batch["hours_per_week"].where(batch.index > 0, 120)),
        "a sex of 'F'": batch.assign(sex=sex),
        "an income label of 2": batch.assign(income_over_50k=batch["income_over_50k"].where(batch.index > 0, 2)),
        "no education_num column": batch.drop(columns="education_num"),
        "a negative capital_gain": batch.assign(capital_gain=batch["capital_gain"].where(batch.index > 0, -500)),
        "a negative capital_loss": batch.assign(capital_loss=batch["capital_loss"].where(batch.index > 0, -500)),
        # Both ends of each range the hint names: a one-sided check lets the other end through.
        "an education_num of 0": batch.assign(education_num=batch["education_num"].where(batch.index > 0, 0)),
        "an education_num of 17": batch.assign(education_num=batch["education_num"].where(batch.index > 0, 17)),
        "hours_per_week of 0": batch.assign(hours_per_week=batch["hours_per_week"].where(batch.index > 0, 0)),
        "an age written as text": with_text_age,
    }


def _passes(schema, frame: pd.DataFrame) -> tuple[bool, str]:
    try:
        schema.validate(frame, lazy=True)
    except Exception as error:  # pandera's SchemaError(s), or the learner's own check failing
        return False, f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
    return True, ""


class QualityGate(Exercise):
    title = "A data-quality gate with pandera"
    reads = ("adult_schema",)
    hints = (
        "pa.DataFrameSchema({'age': pa.Column(int, pa.Check.in_range(17, 90)), ...}, strict=False): one Column per "
        "column you want to guard, with its dtype and checks.",
        "Guard at least: age (17-90), hours_per_week (1-99), capital_gain and capital_loss (>= 0), education_num "
        "(1-16), sex (isin the two values), income_over_50k (isin [0, 1]); columns with `?` need nullable=True.",
    )

    def expect(self, ns, adult_schema):
        if not hasattr(adult_schema, "validate"):
            raise Incorrect(f"`adult_schema` should be a pandera DataFrameSchema, got {kind_of(adult_schema)}.")
        frame = ns["adult"].frame
        for name, clean in (("the raw Adult data", frame), ("a random clean batch", frame.sample(500, random_state=3))):
            ok, why = _passes(adult_schema, clean)
            if not ok:
                raise Incorrect(f"The gate rejects {name}, which is valid ({why}). A gate that blocks good data gets "
                                "switched off: allow missing values where `?` occurs (nullable=True).")
        slipped = [name for name, batch in _corrupted_batches(ns).items() if _passes(adult_schema, batch)[0]]
        if slipped:
            raise Incorrect(f"The gate let through batches with {', '.join(slipped)}. Add the Column or Check that "
                            "would catch each.")
        return f"The gate passes clean data and stops all {len(_corrupted_batches(ns))} kinds of corrupted batch."

    def reference(self, ns):
        return reference_adult_schema()


def reference_adult_schema():
    """A gate for raw Adult rows: value ranges, known labels, missing values only where `?` occurs."""
    import pandera.pandas as pa

    return pa.DataFrameSchema({
        "age": pa.Column(int, pa.Check.in_range(17, 90)),
        "education_num": pa.Column(int, pa.Check.in_range(1, 16)),
        "capital_gain": pa.Column(int, pa.Check.ge(0)),
        "capital_loss": pa.Column(int, pa.Check.ge(0)),
        "hours_per_week": pa.Column(int, pa.Check.in_range(1, 99)),
        "sex": pa.Column(checks=pa.Check.isin(["Female", "Male"])),
        "workclass": pa.Column(nullable=True),
        "occupation": pa.Column(nullable=True),
        "native_country": pa.Column(nullable=True),
        "income_over_50k": pa.Column(int, pa.Check.isin([0, 1])),
    })


def _fit_scores(ns) -> pd.DataFrame:
    return _cross_validated_scores(ns["CANDIDATES"], ns["X_train"], ns["y_train"], ns["FOLDS"]).copy()


@cached_by_data_digest  # 20 fits: the slowest check of the notebook, asked again on every grade
def _cross_validated_scores(candidates, X_train, y_train, folds) -> pd.DataFrame:
    from sklearn.model_selection import cross_validate

    rows = {}
    for name, model in candidates.items():
        scores = cross_validate(model, X_train, y_train, cv=folds, scoring=["f1", "accuracy"],
                                return_train_score=True)
        rows[name] = {"train_f1": scores["train_f1"].mean(), "validation_f1": scores["test_f1"].mean(),
                      "train_accuracy": scores["train_accuracy"].mean(),
                      "validation_accuracy": scores["test_accuracy"].mean()}
    return pd.DataFrame(rows).T


def reference_diagnosis(scores: pd.DataFrame) -> dict[str, str]:
    """Each model's fit by the notebook's rule, from train and validation F1."""
    best = scores["validation_f1"].max()
    verdicts = {}
    for name, row in scores.iterrows():
        if row["train_f1"] - row["validation_f1"] > OVERFITTING_GAP:
            verdicts[name] = "overfitting"
        elif row["validation_f1"] < best - UNDERFITTING_SHORTFALL:
            verdicts[name] = "underfitting"
        else:
            verdicts[name] = "good fit"
    return verdicts


class FitDiagnosis(Exercise):
    title = "Overfitting or underfitting? Train vs validation"
    reads = ("fit_scores", "diagnosis")
    hints = (
        "cross_validate(model, X_train, y_train, cv=FOLDS, scoring='f1', return_train_score=True): the means of "
        "'train_score' and 'test_score' are train_f1 and validation_f1.",
        f"overfitting: train_f1 - validation_f1 > {OVERFITTING_GAP}; underfitting: validation_f1 more than "
        f"{UNDERFITTING_SHORTFALL} below the best model's; otherwise a good fit.",
    )

    def expect(self, ns, fit_scores, diagnosis):
        expected = _fit_scores(ns)
        table = expect_dataframe("fit_scores", fit_scores, ["train_f1", "validation_f1"])
        table = table.set_axis(list(map(str, table.index)))
        for column in ("train_f1", "validation_f1"):
            values = _expect_same_groups(f"fit_scores['{column}']", table[column], expected[column])
            if close_enough(values.to_numpy(), expected[column].to_numpy()):
                continue
            accuracy = expected[column.replace("f1", "accuracy")].to_numpy()
            if close_enough(values.to_numpy(), accuracy):
                raise Incorrect(f"fit_scores['{column}'] holds accuracy. On this data a model that never predicts "
                                "'over $50K' is 76% accurate: score with F1 (scoring='f1').")
            raise Incorrect(f"fit_scores['{column}'] does not match the {ns['FOLDS'].get_n_splits()}-fold "
                            f"cross-validated F1 on FOLDS: expected {expected[column].round(3).to_dict()}.")
        verdicts = reference_diagnosis(expected)
        if isinstance(diagnosis, pd.Series):
            diagnosis = diagnosis.to_dict()
        if not isinstance(diagnosis, Mapping) or sorted(map(str, diagnosis)) != sorted(verdicts):
            raise Incorrect(f"`diagnosis` should be a dict with one verdict per model: {sorted(verdicts)}.")
        wrong = {name: diagnosis[name] for name in verdicts if str(diagnosis[name]).strip().lower() != verdicts[name]}
        if wrong:
            name = next(iter(wrong))
            row = expected.loc[name]
            raise Incorrect(f"{name}: train F1 {row['train_f1']:.3f}, validation F1 {row['validation_f1']:.3f} (best "
                            f"validation {expected['validation_f1'].max():.3f}) is {verdicts[name]!r} by the rule, not "
                            f"{wrong[name]!r}.")
        return "; ".join(f"{name}: {verdict}" for name, verdict in verdicts.items()) + "."

    def reference(self, ns):
        scores = _fit_scores(ns)
        return scores[["train_f1", "validation_f1"]], reference_diagnosis(scores)


FAILURE_MODES = ("data drift", "concept drift", "overfitting", "underfitting")


def _shift_figures(ns) -> dict[str, float]:
    from sklearn.metrics import f1_score

    from model_health.drift import drift_table

    model, before, after = ns["model"], ns["before"], ns["after"]
    numeric = before.select_dtypes("number").columns.drop("income_over_50k")
    psi = drift_table(before[numeric], after[numeric])["psi"]
    return {"f1_before": f1_score(before["income_over_50k"], model.predict(before[ns["FEATURES"]])),
            "f1_after": f1_score(after["income_over_50k"], model.predict(after[ns["FEATURES"]])),
            "max_psi": float(psi.max())}


class ConceptDrift(Exercise):
    title = "A deployment failure: which kind?"
    reads = ("f1_before", "f1_after", "max_input_psi", "failure_mode")
    hints = (
        "f1_score(before['income_over_50k'], model.predict(before[FEATURES])), and the same for after.",
        "drift_table(before[numeric], after[numeric])['psi'].max() over the numeric feature columns.",
        "The inputs barely move (PSI < 0.1) while F1 falls: the relation between inputs and label changed.",
    )

    def expect(self, ns, f1_before, f1_after, max_input_psi, failure_mode):
        figures = _shift_figures(ns)
        expect_close("f1_before", expect_number("f1_before", f1_before), figures["f1_before"], mistakes={
            "that is after the shift; f1_before is on `before`.": figures["f1_after"]})
        expect_close("f1_after", expect_number("f1_after", f1_after), figures["f1_after"], mistakes={
            "that is before the shift; f1_after is on `after`.": figures["f1_before"]})
        expect_close("max_input_psi", expect_number("max_input_psi", max_input_psi), figures["max_psi"],
                     otherwise="that is not the largest PSI over the numeric columns, before vs after.")
        failure_mode = as_option(failure_mode, FAILURE_MODES)
        if failure_mode not in FAILURE_MODES:
            raise Incorrect(f"`failure_mode` should be one of {list(FAILURE_MODES)}, got {failure_mode!r}.")
        if failure_mode != "concept drift":
            raise Incorrect(f"Inputs moved little (max PSI {figures['max_psi']:.3f}) while F1 fell from "
                            f"{figures['f1_before']:.3f} to {figures['f1_after']:.3f}: that is not {failure_mode!r}.")
        return ("Concept drift: same kind of people, different outcomes. An input-drift monitor alone would stay "
                "silent; only labels reveal it.")

    def reference(self, ns):
        figures = _shift_figures(ns)
        return figures["f1_before"], figures["f1_after"], figures["max_psi"], "concept drift"


def _logged_run(ns):
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=ns["TRACKING_URI"])
    experiment = client.get_experiment_by_name(ns["EXPERIMENT"])
    if experiment is None:
        raise Incorrect(f"No experiment {ns['EXPERIMENT']!r} in the store: call mlflow.set_experiment(EXPERIMENT) "
                        "before starting the run.")
    runs = client.search_runs([experiment.experiment_id], order_by=["attributes.start_time DESC"], max_results=1)
    if not runs:
        raise Incorrect("The experiment holds no run: log one with `with mlflow.start_run():`.")
    return client, runs[0]


class Lineage(Exercise):
    title = "Lineage with MLflow"
    reads = ("lineage",)
    hints = (
        "Inside `with mlflow.start_run():` call mlflow.log_params(PREPROCESSING), mlflow.log_metric('f1', ...), "
        "mlflow.set_tag('dataset_digest', dataset_digest(training_frame)) and mlflow.log_artifact(datasheet path).",
        "Then read it back: client.search_runs(...)[0] has .data.params, .data.metrics, .data.tags; "
        "client.list_artifacts(run_id) lists the files.",
    )

    def expect(self, ns, lineage):
        from sklearn.metrics import f1_score

        client, run = _logged_run(ns)
        problems = []
        digest = dataset_digest(ns["training_frame"])
        if run.data.tags.get("dataset_digest") != digest:
            problems.append(f"its tag 'dataset_digest' is {run.data.tags.get('dataset_digest')!r}, not "
                            "dataset_digest(training_frame)")
        missing = [name for name in ns["PREPROCESSING"] if name not in run.data.params]
        if missing:
            problems.append(f"the parameters {missing} are not logged")
        f1 = f1_score(ns["y_test"], ns["model"].predict(ns["X_test"]))
        if "f1" not in run.data.metrics or not close_enough(run.data.metrics["f1"], f1):
            problems.append(f"the metric 'f1' should be the test F1, {f1:.4f}")
        artifacts = [item.path for item in client.list_artifacts(run.info.run_id)]
        if "DATASHEET.md" not in artifacts:
            problems.append(f"the datasheet is not among its artifacts ({artifacts})")
        if problems:
            raise Incorrect("The latest run in the store: " + "; ".join(problems) + ".")
        if not isinstance(lineage, Mapping) or set(lineage) != {"dataset_digest", "f1", "artifacts"}:
            raise Incorrect("`lineage` should be a dict with the keys 'dataset_digest', 'f1' and 'artifacts', read "
                            f"from the store, got {kind_of(lineage)}.")
        if lineage["dataset_digest"] != digest:
            raise Incorrect("lineage['dataset_digest'] is not the digest stored with the run.")
        expect_close("lineage['f1']", expect_number("lineage['f1']", lineage["f1"]), run.data.metrics["f1"])
        if sorted(map(str, lineage["artifacts"])) != sorted(artifacts):
            raise Incorrect(f"lineage['artifacts'] should list the run's artifacts: {sorted(artifacts)}.")
        return f"The run records its data ({digest[:12]}…), parameters, F1 and datasheet: an auditor can trace it."


# Each risk of the notebook and the lifecycle stage(s) where it enters (some have two defensible answers).
RISK_STAGES = {
    "representation bias": {"data collection"},
    "historical bias in the labels": {"data collection"},
    "heaping in hours_per_week": {"data collection"},
    "missing values not at random": {"data collection", "preprocessing"},
    "overfitting": {"training"},
    "accuracy-only evaluation": {"evaluation"},
    "no record of which data trained the model": {"training", "deployment"},
    "concept drift": {"monitoring"},
}


class LifecycleMap(Exercise):
    title = "Map each risk to its lifecycle stage"
    reads = ("risk_stage",)
    carries_own_answer = "some risks have two defensible stages; the table below shows the learner's mapping"
    hints = (
        f"Each value is one of {list(STAGES)}: the stage where the risk enters, or where it must be caught.",
        "Biases in who was surveyed and what they answered enter at data collection; a metric choice at "
        "evaluation; drift after release at monitoring.",
    )

    def expect(self, ns, risk_stage):
        if isinstance(risk_stage, pd.Series):
            risk_stage = risk_stage.to_dict()
        if not isinstance(risk_stage, Mapping):
            raise Incorrect(f"`risk_stage` should be a dict risk -> stage, got {kind_of(risk_stage)}.")
        missing = sorted(set(RISK_STAGES) - set(risk_stage))
        extra = sorted(map(repr, set(risk_stage) - set(RISK_STAGES)))
        if missing or extra:
            raise Incorrect("`risk_stage` should have one entry per risk in RISKS: "
                            + "; ".join(([f"missing {missing}"] if missing else [])
                                        + ([f"not in RISKS: {', '.join(extra)}"] if extra else [])) + ".")
        stages = _as_stages(risk_stage)
        unknown = [f"risk_stage[{risk!r}] = {risk_stage[risk]!r}" for risk, stage in stages.items()
                   if stage not in STAGES]
        if unknown:
            raise Incorrect(f"{'; '.join(unknown)} {'is not a stage' if len(unknown) == 1 else 'are not stages'}: "
                            f"use one of {list(STAGES)}.")
        wrong = [risk for risk, stage in stages.items() if stage not in RISK_STAGES[risk]]
        if wrong:
            risk = wrong[0]
            raise Incorrect(f"{risk!r} does not enter at {stages[risk]!r}"
                            + (f" (and {len(wrong) - 1} more risk(s) are misplaced)" if len(wrong) > 1 else "") + ".")
        return "Every risk sits at the stage where it enters; the diagram below links them."

    def carry_forward(self):
        """The learner's mapping (more than one is right), its stages spelt as in STAGES: the diagram below looks
        each one up there."""
        answer = super().carry_forward()
        stages = _as_stages(answer)
        return answer if isinstance(answer, dict) and stages == answer else stages

    def reference(self, ns):
        return {risk: sorted(stages)[0] for risk, stages in RISK_STAGES.items()}


def _as_stages(risk_stage: Mapping) -> dict:
    """Each risk's stage as STAGES spells it, whatever its case and spaces ('Data collection', ' TRAINING')."""
    return {risk: as_option(stage, STAGES) for risk, stage in risk_stage.items()}


LABEL_READINGS = (
    "the label is each person's own income, as its name says",
    "for married people the label may record household income: check the documentation before trusting it",
    "the label is random noise",
)


def _label_rates(frame: pd.DataFrame) -> dict[str, float]:
    women = frame[frame["sex"].astype(str) == "Female"]
    is_wife = women["relationship"].astype(str) == "Wife"
    return {"wives": float(women.loc[is_wife, "income_over_50k"].mean()),
            "other women": float(women.loc[~is_wife, "income_over_50k"].mean()),
            "husbands": float(frame.loc[frame["relationship"].astype(str) == "Husband", "income_over_50k"].mean())}


class LabelMeaning(Exercise):
    title = "Labeling: what does the label measure?"
    reads = ("label_rates", "label_reading")
    hints = (
        "Among women, split on relationship == 'Wife'; for husbands, relationship == 'Husband'; the rate is the mean "
        "of income_over_50k.",
        "If wives earn over $50K about as often as husbands, but other women rarely do, what might the label record?",
    )

    def expect(self, ns, label_rates, label_reading):
        expected = _label_rates(ns["adult"].frame)
        if isinstance(label_rates, pd.Series):
            label_rates = label_rates.to_dict()
        if not isinstance(label_rates, Mapping) or set(label_rates) != set(expected):
            raise Incorrect(f"`label_rates` should be a dict with the keys {sorted(expected)}, got {kind_of(label_rates)}.")
        for key, value in expected.items():
            expect_close(f"label_rates[{key!r}]", expect_number(f"label_rates[{key!r}]", label_rates[key]), value)
        label_reading = as_option(label_reading, LABEL_READINGS)
        if label_reading not in LABEL_READINGS:
            raise Incorrect(f"`label_reading` should be one of LABEL_READINGS, got {label_reading!r}.")
        if label_reading != LABEL_READINGS[1]:
            raise Incorrect(f"Wives earn over $50K {expected['wives']:.1%} of the time, about as often as husbands "
                            f"({expected['husbands']:.1%}), while other women do {expected['other women']:.1%} of the "
                            "time. That does not prove what the label records, but it does not read like personal "
                            "income, and it is certainly not noise.")
        return (f"Wives {expected['wives']:.1%}, husbands {expected['husbands']:.1%}, other women "
                f"{expected['other women']:.1%}: a labeling question only the data's documentation can settle; until "
                "then, say so in the datasheet.")


class CausalClaim(WrittenAnswer):
    title = "A bias claim that confuses correlation with causation"
    reads = ("causal_claim_review",)
    min_words = 50
    rubric = (
        "Says the base-rate gap is an association in this sample, not evidence that sex causes income.",
        "Names confounders or mediators in the data (occupation, hours, marital status, education).",
        "Says what could test a causal claim (controlled comparison, stratification, a causal model), and its limits.",
        "Says what the gap means for the model regardless (it learns it; measure outcomes by group).",
    )


# --- the story the prose tells (issue 22 §6: it must hold on every seed) -------------------------------------

def _never_predicting_over_50k_is_76_percent_accurate(ns) -> bool:
    return round(1 - float(np.mean(ns["y_train"])), 2) == 0.76


def _inputs_keep_their_distribution_outcomes_do_not(ns) -> bool:
    """The recession resamples the applicants and turns some high earners into low ones: no input drifts (PSI below
    0.1, the stable band), and fewer people earn over $50K."""
    before, after = ns["before"]["income_over_50k"].mean(), ns["after"]["income_over_50k"].mean()
    return bool(ns["max_input_psi"] < 0.1 and after < before)


# Paths into the working copy whose files answers write to: the batch grader judges these files as the submission
# left them, and every other given file as the published solutions left it. q8 logs a run to this MLflow store.
WRITTEN_BY_ANSWERS = ("TRACKING_URI",)

EXERCISES = ExerciseSet(NOTEBOOK, [
    Representation(), BaseRates(), Heaping(), Missingness(), QualityGate(), FitDiagnosis(), ConceptDrift(),
    Lineage(), LifecycleMap(), LabelMeaning(), CausalClaim(),
], claims=[
    Claim('on this data a model that never predicts "over $50K" is 76% accurate',
          _never_predicting_over_50k_is_76_percent_accurate),
    Claim("Inputs keep their distribution; outcomes do not.", _inputs_keep_their_distribution_outcomes_do_not),
])
q1, q2, q3, q4, q5, q6, q7, q8, q9, q10, q11 = EXERCISES
score_summary = EXERCISES.score_summary

__all__ = ["LABEL_READINGS", "q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8", "q9", "q10", "q11", "score_summary"]
