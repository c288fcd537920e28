/*
 * Sampling arithmetic, free of hardware so the host tests can run it: the MPX5010DP's 16-read
 * oversampling and its limit flags, the HX710B's 24-bit result, the drift-free sample schedule of
 * the timer, the sensor-paced schedule with its fault timeout, and the tare window. Plain C99.
 */
#ifndef CCTF_SAMPLING_H
#define CCTF_SAMPLING_H

#include <stddef.h>
#include <stdint.h>

#include "protocol.h"

#ifdef __cplusplus
extern "C" {
#endif

/* --- MPX5010DP on the 10-bit ADC (PROTOCOL.md section 7.3) -------------------------------- */

#define CCTF_MPX_OVERSAMPLE 16                  /* ADC reads summed per sample */
#define CCTF_ADC_MAX 1023
#define CCTF_MPX_RAW_MAX (CCTF_MPX_OVERSAMPLE * CCTF_ADC_MAX)        /* 16368 */
#define CCTF_MPX_OVER_RANGE_RAW (CCTF_MPX_RAW_MAX - 16)              /* 16352 */
#define CCTF_MPX_SENSOR_FAULT_RAW 200           /* below: output near 0 V, sensor disconnected */

/* Sums the 16 reads of one sample and notes whether any hit the converter's ceiling. */
typedef struct {
    uint16_t sum;      /* at most 16 * 1023 = 16368 */
    uint8_t n;
    uint8_t at_max;
} cctf_oversample_t;

void cctf_oversample_reset(cctf_oversample_t *os);
void cctf_oversample_add(cctf_oversample_t *os, uint16_t adc);
/* The sample: raw = the sum; flags OVER_RANGE (a read at 1023, or raw >= 16352) and
 * SENSOR_FAULT (raw < 200). */
int32_t cctf_oversample_result(const cctf_oversample_t *os, uint8_t *flags);

/* --- HX710B (24-bit, two's complement) ---------------------------------------------------- */

#define CCTF_HX710B_MAX 8388607L
#define CCTF_HX710B_MIN (-8388608L)
/* Sign-extend the 24 bits shifted out of the HX710B; OVER_RANGE at either saturation code. */
int32_t cctf_hx710b_result(uint32_t bits24, uint8_t *flags);

/* --- the timer schedule ------------------------------------------------------------------- */

/*
 * Timer1 counts at F = 16 MHz / 64 = 250 kHz (4 us per count) for rates of 4 Hz and above, and
 * at 16 MHz / 256 = 62.5 kHz (16 us) for 1-3 Hz, so that one period always fits in 16 bits.
 * Tick k after a (re)start is due at exactly floor(k * F / rate) counts: each period is
 * floor(F / rate) or one count more, chosen by an error accumulator (Bresenham), so the
 * intervals alternate when 10^6/rate is not a whole number of counts and never drift.
 * The timestamp of tick k is t0_us + us_per_count * floor(k * F / rate), kept incrementally in
 * 32 bits (it wraps at 2^32 us like the protocol's t_us).
 */
typedef struct {
    uint16_t base;          /* floor(F / rate): whole counts per period */
    uint16_t frac;          /* F mod rate */
    uint16_t rate_hz;
    uint16_t acc;           /* accumulated remainders, < rate_hz */
    uint8_t us_per_count;   /* 4 or 16 */
    uint16_t prescaler;     /* 64 or 256 */
    uint32_t next_us;       /* time of the next tick */
    uint32_t ticks;         /* ticks since the start */
} cctf_ticker_t;

/* Start at t0_us (tick 0, no sample); returns the counts until tick 1 (1..65536). */
uint32_t cctf_ticker_start(cctf_ticker_t *t, uint16_t rate_hz, uint32_t t0_us);
/* A tick happened: returns its time and sets *next_counts to the counts until the next one. */
uint32_t cctf_ticker_tick(cctf_ticker_t *t, uint32_t *next_counts);

/* --- sensor-paced sampling (HX710B) ------------------------------------------------------- */

/* The converter says when a result is ready. No result for a fault timeout (two nominal periods
 * plus 50 ms) -> a SENSOR_FAULT sample, then again every timeout while it lasts. A converter
 * that signals "ready" again sooner than half a period after a read is not read (a DOUT line
 * stuck low must not flood the link). */
typedef struct {
    uint32_t last_us;       /* time of the last read or fault sample */
    uint32_t period_us;     /* nominal 10^6 / rate */
} cctf_paced_t;

enum { CCTF_PACED_WAIT = 0, CCTF_PACED_READ, CCTF_PACED_FAULT };

void cctf_paced_start(cctf_paced_t *p, uint16_t rate_hz, uint32_t now_us);
/* What to do now: read the converter, send a fault sample, or wait. READ and FAULT restart the
 * timeout at now_us. */
int cctf_paced_poll(cctf_paced_t *p, uint32_t now_us, int ready);
uint32_t cctf_paced_timeout_us(const cctf_paced_t *p);

/* --- the tare window ---------------------------------------------------------------------- */

#define CCTF_TARE_WINDOW_MAX 64   /* 0.25 s at 250 Hz is 63 readings */

/* Readings a TARE averages at this rate: round(0.25 s * rate) (halves up), at least 1, at most
 * 64. They are the readings taken AFTER the command (device.c), PROTOCOL.md section 6. */
uint8_t cctf_window_len(uint16_t rate_hz);

#ifdef __cplusplus
}
#endif

#endif /* CCTF_SAMPLING_H */
