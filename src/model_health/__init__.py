"""Helpers for the Model Health Workbook.

The tree is grouped by whom the code serves. The top level is what a learner calls in a notebook, each
module thin over the library that does the real work:

- ``data``: offline loaders for the datasets in ``data/`` (pandas).
- ``simulators``: seeded simulators that know their ground truth (credit portfolio, fraud, churn, …).
- ``evaluation``: classification metrics, baselines, slices, thresholds (scikit-learn).
- ``fairness``: group metrics and disparity summaries (fairlearn, AIF360).
- ``drift``: PSI, KS and chi-square per column (``drift._measures``), and a fast drift table (``drift._fast``).
- ``explain``: SHAP values of a linear scorer, top reasons, narratives, counterfactuals.
- ``monitoring``: monitoring policies as data, and their replay over history.
- ``reports``: model cards, playbooks, KPIs, risk assessments and audit reports (Jinja2 templates).
- ``plots``: the dashboard panels (matplotlib, scikit-learn displays); ``whatif``: the what-if explorer widgets.
- ``notebook``: the one set-up call every notebook makes; ``paths``: where the checkout's files are.
- ``exceptions``: the warnings the helpers give (``UndefinedValueWarning``: NaN, and why).

Three subpackages serve the others:

- ``services``: what a notebook runs as it runs at work (model server, webhooks, monitoring job, fleet store,
  alert routing, governance gate).
- ``teaching``: exercises and their checks, results as data, progress, the quiz, and the notebooks' build and
  self-check.
- ``classroom``: what an instructor runs over a class (batch grading, the release a graded kernel sees, the
  sandbox, per-learner variants).

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
