"""Kaplan-Meier survival curves [KaplanMeier1958] of the time to a first event, right-censored at the horizon."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd


def survival_curve(event_day: pd.Series, horizon: pd.Series | int, confidence: float = 0.95) -> pd.DataFrame:
    """Kaplan-Meier share of worlds without the event, right-censored at the horizon.

    The event on day ``d`` (0-based) counts as happening at time ``d + 1`` days; a world without the event
    is censored at its horizon. Uses ``scipy.stats.ecdf`` (Greenwood variance, log-log interval).

    Returns:
        Columns ``time`` (days elapsed), ``survival``, ``lower``, ``upper``, starting at time 0 with 1.
    """
    days = pd.array(event_day, dtype="Int64")
    horizon = np.broadcast_to(np.asarray(horizon, dtype=float), (len(days),))
    observed = ~days.isna()
    times = days.to_numpy(dtype=float, na_value=np.nan) + 1
    start = pd.DataFrame({"time": [0.0], "survival": [1.0], "lower": [1.0], "upper": [1.0]})
    if observed.sum() == 0:
        return pd.concat([start, pd.DataFrame({"time": [float(horizon.max())], "survival": [1.0],
                                                "lower": [float(1 - 0.05 ** (1 / max(len(days), 1)))],
                                                "upper": [1.0]})], ignore_index=True)
    from scipy import stats as scistats  # scipy.stats: imported by the code that draws a curve

    data = scistats.CensoredData(uncensored=times[observed], right=horizon[~observed])
    result = scistats.ecdf(data)
    with warnings.catch_warnings():  # undefined where the survival reaches 0; filled with the estimate below
        warnings.simplefilter("ignore", RuntimeWarning)
        interval = result.sf.confidence_interval(confidence, method="log-log")
    survival = result.sf.probabilities
    curve = pd.DataFrame({
        "time": result.sf.quantiles,
        "survival": survival,
        "lower": np.where(np.isnan(interval.low.probabilities), survival, interval.low.probabilities),
        "upper": np.where(np.isnan(interval.high.probabilities), survival, interval.high.probabilities),
    })
    end = curve.iloc[[-1]].assign(time=float(horizon.max()))
    return pd.concat([start, curve, end], ignore_index=True)
