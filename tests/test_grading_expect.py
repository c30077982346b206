"""The checkers' assertions: a right answer in any reasonable form passes, a wrong one is named."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from model_health.teaching.grading import (Incorrect, close_enough, expect_close, expect_number, expect_picks,
                                           expect_series, format_distinct)


class TestCloseEnough:
    @pytest.mark.parametrize("exact", [0.8729413, 0.07891, 12345.678, 1.4012e-190, -0.04321])
    def test_accepts_every_rounding_to_three_or_more_significant_digits(self, exact):
        """Rounded to 3, 4 or 6 significant digits, the value still matches."""
        for digits in (3, 4, 6):
            assert close_enough(float(f"{exact:.{digits - 1}e}"), exact)

    def test_accepts_other_containers_and_float32(self):
        """A list, a Series or float32 values compare like the float64 array they hold."""
        expected = np.array([0.123456, 0.5, 0.987654])
        assert close_enough([0.123, 0.5, 0.988], expected)
        assert close_enough(pd.Series(expected, dtype="float32"), expected)

    @pytest.mark.parametrize("wrong, exact", [(0.872, 0.8729413), (0.0, 1.4e-190), (1.5e-190, 1.4e-190),
                                              (0.0788, 0.07891), (0.88, 0.8729413)])
    def test_rejects_what_differs_in_the_first_three_digits(self, wrong, exact):
        """Truncated, off in the third digit, or a tiny p-value given as 0: not the same value to 3 significant
        digits (``shown=None``: the rule alone, as for a value whose prompt states its precision)."""
        assert not close_enough(wrong, exact, shown=None)

    @pytest.mark.parametrize("printed, exact, accepted", [(0.079, 0.07891, True), (0.0788, 0.07891, True),
                                                          (0.070, 0.06973, True), (0.071, 0.06973, False),
                                                          (0.002, 0.0017, False), (0.0, 1.4e-190, False)])
    def test_a_value_as_the_notebooks_print_it_from_0_01_up(self, printed, exact, accepted):
        """Issue 22 §2: what the notebook shows with 3 decimals is right, where that keeps two significant digits;
        below 0.01 three decimals keep one, and another method's value could print the same."""
        assert close_enough(printed, exact) is accepted
        assert close_enough([printed, 0.5], [exact, 0.5]) is accepted

    def test_zero_and_nan(self):
        """0 matches only (numerically) 0; NaN matches only NaN; shapes must agree."""
        assert close_enough(0.0, 0.0) and close_enough(1e-15, 0.0)
        assert not close_enough(1e-6, 0.0)
        assert close_enough([np.nan, 1.0], [np.nan, 1.0])
        assert not close_enough(np.nan, 1.0) and not close_enough(1.0, np.nan)
        assert not close_enough([1.0, 2.0], [1.0, 2.0, 3.0])


def test_the_default_message_names_the_quantity_and_claims_no_test_set():
    """Issue 22: "does not match the value on the test set" was said in notebooks that have no test set."""
    with pytest.raises(Incorrect) as raised:
        expect_close("billing_dip", 0.9, 0.07)
    assert str(raised.value) == "`billing_dip` = 0.9: not the value of `billing_dip` on this notebook’s data."


def test_a_nan_is_named_without_a_cause_the_check_did_not_establish():
    """Issue 22: a NaN was blamed on 'an empty or single-class input' where a feature with no effect made it."""
    with pytest.raises(Incorrect, match=r"^`focus_change` is NaN, not a number: find the step that returned NaN"):
        expect_number("focus_change", float("nan"))


class TestExpectPicks:
    contexts = {"interview shortlist": "equal opportunity", "audit": "demographic parity"}
    options = ("equal opportunity", "demographic parity")

    def pick(self, value):
        expect_picks("fitting_metric", value, self.contexts, self.options, lambda *_: "does not fit", item="context")

    def test_keys_and_picks_in_another_case_or_with_spaces_are_the_same(self):
        """Issue 22: 'Interview shortlist' as a key was refused."""
        self.pick({" Interview Shortlist": "Equal Opportunity", "AUDIT": "demographic parity "})
        self.pick(pd.Series({"Audit": "demographic parity", "interview shortlist": "equal opportunity"}))

    def test_two_keys_that_name_one_context_are_refused(self):
        with pytest.raises(Incorrect, match="one key per context"):
            self.pick({"audit": "demographic parity", "Audit": "demographic parity",
                       "interview shortlist": "equal opportunity"})

    def test_a_wrong_pick_says_why(self):
        with pytest.raises(Incorrect, match="does not fit"):
            self.pick({"audit": "equal opportunity", "interview shortlist": "equal opportunity"})


class TestFormatDistinct:
    def test_prints_enough_digits_to_show_the_difference(self):
        """0.79984 against a 0.8 target is shown as 0.7998, never 0.800."""
        assert format_distinct(0.79984, 0.8) == "0.7998"
        assert format_distinct(0.7999996, 0.8) == "0.7999996"

    def test_plain_four_digits_when_already_distinct(self):
        assert format_distinct(0.87312, 0.5) == "0.8731"
        assert format_distinct(0.5, 0.5) == "0.5"


class TestExpectClose:
    def test_rounded_answer_passes(self):
        """An accuracy rounded to 3 decimals is the accuracy (was: 'that is not the accuracy')."""
        expect_close("accuracy", 0.873, 0.8729413)

    def test_names_the_matching_mistake_with_distinct_digits(self):
        """A value that matches a known mistake gets that mistake's message."""
        with pytest.raises(Incorrect, match=r"`recall` = 0\.6012: this is the precision"):
            expect_close("recall", 0.6012, 0.55, mistakes={"this is the precision.": 0.60118})

    def test_correct_wins_over_a_mistake_with_the_same_value(self):
        """When a mistake's value equals the right one on this data, the answer is right."""
        expect_close("f1", 0.5, 0.5, mistakes={"this is the mean.": 0.5})

    def test_otherwise_message_and_tiny_values(self):
        """0.0 for a p-value of 1.4e-190 is wrong (an absolute tolerance would have passed it)."""
        with pytest.raises(Incorrect, match=r"`p` = 0: not the KS p-value"):
            expect_close("p", 0.0, 1.4e-190, otherwise="not the KS p-value.")


class TestExpectNumber:
    @pytest.mark.parametrize("value", ["0.5", None, [0.5], np.array([0.5, 0.6]), True])
    def test_non_numbers_are_feedback(self, value):
        with pytest.raises(Incorrect, match="should be a single number"):
            expect_number("x", value)

    def test_nan_is_feedback(self):
        with pytest.raises(Incorrect, match="is NaN"):
            expect_number("x", float("nan"))

    def test_numpy_scalars_pass(self):
        assert expect_number("x", np.float32(0.25)) == 0.25


class TestExpectSeries:
    def test_a_dict_a_series_or_a_one_column_frame_by_group_in_any_order(self):
        expected = {"a": 0.5, "b": 1.0}
        for value in ({"b": 1, "a": np.float32(0.5)}, pd.Series([1.0, 0.5], index=["b", "a"]),
                      pd.DataFrame({"rate": [0.5, 1.0]}, index=["a", "b"])):
            assert expect_series("rates", value).to_dict() == expected

    def test_a_wrong_container_or_text_values_are_named(self):
        with pytest.raises(Incorrect, match=r"`rates` should be a pandas Series \(or a dict\) indexed by week"):
            expect_series("rates", [0.5, 1.0], indexed_by="week")
        with pytest.raises(Incorrect, match=r"for \['b'\] it holds a str"):
            expect_series("rates", {"a": 0.5, "b": "high"})


def test_a_named_mistake_s_separation_is_its_least_relative_gap_and_a_close_one_is_named():
    """What workbook.py vet reports per seed (issue 22 §3)."""
    from model_health.teaching.grading import Exercise
    from model_health.teaching.grading._expect import coinciding_mistakes, mistake_separations

    class Share(Exercise):
        title = "A share"
        reads = ("share",)

        def expect(self, ns, share):
            for right in ns["rights"]:  # tried on several values, as a function's unseen cases are
                expect_close("share", share, right, mistakes={"a count.": right * 100, "one minus it.": 1 - right})

    share = Share()
    gaps = mistake_separations(share, {"share": 0.25, "rights": [0.25]})
    assert gaps == pytest.approx({"a count.": 99.0, "one minus it.": 2.0})
    assert coinciding_mistakes(share, {"share": 0.25, "rights": [0.25]}) == []
    assert mistake_separations(share, {"share": 0.5, "rights": [0.5]})["one minus it."] == 0.0
    assert mistake_separations(share, {"share": 0.5, "rights": [0.5, 0.25]})["one minus it."] == 2.0  # the 2nd tells
    assert [line.split(" ")[0:2] for line in coinciding_mistakes(share, {"share": 0.5, "rights": [0.5]})] == \
        [["?", "'one"]]
