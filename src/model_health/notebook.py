"""The one set-up call every notebook makes (quiet libraries, one plotting style, seeds, no telemetry), and the
folder a notebook writes its files to."""

from __future__ import annotations

import logging
import os
import random
import re
import shutil
import warnings
from pathlib import Path

import numpy as np

from model_health._offline import quiet_by_default

__all__ = ["output_folder", "setup"]

DEFAULT_SEED = 2026


class _OptionalDependencyNotices(logging.Filter):
    """Drops aif360's import-time notices about optional extras (tensorflow, inFairness)."""

    pattern = re.compile(r"No module named '[^']+': .* will be unavailable")

    def filter(self, record: logging.LogRecord) -> bool:
        return not self.pattern.match(record.getMessage())


def global_seed(seed: int) -> int:
    """The seed :func:`setup` gives numpy's and ``random``'s global generators: derived from ``seed``, never ``seed``.

    Seeded with ``seed`` itself, the global generator would be a fresh ``RandomState(seed)``: code that forgets
    ``random_state=SEED`` would match the reference on a first run from the top and fail on a re-run. With a
    stream of its own, it differs at once, and the check says so.

    >>> global_seed(2026) != 2026 and global_seed(2026) == global_seed(2026)
    True
    """
    return int(np.random.SeedSequence([seed, 1]).generate_state(1)[0])


def setup(seed: int = DEFAULT_SEED) -> int:
    """Seed numpy and ``random`` (with :func:`global_seed`), set the plotting style, silence known library noise, send nothing.

    Telemetry and update checks of the tools (Evidently, MLflow) stay off unless the user
    switched them on (see ``model_health._offline``).

    Returns the seed, so a notebook can write ``SEED = setup()`` and pass it on.
    """
    import matplotlib
    import pandas as pd
    import seaborn as sns

    quiet_by_default()  # done on `import model_health` too; repeated so the set-up states it
    random.seed(global_seed(seed))
    np.random.seed(global_seed(seed))
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


_EMPTIED: set[Path] = set()  # folders this process has emptied (see output_folder)


def output_folder(notebook: str, fresh: bool = False) -> Path:
    """The folder ``notebook`` writes its files to (reports, an MLflow store, a prediction log), absolute, since a
    store's URI names it whoever reads it: ``../output/<notebook>`` seen from the notebooks' folder.

    The environment variable ``MODEL_HEALTH_OUTPUT`` moves the ``output`` folder: the tests give each run of a
    notebook its own, so two runs never share a store. ``fresh`` empties the folder the first time a kernel asks,
    so a restarted kernel starts from nothing (a new log, model versions from 1). Asked again in the same kernel
    (a cell run twice) it is kept: the kernel's open connections (MLflow keeps one per store) point at its files,
    and a store deleted under them can no longer be written.

    Examples
    --------
    >>> import tempfile
    >>> from unittest import mock
    >>> with mock.patch.dict(os.environ, MODEL_HEALTH_OUTPUT=tempfile.mkdtemp()):
    ...     folder = output_folder("01_demo", fresh=True)
    ...     _ = (folder / "log.txt").write_text("kept")
    ...     again = output_folder("01_demo", fresh=True)
    >>> again == folder, folder.is_absolute(), (folder / "log.txt").read_text()
    (True, True, 'kept')
    """
    if not isinstance(notebook, str) or not notebook or Path(notebook).name != notebook or notebook in (".", ".."):
        raise ValueError(f"output_folder takes a notebook's name, such as '04_monitor_rest_api', not {notebook!r}")
    folder = Path(os.environ.get("MODEL_HEALTH_OUTPUT") or "../output").resolve() / notebook
    if fresh and folder not in _EMPTIED:
        shutil.rmtree(folder, ignore_errors=True)
        _EMPTIED.add(folder)
    folder.mkdir(parents=True, exist_ok=True)
    return folder
