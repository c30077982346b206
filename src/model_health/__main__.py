"""Command-line entry: ``model-health <command> [--help]``, or ``python -m model_health <command> [--help]``.

Commands:
  gate       check model candidates against the risk policy (model_health.services.governance)
  serve      serve a model bundle over HTTP, logging predictions to SQLite (model_health.services.serving)
  monitor    one run of the monitoring job over the prediction log (model_health.services.monitor_job)
  receiver   a local Slack-compatible webhook receiver (model_health.services.webhooks)
  grade      grade a class's submitted notebooks into a gradebook (model_health.classroom.batch_grading)
  variant    write each learner's own copy of the notebooks, on their own data (model_health.classroom.variants)
"""

from __future__ import annotations

import importlib
import sys

COMMANDS = {"gate": ("model_health.services.governance", "gate"), "serve": ("model_health.services.serving", "serve"),
            "monitor": ("model_health.services.monitor_job", "monitor"),
            "receiver": ("model_health.services.webhooks", "receiver"),
            "grade": ("model_health.classroom.batch_grading", "main"),
            "variant": ("model_health.classroom.variants", "main")}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(__doc__)
        return 0
    command, rest = argv[0], argv[1:]
    if command not in COMMANDS:
        print(f"Unknown command {command!r}; commands: {', '.join(COMMANDS)}.", file=sys.stderr)
        return 2
    if command in ("serve", "receiver"):
        from model_health.services.serving import end_with_parent

        end_with_parent()
    module, function = COMMANDS[command]
    return getattr(importlib.import_module(module), function)(rest)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
