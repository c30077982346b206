"""Alert routing: the workbook's router picks the receivers Alertmanager's own `amtool config routes
test` picks, for a table of alerts; grouping, repeats and inhibition count messages as Alertmanager
sends them; malformed configurations are errors naming the field; incident payloads carry the
fields PagerDuty's Events API v2 and ServiceNow's incident table require."""

from __future__ import annotations

import shutil
import subprocess
from importlib import resources
from pathlib import Path

import pandas as pd
import pytest

from model_health.alert_routing import load_config, notifications, pagerduty_event, route, servicenow_incident

CONFIG = Path(str(resources.files("model_health") / "policy" / "alertmanager.yml"))

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
    # Checked every group_interval (5m) from the first message; re-sent once an hour (repeat_interval) has passed.
    assert repeats["time"].tolist() == [10 + 12 * 300]


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
