"""Telemetry and update checks off by default: the workbook runs offline and sends nothing.

Importing ``model_health`` calls :func:`quiet_by_default`, so code that never calls
``model_health.notebook.setup()`` (a script, a test, the benchmark) is covered too. Each
variable is only set when the user has not set it, so an explicit choice wins.

What each one switches off (read in the packages' source, versions in requirements.lock):

- ``DO_NOT_TRACK``: Evidently's usage events (``evidently/telemetry.py``, any value) and
  MLflow's (``mlflow/telemetry/utils.py``, only the value ``true``);
- ``ITERATIVE_DO_NOT_TRACK``: the ``iterative_telemetry`` library that Evidently sends through;
- ``EVIDENTLY_DISABLE_TELEMETRY``: the legacy Evidently UI's telemetry (``evidently/legacy/_config.py``);
- ``MLFLOW_DISABLE_TELEMETRY``: MLflow's telemetry client, which otherwise fetches its
  configuration from the internet when ``mlflow`` is imported (outside CI and pytest).
"""

from __future__ import annotations

import os
import sys

__all__ = ["OFFLINE_DEFAULTS", "quiet_by_default"]

OFFLINE_DEFAULTS = {
    "DO_NOT_TRACK": "true",  # MLflow reads only "true"; Evidently any value
    "ITERATIVE_DO_NOT_TRACK": "1",
    "EVIDENTLY_DISABLE_TELEMETRY": "1",
    "MLFLOW_DISABLE_TELEMETRY": "true",
}


def quiet_by_default() -> None:
    """Set each variable of ``OFFLINE_DEFAULTS`` that is not set yet.

    MLflow decides on telemetry when it is imported; if it already was, its client is
    re-evaluated with the new settings (without importing MLflow otherwise).
    """
    for name, value in OFFLINE_DEFAULTS.items():
        os.environ.setdefault(name, value)
    if "mlflow.telemetry" in sys.modules:
        sys.modules["mlflow.telemetry"].set_telemetry_client()
