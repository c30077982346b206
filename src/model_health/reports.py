"""Governance documents from audit results: a model card, a monitoring playbook, KPIs and a
risk assessment that must be internally consistent.

Documents are Jinja2 templates (``templates/*.md.j2``) rendered to Markdown, then to HTML
with the ``markdown`` package; both are written side by side.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

__all__ = ["RECOMMENDATIONS", "check_risk_assessment", "evaluate_kpis", "render", "write_report"]

TEMPLATES = Path(__file__).resolve().parent / "templates"
RECOMMENDATIONS = ("go", "go with conditions", "no-go")
KPI_KEYS = ("name", "kind", "threshold", "direction")


def _environment():
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    # StrictUndefined: a missing field is an error, never a silently empty section.
    return Environment(loader=FileSystemLoader(TEMPLATES), undefined=StrictUndefined, keep_trailing_newline=True,
                       autoescape=False)


def render(template: str, **context) -> str:
    """Render ``templates/<template>.md.j2`` to Markdown."""
    from jinja2 import UndefinedError

    try:
        return _environment().get_template(f"{template}.md.j2").render(**context)
    except UndefinedError as missing:
        raise ValueError(f"The {template} template needs a value the context lacks: {missing}.") from None


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


def evaluate_kpis(kpis: list[dict], measured: dict[str, float]) -> pd.DataFrame:
    """Compare each KPI with its measured value: ``direction`` "min" fails below, "max" above.

    Examples
    --------
    >>> evaluate_kpis([{"name": "recall", "kind": "performance", "threshold": 0.8, "direction": "min"}],
    ...               {"recall": 0.75})[["value", "passed"]]
            value  passed
    name                 
    recall   0.75   False
    """
    if not isinstance(kpis, list) or not kpis:
        raise ValueError(f"`kpis` should be a non-empty list of dicts, got {type(kpis).__name__}.")
    rows = []
    for position, kpi in enumerate(kpis):
        if not isinstance(kpi, dict) or sorted(kpi) != sorted(KPI_KEYS):
            raise ValueError(f"KPI {position} should be a dict with exactly the keys {list(KPI_KEYS)}, got {kpi!r}.")
        if kpi["kind"] not in ("performance", "fairness"):
            raise ValueError(f"KPI '{kpi['name']}': 'kind' must be in ('performance', 'fairness') (got {kpi['kind']!r}).")
        if kpi["direction"] not in ("min", "max"):
            raise ValueError(f"KPI '{kpi['name']}': 'direction' must be in ('min', 'max') (got {kpi['direction']!r}).")
        if kpi["name"] not in measured:
            raise ValueError(f"KPI '{kpi['name']}' has no measured value; measured are {sorted(measured)}.")
        value = float(measured[kpi["name"]])
        passed = value >= kpi["threshold"] if kpi["direction"] == "min" else value <= kpi["threshold"]
        rows.append({**kpi, "value": value, "passed": bool(passed)})
    return pd.DataFrame(rows).set_index("name")


def check_risk_assessment(assessment: dict, kpi_results: pd.DataFrame) -> list[str]:
    """The inconsistencies in a risk assessment (an empty list when it holds together).

    ``assessment`` has ``recommendation`` (one of ``RECOMMENDATIONS``), ``findings`` (dicts
    with ``finding`` and ``severity`` low/medium/high) and ``conditions`` (list of str).
    """
    problems = []
    recommendation = assessment.get("recommendation")
    findings = assessment.get("findings", [])
    conditions = assessment.get("conditions", [])
    if recommendation not in RECOMMENDATIONS:
        return [f"'recommendation' must be in {RECOMMENDATIONS!r} (got {recommendation!r})."]
    severities = [finding.get("severity") for finding in findings]
    if any(severity not in ("low", "medium", "high") for severity in severities):
        problems.append("Each finding needs a 'severity' of 'low', 'medium' or 'high'.")
    failed = kpi_results.index[~kpi_results["passed"]].tolist()
    failed_fairness = kpi_results.index[~kpi_results["passed"] & (kpi_results["kind"] == "fairness")].tolist()
    if recommendation == "go" and failed_fairness:
        problems.append(f"An unconditional 'go' with failed fairness KPI(s) {failed_fairness}.")
    elif recommendation == "go" and failed:
        problems.append(f"An unconditional 'go' with failed KPI(s) {failed}.")
    if recommendation == "go" and "high" in severities:
        problems.append("An unconditional 'go' with a high-severity finding.")
    if recommendation == "go with conditions" and not conditions:
        problems.append("'go with conditions' names no conditions.")
    unreported = [name for name in failed if not any(name in str(finding.get("finding", "")) for finding in findings)]
    if unreported:
        problems.append(f"Failed KPI(s) {unreported} are not named in any finding.")
    return problems
