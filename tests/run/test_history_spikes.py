"""MetricHistory.downsampled keeps every extreme: a single-step spike or dip in a long history is in the plot."""

import numpy as np
import pytest

from ganapp.run.history import COLUMNS, MetricHistory

METRICS = COLUMNS[1:]
N = 100_000


def _history(values: np.ndarray, first_step: int = 1) -> MetricHistory:
    """A history of ``values`` ((N, 4) float64), one row a step from ``first_step``."""
    h = MetricHistory(max_rows=max(2, len(values)))
    h.append(np.arange(first_step, first_step + len(values)), values)
    return h


def _calm(n: int = N, seed: int = 0) -> np.ndarray:
    """(n, 4) float64 metrics near where a balanced GAN sits: losses ~0.7, scores ~0.5."""
    rng = np.random.default_rng(seed)
    return np.array([0.7, 0.7, 0.5, 0.5]) + rng.uniform(-0.01, 0.01, (n, 4))


def _check_shape(d: dict[str, np.ndarray], max_points: int, newest_step: int) -> None:
    assert set(d) == set(COLUMNS)
    assert all(a.dtype == np.float64 and a.shape == d["step"].shape for a in d.values())
    assert len(d["step"]) <= max_points
    assert np.all(np.diff(d["step"]) > 0)
    assert d["step"][-1] == newest_step


@pytest.mark.parametrize("row", [0, 1, 31_337, N // 2, N - 2, N - 1])
@pytest.mark.parametrize("max_points", [1000, 999, 3])
def test_one_spike_in_100000_rows_is_kept(row, max_points):
    values = _calm()
    values[row, METRICS.index("d_loss")] = 1e3  # a divergence, one step long
    d = _history(values).downsampled(max_points)
    _check_shape(d, max_points, N)
    assert d["d_loss"].max() == 1e3
    assert np.count_nonzero(d["d_loss"] == 1e3) == 1
    assert d["d_loss"].max() > 10 * np.partition(d["d_loss"], -2)[-2]  # the rest stays calm: the spike stands out


@pytest.mark.parametrize("row", [0, 77_777, N - 1])
def test_one_dip_in_d_x_is_kept(row):
    values = _calm()
    values[row, METRICS.index("d_x")] = 1e-6  # D fooled on the real data for one step
    d = _history(values).downsampled(1000)
    _check_shape(d, 1000, N)
    assert d["d_x"].min() == 1e-6
    assert d["d_loss"].max() < 1  # the other columns are not disturbed


def test_every_column_keeps_its_global_extremes_for_random_data():
    rng = np.random.default_rng(1)
    values = rng.standard_normal((N, 4)) * rng.uniform(0.1, 10, 4)
    d = _history(values, first_step=500).downsampled(1000)
    _check_shape(d, 1000, 500 + N - 1)
    for i, key in enumerate(METRICS):
        assert d[key].min() == values[:, i].min() and d[key].max() == values[:, i].max()
        assert d[key].min() >= values[:, i].min() and d[key].max() <= values[:, i].max()  # nothing invented


def test_each_bucket_keeps_its_min_and_max_in_the_order_they_occurred():
    rng = np.random.default_rng(2)
    n, max_points = 10_001, 101  # 10,000 rows in 50 buckets of 200, then the newest row
    values = rng.standard_normal((n, 4))
    d = _history(values).downsampled(max_points)
    assert len(d["step"]) == max_points
    buckets = values[:-1].reshape(50, 200, 4)
    np.testing.assert_array_equal(d["step"][0:-1:2], np.arange(1, n, 200))  # each bucket's first step
    np.testing.assert_array_equal(d["step"][1:-1:2], np.arange(200, n, 200))  # and its last
    for i, key in enumerate(METRICS):
        low_first = buckets[:, :, i].argmin(axis=1) < buckets[:, :, i].argmax(axis=1)
        lows, highs = buckets[:, :, i].min(axis=1), buckets[:, :, i].max(axis=1)
        np.testing.assert_array_equal(d[key][0:-1:2], np.where(low_first, lows, highs))
        np.testing.assert_array_equal(d[key][1:-1:2], np.where(low_first, highs, lows))
        assert d[key][-1] == values[-1, i]  # the newest row as it is


def test_nan_is_skipped_and_an_all_nan_bucket_stays_nan():
    values = _calm()
    values[::2, METRICS.index("d_loss")] = np.nan  # D's loss is not measured on G-only steps
    values[::2, METRICS.index("d_x")] = np.nan
    values[1001, METRICS.index("d_loss")] = 1e3  # an odd row: measured
    values[:5000, METRICS.index("g_loss")] = np.nan  # e.g. rolled back: the first buckets have no g_loss at all
    values[6000, METRICS.index("g_loss")] = -3.0
    d = _history(values).downsampled(1000)
    _check_shape(d, 1000, N)
    assert np.nanmax(d["d_loss"]) == 1e3 and not np.isnan(d["d_loss"][:-1]).any()  # NaN poisons no bucket
    assert d["d_loss"][-1] == values[-1, 0]  # the newest row (an odd index: measured) as it is
    assert np.nanmin(d["g_loss"]) == -3.0
    nan_rows = np.isnan(d["g_loss"])
    assert nan_rows.any() and np.all(d["step"][nan_rows] <= 5000)  # all-NaN buckets stay NaN, and only those
    assert not np.isnan(d["d_g_z"]).any()


def test_infinity_counts_as_an_extreme():
    values = _calm()
    values[42_000, METRICS.index("g_loss")] = np.inf
    values[42_001, METRICS.index("g_loss")] = np.nan
    d = _history(values).downsampled(1000)
    assert d["g_loss"].max() == np.inf and d["g_loss"].min() == np.nanmin(values[:, 1])


@pytest.mark.parametrize("n", [1, 2, 999, 1000])
def test_short_histories_come_back_whole(n):
    values = _calm(n)
    values[0, 0] = np.nan
    d = _history(values, first_step=7).downsampled(1000)
    np.testing.assert_array_equal(d["step"], np.arange(7, 7 + n))
    for i, key in enumerate(METRICS):
        np.testing.assert_array_equal(d[key], values[:, i])  # unchanged, NaN included


def test_empty_history_and_bad_max_points():
    d = MetricHistory().downsampled(1000)
    assert set(d) == set(COLUMNS) and all(len(a) == 0 for a in d.values())
    with pytest.raises(ValueError, match="max_points"):
        MetricHistory().downsampled(2)


def test_the_result_is_a_copy():
    h = _history(_calm())
    d = h.downsampled(1000)
    d["d_loss"][:] = 0
    assert h.downsampled(1000)["d_loss"].max() > 0.5


def test_compaction_keeps_every_extreme_of_a_long_run():
    h = MetricHistory(max_rows=1000)
    values = _calm()
    values[12_345, METRICS.index("d_loss")] = 1e3  # long compacted by the end of the run
    values[::2, METRICS.index("d_x")] = np.nan
    values[N - 699, METRICS.index("d_x")] = 1e-6  # an odd row: measured
    for start in range(0, N, 500):
        h.append(np.arange(start + 1, start + 501), values[start:start + 500])
    assert 2 <= len(h) <= 1000
    rows = h.rows()
    assert np.all(np.diff(rows[:, 0]) > 0) and rows[0, 0] == 1 and rows[-1, 0] == N  # the whole span
    np.testing.assert_array_equal(rows[-1, 1:], values[-1])  # the newest row as it is
    assert np.nanmax(rows[:, 1]) == 1e3 and np.nanmin(rows[:, 3]) == 1e-6
    for i in range(4):
        assert np.nanmin(rows[:, 1 + i]) == np.nanmin(values[:, i])
        assert np.nanmax(rows[:, 1 + i]) == np.nanmax(values[:, i])
    d = h.downsampled(300)
    assert d["d_loss"].max() == 1e3 and np.nanmin(d["d_x"]) == 1e-6 and d["step"][-1] == N


@pytest.mark.parametrize("max_rows", [2, 3, 4, 5])
def test_a_tiny_history_stays_bounded(max_rows):
    h = MetricHistory(max_rows=max_rows)
    for step in range(1, 50):
        h.append(np.array([step]), _calm(1, seed=step))
        assert 1 <= len(h) <= max_rows and h.rows()[-1, 0] == step
        assert np.all(np.diff(h.rows()[:, 0]) > 0)
