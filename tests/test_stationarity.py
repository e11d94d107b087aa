"""The baseline is stationary: without new shocks, attack rates do not drift upward year after year.

Stylized fact 12 of the 2023-24 data [DoDBriefings2024] [PressReports]. Until the rivals' attack memory
that outbidding reads decayed like each faction's own, every attack since day 0 counted as "recent", and
the baseline rose from 3.5 attacks a month in its first quarter to 15 by year five.
"""

import numpy as np

from sim.calendar import DAYS_PER_MONTH
from sim.runner import simulate

WORLDS = 1000
YEARS = 5
QUARTER = 91


def _quarterly_rates() -> np.ndarray:
    result = simulate("baseline", n_worlds=WORLDS, seed=12, days=YEARS * 365, collect_events=False)
    series = result.series
    quarter = (series["day"].to_numpy() // QUARTER).clip(max=YEARS * 4 - 1)
    attacks = series["attacks"].to_numpy()
    sums = np.bincount(quarter, weights=attacks)
    days = np.bincount(quarter) / WORLDS
    return sums / WORLDS / days * DAYS_PER_MONTH


def test_the_baseline_attack_rate_is_flat_over_five_years():
    """Every quarter within 10 % of the five-year mean, and year five within 5 % of year one.

    1,000 worlds give each quarter ~270,000 world-days; the quarterly rate's sampling error is about 1 %
    (Poisson counts of ~25,000 attacks a quarter), so 10 % and 5 % leave room for noise but not for the
    old drift (x4 over five years).
    """
    rates = _quarterly_rates()
    mean = rates.mean()
    assert np.all(np.abs(rates / mean - 1.0) < 0.10), np.round(rates, 2)
    year_one, year_five = rates[:4].mean(), rates[-4:].mean()
    assert abs(year_five / year_one - 1.0) < 0.05, (year_one, year_five)
