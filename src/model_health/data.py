"""Offline loaders for the workbook's datasets.

Every file lives in the repository's ``data/`` folder (gzip-compressed raw UCI
files, each with a ``DATASHEET.md``); nothing is downloaded. Each loader returns a
:class:`TabularDataset`: a tidy DataFrame with a named 0/1 target and named
sensitive attributes.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from model_health.paths import DATA

__all__ = ["TabularDataset", "data_dir", "dataset_digest", "load_adult", "load_german_credit"]


def data_dir() -> Path:
    """Folder holding the datasets: ``$MODEL_HEALTH_DATA`` if set, else the repository's ``data/``.

    Examples
    --------
    >>> (data_dir() / "adult" / "DATASHEET.md").exists()
    True
    """
    configured = os.environ.get("MODEL_HEALTH_DATA")
    folder = Path(configured) if configured else DATA
    if not folder.is_dir():
        raise FileNotFoundError(
            f"The data folder {folder} does not exist. Run from a clone of the workbook "
            "(pip install -e .) or set MODEL_HEALTH_DATA to the folder holding adult/ and german_credit/."
        )
    return folder


def dataset_digest(frame: pd.DataFrame) -> str:
    """SHA-256 of a DataFrame's values, index and column names, for lineage: same data, same digest.

    Examples
    --------
    >>> frame = pd.DataFrame({"a": [1, 2]})
    >>> dataset_digest(frame) == dataset_digest(frame.copy()), dataset_digest(frame) == dataset_digest(frame * 2)
    (True, False)
    """
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"dataset_digest needs a pandas DataFrame, got {type(frame).__name__}.")
    hashed = pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes()
    return hashlib.sha256(hashed + "\x1f".join(map(str, frame.columns)).encode()).hexdigest()


@dataclass(frozen=True)
class TabularDataset:
    """A dataset as the notebooks use it.

    Attributes
    ----------
    frame : DataFrame
        Features, sensitive attributes and the target, one row per person.
    target : str
        Name of the 0/1 target column (1 is the outcome the model predicts).
    sensitive_features : tuple of str
        Columns describing protected groups, for fairness analysis.
    name : str
        Short name, matching the folder in ``data/``.
    """

    frame: pd.DataFrame
    target: str
    sensitive_features: tuple[str, ...]
    name: str

    @property
    def X(self) -> pd.DataFrame:
        """All columns except the target."""
        return self.frame.drop(columns=self.target)

    @property
    def y(self) -> pd.Series:
        """The 0/1 target."""
        return self.frame[self.target]

    @property
    def datasheet(self) -> Path:
        """Path to the dataset's datasheet (source, license, known biases)."""
        return data_dir() / self.name / "DATASHEET.md"


ADULT_COLUMNS = [
    "age", "workclass", "fnlwgt", "education", "education_num", "marital_status",
    "occupation", "relationship", "race", "sex", "capital_gain", "capital_loss",
    "hours_per_week", "native_country", "income",
]
ADULT_NUMERIC = ["age", "fnlwgt", "education_num", "capital_gain", "capital_loss", "hours_per_week"]


def load_adult() -> TabularDataset:
    """UCI Adult Income (1994 US census extract), train and test files together: 48,842 rows.

    Target ``income_over_50k`` is 1 for income above $50K. Numeric columns are int64;
    the others are pandas ``category`` with ``?`` read as missing (NaN). Sensitive
    features: ``sex`` and ``race``. See ``data/adult/DATASHEET.md``.

    Examples
    --------
    >>> adult = load_adult()
    >>> adult.frame.shape
    (48842, 15)
    >>> print(round(adult.y.mean(), 3))
    0.239
    """
    folder = data_dir() / "adult"
    parts = [
        # adult.test starts with a "|1x3 Cross validator" line and ends labels with ".".
        pd.read_csv(folder / file, names=ADULT_COLUMNS, skiprows=skip, sep=",",
                    skipinitialspace=True, na_values="?", comment=None)
        for file, skip in (("adult.data.gz", 0), ("adult.test.gz", 1))
    ]
    frame = pd.concat(parts, ignore_index=True).dropna(how="all")
    income = frame.pop("income").str.rstrip(".")
    for column in frame.columns.difference(ADULT_NUMERIC):
        frame[column] = frame[column].astype("category")
    frame[ADULT_NUMERIC] = frame[ADULT_NUMERIC].astype("int64")
    frame["income_over_50k"] = (income == ">50K").astype("int64")
    return TabularDataset(frame.reset_index(drop=True), "income_over_50k", ("sex", "race"), "adult")


GERMAN_COLUMNS = [
    "checking_account", "duration_months", "credit_history", "purpose", "credit_amount",
    "savings", "employment_since", "installment_rate", "personal_status_sex",
    "other_debtors", "residence_since", "property", "age", "other_installment_plans",
    "housing", "existing_credits", "job", "people_liable", "telephone", "foreign_worker",
    "credit",
]
# Attribute codes from the dataset's documentation (german.doc).
GERMAN_CODES = {
    "checking_account": {"A11": "< 0 DM", "A12": "0-200 DM", "A13": ">= 200 DM", "A14": "no account"},
    "credit_history": {
        "A30": "no credits / all paid duly", "A31": "all paid duly at this bank",
        "A32": "existing paid duly", "A33": "past delays", "A34": "critical account",
    },
    "purpose": {
        "A40": "car (new)", "A41": "car (used)", "A42": "furniture/equipment",
        "A43": "radio/television", "A44": "domestic appliances", "A45": "repairs",
        "A46": "education", "A47": "vacation", "A48": "retraining", "A49": "business",
        "A410": "others",
    },
    "savings": {"A61": "< 100 DM", "A62": "100-500 DM", "A63": "500-1000 DM", "A64": ">= 1000 DM",
                "A65": "unknown / none"},
    "employment_since": {"A71": "unemployed", "A72": "< 1 year", "A73": "1-4 years",
                         "A74": "4-7 years", "A75": ">= 7 years"},
    "personal_status_sex": {
        "A91": "male: divorced/separated", "A92": "female: divorced/separated/married",
        "A93": "male: single", "A94": "male: married/widowed", "A95": "female: single",
    },
    "other_debtors": {"A101": "none", "A102": "co-applicant", "A103": "guarantor"},
    "property": {"A121": "real estate", "A122": "savings agreement / life insurance",
                 "A123": "car or other", "A124": "unknown / none"},
    "other_installment_plans": {"A141": "bank", "A142": "stores", "A143": "none"},
    "housing": {"A151": "rent", "A152": "own", "A153": "for free"},
    "job": {"A171": "unemployed / unskilled non-resident", "A172": "unskilled resident",
            "A173": "skilled employee", "A174": "management / self-employed"},
    "telephone": {"A191": "none", "A192": "yes"},
    "foreign_worker": {"A201": "yes", "A202": "no"},
}


# A synthetic column for proxy-discrimination exercises; see the datasheet's "postal_district".
POSTAL_DISTRICTS = ("Altstadt", "Hafen", "Nordviertel", "Ostring", "Suedpark", "Westend")


def _postal_districts(frame: pd.DataFrame, *, strength: float, seed: int) -> pd.Series:
    """Each applicant's district: at random, unless a rule places them (each rule fires with ``strength``).

    Rules, later ones winning: a loan in the top quarter of amounts -> Westend (a legitimate
    factor), a woman -> Suedpark (at half the strength), aged 25 or under -> Hafen, not a
    foreign worker -> Altstadt.
    """
    if not 0 <= strength <= 1:
        raise ValueError(f"proxy_strength must be between 0 and 1 (the chance each rule fires), got {strength!r}.")
    rng = np.random.default_rng(seed)
    district = rng.choice(np.array(POSTAL_DISTRICTS, dtype=object), size=len(frame))
    fires = rng.random((4, len(frame)))
    rules = (
        (frame["credit_amount"] > frame["credit_amount"].quantile(0.75), strength, "Westend"),
        (frame["sex"] == "female", strength / 2, "Suedpark"),
        (frame["age"] <= 25, strength, "Hafen"),
        (frame["foreign_worker"] == "no", strength, "Altstadt"),
    )
    for draw, (applies, chance, name) in zip(fires, rules):
        district[applies.to_numpy() & (draw < chance)] = name
    return pd.Series(district, index=frame.index, name="postal_district").astype(
        pd.CategoricalDtype(list(POSTAL_DISTRICTS)))


def load_german_credit(postal_district: bool = False, *, proxy_strength: float = 0.6,
                       seed: int = 2026) -> TabularDataset:
    """Statlog German Credit (1994): 1,000 loan applicants, 700 good and 300 bad risks.

    Target ``good_credit`` is 1 for a good risk (the favourable outcome: approval).
    Coded attributes are decoded to readable ``category`` values; ``sex`` is split out
    of the original combined personal-status attribute. Sensitive features: ``sex``,
    ``age`` and ``foreign_worker``. See ``data/german_credit/DATASHEET.md``.

    Parameters
    ----------
    postal_district : bool, default False
        Add a synthetic ``postal_district`` column (the data has no address), generated with
        ``seed`` from age, sex, foreign-worker status and the loan amount, so that it is a proxy
        for the protected attributes. ``proxy_strength`` (0 to 1) is the chance that each rule
        places an applicant; at 0 the district is independent of everything. The datasheet
        gives the rules and the measured association.

    Examples
    --------
    >>> german = load_german_credit()
    >>> german.y.value_counts().sort_index().tolist()
    [300, 700]
    >>> load_german_credit(postal_district=True).frame["postal_district"].value_counts().head(2).to_dict()
    {'Westend': 244, 'Hafen': 234}
    """
    frame = pd.read_csv(data_dir() / "german_credit" / "german.data.gz", sep=" ", header=None,
                        names=GERMAN_COLUMNS)
    for column, codes in GERMAN_CODES.items():
        frame[column] = frame[column].map(codes).astype(pd.CategoricalDtype(list(codes.values())))
    frame.insert(frame.columns.get_loc("personal_status_sex") + 1, "sex",
                 frame["personal_status_sex"].str.split(":").str[0].astype("category"))
    frame["good_credit"] = (frame.pop("credit") == 1).astype("int64")
    if postal_district:
        frame.insert(frame.columns.get_loc("good_credit"), "postal_district",
                     _postal_districts(frame, strength=proxy_strength, seed=seed))
    return TabularDataset(frame, "good_credit", ("sex", "age", "foreign_worker"), "german_credit")
