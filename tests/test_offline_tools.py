"""The tools the notebooks use run offline and send nothing: no outbound connection is attempted.

Each check runs in a fresh Python with a network guard (a ``sitecustomize`` module on
``PYTHONPATH``, so child processes get it too): connecting to, or looking up, any address
that is not loopback raises ``OSError`` and is written to a log. The guard stops the
attempt before a packet leaves, so even the tests that prove telemetry *would* be sent
send nothing. The environment is cleaned of the variables that already silence telemetry
(and of ``CI`` / ``PYTEST_CURRENT_TEST``, which MLflow reads as "do not track"), so only
the workbook's own defaults (``model_health._offline``) keep the tools quiet.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from model_health._offline import OFFLINE_DEFAULTS

from conftest import chromium, rendered_text

GUARD = '''
"""Network guard for tests/test_offline_tools.py: only loopback; other attempts are logged and refused."""
import errno
import ipaddress
import os
import socket

_LOG = os.environ["NETWORK_GUARD_LOG"]


def _is_loopback(host):
    if host in ("localhost", "", None):
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False  # a host name other than localhost: a lookup would leave the machine


def _refuse(kind, target):
    with open(_LOG, "a", encoding="utf-8") as log:
        log.write(f"{kind} {target!r}\\n")
    return OSError(errno.ENETUNREACH, f"network blocked by the test guard (only loopback): {target!r}")


def _is_local(address):
    return not isinstance(address, tuple) or _is_loopback(address[0])  # non-tuples: Unix sockets


_connect, _connect_ex, _getaddrinfo = socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo


def connect(self, address):
    if not _is_local(address):
        raise _refuse("connect", address)
    return _connect(self, address)


def connect_ex(self, address):
    if not _is_local(address):
        return _refuse("connect", address).errno
    return _connect_ex(self, address)


def getaddrinfo(host, *args, **kwargs):
    if not _is_loopback(host.decode() if isinstance(host, bytes) else host):
        _refuse("lookup", host)
        raise socket.gaierror(socket.EAI_NONAME, f"lookup blocked by the test guard: {host!r}")
    return _getaddrinfo(host, *args, **kwargs)


socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo = connect, connect_ex, getaddrinfo
'''

# Variables that silence telemetry on their own, removed so the test sees the workbook's defaults:
# ours, and those MLflow 3.17 reads as "CI or a test run" (mlflow/telemetry/utils.py).
SILENCERS = {*OFFLINE_DEFAULTS, "PYTEST_CURRENT_TEST", "GITHUB_ACTIONS", "CI", "CIRCLECI", "GITLAB_CI", "JENKINS_URL",
             "TRAVIS", "TF_BUILD", "BITBUCKET_BUILD_NUMBER", "CODEBUILD_BUILD_ARN", "BUILDKITE", "TEAMCITY_VERSION",
             "CLOUD_RUN_EXECUTION", "RUNBOT_HOST_URL", "RUNBOT_BUILD_NAME", "RUNBOT_WORKER_ID"}


def run_guarded(code: str, workdir: Path, *, env: dict[str, str] | None = None,
                timeout: float = 240) -> tuple[subprocess.CompletedProcess, list[str]]:
    """Run ``code`` in a fresh Python behind the network guard; return the result and the refused attempts."""
    guard_dir = workdir / "guard"
    guard_dir.mkdir(exist_ok=True)
    (guard_dir / "sitecustomize.py").write_text(GUARD)
    log = workdir / "network-attempts.log"
    log.touch()
    # No MLFLOW_* either: a tracking URI or experiment id set by an earlier test must not steer the probe.
    clean = {name: value for name, value in os.environ.items()
             if name not in SILENCERS and not name.startswith("MLFLOW_")}
    clean.update(PYTHONPATH=os.pathsep.join([str(guard_dir), *filter(None, [os.environ.get("PYTHONPATH")])]),
                 NETWORK_GUARD_LOG=str(log), HOME=str(workdir), XDG_CONFIG_HOME=str(workdir / ".config"),
                 **(env or {}))
    completed = subprocess.run([sys.executable, "-c", textwrap.dedent(code), str(workdir)], env=clean,
                               capture_output=True, text=True, timeout=timeout, cwd=workdir)
    return completed, log.read_text().splitlines()


TOOLS = '''
import json
import socket
import sys
import threading
import time
from pathlib import Path

import model_health  # noqa: F401  (switches the tools' telemetry off by default)
import numpy as np
import pandas as pd

out, results = Path(sys.argv[1]), {}
rng = np.random.default_rng(0)

# Evidently: a data-drift report saved as one HTML file.
from evidently import Report
from evidently.presets import DataDriftPreset

reference = pd.DataFrame({"income": rng.normal(50, 10, 400), "region": rng.choice(["north", "south"], 400)})
current = pd.DataFrame({"income": rng.normal(58, 10, 400), "region": rng.choice(["north", "south"], 400)})
Report([DataDriftPreset()]).run(current_data=current, reference_data=reference).save_html(str(out / "drift.html"))
results["evidently_html_bytes"] = (out / "drift.html").stat().st_size

# Aequitas: the group table (counts and rates per group).
from aequitas.group import Group

audit = pd.DataFrame({"score": rng.integers(0, 2, 300), "label_value": rng.integers(0, 2, 300),
                      "sex": rng.choice(["female", "male"], 300)})
table, _ = Group().get_crosstabs(audit)
results["aequitas_groups"] = sorted(table["attribute_value"])

# LIME: a local explanation of one prediction.
from lime.lime_tabular import LimeTabularExplainer
from sklearn.linear_model import LogisticRegression

X = rng.normal(size=(300, 3))
model = LogisticRegression().fit(X, (X[:, 0] > 0).astype(int))
explanation = LimeTabularExplainer(X, feature_names=["a", "b", "c"], random_state=0).explain_instance(
    X[0], model.predict_proba, num_features=3, num_samples=500)
results["lime_top_feature"] = explanation.as_list()[0][0]

# MLflow: a run logged to a local store. MLflow 3.17 refuses a plain file store (its "maintenance
# mode" error asks for a database): a SQLite file is the local store it recommends.
import mlflow

mlflow.set_tracking_uri(f"sqlite:///{out / 'mlflow.db'}")
with mlflow.start_run() as run:
    mlflow.log_param("threshold", 0.3)
    mlflow.log_metric("auc", 0.81)
results["mlflow_metric"] = mlflow.get_run(run.info.run_id).data.metrics["auc"]

# FastAPI served by uvicorn on a free loopback port, called with httpx.
import httpx
import uvicorn
from fastapi import FastAPI

app = FastAPI()


@app.get("/health")
def health():
    return {"status": "ok"}


listener = socket.socket()
listener.bind(("127.0.0.1", 0))  # the OS picks a free port
server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
thread.start()
deadline = time.monotonic() + 20
while not server.started and time.monotonic() < deadline:
    time.sleep(0.05)
response = httpx.get(f"http://127.0.0.1:{listener.getsockname()[1]}/health", timeout=10)
results["fastapi"] = response.json()
server.should_exit = True
thread.join(10)

print(json.dumps(results))
'''


@pytest.fixture(scope="module")
def tools_run(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("offline")
    completed, attempts = run_guarded(TOOLS, workdir)
    return workdir, completed, attempts


class TestToolsOffline:
    def test_each_tool_runs_its_basic_use(self, tools_run):
        """Evidently, Aequitas, LIME, MLflow and FastAPI/uvicorn/httpx work with only loopback."""
        _, completed, _ = tools_run
        assert completed.returncode == 0, completed.stderr[-3000:]
        results = json.loads(completed.stdout.strip().splitlines()[-1])
        assert results["evidently_html_bytes"] > 100_000  # the report's scripts travel inside the file
        assert results["aequitas_groups"] == ["female", "male"]
        assert results["lime_top_feature"].startswith("a")  # the only feature the model uses
        assert results["mlflow_metric"] == pytest.approx(0.81)
        assert results["fastapi"] == {"status": "ok"}

    def test_no_outbound_connection_is_attempted(self, tools_run):
        """The guard logged no attempt to reach a non-loopback address (telemetry, update checks)."""
        _, completed, attempts = tools_run
        assert completed.returncode == 0, completed.stderr[-3000:]
        assert attempts == []


class TestTelemetrySwitches:
    """Without the workbook's defaults the tools would phone home; with them they do not.

    These prove the guard and the switches are real: the same code runs twice, and only
    whether ``model_health`` is imported first differs. One process probes both tools, and
    prints the host each one would reach, so the test names who tried.
    """

    PROBE = '''
    import json
    import sys
    import time
    from pathlib import Path
    from urllib.parse import urlparse
    {prelude}
    import mlflow
    from mlflow.telemetry.constant import CONFIG_URL
    from evidently.telemetry import event_logger

    out = Path(sys.argv[1])
    # Evidently: the event its UI and collector send on start-up, sent here in this process.
    event_logger.send_event("workbook-test", "probe", use_daemon=False)
    # MLflow: creating a run is a usage event; its client then fetches its configuration.
    mlflow.set_tracking_uri(f"sqlite:///{{out / 'mlflow.db'}}")
    with mlflow.start_run():
        mlflow.log_metric("auc", 0.81)
    deadline = time.monotonic() + 10  # the fetch runs on a thread: give it time to try
    while (mlflow.telemetry.get_telemetry_client() is not None and "mlflow" not in (out / "network-attempts.log").read_text()
           and time.monotonic() < deadline):
        time.sleep(0.1)
    print(json.dumps({{"mlflow": urlparse(CONFIG_URL).hostname, "evidently": urlparse(event_logger.url).hostname}}))
    '''

    @staticmethod
    def probe(prelude: str, workdir: Path) -> tuple[dict[str, str], list[str]]:
        completed, attempts = run_guarded(TestTelemetrySwitches.PROBE.format(prelude=prelude), workdir)
        assert completed.returncode == 0, completed.stderr[-3000:]
        return json.loads(completed.stdout.strip().splitlines()[-1]), attempts

    def test_telemetry_would_be_sent_without_the_defaults(self, tmp_path):
        """Not importing model_health: the guard logs Evidently's and MLflow's attempts to reach their servers."""
        hosts, attempts = self.probe("", tmp_path)
        for tool, host in hosts.items():
            assert any(host in attempt for attempt in attempts), f"{tool} did not try {host}: {attempts}"

    def test_the_workbook_defaults_switch_it_off(self, tmp_path):
        """Importing model_health first: no attempt at all."""
        _, attempts = self.probe("import model_health", tmp_path)
        assert attempts == []

    def test_mlflow_imported_before_the_workbook_is_switched_off_too(self, tmp_path):
        """MLflow decides when imported; setup() (and import model_health) re-evaluates it."""
        code = '''
        import mlflow
        from mlflow.telemetry import get_telemetry_client
        from model_health.notebook import setup

        setup()
        print("client", get_telemetry_client() is not None)
        '''
        completed, _ = run_guarded(code, tmp_path)
        assert completed.returncode == 0, completed.stderr[-3000:]
        assert completed.stdout.split()[-1] == "False"


@pytest.mark.skipif(chromium() is None, reason="Chromium is not installed (Debian: apt-get install chromium; "
                                                "CI installs it): the offline rendering check needs a browser")
def test_evidently_report_renders_offline_in_chromium(tools_run, tmp_path):
    """The saved report carries its scripts inline: with no network, Chromium draws its widgets.

    Control: the same file with Evidently's library script swapped for a CDN link (as a
    report that loads its scripts from the internet would be) draws nothing, so the check
    tells a rendered report from a page that only holds the data.
    """
    workdir, completed, _ = tools_run
    assert completed.returncode == 0, completed.stderr[-3000:]
    report = workdir / "drift.html"
    source = report.read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]+src=", source), "the report loads a script from elsewhere"
    drawn = ("Dataset Drift", "Share of Drifted Columns", "income", "region")
    text = rendered_text(report, tmp_path / "profile")
    assert all(phrase in text for phrase in drawn), text[-2000:]

    library = next(block for block in re.findall(r"<script>.*?</script>", source, flags=re.S)
                   if "window.drawDashboard=" in block)
    from_cdn = tmp_path / "from_cdn.html"
    from_cdn.write_text(source.replace(library, '<script src="https://cdn.example.org/evidently.js"></script>'),
                        encoding="utf-8")
    assert not any(phrase in rendered_text(from_cdn, tmp_path / "profile") for phrase in drawn)


SPARK = '''
import model_health  # noqa: F401
from pyspark.sql import SparkSession

# Spark binds its driver to the machine's host name by default: keep it on loopback, UI off.
spark = (SparkSession.builder.master("local[1]").appName("workbook-offline-check")
         .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
         .config("spark.ui.enabled", "false").getOrCreate())
print(spark.range(10).selectExpr("sum(id) AS total").collect()[0]["total"])
spark.stop()
'''


@pytest.mark.slow
def test_spark_runs_locally_on_loopback(tmp_path):
    """The `scale` extra works where Java is installed: a local Spark session sums 0..9.

    The guard sees the Python side only (Spark's JVM opens its own sockets); the session
    is configured to bind and call back on 127.0.0.1.
    """
    pytest.importorskip("pyspark", reason="pyspark is the `scale` extra: `python workbook.py test` or --scale "
                                          "installs it")
    if shutil.which("java") is None:
        pytest.skip("no Java runtime (Debian: apt-get install default-jre-headless; CI installs it): Spark needs one")
    completed, attempts = run_guarded(SPARK, tmp_path, env={"SPARK_LOCAL_IP": "127.0.0.1"})
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert completed.stdout.split()[-1] == "45"
    assert attempts == []
