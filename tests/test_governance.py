"""The risk policy and its gate: a valid policy loads; malformed input is an error naming the
file and the field; evaluation fails closed; the command's exit codes; approval in MLflow."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from model_health.governance import (
    EXIT_INVALID,
    EXIT_PASSED,
    EXIT_VIOLATIONS,
    PolicyError,
    checklist,
    default_policy_path,
    evaluate,
    evidence_from_mlflow,
    gate,
    load_evidence,
    load_policy,
    verdicts,
)

REPO = Path(__file__).resolve().parents[1]


def passing_model(**changes) -> dict:
    model = {"model": "hr-screening", "version": "1", "tier": "high",
             "metrics": {"roc_auc": 0.81, "equal_opportunity_difference": -0.03, "disparate_impact": 0.91},
             "mitigation": "threshold_optimizer", "explainability": ["global", "local"],
             "documentation": ["model_card", "datasheet"]}
    return {**model, **changes}


def write(path: Path, content) -> Path:
    path.write_text(content if isinstance(content, str) else yaml.safe_dump(content), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def policy() -> dict:
    return load_policy()


def test_the_example_policy_maps_every_tier_to_the_eu_ai_act_and_nist_functions(policy):
    assert set(policy["tiers"]) == {"high", "limited", "minimal"}
    assert policy["tiers"]["high"]["eu_ai_act"] == "high-risk"
    for tier in policy["tiers"].values():
        assert set(tier["nist_ai_rmf"]) == {"Govern", "Map", "Measure", "Manage"}


@pytest.mark.parametrize("broken, field", [
    ("version: 1\ntiers: {high: [unclosed\n", "not valid YAML"),
    ({"version": 1, "tiers": {"high": "strict"}}, "tiers.high: 'strict' is not of type 'object'"),
    ("rules[1].metric", "tiers.high.rules[1].metric: 'eo_gap' is not one of"),
    ("rules[0].min", "tiers.high.rules[0].min: 'high' is not of type 'number'"),
    ("no post_deployment", "tiers.high: 'post_deployment' is a required property"),
    ("min above max", "tiers.high.rules[0]: min 0.9 is above max 0.5"),
    ("max_abs with min", "tiers.high.rules[0]: give max_abs alone"),
    ("mitigation", "tiers.high.mitigations[0]: 'magic' is not one of"),
])
def test_a_malformed_policy_names_the_file_and_the_field(tmp_path, policy, broken, field):
    content = json.loads(json.dumps(policy))
    high = content["tiers"]["high"]
    if broken == "rules[1].metric":
        high["rules"][1]["metric"] = "eo_gap"
    elif broken == "rules[0].min":
        high["rules"][0]["min"] = "high"
    elif broken == "no post_deployment":
        del high["post_deployment"]
    elif broken == "min above max":
        high["rules"][0] = {"metric": "roc_auc", "min": 0.9, "max": 0.5}
    elif broken == "max_abs with min":
        high["rules"][0] = {"metric": "roc_auc", "min": 0.7, "max_abs": 0.2}
    elif broken == "mitigation":
        high["mitigations"] = ["magic"]
    else:
        content = broken
    path = write(tmp_path / "policy.yml", content)
    with pytest.raises(PolicyError) as error:
        load_policy(path)
    assert str(path) in str(error.value) and field in str(error.value), str(error.value)


@pytest.mark.parametrize("evidence, message", [
    ({"models": [passing_model(metrics={"roc_auc": "high"})]}, "models[0].metrics.roc_auc: 'high' is not of type"),
    ({"models": [{"model": "x", "tier": "high"}]}, "models[0]: 'metrics' is a required property"),
    ({"models": []}, "models: [] should be non-empty"),
    ({"model": "x"}, "'models' is a required property"),
])
def test_malformed_evidence_names_the_file_and_the_field(tmp_path, evidence, message):
    path = write(tmp_path / "evidence.yml", evidence)
    with pytest.raises(PolicyError) as error:
        load_evidence(path)
    assert str(path) in str(error.value) and message in str(error.value), str(error.value)


def test_missing_files_are_named(tmp_path):
    with pytest.raises(PolicyError, match="no such file"):
        load_evidence(tmp_path / "absent.yml")


def test_a_tier_the_policy_lacks_is_invalid_input(policy):
    with pytest.raises(PolicyError, match=r"tier 'critical' is not in the policy \(tiers: high, limited, minimal\)"):
        evaluate(policy, [passing_model(tier="critical")])


def test_each_requirement_passes_or_fails_with_measured_and_allowed(policy):
    findings = evaluate(policy, [passing_model()])
    assert set(findings["status"]) == {"pass"} and verdicts(findings).to_dict() == {"hr-screening": "approved"}
    findings = evaluate(policy, [passing_model(metrics={"roc_auc": 0.81, "equal_opportunity_difference": -0.21,
                                                        "disparate_impact": 0.91})])
    failed = findings[findings["status"] != "pass"]
    assert failed[["requirement", "measured", "allowed"]].values.tolist() == [
        ["equal_opportunity_difference", "-0.21", "|value| <= 0.05"]]


@pytest.mark.parametrize("changes, requirement, status", [
    (dict(metrics={"roc_auc": 0.81, "disparate_impact": 0.91}), "equal_opportunity_difference", "fail"),
    (dict(metrics={"roc_auc": 0.81, "equal_opportunity_difference": np.nan, "disparate_impact": 0.91}),
     "equal_opportunity_difference", "unknown"),
    (dict(metrics={"roc_auc": 0.81, "equal_opportunity_difference": None, "disparate_impact": 0.91}),
     "equal_opportunity_difference", "unknown"),
    (dict(mitigation="resampling"), "mitigation", "fail"),
    (dict(documentation=["model_card"]), "documentation", "fail"),
    (dict(explainability=["global"]), "explainability", "fail"),
])
def test_the_gate_fails_closed(policy, changes, requirement, status):
    findings = evaluate(policy, [passing_model(**changes)])
    row = findings.set_index("requirement").loc[requirement]
    assert row["status"] == status
    assert verdicts(findings)["hr-screening"] == "rejected"


def run_gate(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "model_health", "gate", *map(str, args)], capture_output=True,
                          text=True, timeout=300, cwd=REPO)


def test_the_command_exit_codes_and_messages(tmp_path):
    good = write(tmp_path / "good.yml", {"models": [passing_model()]})
    bad = write(tmp_path / "bad.yml", {"models": [passing_model(), passing_model(
        model="credit", metrics={"roc_auc": 0.65, "equal_opportunity_difference": 0.0, "disparate_impact": 0.7})]})
    approved = run_gate("--evidence", good)
    assert approved.returncode == EXIT_PASSED, approved.stderr
    assert "APPROVED hr-screening v1 (tier high)" in approved.stdout
    rejected = run_gate("--evidence", bad)
    assert rejected.returncode == EXIT_VIOLATIONS
    assert "REJECTED credit v1 (tier high)\n  - roc_auc: measured 0.65, allowed >= 0.7\n  - disparate_impact: " \
           "measured 0.7, allowed >= 0.8" in rejected.stdout
    assert "1 of 2 model(s) rejected." in rejected.stdout
    malformed = run_gate("--policy", write(tmp_path / "p.yml", "tiers: [\n"), "--evidence", good)
    assert malformed.returncode == EXIT_INVALID and "p.yml: not valid YAML" in malformed.stderr
    assert run_gate("--evidence", good, "--approve").returncode == EXIT_INVALID
    assert run_gate().returncode == EXIT_INVALID  # neither --evidence nor --mlflow
    assert gate(["--help"]) == EXIT_PASSED


def test_approval_moves_the_mlflow_alias(tmp_path):
    import mlflow
    from mlflow import MlflowClient

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    mlflow.set_tracking_uri(uri)
    mlflow.set_experiment("gate-test")  # not whatever experiment an earlier test left active in this process
    try:
        def log_version(name, eo_difference, documents=("model_card.md", "datasheet.md")):
            with mlflow.start_run() as run:
                mlflow.log_metrics({"roc_auc": 0.8, "equal_opportunity_difference": eo_difference,
                                    "disparate_impact": 0.9})
                mlflow.set_tags({"risk_tier": "high", "explainability": "global,local",
                                 "mitigation": "exponentiated_gradient"})
                for document in documents:
                    path = tmp_path / document
                    path.write_text("# document\n")
                    mlflow.log_artifact(str(path))
            client = MlflowClient(tracking_uri=uri)
            if not client.search_registered_models(f"name = '{name}'"):
                client.create_registered_model(name)
            return client.create_model_version(name, source=run.info.artifact_uri, run_id=run.info.run_id).version

        log_version("screening", -0.2)
        log_version("lending", 0.01)
        evidence = {item["model"]: item for item in evidence_from_mlflow(uri)}
        assert evidence["screening"]["documentation"] == ["datasheet", "model_card"]
        assert evidence["screening"]["explainability"] == ["global", "local"]
        first = run_gate("--mlflow", uri, "--approve")
        assert first.returncode == EXIT_VIOLATIONS, first.stderr
        client = MlflowClient(tracking_uri=uri)
        assert client.get_registered_model("lending").aliases == {"approved": 1}
        assert client.get_registered_model("screening").aliases == {}
        log_version("screening", -0.02)  # the fix, as version 2
        log_version("lending", 0.01, documents=("model_card.md",))  # a new version without its datasheet
        second = run_gate("--mlflow", uri, "--approve")
        assert second.returncode == EXIT_VIOLATIONS
        assert "REJECTED lending v2 (tier high)\n  - documentation: measured model_card" in second.stdout
        assert client.get_registered_model("screening").aliases == {"approved": 2}
        assert client.get_registered_model("lending").aliases == {}
        assert run_gate("--mlflow", uri, "--model", "screening").returncode == EXIT_PASSED
        unknown = run_gate("--mlflow", uri, "--model", "churn")
        assert unknown.returncode == EXIT_INVALID and "no registered model named ['churn']" in unknown.stderr
    finally:
        mlflow.set_tracking_uri("")


def test_checklists_follow_the_policy(policy):
    before = checklist(policy, "high", "pre-deployment")
    assert "- [ ] equal_opportunity_difference |value| <= 0.05" in before and "datasheet attached" in before
    after = checklist(policy, "high", "post-deployment")
    assert "PSI exceeds 0.1" in after and "every 30 days" in after and "unknown, never as passing" in after
    assert "No metric thresholds" not in checklist(policy, "minimal", "pre-deployment")
    with pytest.raises(ValueError, match="'pre-deployment' or 'post-deployment'"):
        checklist(policy, "high", "launch")
    with pytest.raises(ValueError, match="not a tier"):
        checklist(policy, "critical", "pre-deployment")


def test_the_ci_example_runs_the_gate_before_deploying():
    workflow = yaml.safe_load((REPO / "examples" / "ci" / "deploy-with-gate.yml").read_text())
    gate_steps = [step for step in workflow["jobs"]["gate"]["steps"] if "model_health gate" in step.get("run", "")]
    assert len(gate_steps) == 1 and "--approve" in gate_steps[0]["run"]
    assert workflow["jobs"]["deploy"]["needs"] == "gate"


def test_the_default_policy_ships_with_the_package():
    assert default_policy_path().is_file()
