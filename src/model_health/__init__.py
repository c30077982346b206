"""Helpers for the Model Health Workbook.

Modules, each thin over the library that does the real work:

- ``data``: offline loaders for the datasets in ``data/`` (pandas).
- ``evaluation``: classification metrics, baselines, slices, thresholds (scikit-learn).
- ``fairness``: group metrics and disparity summaries (fairlearn).
- ``drift``: PSI, KS and chi-square per column, and a fast drift table (numpy, scipy).
- ``monitoring``: monitoring policies as data, and their replay over history.
- ``simulators``: seeded simulators that know their ground truth (credit portfolio).
- ``reports``: model cards, monitoring playbooks, KPIs and risk assessments (Jinja2, markdown).
- ``plots``: the dashboard panels (matplotlib, scikit-learn displays).
- ``notebook``: the one set-up call every notebook makes.
- ``grading``: exercises, checks, hints, solutions and the score summary.
- ``exercises``: one module per notebook with that notebook's exercises.
- ``authoring``: builds learner notebooks from the solution notebooks.
- ``paths``: where the checkout's notebooks, solutions and data are, and the list of notebooks.
- ``exceptions``: the warnings the helpers give (``UndefinedValueWarning``: NaN, and why).

Importing the package imports none of them, so ``import model_health`` stays fast. It only
switches the tools' telemetry and update checks off by default (``_offline``): the workbook
runs offline and sends nothing; and it defers a dependency's costly import until it is used
(``_deferred_imports``).
"""

from model_health._deferred_imports import defer_rfc3987_syntax as _defer_rfc3987_syntax
from model_health._offline import quiet_by_default as _quiet_by_default

__version__ = "0.1.0"

_quiet_by_default()
_defer_rfc3987_syntax()
