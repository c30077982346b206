"""``python -m model_health.teaching.quiz``: the terminal quiz (see ``model_health.teaching.quiz``)."""

import sys

from model_health.teaching.quiz import main

sys.exit(main())
