"""Alert routing: the workbook's router picks the receivers Alertmanager's own `amtool config routes
test` picks, for a table of alerts; grouping, repeats and inhibition count messages as Alertmanager
sends them; malformed configurations are errors naming the field; incident payloads carry the
fields PagerDuty's Events API v2 and ServiceNow's incident table require."""

from __future__ import annotations

import http.server
import json
import re
import shutil
import socket
import subprocess
import threading
import time
from importlib import resources
from pathlib import Path

import pandas as pd
import pytest

from model_health.services.alert_routing import (load_config, notifications, pagerduty_event, route,
                                                 servicenow_incident, slack_message)

CONFIG = Path(str(resources.files("model_health.services") / "policy" / "alertmanager.yml"))

ALERTS = [
    {"severity": "critical", "model": "churn", "alertname": "F1Drop"},
    {"severity": "critical", "model": "fraud", "team": "payments", "alertname": "RecallDrop"},
    {"severity": "warning", "model": "credit", "kind": "drift", "alertname": "PSIHigh"},
    {"severity": "warning", "model": "credit", "kind": "fairness", "alertname": "FNRGap"},
    {"severity": "warning", "model": "credit", "kind": "driftish", "alertname": "Odd"},  # regexes are anchored
    {"severity": "warning", "model": "hr", "kind": "latency", "risk_tier": "high"},
    {"severity": "warning", "model": "forecast", "kind": "latency", "risk_tier": "minimal"},
    {"severity": "info", "model": "forecast"},
    {"severity": "info", "team": "payments", "model": "fraud"},
    {"severity": "warning", "team": "payments", "kind": "drift", "model": "fraud"},
    {"model": "churn"},
    {"severity": "CRITICAL", "model": "churn"},  # matching is case-sensitive
]


@pytest.fixture(scope="module")
def config():
    return load_config(CONFIG)


def amtool_receivers(labels: dict) -> list[str]:
    completed = subprocess.run(["amtool", "config", "routes", "test", f"--config.file={CONFIG}",
                                *(f"{key}={value}" for key, value in labels.items())],
                               capture_output=True, text=True, timeout=60, check=True)
    return completed.stdout.strip().split(",")


@pytest.mark.skipif(shutil.which("amtool") is None, reason="amtool is not installed (Debian: apt-get install "
                                                              "prometheus-alertmanager; CI installs it)")
@pytest.mark.parametrize("labels", ALERTS, ids=lambda labels: ",".join(f"{k}={v}" for k, v in labels.items()))
def test_the_router_agrees_with_amtool(config, labels):
    assert route(labels, config) == amtool_receivers(labels)


def test_the_routing_the_fleet_needs(config):
    assert route(ALERTS[0], config) == ["pagerduty"]
    assert route(ALERTS[1], config) == ["payments-slack", "pagerduty"]  # continue: true, then the page
    assert route(ALERTS[2], config) == ["servicenow"]
    assert route(ALERTS[5], config) == ["servicenow"] and route(ALERTS[6], config) == ["digest"]


def alerts_at(rows) -> pd.DataFrame:
    return pd.DataFrame([{"time": time, **labels} for time, labels in rows])


def test_grouping_turns_a_burst_into_one_page_and_repeats_after_the_interval(config):
    burst = alerts_at([(second, {"severity": "critical", "model": "churn", "alertname": "F1Drop",
                                 "instance": str(second)}) for second in range(0, 9)])
    messages = notifications(burst, config, until=2 * 3600)
    new, repeats = messages[messages["kind"] == "new"], messages[messages["kind"] == "repeat"]
    assert len(new) == 1 and new["alerts"].iloc[0] == 9 and new["time"].iloc[0] == 10  # group_wait 10s
    # Checked every group_interval (5m) from the first message; re-sent once more than an hour (repeat_interval)
    # has passed: Alertmanager compares the time its last message was logged, just after the check that sent it,
    # so at the check exactly an hour later not quite an hour has passed (a 5m/5m route repeats every 10 minutes).
    assert repeats["time"].tolist() == [10 + 13 * 300]


def test_a_new_alert_in_a_group_waits_for_the_group_interval(config):
    stream = alerts_at([(0, {"severity": "critical", "model": "churn", "alertname": "F1Drop", "instance": "a"}),
                        (60, {"severity": "critical", "model": "churn", "alertname": "F1Drop", "instance": "b"})])
    messages = notifications(stream, config, until=600)
    assert messages[["time", "alerts"]].values.tolist() == [[10, 1], [310, 1]]  # group_interval 5m after the first


def test_inhibition_silences_warnings_of_a_model_that_pages(config):
    stream = alerts_at([(0, {"severity": "critical", "model": "credit", "alertname": "F1Drop"}),
                        (5, {"severity": "warning", "model": "credit", "kind": "drift", "alertname": "PSIHigh"}),
                        (5, {"severity": "warning", "model": "hr", "kind": "drift", "alertname": "PSIHigh"})])
    messages = notifications(stream, config, until=120)
    assert sorted(messages["receiver"]) == ["pagerduty", "servicenow"]
    assert messages.loc[messages["receiver"] == "servicenow", "group"].iloc[0] == {"model": "hr"}


@pytest.mark.parametrize("change, message", [
    (lambda c: c["route"].update(receiver="nobody"), "receiver 'nobody' is not defined"),
    (lambda c: c["route"]["routes"][0].update(matchers=["team payments"]), "route.routes[0].matchers[0]"),
    (lambda c: c["route"].update(group_wait="soon"), "route.group_wait: 'soon' is not an Alertmanager duration"),
    (lambda c: c["route"]["routes"][2].update(matchers=['kind=~"(drift"']), "invalid regular expression"),
    (lambda c: c.pop("receivers"), "needs 'route' and 'receivers'"),
])
def test_a_malformed_configuration_names_the_field(change, message):
    import yaml

    spec = yaml.safe_load(CONFIG.read_text())
    change(spec)
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace("[", r"\[").replace("]", r"\]")):
        load_config(spec)


def test_incident_payloads_carry_the_required_fields():
    alert = {"severity": "critical", "model": "churn", "alertname": "F1Drop", "team": "retention",
             "summary": "F1 0.34 below 0.48", "kind": "performance"}
    event = pagerduty_event(alert, routing_key="R0UT1NGKEY")
    assert event["event_action"] == "trigger" and event["routing_key"] == "R0UT1NGKEY"
    assert {"summary", "source", "severity"} <= set(event["payload"]) and event["dedup_key"] == "churn/F1Drop"
    assert pagerduty_event({**alert, "severity": "page"}, routing_key="k")["payload"]["severity"] == "warning"
    incident = servicenow_incident(alert)
    assert incident["urgency"] == incident["impact"] == "1" and incident["short_description"] == alert["summary"]
    assert incident["correlation_id"] == "churn/F1Drop"


# --- configurations: what Alertmanager refuses is refused, what it accepts is read as it reads it -----------------

def amtool_accepts(spec: dict, folder: Path) -> bool:
    import yaml

    path = folder / "alertmanager.yml"
    path.write_text(yaml.safe_dump(spec))
    completed = subprocess.run(["amtool", "check-config", str(path)], capture_output=True, text=True, timeout=60)
    return completed.returncode == 0


def shipped_config() -> dict:
    import yaml

    return yaml.safe_load(CONFIG.read_text())


CONFIG_CHANGES = {  # id: (change to the shipped configuration, our message, or None where Alertmanager accepts it)
    "group_interval 0s": (lambda c: c["route"].update(group_interval="0s"), "route.group_interval cannot be zero"),
    "repeat_interval 0": (lambda c: c["route"]["routes"][1].update(repeat_interval=0),
                          "route.routes[1].repeat_interval cannot be zero"),
    "group_wait 0s": (lambda c: c["route"].update(group_wait="0s"), None),
    "1.5m": (lambda c: c["route"].update(group_interval="1.5m"), "'1.5m' is not an Alertmanager duration"),
    "units out of order": (lambda c: c["route"].update(group_wait="30s1m"), "'30s1m' is not an Alertmanager dur"),
    "units in order": (lambda c: c["route"].update(repeat_interval="1d2h30m"), None),
    "matchers on the root": (lambda c: c["route"].update(matchers=['team="x"']), "root route must not have matchers"),
    "misspelt route field": (lambda c: c["route"]["routes"][0].update(group_wiat="1s"),
                             "'group_wiat' is not a field of a route"),
    "misspelt inhibit field": (lambda c: c["inhibit_rules"][0].update(source_matcher=['a="b"']),
                               "'source_matcher' is not a field of an inhibit rule"),
    "receiver twice": (lambda c: c["receivers"].append({"name": "digest"}), "'digest' is defined twice"),
    "'...' beside a label": (lambda c: c["route"].update(group_by=["...", "model"]), "'...' (every label) cannot"),
    "group_by every label": (lambda c: c["route"].update(group_by=["..."]), None),
    "bad label in source_match": (lambda c: c["inhibit_rules"].append({"source_match": {"1x": "y"}}),
                                  "'1x' is not a label name"),
    "old inhibit syntax": (lambda c: c["inhibit_rules"].append(
        {"source_match": {"severity": "critical"}, "target_match_re": {"kind": "drift|fairness"}, "equal": ["model"]}),
        None),
    "old route syntax": (lambda c: c["route"]["routes"].append(
        {"match": {"severity": "info"}, "match_re": {"model": "fraud|credit"}, "receiver": "digest"}), None),
}


@pytest.mark.parametrize("case", CONFIG_CHANGES)
def test_a_configuration_is_refused_where_alertmanager_refuses_it(case):
    change, message = CONFIG_CHANGES[case]
    spec = shipped_config()
    change(spec)
    if message is None:
        load_config(spec)
    else:
        with pytest.raises(ValueError, match=re.escape(message)):
            load_config(spec)


@pytest.mark.skipif(shutil.which("amtool") is None, reason="amtool is not installed (Debian: apt-get install "
                                                              "prometheus-alertmanager; CI installs it)")
@pytest.mark.parametrize("case", CONFIG_CHANGES)
def test_amtool_check_config_agrees_on_each_configuration(case, tmp_path):
    change, message = CONFIG_CHANGES[case]
    spec = shipped_config()
    change(spec)
    assert amtool_accepts(spec, tmp_path) == (message is None)


def test_time_intervals_are_named_as_not_modelled():
    spec = shipped_config()
    spec["route"]["routes"][0]["mute_time_intervals"] = ["weekends"]
    with pytest.raises(ValueError, match="mute_time_intervals is not modelled"):
        load_config(spec)


def test_a_one_millisecond_interval_over_a_day_is_counted_without_visiting_every_check():
    """With group_interval 1ms, a day holds 86 million checks; only those where something changes are visited."""
    spec = {"route": {"receiver": "r", "group_wait": "0s", "group_interval": "1ms", "repeat_interval": "1h"},
            "receivers": [{"name": "r"}]}
    messages = notifications(alerts_at([(0, {"alertname": "A"})]), load_config(spec), until=86400)
    # Sent at 0, then at the first check more than an hour after each message: every 3600.001 s.
    assert messages["kind"].tolist() == ["new"] + ["repeat"] * 23
    assert messages["time"].iloc[-1] == pytest.approx(23 * 3600.001)


# --- inhibition, decided at each check as Alertmanager's notification pipeline does ---------------------------------

FAST = {"group_by": ["model", "alertname"], "group_wait": "1s", "group_interval": "5s", "repeat_interval": "5s"}


def fast_config(inhibit_rules: list[dict]) -> dict:
    return load_config({"route": {"receiver": "hook", **FAST}, "receivers": [{"name": "hook"}],
                        "inhibit_rules": inhibit_rules})


PAGING_MUTES_WARNINGS = {"source_matchers": ['severity="critical"'], "target_matchers": ['severity="warning"'],
                         "equal": ["model"]}


def messages_of(messages: pd.DataFrame, **group) -> list:
    return messages.loc[messages["group"] == group, ["time", "firing"]].values.tolist()


def test_a_warning_that_starts_before_its_critical_is_not_repeated_once_the_critical_fires():
    stream = alerts_at([(0, {"severity": "warning", "model": "credit", "alertname": "PSIHigh"}),
                        (3, {"severity": "critical", "model": "credit", "alertname": "F1Drop"})])
    messages = notifications(stream, fast_config([PAGING_MUTES_WARNINGS]), until=20)
    # Sent at 1 s, before the page; the checks at 6, 11 and 16 s find it inhibited (it was re-sent at each before).
    assert messages_of(messages, model="credit", alertname="PSIHigh") == [[1, 1]]
    assert messages_of(messages, model="credit", alertname="F1Drop") == [[4, 1], [14, 1]]


def test_an_alert_matching_both_sides_of_a_rule_is_muted_by_another_source_but_not_by_itself():
    rule = {"source_matchers": ['alertname="ServingDown"'], "target_matchers": ['kind=~"latency|drift"'],
            "equal": ["model"]}
    both_sides = {"alertname": "ServingDown", "kind": "latency", "severity": "info"}
    stream = alerts_at([(0, {**both_sides, "model": "fraud"}),  # alone: it cannot inhibit itself
                        (0, {**both_sides, "model": "hr"}),
                        (0, {**both_sides, "model": "hr", "kind": "infra"})])  # a source only: mutes the one above
    messages = notifications(stream, fast_config([rule]), until=3)
    assert messages_of(messages, model="fraud", alertname="ServingDown") == [[1, 1]]
    assert messages_of(messages, model="hr", alertname="ServingDown") == [[1, 1]]  # 2 alerts, one inhibited


@pytest.mark.parametrize("old_style", [
    {"source_match": {"severity": "critical"}, "target_match": {"severity": "warning"}, "equal": ["model"]},
    {"source_match_re": {"severity": "crit.*"}, "target_match_re": {"severity": "warn.*"}, "equal": ["model"]},
], ids=["match", "match_re"])
def test_the_deprecated_inhibit_syntax_inhibits_as_its_matchers_do(old_style):
    stream = alerts_at([(0, {"severity": "critical", "model": "credit", "alertname": "F1Drop"}),
                        (0, {"severity": "warning", "model": "credit", "alertname": "PSIHigh"}),
                        (0, {"severity": "warning", "model": "hr", "alertname": "PSIHigh"})])
    expected = notifications(stream, fast_config([PAGING_MUTES_WARNINGS]), until=30)
    assert notifications(stream, fast_config([old_style]), until=30).equals(expected)
    assert not messages_of(expected, model="credit", alertname="PSIHigh")


def test_an_alert_without_a_label_is_grouped_and_matched_as_alertmanager_does():
    """A label missing from a row (NaN in the frame) is absent, not the text 'nan'."""
    stream = alerts_at([(0, {"severity": "warning", "model": "forecast", "kind": "latency", "alertname": "Slow"}),
                        (0, {"severity": "info", "model": "forecast"})])
    messages = notifications(stream, load_config(CONFIG), until=60)
    assert sorted(messages["group"].map(lambda group: tuple(sorted(group.items())))) == [
        (("alertname", "Slow"), ("model", "forecast")), (("model", "forecast"),)]  # not {'alertname': 'nan'}


# --- payloads within the published limits --------------------------------------------------------------------------

# PagerDuty Events API v2 (developer.pagerduty.com, "Send an Alert Event"): dedup_key at most 255 characters, summary
# at most 1024, component, group and class strings. ServiceNow's incident table: short_description String (160),
# correlation_id String (100). Slack Block Kit: a text object at most 3000 characters, a context block at most 10
# elements.
TEXT = {"type": "string", "minLength": 1}
PAGERDUTY_EVENT = {
    "type": "object", "required": ["routing_key", "event_action", "payload"],
    "properties": {
        "event_action": {"enum": ["trigger", "acknowledge", "resolve"]},
        "dedup_key": {**TEXT, "maxLength": 255},
        "payload": {"type": "object", "required": ["summary", "source", "severity"], "properties": {
            "summary": {**TEXT, "maxLength": 1024}, "source": TEXT,
            "severity": {"enum": ["critical", "error", "warning", "info"]},
            "component": TEXT, "group": TEXT, "class": TEXT, "custom_details": {"type": "object"}}}}}
SERVICENOW_INCIDENT = {
    "type": "object", "required": ["short_description", "correlation_id"],
    "properties": {"short_description": {**TEXT, "maxLength": 160}, "correlation_id": {**TEXT, "maxLength": 100},
                   "urgency": {"enum": ["1", "2", "3"]}, "impact": {"enum": ["1", "2", "3"]}},
    "additionalProperties": {"type": "string"}}
SLACK_TEXT = {"type": "object", "required": ["type", "text"],
              "properties": {"type": {"enum": ["mrkdwn", "plain_text"]}, "text": {**TEXT, "maxLength": 3000}}}
SLACK_MESSAGE = {
    "type": "object", "required": ["text", "blocks"],
    "properties": {"text": TEXT, "blocks": {"type": "array", "maxItems": 50, "items": {"oneOf": [
        {"type": "object", "properties": {"type": {"const": "section"}, "text": SLACK_TEXT}, "required": ["text"]},
        {"type": "object", "properties": {"type": {"const": "context"}, "elements": {
            "type": "array", "minItems": 1, "maxItems": 10, "items": SLACK_TEXT}}, "required": ["elements"]}]}}}}

LONG = "drift-of-the-" + "very-" * 80 + "long-feature-name"  # 428 characters


def conforms(payload: dict, schema: dict) -> None:
    import jsonschema

    jsonschema.validate(payload, schema)


@pytest.mark.parametrize("alert", [
    {"severity": "critical", "model": "churn", "alertname": "F1Drop", "team": "retention", "kind": "performance"},
    {"severity": "critical", "alertname": "F1Drop"},  # no model, team or kind: no null fields
    {"severity": "critical", "model": LONG, "alertname": LONG, "summary": LONG * 5, "team": None, "kind": ""},
], ids=["full", "few labels", "long labels"])
def test_payloads_stay_within_the_published_limits(alert):
    conforms(pagerduty_event(alert, routing_key="R0UT1NGKEY"), PAGERDUTY_EVENT)
    conforms(servicenow_incident(alert), SERVICENOW_INCIDENT)


def test_long_keys_stay_unique_and_the_same_for_the_same_alert():
    alerts = [{"model": LONG, "alertname": f"{LONG}-{i}", "severity": "critical"} for i in range(3)]
    for build, key in ((lambda alert: pagerduty_event(alert, routing_key="k"), "dedup_key"),
                       (servicenow_incident, "correlation_id")):
        keys = [build(alert)[key] for alert in alerts]
        assert len(set(keys)) == 3  # same first characters, different alerts: different keys
        assert keys == [build(dict(alert))[key] for alert in alerts]  # idempotent: built again, the same key
        assert keys[0].startswith(LONG[:30])  # still readable
    short = {"model": "churn", "alertname": "F1Drop"}
    assert pagerduty_event(short, routing_key="k")["dedup_key"] == servicenow_incident(short)["correlation_id"]


def test_a_slack_alert_stays_within_block_kit_limits_however_many_features_drift():
    from model_health.services.monitor_job import MonitorResult, _payload

    drift = pd.DataFrame({"psi": 1.0}, index=[f"{LONG}-{i}" for i in range(400)])
    result = MonitorResult(window_start="2026-04-20T00:00:00", window_end="2026-04-27T00:00:00", n_predictions=9000,
                           n_labelled=4000, f1=0.31, f1_threshold=0.45, status="alert", reason="", malformed={},
                           drift=drift)
    payload = _payload(LONG * 10, result, Path("report.html"))
    conforms(payload, SLACK_MESSAGE)
    lines = [element["text"] for element in payload["blocks"][1]["elements"]]
    assert lines[0].startswith("Drifted features (PSI >= 0.25): 400: ") and lines[0].endswith(" more characters)")
    assert lines[1] == "Report: report.html" and _payload(LONG * 10, result, Path("report.html")) == payload


def test_a_slack_message_with_many_lines_says_how_many_were_left_out():
    message = slack_message("F1 below threshold", [f"line {i}" for i in range(25)])
    conforms(message, SLACK_MESSAGE)
    assert message["blocks"][1]["elements"][-1]["text"] == "… and 16 more lines"


# --- against a live Alertmanager -----------------------------------------------------------------------------------

ALERTMANAGER = shutil.which("alertmanager") or shutil.which("prometheus-alertmanager")  # Debian names it the latter
LIVE_SECONDS = 14.0  # every group is checked at odd seconds (1s wait, 2s interval): the cut is a second from any


class WebhookReceiver:
    """A local HTTP receiver for Alertmanager's webhook: keeps (seconds since ``start``, body) of each POST."""

    def __init__(self):
        received, lock = [], threading.Lock()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with lock:
                    received.append((time.monotonic(), body))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):  # quiet: pytest shows stderr of failing tests
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.received, self.lock = received, lock

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/"

    def messages(self, start: float, until: float) -> list[tuple[float, dict]]:
        with self.lock:
            return [(at - start, body) for at, body in self.received if at - start <= until]

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def live_config(webhook_url: str) -> dict:
    """Short timings, the paging rule in today's syntax and a rule in the deprecated one (source_match...)."""
    return {"route": {"receiver": "hook", "group_by": ["model", "alertname"], "group_wait": "1s",
                      "group_interval": "2s", "repeat_interval": "5s"},
            "receivers": [{"name": "hook", "webhook_configs": [{"url": webhook_url, "send_resolved": False}]}],
            "inhibit_rules": [PAGING_MUTES_WARNINGS, {"source_match": {"alertname": "ServingDown"},
                                                      "target_match_re": {"kind": "latency|drift"},
                                                      "equal": ["model"]}]}


LIVE_ALERTS = [  # (seconds from the start, labels)
    (0, {"alertname": "PSIHigh", "model": "credit", "severity": "warning"}),  # starts before its critical
    (0, {"alertname": "ServingDown", "model": "fraud", "kind": "latency", "severity": "info"}),  # both sides, alone
    (0, {"alertname": "ServingDown", "model": "hr", "kind": "latency", "severity": "info"}),  # both sides...
    (0, {"alertname": "ServingDown", "model": "hr", "kind": "infra", "severity": "info"}),  # ...muted by this source
    (2, {"alertname": "F1Drop", "model": "credit", "severity": "critical"}),
]


def started_alertmanager(config_path: Path, folder: Path) -> tuple[subprocess.Popen, str]:
    import httpx

    address = f"127.0.0.1:{free_port()}"
    log = (folder / "alertmanager.log").open("w")
    process = subprocess.Popen([ALERTMANAGER, f"--config.file={config_path}", f"--storage.path={folder / 'data'}",
                                f"--web.listen-address={address}", "--cluster.listen-address=", "--log.level=debug"],
                               stdout=log, stderr=subprocess.STDOUT)
    log.close()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"http://{address}/-/ready", timeout=2).status_code == 200:
                return process, f"http://{address}"
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    process.kill()
    process.wait()
    raise AssertionError(f"Alertmanager did not become ready in 30 s: {(folder / 'alertmanager.log').read_text()}")


def carried(messages: list[dict]) -> dict:
    """Per group (its labels, sorted), the number of alerts each message carried, in order."""
    per_group: dict[tuple, list[int]] = {}
    for message in messages:
        per_group.setdefault(tuple(sorted(message["group"].items())), []).append(message["firing"])
    return per_group


@pytest.mark.skipif(ALERTMANAGER is None, reason="Alertmanager is not installed (Debian: apt-get install "
                                                 "prometheus-alertmanager; CI installs it)")
def test_the_notifications_are_those_a_live_alertmanager_sends(tmp_path):
    """Alerts posted to a live Alertmanager (loopback, no cluster) over 14 s: per group, the router's messages are
    the ones its webhook receives, with the same number of alerts in each (inhibition decided at each check)."""
    import httpx
    import yaml

    with WebhookReceiver() as receiver:
        config = live_config(receiver.url)
        config_path = tmp_path / "alertmanager.yml"
        config_path.write_text(yaml.safe_dump(config))
        process, address = started_alertmanager(config_path, tmp_path)
        try:
            posted, start = [], time.monotonic()
            for offset in sorted({offset for offset, _ in LIVE_ALERTS}):
                time.sleep(max(0.0, start + offset - time.monotonic()))
                batch = [labels for at, labels in LIVE_ALERTS if at == offset]
                sent_at = time.monotonic() - start
                httpx.post(f"{address}/api/v2/alerts", json=[{"labels": labels} for labels in batch],
                           timeout=10).raise_for_status()
                posted += [{"time": sent_at, **labels} for labels in batch]
            time.sleep(max(0.0, start + LIVE_SECONDS - time.monotonic()))
            delivered = receiver.messages(start, LIVE_SECONDS)
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    # Times are those the alerts were posted at, so a slow start shifts both sides alike.
    expected = notifications(pd.DataFrame(posted), load_config(config), until=LIVE_SECONDS)
    live = [{"group": body["groupLabels"], "firing": sum(alert["status"] == "firing" for alert in body["alerts"])}
            for _, body in delivered]
    log = (tmp_path / "alertmanager.log").read_text()
    received = [(round(at, 2), body["groupLabels"]) for at, body in delivered]
    assert carried(live) == carried(expected.to_dict("records")), (
        f"live: {received}\nworkbook:\n{expected}\n{log[-3000:]}")
    assert carried(live)[(("alertname", "PSIHigh"), ("model", "credit"))] == [1]  # not repeated after the page
    assert carried(live)[(("alertname", "ServingDown"), ("model", "hr"))] == [1, 1, 1]  # one of two inhibited
