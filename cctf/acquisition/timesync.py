"""Map the device's clock onto the host's time line without inheriting USB latency jitter.

The device stamps each sample with its own microsecond counter (wrapping at 2**32). The host
sees ``arrival = device_time × (1 + skew) + offset + latency`` with latency ≥ 0 and jittery.
Latency is never negative, so the *lower envelope* of ``arrival − device_time`` is the clock
relation itself. We take the minimum of each ``block_s`` block, fit a line through the recent
block minima (skew from a crystal or resonator that is off by up to ``max_skew``), and place it
under all of them. A delivery faster than the line predicts moves the line down at once.
Mapped times are the device's jitter-free times through that line, forced strictly increasing.

Which clock ``t_s`` follows (PROTOCOL.md section 10.6): the host's. The device clock gives the
spacing within a block; the fitted skew makes ``t_s`` keep pace with the host clock, the time
line every other recording on this computer uses, for a disagreement up to ``max_skew`` (2 %,
room for an HX710B's or a ceramic resonator's error). Beyond a crystal's ±0.1 % the device
reports a warning (``measured_skew``); beyond ``max_skew`` the skew is clipped and ``t_s``
follows the device spacing, drifting from the host clock. ``t_device_s`` is always the device's.
"""

from __future__ import annotations

from collections import deque

import numpy as np

_WRAP = 1 << 32


class DeviceClockMapper:
    """Unwrap device microseconds and map them to host seconds; pure, no clock reads."""

    def __init__(
        self,
        block_s: float = 2.0,
        window_blocks: int = 30,
        max_skew: float = 0.02,
        min_step_s: float = 1e-6,
    ) -> None:
        self.block_s = block_s
        self.max_skew = max_skew
        self.min_step_s = min_step_s
        self.epoch = -1
        self._blocks: deque[tuple[float, float]] = deque(maxlen=window_blocks)
        self._last_host_s = -np.inf
        self._reset_epoch_state()

    def _reset_epoch_state(self) -> None:
        self._last_us: int | None = None
        self._device_s = 0.0
        self._blocks.clear()
        self._block_start_s = 0.0
        self._block_min: tuple[float, float] | None = None  # (device_s, seen) of the minimum
        self._skew = 0.0
        self._measured_skew: float | None = None
        self._intercept_s: float | None = None

    def new_epoch(self) -> None:
        """The device restarted: its clock starts again; the host line stays increasing."""
        self.epoch += 1
        self._reset_epoch_state()

    @property
    def skew(self) -> float:
        """Estimated rate difference of the host clock against the device clock."""
        return self._skew

    @property
    def measured_skew(self) -> float | None:
        """The fitted rate difference before clipping (None until enough blocks were seen):
        positive when the host clock runs faster than the device's."""
        return self._measured_skew

    def map(self, t_us: np.ndarray, receive_s: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
        """Map samples (in sequence order) → (device seconds since boot, host seconds)."""
        t_us = np.asarray(t_us, dtype=np.int64)
        receive = np.broadcast_to(np.asarray(receive_s, dtype=np.float64), t_us.shape)
        device_s = np.empty(len(t_us))
        host_s = np.empty(len(t_us))
        if self.epoch < 0:
            self.new_epoch()
        device_prev = self._device_s
        for i in range(len(t_us)):
            first = self._last_us is None
            d = self._unwrap(int(t_us[i]))
            step = None if first else d - device_prev
            device_prev = d
            seen = float(receive[i]) - d
            self._track_block(d, seen)
            if self._intercept_s is None:
                self._intercept_s = seen - self._skew * d
            predicted = self._intercept_s + self._skew * d
            if seen < predicted:
                self._intercept_s -= predicted - seen
                predicted = seen
            host = d + predicted
            # Never backwards, and never squeezed: after a downward correction (typically the
            # first batch of an epoch, all delivered at once) keep the device's own spacing
            # and let the line catch up at the maximum skew rate instead.
            floor = self._last_host_s + (
                self.min_step_s if step is None else step * (1.0 - self.max_skew)
            )
            host = max(host, floor)
            self._last_host_s = host
            device_s[i] = d
            host_s[i] = host
        return device_s, host_s

    def _unwrap(self, us: int) -> float:
        if self._last_us is None:
            self._device_s = us * 1e-6  # the device's own clock, since its boot
            self._block_start_s = self._device_s
        else:
            self._device_s += ((us - self._last_us) % _WRAP) * 1e-6
        self._last_us = us
        return self._device_s

    def _track_block(self, d: float, seen: float) -> None:
        if self._block_min is None or seen < self._block_min[1]:
            self._block_min = (d, seen)
        if d - self._block_start_s < self.block_s:
            return
        self._blocks.append(self._block_min)
        self._block_min = None
        self._block_start_s = d
        if len(self._blocks) >= 3:
            self._refit()

    def _refit(self) -> None:
        """Slope through the block minima, then the line lowered to touch the lowest one."""
        ds = np.array([b[0] for b in self._blocks])
        ms = np.array([b[1] for b in self._blocks])
        slope = float(np.polyfit(ds - ds.mean(), ms, 1)[0])
        self._measured_skew = slope
        self._skew = float(np.clip(slope, -self.max_skew, self.max_skew))
        self._intercept_s = float(np.min(ms - self._skew * ds))
