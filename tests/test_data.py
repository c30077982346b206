"""The offline loaders reproduce the known facts of each dataset."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from model_health.data import ADULT_NUMERIC, TabularDataset, data_dir, load_adult, load_german_credit


@pytest.fixture(scope="module")
def adult() -> TabularDataset:
    return load_adult()


@pytest.fixture(scope="module")
def german() -> TabularDataset:
    return load_german_credit()


class TestLoadAdult:
    def test_rows_and_columns(self, adult):
        """Train and test files together: 48,842 rows, 14 features and the target."""
        assert adult.frame.shape == (48842, 15)
        assert adult.target == "income_over_50k"
        assert adult.sensitive_features == ("sex", "race")

    def test_base_rate(self, adult):
        """About 23.9% earn more than $50K, as adult.names states (23.93%)."""
        assert abs(adult.y.mean() - 0.2393) < 0.001

    def test_rates_by_sex(self, adult):
        """About 30% of men and 11% of women earn more than $50K."""
        rates = adult.frame.groupby("sex", observed=True)["income_over_50k"].mean()
        assert abs(rates["Male"] - 0.304) < 0.005
        assert abs(rates["Female"] - 0.109) < 0.005

    def test_dtypes(self, adult):
        """Numeric columns are int64, the others categories, the target 0/1 int64."""
        frame = adult.frame
        assert all(frame[column].dtype == "int64" for column in ADULT_NUMERIC)
        categorical = frame.columns.difference([*ADULT_NUMERIC, "income_over_50k"])
        assert all(isinstance(frame[column].dtype, pd.CategoricalDtype) for column in categorical)
        assert set(frame["income_over_50k"].unique()) == {0, 1}

    def test_question_marks_are_missing(self, adult):
        """'?' is read as NaN, never kept as a category."""
        for column in ("workclass", "occupation", "native_country"):
            assert "?" not in adult.frame[column].cat.categories
            assert adult.frame[column].isna().sum() > 0

    def test_x_and_y(self, adult):
        """X holds every column but the target; y is the target."""
        assert "income_over_50k" not in adult.X.columns
        assert adult.y.name == "income_over_50k"
        assert adult.datasheet.exists()


class TestLoadGermanCredit:
    def test_rows_and_labels(self, german):
        """1,000 applicants: 700 good and 300 bad risks."""
        assert len(german.frame) == 1000
        assert german.y.value_counts().to_dict() == {1: 700, 0: 300}

    def test_sex_is_derived(self, german):
        """sex is split out of the personal-status code: 690 men, 310 women."""
        assert german.frame["sex"].value_counts().to_dict() == {"male": 690, "female": 310}

    def test_codes_are_decoded(self, german):
        """No raw attribute code (A11, A201, …) is left, and nothing is missing."""
        categorical = german.frame.select_dtypes("category")
        assert not categorical.isna().any().any()
        for column in categorical:
            assert not any(re.fullmatch(r"A\d+", str(value)) for value in categorical[column].unique())

    def test_datasheet_exists(self, german):
        """The datasheet sits beside the data."""
        assert german.datasheet.exists()


class TestDataDir:
    def test_environment_variable_wins(self, monkeypatch, tmp_path):
        """MODEL_HEALTH_DATA points the loaders at another folder."""
        monkeypatch.setenv("MODEL_HEALTH_DATA", str(tmp_path))
        assert data_dir() == tmp_path

    def test_missing_folder_says_how_to_fix(self, monkeypatch, tmp_path):
        """A missing data folder names the folder and the fix."""
        monkeypatch.setenv("MODEL_HEALTH_DATA", str(tmp_path / "nowhere"))
        with pytest.raises(FileNotFoundError, match="set MODEL_HEALTH_DATA"):
            data_dir()
