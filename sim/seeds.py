"""Counter-based random numbers keyed by (world seed, day, actor, draw site), and seed derivation.

Every random draw in the model is a pure function of the world's 64-bit seed and a key naming the day,
the actor and the draw site. No stream is shared between worlds, so a world's history does not depend
on how many other worlds run beside it, in which order, or on which worker. The mixing function is
SplitMix64's finaliser [Steele2014], a bijection on 64-bit integers with full avalanche;
a key is folded into the seed with one more round of it.
"""

from __future__ import annotations

import zlib
from statistics import NormalDist

import numpy as np

_MASK = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_TWO_POW_MINUS_53 = 1.0 / (1 << 53)


def _mix_int(value: int) -> int:
    """SplitMix64 finaliser on a Python int (the scalar twin of :func:`_mix_array`)."""
    z = (value + _GOLDEN) & _MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


_GOLDEN_U64 = np.uint64(_GOLDEN)
_SHIFTS = (np.uint64(30), np.uint64(27), np.uint64(31))


def _mix_array(values: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser on a uint64 array (wrapping arithmetic), in place on one fresh array."""
    z = values + _GOLDEN_U64
    if np.ndim(z) == 0:
        z ^= z >> _SHIFTS[0]
        z *= _M1
        z ^= z >> _SHIFTS[1]
        z *= _M2
        z ^= z >> _SHIFTS[2]
        return z
    shifted = np.empty_like(z)
    for shift, multiplier in zip(_SHIFTS, (_M1, _M2, None)):
        np.right_shift(z, shift, out=shifted)
        z ^= shifted
        if multiplier is not None:
            z *= multiplier
    return z


def site_code(name: str) -> int:
    """A stable integer code for a draw site or actor name (independent of Python's hash seed)."""
    return zlib.crc32(name.encode())


def draw_key(day: int, actor: int, site: int) -> int:
    """The 64-bit key of one draw site of one actor on one day."""
    return _mix_int(_mix_int(_mix_int(day) ^ actor) ^ site)


def uniform_keyed(seeds: np.ndarray, keys: np.ndarray | int) -> np.ndarray:
    """Uniforms in [0, 1) for seeds with precomputed draw keys (one key, or one per seed)."""
    z = _mix_array(seeds ^ np.asarray(keys, dtype=np.uint64))
    if np.ndim(z) == 0:
        return (z >> np.uint64(11)).astype(np.float64) * _TWO_POW_MINUS_53
    z >>= np.uint64(11)
    # below 2**53 the value is the same as a signed integer, and numpy converts int64 to float64 (exactly, as
    # uint64) about three times faster
    u = z.view(np.int64).astype(np.float64)
    u *= _TWO_POW_MINUS_53
    return u


def uniform(seeds: np.ndarray, day: int, actor: int, site: int) -> np.ndarray:
    """One uniform number in [0, 1) per world for the given (day, actor, draw site).

    Args:
        seeds: uint64 world seeds, any shape.
        day: the simulated day.
        actor: the actor's code (see :func:`site_code`).
        site: the draw site's code.

    Returns:
        float64 array of the shape of ``seeds``.
    """
    return uniform_keyed(seeds, draw_key(day, actor, site))


def poisson(seeds: np.ndarray, day: int, actor: int, site: int, mean: np.ndarray | float) -> np.ndarray:
    """One Poisson count per world by inversion of a keyed uniform (any mean: see poisson_from_uniform)."""
    return poisson_from_uniform(uniform(seeds, day, actor, site), mean)


# Above this mean the inversion sum (200 terms) would truncate, so the count comes from the normal
# approximation mean + sqrt(mean) z of the same uniform; at 120 the two differ by well under one count.
LARGE_COUNT_MEAN = 120.0
_STANDARD_NORMAL = NormalDist()


# Up to this many distinct means, counts come from one inversion table per mean (:func:`_inversion_table`).
MAX_INVERSION_TABLES = 32


def poisson_from_uniform(u: np.ndarray, mean: np.ndarray | float) -> np.ndarray:
    """Poisson counts by inversion of the given uniforms; above ``LARGE_COUNT_MEAN`` the normal approximation.

    A count is the number of the cumulative probabilities P(X <= 0), ..., P(X <= 198), summed term by
    term, that the uniform reaches. The draws sharing a mean share those sums: with few distinct means
    (the usual case, one shared by every world) each mean's sums are taken once and the counts looked up
    in them; the sums take the same floating-point operations as the elementwise loop, so the counts are
    the same.
    """
    if np.ndim(mean) == 0 and 0.0 <= mean <= LARGE_COUNT_MEAN:  # one mean shared by every draw: one table
        if not u.size:
            return np.zeros(u.shape, dtype=np.int64)
        return np.searchsorted(_inversion_table(float(mean), float(u.max())), u, side="right")
    mean = np.broadcast_to(np.asarray(mean, dtype=np.float64), u.shape)
    large = mean > LARGE_COUNT_MEAN
    exact = np.minimum(mean, LARGE_COUNT_MEAN) if large.any() else mean
    count = _counts_by_table(u, exact)
    if count is None:
        count = _counts_by_loop(u, exact)
    if large.any():
        z = np.array([_STANDARD_NORMAL.inv_cdf(x) for x in np.clip(u[large], 1e-12, 1 - 1e-12)])
        count[large] = np.maximum(np.rint(mean[large] + np.sqrt(mean[large]) * z), 0).astype(np.int64)
    return count


def _counts_by_loop(u: np.ndarray, exact: np.ndarray) -> np.ndarray:
    """Poisson counts by inversion, every draw summing its own terms (any means)."""
    term = np.exp(-exact)
    cumulative = term.copy()
    count = np.zeros(u.shape, dtype=np.int64)
    for k in range(1, 200):
        active = u >= cumulative
        if not active.any():
            break
        term = term * exact / k
        cumulative = cumulative + term
        count += active
    return count


def _counts_by_table(u: np.ndarray, exact: np.ndarray) -> np.ndarray | None:
    """Poisson counts by inversion through one table per distinct mean, or None (too many means, or a
    negative or missing one: the loop then takes them)."""
    if not u.size:
        return np.zeros(u.shape, dtype=np.int64)
    flat_mean = exact.reshape(-1)
    order = np.argsort(flat_mean, kind="stable")
    means = flat_mean[order]
    if not means[0] >= 0 or not means[-1] >= 0:
        return None
    starts = np.flatnonzero(means[1:] != means[:-1]) + 1
    if starts.size >= MAX_INVERSION_TABLES:
        return None
    draws = u.reshape(-1)[order]
    counts = np.empty(draws.size, dtype=np.int64)
    edges = [0, *starts.tolist(), draws.size]
    for start, stop in zip(edges[:-1], edges[1:]):
        group = draws[start:stop]
        counts[start:stop] = np.searchsorted(_inversion_table(float(means[start]), float(group.max())), group,
                                             side="right")
    count = np.empty(draws.size, dtype=np.int64)
    count[order] = counts
    return count.reshape(u.shape)


def _inversion_table(mean: float, top: float) -> np.ndarray:
    """The cumulative Poisson probabilities of :func:`_counts_by_loop` for one mean, up to the first above ``top``.

    The same operations in the same order as the loop's, on Python floats (IEEE doubles, as numpy's); the
    first term from numpy's own ``exp``. Later sums cannot lower a count of draws below ``top``, so the
    table stops there.
    """
    term = float(np.exp(np.array([-mean]))[0])
    cumulative = [term]
    total = term
    for k in range(1, 199):
        if not top >= total:
            break
        term = term * mean / k
        total = total + term
        cumulative.append(total)
    return np.array(cumulative)


def negative_binomial_from_uniform(u: np.ndarray, mean: np.ndarray | float, dispersion: np.ndarray | float,
                                   max_count: int = 100_000) -> np.ndarray:
    """Negative binomial counts of the given mean and dispersion by inversion of the given uniforms.

    The variance is mean x (1 + dispersion x mean) (a gamma-Poisson mixture of shape 1 / dispersion). The
    dispersion must be positive (0 is the Poisson: use :func:`poisson_from_uniform`). Counts stop at
    ``max_count``.
    """
    mean = np.broadcast_to(np.maximum(np.asarray(mean, dtype=np.float64), 0.0), u.shape)
    shape = 1.0 / np.broadcast_to(np.asarray(dispersion, dtype=np.float64), u.shape)
    q = mean / (shape + mean)  # success odds of each further count
    term = np.exp(shape * np.log1p(-q))  # P(0) = (shape / (shape + mean)) ** shape
    cumulative = term.copy()
    count = np.zeros(u.shape, dtype=np.int64)
    active = u >= cumulative
    k = 0
    while active.any() and k < max_count:
        rows = np.flatnonzero(active)
        term[rows] = term[rows] * (k + shape[rows]) / (k + 1) * q[rows]
        cumulative[rows] = cumulative[rows] + term[rows]
        count[rows] += 1
        k += 1
        # rounding can leave the cumulative a hair below 1: stop where the terms vanish
        active[rows] = (u[rows] >= cumulative[rows]) & (term[rows] > 0.0)
    return count


def derive_seeds(master_seed: int, *keys: np.ndarray | int) -> np.ndarray:
    """Derive one 64-bit world seed per element of the broadcast keys from a master seed.

    ``derive_seeds(seed, k)`` is world k's seed in a plain batch; a sweep uses
    ``derive_seeds(seed, point, replicate)``. Equal inputs always give equal seeds.

    Args:
        master_seed: the user's seed (any non-negative int).
        *keys: integer arrays or ints (non-negative), broadcast together.

    Returns:
        uint64 array of the broadcast shape of ``keys``.
    """
    state = np.asarray(_mix_int(int(master_seed) & _MASK), dtype=np.uint64)
    for key in keys:
        state = _mix_array(state ^ _mix_array(np.asarray(key).astype(np.uint64)))
    return np.atleast_1d(state).astype(np.uint64)


def draw_keys(day: int, actors: np.ndarray, site: int) -> np.ndarray:
    """:func:`draw_key` for many actors at once (uint64 array of their codes): equal to it element by element."""
    return site_keys(day_keys(day, actors), site)


def day_keys(day: int, actors: np.ndarray) -> np.ndarray:
    """The part of :func:`draw_keys` that does not depend on the site, to reuse for each site of a day."""
    folded = np.uint64(_mix_int(day)) ^ np.asarray(actors, dtype=np.uint64)
    return _mix_array(folded)


def site_keys(keys_of_day: np.ndarray, site: int | np.ndarray) -> np.ndarray:
    """:func:`draw_keys` of a site (or of an array of sites, broadcast) from the :func:`day_keys` of the same day."""
    return _mix_array(keys_of_day ^ np.asarray(site, dtype=np.uint64))
