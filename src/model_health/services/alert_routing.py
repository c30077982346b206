"""Alert routing in Prometheus Alertmanager's configuration format, and incident payloads.

The routing tree is the real thing a team deploys (``alertmanager.yml``: ``route``,
``receivers``, ``inhibit_rules``). :func:`load_config` refuses what Alertmanager refuses (a zero
``group_interval`` or ``repeat_interval``, a duration like ``1.5m``, an unknown field, matchers on
the root route...), and reads the deprecated ``match``/``match_re`` and
``source_match``/``target_match`` (``_re``) syntax as the matchers Alertmanager makes of them.
:func:`route` implements Alertmanager's routing semantics: a depth-first walk from the root,
children in order; an alert descends into the first child whose matchers all hold (and, with
``continue: true``, into later matching siblings too); where no child matches, the node's own
receiver takes it. Receivers are inherited from the parent when a route names none.
``tests/test_alert_routing.py`` checks, for a table of alerts, that it picks the same receivers
as Alertmanager's own ``amtool config routes test``, and checks :func:`notifications` against
a live Alertmanager.

:func:`notifications` counts what a stream of alerts sends after grouping (``group_by``,
``group_wait``, ``group_interval``, ``repeat_interval``) and inhibition, to measure alert
fatigue before and after a routing change. :func:`pagerduty_event`, :func:`servicenow_incident`
and :func:`slack_message` build the payloads of PagerDuty's Events API v2, a ServiceNow incident
and a Slack Block Kit message, within each one's published length limits.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from model_health._validation import as_real_number
from model_health.services.webhooks import alert_key

__all__ = ["Route", "load_config", "notifications", "pagerduty_event", "route", "servicenow_incident",
           "slack_message"]

LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
MATCHER = re.compile(r'^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"?((?:[^"\\]|\\.)*)"?\s*$')
# Prometheus's duration format: whole numbers, units from the largest down, each at most once ("0" alone is zero).
DURATION = re.compile(r"^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$")
UNIT_NANOSECONDS = (365 * 86400 * 10**9, 7 * 86400 * 10**9, 86400 * 10**9, 3600 * 10**9, 60 * 10**9, 10**9, 10**6)
DEFAULTS = {"group_wait": "30s", "group_interval": "5m", "repeat_interval": "4h"}
CANNOT_BE_ZERO = ("group_interval", "repeat_interval")  # Alertmanager's config check; group_wait may be 0
CONFIG_FIELDS = {"global", "route", "receivers", "inhibit_rules", "templates", "time_intervals", "mute_time_intervals"}
ROUTE_FIELDS = {"receiver", "group_by", "continue", "matchers", "match", "match_re", "routes", *DEFAULTS}
TIME_INTERVAL_FIELDS = {"mute_time_intervals", "active_time_intervals"}  # Alertmanager's, not modelled here
INHIBIT_FIELDS = {"equal", *(f"{side}_{kind}" for side in ("source", "target") for kind in ("matchers", "match",
                                                                                            "match_re"))}
# Published limits: PagerDuty Events API v2 (dedup_key, payload.summary), ServiceNow's incident table
# (short_description, correlation_id), Slack Block Kit (a text object, elements of a context block).
PAGERDUTY_DEDUP_KEY, PAGERDUTY_SUMMARY = 255, 1024
SERVICENOW_SHORT_DESCRIPTION, SERVICENOW_CORRELATION_ID = 160, 100
SLACK_TEXT, SLACK_CONTEXT_ELEMENTS = 3000, 10


def _duration(text, where: str, *, zero_allowed: bool = True) -> int:
    """An Alertmanager duration in nanoseconds (integers, so that flush times add up exactly)."""
    text = str(text)
    match = DURATION.match("" if text == "0" else text)
    if match is None or text == "":
        raise ValueError(f"{where}: {text!r} is not an Alertmanager duration like '30s', '5m' or '1h30m' (whole "
                         "numbers, units from the largest: y, w, d, h, m, s, ms).")
    total = sum(int(number) * unit for number, unit in zip(match.groups(), UNIT_NANOSECONDS) if number)
    if total == 0 and not zero_allowed:
        raise ValueError(f"{where} cannot be zero (Alertmanager refuses it: the group would be flushed without a "
                         "pause); give a positive duration like '5m'.")
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
            raise ValueError(f"{where}: {text!r} is not a matcher like 'severity=\"critical\"' or "
                             "'kind=~\"drift|bias\"'.")
        label, operator, value = match.groups()
        return cls.checked(label, operator, value.replace('\\"', '"'), where)

    @classmethod
    def checked(cls, label, operator: str, value, where: str) -> Matcher:
        if not isinstance(label, str) or not LABEL_NAME.match(label):
            raise ValueError(f"{where}: {label!r} is not a label name (letters, digits and '_', not starting with a "
                             "digit).")
        if operator in ("=~", "!~"):
            try:
                re.compile(str(value))
            except re.error as error:
                raise ValueError(f"{where}: {label}{operator}{value!r} has an invalid regular expression "
                                 f"({error}).") from None
        return cls(label, operator, str(value))

    def holds(self, labels: dict[str, str]) -> bool:
        value = labels.get(self.label, "")  # a missing label matches as the empty string, as in Alertmanager
        if self.operator == "=":
            return value == self.value
        if self.operator == "!=":
            return value != self.value
        found = re.fullmatch(self.value, value) is not None  # regexes are anchored
        return found if self.operator == "=~" else not found


def _all_hold(matchers: list[Matcher], labels: dict[str, str]) -> bool:
    return all(matcher.holds(labels) for matcher in matchers)


def _matchers(spec: dict, prefix: str, where: str) -> list[Matcher]:
    """The matchers of ``<prefix>matchers`` and of the deprecated ``<prefix>match`` / ``<prefix>match_re`` maps."""
    listed = spec.get(f"{prefix}matchers", [])
    if not isinstance(listed, list):
        raise ValueError(f"{where}.{prefix}matchers should be a list of matchers like ['severity=\"critical\"'], got "
                         f"{listed!r}.")
    matchers = [Matcher.parse(text, f"{where}.{prefix}matchers[{i}]") for i, text in enumerate(listed)]
    for key, operator in ((f"{prefix}match", "="), (f"{prefix}match_re", "=~")):
        pairs = spec.get(key, {})
        if not isinstance(pairs, dict):
            raise ValueError(f"{where}.{key} should map label names to values, like {{severity: critical}}, got "
                             f"{pairs!r}.")
        matchers += [Matcher.checked(label, operator, value, f"{where}.{key}") for label, value in pairs.items()]
    return matchers


def _known_fields(spec: dict, allowed: set[str], where: str, what: str) -> None:
    unknown = sorted(set(spec) - allowed, key=str)
    if unknown:
        raise ValueError(f"{where}: {unknown[0]!r} is not a field of {what} (Alertmanager refuses the file); the "
                         f"fields are {sorted(allowed)}.")


@dataclass
class Route:
    receiver: str
    matchers: list[Matcher]
    cont: bool
    group_by: list[str] | None  # None: group by every label (Alertmanager's '...')
    timing: dict[str, int]  # nanoseconds
    routes: list[Route] = field(default_factory=list)


def _group_by(spec: dict, parent: Route | None, where: str) -> list[str] | None:
    if "group_by" not in spec:
        return parent.group_by if parent else []
    names = spec["group_by"]
    if not isinstance(names, list):
        raise ValueError(f"{where}.group_by should be a list of label names like [model, alertname], got {names!r}.")
    if "..." in names:
        if len(names) > 1:
            raise ValueError(f"{where}.group_by: '...' (every label) cannot be listed with other labels {names!r}.")
        return None
    for name in names:
        if not isinstance(name, str) or not LABEL_NAME.match(name):
            raise ValueError(f"{where}.group_by: {name!r} is not a label name.")
    duplicated = sorted({name for name in names if names.count(name) > 1})
    if duplicated:
        raise ValueError(f"{where}.group_by lists {duplicated} twice.")
    return list(names)


def _route(spec: dict, parent: Route | None, where: str, receivers: set[str]) -> Route:
    if not isinstance(spec, dict):
        raise ValueError(f"{where}: a route should be a mapping, got {type(spec).__name__}.")
    modelled = set(spec) & TIME_INTERVAL_FIELDS
    if modelled:
        raise ValueError(f"{where}: {sorted(modelled)[0]} is not modelled by the workbook's router (it would count "
                         "messages Alertmanager mutes); remove it to count notifications.")
    _known_fields(spec, ROUTE_FIELDS, where, "a route")
    matchers = _matchers(spec, "", where)
    if parent is None and matchers:
        raise ValueError(f"{where}: the root route must not have matchers (every alert enters it); put them on a "
                         "child route.")
    receiver = spec.get("receiver", parent.receiver if parent else None)
    if receiver is None:
        raise ValueError(f"{where}: the root route needs a receiver.")
    if receiver not in receivers:
        raise ValueError(f"{where}: receiver {receiver!r} is not defined under receivers ({sorted(receivers)}).")
    if not isinstance(spec.get("continue", False), bool):
        raise ValueError(f"{where}.continue should be true or false, got {spec['continue']!r}.")
    timing = {key: _duration(spec[key], f"{where}.{key}", zero_allowed=key not in CANNOT_BE_ZERO) if key in spec
              else (parent.timing[key] if parent else _duration(DEFAULTS[key], key)) for key in DEFAULTS}
    node = Route(receiver=receiver, matchers=matchers, cont=spec.get("continue", False),
                 group_by=_group_by(spec, parent, where), timing=timing)
    children = spec.get("routes", [])
    if not isinstance(children, list):
        raise ValueError(f"{where}.routes should be a list of routes, got {type(children).__name__}.")
    node.routes = [_route(child, node, f"{where}.routes[{i}]", receivers) for i, child in enumerate(children)]
    return node


def _receivers(config: dict, where: str) -> set[str]:
    names = []
    for i, receiver in enumerate(config["receivers"] or []):
        if not isinstance(receiver, dict) or not receiver.get("name"):
            raise ValueError(f"{where}: receivers[{i}] needs a name, like {{name: pagerduty}}.")
        names.append(receiver["name"])
    duplicated = sorted({name for name in names if names.count(name) > 1})
    if duplicated:
        raise ValueError(f"{where}: the receiver name {duplicated[0]!r} is defined twice under receivers.")
    return set(names)


def _inhibit_rule(rule: dict, where: str) -> dict:
    if not isinstance(rule, dict):
        raise ValueError(f"{where}: an inhibit rule should be a mapping, got {type(rule).__name__}.")
    _known_fields(rule, INHIBIT_FIELDS, where, "an inhibit rule")
    equal = rule.get("equal", [])
    if not isinstance(equal, list) or not all(isinstance(name, str) and LABEL_NAME.match(name) for name in equal):
        raise ValueError(f"{where}.equal should be a list of label names like [model], got {equal!r}.")
    return {"source": _matchers(rule, "source_", where), "target": _matchers(rule, "target_", where),
            "equal": list(equal)}


def load_config(source) -> dict:
    """An Alertmanager configuration (a path or a dict): the route tree, receivers and inhibit rules.

    What Alertmanager refuses is a ValueError naming the field: an unknown field, a zero
    ``group_interval`` or ``repeat_interval``, a duration that is not Prometheus's (``1.5m``,
    ``30s1m``), an undefined or duplicated receiver, matchers on the root route, an invalid
    matcher, regular expression or label name.
    """
    import yaml

    where = str(source) if isinstance(source, (str, Path)) else "config"
    config = yaml.safe_load(Path(source).read_text(encoding="utf-8")) if isinstance(source, (str, Path)) else source
    if not isinstance(config, dict) or "route" not in config or "receivers" not in config:
        raise ValueError(f"{where}: an Alertmanager configuration needs 'route' and 'receivers'.")
    _known_fields(config, CONFIG_FIELDS, where, "an Alertmanager configuration")
    receivers = _receivers(config, where)
    inhibit = [_inhibit_rule(rule, f"{where}: inhibit_rules[{i}]")
               for i, rule in enumerate(config.get("inhibit_rules") or [])]
    return {"route": _route(config["route"], None, f"{where}: route", receivers), "receivers": sorted(receivers),
            "inhibit": inhibit}


def _walk(node: Route, labels: dict[str, str]) -> list[Route]:
    matched = []
    for child in node.routes:
        if _all_hold(child.matchers, labels):
            matched += _walk(child, labels)
            if not child.cont:
                break
    return matched or [node]


def route(labels: dict[str, str], config: dict) -> list[str]:
    """The receivers an alert with these labels goes to, in Alertmanager's order."""
    return [node.receiver for node in _walk(config["route"], {key: str(value) for key, value in labels.items()})]


def _offsets(times: pd.Series) -> np.ndarray:
    """Alert times as integer nanoseconds from the first alert."""
    if pd.api.types.is_datetime64_any_dtype(times):
        if times.isna().any():
            raise ValueError(f"`alerts['time']` has {int(times.isna().sum())} missing time(s) (NaT): every alert "
                             "needs the time it starts firing.")
        return (times - times.min()).to_numpy().astype("timedelta64[ns]").astype(np.int64)
    seconds = pd.to_numeric(times, errors="coerce")
    if pd.api.types.is_bool_dtype(times) or seconds.isna().any() or not np.isfinite(seconds).all():
        bad = times[seconds.isna() | ~np.isfinite(seconds.fillna(0))].head(3).tolist() or times.head(3).tolist()
        raise ValueError(f"`alerts['time']` should hold seconds or Timestamps, got {bad!r} among them.")
    return np.round((seconds - seconds.min()).to_numpy(dtype=float) * 1e9).astype(np.int64)


def _label(alert: dict, name: str) -> str | None:
    """The alert's label as text; None when absent, missing (None, NaN) or empty."""
    value = alert.get(name)
    if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)) or str(value) == "":
        return None
    return str(value)


def _label_sets(alerts: pd.DataFrame) -> list[tuple]:
    """Each row's labels, as a sorted tuple of pairs: its identity. Missing (NaN) and empty values are absent."""
    identities = []
    for i, row in enumerate(alerts.drop(columns="time").to_dict("records")):
        labels = tuple(sorted((str(name), value) for name in row if (value := _label(row, name)) is not None))
        if not labels:
            raise ValueError(f"`alerts` row {i} has no labels: Alertmanager refuses an alert without any.")
        identities.append(labels)
    return identities


def _inhibited_from(started: dict[tuple, int], rules: list[dict]) -> dict[tuple, float]:
    """For each alert, when an inhibit rule starts muting it (inf: never), as Alertmanager's inhibitor decides.

    A target is muted by a firing source with the same ``equal`` labels; an alert that matches both
    sides of a rule is muted only by sources that do not match the target side too (so never by itself).
    """
    muted = dict.fromkeys(started, np.inf)
    for rule in rules:
        any_source, source_only = {}, {}
        for identity, at in started.items():
            labels = dict(identity)
            if _all_hold(rule["source"], labels):
                key = tuple(labels.get(name, "") for name in rule["equal"])
                any_source[key] = min(at, any_source.get(key, np.inf))
                if not _all_hold(rule["target"], labels):
                    source_only[key] = min(at, source_only.get(key, np.inf))
        for identity in started:
            labels = dict(identity)
            if _all_hold(rule["target"], labels):
                sources = source_only if _all_hold(rule["source"], labels) else any_source
                key = tuple(labels.get(name, "") for name in rule["equal"])
                muted[identity] = min(muted[identity], sources.get(key, np.inf))
    return muted


def _flushes(members: list[tuple[int, float]], timing: dict[str, int], horizon: int):
    """The messages of one aggregation group: (time, kind, newly notified alerts, alerts carried).

    ``members`` holds each alert's (start, start of its inhibition). The group is flushed
    ``group_wait`` after its first alert, then every ``group_interval``; at a flush, the alerts
    firing and not inhibited are sent when one of them was not in the last message, or again
    when more than ``repeat_interval`` has passed since it (Alertmanager compares the time of
    the last message, logged after it was sent, so a repeat due exactly at a flush waits for the
    next one). Only flushes where something can change are visited, so any interval is quick.
    """
    wait, interval, repeat = timing["group_wait"], timing["group_interval"], timing["repeat_interval"]
    first = min(start for start, _ in members) + wait

    def flush_at_or_after(moment) -> int:
        return first if moment <= first else first + -(-(int(moment) - first) // interval) * interval

    changes = sorted({start for start, _ in members} | {int(end) for _, end in members if np.isfinite(end)})
    notified, last, now = frozenset(), None, first
    while now <= horizon:
        firing = frozenset(i for i, (start, end) in enumerate(members) if start <= now < end)
        if firing and (last is None or not firing <= notified):
            yield now, "new", len(firing - notified), len(firing)
            notified, last = firing, now
        elif firing and now - last > repeat:
            yield now, "repeat", 0, len(firing)
            notified, last = firing, now
        upcoming = changes[bisect.bisect_right(changes, now):]
        candidates = [flush_at_or_after(upcoming[0])] if upcoming else []
        if firing:
            candidates.append(flush_at_or_after(last + repeat + 1))
        if not candidates:
            return
        now = min(candidates)


def notifications(alerts: pd.DataFrame, config: dict, *, until=None) -> pd.DataFrame:
    """The messages a stream of alerts sends: one row per (time, receiver, group) notification.

    ``alerts`` has a ``time`` column (seconds, or Timestamps) and one column per label (a
    missing value is an absent label); each row is an alert that starts firing then and fires
    until ``until`` (seconds from the first alert; default: the last alert's time); the same
    labels twice are the same alert. Per route and group (its ``group_by`` labels), as
    Alertmanager does: the first alert waits ``group_wait``, then one message carries everything
    in the group; afterwards the group is checked every ``group_interval`` and sends when it
    holds an alert its last message did not carry, or re-sends when more than ``repeat_interval``
    has passed since its last message. Inhibition is decided at each check, as Alertmanager's
    pipeline does: an alert matched by an inhibit rule's target is left out of every message
    from the time a source alert with the same ``equal`` labels fires (a warning sent before its
    critical is not repeated after it), and an alert matching both sides of a rule is muted only
    by a source that does not also match the target side.

    Columns: ``time`` (seconds from the first alert), ``receiver``, ``group`` (its labels),
    ``alerts`` (alerts the message is the first to carry), ``firing`` (alerts it carries) and
    ``kind`` ("new" or "repeat").
    """
    columns = ["time", "receiver", "group", "alerts", "firing", "kind"]
    if not isinstance(alerts, pd.DataFrame) or "time" not in alerts:
        raise ValueError("`alerts` needs a 'time' column (seconds, or Timestamps) and one column per label.")
    if alerts.empty:
        return pd.DataFrame(columns=columns)
    offsets = _offsets(alerts["time"])
    horizon = int(offsets.max()) if until is None else round(as_real_number("until", until) * 1e9)
    started: dict[tuple, int] = {}
    for at, identity in zip(offsets.tolist(), _label_sets(alerts)):
        started[identity] = min(at, started.get(identity, at))
    muted = _inhibited_from(started, config["inhibit"])
    groups: dict[tuple, dict] = {}
    for identity, at in sorted(started.items(), key=lambda pair: pair[1]):
        labels = dict(identity)
        for node in _walk(config["route"], labels):
            shown = dict(identity) if node.group_by is None else {
                name: labels[name] for name in node.group_by if name in labels}
            group = groups.setdefault((id(node), tuple(sorted(shown.items()))),
                                      {"node": node, "group": shown, "members": []})
            group["members"].append((at, muted[identity]))
    messages = [{"time": at / 1e9, "receiver": group["node"].receiver, "group": group["group"], "alerts": new,
                 "firing": firing, "kind": kind}
                for group in groups.values()
                for at, kind, new, firing in _flushes(group["members"], group["node"].timing, horizon)]
    return pd.DataFrame(messages, columns=columns).sort_values(["time", "receiver"], kind="stable").reset_index(
        drop=True)


def _bounded_key(key: str, limit: int) -> str:
    """``key`` if it fits in ``limit`` characters, else its start and a digest of all of it: the same key always
    gives the same result, and two long keys that share their first characters still differ."""
    if len(key) <= limit:
        return key
    digest = alert_key(key)
    return f"{key[:limit - len(digest) - 1]}~{digest}"


def _clipped(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, ending with how many were left out."""
    if len(text) <= limit:
        return text
    note = ""
    while True:  # the note's length depends on the count it shows: settles in two rounds at most
        kept = limit - len(note)
        settled = f"… ({len(text) - kept} more characters)"
        if settled == note:
            return text[:kept] + note
        note = settled


def _incident_key(alert: dict) -> str:
    return f"{_label(alert, 'model') or 'unknown'}/{_label(alert, 'alertname') or 'alert'}"


def _summary(alert: dict) -> str:
    return _label(alert, "summary") or (f"{_label(alert, 'alertname') or 'alert'} on "
                                        f"{_label(alert, 'model') or 'an unknown model'}")


def pagerduty_event(alert: dict, *, routing_key: str, source: str = "model-health-workbook") -> dict:
    """A PagerDuty Events API v2 ``trigger`` event for an alert (dedup by model and alert name).

    Within the API's limits: ``dedup_key`` at most 255 characters (a longer one keeps its start
    and gets a digest of the whole key, so the same alert always has the same key), the summary
    at most 1024; ``component`` (model), ``group`` (team) and ``class`` (kind) are strings, and
    left out when the alert has no such label.
    """
    severity = _label(alert, "severity")
    optional = {field_name: _label(alert, label) for field_name, label in
                (("component", "model"), ("group", "team"), ("class", "kind"))}
    return {"routing_key": routing_key, "event_action": "trigger",
            "dedup_key": _bounded_key(_incident_key(alert), PAGERDUTY_DEDUP_KEY),
            "payload": {"summary": _clipped(_summary(alert), PAGERDUTY_SUMMARY), "source": source,
                        "severity": severity if severity in ("critical", "error", "warning", "info") else "warning",
                        **{name: value for name, value in optional.items() if value is not None},
                        "custom_details": {key: value for key, value in alert.items() if key != "summary"}}}


def servicenow_incident(alert: dict, *, caller: str = "model-health-monitor") -> dict:
    """A ServiceNow incident (Table API fields) for an alert: urgency and impact from its severity.

    ``short_description`` fits the table's 160 characters and ``correlation_id`` its 100 (a
    longer key keeps its start and gets a digest of the whole key: the same alert, the same id).
    """
    level = {"critical": "1", "warning": "2"}.get(_label(alert, "severity"), "3")
    return {"short_description": _clipped(_summary(alert), SERVICENOW_SHORT_DESCRIPTION),
            "description": "\n".join(f"{key}: {value}" for key, value in sorted(alert.items())),
            "urgency": level, "impact": level, "category": "software", "subcategory": "machine learning model",
            "cmdb_ci": _label(alert, "model") or "", "assignment_group": _label(alert, "team") or "",
            "caller_id": caller, "correlation_id": _bounded_key(_incident_key(alert), SERVICENOW_CORRELATION_ID)}


def slack_message(text: str, details: list[str] = ()) -> dict:
    """A Slack message: ``text`` in a section block, ``details`` as the lines of a context block.

    Within Block Kit's limits: each text at most 3,000 characters (cut with a note of how much
    was left out: a long list of drifted features stays readable) and at most 10 context
    elements (the last one says how many lines were left out). ``text`` is also the message's
    fallback text (notifications, screen readers).
    """
    headline = _clipped(str(text), SLACK_TEXT)
    lines = [_clipped(str(line), SLACK_TEXT) for line in details]
    if len(lines) > SLACK_CONTEXT_ELEMENTS:
        lines = lines[:SLACK_CONTEXT_ELEMENTS - 1] + [f"… and {len(lines) - SLACK_CONTEXT_ELEMENTS + 1} more lines"]
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": headline}}]
    if lines:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": line} for line in lines]})
    return {"text": headline, "blocks": blocks}
