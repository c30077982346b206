"""Property-based tests of the drift helpers: PSI, its band, and the drift tables.

For arbitrary samples of the kinds users pass (floats with NaN and ties, extreme floats,
ints, integer-valued floats, text, numbers as text, True/False, dates with and without a
time zone, mixed kinds; lists, arrays, Series, nullable dtypes) and the mistakes they make
(empty, None, pd.NA, a string, a scalar, 2-D), every call either returns a finite PSI >= 0
or raises a ValueError naming the argument. Never another exception, never a band from
NaN other than "unknown"; the fast table equals the reference table (PSI and statistic
exactly, the p-value to 1e-8 relative); a sample's PSI against itself is 0; integer codes
stored as floats give the ints' PSI. Deterministic (derandomize) and fast, so CI never flakes.
"""

from __future__ import annotations

import datetime
import math
import numbers
import warnings

import numpy as np
import pandas as pd
from hypothesis import event, given, settings
from hypothesis import strategies as st

from model_health.drift import (
    PSI_ALERT,
    PSI_WATCH,
    DriftReference,
    categorical_psi,
    drift_table,
    drift_table_reference,
    population_stability_index,
    psi_band,
)
from model_health.exceptions import UndefinedValueWarning

FAST = settings(max_examples=60)  # the rest comes from the "workbook" profile (conftest.py)
TABLES = settings(FAST, max_examples=30)  # each example builds two or three tables

BANDS = {"stable", "watch", "drift"}
P_VALUE_RTOL = 1e-8
MISSING_VALUES = st.sampled_from([None, np.nan, pd.NA])
TIME_ZONES = st.sampled_from([None, "UTC", "Europe/Paris"])

# The values of one sample, by kind; ties are likely (small pools), missing values sometimes.
ROUGH_FLOATS = st.one_of(st.sampled_from([0.0, 1.0, 2.5, -3.0]), st.floats(-1e6, 1e6))
EXTREME_FLOATS = st.floats(allow_nan=False, allow_infinity=False)  # +-1.8e308 and subnormals
SMALL_INTS = st.integers(-3, 3)
WORDS = st.sampled_from(["a", "b", "c", "(missing)"])
DATES = st.datetimes(min_value=pd.Timestamp("1990-01-01").to_pydatetime(),
                     max_value=pd.Timestamp("2030-01-01").to_pydatetime())
KINDS = {
    "floats": ROUGH_FLOATS,
    "extreme floats": EXTREME_FLOATS,
    "ints": SMALL_INTS,
    "integer-valued floats": SMALL_INTS.map(float),
    "numpy ints": SMALL_INTS.map(np.int64),
    "text": WORDS,
    "numbers as text": SMALL_INTS.map(str),
    "True/False": st.booleans(),
    "dates": DATES,
    "mixed": st.one_of(SMALL_INTS, WORDS, st.booleans()),
}
MISTAKES = {
    "empty list": [],
    "empty Series": pd.Series([], dtype=float),
    "None": None,
    "pd.NA": pd.NA,
    "a string": "abc",
    "a number": 3.0,
    "a dict": {"a": 1},
    "2-D": np.zeros((3, 2)),
}


def missing_for(kind: str):
    return st.just(pd.NaT) if kind == "dates" else MISSING_VALUES


@st.composite
def raw_values(draw, kind: str, min_size: int = 1, max_size: int = 30) -> list:
    """A list of values of ``kind``; in half of them about one value in five is missing."""
    pool = KINDS[kind]
    with_missing = draw(st.booleans())
    element = st.one_of(pool, pool, pool, pool, missing_for(kind)) if with_missing else pool
    return draw(st.lists(element, min_size=min_size, max_size=max_size))


def contained(values: list, container: str, kind: str, time_zone):
    """``values`` in a list, an array, a Series (object or inferred dtype) or a nullable Series."""
    if kind == "dates":
        values = [pd.NaT if value is pd.NaT else pd.Timestamp(value) for value in values]
        if time_zone is not None:
            values = [value if value is pd.NaT else value.tz_localize("UTC").tz_convert(time_zone)
                      for value in values]
    if container == "list":
        return values
    if container == "ndarray":
        return np.asarray(values, dtype=object) if any(value is pd.NA for value in values) else np.asarray(values)
    if container == "object Series":
        return pd.Series(values, dtype=object)
    if container == "nullable Series":
        nullable = {"ints": "Int64", "numpy ints": "Int64", "integer-valued floats": "Float64", "floats": "Float64",
                    "text": "string", "numbers as text": "string", "True/False": "boolean"}.get(kind)
        if nullable is not None:
            return pd.Series([None if value is None or value is pd.NA or value != value else value
                              for value in values], dtype=nullable)
    return pd.Series(values)


@st.composite
def samples(draw, mistakes: bool = True):
    """A sample as a user passes it: mostly well formed, about one in eight a mistake."""
    if mistakes and draw(st.integers(0, 7)) == 0:
        name = draw(st.sampled_from(sorted(MISTAKES)))
        event(f"sample: {name}")
        return MISTAKES[name]
    kind = draw(st.sampled_from(sorted(KINDS)))
    container = draw(st.sampled_from(["list", "ndarray", "Series", "object Series", "nullable Series"]))
    event(f"sample: {kind}")
    return contained(draw(raw_values(kind)), container, kind, draw(TIME_ZONES))


def run(call, *names):
    """``call()``'s result, or None after a ValueError whose message names one of ``names``.

    Any other exception, or any warning but an UndefinedValueWarning, fails the test.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = call()
        except ValueError as error:
            assert any(f"`{name}" in str(error) for name in names), f"the message names none of {names}: {error}"
            event("ValueError")
            return None
    others = [str(warning.message) for warning in caught if warning.category is not UndefinedValueWarning]
    assert not others, others
    event("returned, with a NaN warned" if caught else "returned")
    return result


def assert_valid_psi(psi) -> None:
    assert isinstance(psi, float)
    assert math.isfinite(psi) and psi >= 0
    assert psi_band(psi) in BANDS


def assert_tables_agree(fast: pd.DataFrame, slow: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(fast.drop(columns="p_value"), slow.drop(columns="p_value"), check_exact=True)
    np.testing.assert_allclose(fast["p_value"], slow["p_value"], rtol=P_VALUE_RTOL, atol=0)


def value_kinds(sample) -> set[str] | None:
    """The kinds of the sample's non-missing values as passed (None for a mistake: not a 1-D sample, or empty)."""
    if not isinstance(sample, (list, np.ndarray, pd.Series)) or np.ndim(sample) != 1 or len(sample) == 0:
        return None
    kinds = set()
    for value in sample:
        if pd.isna(value):
            continue
        if isinstance(value, (bool, np.bool_)):
            kinds.add("True/False")
        elif isinstance(value, numbers.Real):
            kinds.add("number")
        elif isinstance(value, (datetime.datetime, np.datetime64)):
            kinds.add("date")
        else:
            kinds.add("text")
    return kinds


def numeric_psi_defined(reference, current) -> bool:
    """Both samples hold numbers (at least one), or both dates."""
    kinds = value_kinds(reference), value_kinds(current)
    return kinds[0] is not None and kinds[0] == kinds[1] and kinds[0] in ({"number"}, {"date"})


def categorical_psi_defined(reference, current) -> bool:
    """Each sample holds labels of at most one kind, not dates, and the same kind (or only missing values)."""
    kinds = value_kinds(reference), value_kinds(current)
    if None in kinds or any(len(kind) > 1 or "date" in kind for kind in kinds):
        return False
    return not kinds[0] or not kinds[1] or kinds[0] == kinds[1]


class TestPsiProperties:
    @FAST
    @given(samples(), samples())
    def test_population_stability_index(self, reference, current):
        """A finite PSI >= 0 exactly when both samples hold numbers, or both dates; else a ValueError naming one."""
        psi = run(lambda: population_stability_index(reference, current), "reference", "current")
        assert (psi is not None) == numeric_psi_defined(reference, current)
        if psi is not None:
            assert_valid_psi(psi)

    @FAST
    @given(samples(), samples())
    def test_categorical_psi(self, reference, current):
        """A finite PSI >= 0 exactly when the labels are of one kind (not dates); else a ValueError naming a sample."""
        psi = run(lambda: categorical_psi(reference, current), "reference", "current")
        assert (psi is not None) == categorical_psi_defined(reference, current)
        if psi is not None:
            assert_valid_psi(psi)

    @FAST
    @given(samples(mistakes=False))
    def test_against_itself_is_zero(self, sample):
        """Where a sample's PSI is defined, its PSI against itself is exactly 0."""
        for psi_of in (population_stability_index, categorical_psi):
            psi = run(lambda: psi_of(sample, sample), "reference", "current")  # noqa: B023 (called at once)
            assert psi is None or psi == 0

    @FAST
    @given(st.lists(st.one_of(SMALL_INTS, SMALL_INTS, st.none()), min_size=1, max_size=30),
           st.lists(st.one_of(SMALL_INTS, SMALL_INTS, st.none()), min_size=1, max_size=30))
    def test_integer_codes_as_floats(self, reference, current):
        """Codes as floats (a NaN turns a pandas column to float), numpy ints or nullable ints: the ints' PSI."""
        expected = categorical_psi(pd.Series(reference, dtype="Int64"), pd.Series(current, dtype="Int64"))
        assert_valid_psi(expected)
        as_floats = [np.nan if value is None else float(value) for value in current]
        as_objects = pd.Series([None if value is None else np.int64(value) for value in current], dtype=object)
        assert categorical_psi(reference, as_floats) == expected
        assert categorical_psi(np.asarray(as_floats), as_objects) == 0
        assert categorical_psi(pd.Series(reference, dtype="Int64"), as_objects) == expected

    @FAST
    @given(st.lists(DATES, min_size=1, max_size=30), st.lists(DATES, min_size=1, max_size=30), TIME_ZONES)
    def test_dates_are_nanoseconds(self, reference, current, time_zone):
        """Dates, with or without a time zone, have the PSI of their nanoseconds since 1970 (UTC)."""
        reference = pd.Series(pd.to_datetime(reference))
        current = pd.Series(pd.to_datetime(current))
        expected = population_stability_index(reference.dt.as_unit("ns").astype("int64").astype(float),
                                              current.dt.as_unit("ns").astype("int64").astype(float))
        if time_zone is not None:
            reference, current = reference.dt.tz_localize("UTC").dt.tz_convert(time_zone), current.dt.tz_localize("UTC")
        assert population_stability_index(reference, current) == expected


class TestPsiBandProperties:
    @FAST
    @given(st.one_of(st.floats(), st.integers(-5, 5), st.sampled_from([None, pd.NA, np.float64("nan")]),
                     st.text(max_size=3), st.booleans(), st.floats(0, 1).map(str)))
    def test_band(self, psi):
        """A band by the thresholds, "unknown" exactly for a missing PSI, else a ValueError naming `psi`."""
        band = run(lambda: psi_band(psi), "psi")
        missing = psi is None or psi is pd.NA or (isinstance(psi, float) and math.isnan(psi))
        if band is None:
            assert not missing
            assert isinstance(psi, (str, bool)) or psi < 0
            return
        assert band == "unknown" if missing else band in BANDS
        if not missing:
            assert band == ("drift" if psi > PSI_ALERT else "watch" if psi >= PSI_WATCH else "stable")


@st.composite
def frames(draw):
    """Reference and current frames of one to three columns; mostly each column keeps its kind."""
    n_reference, n_current = draw(st.integers(1, 40)), draw(st.integers(1, 40))
    reference, current = {}, {}
    for column in ("x", "y", "z")[:draw(st.integers(1, 3))]:
        kind = draw(st.sampled_from(sorted(KINDS)))
        current_kind = kind if draw(st.integers(0, 5)) else draw(st.sampled_from(sorted(KINDS)))
        time_zone = draw(TIME_ZONES)
        reference[column] = contained(draw(raw_values(kind, n_reference, n_reference)), "Series", kind, time_zone)
        current[column] = contained(draw(raw_values(current_kind, n_current, n_current)), "Series",
                                    current_kind, time_zone)
        event(f"column: {kind} vs {current_kind}")
    return pd.DataFrame(reference), pd.DataFrame(current)


class TestDriftTableProperties:
    @TABLES
    @given(frames())
    def test_fast_equals_reference(self, pair):
        """Both tables (and DriftReference) fail alike, with a ValueError naming a column, or agree."""
        reference, current = pair
        names = ("reference[", "current[")
        slow = run(lambda: drift_table_reference(reference, current), *names)
        fast = run(lambda: drift_table(reference, current), *names)
        monitor = run(lambda: DriftReference(reference).compare(current), *names)
        assert (slow is None) == (fast is None) == (monitor is None)
        if slow is None:
            return
        assert_tables_agree(fast, slow)
        assert_tables_agree(monitor, slow)
        for psi in slow["psi"]:
            assert_valid_psi(psi)
        assert (slow["band"] == slow["psi"].map(psi_band)).all()
        numeric = slow["kind"] == "numeric"
        one_each = numeric & (slow["n_reference"] == 1) & (slow["n_current"] == 1)
        assert slow["p_value"].isna().equals(one_each)  # NaN only where undefined (and warned, see run)
        assert slow.loc[~one_each, "p_value"].between(0, 1).all()

    @TABLES
    @given(st.lists(EXTREME_FLOATS, min_size=2, max_size=40), st.lists(EXTREME_FLOATS, min_size=2, max_size=40))
    def test_extreme_floats(self, reference, current):
        """Values up to +-1.8e308 (ranges beyond the float maximum) and subnormals: fast table == reference's."""
        reference, current = pd.DataFrame({"x": reference}), pd.DataFrame({"x": current})
        slow = run(lambda: drift_table_reference(reference, current))
        assert_tables_agree(run(lambda: drift_table(reference, current)), slow)
        assert_valid_psi(slow.loc["x", "psi"])

    @TABLES
    @given(st.lists(DATES, min_size=1, max_size=40), st.lists(DATES, min_size=1, max_size=40), TIME_ZONES)
    def test_dates_agree_everywhere(self, reference, current, time_zone):
        """A date column is numeric in both tables, with population_stability_index's PSI."""
        reference = pd.DataFrame({"when": pd.to_datetime(reference)})
        current = pd.DataFrame({"when": pd.to_datetime(current)})
        if time_zone is not None:
            reference["when"] = reference["when"].dt.tz_localize("UTC").dt.tz_convert(time_zone)
            current["when"] = current["when"].dt.tz_localize("UTC").dt.tz_convert(time_zone)
        slow = run(lambda: drift_table_reference(reference, current))
        assert_tables_agree(run(lambda: drift_table(reference, current)), slow)
        assert slow.loc["when", "kind"] == "numeric"
        assert slow.loc["when", "psi"] == population_stability_index(reference["when"], current["when"])
