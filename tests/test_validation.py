"""Input validation at the public boundary: clear ValueErrors that name the problem and the fix."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from model_health._validation import (
    as_1d_array,
    as_binary_labels,
    as_groups,
    as_numeric_series,
    as_real_number,
    as_scores,
    as_whole_number,
    check_columns,
    check_same_length,
)

CONTAINERS = [list, np.asarray, pd.Series]


class TestAs1dArray:
    @pytest.mark.parametrize("container", CONTAINERS)
    def test_accepts_list_array_series(self, container):
        """Lists, arrays and Series all become a 1d array."""
        assert as_1d_array("y", container([1, 2, 3])).tolist() == [1, 2, 3]

    @pytest.mark.parametrize("value", ["abc", 3, None])
    def test_rejects_non_arrays(self, value):
        """A string, scalar or None names the argument and what was received."""
        with pytest.raises(ValueError, match=r"`y` should be a 1d array-like .* got"):
            as_1d_array("y", value)

    def test_column_vector_suggests_ravel(self):
        """A (n, 1) array says how to flatten it."""
        with pytest.raises(ValueError, match=r"shape \(3, 1\).*np.ravel"):
            as_1d_array("y", np.zeros((3, 1)))

    def test_matrix(self):
        """A true 2d array is rejected with its shape."""
        with pytest.raises(ValueError, match=r"shape \(3, 2\)"):
            as_1d_array("y", np.zeros((3, 2)))

    def test_empty(self):
        """An empty input is named as empty."""
        with pytest.raises(ValueError, match="`y` is empty"):
            as_1d_array("y", [])

    @pytest.mark.parametrize("values", [[1.0, np.nan], np.array(["a", None], dtype=object)])
    def test_nan(self, values):
        """Missing values are counted and the fix is named."""
        with pytest.raises(ValueError, match=r"1 (NaN|missing) value\(s\); drop or impute"):
            as_1d_array("y", values)

    @pytest.mark.parametrize(("values", "received"), [({1, 2}, "set"), ({"a": 1}, "dict"), (pd.NA, "NAType"),
                                                      ((v for v in [1, 2]), "generator")])
    def test_unordered_or_opaque_containers(self, values, received):
        """Sets, dicts, generators and pd.NA name what they are (a set used to pass as one object)."""
        with pytest.raises(ValueError, match=rf"`y` should be a 1d array-like .* got {received} instead"):
            as_1d_array("y", values)

    def test_ragged_rows(self):
        """Nested lists of different lengths name the argument (NumPy's own error does not)."""
        with pytest.raises(ValueError, match="`y` should be a 1d array-like, got rows of different lengths"):
            as_1d_array("y", [[1, 2], [3]])

    @pytest.mark.parametrize("values", [pd.Series([1, pd.NA], dtype="Int64"),
                                        pd.Series([True, pd.NA], dtype="boolean"),
                                        pd.Series(["a", pd.NA], dtype="string[python]"),
                                        pd.Series([0.5, pd.NA], dtype="Float64")])
    def test_pd_na_in_nullable_dtypes(self, values):
        """pd.NA in a nullable Series counts as missing."""
        with pytest.raises(ValueError, match=r"`y` contains 1 (NaN|missing) value\(s\)"):
            as_1d_array("y", values)

    def test_nan_allowed_when_asked(self):
        """Callers that handle NaN themselves can allow it."""
        assert np.isnan(as_1d_array("y", [1.0, np.nan], allow_nan=True)[1])


class TestAsBinaryLabels:
    @pytest.mark.parametrize("container", CONTAINERS)
    def test_accepts_0_1_and_bool(self, container):
        """0/1 and boolean labels become ints."""
        assert as_binary_labels("y", container([True, False])).tolist() == [1, 0]
        assert as_binary_labels("y", container([0, 1, 1])).dtype == int

    def test_scores_are_not_labels(self):
        """Probabilities are rejected with a hint to threshold them."""
        with pytest.raises(ValueError, match="threshold them first"):
            as_binary_labels("y_pred", [0.2, 0.9])

    def test_strings_are_not_labels(self):
        """Text labels are rejected with the encoding to use."""
        with pytest.raises(ValueError, match="Encode the positive class as 1"):
            as_binary_labels("y", [">50K", "<=50K"])

    @pytest.mark.parametrize("values", [pd.Series([1, 0], dtype="Int64"), pd.Series([True, False], dtype="boolean"),
                                        pd.Series([1, 0], dtype=object), np.array([1.0, 0.0])])
    def test_nullable_and_object_labels(self, values):
        """Nullable, object-dtype and float 0/1 labels without missing values are ordinary labels."""
        assert as_binary_labels("y", values).tolist() == [1, 0]

    @pytest.mark.parametrize("values", [["1", "0"], pd.Series(["1", "0"], dtype="string"), np.array(["1", "0"])])
    def test_numbers_as_text(self, values):
        """Labels stored as text say how to convert them."""
        with pytest.raises(ValueError, match=r"`y` should hold binary labels 0/1.*numbers stored as text: convert "
                                             r"them with pd.to_numeric"):
            as_binary_labels("y", values)

    def test_single_class(self):
        """A metric that needs both classes says so."""
        with pytest.raises(ValueError, match=r"holds a single class \(1\)"):
            as_binary_labels("y_true", [1, 1, 1], require_both_classes=True)


class TestAsScores:
    def test_outside_unit_interval(self):
        """Scores outside [0, 1] point at predict_proba."""
        with pytest.raises(ValueError, match=r"probabilities in \[0, 1\].*predict_proba"):
            as_scores("y_score", [0.1, 1.5])

    def test_non_numeric(self):
        """Text scores are rejected."""
        with pytest.raises(ValueError, match="numeric scores"):
            as_scores("y_score", ["a", "b"])

    def test_numbers_as_text(self):
        """Scores stored as text say how to convert them."""
        with pytest.raises(ValueError, match="numbers stored as text"):
            as_scores("y_score", ["0.1", "0.9"])

    def test_object_numbers_are_scores(self):
        """An object Series of plain numbers is numeric."""
        assert as_scores("y_score", pd.Series([0.25, 1], dtype=object)).tolist() == [0.25, 1.0]

    def test_ints_become_floats(self):
        """0/1 scores are allowed and returned as floats."""
        assert as_scores("y_score", [0, 1]).dtype == float


class TestAsRealNumber:
    @pytest.mark.parametrize("value", [0.5, 1, np.float32(0.5), np.int64(3)])
    def test_numbers(self, value):
        """Python and NumPy numbers become floats."""
        assert as_real_number("threshold", value) == float(value)

    @pytest.mark.parametrize(("value", "received"), [("0.5", "str '0.5'"), (None, "NoneType None"),
                                                     (pd.NA, "NAType <NA>"), (True, "bool True"),
                                                     ([0.5], r"list \[0.5\]")])
    def test_not_numbers(self, value, received):
        """Text, None, pd.NA, booleans and lists are named with what was received."""
        with pytest.raises(ValueError, match=rf"`threshold` should be a real number, got {received} instead"):
            as_real_number("threshold", value)

    @pytest.mark.parametrize("value", [np.nan, float("inf"), -np.inf])
    def test_not_finite(self, value):
        """NaN and infinity are rejected unless allowed."""
        with pytest.raises(ValueError, match="`threshold` should be a finite number"):
            as_real_number("threshold", value)
        np.testing.assert_equal(as_real_number("threshold", value, finite=False), float(value))


class TestAsWholeNumber:
    def test_whole_float(self):
        """30.0 is the whole number 30."""
        assert as_whole_number("n", 30.0, minimum=1) == 30

    @pytest.mark.parametrize("value", [2.5, 0, -1])
    def test_fractions_and_below_minimum(self, value):
        """Fractions and values below the minimum name the minimum."""
        with pytest.raises(ValueError, match="`n` should be a whole number >= 1"):
            as_whole_number("n", value, minimum=1)


class TestAsNumericSeries:
    def test_nullable_becomes_float_with_nan(self):
        """Int64/Float64 with pd.NA become float with NaN; the index is kept."""
        series = as_numeric_series("s", pd.Series([1, pd.NA], index=[3, 4], dtype="Int64"))
        assert series.dtype == float and series.index.tolist() == [3, 4] and np.isnan(series[4])

    @pytest.mark.parametrize(("values", "message"), [
        ([1.0, 2.0], "`s` should be a pandas Series indexed by month, got list"),
        (pd.Series(dtype=float), "`s` is empty"),
        (pd.Series([1.0, 2.0], index=[1, 1]), r"repeated index value\(s\) \[1\]"),
        (pd.Series(["1", "2"]), "`s` should hold numbers, got (dtype str|str '1')"),  # pandas 3 | 2
        (pd.Series([1.0, "2"], dtype=object), "`s` should hold numbers, got str '2' at index 1"),
        (pd.Series([True, False]), "`s` should hold numbers, got dtype bool"),
    ])
    def test_rejects(self, values, message):
        """Lists, empty, repeated months, text and booleans are named."""
        with pytest.raises(ValueError, match=message):
            as_numeric_series("s", values)


class TestCheckSameLength:
    def test_names_every_argument(self):
        """A mismatch names each argument and its length."""
        with pytest.raises(ValueError, match=r"`y_true` has 3, `y_pred` has 2 rows"):
            check_same_length(y_true=[1, 0, 1], y_pred=[1, 0])

    def test_equal_lengths_pass(self):
        """Equal lengths raise nothing."""
        check_same_length(a=[1], b=[2])


class TestAsGroups:
    def test_keeps_series_name(self):
        """A named Series keeps its name, so group tables are labelled."""
        assert as_groups("g", pd.Series(["a", "b"], name="sex")).name == "sex"

    def test_missing_group_label(self):
        """NaN group labels say how to fill them."""
        with pytest.raises(ValueError, match=r"1 missing group label\(s\); fill them"):
            as_groups("sensitive_features", ["a", None])

    def test_empty_categorical_group(self):
        """An unused category is an empty group, with the pandas fix."""
        groups = pd.Series(pd.Categorical(["a", "a"], categories=["a", "b"]))
        with pytest.raises(ValueError, match=r"'b' \(0 rows\).*remove_unused_categories"):
            as_groups("sensitive_features", groups)

    def test_groups_below_minimum(self):
        """Groups smaller than the minimum are listed with their sizes."""
        with pytest.raises(ValueError, match=r"fewer than 2 row\(s\): 'b' \(1 rows\)"):
            as_groups("g", ["a", "a", "b"], min_group_size=2)


class TestCheckColumns:
    def test_missing_column(self):
        """A missing column is named together with the columns present."""
        with pytest.raises(ValueError, match=r"missing column\(s\) \['sex'\]; it has \['age'\]"):
            check_columns(pd.DataFrame({"age": [1]}), ["age", "sex"])

    def test_not_a_dataframe(self):
        """A non-DataFrame is named as such."""
        with pytest.raises(ValueError, match="should be a pandas DataFrame, got list"):
            check_columns([1, 2], ["age"])
