"""The risk policy and its gate: a valid policy loads; malformed input is an error naming the
file and the field; evaluation fails closed; the command's exit codes; approval in MLflow."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from model_health.services.governance import (
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
    rule_passes,
    verdicts,
)

from conftest import run_command

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


def run_gate(capsys, *args) -> subprocess.CompletedProcess:
    return run_command(capsys, "gate", *args)


def test_the_command_runs_from_a_shell(tmp_path):
    """As `model-health gate`, the entry point installed with the package (`python -m model_health gate` runs in
    notebook 10)."""
    script = Path(sys.executable).with_name("model-health.exe" if os.name == "nt" else "model-health")
    assert script.exists(), f"no {script.name} next to {sys.executable}: run `python3 workbook.py setup` again"
    good = write(tmp_path / "good.yml", {"models": [passing_model()]})
    approved = subprocess.run([script, "gate", "--evidence", str(good)],
                              capture_output=True, text=True, timeout=300, cwd=REPO)
    assert approved.returncode == EXIT_PASSED, approved.stderr
    assert "APPROVED hr-screening v1 (tier high)" in approved.stdout


def test_the_command_exit_codes_and_messages(tmp_path, capsys):
    good = write(tmp_path / "good.yml", {"models": [passing_model()]})
    bad = write(tmp_path / "bad.yml", {"models": [passing_model(), passing_model(
        model="credit", metrics={"roc_auc": 0.65, "equal_opportunity_difference": 0.0, "disparate_impact": 0.7})]})
    approved = run_gate(capsys, "--evidence", good)
    assert approved.returncode == EXIT_PASSED, approved.stderr
    assert "APPROVED hr-screening v1 (tier high)" in approved.stdout
    rejected = run_gate(capsys, "--evidence", bad)
    assert rejected.returncode == EXIT_VIOLATIONS
    assert "REJECTED credit v1 (tier high)\n  - roc_auc: measured 0.65, allowed >= 0.7\n  - disparate_impact: " \
           "measured 0.7, allowed >= 0.8" in rejected.stdout
    assert "1 of 2 model(s) rejected." in rejected.stdout
    malformed = run_gate(capsys, "--policy", write(tmp_path / "p.yml", "tiers: [\n"), "--evidence", good)
    assert malformed.returncode == EXIT_INVALID and "p.yml: not valid YAML" in malformed.stderr
    assert run_gate(capsys, "--evidence", good, "--approve").returncode == EXIT_INVALID
    assert run_gate(capsys).returncode == EXIT_INVALID  # neither --evidence nor --mlflow
    assert gate(["--help"]) == EXIT_PASSED


def test_approval_moves_the_mlflow_alias(tmp_path, capsys):
    import mlflow
    from mlflow import MlflowClient

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    mlflow.set_tracking_uri(uri)
    # Artifacts under tmp_path: an experiment made without a location writes them to ./mlruns in the repository.
    mlflow.create_experiment("gate-test", artifact_location=(tmp_path / "artifacts").as_uri())
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
        first = run_gate(capsys, "--mlflow", uri, "--approve")
        assert first.returncode == EXIT_VIOLATIONS, first.stderr
        client = MlflowClient(tracking_uri=uri)
        assert client.get_registered_model("lending").aliases == {"approved": 1}
        assert client.get_registered_model("screening").aliases == {}
        log_version("screening", -0.02)  # the fix, as version 2
        log_version("lending", 0.01, documents=("model_card.md",))  # a new version without its datasheet
        second = run_gate(capsys, "--mlflow", uri, "--approve")
        assert second.returncode == EXIT_VIOLATIONS
        assert "REJECTED lending v2 (tier high)\n  - documentation: measured model_card" in second.stdout
        assert client.get_registered_model("screening").aliases == {"approved": 2}
        assert client.get_registered_model("lending").aliases == {}
        assert run_gate(capsys, "--mlflow", uri, "--model", "screening").returncode == EXIT_PASSED
        unknown = run_gate(capsys, "--mlflow", uri, "--model", "churn")
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


# --- issue 24: the gate's errors are exit 2, impossible values fail, unsafe input is refused ----------------------

def gate_here(*args) -> int:
    """The gate's exit code, run in this process (a subprocess pays MLflow's import each time)."""
    return gate(list(map(str, args)))


def write_policy(tmp_path: Path, policy: dict, **high_rule_0) -> Path:
    """The policy with the high tier's first rule replaced by ``high_rule_0``, written as YAML."""
    content = json.loads(json.dumps(policy))
    content["tiers"]["high"]["rules"][0] = high_rule_0
    return write(tmp_path / "policy.yml", content)


@pytest.mark.parametrize("bound", [
    dict(metric="roc_auc", min=float("nan")),
    dict(metric="roc_auc", max=float("inf")),
    dict(metric="equal_opportunity_difference", max_abs=float("inf")),
])
def test_a_bound_that_is_not_a_finite_number_is_an_invalid_policy(tmp_path, policy, bound):
    """`min: .nan` was accepted, and the rule it made failed every model: exit 1 instead of 2."""
    path = write_policy(tmp_path, policy, **bound)
    with pytest.raises(PolicyError, match=r"tiers\.high\.rules\[0\]\.(min|max|max_abs)` should be a finite number"):
        load_policy(path)
    evidence = write(tmp_path / "evidence.yml", {"models": [passing_model()]})
    assert gate_here("--policy", path, "--evidence", evidence) == EXIT_INVALID


def test_a_number_elsewhere_in_the_policy_must_be_finite_too(tmp_path, policy):
    content = json.loads(json.dumps(policy))
    content["tiers"]["high"]["post_deployment"]["drift_psi_max"] = float("nan")
    with pytest.raises(PolicyError, match=r"tiers\.high\.post_deployment\.drift_psi_max` should be a finite number"):
        load_policy(write(tmp_path / "policy.yml", content))


@pytest.mark.parametrize("bound, message", [
    (dict(metric="roc_auc", min=1.5), "roc_auc is a score or a rate, in [0, 1]; no value can pass >= 1.5"),
    (dict(metric="disparate_impact", max=-0.2), "disparate_impact is a ratio of two rates, finite and >= 0; no value"),
])
def test_a_rule_outside_its_metrics_domain_is_refused(tmp_path, policy, bound, message):
    with pytest.raises(PolicyError) as error:
        load_policy(write_policy(tmp_path, policy, **bound))
    assert f"tiers.high.rules[0]: {message}" in str(error.value), str(error.value)


@pytest.mark.parametrize("rule", [{"min": 0.7}, {"max": 0.1}, {"max_abs": 0.05}, {"metric": "disparate_impact",
                                                                                   "min": 0.8}])
@pytest.mark.parametrize("value", [float("inf"), -float("inf"), float("nan")])
def test_rule_passes_never_passes_an_undefined_value(rule, value):
    assert rule_passes(rule, value) is False


@pytest.mark.parametrize("rule, value", [({"metric": "roc_auc", "min": 0.7}, 7.5),
                                         ({"metric": "roc_auc", "max": 0.99}, -0.5),
                                         ({"metric": "equal_opportunity_difference", "max_abs": 0.05}, -3.0)])
def test_rule_passes_never_passes_an_impossible_value(rule, value):
    assert rule_passes(rule, value) is False


@pytest.mark.parametrize("rule, message", [
    ({}, "a rule must bound something"),
    ({"metric": "roc_auc"}, "a rule must bound something"),
    ({"min": float("nan")}, "`min` should be a finite number"),
    ({"min": "0.7"}, "`min` should be a real number"),
    ({"max_abs": 0.1, "min": 0.0}, "give max_abs alone"),
    ({"metric": "four_fifths", "min": 0.8}, "unknown metric 'four_fifths'"),
])
def test_rule_passes_refuses_a_rule_that_bounds_nothing(rule, message):
    """rule_passes({}, 123.0) was True: an empty rule passed everything."""
    with pytest.raises(PolicyError, match=message):
        rule_passes(rule, 123.0)


def test_every_metric_a_rule_can_name_has_a_domain():
    schema = json.loads((REPO / "src" / "model_health" / "services" / "policy" / "policy.schema.json").read_text())
    domains = yaml.safe_load((REPO / "src" / "model_health" / "services" / "policy" / "metric_domains.yml").read_text())
    assert sorted(domains["metrics"]) == sorted(schema["$defs"]["rule"]["properties"]["metric"]["enum"])
    assert set(domains["metrics"].values()) <= set(domains["kinds"])


@pytest.mark.parametrize("metric, value, domain", [
    ("roc_auc", float("inf"), "roc_auc is a score or a rate, in [0, 1]"),
    ("roc_auc", 7.5, "roc_auc is a score or a rate, in [0, 1]"),
    ("roc_auc", 1e308, "roc_auc is a score or a rate, in [0, 1]"),
    ("disparate_impact", float("inf"), "disparate_impact is a ratio of two rates, finite and >= 0"),
    ("disparate_impact", -0.5, "disparate_impact is a ratio of two rates, finite and >= 0"),
    ("equal_opportunity_difference", -1.5, "equal_opportunity_difference is a difference of two rates, in [-1, 1]"),
])
def test_an_impossible_measurement_fails_closed_with_its_reason(tmp_path, capsys, metric, value, domain):
    """roc_auc .inf, disparate_impact .inf, 1e308 and 7.5 were approved (exit 0)."""
    metrics = {**passing_model()["metrics"], metric: value}
    findings = evaluate(load_policy(), [passing_model(metrics=metrics)])
    row = findings.set_index("requirement").loc[metric]
    assert (row["status"], row["reason"]) == ("unknown", f"{domain}: an impossible measurement fails")
    assert verdicts(findings)["hr-screening"] == "rejected"
    evidence = write(tmp_path / "evidence.yml", {"models": [passing_model(metrics=metrics)]})
    assert gate_here("--evidence", evidence) == EXIT_VIOLATIONS
    assert f"(unknown: {domain}: an impossible measurement fails)" in capsys.readouterr().out


@pytest.mark.parametrize("text, line, first", [
    ("      - {metric: roc_auc, min: 0.70, min: 0.5}\n", 16, 16),
    ("      - metric: roc_auc\n        min: 0.70\n        max: 1.0\n        min: 0.5\n", 19, 17),
], ids=["flow mapping", "block mapping"])
def test_a_key_given_twice_is_refused_naming_the_key_and_its_line(tmp_path, text, line, first):
    """YAML kept the last `min` silently: the rule was not the one the author read."""
    lines = default_policy_path().read_text().splitlines(keepends=True)
    at = next(i for i, row in enumerate(lines) if "{metric: roc_auc, min: 0.70}" in row)
    assert at == 15  # the high tier's first rule, on line 16
    path = write(tmp_path / "policy.yml", "".join(lines[:at]) + text + "".join(lines[at + 1:]))
    with pytest.raises(PolicyError) as error:
        load_policy(path)
    assert f"{path}, line {line}: the key 'min' is given again (first on line {first})" in str(error.value)


def test_a_key_given_twice_in_json_evidence_is_refused(tmp_path):
    path = write(tmp_path / "evidence.json", '{"models": [{"model": "x", "model": "y", "tier": "high", '
                                             '"metrics": {}}]}')
    with pytest.raises(PolicyError, match="the key 'model' is given twice in one object"):
        load_evidence(path)


def test_anchors_and_merge_keys_still_load(tmp_path, policy):
    """Aliases are counted, not refused: a policy may share a list or merge a mapping."""
    every = "[reweighing, resampling, exponentiated_gradient, threshold_optimizer, feature_removal]"
    review = "{drift_psi_max: 0.25, fairness_review_days: %d}"
    text = default_policy_path().read_text()
    text = text.replace(f"mitigations: {every}", f"mitigations: &every {every}", 1)
    text = text.replace(f"mitigations: {every}", "mitigations: *every")
    text = text.replace(f"post_deployment: {review % 90}", f"post_deployment: &slow {review % 90}")
    text = text.replace(f"post_deployment: {review % 365}", "post_deployment: {<<: *slow, fairness_review_days: 365}")
    assert text.count("*every") == 1 and text.count("<<: *slow") == 1
    assert load_policy(write(tmp_path / "policy.yml", text)) == policy


def alias_bomb(levels: int = 9, merge: bool = False) -> str:
    """A few hundred bytes of YAML whose aliases expand to 9**levels values ("billion laughs")."""
    lines = ["version: 1", 'a0: &a0 {x0: lol, x1: lol, x2: lol, x3: lol, x4: lol, x5: lol, x6: lol, x7: lol, x8: lol}'
             if merge else 'a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]']
    for level in range(1, levels + 1):
        aliases = ", ".join([f"*a{level - 1}"] * 9)
        lines.append(f"a{level}: &a{level} {{<<: [{aliases}]}}" if merge else f"a{level}: &a{level} [{aliases}]")
    return "\n".join([*lines, f"tiers: {{high: *a{levels}}}"]) + "\n"


@pytest.mark.parametrize("content, message", [
    (alias_bomb(), "holds more than 200,000 values, counting each alias (*name) as what it stands for"),
    (alias_bomb(merge=True), "holds more than 200,000 values, counting each alias (*name) as what it stands for"),
    ("version: 1\ntiers: &loop {high: *loop}\n", "an alias (*name) refers to a value that contains it"),
    ("version: 1\ntiers: " + "[" * 40 + "]" * 40 + "\n", "nested more than 32 levels deep"),
    ("version: 1\ntiers: " + "[" * 2000 + "]" * 2000 + "\n", "nested more than 32 levels deep"),
    ("version: 1\ndescription: |\n" + "  lol\n" * 200_000, "larger than 1,000,000 bytes"),
], ids=["alias bomb", "merge-key bomb", "alias to itself", "40 levels", "2000 levels", "over 1 MB"])
def test_a_document_too_big_or_deep_to_be_a_policy_is_refused_before_it_is_expanded(tmp_path, content, message):
    """A 540-byte alias bomb took 1.5 GB and 30 s, then printed the expanded value."""
    path = write(tmp_path / "policy.yml", content)
    with pytest.raises(PolicyError) as error:
        load_policy(path)
    assert str(error.value).startswith(f"{path}: {message}"), str(error.value)
    assert len(str(error.value)) < 300


def test_deeply_nested_json_is_refused(tmp_path):
    path = write(tmp_path / "evidence.json", '{"models": ' + "[" * 5000 + "]" * 5000 + "}")
    with pytest.raises(PolicyError, match="nested more than 32 levels deep"):
        load_evidence(path)


def test_a_long_value_is_cut_in_the_message(tmp_path):
    path = write(tmp_path / "policy.yml", {"version": 1, "tiers": {"high": "lol " * 50_000}})
    with pytest.raises(PolicyError) as error:
        load_policy(path)
    assert "tiers.high: 'lol lol" in str(error.value) and "characters)" in str(error.value)
    assert len(str(error.value)) < 500


def test_an_unexpected_error_is_exit_2_not_a_violation(tmp_path, monkeypatch, capsys):
    """A traceback exited 1, which reads as "a model violates the policy"."""
    def broken(*args):
        raise RuntimeError("simulated fault")

    monkeypatch.setattr("model_health.services.governance.evaluate", broken)
    assert gate_here("--evidence", write(tmp_path / "evidence.yml", {"models": [passing_model()]})) == EXIT_INVALID
    assert "RuntimeError: simulated fault" in capsys.readouterr().err


@pytest.mark.parametrize("uri, message", [
    ("sqlite:///no/such/dir/x.db", "no such file {tmp}/no/such/dir/x.db; the gate reads an MLflow store, it does not "
                                   "create one"),
    ("sqlite:///empty.db", "empty.db is not an MLflow store (no registered_models table)"),
    ("sqlite:///notes.txt", "notes.txt cannot be read as a SQLite database (file is not a database)"),
    ("sqlite://", "an in-memory database holds no model"),
    ("mlflow.db", "is a file, not an MLflow store folder. For an MLflow SQLite database give --mlflow "
                  "sqlite:///{tmp}/mlflow.db"),
    ("no/such/folder", "no such file or folder"),
    ("file://{tmp}/folder", "not an MLflow store with a model registry (no models folder)"),
    ("folder", "not an MLflow store with a model registry (no models folder)"),
])
def test_the_gate_refuses_a_store_that_does_not_exist_and_creates_nothing(tmp_path, monkeypatch, capsys, uri,
                                                                          message):
    """`--mlflow sqlite:///no/such/dir/x.db` created the folders and a 950 KB store, then said "no model"."""
    import sqlite3

    monkeypatch.chdir(tmp_path)
    sqlite3.connect(tmp_path / "mlflow.db").execute("CREATE TABLE registered_models (name TEXT)").connection.close()
    (tmp_path / "empty.db").touch()
    (tmp_path / "notes.txt").write_text("not a database\n" * 10)
    (tmp_path / "folder").mkdir()
    before = sorted(tmp_path.rglob("*"))
    assert gate_here("--mlflow", uri.format(tmp=tmp_path)) == EXIT_INVALID
    assert f"error: {uri.format(tmp=tmp_path)}: {message.format(tmp=tmp_path)}" in capsys.readouterr().err
    assert sorted(tmp_path.rglob("*")) == before


def test_an_unreachable_tracking_server_is_an_error(monkeypatch, capsys):
    import socket

    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")  # MLflow retries for minutes by default
    with socket.socket() as bound_not_listening:  # connections to it are refused
        bound_not_listening.bind(("127.0.0.1", 0))
        uri = f"http://127.0.0.1:{bound_not_listening.getsockname()[1]}"
        assert gate_here("--mlflow", uri) == EXIT_INVALID
    assert f"error: cannot read the MLflow registry at {uri}: API request to" in capsys.readouterr().err


@pytest.fixture
def registry(tmp_path):
    """An empty MLflow store under tmp_path: (its URI, a client, a function that logs and registers a version)."""
    from mlflow import MlflowClient

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri)
    experiment = client.create_experiment("gate", artifact_location=(tmp_path / "artifacts").as_uri())
    (tmp_path / "model_card.md").write_text("# model card\n")

    def register(name, metrics, tags=(("risk_tier", "minimal"),)):
        run = client.create_run(experiment)
        for key, value in metrics.items():
            client.log_metric(run.info.run_id, key, value)
        for key, value in tags:
            client.set_tag(run.info.run_id, key, value)
        client.log_artifact(run.info.run_id, str(tmp_path / "model_card.md"))
        client.set_terminated(run.info.run_id)
        if not [model for model in client.search_registered_models() if model.name == name]:
            client.create_registered_model(name)
        return client.create_model_version(name, source=run.info.artifact_uri, run_id=run.info.run_id).version

    return uri, client, register


def test_a_model_the_gate_cannot_judge_is_an_error_and_holds_no_alias(registry, capsys):
    """A registered model without versions stopped the gate (max() of an empty sequence, exit 1) before any alias
    moved, so 'approved' stayed on a model whose new version failed."""
    uri, client, register = registry
    register("lending", {"roc_auc": 0.8})
    register("screening", {"roc_auc": 0.8})
    assert gate_here("--mlflow", uri, "--approve") == EXIT_PASSED
    assert [client.get_registered_model(name).aliases for name in ("lending", "screening")] == [{"approved": 1}] * 2
    register("lending", {"roc_auc": 0.5})  # version 2 fails
    register("screening", {"roc_auc": 0.9}, tags=())  # version 2 has no risk_tier: it cannot be judged
    client.create_registered_model("empty")  # no version at all
    capsys.readouterr()
    assert gate_here("--mlflow", uri, "--approve") == EXIT_INVALID
    out, err = capsys.readouterr()
    assert "REJECTED lending v2 (tier minimal)\n  - roc_auc: measured 0.5, allowed >= 0.6" in out
    assert f"error: {uri}: model 'empty' has no version to judge" in err
    assert f"error: {uri}: model 'screening' version 2: its run has no 'risk_tier' tag" in err
    assert "'lending': alias 'approved' removed from version 1 (version 2 was rejected)" in err
    assert "'screening': alias 'approved' removed from version 1 (its latest version could not be judged)" in err
    assert "'empty': no version carries the alias 'approved'" in err
    assert [client.get_registered_model(name).aliases for name in ("lending", "screening", "empty")] == [{}] * 3


def test_model_names_with_quotes_are_judged(registry, capsys):
    """A name with ' broke MLflow's filter string: a traceback, exit 1."""
    uri, client, register = registry
    for name in ("o'brien", 'the "best"', "both ' and \""):
        register(name, {"roc_auc": 0.8})
    register("o'brien", {"roc_auc": 0.7})
    assert gate_here("--mlflow", uri, "--approve") == EXIT_PASSED
    out = capsys.readouterr().out
    assert "APPROVED o'brien v2" in out and 'APPROVED the "best" v1' in out and "APPROVED both ' and \" v1" in out
    assert client.get_registered_model("o'brien").aliases == {"approved": 2}


def test_an_infinite_metric_logged_to_mlflow_is_rejected(registry, tmp_path, policy, capsys):
    """MLflow's SQL store keeps infinity as the largest float: disparate_impact = inf passed 'min: 0.8'."""
    uri, client, register = registry
    content = json.loads(json.dumps(policy))
    content["tiers"]["minimal"]["rules"].append({"metric": "disparate_impact", "min": 0.8})
    policy_path = write(tmp_path / "policy.yml", content)
    register("screening", {"roc_auc": 0.8, "disparate_impact": float("inf")})
    assert gate_here("--policy", policy_path, "--mlflow", uri, "--approve") == EXIT_VIOLATIONS
    assert "  - disparate_impact: measured inf, allowed >= 0.8 (unknown: disparate_impact is a ratio" in \
        capsys.readouterr().out
    assert client.get_registered_model("screening").aliases == {}
