"""Helpers for the Model Health Workbook.

Modules by whom they serve, each thin over the library that does the real work.

What a learner calls in a notebook:

- ``data``: offline loaders for the datasets in ``data/`` (pandas).
- ``simulators``: seeded simulators that know their ground truth (credit portfolio, fraud, churn, …).
- ``evaluation``: classification metrics, baselines, slices, thresholds (scikit-learn).
- ``fairness``: group metrics and disparity summaries (fairlearn, AIF360).
- ``drift``: PSI, KS and chi-square per column (``drift._measures``), and a fast drift table (``drift._fast``).
- ``explain``: SHAP values of a linear scorer, top reasons, narratives, counterfactuals.
- ``monitoring``: monitoring policies as data, and their replay over history.
- ``reports``: model cards, playbooks, KPIs, risk assessments and audit reports (Jinja2 templates).
- ``plots``: the dashboard panels (matplotlib, scikit-learn displays).
- ``notebook``: the one set-up call every notebook makes.
- ``exceptions``: the warnings the helpers give (``UndefinedValueWarning``: NaN, and why).

The services a notebook runs as they run at work:

- ``serving``: the model server (FastAPI) and ``LocalServer``; ``webhooks``: the alert receiver and sender.
- ``monitor_job``: the scheduled monitoring job; ``observability``: the fleet's store, metric SQL, SLOs.
- ``alert_routing``: Alertmanager-format routing, grouping and inhibition; ``governance``: the risk policy and gate.

The teaching layer:

- ``grading``: exercises, checks, hints, solutions and the score summary; ``exercises``: one module per notebook.
- ``results``: what a check finds, as data (``Status``, ``Result``, ``ScoreSummary``).
- ``progress``: a learner's offline progress; ``quiz``: the concept quiz; ``whatif``: the what-if explorer.
- ``authoring``: builds learner notebooks from the solution notebooks.

The classroom:

- ``batch_grading``: grading a class's notebooks; ``release``: what a graded kernel sees of the exercises.
- ``sandbox``: the bubblewrap sandbox of a submission's kernel; ``variants``: each learner's own copy.
- ``runner``: the self-check and benchmark of every notebook; ``paths``: where the checkout's files are.

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
