"""The one set-up call every notebook makes: quiet libraries, one plotting style, seeds, no telemetry."""

from __future__ import annotations

import logging
import random
import re
import warnings

import numpy as np

from model_health._offline import quiet_by_default

__all__ = ["setup"]

DEFAULT_SEED = 2026


class _OptionalDependencyNotices(logging.Filter):
    """Drops aif360's import-time notices about optional extras (tensorflow, inFairness)."""

    pattern = re.compile(r"No module named '[^']+': .* will be unavailable")

    def filter(self, record: logging.LogRecord) -> bool:
        return not self.pattern.match(record.getMessage())


def setup(seed: int = DEFAULT_SEED) -> int:
    """Seed numpy and ``random``, set the plotting style, silence known library noise, send nothing.

    Telemetry and update checks of the tools (Evidently, MLflow) stay off unless the user
    switched them on (see ``model_health._offline``).

    Returns the seed, so a notebook can write ``SEED = setup()`` and pass it on.
    """
    import matplotlib
    import pandas as pd
    import seaborn as sns

    quiet_by_default()  # done on `import model_health` too; repeated so the set-up states it
    random.seed(seed)
    np.random.seed(seed)
    sns.set_theme(style="whitegrid", context="notebook")
    matplotlib.rcParams.update({"figure.dpi": 80, "axes.titleweight": "bold"})
    pd.set_option("display.precision", 3)
    # Library chatter that says nothing to a learner (and would make stored outputs differ).
    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    logging.getLogger("matplotlib").setLevel(logging.ERROR)
    root = logging.getLogger()
    if not any(isinstance(f, _OptionalDependencyNotices) for f in root.filters):
        root.addFilter(_OptionalDependencyNotices())
    return seed
