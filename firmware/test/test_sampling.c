/* sampling.c: oversampling and its flags, the HX710B result, the timer schedule over an hour,
 * the sensor-paced schedule and the tare window. */
#include <string.h>

#include "../cctf/sampling.h"
#include "test.h"

static int32_t oversample(const uint16_t *reads, uint8_t *flags)
{
    cctf_oversample_t os;
    cctf_oversample_reset(&os);
    for (int i = 0; i < CCTF_MPX_OVERSAMPLE; i++)
        cctf_oversample_add(&os, reads[i]);
    *flags = 0;
    return cctf_oversample_result(&os, flags);
}

static void fill(uint16_t *reads, uint16_t v)
{
    for (int i = 0; i < CCTF_MPX_OVERSAMPLE; i++)
        reads[i] = v;
}

static void mpx(void)
{
    uint16_t r[CCTF_MPX_OVERSAMPLE];
    uint8_t flags;

    case_begin("sampling: 16 reads summed");
    CHECK_INT(CCTF_MPX_OVERSAMPLE, 16);
    CHECK_INT(CCTF_MPX_RAW_MAX, 16368);
    fill(r, 287);  /* ~20 mmHg */
    r[3] = 288;
    CHECK_INT(oversample(r, &flags), 16 * 287 + 1);
    CHECK_INT(flags, 0);
    fill(r, 41);  /* 0 kPa: 0.2 V */
    CHECK_INT(oversample(r, &flags), 656);
    CHECK_INT(flags, 0);
    case_end();

    case_begin("sampling: OVER_RANGE at the converter's ceiling");
    fill(r, 1023);
    CHECK_INT(oversample(r, &flags), 16368);
    CHECK_INT(flags, CCTF_FLAG_OVER_RANGE);
    fill(r, 500);
    r[7] = 1023;  /* one clipped read is enough */
    CHECK_INT(oversample(r, &flags), 15 * 500 + 1023);
    CHECK_INT(flags, CCTF_FLAG_OVER_RANGE);
    fill(r, 1022);  /* 16352 = 16 * 1023 - 16, no read at 1023 */
    CHECK_INT(oversample(r, &flags), 16352);
    CHECK_INT(flags, CCTF_FLAG_OVER_RANGE);
    r[0] = 1021;
    CHECK_INT(oversample(r, &flags), 16351);
    CHECK_INT(flags, 0);
    case_end();

    case_begin("sampling: SENSOR_FAULT below raw 200 (output near 0 V)");
    fill(r, 0);
    CHECK_INT(oversample(r, &flags), 0);
    CHECK_INT(flags, CCTF_FLAG_SENSOR_FAULT);
    fill(r, 12);
    r[0] = 19;  /* 199 */
    CHECK_INT(oversample(r, &flags), 199);
    CHECK_INT(flags, CCTF_FLAG_SENSOR_FAULT);
    r[0] = 20;  /* 200 */
    CHECK_INT(oversample(r, &flags), 200);
    CHECK_INT(flags, 0);
    case_end();

    case_begin("sampling: HX710B 24-bit results");
    flags = 0;
    CHECK_INT(cctf_hx710b_result(0x000001u, &flags), 1);
    CHECK_INT(cctf_hx710b_result(0xFFFFFFu, &flags), -1);
    CHECK_INT(cctf_hx710b_result(0x7FFFFEu, &flags), 8388606);
    CHECK_INT(cctf_hx710b_result(0x800001u, &flags), -8388607);
    CHECK_INT(flags, 0);
    CHECK_INT(cctf_hx710b_result(0x7FFFFFu, &flags), 8388607);
    CHECK_INT(flags, CCTF_FLAG_OVER_RANGE);
    flags = 0;
    CHECK_INT(cctf_hx710b_result(0x800000u, &flags), -8388608);
    CHECK_INT(flags, CCTF_FLAG_OVER_RANGE);
    case_end();
}

/* Run the schedule for n_ticks from t0 and check every tick against exact arithmetic. */
static void schedule(uint16_t rate, uint32_t t0, uint64_t n_ticks, int check_hour)
{
    cctf_ticker_t t;
    uint64_t f, u, counts_total = 0;
    uint32_t counts, first_dt = 0, other_dt = 0;
    int n_dt = 0;
    uint32_t prev = t0;

    counts = cctf_ticker_start(&t, rate, t0);
    f = rate >= 4 ? 250000u : 62500u;
    u = rate >= 4 ? 4u : 16u;
    CHECK_INT(t.us_per_count, u);
    CHECK_INT(t.prescaler, rate >= 4 ? 64 : 256);
    for (uint64_t k = 1; k <= n_ticks; k++) {
        uint64_t s = k * f / rate;                 /* counts from the start to tick k */
        uint32_t want = (uint32_t)(t0 + u * s);    /* modulo 2^32 */
        uint32_t got, dt;
        int64_t err;
        if (counts < 1 || counts > 65536) {
            check_failed(__FILE__, __LINE__, "%u Hz tick %llu: period %u counts", rate,
                         (unsigned long long)k, counts);
            return;
        }
        counts_total += counts;
        got = cctf_ticker_tick(&t, &counts);
        /* exact: the tick's time is the schedule's, to the count */
        err = (int64_t)(u * s * rate) - (int64_t)(k * 1000000u);  /* (time - k/rate) * rate */
        if (got != want || counts_total != s || err > 0 || -err >= (int64_t)(u * rate)) {
            check_failed(__FILE__, __LINE__, "%u Hz tick %llu: t %u want %u (err %lld/%u us)",
                         rate, (unsigned long long)k, got, want, (long long)err, rate);
            return;
        }
        dt = got - prev;
        prev = got;
        if (n_dt == 0 || dt == first_dt) {
            first_dt = dt;
            n_dt = n_dt ? n_dt : 1;
        } else if (n_dt == 1 || dt == other_dt) {
            other_dt = dt;
            n_dt = 2;
        } else {
            check_failed(__FILE__, __LINE__, "%u Hz: a third interval %u us", rate, dt);
            return;
        }
    }
    if (n_dt == 2) {  /* two interval lengths, one count apart */
        uint32_t d = first_dt > other_dt ? first_dt - other_dt : other_dt - first_dt;
        CHECK_INT(d, u);
    }
    if (check_hour)  /* exactly one hour later, to the microsecond */
        CHECK_INT((uint32_t)(prev - t0), 3600000000u);
}

static void timing(void)
{
    static const uint16_t hour_rates[] = {50, 200, 7, 1, 3, 4, 250, 13, 40, 10};
    for (size_t i = 0; i < sizeof hour_rates / sizeof hour_rates[0]; i++) {
        uint16_t rate = hour_rates[i];
        case_begin("sampling: timestamps exact over an hour at %u Hz", rate);
        schedule(rate, 0, 3600ull * rate, 1);
        case_end();
    }
    case_begin("sampling: timestamps exact across the 2^32 us wrap (50, 7 Hz)");
    schedule(50, 0xFFFFF000u, 1000, 0);
    schedule(7, 0xFFF00000u, 1000, 0);
    case_end();
    case_begin("sampling: every rate 1-250 Hz exact for 100 s");
    for (uint16_t rate = 1; rate <= 250; rate++)
        schedule(rate, 12345u, 100ull * rate, 0);
    case_end();
    case_begin("sampling: 50 Hz is 20000 us; 7 Hz mixes 142856 and 142860 us");
    {
        cctf_ticker_t t;
        uint32_t c, a, b2, c2;
        CHECK_INT(cctf_ticker_start(&t, 50, 0), 5000);
        CHECK_INT(cctf_ticker_tick(&t, &c), 20000);
        CHECK_INT(cctf_ticker_tick(&t, &c), 40000);
        cctf_ticker_start(&t, 7, 0);
        a = cctf_ticker_tick(&t, &c);
        b2 = cctf_ticker_tick(&t, &c);
        c2 = cctf_ticker_tick(&t, &c);
        CHECK_INT(a, 142856);       /* 4 * floor(250000 / 7) */
        CHECK_INT(b2 - a, 142856);
        CHECK_INT(c2 - b2, 142856);
        a = cctf_ticker_tick(&t, &c);
        CHECK_INT(a - c2, 142860);  /* floor(4 * 250000 / 7) = 142857 counts: one extra */
        for (int k = 5; k <= 7; k++)
            a = cctf_ticker_tick(&t, &c);
        CHECK_INT(a, 1000000);      /* 7 ticks: exactly one second */
    }
    case_end();
}

static void paced(void)
{
    cctf_paced_t p;
    case_begin("sampling: sensor-paced reads and fault timeout");
    cctf_paced_start(&p, 40, 1000);
    CHECK_INT(p.period_us, 25000);
    CHECK_INT(cctf_paced_timeout_us(&p), 100000);
    CHECK_INT(cctf_paced_poll(&p, 5000, 0), CCTF_PACED_WAIT);
    CHECK_INT(cctf_paced_poll(&p, 10000, 1), CCTF_PACED_WAIT);  /* sooner than half a period */
    CHECK_INT(cctf_paced_poll(&p, 26000, 1), CCTF_PACED_READ);
    CHECK_INT(cctf_paced_poll(&p, 30000, 0), CCTF_PACED_WAIT);
    CHECK_INT(cctf_paced_poll(&p, 125999, 0), CCTF_PACED_WAIT);
    CHECK_INT(cctf_paced_poll(&p, 126000, 0), CCTF_PACED_FAULT);
    CHECK_INT(cctf_paced_poll(&p, 200000, 0), CCTF_PACED_WAIT);
    CHECK_INT(cctf_paced_poll(&p, 226000, 0), CCTF_PACED_FAULT);  /* again, every timeout */
    CHECK_INT(cctf_paced_poll(&p, 240000, 1), CCTF_PACED_READ);   /* back */
    case_end();

    case_begin("sampling: sensor-paced across the clock wrap");
    cctf_paced_start(&p, 10, 0xFFFFFF00u);
    CHECK_INT(cctf_paced_poll(&p, 0x00000100u, 1), CCTF_PACED_WAIT);
    CHECK_INT(cctf_paced_poll(&p, 0xFFFFFF00u + 100000u, 1), CCTF_PACED_READ);
    CHECK_INT(cctf_paced_poll(&p, 0xFFFFFF00u + 100000u + 250000u, 0), CCTF_PACED_FAULT);
    case_end();
}

static void window(void)
{
    case_begin("sampling: tare window length is ~0.25 s of readings");
    CHECK_INT(cctf_window_len(250), 63);
    CHECK_INT(cctf_window_len(200), 50);
    CHECK_INT(cctf_window_len(50), 13);
    CHECK_INT(cctf_window_len(40), 10);
    CHECK_INT(cctf_window_len(10), 3);
    CHECK_INT(cctf_window_len(4), 1);
    CHECK_INT(cctf_window_len(1), 1);
    case_end();
}

void test_sampling(void)
{
    mpx();
    timing();
    paced();
    window();
}
