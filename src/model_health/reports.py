"""Governance documents from audit results: a model card, a monitoring playbook, KPIs and a
risk assessment that must be internally consistent.

Documents are Jinja2 templates (``templates/*.md.j2``) rendered to Markdown, then to HTML
with the ``markdown`` package; both are written side by side.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from importlib import resources
from pathlib import Path

import pandas as pd

from model_health._validation import as_option, as_real_number, check_columns

__all__ = ["RECOMMENDATIONS", "SEVERITIES", "check_risk_assessment", "evaluate_kpis", "kpi_named_in", "render",
           "render_html", "write_report"]

TEMPLATES = resources.files("model_health") / "templates"  # packaged, wherever the package is installed
RECOMMENDATIONS = ("go", "go with conditions", "no-go")
SEVERITIES = ("low", "medium", "high")
KPI_KEYS = ("name", "kind", "threshold", "direction")


def _environment():
    from jinja2 import Environment, PackageLoader, StrictUndefined

    # StrictUndefined: a missing field is an error, never a silently empty section.
    return Environment(loader=PackageLoader("model_health", "templates"), undefined=StrictUndefined,
                       keep_trailing_newline=True,
                       autoescape=False)


def render(template: str, **context) -> str:
    """Render ``templates/<template>.md.j2`` to Markdown."""
    from jinja2 import UndefinedError

    try:
        return _environment().get_template(f"{template}.md.j2").render(**context)
    except UndefinedError as missing:
        raise ValueError(f"The {template} template needs a value the context lacks: {missing}.") from None


def render_html(template: str, **context) -> str:
    """Render ``templates/<template>.html.j2``, escaping every value (names and labels are data)."""
    environment = _environment()
    environment.autoescape = True
    return environment.get_template(f"{template}.html.j2").render(**context)


def write_report(folder, name: str, template: str, **context) -> dict[str, Path]:
    """Write ``<name>.md`` and ``<name>.html`` into ``folder``; return both paths.

    Examples
    --------
    >>> import tempfile
    >>> paths = write_report(tempfile.mkdtemp(), "playbook", "monitoring_playbook", model_name="demo",
    ...                      kpis=[], escalation=[], rollback=["Switch traffic to the previous version."])
    >>> sorted(paths)
    ['html', 'md']
    """
    import markdown

    text = render(template, **context)
    title = text.splitlines()[0].lstrip("# ")
    body = markdown.markdown(text, extensions=["tables"])
    page = _environment().get_template("page.html.j2").render(title=title, body=body)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {"md": folder / f"{name}.md", "html": folder / f"{name}.html"}
    paths["md"].write_text(text, encoding="utf-8")
    paths["html"].write_text(page, encoding="utf-8")
    return paths


def _measured_value(name: str, measured) -> float:
    """The measured value of KPI ``name`` as a float; NaN for NaN, None or pd.NA (not measured)."""
    if name not in measured:
        raise ValueError(f"KPI '{name}' has no measured value; measured are {sorted(map(str, measured.keys()))}.")
    value = measured[name]
    if value is None or value is pd.NA:
        return math.nan
    return as_real_number(f"measured['{name}']", value, finite=False)


def _validated_kpi(position: int, kpi) -> dict:
    if not isinstance(kpi, dict) or sorted(kpi) != sorted(KPI_KEYS):
        raise ValueError(f"KPI {position} should be a dict with exactly the keys {list(KPI_KEYS)}, got {kpi!r}.")
    if not isinstance(kpi["name"], str) or not kpi["name"]:
        raise ValueError(f"KPI {position}: 'name' should be a non-empty str (a key of `measured`), "
                         f"got {kpi['name']!r}.")
    if kpi["kind"] not in ("performance", "fairness"):
        raise ValueError(f"KPI '{kpi['name']}': 'kind' must be in ('performance', 'fairness') (got {kpi['kind']!r}).")
    if kpi["direction"] not in ("min", "max"):
        raise ValueError(f"KPI '{kpi['name']}': 'direction' must be in ('min', 'max') (got {kpi['direction']!r}).")
    as_real_number(f"kpis[{position}]['threshold']", kpi["threshold"])
    return kpi


def evaluate_kpis(kpis: list[dict], measured: Mapping[str, float]) -> pd.DataFrame:
    """Compare each KPI with its measured value: ``direction`` "min" fails below, "max" above.

    A measured value that is NaN (or None, pd.NA) cannot be compared: its status is
    "unknown", never "failed" or "passed", and ``reason`` says why.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``name``: the KPI's ``kind``, ``threshold`` and ``direction``, then ``value``,
        ``passed`` (nullable boolean, ``pd.NA`` when unknown), ``status`` ("passed", "failed",
        "unknown") and ``reason`` (empty unless unknown).

    Examples
    --------
    >>> evaluate_kpis([{"name": "recall", "kind": "performance", "threshold": 0.8, "direction": "min"}],
    ...               {"recall": 0.75})[["value", "passed", "status"]]
            value  passed  status
    name                         
    recall   0.75   False  failed
    >>> evaluate_kpis([{"name": "recall", "kind": "performance", "threshold": 0.8, "direction": "min"}],
    ...               {"recall": float("nan")})[["passed", "status", "reason"]].iloc[0].tolist()
    [<NA>, 'unknown', 'the measured value is NaN, so it cannot be compared with the threshold']
    """
    if not isinstance(kpis, list) or not kpis:
        raise ValueError(f"`kpis` should be a non-empty list of dicts, got {type(kpis).__name__}.")
    if not isinstance(measured, (Mapping, pd.Series)):
        raise ValueError(f"`measured` should be a dict of KPI name -> measured value, got {type(measured).__name__}.")
    rows = []
    for position, kpi in enumerate(kpis):
        kpi = _validated_kpi(position, kpi)
        value = _measured_value(kpi["name"], measured)
        if math.isnan(value):
            passed, status = pd.NA, "unknown"
            reason = "the measured value is NaN, so it cannot be compared with the threshold"
        else:
            passed = value >= kpi["threshold"] if kpi["direction"] == "min" else value <= kpi["threshold"]
            passed, status, reason = bool(passed), "passed" if passed else "failed", ""
        rows.append({**kpi, "value": value, "passed": passed, "status": status, "reason": reason})
    names = [row["name"] for row in rows]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f"`kpis` names {repeated} more than once; give each KPI one entry.")
    return pd.DataFrame(rows).astype({"passed": "boolean"}).set_index("name")


def kpi_named_in(name: str, text: str) -> bool:
    """Whether KPI ``name`` appears in ``text`` as a whole name: 'recall' is not in 'precision_recall'.

    Examples
    --------
    >>> kpi_named_in("recall", "recall fell to 0.6"), kpi_named_in("recall", "precision_recall is fine")
    (True, False)
    """
    return re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text) is not None


def _validated_assessment(assessment) -> tuple[object, list[dict], list[str]]:
    """(recommendation, findings, conditions) of ``assessment``, or a ValueError naming the malformed part."""
    if not isinstance(assessment, dict):
        raise ValueError(f"`assessment` should be a dict with 'recommendation', 'findings' and 'conditions', "
                         f"got {type(assessment).__name__}.")
    # A tuple is as good a list as a list (issue 22: a tuple of conditions was refused).
    findings, conditions = (list(part) if isinstance(part, tuple) else part
                            for part in (assessment.get("findings", []), assessment.get("conditions", [])))
    if not isinstance(findings, list) or not all(isinstance(finding, dict) for finding in findings):
        raise ValueError("`assessment['findings']` should be a list of dicts, each with a 'finding' (str) and a "
                         f"'severity', got {findings!r:.80}.")
    for position, finding in enumerate(findings):
        if not isinstance(finding.get("finding"), str):
            raise ValueError(f"`assessment['findings'][{position}]['finding']` should be a str describing the "
                             f"finding, got {finding.get('finding')!r:.80}.")
    if not isinstance(conditions, list) or not all(isinstance(condition, str) for condition in conditions):
        fix = f" Wrap a single condition in a list: [{conditions!r:.60}]." if isinstance(conditions, str) else ""
        raise ValueError(f"`assessment['conditions']` should be a list of str, one per condition, got "
                         f"{type(conditions).__name__} {conditions!r:.80}.{fix}")
    # A label in another case, or with spaces around it, is the same label ("Go with conditions", "High").
    findings = [{**finding, "severity": as_option(finding.get("severity"), SEVERITIES)} for finding in findings]
    return as_option(assessment.get("recommendation"), RECOMMENDATIONS), findings, conditions


def check_risk_assessment(assessment: dict, kpi_results: pd.DataFrame) -> list[str]:
    """The inconsistencies in a risk assessment (an empty list when it holds together).

    ``assessment`` has ``recommendation`` (one of ``RECOMMENDATIONS``), ``findings`` (a list of
    dicts with ``finding``, a str, and ``severity`` low/medium/high) and ``conditions`` (a list
    of str); a malformed one is a ValueError. ``kpi_results`` comes from :func:`evaluate_kpis`.
    A failed or unknown KPI must be named in a finding (as a whole name: a finding about
    ``precision_recall`` does not name ``recall``), and rules out an unconditional "go": a KPI
    whose value is unknown cannot be certified.

    Examples
    --------
    >>> results = evaluate_kpis([{"name": "recall", "kind": "performance", "threshold": 0.8, "direction": "min"}],
    ...                         {"recall": 0.75})
    >>> check_risk_assessment({"recommendation": "go", "findings": [{"finding": "precision_recall is low",
    ...                        "severity": "low"}], "conditions": []}, results)
    ["An unconditional 'go' with failed KPI(s) ['recall'].", "Failed KPI(s) ['recall'] are not named in any finding."]
    """
    recommendation, findings, conditions = _validated_assessment(assessment)
    check_columns(kpi_results, ["kind", "status"], name="kpi_results")
    if recommendation not in RECOMMENDATIONS:
        return [f"'recommendation' must be in {RECOMMENDATIONS!r} (got {recommendation!r})."]
    problems = []
    severities = [finding.get("severity") for finding in findings]
    if any(severity not in SEVERITIES for severity in severities):
        problems.append("Each finding needs a 'severity' of 'low', 'medium' or 'high'.")
    failed = kpi_results.index[kpi_results["status"] == "failed"].tolist()
    failed_fairness = kpi_results.index[(kpi_results["status"] == "failed")
                                        & (kpi_results["kind"] == "fairness")].tolist()
    unknown = kpi_results.index[kpi_results["status"] == "unknown"].tolist()
    if recommendation == "go" and failed_fairness:
        problems.append(f"An unconditional 'go' with failed fairness KPI(s) {failed_fairness}.")
    elif recommendation == "go" and failed:
        problems.append(f"An unconditional 'go' with failed KPI(s) {failed}.")
    if recommendation == "go" and unknown:
        problems.append(f"An unconditional 'go' with KPI(s) {unknown} whose value is unknown (NaN): a KPI that "
                        "cannot be measured cannot be certified, so it counts like a failed one.")
    if recommendation == "go" and "high" in severities:
        problems.append("An unconditional 'go' with a high-severity finding.")
    if recommendation == "go with conditions" and not conditions:
        problems.append("'go with conditions' names no conditions.")
    texts = [finding["finding"] for finding in findings]
    for label, names in (("Failed", failed), ("Unknown", unknown)):
        unreported = [name for name in names if not any(kpi_named_in(str(name), text) for text in texts)]
        if unreported:
            problems.append(f"{label} KPI(s) {unreported} are not named in any finding.")
    return problems
