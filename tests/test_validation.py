"""Input validation at the public boundary: clear ValueErrors that name the problem and the fix."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from model_health._validation import (
    as_1d_array,
    as_binary_labels,
    as_groups,
    as_scores,
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

    def test_ints_become_floats(self):
        """0/1 scores are allowed and returned as floats."""
        assert as_scores("y_score", [0, 1]).dtype == float


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
