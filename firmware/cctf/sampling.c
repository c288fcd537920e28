/* Sampling arithmetic (see sampling.h). Plain C99. */
#include "sampling.h"

/* --- MPX5010DP ---------------------------------------------------------------------------- */

void cctf_oversample_reset(cctf_oversample_t *os)
{
    os->sum = 0;
    os->n = 0;
    os->at_max = 0;
}

void cctf_oversample_add(cctf_oversample_t *os, uint16_t adc)
{
    if (adc >= CCTF_ADC_MAX) {
        adc = CCTF_ADC_MAX;
        os->at_max = 1;
    }
    os->sum = (uint16_t)(os->sum + adc);
    os->n++;
}

int32_t cctf_oversample_result(const cctf_oversample_t *os, uint8_t *flags)
{
    int32_t raw = os->sum;
    if (os->at_max || raw >= CCTF_MPX_OVER_RANGE_RAW)
        *flags |= CCTF_FLAG_OVER_RANGE;
    if (raw < CCTF_MPX_SENSOR_FAULT_RAW)
        *flags |= CCTF_FLAG_SENSOR_FAULT;
    return raw;
}

/* --- HX710B ------------------------------------------------------------------------------- */

int32_t cctf_hx710b_result(uint32_t bits24, uint8_t *flags)
{
    int32_t v;
    bits24 &= 0xFFFFFFu;
    v = (bits24 & 0x800000u) ? (int32_t)bits24 - 0x1000000L : (int32_t)bits24;
    if (v == CCTF_HX710B_MAX || v == CCTF_HX710B_MIN)
        *flags |= CCTF_FLAG_OVER_RANGE;
    return v;
}

/* --- the timer schedule ------------------------------------------------------------------- */

static uint32_t next_period(cctf_ticker_t *t)
{
    uint32_t counts = t->base;
    t->acc = (uint16_t)(t->acc + t->frac);
    if (t->acc >= t->rate_hz) {
        t->acc = (uint16_t)(t->acc - t->rate_hz);
        counts++;
    }
    t->next_us += counts * t->us_per_count;
    return counts;
}

uint32_t cctf_ticker_start(cctf_ticker_t *t, uint16_t rate_hz, uint32_t t0_us)
{
    uint32_t f;
    if (rate_hz < CCTF_MIN_RATE_HZ)
        rate_hz = CCTF_MIN_RATE_HZ;
    if (rate_hz > CCTF_MAX_RATE_HZ)
        rate_hz = CCTF_MAX_RATE_HZ;
    if (rate_hz >= 4) {
        f = 250000u;
        t->prescaler = 64;
        t->us_per_count = 4;
    } else {
        f = 62500u;
        t->prescaler = 256;
        t->us_per_count = 16;
    }
    t->rate_hz = rate_hz;
    t->base = (uint16_t)(f / rate_hz);
    t->frac = (uint16_t)(f % rate_hz);
    t->acc = 0;
    t->next_us = t0_us;
    t->ticks = 0;
    return next_period(t);
}

uint32_t cctf_ticker_tick(cctf_ticker_t *t, uint32_t *next_counts)
{
    uint32_t now = t->next_us;
    t->ticks++;
    *next_counts = next_period(t);
    return now;
}

/* --- sensor-paced sampling ---------------------------------------------------------------- */

void cctf_paced_start(cctf_paced_t *p, uint16_t rate_hz, uint32_t now_us)
{
    if (rate_hz == 0)
        rate_hz = 1;
    p->period_us = 1000000u / rate_hz;
    p->last_us = now_us;
}

uint32_t cctf_paced_timeout_us(const cctf_paced_t *p)
{
    return 2u * p->period_us + 50000u;
}

int cctf_paced_poll(cctf_paced_t *p, uint32_t now_us, int ready)
{
    uint32_t since = now_us - p->last_us;  /* modulo 2^32: wraps with the clock */
    if (ready && since >= p->period_us / 2u) {
        p->last_us = now_us;
        return CCTF_PACED_READ;
    }
    if (since >= cctf_paced_timeout_us(p)) {
        p->last_us = now_us;
        return CCTF_PACED_FAULT;
    }
    return CCTF_PACED_WAIT;
}

/* --- the tare window ---------------------------------------------------------------------- */

uint8_t cctf_window_len(uint16_t rate_hz)
{
    uint16_t n = (uint16_t)((rate_hz + 2u) / 4u);  /* round(rate / 4), halves up */
    if (n < 1)
        n = 1;
    if (n > CCTF_TARE_WINDOW_MAX)
        n = CCTF_TARE_WINDOW_MAX;
    return (uint8_t)n;
}
