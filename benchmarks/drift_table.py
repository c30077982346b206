"""Benchmark the drift table: 1M reference + 1M current rows, 20 numeric + 5 categorical columns.

Prints seconds for the straightforward reference implementation, the fast path (one call,
and split into preparing the reference once vs comparing a batch), the largest difference
between the two tables, what scipy's KS p-value costs per column at this size (both paths
call it, so it is the floor when many columns land in its slow band), and the same data
through NannyML or Evidently where installed (optional, in their own environment; not
dependencies of the workbook).

    python benchmarks/drift_table.py [--rows 1000000]

To compare with the other tools, run it from a separate venv that has them and this
package (``pip install -e . --no-deps``): ``pip install nannyml statsmodels`` (NannyML
imports statsmodels without declaring it), or ``pip install evidently==0.7.23 "pandas<3"``
(Evidently 0.7 fails to import under pandas 3).
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import pandas as pd

from model_health.drift import DriftReference, drift_table, drift_table_reference


def make_data(rows: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)

    def frame(shift: float) -> pd.DataFrame:
        data = {f"num_{i:02d}": rng.normal(shift * (i % 4) / 3, 1, rows) for i in range(20)}
        for i in range(5):
            weights = np.array([0.4, 0.3, 0.2, 0.1]) if not shift or i % 2 else np.array([0.3, 0.3, 0.2, 0.2])
            data[f"cat_{i}"] = pd.Categorical(rng.choice(["a", "b", "c", "d"], rows, p=weights))
        return pd.DataFrame(data)

    return frame(0.0), frame(0.3)


def seconds(function, repeat: int = 1) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - start)
    return best, result


def p_value_cost(rows: int) -> None:
    """scipy's asymptotic KS p-value, kstwo.sf, by statistic: an exact O(n) sum where 2.2 <= n D^2 < 370."""
    from scipy.stats import kstwo

    effective = rows // 2  # n * m / (n + m) for two samples of `rows`
    for statistic in (0.001, 0.003, 0.01, 0.03):
        cost, p_value = seconds(lambda: kstwo.sf(statistic, effective))
        print(f"  KS p-value for D = {statistic:<5} (p = {p_value:.1e}): {cost:.3f} s per column")


def optional_tools(reference: pd.DataFrame, current: pd.DataFrame) -> dict[str, float]:
    timings = {}
    # NannyML reports usage to an analytics service unless told not to; benchmarks stay offline.
    os.environ.setdefault("NML_DISABLE_USAGE_LOGGING", "1")
    try:
        import nannyml

        calculator = nannyml.UnivariateDriftCalculator(column_names=list(reference.columns),
                                                       continuous_methods=["kolmogorov_smirnov"],
                                                       categorical_methods=["chi2"])
        timings["NannyML univariate drift"] = seconds(lambda: calculator.fit(reference).calculate(current))[0]
    except ImportError:
        print("NannyML: not installed (optional; install it in its own environment to compare)")
    try:
        from evidently import Report
        from evidently.presets import DataDriftPreset

        timings["Evidently DataDriftPreset"] = seconds(
            lambda: Report([DataDriftPreset()]).run(current_data=current, reference_data=reference))[0]
    except ImportError:
        print("Evidently: not installed (optional; needs pandas 2.x in its own environment)")
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    rows = parser.parse_args().rows
    reference, current = make_data(rows)
    print(f"data: {rows:,} reference + {rows:,} current rows, 20 numeric + 5 categorical columns, "
          f"{os.cpu_count()} cores")
    slow_seconds, slow = seconds(lambda: drift_table_reference(reference, current))
    fast_seconds, fast = seconds(lambda: drift_table(reference, current), repeat=3)
    fit_seconds, monitor = seconds(lambda: DriftReference(reference), repeat=3)
    compare_seconds, _ = seconds(lambda: monitor.compare(current), repeat=3)
    numeric = ["psi", "statistic", "p_value"]
    difference = float(np.max(np.abs(fast.loc[slow.index, numeric].to_numpy(float) - slow[numeric].to_numpy(float))))
    print(f"reference implementation (per-column numpy/scipy): {slow_seconds:.2f} s")
    print(f"drift_table, one call (best of 3):                 {fast_seconds:.2f} s  "
          f"({slow_seconds / fast_seconds:.1f}x faster)")
    print(f"  DriftReference(reference), once per reference:  {fit_seconds:.2f} s")
    print(f"  .compare(current), per batch:                   {compare_seconds:.2f} s")
    print(f"largest difference from the reference table:     {difference:.1e}")
    print(f"columns in the drift band (PSI > 0.25): {int((fast['band'] == 'drift').sum())}, "
          f"watch: {int((fast['band'] == 'watch').sum())}, KS/chi2 p < 0.05: {int((fast['p_value'] < 0.05).sum())}")
    print("scipy's KS p-value at this size (the same call in both paths):")
    p_value_cost(rows)
    for tool, tool_seconds in optional_tools(reference, current).items():
        print(f"{tool}: {tool_seconds:.2f} s ({tool_seconds / fast_seconds:.1f}x drift_table)")


if __name__ == "__main__":
    main()
