/* calibration.c: conversion, two-point math, tare, reset, ids, EEPROM image and fallbacks. */
#include <string.h>

#include "../cctf/calibration.h"
#include "fake_board.h"
#include "test.h"

#ifdef __SIZEOF_INT128__ /* the exact-arithmetic references need it */
static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint64_t rng(void)  /* xorshift64*: fixed seed, same numbers on every run */
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1Dull;
}

static int32_t rand_i32(int bits)  /* uniform in [-2^(bits-1), 2^(bits-1)) */
{
    uint64_t r = rng() >> (64 - bits);
    return (int32_t)((int64_t)r - ((int64_t)1 << (bits - 1)));
}

/* Reference: round half away from zero of a/b in 128-bit arithmetic. */
static __int128 ref_div_round(__int128 a, __int128 b)
{
    int neg = (a < 0) != (b < 0);
    __int128 ua = a < 0 ? -a : a, ub = b < 0 ? -b : b;
    __int128 q = ua / ub, r = ua % ub;
    if (2 * r >= ub)
        q++;
    return neg ? -q : q;
}

static void ref_pressure(const cctf_cal_record_t *r, int32_t raw, int32_t *p, int *over)
{
    __int128 v = ref_div_round((__int128)((int64_t)raw - r->zero_raw) *
                                   ((int64_t)r->mmhg_b - r->mmhg_a),
                               (__int128)((int64_t)r->raw_b - r->raw_a));
    *over = 0;
    if (v > INT32_MAX) {
        v = INT32_MAX;
        *over = 1;
    } else if (v < INT32_MIN) {
        v = INT32_MIN;
        *over = 1;
    }
    *p = (int32_t)v;
}

#endif

static cctf_cal_record_t record(uint32_t id, int32_t ra, int32_t pa, int32_t rb, int32_t pb,
                                int32_t zero, uint8_t flags)
{
    cctf_cal_record_t r;
    r.id = id;
    r.raw_a = ra;
    r.mmhg_a = pa;
    r.raw_b = rb;
    r.mmhg_b = pb;
    r.zero_raw = zero;
    r.flags = flags;
    return r;
}

static int same_record(const cctf_cal_record_t *a, const cctf_cal_record_t *b)
{
    return a->id == b->id && a->raw_a == b->raw_a && a->mmhg_a == b->mmhg_a &&
           a->raw_b == b->raw_b && a->mmhg_b == b->mmhg_b && a->zero_raw == b->zero_raw &&
           a->flags == b->flags;
}

static void conversion(void)
{
    uint8_t flags;
    cctf_cal_record_t r;

    case_begin("calibration: PROTOCOL.md 8.1 example (tared MPX5010DP)");
    r = record(4, 655, 0, 12451, 60002, 702, 3);
    flags = 0;
    CHECK_INT(cctf_cal_pressure(&r, 4587, &flags), 19762);
    CHECK_INT(flags, 0);
    CHECK_INT(cctf_cal_pressure(&r, 702, &flags), 0);
    CHECK_INT(cctf_cal_pressure(&r, 600, &flags), -519);  /* -102 * 60002 / 11796 = -518.84 */
    case_end();

    case_begin("calibration: rounding halves away from zero");
    r = record(1, 0, 0, 2, 1, 0, 1);  /* 0.5 milli per count */
    flags = 0;
    CHECK_INT(cctf_cal_pressure(&r, 1, &flags), 1);
    CHECK_INT(cctf_cal_pressure(&r, -1, &flags), -1);
    CHECK_INT(cctf_cal_pressure(&r, 3, &flags), 2);
    CHECK_INT(cctf_cal_pressure(&r, -3, &flags), -2);
    CHECK_INT(cctf_cal_pressure(&r, 4, &flags), 2);
    CHECK_INT(flags, 0);
    case_end();

    case_begin("calibration: negative slope, points in either order");
    r = record(1, 1000, 50000, 0, 0, 0, 1);  /* 50 milli per count, given B first */
    flags = 0;
    CHECK_INT(cctf_cal_pressure(&r, 10, &flags), 500);
    r = record(1, 0, 0, 1000, -50000, 0, 1);
    CHECK_INT(cctf_cal_pressure(&r, 10, &flags), -500);
    CHECK_INT(flags, 0);
    case_end();

    case_begin("calibration: saturation sets OVER_RANGE");
    r = record(1, 0, 0, 1, 1000, 0, 1);  /* 1 mmHg per count */
    flags = 0;
    CHECK_INT(cctf_cal_pressure(&r, 2147483, &flags), 2147483000);
    CHECK_INT(flags, 0);
    CHECK_INT(cctf_cal_pressure(&r, 2147484, &flags), INT32_MAX);
    CHECK_INT(flags, CCTF_FLAG_OVER_RANGE);
    flags = 0;
    CHECK_INT(cctf_cal_pressure(&r, -2147484, &flags), INT32_MIN);
    CHECK_INT(flags, CCTF_FLAG_OVER_RANGE);
    r = record(1, INT32_MIN, INT32_MIN, INT32_MAX, INT32_MAX, INT32_MIN, 1);
    flags = 0;
    CHECK_INT(cctf_cal_pressure(&r, -1, &flags), INT32_MAX);  /* slope 1: just representable */
    CHECK_INT(flags, 0);
    CHECK_INT(cctf_cal_pressure(&r, 0, &flags), INT32_MAX);
    CHECK_INT(flags, CCTF_FLAG_OVER_RANGE);
    r = record(1, 0, INT32_MIN, 1, INT32_MAX, INT32_MAX, 1);
    flags = 0;
    CHECK_INT(cctf_cal_pressure(&r, INT32_MIN, &flags), INT32_MIN);
    CHECK_INT(flags, CCTF_FLAG_OVER_RANGE);
    case_end();

#ifdef __SIZEOF_INT128__
    case_begin("calibration: conversion equals exact 128-bit arithmetic (200000 random cases)");
    for (int i = 0; i < 200000; i++) {
        int bits = 8 + (int)(rng() % 25);  /* magnitudes from small to the full int32 range */
        int32_t p, want;
        int over;
        r = record(1, rand_i32(bits), rand_i32(bits), rand_i32(bits), rand_i32(bits),
                   rand_i32(bits), 1);
        if (r.raw_a == r.raw_b)
            r.raw_b++;
        int32_t raw = rand_i32(bits);
        flags = 0;
        p = cctf_cal_pressure(&r, raw, &flags);
        ref_pressure(&r, raw, &want, &over);
        if (p != want || (flags == CCTF_FLAG_OVER_RANGE) != over) {
            CHECK_INT(p, want);
            CHECK_INT(flags, over ? CCTF_FLAG_OVER_RANGE : 0);
            break;
        }
    }
    case_end();

    case_begin("calibration: MPX5010DP datasheet record over the whole raw range");
    r = record(0, 655, 0, 12451, 60002, 655, 0);
    for (int32_t raw = 0; raw <= 16368; raw++) {
        int32_t want;
        int over;
        flags = 0;
        ref_pressure(&r, raw, &want, &over);
        if (cctf_cal_pressure(&r, raw, &flags) != want || flags) {
            CHECK_INT(cctf_cal_pressure(&r, raw, &flags), want);
            break;
        }
    }
    case_end();
#else
    printf("note: no __int128 on this host: the exact-arithmetic comparisons are skipped\n");
#endif
}

static void two_point(void)
{
    int32_t zero = 0;

    case_begin("calibration: two-point zero_raw");
    CHECK_INT(cctf_cal_zero_for_points(700, 0, 12400, 60000, &zero), 0);
    CHECK_INT(zero, 700);
    /* 20 mmHg at 4600, 40 mmHg at 8600: 5 milli per count, zero at 600 */
    CHECK_INT(cctf_cal_zero_for_points(4600, 20000, 8600, 40000, &zero), 0);
    CHECK_INT(zero, 600);
    CHECK_INT(cctf_cal_zero_for_points(8600, 40000, 4600, 20000, &zero), 0);  /* B first */
    CHECK_INT(zero, 600);
    /* the HX710B command vector: -8388608 - round(-100000 * 16777215 / 400000) */
    CHECK_INT(cctf_cal_zero_for_points(-8388608, -100000, 8388607, 300000, &zero), 0);
    CHECK_INT(zero, -4194304);
    /* rounding: 1 mmHg at raw 11, 3 mmHg at raw 12 -> zero at 10.5 -> 11 - round(0.5) = 10 */
    CHECK_INT(cctf_cal_zero_for_points(11, 1000, 12, 3000, &zero), 0);
    CHECK_INT(zero, 10);
    case_end();

    case_begin("calibration: degenerate points are refused");
    zero = 12345;
    CHECK_INT(cctf_cal_zero_for_points(700, 0, 700, 60000, &zero), -1);
    CHECK_INT(cctf_cal_zero_for_points(700, 100, 12400, 100, &zero), -1);
    /* zero_raw outside the int32 range */
    CHECK_INT(cctf_cal_zero_for_points(INT32_MAX, 1, INT32_MAX - 1, 2, &zero), -1);
    CHECK_INT(zero, 12345);
    /* extreme but representable */
    CHECK_INT(cctf_cal_zero_for_points(INT32_MIN, INT32_MIN, INT32_MAX, INT32_MAX, &zero), 0);
    CHECK_INT(zero, 0);
    case_end();

#ifdef __SIZEOF_INT128__
    case_begin("calibration: zero_raw equals exact arithmetic (100000 random cases)");
    for (int i = 0; i < 100000; i++) {
        int bits = 8 + (int)(rng() % 25);
        int32_t ra = rand_i32(bits), pa = rand_i32(bits), rb = rand_i32(bits),
                pb = rand_i32(bits);
        if (ra == rb || pa == pb)
            continue;
        __int128 want = (__int128)ra - ref_div_round((__int128)pa * ((int64_t)rb - ra),
                                                     (__int128)((int64_t)pb - pa));
        int ok = cctf_cal_zero_for_points(ra, pa, rb, pb, &zero);
        int fits = want >= INT32_MIN && want <= INT32_MAX;
        if (ok != (fits ? 0 : -1) || (fits && zero != (int32_t)want)) {
            CHECK_INT(ok, fits ? 0 : -1);
            CHECK_INT(zero, (long long)want);
            break;
        }
    }
    case_end();
#endif

    case_begin("calibration: div_round");
    CHECK_INT(cctf_div_round(5, 2), 3);
    CHECK_INT(cctf_div_round(-5, 2), -3);
    CHECK_INT(cctf_div_round(5, -2), -3);
    CHECK_INT(cctf_div_round(-5, -2), 3);
    CHECK_INT(cctf_div_round(7, 3), 2);
    CHECK_INT(cctf_div_round(8, 3), 3);
    CHECK_INT(cctf_div_round(0, 7), 0);
    CHECK_INT(cctf_div_round(INT64_MAX, 1), INT64_MAX);
    case_end();
}

static void ids(void)
{
    case_begin("calibration: ids increment modulo 2^32 and skip 0");
    CHECK_INT(cctf_cal_next_id(0), 1);
    CHECK_INT(cctf_cal_next_id(1), 2);
    CHECK_INT(cctf_cal_next_id(0xFFFFFFFEu), 0xFFFFFFFFu);
    CHECK_INT(cctf_cal_next_id(0xFFFFFFFFu), 1);
    case_end();
}

static void commands_and_storage(void)
{
    static fake_board_t b;
    cctf_cal_t cal, again;
    cctf_cal_record_t r;

    case_begin("calibration: blank EEPROM -> datasheet record, id 0, not calibrated");
    fake_init(&b);
    cctf_cal_init(&cal, &fake_mpx_datasheet, &b.storage, FAKE_CAL_ADDR);
    CHECK_INT(cctf_cal_load(&cal), CCTF_CAL_BLANK);
    r = record(0, 655, 0, 12451, 60002, 655, 0);
    CHECK(same_record(&cal.rec, &r));
    CHECK_INT(cal.rec.flags & CCTF_CALFLAG_TWO_POINT, 0);
    case_end();

    case_begin("calibration: TARE sets zero and TARED, new id, stored");
    CHECK_INT(cctf_cal_tare(&cal, 702), CCTF_STATUS_OK);
    r = record(1, 655, 0, 12451, 60002, 702, CCTF_CALFLAG_TARED);
    CHECK(same_record(&cal.rec, &r));
    cctf_cal_init(&again, &fake_mpx_datasheet, &b.storage, FAKE_CAL_ADDR);
    CHECK_INT(cctf_cal_load(&again), CCTF_CAL_LOADED);
    CHECK(same_record(&again.rec, &r));
    case_end();

    case_begin("calibration: SET_CAL stores points, TWO_POINT only (TARED cleared)");
    CHECK_INT(cctf_cal_set_points(&cal, 700, 0, 12400, 60000), CCTF_STATUS_OK);
    r = record(2, 700, 0, 12400, 60000, 700, CCTF_CALFLAG_TWO_POINT);
    CHECK(same_record(&cal.rec, &r));
    CHECK_INT(cctf_cal_load(&again), CCTF_CAL_LOADED);
    CHECK(same_record(&again.rec, &r));
    case_end();

    case_begin("calibration: TARE after SET_CAL keeps the points, TWO_POINT|TARED");
    CHECK_INT(cctf_cal_tare(&cal, 690), CCTF_STATUS_OK);
    r = record(3, 700, 0, 12400, 60000, 690, CCTF_CALFLAG_TWO_POINT | CCTF_CALFLAG_TARED);
    CHECK(same_record(&cal.rec, &r));
    case_end();

    case_begin("calibration: SET_CAL with degenerate points: BAD_ARGUMENT, no change");
    b.writes = 0;
    CHECK_INT(cctf_cal_set_points(&cal, 700, 0, 700, 60000), CCTF_STATUS_BAD_ARGUMENT);
    CHECK_INT(cctf_cal_set_points(&cal, 700, 5, 800, 5), CCTF_STATUS_BAD_ARGUMENT);
    CHECK(same_record(&cal.rec, &r));
    CHECK_INT(b.writes, 0);
    case_end();

    case_begin("calibration: RESET_CAL back to the datasheet, new id");
    CHECK_INT(cctf_cal_reset(&cal), CCTF_STATUS_OK);
    r = record(4, 655, 0, 12451, 60002, 655, 0);
    CHECK(same_record(&cal.rec, &r));
    CHECK_INT(cctf_cal_load(&again), CCTF_CAL_LOADED);
    CHECK(same_record(&again.rec, &r));
    case_end();

    case_begin("calibration: a failed write answers FAILED and changes nothing");
    b.fail_writes = 1;
    CHECK_INT(cctf_cal_tare(&cal, 800), CCTF_STATUS_FAILED);
    CHECK_INT(cctf_cal_set_points(&cal, 1, 0, 2, 1000), CCTF_STATUS_FAILED);
    CHECK_INT(cctf_cal_reset(&cal), CCTF_STATUS_FAILED);
    CHECK(same_record(&cal.rec, &r));
    b.fail_writes = 0;
    CHECK_INT(cctf_cal_load(&again), CCTF_CAL_LOADED);
    CHECK(same_record(&again.rec, &r));
    case_end();

    case_begin("calibration: id wraps from 0xFFFFFFFF to 1 across a reboot");
    r = record(0xFFFFFFFFu, 700, 0, 12400, 60000, 700, CCTF_CALFLAG_TWO_POINT);
    fake_store_cal(&b, &r);
    CHECK_INT(cctf_cal_load(&cal), CCTF_CAL_LOADED);
    CHECK(same_record(&cal.rec, &r));
    CHECK_INT(cctf_cal_tare(&cal, 701), CCTF_STATUS_OK);
    CHECK_INT(cal.rec.id, 1);
    case_end();

    case_begin("calibration: every corrupted byte of the image falls back to defaults");
    r = record(9, 700, 0, 12400, 60000, 700, CCTF_CALFLAG_TWO_POINT);
    for (int i = 0; i < CCTF_CAL_IMAGE_BYTES; i++) {
        for (int bit = 0; bit < 8; bit++) {
            fake_store_cal(&b, &r);
            b.eeprom[FAKE_CAL_ADDR + i] ^= (uint8_t)(1u << bit);
            int got = cctf_cal_load(&cal);
            if (got != CCTF_CAL_CORRUPT || cal.rec.id != 0 || cal.rec.zero_raw != 655 ||
                cal.rec.flags != 0) {
                check_failed(__FILE__, __LINE__, "byte %d bit %d: load %d id %u", i, bit, got,
                             (unsigned)cal.rec.id);
            }
        }
    }
    case_end();

    case_begin("calibration: checksummed but degenerate or id-0 records are refused");
    r = record(9, 700, 0, 700, 60000, 700, CCTF_CALFLAG_TWO_POINT);
    fake_store_cal(&b, &r);
    CHECK_INT(cctf_cal_load(&cal), CCTF_CAL_CORRUPT);
    r = record(9, 700, 5, 800, 5, 700, CCTF_CALFLAG_TWO_POINT);
    fake_store_cal(&b, &r);
    CHECK_INT(cctf_cal_load(&cal), CCTF_CAL_CORRUPT);
    r = record(0, 700, 0, 12400, 60000, 700, CCTF_CALFLAG_TWO_POINT);
    fake_store_cal(&b, &r);
    CHECK_INT(cctf_cal_load(&cal), CCTF_CAL_CORRUPT);
    CHECK_INT(cal.rec.id, 0);
    case_end();

    case_begin("calibration: image layout (magic, version, wire record, CRC)");
    {
        uint8_t img[CCTF_CAL_IMAGE_BYTES], wire[CCTF_CAL_BYTES];
        r = record(0x01020304u, -1, 2, 3, 4, 5, 3);
        cctf_cal_image(&r, img);
        cctf_put_cal_record(wire, &r);
        CHECK_INT(CCTF_CAL_IMAGE_BYTES, 30);
        CHECK_INT(img[0], 'c');
        CHECK_INT(img[1], 'C');
        CHECK_INT(img[2], CCTF_CAL_LAYOUT_VERSION);
        CHECK(memcmp(img + 3, wire, CCTF_CAL_BYTES) == 0);
        CHECK_INT(cctf_get_u16(img + 28), cctf_crc16(img, 28));
    }
    case_end();

    case_begin("calibration: unreadable storage -> defaults");
    {
        cctf_cal_t none;
        cctf_cal_init(&none, &fake_mpx_datasheet, NULL, 0);
        CHECK_INT(cctf_cal_load(&none), CCTF_CAL_UNREADABLE);
        CHECK_INT(none.rec.id, 0);
        CHECK_INT(cctf_cal_tare(&none, 700), CCTF_STATUS_FAILED);
        cctf_cal_init(&none, &fake_mpx_datasheet, &b.storage, 1020);  /* runs off the end */
        CHECK_INT(cctf_cal_load(&none), CCTF_CAL_UNREADABLE);
    }
    case_end();
}

void test_calibration(void)
{
    conversion();
    two_point();
    ids();
    commands_and_storage();
}
