"""``python -m model_health.quiz``: the terminal quiz (see ``model_health.quiz``)."""

import sys

from model_health.quiz import main

sys.exit(main())
