"""Per-step training metrics kept in growable NumPy arrays, with incremental reads and downsampling for plots."""

from __future__ import annotations

import numpy as np

from ..gan.trainer import METRIC_NAMES

COLUMNS = ("step",) + METRIC_NAMES


class MetricHistory:
    """Rows of (step, d_loss, g_loss, D(x), D(G(z))) in step order.

    When more than ``max_rows`` rows are held, every other row is dropped (the history keeps its whole span at half
    the resolution), so memory stays bounded however long training runs. Not thread-safe: the owner locks.

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
            kept = self._data[:self._n][1::2] if self._n % 2 == 0 else self._data[:self._n][0::2]
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
        """At most ``max_points`` rows for plotting: equal-size buckets of consecutive rows, averaged.

        Each bucket's step is its last row's step, so the newest point is always at the current step.

        Returns:
            ``{column: (M,) float64 array}`` with M ≤ max_points.
        """
        rows = self._data[:self._n]
        if self._n > max_points:
            size = -(-self._n // max_points)  # ceil division
            n_full = self._n // size
            head = rows[self._n - n_full * size:]  # drop the oldest remainder so buckets end at the newest row
            means = head.reshape(n_full, size, -1).mean(axis=1)
            means[:, 0] = head[size - 1::size, 0]
            rows = means
        return {name: rows[:, i].copy() for i, name in enumerate(COLUMNS)}
