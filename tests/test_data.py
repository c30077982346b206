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


class TestPostalDistrict:
    """The synthetic proxy column of German Credit: off by default, seeded, as strong as the datasheet says."""

    @staticmethod
    def cramers_v(german_frame, strength_row: dict) -> dict:
        from scipy.stats.contingency import association

        district = german_frame["postal_district"]
        against = {"age 25 or under": german_frame["age"] <= 25, "sex": german_frame["sex"],
                   "foreign_worker": german_frame["foreign_worker"],
                   "loan in the top quarter of amounts":
                       german_frame["credit_amount"] > german_frame["credit_amount"].quantile(0.75)}
        return {name: f"{association(pd.crosstab(district, values).to_numpy(), method='cramer'):.3f}"
                for name, values in against.items() if name in strength_row}

    @staticmethod
    def datasheet_rows(german) -> dict[str, dict[str, str]]:
        """The datasheet's association table: {strength: {attribute: V}}."""
        lines = [line for line in german.datasheet.read_text().splitlines() if line.startswith("| `proxy_strength`")
                 or re.match(r"\| \d\.\d", line)]
        header = [cell.strip() for cell in lines[0].strip("|").split("|")][1:]
        rows = {}
        for line in lines[1:]:
            cells = [cell.strip() for cell in line.strip("|").split("|")]
            rows[cells[0].split()[0]] = dict(zip(header, cells[1:]))
        return rows

    def test_off_by_default_and_nothing_else_changes(self, german):
        with_district = load_german_credit(postal_district=True).frame
        assert "postal_district" not in german.frame
        pd.testing.assert_frame_equal(with_district.drop(columns="postal_district"), german.frame)

    def test_seeded(self):
        first, again = (load_german_credit(postal_district=True).frame["postal_district"] for _ in range(2))
        other = load_german_credit(postal_district=True, seed=7).frame["postal_district"]
        pd.testing.assert_series_equal(first, again)
        assert (first != other).mean() > 0.3

    def test_association_is_the_datasheets(self, german):
        """The datasheet's Cramér's V table is what the generator gives, at both strengths it lists."""
        rows = self.datasheet_rows(german)
        assert set(rows) == {"0.6", "0.0"}
        for strength, stated in rows.items():
            frame = load_german_credit(postal_district=True, proxy_strength=float(strength)).frame
            assert self.cramers_v(frame, stated) == stated

    def test_strength_out_of_range_is_an_error(self):
        with pytest.raises(ValueError, match="proxy_strength must be between 0 and 1"):
            load_german_credit(postal_district=True, proxy_strength=1.5)


def test_adult_datasheet_representation_table(adult):
    """The datasheet's sample vs fnlwgt-weighted shares by race are what the data gives."""
    frame = adult.frame
    stated = {race: (rows, population) for race, rows, population in re.findall(
        r"^  \| ([A-Za-z-]+) \| ([\d.]+%) \| ([\d.]+%) \|$", adult.datasheet.read_text(), re.M)}
    sample = frame["race"].astype(str).value_counts(normalize=True)
    weighted = frame.groupby(frame["race"].astype(str))["fnlwgt"].sum() / frame["fnlwgt"].sum()
    assert stated == {race: (f"{sample[race]:.2%}", f"{weighted[race]:.2%}") for race in sample.index}
