"""The credit-portfolio simulator's stated properties: its drift story is true and reproducible."""

from __future__ import annotations

import hashlib
import inspect

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import f1_score

from model_health.drift import PSI_ALERT, PSI_WATCH, drift_table
from model_health.simulators import credit_model, simulate_credit_portfolio
from model_health.classroom.seeding import PUBLISHED_SEED
from model_health.classroom.variants import VARIANT_SEEDS


@pytest.fixture(scope="module")
def portfolio():
    return simulate_credit_portfolio()


def f1_by_month(portfolio) -> dict[int, float]:
    features = list(portfolio.features)
    model = credit_model(portfolio.seed).fit(portfolio.training[features], portfolio.training["default"])
    return {month: f1_score(portfolio.month(month)["default"], model.predict(portfolio.month(month)[features]))
            for month in range(1, 7)}


def relative_drop(f1: dict[int, float]) -> float:
    return 1 - f1[6] / ((f1[1] + f1[2]) / 2)


class TestCreditPortfolio:
    def test_reproducible(self, portfolio):
        """The same seed gives the same rows; another seed other rows."""
        again = simulate_credit_portfolio()
        pd.testing.assert_frame_equal(portfolio.production, again.production)
        assert not simulate_credit_portfolio(seed=1).production.equals(portfolio.production)

    def test_shape(self, portfolio):
        """A training window and six monthly batches, with the target and the month."""
        assert len(portfolio.training) == 20_000
        assert portfolio.production.groupby("month").size().to_dict() == {m: 6_000 for m in range(1, 7)}
        assert set(portfolio.features) | {"month", "default"} == set(portfolio.production.columns)

    def test_drifted_features_have_the_largest_psi(self, portfolio):
        """In month 6 the drifted features are exactly the ones in the drift band, and rank first."""
        features = list(portfolio.features)
        table = drift_table(portfolio.training[features], portfolio.month(6)[features])
        assert set(table.index[:3]) == set(portfolio.drifted_features)
        assert set(table.index[table["band"] == "drift"]) == set(portfolio.drifted_features)

    def test_no_drift_before_the_downturn(self, portfolio):
        """Before shift_month every feature is stable."""
        features = list(portfolio.features)
        for month in range(1, portfolio.shift_month):
            table = drift_table(portfolio.training[features], portfolio.month(month)[features])
            assert (table["band"] == "stable").all(), month

    def test_f1_falls_by_the_documented_amount(self, portfolio):
        """The deployed model loses about 15% of its F1 by month 6 (documented: 10% to 22%)."""
        assert 0.10 <= relative_drop(f1_by_month(portfolio)) <= 0.22

    def test_no_downturn_no_drop(self):
        """With severity 0 nothing drifts and F1 holds."""
        calm = simulate_credit_portfolio(severity=0)
        assert abs(relative_drop(f1_by_month(calm))) < 0.06
        assert calm.downturn_strength(6) == 0

    def test_downturn_strength_ramps(self, portfolio):
        """Zero before shift_month, rising over ramp_months, then full."""
        assert [portfolio.downturn_strength(m) for m in range(1, 7)] == pytest.approx([0, 0, 1 / 3, 2 / 3, 1, 1])

    def test_month_errors(self, portfolio):
        """Asking for a month that does not exist names the valid ones."""
        with pytest.raises(ValueError, match=r"production month \[1, 2, 3, 4, 5, 6\], got 9"):
            portfolio.month(9)

    def test_shift_after_the_last_month(self):
        """The downturn must start within the months simulated; the message gives the bound's value."""
        with pytest.raises(ValueError, match=r"`shift_month` must be a whole number in \[1, n_months=4\], got 5\."):
            simulate_credit_portfolio(n_months=4, shift_month=5)


def digest(portfolio) -> str:
    return hashlib.sha256((portfolio.training.to_csv() + portfolio.production.to_csv()).encode()).hexdigest()


AMPLITUDE = 0.4
SEASONAL_WORLD = dict(n_training=12_000, n_per_month=2_500, n_months=24, severity=0,
                      seasonal_amplitude=AMPLITUDE)


@pytest.fixture(scope="module")
def seasonal():
    """Two calm years in production (no downturn), with the documented seasonality."""
    return simulate_credit_portfolio(**SEASONAL_WORLD)


@pytest.fixture(scope="module")
def psi_second_year(seasonal):
    """PSI of every feature in months 13-24 against the training window and against month k - 12."""
    features = list(seasonal.features)
    static = pd.DataFrame({k: drift_table(seasonal.training[features], seasonal.month(k)[features])["psi"]
                           for k in range(13, 25)}).T
    year_ago = pd.DataFrame({k: drift_table(seasonal.month(k - 12)[features], seasonal.month(k)[features])["psi"]
                             for k in range(13, 25)}).T
    return static, year_ago


class TestSeasonality:
    def test_no_amplitude_no_change(self):
        """Amplitude 0 draws the same numbers as before seasonality existed: the rows are pinned."""
        # Digests of the worlds before the option was added (numpy's PCG64 streams, to_csv text).
        small = simulate_credit_portfolio(seed=1, n_training=1000, n_per_month=500, seasonal_amplitude=0.0)
        assert digest(small) == "f491334163887f6812acef486ea832972ed73b25f98e2550cb80f78c3700bb61"
        assert digest(simulate_credit_portfolio()) == (
            "328850646d55d1fb6f7075e0ed8ff1931113741d36d7e2d6453ede9882afb5ed")
        assert small.seasonal_features == () and small.seasonal_effect(6) == 0

    def test_seasonality_draws_no_extra_numbers(self, seasonal):
        """Only the seasonal features (and, through utilization, who defaults) differ from the calm world."""
        calm = simulate_credit_portfolio(**{**SEASONAL_WORLD, "seasonal_amplitude": 0.0})
        untouched = [f for f in seasonal.features if f not in seasonal.seasonal_features] + ["month"]
        for frame, calm_frame in ((seasonal.training, calm.training), (seasonal.production, calm.production)):
            pd.testing.assert_frame_equal(frame[untouched], calm_frame[untouched])
            for feature in seasonal.seasonal_features:
                assert not frame[feature].equals(calm_frame[feature])

    def test_reproducible(self, seasonal):
        """The same seed gives the same seasonal rows; another seed other rows."""
        pd.testing.assert_frame_equal(seasonal.production, simulate_credit_portfolio(**SEASONAL_WORLD).production)
        assert not simulate_credit_portfolio(seed=1, **SEASONAL_WORLD).production.equals(seasonal.production)

    def test_truth(self, seasonal):
        """The seasonal features and the effect per month: a December peak, a June low, 0 in March and September."""
        assert seasonal.seasonal_features == ("loan_amount", "credit_utilization")
        assert seasonal.seasonal_amplitude == AMPLITUDE
        assert [seasonal.calendar_month(k) for k in (1, 6, 12, 13, 24)] == [1, 6, 12, 1, 12]
        effects = [seasonal.seasonal_effect(k) for k in range(13, 25)]
        assert effects == pytest.approx(AMPLITUDE * np.cos(2 * np.pi * (np.arange(1, 13) - 12) / 12))
        assert max(effects) == pytest.approx(seasonal.seasonal_effect(24)) == pytest.approx(AMPLITUDE)
        assert min(effects) == pytest.approx(seasonal.seasonal_effect(18)) == pytest.approx(-AMPLITUDE)
        assert seasonal.seasonal_effect(0) == 0
        with pytest.raises(ValueError, match="`month` must be a production month"):
            seasonal.calendar_month(0)

    def test_effect_direction(self, seasonal):
        """Loans are larger and utilization higher in December than in June, by about the stated effect."""
        december, june = seasonal.month(24), seasonal.month(18)
        log_ratio = np.log(december["loan_amount"]).mean() - np.log(june["loan_amount"]).mean()
        assert log_ratio == pytest.approx(2 * AMPLITUDE, abs=0.06)
        assert december["credit_utilization"].mean() - june["credit_utilization"].mean() == pytest.approx(
            2 * 0.25 * AMPLITUDE, abs=0.03)

    def test_training_window_spans_the_year(self, seasonal):
        """The training window's rows run from January to December, 1/12 per calendar month."""
        training = seasonal.training
        first, last = training.iloc[:1000], training.iloc[-1000:]
        assert last["loan_amount"].median() > 1.5 * training.iloc[5000:6000]["loan_amount"].median()  # Dec vs Jun
        assert abs(np.log(first["loan_amount"]).mean() - np.log(last["loan_amount"]).mean()) < 0.15  # Jan ~ Dec

    def test_seasonal_features_swing_against_the_training_window(self, psi_second_year, seasonal):
        """Against the training window, the seasonal features drift at the December peak and the June low,
        are stable in March and September, and no other feature moves."""
        static, _ = psi_second_year
        seasonal_features = list(seasonal.seasonal_features)
        for month in (18, 24):  # June, December
            assert (static.loc[month, seasonal_features] > PSI_ALERT).all(), month
        for month in (15, 21):  # March, September
            assert (static.loc[month, seasonal_features] < PSI_WATCH).all(), month
        assert (static.drop(columns=seasonal_features) < PSI_WATCH).all().all()

    def test_same_month_last_year_is_stable(self, psi_second_year):
        """Against the same calendar month a year earlier, every feature is stable every month."""
        _, year_ago = psi_second_year
        assert (year_ago < PSI_WATCH).all().all()

    def test_downturn_still_shows_against_last_year(self):
        """A downturn in the second year drifts its features against the same month a year earlier."""
        world = simulate_credit_portfolio(**{**SEASONAL_WORLD, "severity": 1.0, "shift_month": 21})
        features = list(world.features)
        table = drift_table(world.month(12)[features], world.month(24)[features])
        assert set(table.index[table["band"] == "drift"]) <= set(world.drifted_features)
        assert "credit_utilization" in set(table.index[table["band"] == "drift"])


class TestRecession:
    """simulate_recession changes labels in the hit occupations only, and leaves inputs alone."""

    @pytest.fixture(scope="class")
    @classmethod
    def adult_and_after(cls):
        from model_health.data import load_adult
        from model_health.simulators import simulate_recession

        frame = load_adult().frame
        return frame, simulate_recession(frame, seed=5)

    def test_inputs_keep_their_distribution(self, adult_and_after):
        from model_health.drift import drift_table

        frame, after = adult_and_after
        numeric = frame.select_dtypes("number").columns.drop("income_over_50k")
        assert drift_table(frame[numeric], after[numeric])["psi"].max() < 0.01

    def test_high_earners_in_hit_occupations_drop_by_share(self, adult_and_after):
        from model_health.simulators import RECESSION_OCCUPATIONS

        frame, after = adult_and_after
        hit_before = frame["occupation"].isin(RECESSION_OCCUPATIONS)
        hit_after = after["occupation"].isin(RECESSION_OCCUPATIONS)
        before_rate = frame.loc[hit_before, "income_over_50k"].mean()
        after_rate = after.loc[hit_after, "income_over_50k"].mean()
        assert after_rate / before_rate == pytest.approx(0.5, abs=0.03)
        other_before = frame.loc[~hit_before, "income_over_50k"].mean()
        assert after.loc[~hit_after, "income_over_50k"].mean() == pytest.approx(other_before, abs=0.01)

    def test_missing_columns(self):
        from model_health.simulators import simulate_recession

        with pytest.raises(ValueError, match="needs the columns"):
            simulate_recession(pd.DataFrame({"x": [1]}))


class TestLendingDecisions:
    """The decision log's stated ground truth, measured on a large sample."""

    @staticmethod
    def fnr(frame) -> float:
        creditworthy = frame[frame["creditworthy"] == 1]
        return 1 - creditworthy["approved"].mean()

    def test_the_gap_opens_by_fnr_gap_at_shift_week(self):
        from model_health.simulators import simulate_lending_decisions

        log = simulate_lending_decisions(seed=3, applicants_per_week=3000, degraded_region=None)
        for period, expected in ((log["week"] < 27, 0.0), (log["week"] >= 27, 0.15)):
            part = log[period]
            gap = self.fnr(part[part["group"] == "group B"]) - self.fnr(part[part["group"] == "group A"])
            assert gap == pytest.approx(expected, abs=0.015)

    def test_a_quiet_year_has_no_gap_and_no_regional_drop(self):
        from model_health.simulators import simulate_lending_decisions

        log = simulate_lending_decisions(seed=4, applicants_per_week=3000, shift_week=None, degraded_region=None)
        assert self.fnr(log[log["group"] == "group B"]) == pytest.approx(0.15, abs=0.01)
        assert self.fnr(log[log["group"] == "group A"]) == pytest.approx(0.15, abs=0.01)
        by_region = log[log["creditworthy"] == 1].groupby("region")["approved"].mean()
        assert by_region.max() - by_region.min() < 0.02

    @pytest.mark.parametrize("seed", [PUBLISHED_SEED, *VARIANT_SEEDS])
    def test_a_week_has_a_few_dozen_creditworthy_applicants_in_group_b(self, seed):
        """Notebook 07's prose ("only a few dozen creditworthy applicants in group B" a week), on every seed a
        learner can get (issue 22: it said about 100; the median week has 56)."""
        from model_health.simulators import simulate_lending_decisions

        log = simulate_lending_decisions(seed=seed)
        weekly = log[(log["group"] == "group B") & (log["creditworthy"] == 1)].groupby("week").size()
        assert 24 <= weekly.median() <= 96

    def test_only_the_degraded_region_loses_more(self):
        from model_health.simulators import simulate_lending_decisions

        log = simulate_lending_decisions(seed=5, applicants_per_week=3000, fnr_gap=0.0)
        after = log[(log["week"] >= 27) & (log["group"] == "group A")]
        by_region = after.groupby("region").apply(self.fnr, include_groups=False)
        assert by_region["east"] == pytest.approx(0.35, abs=0.02)
        assert by_region.drop("east").max() == pytest.approx(0.15, abs=0.02)

    def test_volume_follows_the_year(self):
        from model_health.simulators import simulate_lending_decisions

        sizes = simulate_lending_decisions(seed=1, shift_week=None).groupby("week").size()
        # Quietest in week 1 (400 x 0.3), busiest in week 27, half a year later (400 x 1.7).
        assert sizes[1] == 120 and sizes[27] == 680 and sizes.idxmin() == 1 and sizes.idxmax() == 27

    def test_arguments_that_only_fail_together(self):
        """Refusal probabilities that add up past 1, and a quiet week left without applicants."""
        from model_health.simulators import simulate_lending_decisions

        with pytest.raises(ValueError, match=r"`base_fnr` \+ `fnr_gap` \+ `region_fnr_rise` must stay a probability "
                                             r"\(at most 1\), got 0.15 \+ 0.9 \+ 0.2 = 1.25"):
            simulate_lending_decisions(fnr_gap=0.9)
        with pytest.raises(ValueError, match="`applicants_per_week`=1 with `volume_swing`=0.7 leaves week 1 without "
                                             "applicants"):
            simulate_lending_decisions(applicants_per_week=1)


class TestFraudTransactions:
    """The fraud stream's stated properties: the holiday precision drop, which drift is which."""

    @staticmethod
    def flags(transactions):
        from sklearn.linear_model import LogisticRegression

        from model_health.simulators import fraud_features

        training = transactions[transactions["day"] < 120]
        model = LogisticRegression(max_iter=1000).fit(fraud_features(training), training["fraud"])
        threshold = np.quantile(model.predict_proba(fraud_features(training))[:, 1], 1 - 0.012)
        return model.predict_proba(fraud_features(transactions))[:, 1] >= threshold

    @pytest.mark.parametrize("seed", [2026, 1, 2])
    def test_precision_falls_about_40_percent_in_the_first_holidays(self, seed):
        from model_health.simulators import simulate_fraud_transactions

        transactions = simulate_fraud_transactions(seed=seed)
        flagged, fraud = self.flags(transactions), transactions["fraud"].to_numpy() == 1
        before = ((transactions["day"] >= 120) & ~transactions["holiday"] & (transactions["day"] < 366)).to_numpy()
        holidays = (transactions["holiday"] & (transactions["day"] < 366)).to_numpy()
        drop = 1 - fraud[holidays & flagged].mean() / fraud[before & flagged].mean()
        assert 0.3 < drop < 0.5
        # Data drift only: fraud is caught as often in the holidays as before.
        assert flagged[holidays & fraud].mean() == pytest.approx(flagged[before & fraud].mean(), abs=0.06)

    def test_without_the_holiday_effect_precision_holds(self):
        from model_health.simulators import simulate_fraud_transactions

        transactions = simulate_fraud_transactions(holiday_strength=0, adapt_day=None)
        flagged, fraud = self.flags(transactions), transactions["fraud"].to_numpy() == 1
        holidays = (transactions["holiday"] & (transactions["day"] < 366)).to_numpy()
        before = ((transactions["day"] >= 120) & ~transactions["holiday"] & (transactions["day"] < 366)).to_numpy()
        assert fraud[holidays & flagged].mean() == pytest.approx(fraud[before & flagged].mean(), abs=0.08)

    def test_adaptation_is_concept_drift(self):
        """After adapt_day fraud is missed more, while honest transactions keep their distribution."""
        from model_health.drift import drift_table
        from model_health.simulators import fraud_features, simulate_fraud_transactions

        transactions = simulate_fraud_transactions()
        flagged, fraud = self.flags(transactions), transactions["fraud"].to_numpy() == 1
        normal = ~transactions["holiday"].to_numpy()
        pre = normal & (transactions["day"] >= 366).to_numpy() & (transactions["day"] < 486).to_numpy()
        post = normal & (transactions["day"] >= 486).to_numpy()
        assert flagged[post & fraud].mean() < flagged[pre & fraud].mean() - 0.3
        honest = transactions["fraud"] == 0
        psi = drift_table(fraud_features(transactions[pre & honest]), fraud_features(transactions[post & honest]))["psi"]
        assert psi.max() < 0.01
        assert transactions.loc[transactions["adapted"], "day"].min() >= 486


class TestHrScreening:
    """Each bias mechanism of the HR simulator, on its own, at the stage where it acts."""

    OFF = {"label_bias": 0, "proxy_gap": 0, "measurement_bias": 0}

    @staticmethod
    def impact_ratio(applicants) -> float:
        """Callback rate of the under-represented group over the majority's, for a model trained on past hires."""
        from sklearn.linear_model import LogisticRegression

        from model_health.simulators import HR_FEATURES

        split = len(applicants) * 2 // 3
        train, test = applicants.iloc[:split], applicants.iloc[split:]
        model = LogisticRegression(max_iter=1000).fit(train[list(HR_FEATURES)], train["past_hired"])
        score = model.predict_proba(test[list(HR_FEATURES)])[:, 1]
        called = score >= np.quantile(score, 0.7)
        rates = pd.Series(called).groupby(test["group"].to_numpy()).mean()
        return rates["under-represented"] / rates["majority"]

    @pytest.mark.parametrize("mechanisms, expected", [
        ({}, 0.79), (OFF, 1.00), ({"label_bias": 0, "measurement_bias": 0}, 0.95),
        ({"label_bias": 0, "proxy_gap": 0}, 0.86), ({"proxy_gap": 0, "measurement_bias": 0}, 1.00),
    ], ids=["defaults", "all off", "proxy only", "measurement only", "label bias only"])
    def test_impact_ratio_is_the_documented_one(self, mechanisms, expected):
        from model_health.simulators import simulate_hr_screening

        assert self.impact_ratio(simulate_hr_screening(n=60_000, **mechanisms)) == pytest.approx(expected, abs=0.03)

    def test_label_bias_acts_on_past_hiring(self):
        from model_health.simulators import simulate_hr_screening

        for label_bias, gap in ((0.2, -0.2), (0.0, 0.0)):
            applicants = simulate_hr_screening(n=60_000, **{**self.OFF, "label_bias": label_bias})
            qualified = applicants[applicants["qualified"] == 1]
            rates = qualified.groupby("group")["past_hired"].mean()
            assert rates["under-represented"] - rates["majority"] == pytest.approx(gap, abs=0.02)

    def test_measurement_bias_at_equal_skill(self):
        from model_health.simulators import simulate_hr_screening

        applicants = simulate_hr_screening(n=60_000)
        residual = applicants["leadership_keywords"] - applicants["skill"]
        by_group = residual.groupby(applicants["group"]).mean()
        assert by_group["under-represented"] - by_group["majority"] == pytest.approx(-0.25, abs=0.03)


def test_churn_story_holds_drift_from_the_promotion_and_a_monthly_billing_dip():
    """Data drift in exactly the named features from the promotion on; the model's F1 falls then;
    billing weeks bring 40% more traffic and a dip in F1 that recurs every month (season, not drift)."""
    from model_health.simulators import CHURN_FEATURES, churn_model, simulate_churn

    world = simulate_churn(seed=11)
    features = list(CHURN_FEATURES)
    model = churn_model(world.training)
    weeks = dict(tuple(world.traffic.groupby("week")))
    f1 = {week: f1_score(frame["churned"], (model.predict_proba(frame[features])[:, 1] >= 0.35).astype(int))
          for week, frame in weeks.items()}
    quiet = [week for week in weeks if week < world.promotion_week and week not in world.billing_weeks]
    after = [week for week in weeks if week >= world.promotion_week]
    assert world.billing_weeks == (4, 8) and world.promotion_week == 6
    assert len(weeks[4]) == len(weeks[8]) == 1.4 * len(weeks[1])
    assert max(f1[week] for week in after) < min(f1[week] for week in quiet) - 0.08
    assert f1[4] < min(f1[week] for week in quiet) - 0.03  # the billing dip, with no drift
    psi_before = drift_table(world.training[features], weeks[3][features])["psi"]
    psi_after = drift_table(world.training[features], weeks[7][features])["psi"]
    assert (psi_before < 0.1).all()
    assert set(psi_after.index[psi_after >= 0.1]) == set(world.drifted_features)
    # The concept drift is the docstring's: loyal month-to-month customers leave, newer ones stay.
    traffic = world.traffic[~world.traffic["week"].isin(world.billing_weeks)]
    promoted = traffic["week"] >= world.promotion_week
    loyal = (traffic["contract"] == "month-to-month") & (traffic["tenure_months"] > 24)
    newer = traffic["tenure_months"] <= 24
    assert traffic.loc[loyal & promoted, "churned"].mean() > traffic.loc[loyal & ~promoted, "churned"].mean() + 0.2
    assert traffic.loc[newer & promoted, "churned"].mean() < traffic.loc[newer & ~promoted, "churned"].mean() - 0.1


NOTEBOOK_04_BILLING_CHURN = 2.5  # as notebook 04's set-up cell passes it


def test_billing_churn_moves_only_the_billing_weeks_outcomes():
    """billing_churn changes who churns in billing weeks and nothing else; its default draws the world drawn before
    it existed (notebook 13's)."""
    from model_health.simulators import simulate_churn

    default, stronger = (simulate_churn(seed=5, n_training=300, per_week=400, billing_churn=value)
                         for value in (1.3, NOTEBOOK_04_BILLING_CHURN))
    pd.testing.assert_frame_equal(default.training, stronger.training)
    billing = default.traffic["week"].isin(default.billing_weeks)
    pd.testing.assert_frame_equal(default.traffic.drop(columns="churned"), stronger.traffic.drop(columns="churned"))
    pd.testing.assert_series_equal(default.traffic.loc[~billing, "churned"], stronger.traffic.loc[~billing, "churned"])
    assert stronger.traffic.loc[billing, "churned"].mean() > default.traffic.loc[billing, "churned"].mean() + 0.05
    pinned = hashlib.sha256((default.training.to_csv() + default.traffic.to_csv()).encode()).hexdigest()
    assert pinned == "e4af0f94542d80f93f9bc737951eb3ed74e7f8cbbe26a71652a68db1a5d86975"  # before billing_churn


def _notebook_04_world(seed):
    """Notebook 04's world on ``seed``, its model and the names its checks read, built as its set-up cell does."""
    from model_health.simulators import CHURN_FEATURES, churn_model, simulate_churn

    world = simulate_churn(seed=seed, billing_churn=NOTEBOOK_04_BILLING_CHURN)
    train, validation = world.training.iloc[:6000], world.training.iloc[6000:]
    return world, dict(validation=validation, model=churn_model(train), THRESHOLD=0.35, SEED=seed,
                       FEATURES=list(CHURN_FEATURES))


@pytest.mark.parametrize("seed", [PUBLISHED_SEED, *VARIANT_SEEDS])
def test_notebook_04_judges_the_partly_labelled_week_on_every_seed(seed):
    """Notebook 04's story: about 3 in 100 outcomes arrive a week late, so when it ends week 7 is partly labelled,
    yet it holds enough labels (q6's minimum, from that seed's bootstrap) to be judged, not 'unknown'."""
    from model_health.teaching.exercises import nb04_monitor_rest_api as nb04

    world, namespace = _notebook_04_world(seed)
    min_labels = nb04.reference_min_labels(nb04._bootstrap_f1(namespace)[1])
    week_7 = int((world.traffic["week"] == 7).sum())
    assert round(0.97 * week_7) >= min_labels, (week_7, min_labels)


@pytest.mark.parametrize("seed", [PUBLISHED_SEED, *VARIANT_SEEDS])
def test_notebook_04_static_threshold_pages_at_month_end_on_every_seed(seed):
    """Notebook 04's story (q8): the static F1 threshold (reference F1 - 2 sd of a week) pages in the billing week
    of month one; the seasonal one (lower there by month one's dip) does not, as month one's ordinary weeks are
    above it; both page for the promotion (weeks 6 and 7, week 7 on the 97% of outcomes that arrived). Issue 22:
    with a month-end churn of 1.3 in log-odds, on seeds 7, 19, 59 and 101 the billing week stayed above the static
    threshold, so both thresholds raised the same alerts."""
    from model_health.teaching.exercises import nb04_monitor_rest_api as nb04

    world, namespace = _notebook_04_world(seed)
    reference_f1, sd = nb04._bootstrap_f1(namespace)
    static = reference_f1 - 2 * sd
    weeks = dict(tuple(world.traffic.groupby("week")))
    weeks[7] = weeks[7].sample(frac=0.97, random_state=seed + 8)  # the notebook's on-time outcomes of week 7
    model, features = namespace["model"], namespace["FEATURES"]
    f1 = {week: f1_score(frame["churned"], (model.predict_proba(frame[features])[:, 1] >= 0.35).astype(int))
          for week, frame in weeks.items() if week <= 7}
    assert world.billing_weeks == (4, 8) and world.promotion_week == 6  # week 8's outcomes are not in: unknown
    ordinary_month_one = np.mean([f1[1], f1[2], f1[3]])
    assert f1[4] < static < ordinary_month_one, (f1, static)
    assert f1[6] < static and f1[7] < static, (f1, static)


class TestLoanApplicants:
    """The proxy story of notebook 13, questions 2-4, holds for any seed."""

    @staticmethod
    def model_gap(applicants):
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        from model_health.simulators import LOAN_FEATURES

        train, audit = applicants.iloc[:6000], applicants.iloc[6000:]
        model = make_pipeline(StandardScaler(), LogisticRegression()).fit(train[list(LOAN_FEATURES)],
                                                                           train["approved_past"])
        creditworthy = audit[audit["would_repay"] == 1]
        approved = pd.Series(model.predict(creditworthy[list(LOAN_FEATURES)]), index=creditworthy.index)
        fnr = (approved == 0).groupby(creditworthy["woman"]).mean()
        return fnr[1] - fnr[0], model[-1].coef_[0][list(LOAN_FEATURES).index("career_break")]

    @pytest.mark.parametrize("seed", [1, 2, 2026])
    def test_a_model_blind_to_gender_still_denies_creditworthy_women_more(self, seed):
        from model_health.simulators import simulate_loan_applicants

        fnr_gap, career_break_weight = self.model_gap(simulate_loan_applicants(seed, n=12_000))
        assert fnr_gap > 0.04 and career_break_weight < 0

    def test_without_officer_bias_or_proxy_the_gap_closes(self):
        from model_health.simulators import simulate_loan_applicants

        for kwargs in ({"officer_bias": 0.0}, {"proxy_gap": 0.0}):
            fnr_gap, _ = self.model_gap(simulate_loan_applicants(3, n=12_000, **kwargs))
            assert abs(fnr_gap) < 0.03, kwargs

    def test_repayment_ignores_gender_and_career_break(self):
        from model_health.simulators import simulate_loan_applicants

        applicants = simulate_loan_applicants(4, n=60_000, proxy_gap=0.0)
        rates = applicants.groupby(["woman", "career_break"])["would_repay"].mean()
        assert rates.max() - rates.min() < 0.03


class TestRecommendationClicks:
    @staticmethod
    def windows(log, weeks):
        rows = log[log["week"].isin(weeks)]
        by_segment = rows.groupby("segment")[["clicks", "impressions", "hides"]].sum()
        overall = rows["clicks"].sum() / rows["impressions"].sum()
        return by_segment["clicks"] / by_segment["impressions"], by_segment["hides"] / by_segment["impressions"], overall

    @pytest.mark.parametrize("seed", [1, 2, 2026])
    def test_overall_ctr_holds_while_the_degraded_segment_falls(self, seed):
        from model_health.simulators import simulate_recommendation_clicks

        world = simulate_recommendation_clicks(seed)
        before = range(1, world.change_week)
        after = range(world.change_week, world.log["week"].max() + 1)
        (ctr_before, hides_before, overall_before), (ctr_after, hides_after, overall_after) = (
            self.windows(world.log, before), self.windows(world.log, after))
        assert abs(overall_after / overall_before - 1) < 0.02
        change = ctr_after / ctr_before - 1
        assert change.idxmin() == world.degraded_segment and change.min() == pytest.approx(-0.4, abs=0.05)
        assert hides_after[world.degraded_segment] > 3 * hides_before[world.degraded_segment]


# Every simulator's arguments, generated from its signature --------------------------------------------------------

def _seeded_functions():
    from model_health import simulators

    return [getattr(simulators, name) for name in simulators.__all__ if name.startswith("simulate_")] + [
        simulators.credit_model]


SEEDED = _seeded_functions()
RECESSION_FRAME = pd.DataFrame({"occupation": ["Sales", "Tech-support"] * 5, "income_over_50k": [1, 0] * 5})
REQUIRED = {"simulate_recession": {"frame": RECESSION_FRAME}, "simulate_model_fleet": {"log_dir": "unused"}}


def _defaults(function) -> dict:
    parameters = inspect.signature(function).parameters.items()
    return {**{name: parameter.default for name, parameter in parameters if parameter.default is not parameter.empty},
            **REQUIRED.get(function.__name__, {})}


def _values_outside(domain, arguments: dict) -> list:
    """Values ``domain`` must refuse: just past each bound, and the kinds of value users get wrong."""
    from model_health._validation import NumberRange, OneOf

    refused = [] if getattr(domain, "none_allowed", False) else [None]
    if isinstance(domain, NumberRange):
        low, high = domain.bounds(arguments)
        step = 1 if domain.whole else 0.01
        refused += [float("nan"), float("inf"), float("-inf"), "1", True, [1], -1]
        refused += [low if domain.low_open else low - step] if low is not None else []
        refused += [high if domain.high_open else high + step] if high is not None else []
        refused += [low + 0.5] if domain.whole else []
    elif isinstance(domain, OneOf):
        refused += ["nowhere", 1]
    else:
        refused += [1, object]
    return refused


CASES = [pytest.param(function, name, value, id=f"{function.__name__}-{name}={value!r}")
         for function in SEEDED for name, domain in function.argument_domains.items()
         for value in _values_outside(domain, _defaults(function))]


class TestArguments:
    """Every argument of every simulator is checked, and a refusal names the argument, the value and the range."""

    def test_every_argument_has_a_domain(self):
        """A simulator's domains cover its signature exactly, so no argument reaches NumPy unchecked."""
        assert len(SEEDED) >= 10
        for function in SEEDED:
            assert list(function.argument_domains) == list(inspect.signature(function).parameters), function.__name__

    def test_the_defaults_are_allowed(self):
        """Each default lies in its own domain (a refused one raises here)."""
        checked = 0
        for function in SEEDED:
            arguments = _defaults(function)
            for name, domain in function.argument_domains.items():
                domain.check(name, arguments[name], arguments)
                checked += 1
        assert checked == sum(len(inspect.signature(function).parameters) for function in SEEDED)

    @pytest.mark.parametrize(("function", "name", "value"), CASES)
    def test_a_value_outside_the_domain_is_refused(self, function, name, value):
        """NaN, infinity, text, True, None (unless it means something), negatives and values past a bound."""
        arguments = {**_defaults(function), name: value}
        with pytest.raises(ValueError) as refusal:
            function(**arguments)
        message = str(refusal.value)
        domain = function.argument_domains[name]
        assert f"`{name}`" in message and domain.describe(arguments) in message
        assert repr(value) in message or type(value).__name__ in message

    def test_seed_none_is_refused_with_the_fix(self):
        """An unseeded world cannot be reproduced: the message says to pass an int seed."""
        from model_health.simulators import simulate_hr_screening

        with pytest.raises(ValueError, match=r"`seed` must be a whole number in \[0, 4294967295\], got None\. Pass an "
                                             r"int seed \(e\.g\. seed=2026\)"):
            simulate_hr_screening(seed=None)

    def test_whole_numbers_arrive_as_ints(self):
        """n=1000.0 is the same world as n=1000."""
        from model_health.simulators import simulate_hr_screening

        pd.testing.assert_frame_equal(simulate_hr_screening(seed=1, n=1000.0), simulate_hr_screening(seed=1, n=1000))

    def test_a_function_with_an_undeclared_argument_is_refused(self):
        """validate_arguments needs a domain for every argument, and bounds that name earlier ones."""
        from model_health._validation import NumberRange, validate_arguments

        with pytest.raises(TypeError, match=r"domains for \['n'\], but the arguments are \['n', 'k'\]"):
            validate_arguments(n=NumberRange(1))(lambda n, k: n)
        with pytest.raises(TypeError, match="the domain of `k` refers to \\['m'\\]"):
            validate_arguments(k=NumberRange(1, "m"), m=NumberRange(1))(lambda k, m: k)


def test_a_short_fleet_lists_only_the_incidents_that_happened(tmp_path):
    """With 7 days, only the incidents starting by day 7 are injected, so only they are ground truth."""
    from model_health.simulators import FLEET_INCIDENTS, simulate_model_fleet

    fleet = simulate_model_fleet(tmp_path, seed=1, days=7, scale=0.01)
    assert fleet.incidents == {name: incident for name, incident in FLEET_INCIDENTS.items() if incident[1] <= 7}
    assert sorted(fleet.incidents) == ["fraud-wire", "spam-filter"]
