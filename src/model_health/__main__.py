"""Command-line entry: ``python -m model_health <command>``.

Commands:
  gate   check model candidates against the risk policy (see ``model_health.governance``)
"""

from __future__ import annotations

import sys

COMMANDS = ("gate",)


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(__doc__)
        return 0
    command, rest = argv[0], argv[1:]
    if command == "gate":
        from model_health.governance import gate

        return gate(rest)
    print(f"Unknown command {command!r}; commands: {', '.join(COMMANDS)}.", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
