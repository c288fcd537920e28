"""Link faults the simulator injects between the firmware model and the host."""

from __future__ import annotations

from dataclasses import dataclass, field

from cctf.errors import ConfigError


@dataclass(frozen=True, slots=True)
class LinkFaults:
    """What goes wrong on the cable. All times are device seconds since power-on.

    - ``garbage_rate_hz``: bursts of 1–40 random bytes inserted between frames, per second.
    - ``corrupt_prob``: probability a frame has one bit flipped (fails its CRC).
    - ``drop_prob``: probability a sample frame is never sent (a gap in sequence numbers).
    - ``disconnects_s``: (start, duration) pairs: the cable is pulled; the board loses power and
      boots again (HELLO, sequence from 0) when it comes back.
    - ``resets_s``: times the microcontroller resets on its own (watchdog) without unplugging.
    - ``boot_hello_loss_prob``: probability the HELLO a boot sends is lost on the line (the host
      must notice the silence: PROTOCOL.md section 10.5).
    """

    garbage_rate_hz: float = 0.0
    corrupt_prob: float = 0.0
    drop_prob: float = 0.0
    disconnects_s: tuple[tuple[float, float], ...] = field(default_factory=tuple)
    resets_s: tuple[float, ...] = field(default_factory=tuple)
    boot_hello_loss_prob: float = 0.0

    def __post_init__(self) -> None:
        for name in ("corrupt_prob", "drop_prob", "boot_hello_loss_prob"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ConfigError(f"link.{name} must be between 0 and 1, got {value}")
        if self.garbage_rate_hz < 0:
            raise ConfigError(f"link.garbage_rate_hz must be >= 0, got {self.garbage_rate_hz}")
        for start, duration in self.disconnects_s:
            if start < 0 or duration <= 0:
                raise ConfigError(
                    f"link.disconnects_s entries need start >= 0 and duration > 0, "
                    f"got ({start}, {duration})"
                )

    @property
    def clean(self) -> bool:
        return self == LinkFaults()
