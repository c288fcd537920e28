/* The head-motion sensor's frame and arithmetic (see head.h). Plain C99. */
#include "head.h"

#include <math.h>

#include "protocol.h"

size_t cctf_build_head(uint8_t *pkt, const cctf_head_t *h)
{
    pkt[0] = CCTF_TYPE_HEAD;
    cctf_put_u32(pkt + 1, h->seq);
    cctf_put_u16(pkt + 5, (uint16_t)h->pitch_centi);
    cctf_put_u16(pkt + 7, (uint16_t)h->roll_centi);
    pkt[9] = h->flags;
    return cctf_packet_finish(pkt, 1 + CCTF_HEAD_BODY_BYTES);
}

int cctf_parse_head(const uint8_t *pkt, size_t n, cctf_head_t *h)
{
    if (n != CCTF_HEAD_PACKET_BYTES || pkt[0] != CCTF_TYPE_HEAD)
        return -1;
    h->seq = cctf_get_u32(pkt + 1);
    h->pitch_centi = (int16_t)cctf_get_u16(pkt + 5);
    h->roll_centi = (int16_t)cctf_get_u16(pkt + 7);
    h->flags = pkt[9];
    return 0;
}

/* --- angles ------------------------------------------------------------------------------- */

#define CENTI_PER_RAD 5729.5779513082321f  /* 18000 / pi */

static int16_t centi(float rad)
{
    float v = rad * CENTI_PER_RAD;
    if (v > 18000.0f)
        v = 18000.0f;
    if (v < -18000.0f)
        v = -18000.0f;
    return (int16_t)(v >= 0.0f ? v + 0.5f : v - 0.5f);  /* halves away from zero */
}

void cctf_head_angles(int32_t ax, int32_t ay, int32_t az, int16_t *pitch_centi,
                      int16_t *roll_centi)
{
    float x = (float)ax, y = (float)ay, z = (float)az;
    *pitch_centi = centi(atan2f(y, z));
    *roll_centi = centi(atan2f(x, sqrtf(y * y + z * z)));
}

/* --- the filter --------------------------------------------------------------------------- */

uint8_t cctf_head_filter_shift(uint16_t rate_hz)
{
    if (rate_hz >= 200)
        return 2;
    if (rate_hz >= 100)
        return 1;
    return 0;
}

uint32_t cctf_head_filter_lag_us(uint16_t rate_hz)
{
    uint32_t samples = (1u << cctf_head_filter_shift(rate_hz)) - 1u;
    return rate_hz ? samples * 1000000u / rate_hz : 0;
}

void cctf_head_filter_start(cctf_head_filter_t *f, uint16_t rate_hz)
{
    f->shift = cctf_head_filter_shift(rate_hz);
    f->settle_n = (uint16_t)((rate_hz + 1u) / 2u);
    if (f->settle_n == 0)
        f->settle_n = 1;
    f->settle_left = f->settle_n;
    f->seeded = 0;
}

static int32_t step(int32_t d, uint8_t shift)
{
    return d >= 0 ? (int32_t)((uint32_t)d >> shift) : -(int32_t)((uint32_t)-d >> shift);
}

void cctf_head_filter_update(cctf_head_filter_t *f, int16_t ax, int16_t ay, int16_t az, int ok,
                             cctf_head_t *out)
{
    const int32_t x[3] = {(int32_t)ax * 16, (int32_t)ay * 16, (int32_t)az * 16};
    uint8_t i;
    out->flags = 0;
    if (!ok) {
        out->pitch_centi = 0;
        out->roll_centi = 0;
        out->flags = CCTF_HEADFLAG_FAULT | CCTF_HEADFLAG_SETTLING;
        f->seeded = 0;                 /* the next good reading seeds it afresh ... */
        f->settle_left = f->settle_n;  /* ... and settles again */
        return;
    }
    for (i = 0; i < 3; i++) {
        if (!f->seeded)
            f->f[i] = x[i];
        else  /* d / 2^shift, truncated towards zero, without a 32-bit division */
            f->f[i] += step(x[i] - f->f[i], f->shift);
    }
    f->seeded = 1;
    if (f->settle_left) {
        f->settle_left--;
        out->flags |= CCTF_HEADFLAG_SETTLING;
    }
    cctf_head_angles(f->f[0], f->f[1], f->f[2], &out->pitch_centi, &out->roll_centi);
}
