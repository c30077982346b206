"""Exercises of notebook 11, Model observability platform (a fleet of 12 simulated models).

Checkers recompute expected values from the learner's store with the reference code and the
simulator's ground truth. Where a wrong method can pass on this data, the learner's answer is
run on cases it has not seen: q1's SQL on a small table where unlabelled rows and an empty
denominator matter; q5's routing on a table of alerts it has not seen; q3's SLO rule on
other daily values.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

import numpy as np
import pandas as pd

from model_health.teaching.grading import (
    Claim,
    Exercise,
    ExerciseSet,
    Incorrect,
    WrittenAnswer,
    call_learner_function,
    close_enough,
    expect_names,
    expect_number,
    kind_of,
)

NOTEBOOK = "11_observability_platform"
CALM_DAYS = range(1, 6)  # days 1-5: before any incident
FRESHNESS_LIMIT_HOURS = 72  # labels arrive within 2 days; a day more is stale


# --- q1: a metric as SQL ------------------------------------------------------------------------

UNSEEN_ROWS = pd.DataFrame({
    "model": ["m"] * 7 + ["n"] * 3, "ts": [86400 * 3] * 5 + [86400 * 4] * 2 + [86400 * 3] * 3,
    "prediction": [1, 1, 1, 0, 1, 0, 0, 1, 0, 0], "label": [1, 0, None, 1, None, 1, 0, None, 0, 1]})
UNSEEN_CASE = ("a small log where some flagged rows have no label yet and one model-day flags nothing it can judge "
               "(precision undefined: NULL)")


def _precision_reference(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.assign(day=frame["ts"] // 86400)
    rows = []
    for (model, day), group in frame.groupby(["model", "day"]):
        judged = group[group["label"].notna() & (group["prediction"] == 1)]
        rows.append({"model": model, "day": int(day),
                     "precision": float((judged["label"] == 1).mean()) if len(judged) else np.nan})
    return pd.DataFrame(rows)


def _run_sql(connection, sql: str, name: str) -> pd.DataFrame:
    try:
        return connection.execute(sql).df()
    except Exception as error:  # a learner's SQL error is feedback
        raise Incorrect(f"Your `{name}` does not run: {type(error).__name__}: {str(error).splitlines()[0]}") from None


def _compare_precision(found: pd.DataFrame, expected: pd.DataFrame, where: str) -> None:
    missing = [column for column in ("model", "day", "precision") if column not in found]
    if missing:
        raise Incorrect(f"On {where}, your query returns no column(s) {missing}; name them model, day and precision.")
    found = found.astype({"day": int}).sort_values(["model", "day"]).reset_index(drop=True)
    expected = expected.sort_values(["model", "day"]).reset_index(drop=True)
    if found[["model", "day"]].values.tolist() != expected[["model", "day"]].values.tolist():
        if len(found) == len(expected):
            raise Incorrect(f"On {where}, your query returns one row per model and day, but other days: day is the "
                            "epoch day, CAST(FLOOR(ts / 86400) AS BIGINT), as in METRICS.")
        if len(found) < len(expected):
            raise Incorrect(f"On {where}, your query returns {len(found)} (model, day) rows; expected {len(expected)}: "
                            "a model-day with nothing to judge stays, with a NULL precision (a WHERE that keeps only "
                            "flagged or labelled rows drops such days).")
        raise Incorrect(f"On {where}, your query returns {len(found)} (model, day) rows; expected {len(expected)}, "
                        "one per model and day (GROUP BY model and the day of ts).")
    got, want = pd.to_numeric(found["precision"], errors="coerce").to_numpy(float), expected["precision"].to_numpy()
    if not np.array_equal(np.isnan(got), np.isnan(want)):
        raise Incorrect(f"On {where}, precision should be NULL exactly where a model-day has no flagged row with a "
                        "label: count only flagged rows whose label has arrived, and a rate with nothing to count is "
                        "undefined (NULL), not 0.")
    if not close_enough(got[~np.isnan(got)], want[~np.isnan(want)]):
        raise Incorrect(f"On {where}, your precision is {np.round(got, 3).tolist()}; expected "
                        f"{np.round(want, 3).tolist()}. Count only flagged rows whose label has arrived.")


class PrecisionSql(Exercise):
    title = "Define a metric once, in SQL"
    reads = ("precision_sql",)
    carries_own_answer = "any query with the right result is right; the platform runs the learner's own"
    rejected_forms = MappingProxyType({"in capitals": "SQL, not a label: capitals rename the columns the "
                                                      "query must return"})
    hints = (
        "Day: CAST(FLOOR(ts / 86400) AS BIGINT). Precision = true positives / flagged rows, both counted only where "
        "the label IS NOT NULL.",
        "Use SUM(CASE WHEN ... THEN 1 ELSE 0 END) and NULLIF(denominator, 0), which DuckDB and Spark SQL both speak.",
    )

    def expect(self, ns, precision_sql):
        import duckdb

        if not isinstance(precision_sql, str) or "select" not in precision_sql.lower():
            raise Incorrect(f"`precision_sql` should be the text of a SELECT query, got {kind_of(precision_sql)}.")
        scratch = duckdb.connect()
        scratch.register("predictions", UNSEEN_ROWS.astype({"label": "Float64"}).astype({"label": "Int64"}))
        _compare_precision(_run_sql(scratch, precision_sql, "precision_sql"), _precision_reference(UNSEEN_ROWS),
                           UNSEEN_CASE)
        log = ns["store"].execute("SELECT model, ts, prediction, label FROM predictions").df()
        _compare_precision(_run_sql(ns["store"], precision_sql, "precision_sql"), _precision_reference(log),
                           "the fleet's log")
        return "One definition, portable SQL: the same text runs on DuckDB here and on Spark SQL at scale."

    def reference(self, ns):
        return ("SELECT model, CAST(FLOOR(ts / 86400) AS BIGINT) AS day, "
                "SUM(CASE WHEN label = 1 AND prediction = 1 THEN 1 ELSE 0 END) * 1.0 / NULLIF(SUM(CASE WHEN label IS "
                "NOT NULL AND prediction = 1 THEN 1 ELSE 0 END), 0) AS precision FROM predictions GROUP BY model, "
                "CAST(FLOOR(ts / 86400) AS BIGINT)")


# --- q2: freshness -------------------------------------------------------------------------------

def _stale(ns) -> list[str]:
    freshness = ns["metrics"]["label_freshness"].set_index("model")["hours_since_last_label"]
    return sorted(freshness.index[freshness > FRESHNESS_LIMIT_HOURS])


class StaleLabels(Exercise):
    title = "Whose labels stopped arriving?"
    reads = ("stale_label_models",)
    hints = ("metrics['label_freshness'] has hours_since_last_label per model; stale means above "
             "FRESHNESS_LIMIT_HOURS.",)

    def expect(self, ns, stale_label_models):
        expected = _stale(ns)
        if expect_names("stale_label_models", stale_label_models, what="model names") != expected:
            raise Incorrect(f"{len(expected)} model(s) have gone more than {FRESHNESS_LIMIT_HOURS} hours without a "
                            "label; a delay of two days is normal for every model.")
        return f"{expected}: their F1 cannot be judged, whatever it was last week."

    def reference(self, ns):
        return _stale(ns)


# --- q3: SLOs from history -----------------------------------------------------------------------

def reference_latency_objective(p95_by_day: pd.Series) -> float:
    calm = p95_by_day[p95_by_day.index.isin(CALM_DAYS)]
    return float(np.ceil(1.25 * calm.median() / 10) * 10)


class LatencySlo(Exercise):
    title = "Set latency SLOs from calm history"
    reads = ("latency_objective", "latency_slos")
    hints = (
        "latency_objective(p95_by_day): 1.25 times the median daily p95 over CALM_DAYS (days 1-5), rounded up to "
        "the next 10 ms.",
        "latency_slos: model -> {'p95_ms': {'max': latency_objective(that model's daily p95)}}.",
    )

    def expect(self, ns, latency_objective, latency_slos):
        # days 1-4 or 1-6 instead of 1-5, or rounding to the nearest 10 instead of up, each give another objective
        unseen = pd.Series([100.0, 105, 98, 300, 130, 900, 950, 980, 990], index=range(1, 10))
        expected = reference_latency_objective(unseen)
        found = expect_number("latency_objective(...)", call_learner_function(latency_objective, unseen.copy(),
                                                                              name="latency_objective"))
        if found != expected:
            raise Incorrect(f"On daily p95s of {unseen.tolist()} (days 1-9), `latency_objective` returns {found:g}; "
                            f"expected {expected:g}: the median of days 1-5 (one spike must not move it), times 1.25, "
                            "rounded up to 10 ms.")
        daily = ns["daily"]
        if not isinstance(latency_slos, Mapping) or sorted(latency_slos) != sorted(daily["model"].unique()):
            raise Incorrect("`latency_slos` should have one entry per model of the fleet.")
        for model, rows in daily.groupby("model"):
            objective = reference_latency_objective(rows.set_index("day")["p95_ms"])
            given = latency_slos[model]
            if not isinstance(given, Mapping) or given.get("p95_ms") != {"max": objective}:
                raise Incorrect(f"latency_slos[{model!r}] should be {{'p95_ms': {{'max': {objective:g}}}}}.")
        return "Objectives from each model's own calm days: fast models are held to fast, slow ones to slow."

    def reference(self, ns):
        return reference_latency_objective, {
            model: {"p95_ms": {"max": reference_latency_objective(rows.set_index("day")["p95_ms"])}}
            for model, rows in ns["daily"].groupby("model")}


# --- q4: SLO status ------------------------------------------------------------------------------

def _status(ns) -> pd.DataFrame:
    from model_health.services.observability import evaluate_slos

    return evaluate_slos(ns["daily"], ns["slos"], target=ns["SLO_TARGET"])


def _worst(ns) -> pd.Series:
    from model_health.services.observability import STATUS_ORDER

    status = _status(ns)
    return status.groupby("model")["status"].agg(lambda values: next(level for level in STATUS_ORDER
                                                                       if level in set(values)))


class SloStatus(Exercise):
    title = "Which models breach their SLOs, and which cannot be judged?"
    reads = ("breached_models", "unknown_models")
    hints = ("evaluate_slos(daily, slos, target=SLO_TARGET) gives a status per model and SLI; a model's status is its "
             "worst: breached, then unknown.",)

    def expect(self, ns, breached_models, unknown_models):
        worst = _worst(ns)
        breached, unknown = sorted(worst.index[worst == "breached"]), sorted(worst.index[worst == "unknown"])
        if expect_names("breached_models", breached_models, what="model names") != breached:
            raise Incorrect(f"{len(breached)} model(s) breach at least one SLO (more bad days than the error budget).")
        if expect_names("unknown_models", unknown_models, what="model names") != unknown:
            raise Incorrect(f"{len(unknown)} model(s) cannot be judged on some SLO (no recent measured day) and "
                            "breach none: unknown is not met.")
        incidents = set(ns["fleet"].incidents)
        return (f"Breached: {breached}; unknown: {unknown}. "
                f"{len(incidents & set(breached + unknown))} of the {len(incidents)} injected incidents found.")

    def reference(self, ns):
        worst = _worst(ns)
        return sorted(worst.index[worst == "breached"]), sorted(worst.index[worst == "unknown"])


# --- q5, q6: routing and fatigue -----------------------------------------------------------------

ROUTING_CASES = (
    ({"severity": "critical", "kind": "performance", "model": "x", "risk_tier": "high"}, ["pagerduty"]),
    ({"severity": "critical", "kind": "latency", "model": "y", "risk_tier": "minimal"}, ["pagerduty"]),
    ({"severity": "warning", "kind": "drift", "model": "z", "risk_tier": "limited"}, ["servicenow"]),
    ({"severity": "warning", "kind": "fairness", "model": "z", "risk_tier": "high"}, ["servicenow"]),
    ({"severity": "warning", "kind": "latency", "model": "w", "risk_tier": "limited"}, ["digest"]),
    ({"severity": "info", "kind": "drift", "model": "v"}, ["digest"]),
    ({"severity": "warning", "kind": "driftish", "model": "u"}, ["digest"]),
)


class Routing(Exercise):
    title = "Route by severity: page, ticket or digest"
    reads = ("routing",)
    hints = (
        "Under route.routes, first a child with matchers ['severity=\"critical\"'] and receiver pagerduty; then one "
        "with ['severity=\"warning\"', 'kind=~\"drift|fairness\"'] and receiver servicenow. The root's receiver "
        "(digest) takes the rest.",
        "Add an inhibit rule: source_matchers ['severity=\"critical\"'], target_matchers ['severity=\"warning\"'], "
        "equal ['model'].",
    )

    def expect(self, ns, routing):
        from model_health.services.alert_routing import load_config, notifications, route

        if not isinstance(routing, Mapping):
            raise Incorrect(f"`routing` should be an Alertmanager configuration (a dict), got {kind_of(routing)}.")
        try:
            config = load_config(dict(routing))
        except (ValueError, KeyError, TypeError) as error:
            raise Incorrect(f"`routing` is not a valid configuration: {error}") from None
        for labels, expected in ROUTING_CASES:
            found = route(labels, config)
            if found != expected:
                raise Incorrect(f"An alert {labels} goes to {found}; it should go to {expected}.")
        def sent_to(receiver: str, *alerts, until: int = 600) -> pd.DataFrame:
            messages = notifications(pd.DataFrame(alerts), config, until=until)
            return messages[messages["receiver"] == receiver]

        # Grouping and inhibition, by what they do (issue 22: no group_by, and an inhibit rule the wrong way round,
        # passed a check that only counted alerts).
        pages = [{"time": 0, "alertname": name, "model": model, "kind": "performance", "severity": "critical"}
                 for name, model in (("f1 SLO breached", "a"), ("p95 SLO breached", "a"), ("f1 SLO breached", "b"))]
        grouped = len(sent_to("pagerduty", *pages, {**pages[0], "time": 60}, until=120))
        if grouped == 0:  # they route to pagerduty (above): only waiting holds them back
            raise Incorrect("Three critical alerts sent no page within 2 minutes of firing, though they route to "
                            "pagerduty: a group_wait of minutes holds a page back. Keep the root's group_wait short "
                            "(30s), so a critical alert pages at once.")
        if grouped != 3:
            raise Incorrect(f"Three critical alerts (two models, two alert names) and a repeat of one send {grouped} "
                            "page(s); grouped by model and alert name they send 3, the repeat joining its group: "
                            "group_by: [model, alertname] on the root route.")
        page_a = pages[0]
        watch_a, watch_b = ({"time": 0, "alertname": "input drift watch", "model": model, "kind": "drift",
                             "severity": "warning"} for model in ("a", "b"))
        if sent_to("pagerduty", page_a, watch_a, watch_b)["alerts"].sum() != 1:
            raise Incorrect("While model a's drift warning fires, its critical alert no longer pages: the inhibit rule "
                            "is the wrong way round. The critical alert is the source, the warnings the target.")
        ticketed = int(sent_to("servicenow", page_a, watch_a, watch_b)["alerts"].sum())
        if ticketed != 1:
            raise Incorrect("Add an inhibit rule: while a model pages (critical), its warnings are silenced, and only "
                            f"its own (equal: [model]); with model a paging, {ticketed} drift warning(s) of models a "
                            "and b became tickets, where only b's should.")
        return "Critical pages, drift and fairness warnings become tickets, the rest waits for the digest."

    def reference(self, ns):
        return {"route": {"receiver": "digest", "group_by": ["model", "alertname"], "group_wait": "30s",
                          "group_interval": "5m", "repeat_interval": "4h",
                          "routes": [{"matchers": ['severity="critical"'], "receiver": "pagerduty"},
                                     {"matchers": ['severity="warning"', 'kind=~"drift|fairness"'],
                                      "receiver": "servicenow", "repeat_interval": "24h"}]},
                "receivers": [{"name": "digest"}, {"name": "pagerduty"}, {"name": "servicenow"}],
                "inhibit_rules": [{"source_matchers": ['severity="critical"'],
                                   "target_matchers": ['severity="warning"'], "equal": ["model"]}]}


def _pages(ns) -> tuple[int, int]:
    from model_health.services.alert_routing import load_config, notifications

    routing = ns["routing"] if Routing().grade(ns).status.name == "CORRECT" else Routing().reference(ns)
    week = ns["alert_stream"]
    naive = int((week["severity"] == "critical").sum())
    messages = notifications(week, load_config(dict(routing)), until=ns["WEEK_SECONDS"])
    return naive, int((messages["receiver"] == "pagerduty").sum())


class PageCount(Exercise):
    title = "Count the pages: before and after grouping"
    reads = ("pages_without_grouping", "pages_with_routing")
    hints = (
        "Without grouping, every critical alert in alert_stream is a page.",
        "With your routing: notifications(alert_stream, load_config(routing), until=WEEK_SECONDS), then count the "
        "messages to pagerduty.",
    )

    def expect(self, ns, pages_without_grouping, pages_with_routing):
        naive, routed = _pages(ns)
        if expect_number("pages_without_grouping", pages_without_grouping) != naive:
            raise Incorrect(f"`pages_without_grouping` should count the critical alerts: {naive}.")
        if expect_number("pages_with_routing", pages_with_routing) != routed:
            raise Incorrect(f"`pages_with_routing` should count the notifications to pagerduty: {routed} (grouped by "
                            "model and alert name, re-sent at most every repeat_interval).")
        return (f"{naive} pages become {routed}: one per broken model and alert, then a reminder every "
                "repeat_interval while it stays broken.")

    def reference(self, ns):
        return _pages(ns)


# --- q7: incidents -------------------------------------------------------------------------------

def _incident_key(item) -> str:
    return str(item.get("dedup_key") or item.get("correlation_id")) if isinstance(item, Mapping) else ""


def _incident_field(item: Mapping, name: str):
    """The alert's ``name`` (severity, team) as a PagerDuty event or a ServiceNow incident carries it."""
    if "routing_key" in item:
        return item.get("payload", {}).get("custom_details", {}).get(name)
    found = re.search(rf"^{name}: (.*)$", str(item.get("description", "")), re.MULTILINE)
    return found[1] if found else None


class Incidents(Exercise):
    title = "Open the incidents"
    reads = ("incidents",)
    hints = ("For each breached (model, SLI) row of slo_status: pagerduty_event(alert, routing_key=PD_KEY) for a "
             "high-tier model, servicenow_incident(alert) otherwise, where alert = {'model', 'alertname': "
             "f'{sli} SLO breached', 'severity': 'critical' or 'warning', 'team': owner}.",)

    def expect(self, ns, incidents):
        status = _status(ns)
        breached = status[status["status"] == "breached"]
        tiers = ns["fleet"].models.set_index("model")["risk_tier"]
        if not isinstance(incidents, (list, tuple)) or len(incidents) != len(breached):
            raise Incorrect(f"`incidents` should hold one payload per breached SLO: {len(breached)}.")
        unbuilt = [item for item in incidents if not isinstance(item, Mapping)
                   or not (item.get("dedup_key") or item.get("correlation_id"))]
        if unbuilt:
            what = "a dict with neither" if isinstance(unbuilt[0], Mapping) else kind_of(unbuilt[0])
            raise Incorrect(f"{len(unbuilt)} item(s) of `incidents` are not payloads: a payload is a dict with a "
                            f"dedup_key (PagerDuty) or a correlation_id (ServiceNow), and the first is {what}. Build "
                            "each with pagerduty_event or servicenow_incident.")
        expected_kinds = sorted("pagerduty" if tiers[model] == "high" else "servicenow" for model in breached["model"])
        kinds = sorted("pagerduty" if isinstance(item, Mapping) and "routing_key" in item else "servicenow"
                       for item in incidents)
        if kinds != expected_kinds:
            raise Incorrect(f"High-tier breaches page (PagerDuty events: {expected_kinds.count('pagerduty')}); the "
                            f"others open ServiceNow incidents ({expected_kinds.count('servicenow')}).")
        keys = [item.get("dedup_key") or item.get("correlation_id") for item in incidents]
        if len(set(keys)) != len(keys):
            raise Incorrect("Two payloads share a dedup/correlation key: each breached SLO needs its own alertname "
                            "(e.g. 'p95_ms SLO breached').")
        for item in incidents:
            if "routing_key" in item and (item.get("event_action") != "trigger" or
                                          not {"summary", "source", "severity"} <= set(item.get("payload", {}))):
                raise Incorrect("A PagerDuty event needs event_action 'trigger' and payload.summary, source and "
                                "severity: build it with pagerduty_event.")
        # Each payload is the one its breach calls for, field by field (issue 22: only the counts were compared, so
        # paging by alert kind, severity "critical" for all, or the model as the team passed).
        expected = {_incident_key(item): item for item in self.reference(ns)}
        owners = ns["fleet"].models.set_index("model")["owner"]
        for item in incidents:
            right = expected.get(_incident_key(item))
            if right is None:
                raise Incorrect(f"A payload keyed {_incident_key(item)!r} matches no breached SLO: its key is "
                                "'<model>/<sli> SLO breached'.")
            model = _incident_key(right).split("/")[0]
            if ("routing_key" in item) != ("routing_key" in right):
                action = "page it (PagerDuty)" if "routing_key" in right else "open a ServiceNow incident, not a page"
                raise Incorrect(f"{model} is {tiers[model]}-tier: {action}. The tier decides, not the kind of alert.")
            if _incident_field(item, "severity") != _incident_field(right, "severity"):
                raise Incorrect(f"The {model} payload has severity {_incident_field(item, 'severity')!r}: critical "
                                "for a high-tier model, warning otherwise.")
            if _incident_field(item, "team") != owners[model]:
                raise Incorrect(f"The {model} payload names team {_incident_field(item, 'team')!r}: the team is the "
                                f"model's owner, {owners[model]!r}.")
            if item != right:
                raise Incorrect(f"The {model} payload differs from what "
                                f"{'pagerduty_event' if 'routing_key' in right else 'servicenow_incident'} builds "
                                "for its alert.")
        return f"{len(incidents)} incidents opened, each once."

    def reference(self, ns):
        from model_health.services.alert_routing import pagerduty_event, servicenow_incident

        status = _status(ns)
        models = ns["fleet"].models.set_index("model")
        payloads = []
        for row in status[status["status"] == "breached"].itertuples():
            high = models.loc[row.model, "risk_tier"] == "high"
            alert = {"model": row.model, "alertname": f"{row.sli} SLO breached",
                     "severity": "critical" if high else "warning", "team": models.loc[row.model, "owner"]}
            payloads.append(pagerduty_event(alert, routing_key=ns["PD_KEY"]) if high else servicenow_incident(alert))
        return payloads


def _fix_order(ns, status: pd.DataFrame) -> pd.Series:
    """The lowest budget left of each high-tier model with a breached SLO in ``status`` (:func:`_status`), most
    overspent first (ties by name)."""
    tiers = ns["fleet"].models.set_index("model")["risk_tier"]
    breached = status[(status["status"] == "breached") & status["model"].map(tiers).eq("high")]
    return breached.groupby("model")["budget_left"].min().sort_values(kind="stable")


class FixOrder(Exercise):
    title = "Read the dashboard: what do you fix first?"
    reads = ("fix_order",)
    hints = ("Keep the high-tier models with a breached SLO, then sort them by 'budget left', lowest (most "
             "overspent) first.",)

    def expect(self, ns, fix_order):
        status = _status(ns)
        expected = _fix_order(ns, status)
        if isinstance(fix_order, (str, bytes, Mapping)) or not hasattr(fix_order, "__iter__"):
            raise Incorrect(f"`fix_order` should be a list of model names, most overspent first, got "
                            f"{kind_of(fix_order)}.")
        if isinstance(fix_order, pd.Series) and pd.api.types.is_numeric_dtype(fix_order) and not \
                pd.api.types.is_numeric_dtype(fix_order.index):
            fix_order = list(fix_order.index)  # the budgets, sorted: their index is the order asked for
        given = [str(model).strip() for model in fix_order]
        tiers = ns["fleet"].models.set_index("model")["risk_tier"]
        breached = set(status.loc[status["status"] == "breached", "model"])
        for model in given:
            if model in expected.index:
                continue
            if model not in tiers.index:
                raise Incorrect(f"`fix_order` holds {model!r}, which is no model of this fleet.")
            if tiers[model] != "high":
                raise Incorrect(f"`fix_order` holds {model}, a {tiers[model]}-tier model: the page asks about the "
                                "high-tier ones (filter on risk_tier before sorting).")
            if model not in breached:
                raise Incorrect(f"`fix_order` holds {model}, whose SLOs are not breached: keep only the breached.")
        if len(set(given)) != len(given):
            raise Incorrect("`fix_order` names a model twice: one entry per model, by its most overspent SLO.")
        if missing := sorted(set(expected.index) - set(given)):
            raise Incorrect(f"`fix_order` misses {missing}: high-tier, with a breached SLO.")
        if (np.diff(expected[given].to_numpy()) < 0).any():
            raise Incorrect(f"`fix_order` should run from the most overspent (the lowest 'budget left') to the "
                            f"least: {expected.round(2).to_dict()}.")
        if not given:
            return "No high-tier model has a breached SLO: nothing on this page to fix first."
        return (f"Fix {given[0]} first: high risk, and the furthest past its budget"
                f"{'; then ' + ', '.join(given[1:]) if len(given) > 1 else ''}.")

    def reference(self, ns):
        return list(_fix_order(ns, _status(ns)).index)


class ScaleOut(WrittenAnswer):
    title = "When would you move from DuckDB to Spark?"
    reads = ("scale_out",)
    min_words = 50
    rubric = (
        "Gives a measurable trigger (data no longer fits one machine's disk or memory, ingestion lag past the "
        "freshness SLO, many writers at once).",
        "Says what stays the same (the metric SQL, the SLOs, the routing) and what changes (ingestion as a "
        "streaming job, a cluster to run and pay for).",
        "Names the cost of moving too early (operations, latency of small jobs) and how the parity test protects "
        "the switch.",
    )


# --- the story the prose tells (issue 22 §6: it must hold on every seed) -------------------------------------

def _grouping_saves_pages(ns) -> bool:
    return 0 < ns["pages_with_routing"] < ns["pages_without_grouping"]


def _five_things_went_wrong_and_the_platform_finds_them(ns) -> bool:
    """Five incidents happened in the two weeks, and the SLOs find each: a breach, or unknown for the model whose
    labels stopped."""
    incidents = ns["fleet"].incidents
    stale = {model for model, (kind, _) in incidents.items() if kind == "stale labels"}
    return (len(incidents) == 5 and set(ns["breached_models"]) == set(incidents) - stale
            and set(ns["unknown_models"]) == stale)


EXERCISES = ExerciseSet(NOTEBOOK, [
    PrecisionSql(), StaleLabels(), LatencySlo(), SloStatus(), FixOrder(), Routing(), PageCount(), Incidents(),
    ScaleOut(),
], claims=[
    Claim("so critical problems page and minor ones become tickets, and **count** the pages grouping saves",
          _grouping_saves_pages),
    Claim("five things went wrong. Find them all", _five_things_went_wrong_and_the_platform_finds_them),
])
q1, q2, q3, q4, q5, q6, q7, q8, q9 = EXERCISES
score_summary = EXERCISES.score_summary

__all__ = ["q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8", "q9", "score_summary", "CALM_DAYS",
           "FRESHNESS_LIMIT_HOURS"]
