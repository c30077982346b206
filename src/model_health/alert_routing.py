"""Alert routing in Prometheus Alertmanager's configuration format, and incident payloads.

The routing tree is the real thing a team deploys (``alertmanager.yml``: ``route``,
``receivers``, ``inhibit_rules``). :func:`route` implements Alertmanager's routing semantics
for the notebook: a depth-first walk from the root, children in order; an alert descends into
the first child whose matchers all hold (and, with ``continue: true``, into later matching
siblings too); where no child matches, the node's own receiver takes it. Receivers are
inherited from the parent when a route names none. ``tests/test_alert_routing.py`` checks, for
a table of alerts, that it picks the same receivers as Alertmanager's own
``amtool config routes test``.

:func:`notifications` counts what a stream of alerts sends after grouping (``group_by``,
``group_wait``, ``group_interval``, ``repeat_interval``) and inhibition, to measure alert
fatigue before and after a routing change. :func:`pagerduty_event` and :func:`servicenow_incident`
build the payloads of PagerDuty's Events API v2 and a ServiceNow incident.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["Route", "load_config", "notifications", "pagerduty_event", "route", "servicenow_incident"]

MATCHER = re.compile(r'^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"?((?:[^"\\]|\\.)*)"?\s*$')
SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
DEFAULTS = {"group_wait": "30s", "group_interval": "5m", "repeat_interval": "4h"}


def _duration(text: str, where: str) -> float:
    rest = str(text)
    total = sum(int(number) * SECONDS[unit] for number, unit in re.findall(r"(\d+)(ms|s|m|h|d|w)", rest))
    if not rest or re.sub(r"(\d+)(ms|s|m|h|d|w)", "", rest):
        raise ValueError(f"{where}: {text!r} is not an Alertmanager duration like '30s', '5m' or '1h30m'.")
    return total


@dataclass(frozen=True)
class Matcher:
    label: str
    operator: str
    value: str

    @classmethod
    def parse(cls, text: str, where: str) -> Matcher:
        match = MATCHER.match(str(text))
        if not match:
            raise ValueError(f"{where}: {text!r} is not a matcher like 'severity=\"critical\"' or 'kind=~\"drift|bias\"'.")
        label, operator, value = match.groups()
        if operator in ("=~", "!~"):
            try:
                re.compile(value)
            except re.error as error:
                raise ValueError(f"{where}: {text!r} has an invalid regular expression ({error}).") from None
        return cls(label, operator, value.replace('\\"', '"'))

    def holds(self, labels: dict[str, str]) -> bool:
        value = labels.get(self.label, "")  # a missing label matches as the empty string, as in Alertmanager
        if self.operator == "=":
            return value == self.value
        if self.operator == "!=":
            return value != self.value
        found = re.fullmatch(self.value, value) is not None  # regexes are anchored
        return found if self.operator == "=~" else not found


@dataclass
class Route:
    receiver: str
    matchers: list[Matcher]
    cont: bool
    group_by: list[str]
    timing: dict[str, float]
    routes: list[Route] = field(default_factory=list)


def _route(spec: dict, parent: Route | None, where: str, receivers: set[str]) -> Route:
    if not isinstance(spec, dict):
        raise ValueError(f"{where}: a route should be a mapping, got {type(spec).__name__}.")
    matchers = [Matcher.parse(text, f"{where}.matchers[{i}]") for i, text in enumerate(spec.get("matchers", []))]
    matchers += [Matcher(label, "=", str(value)) for label, value in spec.get("match", {}).items()]
    matchers += [Matcher(label, "=~", str(value)) for label, value in spec.get("match_re", {}).items()]
    receiver = spec.get("receiver", parent.receiver if parent else None)
    if receiver is None:
        raise ValueError(f"{where}: the root route needs a receiver.")
    if receiver not in receivers:
        raise ValueError(f"{where}: receiver {receiver!r} is not defined under receivers ({sorted(receivers)}).")
    timing = {key: _duration(spec[key], f"{where}.{key}") if key in spec else
              (parent.timing[key] if parent else _duration(DEFAULTS[key], key)) for key in DEFAULTS}
    node = Route(receiver=receiver, matchers=matchers, cont=bool(spec.get("continue", False)),
                 group_by=list(spec.get("group_by", parent.group_by if parent else [])), timing=timing)
    node.routes = [_route(child, node, f"{where}.routes[{i}]", receivers)
                   for i, child in enumerate(spec.get("routes", []))]
    return node


def load_config(source) -> dict:
    """An Alertmanager configuration (a path or a dict): the route tree, receivers and inhibit rules."""
    import yaml

    where = str(source) if isinstance(source, (str, Path)) else "config"
    config = yaml.safe_load(Path(source).read_text(encoding="utf-8")) if isinstance(source, (str, Path)) else source
    if not isinstance(config, dict) or "route" not in config or "receivers" not in config:
        raise ValueError(f"{where}: an Alertmanager configuration needs 'route' and 'receivers'.")
    receivers = {receiver["name"] for receiver in config["receivers"]}
    inhibit = [{"source": [Matcher.parse(text, f"{where}: inhibit_rules[{i}].source_matchers")
                           for text in rule.get("source_matchers", [])],
                "target": [Matcher.parse(text, f"{where}: inhibit_rules[{i}].target_matchers")
                           for text in rule.get("target_matchers", [])],
                "equal": list(rule.get("equal", []))} for i, rule in enumerate(config.get("inhibit_rules", []))]
    return {"route": _route(config["route"], None, f"{where}: route", receivers), "receivers": sorted(receivers),
            "inhibit": inhibit}


def _walk(node: Route, labels: dict[str, str]) -> list[Route]:
    matched = []
    for child in node.routes:
        if all(matcher.holds(labels) for matcher in child.matchers):
            matched += _walk(child, labels)
            if not child.cont:
                break
    return matched or [node]


def route(labels: dict[str, str], config: dict) -> list[str]:
    """The receivers an alert with these labels goes to, in Alertmanager's order."""
    return [node.receiver for node in _walk(config["route"], {key: str(value) for key, value in labels.items()})]


def notifications(alerts: pd.DataFrame, config: dict, *, until=None) -> pd.DataFrame:
    """The messages a stream of alerts sends: one row per (time, receiver, group) notification.

    ``alerts`` has a ``time`` column (seconds, or Timestamps) and one column per label; each row
    is an alert that starts firing then and fires until ``until`` (default: the last alert's
    time); the same labels twice are the same alert. Per route and group (its ``group_by``
    labels), as Alertmanager does: the first alert waits ``group_wait``, then one message
    carries everything in the group; afterwards the group is checked every ``group_interval``
    and sends when it holds new alerts, or re-sends when ``repeat_interval`` has passed since
    its last message. An alert matched by an inhibit rule's target, from the time a source alert
    with the same ``equal`` labels starts firing, is not sent. Times in the result are seconds from the
    first alert.
    """
    if not isinstance(alerts, pd.DataFrame) or "time" not in alerts:
        raise ValueError("`alerts` needs a 'time' column (seconds, or Timestamps) and one column per label.")
    times = alerts["time"]
    seconds = ((times - times.min()).dt.total_seconds() if pd.api.types.is_datetime64_any_dtype(times)
               else times.astype(float) - float(times.min()))
    horizon = float(seconds.max()) if until is None else float(until)
    labels = alerts.drop(columns="time").astype(str).to_dict("records")
    # Per inhibit rule, when a source first fires for each value of its `equal` labels.
    sources = [{} for _ in config["inhibit"]]
    for at, alert in zip(seconds.tolist(), labels):
        for rule, started in zip(config["inhibit"], sources):
            if all(matcher.holds(alert) for matcher in rule["source"]):
                key = tuple(alert.get(label, "") for label in rule["equal"])
                started[key] = min(at, started.get(key, np.inf))
    groups: dict[tuple, dict] = {}
    for at, alert in sorted(zip(seconds.tolist(), labels), key=lambda pair: pair[0]):
        if any(all(matcher.holds(alert) for matcher in rule["target"])
               and started.get(tuple(alert.get(label, "") for label in rule["equal"]), np.inf) <= at
               and not all(matcher.holds(alert) for matcher in rule["source"])
               for rule, started in zip(config["inhibit"], sources)):
            continue
        for node in _walk(config["route"], alert):
            key = (id(node), tuple(alert.get(label, "") for label in node.group_by))
            group = groups.setdefault(key, {"node": node, "group": dict(zip(node.group_by, key[1])), "arrivals": {}})
            group["arrivals"].setdefault(tuple(sorted(alert.items())), at)
    messages = []
    for group in groups.values():
        node, arrivals = group["node"], sorted(group["arrivals"].values())
        tick, sent, last = arrivals[0] + node.timing["group_wait"], 0, None
        while tick <= horizon:
            due = sum(1 for arrival in arrivals if arrival <= tick)
            if due > sent:
                messages.append({"time": tick, "receiver": node.receiver, "group": group["group"],
                                 "alerts": due - sent, "kind": "new"})
                sent, last = due, tick
            elif tick - last >= node.timing["repeat_interval"]:
                messages.append({"time": tick, "receiver": node.receiver, "group": group["group"], "alerts": 0,
                                 "kind": "repeat"})
                last = tick
            tick += node.timing["group_interval"]
    return pd.DataFrame(messages, columns=["time", "receiver", "group", "alerts", "kind"]).sort_values(
        ["time", "receiver"], kind="stable").reset_index(drop=True)


def pagerduty_event(alert: dict, *, routing_key: str, source: str = "model-health-workbook") -> dict:
    """A PagerDuty Events API v2 ``trigger`` event for an alert (dedup by model and alert name)."""
    severity = alert.get("severity", "warning")
    return {"routing_key": routing_key, "event_action": "trigger",
            "dedup_key": f"{alert.get('model', 'unknown')}/{alert.get('alertname', 'alert')}",
            "payload": {"summary": alert.get("summary", f"{alert.get('alertname', 'alert')} on {alert.get('model')}")[:1024],
                        "source": source,
                        "severity": severity if severity in ("critical", "error", "warning", "info") else "warning",
                        "component": alert.get("model"), "group": alert.get("team"), "class": alert.get("kind"),
                        "custom_details": {key: value for key, value in alert.items() if key != "summary"}}}


def servicenow_incident(alert: dict, *, caller: str = "model-health-monitor") -> dict:
    """A ServiceNow incident (Table API fields) for an alert: urgency and impact from its severity."""
    level = {"critical": "1", "warning": "2"}.get(alert.get("severity", ""), "3")
    return {"short_description": alert.get("summary", f"{alert.get('alertname')} on {alert.get('model')}")[:160],
            "description": "\n".join(f"{key}: {value}" for key, value in sorted(alert.items())),
            "urgency": level, "impact": level, "category": "software", "subcategory": "machine learning model",
            "cmdb_ci": alert.get("model", ""), "assignment_group": alert.get("team", ""), "caller_id": caller,
            "correlation_id": f"{alert.get('model', 'unknown')}/{alert.get('alertname', 'alert')}"}
