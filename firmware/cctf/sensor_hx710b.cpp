/*
 * HX710B 24-bit converter with an MPS20N0040D gauge (the common "pressure sensor module"),
 * bit-banged: DOUT on D2, SCK on D3 (config.h).
 *
 * The HX710B converts continuously; DOUT going low means a result is ready. The host clocks out
 * 24 bits (MSB first, two's complement) and then 1 or 3 more pulses that choose the next
 * conversion: 25 pulses in all = differential input at 10 Hz, 27 = differential input at 40 Hz.
 * At the 25th pulse DOUT goes high again; if it does not, the line is stuck and the reading is
 * flagged SENSOR_FAULT. SCK must not stay high for 60 us (that powers the chip down): each
 * pulse takes a few microseconds, even if an interrupt lands in the middle.
 * DOUT has the pull-up on, so an unplugged module never looks "ready" and the sampling loop
 * reports SENSOR_FAULT after its timeout (sampling.h: cctf_paced_*).
 */
#include "config.h"

#if defined(CCTF_SENSOR_HX710B)

#include <Arduino.h>

#include "sampling.h"
#include "sensor.h"

static uint8_t extra_pulses = 3;  /* 27 pulses: 40 Hz, the default rate */

static inline void pulse(void)
{
    digitalWrite(CCTF_HX710B_SCK_PIN, HIGH);
    delayMicroseconds(1);
    digitalWrite(CCTF_HX710B_SCK_PIN, LOW);
    delayMicroseconds(1);
}

void sensor_begin(void)
{
    pinMode(CCTF_HX710B_DOUT_PIN, INPUT_PULLUP);
    pinMode(CCTF_HX710B_SCK_PIN, OUTPUT);
    digitalWrite(CCTF_HX710B_SCK_PIN, LOW);  /* SCK low: powered up, converting */
    sensor_set_rate(SENSOR_DEFAULT_RATE_HZ);
}

bool sensor_rate_supported(uint16_t rate_hz)
{
    return rate_hz == 10 || rate_hz == 40;
}

void sensor_set_rate(uint16_t rate_hz)
{
    extra_pulses = rate_hz == 10 ? 1 : 3;  /* takes effect after the next read */
}

bool sensor_ready(void)
{
    return digitalRead(CCTF_HX710B_DOUT_PIN) == LOW;
}

void sensor_read_raw(int32_t *raw, uint8_t *flags)
{
    uint32_t bits = 0;
    for (uint8_t i = 0; i < 24; i++) {
        digitalWrite(CCTF_HX710B_SCK_PIN, HIGH);
        delayMicroseconds(1);
        bits = (bits << 1) | (digitalRead(CCTF_HX710B_DOUT_PIN) == HIGH ? 1u : 0u);
        digitalWrite(CCTF_HX710B_SCK_PIN, LOW);
        delayMicroseconds(1);
    }
    for (uint8_t i = 0; i < extra_pulses; i++)
        pulse();
    *raw = cctf_hx710b_result(bits, flags);
    if (digitalRead(CCTF_HX710B_DOUT_PIN) == LOW)
        *flags |= CCTF_FLAG_SENSOR_FAULT;  /* DOUT did not go high: stuck or shorted */
}

#endif
