"""A model risk policy as data, and the gate that enforces it before deployment.

The policy (YAML, validated against ``policy/policy.schema.json``) sorts models into risk
tiers, each mapped to an EU AI Act category and the four NIST AI RMF functions, with the
metrics a model must meet, the mitigations it may use, the explanations and documents it
must have, and what is monitored after deployment. Evidence comes from MLflow (a run per
model version, registered in the model registry) or from a YAML/JSON file.

    python -m model_health gate --policy policy.yml --mlflow sqlite:///output/mlflow.db --approve
    python -m model_health gate --policy policy.yml --evidence evidence.yml

Exit codes: 0 every model passes; 1 at least one model violates the policy (each violation
is listed: model, rule, measured vs allowed); 2 the input is invalid (a file that cannot be
read, YAML that does not parse, a field the schema rejects, a tier the policy lacks): the
message names the file and the field. A missing or NaN measurement fails its rule ("fail
closed"): a gate never approves what it could not measure.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from importlib import resources
from pathlib import Path

import pandas as pd

__all__ = ["EXIT_INVALID", "EXIT_PASSED", "EXIT_VIOLATIONS", "PolicyError", "approve_in_mlflow", "checklist",
           "default_policy_path", "evaluate", "evidence_from_mlflow", "gate", "load_evidence", "load_policy",
           "report", "rule_passes", "validate_policy", "verdicts"]

EXIT_PASSED, EXIT_VIOLATIONS, EXIT_INVALID = 0, 1, 2
ARTIFACT_DOCUMENTS = {"model_card.md": "model_card", "datasheet.md": "datasheet"}


class PolicyError(ValueError):
    """A policy or evidence input that cannot be used; the message names the file and the field."""


def default_policy_path() -> Path:
    """The workbook's example policy (``policy/policy.yml`` in the package)."""
    return Path(str(resources.files("model_health") / "policy" / "policy.yml"))


def _schema(name: str) -> dict:
    return json.loads((resources.files("model_health") / "policy" / f"{name}.schema.json").read_text("utf-8"))


def _read(path) -> object:
    import yaml

    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PolicyError(f"{path}: no such file.") from None
    except (IsADirectoryError, UnicodeDecodeError) as error:
        raise PolicyError(f"{path}: cannot be read as text ({error}).") from None
    try:
        return json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as error:
        raise PolicyError(f"{path}: not valid {'JSON' if path.suffix == '.json' else 'YAML'}: {error}") from None


def _field(path) -> str:
    """jsonschema's error path as a field name: tiers.high.rules[1].metric."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f"{'.' if text else ''}{part}"
    return text or "(top level)"


def _validate(instance, schema_name: str, source) -> None:
    from jsonschema import Draft202012Validator

    errors = sorted(Draft202012Validator(_schema(schema_name)).iter_errors(instance), key=lambda e: list(e.path))
    if errors:
        lines = [f"{source}: {_field(error.path)}: {error.message}" for error in errors]
        raise PolicyError(f"{len(errors)} problem(s) in {source}:\n" + "\n".join(f"  - {line}" for line in lines))


def validate_policy(policy: dict, source="the policy") -> None:
    """Raise :class:`PolicyError`, naming ``source`` and the field, if ``policy`` breaks its schema or a rule
    can't be met (``max_abs`` beside ``min``/``max``, or ``min`` above ``max``)."""
    _validate(policy, "policy", source)
    for tier, rules in ((name, tier["rules"]) for name, tier in policy["tiers"].items()):
        for position, rule in enumerate(rules):
            if "max_abs" in rule and ({"min", "max"} & set(rule)):
                raise PolicyError(f"{source}: tiers.{tier}.rules[{position}]: give max_abs alone, or min and/or max.")
            if rule.get("min", -math.inf) > rule.get("max", math.inf):
                raise PolicyError(f"{source}: tiers.{tier}.rules[{position}]: min {rule['min']} is above max "
                                  f"{rule['max']}; no value can pass.")


def load_policy(path=None) -> dict:
    """The policy in ``path`` (default: the workbook's example), validated (:func:`validate_policy`)."""
    path = Path(path) if path is not None else default_policy_path()
    policy = _read(path)
    validate_policy(policy, path)
    return policy


def load_evidence(path) -> list[dict]:
    """The models described in an evidence file (YAML or JSON), validated against its schema."""
    evidence = _read(path)
    _validate(evidence, "evidence", path)
    return evidence["models"]


def evidence_from_mlflow(tracking_uri: str, names=None) -> list[dict]:
    """Evidence for the latest version of each registered model (or of ``names``) in an MLflow store.

    From the version's run: metrics as logged; tags ``risk_tier``, ``mitigation``,
    ``explainability`` (comma-separated: ``global,local``) and ``dataset_digest``; the
    artifacts ``model_card.md`` and ``datasheet.md`` count as documentation.
    """
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=tracking_uri)
    registered = sorted(model.name for model in client.search_registered_models())
    names = registered if names is None else list(names)
    missing = sorted(set(names) - set(registered))
    if missing:
        raise PolicyError(f"{tracking_uri}: no registered model named {missing}; registered: {registered}.")
    if not names:
        raise PolicyError(f"{tracking_uri}: the registry holds no model: register one with mlflow.register_model.")
    models = []
    for name in names:
        version = max(client.search_model_versions(f"name = '{name}'"), key=lambda v: int(v.version))
        run = client.get_run(version.run_id)
        tags = run.data.tags
        if "risk_tier" not in tags:
            raise PolicyError(f"{tracking_uri}: model {name!r} version {version.version}: its run has no "
                              "'risk_tier' tag; set it with mlflow.set_tag('risk_tier', ...).")
        artifacts = {artifact.path for artifact in client.list_artifacts(run.info.run_id)}
        models.append({
            "model": name, "version": str(version.version), "tier": tags["risk_tier"], "run_id": run.info.run_id,
            "metrics": dict(run.data.metrics), "mitigation": tags.get("mitigation") or None,
            "explainability": sorted(filter(None, tags.get("explainability", "").split(","))),
            "documentation": sorted(kind for path, kind in ARTIFACT_DOCUMENTS.items() if path in artifacts),
            "dataset_digest": tags.get("dataset_digest", ""),
        })
    _validate({"models": models}, "evidence", tracking_uri)
    return models


def _rule_text(rule: dict) -> str:
    if "max_abs" in rule:
        return f"|value| <= {rule['max_abs']}"
    return " and ".join(text for key, text in (("min", f">= {rule.get('min')}"), ("max", f"<= {rule.get('max')}"))
                        if key in rule)


def rule_passes(rule: dict, value: float) -> bool:
    """Whether ``value`` meets a policy rule (``min`` and/or ``max``, or ``max_abs``)."""
    if "max_abs" in rule:
        return abs(value) <= rule["max_abs"]
    return rule.get("min", -math.inf) <= value <= rule.get("max", math.inf)


def evaluate(policy: dict, evidence: list[dict]) -> pd.DataFrame:
    """One row per (model, requirement): measured, allowed and status ("pass", "fail" or "unknown").

    A metric that was not logged fails ("missing"); one logged as NaN or null is "unknown",
    which the gate treats as a failure.
    """
    rows = []
    for item in evidence:
        if item["tier"] not in policy["tiers"]:
            raise PolicyError(f"evidence for model {item['model']!r}: tier {item['tier']!r} is not in the policy "
                              f"(tiers: {', '.join(policy['tiers'])}).")
        tier = policy["tiers"][item["tier"]]
        base = {"model": item["model"], "version": str(item.get("version", "")), "tier": item["tier"]}
        for rule in tier["rules"]:
            value = item["metrics"].get(rule["metric"], "missing")
            if value == "missing":
                status, measured = "fail", "missing"
            elif value is None or (isinstance(value, float) and math.isnan(value)):
                status, measured = "unknown", "NaN"
            else:
                status, measured = ("pass" if rule_passes(rule, value) else "fail"), f"{value:.4g}"
            rows.append({**base, "requirement": rule["metric"], "measured": measured, "allowed": _rule_text(rule),
                         "status": status})
        mitigation = item.get("mitigation")
        rows.append({**base, "requirement": "mitigation", "measured": mitigation or "none",
                     "allowed": "none or " + ", ".join(tier["mitigations"]),
                     "status": "pass" if mitigation in (None, *tier["mitigations"]) else "fail"})
        for field, required in (("explainability", tier["explainability"]), ("documentation", tier["documentation"])):
            shown = set(item.get(field, []))
            lacking = [kind for kind in required if kind not in shown]
            rows.append({**base, "requirement": field, "measured": ", ".join(sorted(shown)) or "none",
                         "allowed": ", ".join(required) or "nothing required",
                         "status": "fail" if lacking else "pass"})
    return pd.DataFrame(rows, columns=["model", "version", "tier", "requirement", "measured", "allowed", "status"])


def verdicts(findings: pd.DataFrame) -> pd.Series:
    """"approved" for each model whose every requirement passed, else "rejected" (sorted by model)."""
    passed = findings.assign(ok=findings["status"].eq("pass")).groupby("model")["ok"].all()
    return passed.map({True: "approved", False: "rejected"}).rename("verdict")


def approve_in_mlflow(tracking_uri: str, findings: pd.DataFrame, evidence: list[dict], alias: str = "approved") -> None:
    """Point ``alias`` at each approved model version; take it away from a rejected model."""
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=tracking_uri)
    decided = verdicts(findings)
    for item in evidence:
        if decided[item["model"]] == "approved":
            client.set_registered_model_alias(item["model"], alias, item["version"])
        elif alias in client.get_registered_model(item["model"]).aliases:
            client.delete_registered_model_alias(item["model"], alias)


def report(findings: pd.DataFrame) -> str:
    """The gate's verdicts in words: each rejected model with every rule it broke, measured vs allowed."""
    lines = []
    decided = verdicts(findings)
    for model, verdict in decided.items():
        rows = findings[findings["model"] == model]
        first = rows.iloc[0]
        version = f" v{first['version']}" if first["version"] else ""
        lines.append(f"{verdict.upper()} {model}{version} (tier {first['tier']})")
        for row in rows[rows["status"] != "pass"].itertuples():
            lines.append(f"  - {row.requirement}: measured {row.measured}, allowed {row.allowed}"
                         f"{' (unknown: a NaN measurement fails)' if row.status == 'unknown' else ''}")
    rejected = int((decided == "rejected").sum())
    lines.append(f"{rejected} of {len(decided)} model(s) rejected." if rejected else
                 f"All {len(decided)} model(s) approved.")
    return "\n".join(lines)


def checklist(policy: dict, tier: str, stage: str) -> str:
    """The review board's checklist (Markdown) for a tier, "pre-deployment" or "post-deployment"."""
    from model_health.reports import render

    if stage not in ("pre-deployment", "post-deployment"):
        raise ValueError(f"`stage` is 'pre-deployment' or 'post-deployment', got {stage!r}.")
    if tier not in policy["tiers"]:
        raise ValueError(f"{tier!r} is not a tier of the policy: {list(policy['tiers'])}.")
    spec = policy["tiers"][tier]
    rules = [f"{rule['metric']} {_rule_text(rule)}" for rule in spec["rules"]]
    return render("review_checklist", tier=tier, stage=stage, spec=spec, rules=rules)


def gate(argv=None) -> int:
    """``python -m model_health gate``: check models against the policy; see the module docstring."""
    parser = argparse.ArgumentParser(prog="python -m model_health gate",
                                     description="Check model candidates against the risk policy. Exit codes: 0 all "
                                                 "approved, 1 a model violates the policy, 2 invalid input.")
    parser.add_argument("--policy", default=None, help="policy YAML (default: the workbook's example policy)")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--evidence", help="evidence file (YAML or JSON)")
    source.add_argument("--mlflow", metavar="TRACKING_URI", help="read the evidence from this MLflow store")
    parser.add_argument("--model", action="append", help="only this registered model (repeatable; with --mlflow)")
    parser.add_argument("--approve", action="store_true",
                        help="with --mlflow: set the alias 'approved' on each approved version, remove it otherwise")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return EXIT_PASSED if exit_.code == 0 else EXIT_INVALID  # --help, or a usage error argparse printed
    if args.approve and not args.mlflow:
        print("error: --approve needs --mlflow (aliases live in the MLflow registry).", file=sys.stderr)
        return EXIT_INVALID
    try:
        policy = load_policy(args.policy)
        evidence = evidence_from_mlflow(args.mlflow, args.model) if args.mlflow else load_evidence(args.evidence)
        findings = evaluate(policy, evidence)
    except PolicyError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_INVALID
    print(report(findings))
    if args.approve:
        approve_in_mlflow(args.mlflow, findings, evidence)
    return EXIT_PASSED if (verdicts(findings) == "approved").all() else EXIT_VIOLATIONS
