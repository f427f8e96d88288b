"""Per-step training metrics kept in growable NumPy arrays, with incremental reads and downsampling for plots that
keeps every extreme."""

from __future__ import annotations

import numpy as np

from ..gan.trainer import METRIC_NAMES

COLUMNS = ("step",) + METRIC_NAMES


class MetricHistory:
    """Rows of (step, d_loss, g_loss, D(x), D(G(z))) in step order.

    When more than ``max_rows`` rows are held, they are compacted to about half as many: buckets of about four
    consecutive rows become the two rows of their min/max envelope (see :meth:`downsampled`), and the newest row stays
    as it is. The history keeps its whole span at half the resolution and every extreme of every column, so memory
    stays bounded however long training runs and a spike is never compacted away. Not thread-safe: the owner locks.

    Args:
        max_rows: rows kept before compaction, ≥ 2.
    """

    def __init__(self, max_rows: int = 200_000):
        if max_rows < 2:
            raise ValueError(f"max_rows={max_rows} is out of range: it must be ≥ 2")
        self.max_rows = max_rows
        self._data = np.empty((1024, len(COLUMNS)), dtype=np.float64)
        self._n = 0

    def __len__(self) -> int:
        return self._n

    def append(self, steps: np.ndarray, values: np.ndarray) -> None:
        """Append rows. ``steps``: (K,) increasing step numbers; ``values``: (K, 4) float metrics."""
        k = len(steps)
        if k == 0:
            return
        if self._n + k > len(self._data):
            grown = np.empty((max(2 * len(self._data), self._n + k), len(COLUMNS)), dtype=np.float64)
            grown[:self._n] = self._data[:self._n]
            self._data = grown
        self._data[self._n:self._n + k, 0] = steps
        self._data[self._n:self._n + k, 1:] = values
        self._n += k
        while self._n > self.max_rows:
            rows = self._data[:self._n]
            if self._n >= 5:  # at least one bucket of four, and the newest row
                kept = _envelope(rows, (self._n - 1) // 4)
            else:  # a history of a few rows (max_rows < 5) has no bucket of four: every other row, the newest kept
                kept = rows[1::2] if self._n % 2 == 0 else rows[0::2]
            self._n = len(kept)
            self._data[:self._n] = kept.copy()

    def rows(self) -> np.ndarray:
        """A copy of every row: (N, 5) float64, columns ``step`` and the metric names (see COLUMNS)."""
        return self._data[:self._n].copy()

    def since(self, step: int) -> dict[str, list[float]]:
        """Rows with step > ``step``, as ``{column: list}``; columns are ``step`` and the metric names."""
        start = int(np.searchsorted(self._data[:self._n, 0], step, side="right"))
        rows = self._data[start:self._n]
        return {name: rows[:, i].tolist() for i, name in enumerate(COLUMNS)}

    def downsampled(self, max_points: int = 1000) -> dict[str, np.ndarray]:
        """At most ``max_points`` rows for plotting, keeping every extreme: a min/max envelope of the history.

        A history of at most ``max_points`` rows comes back whole. A longer one keeps its newest row as it is (so
        the curves end at the current step and value, where the page's appended rows continue) and splits the rows
        before it into ``(max_points - 1) // 2`` buckets of consecutive rows (sizes differ by at most one, each
        ≥ 2). Each bucket gives two rows, at its first and its last step; for each metric column they hold the
        bucket's minimum and maximum, in the order they occurred. The columns share one step axis, so all of a
        row's values are drawn at its step: a value is drawn up to a bucket's width from the step it occurred at,
        but every minimum and maximum of every column, a single-step spike included, is in the output, where a
        bucket mean would flatten it. This is the min/max half of M4 aggregation (Jugel et al. 2014, "M4: A
        Visualization-Oriented Time Series Data Aggregation", VLDB), on a step axis shared by all the columns.

        NaN (a metric not measured at a step, e.g. D's on a G-only step) is skipped, as by ``np.nanmin``: a bucket
        whose values of a column are all NaN gives NaN for it. ±inf counts as a value (a divergence is shown).

        Args:
            max_points: the most rows returned, ≥ 3 (two rows a bucket, and the newest row).

        Returns:
            ``{column: (M,) float64 array}`` for each of COLUMNS, M ≤ max_points, steps strictly increasing.

        Raises:
            ValueError: ``max_points`` < 3.
        """
        if max_points < 3:
            raise ValueError(f"max_points={max_points} is out of range: it must be ≥ 3")
        rows = self._data[:self._n]
        if self._n > max_points:
            rows = _envelope(rows, (max_points - 1) // 2)
        return {name: rows[:, i].copy() for i, name in enumerate(COLUMNS)}


def _envelope(rows: np.ndarray, n_buckets: int) -> np.ndarray:
    """The min/max envelope of ``rows`` (see MetricHistory.downsampled): (2 * n_buckets + 1, 5) float64.

    Args:
        rows: (N, 5) float64, steps increasing, N ≥ 2 * n_buckets + 2 (so each bucket holds ≥ 2 rows).
        n_buckets: buckets the rows before the newest are split into, ≥ 1.
    """
    body = rows[:-1]
    n = len(body)
    starts = (np.arange(n_buckets) * n) // n_buckets                  # (B,) first row of each bucket
    ends = np.append(starts[1:], n) - 1                                 # (B,) last row of each bucket
    values = body[:, 1:]                                                # (n, 4) metrics
    lows = np.fmin.reduceat(values, starts, axis=0)                     # (B, 4) fmin skips NaN: nanmin, no warning
    highs = np.fmax.reduceat(values, starts, axis=0)
    # Where in its bucket each extreme first occurs, to keep min and max in their order; n where never (all NaN).
    bucket_of = np.repeat(np.arange(n_buckets), np.diff(np.append(starts, n)))
    index = np.broadcast_to(np.arange(n)[:, None], values.shape)
    at_low = np.minimum.reduceat(np.where(values == lows[bucket_of], index, n), starts, axis=0)
    at_high = np.minimum.reduceat(np.where(values == highs[bucket_of], index, n), starts, axis=0)
    low_first = at_low <= at_high
    out = np.empty((2 * n_buckets + 1, rows.shape[1]), dtype=np.float64)
    out[0:-1:2, 0] = body[starts, 0]
    out[1:-1:2, 0] = body[ends, 0]
    out[0:-1:2, 1:] = np.where(low_first, lows, highs)
    out[1:-1:2, 1:] = np.where(low_first, highs, lows)
    out[-1] = rows[-1]
    return out
