"""Map the device's clock onto the host's time line without inheriting USB latency jitter.

The device stamps each sample with its own microsecond counter (wrapping at 2**32). The host
sees ``receive_time = device_time + offset + latency`` with latency ≥ 0 and jittery. We track
the *lower envelope* of ``receive_time - device_time``: it follows a smaller value at once (a
faster delivery shows the true offset better) and creeps up no faster than ``max_drift`` (to
follow a device crystal slower than the host's). The mapped times are the device's own
jitter-free times shifted by a slowly varying offset, and are forced strictly increasing.
"""

from __future__ import annotations

import numpy as np

_WRAP = 1 << 32


class DeviceClockMapper:
    """Unwrap device microseconds and map them to host seconds; pure, no clock reads."""

    def __init__(self, max_drift: float = 0.02, min_step_s: float = 1e-6) -> None:
        self.max_drift = max_drift
        self.min_step_s = min_step_s
        self.epoch = -1
        self._last_us: int | None = None
        self._device_s = 0.0
        self._offset_s: float | None = None
        self._last_host_s = -np.inf

    def new_epoch(self) -> None:
        """The device restarted: its clock starts again; the host line stays increasing."""
        self.epoch += 1
        self._last_us = None
        self._device_s = 0.0
        self._offset_s = None

    def map(self, t_us: np.ndarray, receive_s: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
        """Map samples (in sequence order) → (device seconds since epoch, host seconds)."""
        t_us = np.asarray(t_us, dtype=np.int64)
        receive = np.broadcast_to(np.asarray(receive_s, dtype=np.float64), t_us.shape)
        device_s = np.empty(len(t_us))
        host_s = np.empty(len(t_us))
        if self.epoch < 0:
            self.new_epoch()
        for i in range(len(t_us)):
            us = int(t_us[i])
            step = None
            if self._last_us is not None:
                step = ((us - self._last_us) % _WRAP) * 1e-6
                self._device_s += step
            self._last_us = us
            seen = float(receive[i]) - self._device_s
            if self._offset_s is None or seen < self._offset_s:
                self._offset_s = seen
            elif step is not None:
                self._offset_s = min(seen, self._offset_s + self.max_drift * step)
            host = self._device_s + self._offset_s
            if host <= self._last_host_s:
                host = self._last_host_s + self.min_step_s
            self._last_host_s = host
            device_s[i] = self._device_s
            host_s[i] = host
        return device_s, host_s
