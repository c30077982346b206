"""A model risk policy as data, and the gate that enforces it before deployment.

The policy (YAML, validated against ``policy/policy.schema.json``) sorts models into risk
tiers, each mapped to an EU AI Act category and the four NIST AI RMF functions, with the
metrics a model must meet, the mitigations it may use, the explanations and documents it
must have, and what is monitored after deployment. Evidence comes from MLflow (a run per
model version, registered in the model registry) or from a YAML/JSON file.

    python -m model_health gate --policy policy.yml --mlflow sqlite:///output/mlflow.db --approve
    python -m model_health gate --policy policy.yml --evidence evidence.yml

Exit codes: 0 every model passes; 1 at least one model violates the policy (each violation
is listed: model, rule, measured vs allowed); 2 the gate could not judge: an input is invalid
(a file that cannot be read, YAML that does not parse or repeats a key, a field the schema
rejects, a bound that is not a finite number, a tier the policy lacks), the MLflow store does
not exist or cannot be read, or a registered model's latest version cannot be judged (no
version, no run, no tier); the message names the file, the model and the field. Any error
is exit 2, never 1.

The gate fails closed: a metric that was not logged, is NaN, or is impossible (outside its
metric's domain, ``policy/metric_domains.yml``: a score of 7.5, an infinite ratio) fails its
rule; a gate never approves what it could not measure. With ``--approve`` the alias
``approved`` only ever points at a version this run approved: it moves to each approved latest
version and is removed from a model whose latest version was rejected or could not be judged
(stderr says what moved). The gate only reads a store: a SQLite file or folder that does not
exist is refused, not created. Against a tracking server, MLflow's own retries apply (set
``MLFLOW_HTTP_REQUEST_MAX_RETRIES`` and ``MLFLOW_HTTP_REQUEST_TIMEOUT`` to fail sooner).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import math
import sys
import traceback
from importlib import resources
from pathlib import Path
from urllib.parse import urlparse
from urllib.request import url2pathname

import pandas as pd
import yaml

from model_health._documents import DocumentReader, field_name, schema_problems, shorten, shown
from model_health._validation import as_real_number

__all__ = ["EXIT_INVALID", "EXIT_PASSED", "EXIT_VIOLATIONS", "PolicyError", "approve_in_mlflow", "checklist",
           "default_policy_path", "evaluate", "evidence_from_mlflow", "gate", "load_evidence", "load_policy",
           "report", "rule_passes", "validate_policy", "verdicts"]

EXIT_PASSED, EXIT_VIOLATIONS, EXIT_INVALID = 0, 1, 2
ARTIFACT_DOCUMENTS = {"model_card.md": "model_card", "datasheet.md": "datasheet"}
MAX_PROBLEMS_SHOWN = 20


class PolicyError(ValueError):
    """A policy or evidence input that cannot be used; the message names the file and the field."""


_READER = DocumentReader(PolicyError, "a policy or evidence file")


def default_policy_path() -> Path:
    """The workbook's example policy (``policy/policy.yml`` in the package)."""
    return Path(str(resources.files("model_health.services") / "policy" / "policy.yml"))


def _schema(name: str) -> dict:
    return json.loads((resources.files("model_health.services") / "policy" / f"{name}.schema.json").read_text("utf-8"))


@functools.cache
def _metric_domains() -> dict[str, dict]:
    """Each metric's domain, from ``policy/metric_domains.yml``: ``min``, ``max`` (absent: no upper bound) and
    ``about`` (what kind of number it is)."""
    domains = resources.files("model_health.services") / "policy" / "metric_domains.yml"
    declared = yaml.safe_load(domains.read_text("utf-8"))
    return {metric: declared["kinds"][kind] for metric, kind in declared["metrics"].items()}


def _domain_text(metric: str) -> str:
    """What values ``metric`` can take, in words: "roc_auc is a score or a rate, in [0, 1]"."""
    domain = _metric_domains()[metric]
    span = f"in [{domain['min']}, {domain['max']}]" if "max" in domain else f"finite and >= {domain['min']}"
    return f"{metric} is {domain['about']}, {span}"


def _possible(metric: str, value: float) -> bool:
    domain = _metric_domains()[metric]
    return math.isfinite(value) and domain["min"] <= value <= domain.get("max", math.inf)


def _validate(instance, schema_name: str, source) -> None:
    problems = schema_problems(instance, _schema(schema_name))
    if problems:
        lines = [f"{source}: {problem}" for problem in problems[:MAX_PROBLEMS_SHOWN]]
        if len(problems) > MAX_PROBLEMS_SHOWN:
            lines.append(f"... and {len(problems) - MAX_PROBLEMS_SHOWN} more")
        raise PolicyError(f"{len(problems)} problem(s) in {source}:\n" + "\n".join(f"  - {line}" for line in lines))


def _floats(value, path=()):
    """(path, number) for each float in a parsed document."""
    if isinstance(value, float):
        yield path, value
    for key, item in value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ():
        yield from _floats(item, (*path, key))


def _check_rule(rule: dict, where: str) -> None:
    """Raise :class:`PolicyError` (prefixed by ``where``) if ``rule`` bounds nothing, has a bound that is not a
    finite number, or can be met by no value (min above max, or outside its metric's domain)."""
    bounds = {key: rule[key] for key in ("min", "max", "max_abs") if key in rule}
    if not bounds:
        raise PolicyError(f"{where}: a rule must bound something: give min and/or max, or max_abs.")
    if "max_abs" in bounds and len(bounds) > 1:
        raise PolicyError(f"{where}: give max_abs alone, or min and/or max.")
    for key, bound in bounds.items():
        try:
            as_real_number(key, bound)
        except ValueError as error:
            raise PolicyError(f"{where}: {error}") from None
    low, high = bounds.get("min", -math.inf), bounds.get("max", math.inf)
    if low > high:
        raise PolicyError(f"{where}: min {low} is above max {high}; no value can pass.")
    if bounds.get("max_abs", 0) < 0:
        raise PolicyError(f"{where}: max_abs {bounds['max_abs']} is negative; no value can pass.")
    if "metric" in rule:
        metric = rule["metric"]
        if metric not in _metric_domains():
            raise PolicyError(f"{where}: unknown metric {shown(metric)}; one of {sorted(_metric_domains())}.")
        domain = _metric_domains()[metric]
        if low > domain.get("max", math.inf) or high < domain["min"]:
            raise PolicyError(f"{where}: {_domain_text(metric)}; no value can pass {_rule_text(rule)}.")


def validate_policy(policy: dict, source="the policy") -> None:
    """Raise :class:`PolicyError`, naming ``source`` and the field, if ``policy`` breaks its schema, has a number
    that is NaN or infinite, or has a rule no value can meet (``max_abs`` beside ``min``/``max``, ``min`` above
    ``max``, a bound outside its metric's domain)."""
    _validate(policy, "policy", source)
    for path, number in _floats(policy):
        try:
            as_real_number(field_name(path), number)
        except ValueError as error:
            raise PolicyError(f"{source}: {error}") from None
    for tier, spec in policy["tiers"].items():
        for position, rule in enumerate(spec["rules"]):
            _check_rule(rule, f"{source}: tiers.{tier}.rules[{position}]")


def load_policy(path=None) -> dict:
    """The policy in ``path`` (default: the workbook's example), validated (:func:`validate_policy`)."""
    path = Path(path) if path is not None else default_policy_path()
    policy = _READER.read(path)
    validate_policy(policy, path)
    return policy


def load_evidence(path) -> list[dict]:
    """The models described in an evidence file (YAML or JSON), validated against its schema."""
    evidence = _READER.read(path)
    _validate(evidence, "evidence", path)
    return evidence["models"]


def _check_store_exists(tracking_uri: str) -> None:
    """Refuse a local MLflow store that does not exist. MLflow creates one on first use (a SQLite database with
    its folders, or a folder tree); a gate only reads, and a new empty store would hide a typo behind "no model"."""
    scheme = urlparse(tracking_uri).scheme
    if scheme == "sqlite":
        _check_sqlite_store(tracking_uri)
    elif scheme in ("", "file") or len(scheme) == 1:  # a path (a one-letter scheme is a Windows drive)
        path = Path(url2pathname(urlparse(tracking_uri).path)) if scheme == "file" else Path(tracking_uri)
        sqlite_uri = f"sqlite:///{path.absolute()}" if path.is_file() else "sqlite:///path/to/mlflow.db"
        if not path.is_dir():
            problem = "is a file, not an MLflow store folder" if path.is_file() else "no such file or folder"
            raise PolicyError(f"{tracking_uri}: {problem}. For an MLflow SQLite database give --mlflow {sqlite_uri}.")
        if not (path / "models").is_dir():
            raise PolicyError(f"{tracking_uri}: not an MLflow store with a model registry (no models folder), so no "
                              f"model to judge. For an MLflow SQLite database give --mlflow {sqlite_uri}.")


def _check_sqlite_store(tracking_uri: str) -> None:
    import sqlite3

    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        database = make_url(tracking_uri).database
    except ArgumentError as error:
        raise PolicyError(f"{tracking_uri}: not a database URI ({error}).") from None
    if not database or database == ":memory:":
        raise PolicyError(f"{tracking_uri}: an in-memory database holds no model; give the database file, "
                          "sqlite:///path/to/mlflow.db.")
    path = Path(database)
    if not path.is_file():
        raise PolicyError(f"{tracking_uri}: no such file {path.absolute()}; the gate reads an MLflow store, it does "
                          "not create one. After sqlite:/// comes a relative path, after sqlite://// an absolute one.")
    try:  # read-only: MLflow would add its tables to any SQLite file it is given
        with contextlib.closing(sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True)) as connection:
            tables = {name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError as error:
        raise PolicyError(f"{tracking_uri}: {path} cannot be read as a SQLite database ({error}).") from None
    if "registered_models" not in tables:
        raise PolicyError(f"{tracking_uri}: {path} is not an MLflow store (no registered_models table), so no model "
                          "to judge.")


def _registry(tracking_uri: str):
    """An MlflowClient on the store at ``tracking_uri``, which must exist (:func:`_check_store_exists`)."""
    _check_store_exists(tracking_uri)
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=tracking_uri)


def _every_page(search, **arguments) -> list:
    """Every result of an MLflow search (one call returns one page)."""
    results, token = [], None
    while True:
        page = search(**arguments, page_token=token)
        results += page
        token = page.token
        if not token:
            return results


def _model_names(client, tracking_uri: str, names=None) -> list[str]:
    """``names`` (default: every registered model), each checked to be registered."""
    registered = sorted(model.name for model in _every_page(client.search_registered_models))
    names = registered if names is None else list(dict.fromkeys(names))
    missing = sorted(set(names) - set(registered))
    if missing:
        raise PolicyError(f"{tracking_uri}: no registered model named {shorten(repr(missing), 200)}; registered: "
                          f"{shorten(repr(registered), 200)}.")
    if not names:
        raise PolicyError(f"{tracking_uri}: the registry holds no model: register one with mlflow.register_model.")
    return names


def _latest_version(client, tracking_uri: str, name: str):
    # A filter string cannot escape a quote: quote the name with a kind it lacks; a name with both kinds is
    # matched with LIKE (where _ stands for any one character), keeping the versions of exactly this name.
    if "'" not in name:
        query = f"name = '{name}'"
    elif '"' not in name:
        query = f'name = "{name}"'
    else:
        query = "name LIKE '{}'".format(name.replace("'", "_").replace('"', "_"))
    versions = [version for version in _every_page(client.search_model_versions, filter_string=query)
                if version.name == name]
    if not versions:
        raise PolicyError(f"{tracking_uri}: model {shown(name)} has no version to judge; register one with "
                          "mlflow.register_model, or delete the empty model.")
    return max(versions, key=lambda version: int(version.version))


def _model_evidence(client, tracking_uri: str, name: str) -> dict:
    """The evidence for the latest version of registered model ``name`` (see :func:`evidence_from_mlflow`)."""
    version = _latest_version(client, tracking_uri, name)
    where = f"{tracking_uri}: model {shown(name)} version {version.version}"
    if not version.run_id:
        raise PolicyError(f"{where}: has no run, so no evidence; register the model from the run that logged its "
                          "metrics (mlflow.register_model('runs:/<run_id>/model', name)).")
    run = client.get_run(version.run_id)
    tags = run.data.tags
    if "risk_tier" not in tags:
        raise PolicyError(f"{where}: its run has no 'risk_tier' tag; set it with mlflow.set_tag('risk_tier', ...).")
    artifacts = {artifact.path for artifact in client.list_artifacts(run.info.run_id)}
    # MLflow's SQL store keeps an infinite metric as the largest float: read it back as the infinity it was.
    metrics = {key: math.copysign(math.inf, value) if abs(value) == sys.float_info.max else value
               for key, value in run.data.metrics.items()}
    item = {
        "model": name, "version": str(version.version), "tier": tags["risk_tier"], "run_id": run.info.run_id,
        "metrics": metrics, "mitigation": tags.get("mitigation") or None,
        "explainability": sorted(filter(None, tags.get("explainability", "").split(","))),
        "documentation": sorted(kind for path, kind in ARTIFACT_DOCUMENTS.items() if path in artifacts),
        "dataset_digest": tags.get("dataset_digest", ""),
    }
    _validate({"models": [item]}, "evidence", where)
    return item


def evidence_from_mlflow(tracking_uri: str, names=None) -> list[dict]:
    """Evidence for the latest version of each registered model (or of ``names``) in an MLflow store.

    From the version's run: metrics as logged; tags ``risk_tier``, ``mitigation``,
    ``explainability`` (comma-separated: ``global,local``) and ``dataset_digest``; the
    artifacts ``model_card.md`` and ``datasheet.md`` count as documentation. Raises
    :class:`PolicyError` if the store does not exist (it is never created) or a model
    cannot be judged (no version, no run, no ``risk_tier``).
    """
    client = _registry(tracking_uri)
    return [_model_evidence(client, tracking_uri, name) for name in _model_names(client, tracking_uri, names)]


def _rule_text(rule: dict) -> str:
    if "max_abs" in rule:
        return f"|value| <= {rule['max_abs']}"
    return " and ".join(text for key, text in (("min", f">= {rule.get('min')}"), ("max", f"<= {rule.get('max')}"))
                        if key in rule)


def rule_passes(rule: dict, value: float) -> bool:
    """Whether ``value`` meets a policy rule (``min`` and/or ``max``, or ``max_abs``).

    A NaN or infinite value never does, nor, when the rule names its ``metric``, a value
    outside that metric's domain. A rule that bounds nothing, or that no value can meet,
    raises :class:`PolicyError`.

    Examples
    --------
    >>> rule_passes({"metric": "roc_auc", "min": 0.7}, 0.81)
    True
    >>> rule_passes({"metric": "roc_auc", "min": 0.7}, 7.5)
    False
    """
    _check_rule(rule, f"rule {shorten(repr(rule), 200)}")
    value = as_real_number("value", value, finite=False)
    if not math.isfinite(value) or ("metric" in rule and not _possible(rule["metric"], value)):
        return False
    if "max_abs" in rule:
        return abs(value) <= rule["max_abs"]
    return rule.get("min", -math.inf) <= value <= rule.get("max", math.inf)


def evaluate(policy: dict, evidence: list[dict]) -> pd.DataFrame:
    """One row per (model, requirement): measured, allowed, status ("pass", "fail" or "unknown") and reason.

    A metric that was not logged fails ("missing"); one logged as NaN or null, or outside its
    metric's domain (impossible), is "unknown", which the gate treats as a failure; ``reason``
    says why (empty otherwise).
    """
    rows = []
    for item in evidence:
        if item["tier"] not in policy["tiers"]:
            raise PolicyError(f"evidence for model {shown(item['model'])}: tier {shown(item['tier'])} is not in the "
                              f"policy (tiers: {', '.join(policy['tiers'])}).")
        tier = policy["tiers"][item["tier"]]
        base = {"model": item["model"], "version": str(item.get("version", "")), "tier": item["tier"]}
        for rule in tier["rules"]:
            metric, value, reason = rule["metric"], item["metrics"].get(rule["metric"]), ""
            if metric not in item["metrics"]:
                status, measured = "fail", "missing"
            elif value is None or math.isnan(value):
                status, measured, reason = "unknown", "NaN", "a NaN measurement fails"
            elif not _possible(metric, value):
                status, measured = "unknown", f"{value:.4g}"
                reason = f"{_domain_text(metric)}: an impossible measurement fails"
            else:
                status, measured = ("pass" if rule_passes(rule, value) else "fail"), f"{value:.4g}"
            rows.append({**base, "requirement": metric, "measured": measured, "allowed": _rule_text(rule),
                         "status": status, "reason": reason})
        mitigation = item.get("mitigation")
        rows.append({**base, "requirement": "mitigation", "measured": mitigation or "none",
                     "allowed": "none or " + ", ".join(tier["mitigations"]),
                     "status": "pass" if mitigation in (None, *tier["mitigations"]) else "fail", "reason": ""})
        for field, required in (("explainability", tier["explainability"]), ("documentation", tier["documentation"])):
            given = set(item.get(field, []))
            lacking = [kind for kind in required if kind not in given]
            rows.append({**base, "requirement": field, "measured": ", ".join(sorted(given)) or "none",
                         "allowed": ", ".join(required) or "nothing required",
                         "status": "fail" if lacking else "pass", "reason": ""})
    return pd.DataFrame(rows, columns=["model", "version", "tier", "requirement", "measured", "allowed", "status",
                                       "reason"])


def verdicts(findings: pd.DataFrame) -> pd.Series:
    """"approved" for each model whose every requirement passed, else "rejected" (sorted by model)."""
    passed = findings.assign(ok=findings["status"].eq("pass")).groupby("model")["ok"].all()
    return passed.map({True: "approved", False: "rejected"}).rename("verdict")


def approve_in_mlflow(tracking_uri: str, findings: pd.DataFrame, evidence: list[dict], alias: str = "approved",
                      unjudged=()) -> tuple[list[str], list[str]]:
    """Point ``alias`` at each approved model version; take it away from a rejected model, and from each model in
    ``unjudged`` (its latest version could not be judged, so the gate approves none of its versions).

    Returns what was done and what failed, a line per model: every model is tried, and the
    alias only ever stays on a version this run approved unless a failure says otherwise.
    """
    from mlflow.exceptions import MlflowException

    client = _registry(tracking_uri)
    decided = verdicts(findings)
    versions = {item["model"]: item["version"] for item in evidence}
    done, failed = [], []
    for model in [*decided.index, *unjudged]:
        approved = model in decided.index and decided[model] == "approved"
        why = f"version {versions[model]} was rejected" if model in decided.index else \
            "its latest version could not be judged"
        try:
            if approved:
                client.set_registered_model_alias(model, alias, versions[model])
                done.append(f"{shown(model)}: alias '{alias}' on version {versions[model]} (approved)")
                continue
            held = client.get_registered_model(model).aliases.get(alias)
            if held is not None:
                client.delete_registered_model_alias(model, alias)
                done.append(f"{shown(model)}: alias '{alias}' removed from version {held} ({why})")
            elif model not in decided.index:
                done.append(f"{shown(model)}: no version carries the alias '{alias}' ({why})")
        except MlflowException as error:
            failed.append(f"{shown(model)}: " + (f"could not set the alias '{alias}' on version {versions[model]}"
                                          if approved else f"could not check or remove the alias '{alias}' ({why}); "
                                          "it may still be on an older version") + f": {shorten(str(error), 300)}")
    return done, failed


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
                         f"{f' ({row.status}: {row.reason})' if row.reason else ''}")
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


def _exit_code(findings: pd.DataFrame) -> int:
    return EXIT_PASSED if (verdicts(findings) == "approved").all() else EXIT_VIOLATIONS


def _gate_mlflow(policy: dict, tracking_uri: str, names, approve: bool) -> int:
    """Judge each model of the registry on its own: one that cannot be judged is an error (exit 2) that does not
    stop the others being judged, nor their aliases moving."""
    from mlflow.exceptions import MlflowException

    try:
        client = _registry(tracking_uri)
        names = _model_names(client, tracking_uri, names)
    except PolicyError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_INVALID
    except MlflowException as error:
        print(f"error: cannot read the MLflow registry at {tracking_uri}: {shorten(str(error), 500)}",
              file=sys.stderr)
        return EXIT_INVALID
    evidence, judged, unjudged = [], [], {}
    for name in names:
        try:
            item = _model_evidence(client, tracking_uri, name)
            judged.append(evaluate(policy, [item]))
            evidence.append(item)
        except PolicyError as error:
            unjudged[name] = str(error)
        except MlflowException as error:
            unjudged[name] = f"{tracking_uri}: model {shown(name)}: {shorten(str(error), 500)}"
    findings = pd.concat(judged, ignore_index=True) if judged else evaluate(policy, [])
    if judged:
        print(report(findings))
    for problem in unjudged.values():
        print(f"error: {problem}", file=sys.stderr)
    failed = []
    if approve:
        done, failed = approve_in_mlflow(tracking_uri, findings, evidence, unjudged=list(unjudged))
        for line in [*done, *(f"error: {line}" for line in failed)]:
            print(line, file=sys.stderr)
    return EXIT_INVALID if unjudged or failed else _exit_code(findings)


def gate(argv=None) -> int:
    """``python -m model_health gate``: check models against the policy; see the module docstring."""
    parser = argparse.ArgumentParser(prog="python -m model_health gate",
                                     description="Check model candidates against the risk policy. Exit codes: 0 all "
                                                 "approved, 1 a model violates the policy, 2 the gate could not judge "
                                                 "(invalid input, a store that cannot be read, a model that cannot "
                                                 "be judged).")
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
        if args.mlflow:
            return _gate_mlflow(policy, args.mlflow, args.model, args.approve)
        findings = evaluate(policy, load_evidence(args.evidence))
    except PolicyError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_INVALID
    except Exception:  # the exit code is the verdict: a crash is "could not judge" (2), never "violates" (1)
        print(f"{traceback.format_exc()}error: the gate stopped on the unexpected error above; no verdict.",
              file=sys.stderr)
        return EXIT_INVALID
    print(report(findings))
    return _exit_code(findings)
