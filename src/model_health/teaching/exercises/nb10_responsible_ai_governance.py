"""Exercises of notebook 10, Responsible-AI governance framework (the models of 01, 03, 06 and 09).

Checkers recompute expected values with the reference code and ``model_health.services.governance``.
Numbers are right to 3 significant digits. Where a wrong method can pass on this data, the
learner's answer runs on cases it has not seen: q3's rules are tried on gaps of both signs
and values on each side of every threshold; q4's evidence on groups where a threshold tie,
pooled unprivileged groups and a group selecting nobody matter; q5's run record on a
candidate with a mitigation and no datasheet. Gate outcomes (q6, q7) are computed from the
candidates' reference evidence, so they stay right after the fix in q8 adds versions.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from model_health.teaching.grading import (
    Exercise,
    ExerciseSet,
    Incorrect,
    WrittenAnswer,
    call_learner_function,
    close_enough,
    expect_names,
    expect_picks,
    kind_of,
)

NOTEBOOK = "10_responsible_ai_governance"
TIERS = ("high", "limited", "minimal")
EVIDENCE_METRICS = ("roc_auc", "equal_opportunity_difference", "disparate_impact", "demographic_parity_difference")

# --- q1: tiers ---------------------------------------------------------------------------------

# The answer key stays private: a learner is handed the use cases only (issue 22: `dict(USE_CASES)` passed).
_TIER_OF = {
    "ranking job applicants for interviews": "high",
    "setting credit limits for card holders": "high",
    "a chatbot answering employees' HR-policy questions": "limited",
    "an income estimate shown to a marketing analyst": "limited",
    "forecasting warehouse inventory": "minimal",
    "filtering spam from internal mail": "minimal",
}
USE_CASES = tuple(_TIER_OF)
WHY_TIER = {
    "high": "it decides who gets work or credit: EU AI Act Annex III lists employment and creditworthiness as "
            "high-risk",
    "limited": "it interacts with people or informs a person's work without deciding about anyone; the duty is "
               "transparency (say it is AI, report group metrics)",
    "minimal": "no decision about a person is made; ordinary quality controls suffice",
}


class TierAssignment(Exercise):
    title = "Assign a risk tier to each use case"
    reads = ("tier_of",)
    hints = (
        "Ask: does the output decide something about a person's access to work, credit or services? Then it is high.",
        "A system that talks to people or informs a human without deciding about them is limited; internal "
        "operations with no person affected are minimal.",
    )

    def expect(self, ns, tier_of):
        expect_picks("tier_of", tier_of, _TIER_OF, TIERS,
                     lambda use_case, given, right: f"{use_case!r} is {right!r}, not {given!r}: {WHY_TIER[right]}.",
                     item="use case")
        return "Every use case sits in its tier; the tier decides which rules apply."

    def reference(self, ns):
        return dict(_TIER_OF)


class TierReasoning(WrittenAnswer):
    title = "Why one borderline use case sits where it does"
    reads = ("tier_reasoning",)
    min_words = 40
    rubric = (
        "Names who is affected by the output and whether it decides about them.",
        "Cites the EU AI Act category (Annex III for high-risk) or the NIST AI RMF Map function.",
        "Says what would move the use case to another tier (e.g. the estimate starts deciding who gets an offer).",
    )


# --- q3: the high tier's rules ----------------------------------------------------------------

RULE_PROBES = {
    # metric: (values that must pass, values that must fail)
    "roc_auc": ((0.70, 0.93), (0.69,)),
    "equal_opportunity_difference": ((-0.05, -0.04, 0.0, 0.04, 0.05), (-0.06, 0.06, -0.3)),
    "disparate_impact": ((0.80, 0.95, 1.0), (0.79, 0.5)),
}


class HighTierRules(Exercise):
    title = "Write the high tier's rules as data"
    reads = ("high_tier_rules",)
    hints = (
        "A rule is a dict: {'metric': name, 'min': x}, {'metric': name, 'max': x} or {'metric': name, 'max_abs': x}.",
        "The equal-opportunity gap can be negative or positive: bound its size with max_abs.",
    )

    def expect(self, ns, high_tier_rules):
        from model_health.services.governance import PolicyError, load_policy, rule_passes, validate_policy

        if not isinstance(high_tier_rules, (list, tuple)):
            raise Incorrect(f"`high_tier_rules` should be a list of rule dicts, got {kind_of(high_tier_rules)}.")
        policy = load_policy()
        policy["tiers"]["high"]["rules"] = [dict(rule) if isinstance(rule, Mapping) else rule
                                            for rule in high_tier_rules]
        try:
            validate_policy(policy, "your policy")
        except PolicyError as error:
            raise Incorrect(str(error).replace("tiers.high.rules", "high_tier_rules")) from None
        rules = policy["tiers"]["high"]["rules"]
        named = [rule["metric"] for rule in rules]
        extra = sorted(set(named) - set(RULE_PROBES))
        if extra:
            raise Incorrect(f"The specification names three metrics; {extra} is not one of them.")
        for metric, (passing, failing) in RULE_PROBES.items():
            own = [rule for rule in rules if rule["metric"] == metric]
            if not own:
                raise Incorrect(f"`high_tier_rules` has no rule for {metric}.")
            verdict = lambda value: all(rule_passes(rule, value) for rule in own)  # noqa: E731
            for value in failing:
                if verdict(value):
                    size = " A gap in either direction is unfair: bound its size." if value < 0 and metric == \
                        "equal_opportunity_difference" else ""
                    raise Incorrect(f"A model with {metric} = {value} passes your rules, but the specification "
                                    f"rejects it.{size}")
            for value in passing:
                if not verdict(value):
                    raise Incorrect(f"A model with {metric} = {value} fails your rules, but the specification "
                                    "accepts it: check the bound and whether it includes the threshold itself.")
        return "The rules accept and reject exactly what the specification does, on both sides of every threshold."

    def reference(self, ns):
        return [{"metric": "roc_auc", "min": 0.70}, {"metric": "equal_opportunity_difference", "max_abs": 0.05},
                {"metric": "disparate_impact", "min": 0.80}]


# --- q4: evidence ------------------------------------------------------------------------------

def reference_fairness_evidence(y_true, y_score, groups, privileged, threshold: float = 0.5) -> dict[str, float]:
    """ROC AUC, and the unprivileged groups (pooled) against ``privileged``, at ``threshold``.

    equal_opportunity_difference = TPR(unprivileged) - TPR(privileged); disparate_impact =
    selection rate ratio, unprivileged / privileged; demographic_parity_difference = the
    size of their selection-rate difference. NaN where a rate has nothing to count.
    """
    from sklearn.metrics import roc_auc_score

    y_true, score, groups = np.asarray(y_true).astype(int), np.asarray(y_score, dtype=float), np.asarray(groups)
    selected = score >= threshold
    privileged_rows = groups == privileged

    def rate(rows):
        return float(selected[rows].mean()) if rows.any() else float("nan")

    tpr = [rate(rows & (y_true == 1)) for rows in (~privileged_rows, privileged_rows)]
    selection = [rate(~privileged_rows), rate(privileged_rows)]
    return {
        "roc_auc": float(roc_auc_score(y_true, score)) if len(np.unique(y_true)) == 2 else float("nan"),
        "equal_opportunity_difference": tpr[0] - tpr[1],
        "disparate_impact": selection[0] / selection[1] if selection[1] > 0 else float("nan"),
        "demographic_parity_difference": abs(selection[0] - selection[1]),
    }


UNSEEN_EVIDENCE = (
    ([1, 1, 0, 0, 1, 1, 0, 1, 0, 0], [0.9, 0.5, 0.5, 0.1, 0.8, 0.4, 0.7, 0.3, 0.2, 0.6],
     ["p", "p", "p", "p", "u1", "u1", "u1", "u2", "u2", "u2"], "p",
     "ten people in groups p (privileged), u1 and u2 (pooled as unprivileged), with scores of exactly 0.5 "
     "(selected: score >= threshold)"),
    ([1, 0, 1, 0, 1, 0], [0.2, 0.1, 0.9, 0.7, 0.3, 0.8], ["p", "p", "u", "u", "u", "u"], "p",
     "a privileged group that selects nobody (disparate impact is undefined: NaN)"),
)


def _same_evidence(found, expected) -> bool:
    return all((np.isnan(expected[key]) and isinstance(found.get(key), (float, np.floating)) and np.isnan(found[key]))
               or (not np.isnan(expected[key]) and isinstance(found.get(key), (int, float, np.number))
                   and not isinstance(found.get(key), (bool, np.bool_)) and close_enough(found[key], expected[key]))
               for key in expected)


class FairnessEvidence(Exercise):
    title = "The evidence a gate reads"
    reads = ("fairness_evidence",)
    hints = (
        "Selected = score >= threshold. Every group other than `privileged` counts as unprivileged (pooled).",
        "Return a dict with roc_auc, equal_opportunity_difference (TPR unprivileged - privileged), disparate_impact "
        "(selection rate unprivileged / privileged, NaN if the privileged rate is 0) and demographic_parity_difference "
        "(the size of the selection-rate difference).",
    )

    def expect(self, ns, fairness_evidence):
        for y_true, scores, groups, privileged, case in UNSEEN_EVIDENCE:
            expected = reference_fairness_evidence(y_true, scores, groups, privileged)
            found = call_learner_function(fairness_evidence, np.array(y_true), np.array(scores), pd.Series(groups),
                                          privileged, name="fairness_evidence")
            if isinstance(found, pd.Series):
                found = found.to_dict()
            if not isinstance(found, Mapping) or set(found) != set(EVIDENCE_METRICS):
                raise Incorrect(f"`fairness_evidence` should return a dict with the keys {sorted(EVIDENCE_METRICS)}; "
                                f"got {kind_of(found)}"
                                f"{f' with the keys {sorted(found)}' if isinstance(found, Mapping) else ''}.")
            if not _same_evidence(found, expected):
                shown = {key: round(float(value), 4) if isinstance(value, (int, float, np.number)) else value
                         for key, value in found.items()}
                raise Incorrect(f"On {case}, `fairness_evidence` returns {shown}; expected "
                                f"{ {key: round(value, 4) for key, value in expected.items()} }.")
        return "Evidence as the gate reads it, with NaN where a rate has nothing to count."

    def reference(self, ns):
        return reference_fairness_evidence


# --- q5: the run record ------------------------------------------------------------------------

def reference_run_record(candidate: Mapping, mitigation: str | None = None) -> dict:
    from model_health.data import dataset_digest

    score = candidate["model"].predict_proba(candidate["X_test"])[:, 1]
    tags = {"risk_tier": candidate["tier"], "explainability": ",".join(candidate["explanations"]),
            "dataset_digest": dataset_digest(candidate["training_frame"])}
    if mitigation:
        tags["mitigation"] = mitigation
    artifacts = {"model_card.md": candidate["model_card"]}
    if candidate["datasheet"] is not None:
        artifacts["datasheet.md"] = candidate["datasheet"]
    return {"metrics": reference_fairness_evidence(candidate["y_test"], score, candidate["groups"],
                                                   candidate["privileged"]),
            "tags": tags, "artifacts": artifacts}


def _unseen_candidate(ns) -> dict:
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(5)
    X = pd.DataFrame({"x": rng.normal(size=60)})
    y = (X["x"] + rng.normal(0, 1, 60) > 0).astype(int)
    return {"model": LogisticRegression().fit(X, y), "X_test": X, "y_test": y, "groups": np.repeat(["a", "b"], 30),
            "privileged": "a", "tier": "limited", "explanations": ["global"],
            "training_frame": X.assign(y=y), "model_card": "# Model card: demo\n", "datasheet": None}


class RunRecord(Exercise):
    title = "What each MLflow run must record"
    reads = ("run_record",)
    hints = (
        "metrics: fairness_evidence on the candidate's test set (scores = model.predict_proba(X_test)[:, 1]).",
        "tags: risk_tier, explainability (','.join(candidate['explanations'])), dataset_digest of the training frame, "
        "and mitigation only when there is one. artifacts: model_card.md always, datasheet.md when there is one.",
    )

    def expect(self, ns, run_record):
        cases = [(_unseen_candidate(ns), "exponentiated_gradient",
                  "a candidate you have not seen, with a mitigation and no datasheet")]
        cases += [(candidate, None, f"candidate {name!r}") for name, candidate in ns["candidates"].items()]
        for candidate, mitigation, case in cases:
            expected = reference_run_record(candidate, mitigation)
            found = call_learner_function(run_record, candidate, mitigation, name="run_record")
            if not isinstance(found, Mapping) or set(found) != {"metrics", "tags", "artifacts"}:
                raise Incorrect(f"`run_record` should return a dict with the keys 'metrics', 'tags' and 'artifacts', "
                                f"got {kind_of(found)}.")
            metrics = found["metrics"].to_dict() if isinstance(found["metrics"], pd.Series) else found["metrics"]
            if not isinstance(metrics, Mapping) or not _same_evidence(dict(metrics), expected["metrics"]):
                raise Incorrect(f"For {case}, the metrics should be fairness_evidence on its test set: "
                                f"{ {key: round(value, 4) for key, value in expected['metrics'].items()} }.")
            tags = {key: str(value) for key, value in dict(found["tags"]).items()}
            if tags != expected["tags"]:
                missing = sorted(set(expected["tags"]) - set(tags))
                extra = sorted(set(tags) - set(expected["tags"]))
                wrong = sorted(key for key in set(tags) & set(expected["tags"]) if tags[key] != expected["tags"][key])
                raise Incorrect(f"For {case}, the tags differ: missing {missing}, unexpected {extra}, wrong value for "
                                f"{wrong}.")
            if set(found["artifacts"]) != set(expected["artifacts"]):
                raise Incorrect(f"For {case}, the artifacts should be {sorted(expected['artifacts'])}, got "
                                f"{sorted(found['artifacts'])}.")
        return "Each run records the evidence, the tags the gate reads, and the documents."

    def reference(self, ns):
        return reference_run_record


# --- q6, q7: the gate --------------------------------------------------------------------------

def _first_findings(ns) -> pd.DataFrame:
    from model_health.services.governance import evaluate, load_policy

    evidence = []
    for name, candidate in ns["candidates"].items():
        record = reference_run_record(candidate)
        evidence.append({"model": name, "version": "1", "tier": candidate["tier"], "metrics": record["metrics"],
                         "mitigation": None, "explainability": list(candidate["explanations"]),
                         "documentation": sorted(path[:-3] for path in record["artifacts"])})
    return evaluate(load_policy(ns["POLICY_PATH"]), evidence)


class FirstGate(Exercise):
    title = "Run the gate"
    reads = ("gate_exit_code", "rejected_models")
    hints = (
        "subprocess.run([sys.executable, '-m', 'model_health', 'gate', '--policy', str(POLICY_PATH), '--mlflow', "
        "TRACKING_URI], capture_output=True, text=True); its returncode is the exit code.",
        "rejected_models: the names on the lines that start with REJECTED.",
    )

    def expect(self, ns, gate_exit_code, rejected_models):
        from model_health.services.governance import EXIT_PASSED, EXIT_VIOLATIONS, verdicts

        decided = verdicts(_first_findings(ns))
        rejected = sorted(decided.index[decided == "rejected"])
        expected_code = EXIT_VIOLATIONS if rejected else EXIT_PASSED
        if isinstance(gate_exit_code, (bool, np.bool_)) or gate_exit_code != expected_code:
            raise Incorrect(f"`gate_exit_code` should be the command's exit code, {expected_code} (1: a model "
                            f"violates the policy), got {gate_exit_code!r}.")
        if expect_names("rejected_models", rejected_models, what="model names") != rejected:
            raise Incorrect(f"`rejected_models` should name the models the gate rejected; it rejected {len(rejected)} "
                            f"of {len(decided)}.")
        return f"The gate rejected {', '.join(rejected)} and exited with {expected_code}."

    def reference(self, ns):
        from model_health.services.governance import verdicts

        decided = verdicts(_first_findings(ns))
        return 1 if (decided == "rejected").any() else 0, sorted(decided.index[decided == "rejected"])


class Violations(Exercise):
    title = "Which rules each rejected model broke"
    reads = ("violations",)
    hints = ("A dict: rejected model name -> list of the requirements listed under it in the gate's output.",)

    def expect(self, ns, violations):
        findings = _first_findings(ns)
        failed = findings[findings["status"] != "pass"].groupby("model")["requirement"].apply(sorted).to_dict()
        if isinstance(violations, pd.Series):
            violations = violations.to_dict()
        if not isinstance(violations, Mapping):
            raise Incorrect(f"`violations` should be a dict of model -> requirements, got {kind_of(violations)}.")
        if sorted(map(str, violations)) != sorted(failed):
            raise Incorrect(f"`violations` should have one key per rejected model: {sorted(failed)}.")
        for model, requirements in failed.items():
            if expect_names(f"violations[{model!r}]", violations[model], what="requirement names") != requirements:
                raise Incorrect(f"violations[{model!r}] should list the {len(requirements)} requirement(s) the gate "
                                "printed under that model.")
        return "; ".join(f"{model}: {', '.join(requirements)}" for model, requirements in failed.items()) + "."

    def reference(self, ns):
        findings = _first_findings(ns)
        return findings[findings["status"] != "pass"].groupby("model")["requirement"].apply(sorted).to_dict()


# --- q8, q9: the registry ----------------------------------------------------------------------

class FixAndApprove(Exercise):
    title = "Fix a model, re-run the gate, and read the registry"
    reads = ("approved_versions",)
    hints = (
        "Retrain hr-screening without leadership_keywords and named_school, give it a datasheet, and log it with "
        "log_candidate('hr-screening', fixed, mitigation='feature_removal'). Then run the gate with --approve.",
        "approved_versions: for each registered model, the version its 'approved' alias points to "
        "(MlflowClient().get_registered_model(name).aliases); leave out models without the alias.",
    )

    def expect(self, ns, approved_versions):
        from mlflow import MlflowClient

        from model_health.services.governance import evaluate, evidence_from_mlflow, load_policy

        client = MlflowClient(tracking_uri=ns["TRACKING_URI"])
        aliases = {model.name: int(model.aliases["approved"]) for model in client.search_registered_models()
                   if "approved" in model.aliases}
        versions = [int(version.version) for version in client.search_model_versions("name = 'hr-screening'")]
        if not versions:
            raise Incorrect("The store holds no hr-screening version: log the fixed model with log_candidate.")
        latest = max(versions)
        if aliases.get("hr-screening", latest) != latest:
            raise Incorrect(f"The alias 'approved' points to hr-screening v{aliases['hr-screening']}, but its latest "
                            f"version is v{latest}: the gate judges the latest version, and only it moves the alias. "
                            "Run the gate with --approve.")
        findings = evaluate(load_policy(ns["POLICY_PATH"]), evidence_from_mlflow(ns["TRACKING_URI"], ["hr-screening"]))
        failed = "; ".join(f"{row.requirement} measured {row.measured}, allowed {row.allowed}"
                           for row in findings[findings["status"] != "pass"].itertuples())
        if failed and "hr-screening" in aliases:  # an alias set by hand is no approval
            raise Incorrect(f"hr-screening v{latest} carries the alias 'approved', but it fails the policy: {failed}. "
                            "Fix the model, log it, and let the gate approve it.")
        if failed:
            raise Incorrect(f"The latest hr-screening version still fails: {failed}.")
        if "hr-screening" not in aliases:
            raise Incorrect("The latest hr-screening version passes, but no version carries the alias 'approved': "
                            "run the gate with --approve.")
        if isinstance(approved_versions, pd.Series):
            approved_versions = approved_versions.to_dict()
        if not isinstance(approved_versions, Mapping):
            raise Incorrect(f"`approved_versions` should be a dict of model -> version, got {kind_of(approved_versions)}.")
        try:
            given = {str(name): int(version) for name, version in approved_versions.items()}
        except (TypeError, ValueError):
            raise Incorrect("`approved_versions` should map each model name to a version number.") from None
        if given != aliases:
            raise Incorrect(f"`approved_versions` should be what the registry's 'approved' aliases say: "
                            f"{len(aliases)} model(s).")
        return f"Approved in the registry: {', '.join(f'{name} v{version}' for name, version in sorted(aliases.items()))}."

    def reference(self, ns):
        from mlflow import MlflowClient

        client = MlflowClient(tracking_uri=ns["TRACKING_URI"])
        return {model.name: int(model.aliases["approved"]) for model in client.search_registered_models()
                if "approved" in model.aliases}


def _trained_on(ns, digest: str) -> list[str]:
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=ns["TRACKING_URI"])
    names = set()
    for model in client.search_registered_models():
        for version in client.search_model_versions(f"name = '{model.name}'"):
            if client.get_run(version.run_id).data.tags.get("dataset_digest") == digest:
                names.add(model.name)
    return sorted(names)


class Lineage(Exercise):
    title = "Lineage: which models does a data erratum touch?"
    reads = ("affected_models",)
    hints = (
        "Every run carries the tag dataset_digest. Search the runs whose tag equals FLAGGED_DIGEST: "
        "mlflow.search_runs(filter_string=f\"tags.dataset_digest = '{FLAGGED_DIGEST}'\", search_all_experiments=True).",
        "affected_models: the registered model names of those runs (their 'tags.mlflow.runName' here).",
    )

    def expect(self, ns, affected_models):
        expected = _trained_on(ns, ns["FLAGGED_DIGEST"])
        given = expect_names("affected_models", affected_models, what="model names")
        if given != expected:
            extra = sorted(set(given) - set(expected))
            raise Incorrect(f"`affected_models` should be the {len(expected)} model(s) whose runs carry the flagged "
                            f"digest{f'; {extra} was trained on other data' if extra else ''}.")
        return f"{', '.join(expected)} must be re-reviewed: they were trained on the flagged data."

    def reference(self, ns):
        return _trained_on(ns, ns["FLAGGED_DIGEST"])


class ShipWithConditions(WrittenAnswer):
    title = "When may a high-tier model ship with conditions?"
    reads = ("conditional_shipping",)
    min_words = 60
    rubric = (
        "Never when a rule fails or could not be measured: the gate fails closed, and so does the board.",
        "Conditions are for residual risk the rules do not cover: a small group with a wide interval, a new use.",
        "Each condition has an owner, a deadline and a measurable exit (e.g. re-measure the gap on 500 new labels).",
        "Names the post-deployment monitoring that enforces the condition, and the rollback if it is missed.",
    )


# Paths into the working copy whose files answers write to: the batch grader judges these files as the submission
# left them, and every other given file as the published solutions left it.
# q8 logs a model to this MLflow store, and the gate approves it there.
WRITTEN_BY_ANSWERS = ("TRACKING_URI",)

EXERCISES = ExerciseSet(NOTEBOOK, [
    TierAssignment(), TierReasoning(), HighTierRules(), FairnessEvidence(), RunRecord(), FirstGate(), Violations(),
    FixAndApprove(), Lineage(), ShipWithConditions(),
])
q1, q2, q3, q4, q5, q6, q7, q8, q9, q10 = EXERCISES
score_summary = EXERCISES.score_summary

__all__ = ["q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8", "q9", "q10", "score_summary", "USE_CASES", "TIERS"]
