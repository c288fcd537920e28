/* The optional head sensor (issue 17, PROTOCOL.md section 15): the tilt angles of known
 * accelerometer vectors, the filter's lag, settling and faults, and the device's HELLO and HEAD
 * frames with and without the sensor. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../cctf/head.h"
#include "fake_board.h"
#include "test.h"

#define G 16384.0  /* LSB per g at +-2 g */
#define PI 3.14159265358979323846

static fake_board_t b;
static fake_frame_t frames[64];

/* The accelerometer's reading ("up") of a head at pitch p and roll r (degrees), head.h axes. */
static void up_vector(double p_deg, double r_deg, int16_t *x, int16_t *y, int16_t *z)
{
    double p = p_deg * PI / 180.0, r = r_deg * PI / 180.0;
    *x = (int16_t)lround(G * sin(r));
    *y = (int16_t)lround(G * cos(r) * sin(p));
    *z = (int16_t)lround(G * cos(r) * cos(p));
}

static void angles_of_known_vectors(void)
{
    int16_t p, r, x, y, z;
    int worst = 0;

    case_begin("head: level, flexed, extended, upside down, on each ear");
    cctf_head_angles(0, 0, 16384, &p, &r);
    CHECK_INT(p, 0);
    CHECK_INT(r, 0);
    cctf_head_angles(0, 16384, 0, &p, &r);   /* chin on the chest: +90 */
    CHECK_INT(p, 9000);
    cctf_head_angles(0, -16384, 0, &p, &r);  /* -90 */
    CHECK_INT(p, -9000);
    cctf_head_angles(0, 0, -16384, &p, &r);  /* face down */
    CHECK_INT(p, 18000);
    cctf_head_angles(16384, 0, 0, &p, &r);   /* left ear up = right ear down: +90 */
    CHECK_INT(r, 9000);
    cctf_head_angles(-16384, 0, 0, &p, &r);
    CHECK_INT(r, -9000);
    /* 15 degrees of flexion, exactly: y/z = tan 15 */
    cctf_head_angles(0, 4240, 15824, &p, &r);
    CHECK(p >= 1499 && p <= 1500);
    /* the scale does not matter, only the direction (the filter keeps LSB x 16) */
    cctf_head_angles(0, 4240L * 16, 15824L * 16, &p, &r);
    CHECK(p >= 1499 && p <= 1500);
    case_end();

    case_begin("head: pitch and roll recovered within 0.01 deg over -170..170 x -80..80");
    for (int pd = -170; pd <= 170; pd += 5) {
        for (int rd = -80; rd <= 80; rd += 5) {
            up_vector(pd, rd, &x, &y, &z);
            cctf_head_angles(x, y, z, &p, &r);
            int ep = abs(p - pd * 100), er = abs(r - rd * 100);
            if (ep > worst)
                worst = ep;
            if (er > worst)
                worst = er;
        }
    }
    /* quantisation: 1 LSB of 16384 is 0.0035 deg at most; with cos(80) the pitch spreads 6x */
    CHECK(worst <= 3);
    case_end();
}

static void filter_lag_and_settling(void)
{
    cctf_head_filter_t f;
    cctf_head_t out;
    int16_t x, y, z;
    int n, worst = 0;

    case_begin("head: filter strength by rate, documented lag");
    CHECK_INT(cctf_head_filter_shift(250), 2);
    CHECK_INT(cctf_head_filter_shift(200), 2);
    CHECK_INT(cctf_head_filter_shift(100), 1);
    CHECK_INT(cctf_head_filter_shift(50), 0);
    CHECK_INT(cctf_head_filter_lag_us(250), 12000);
    CHECK_INT(cctf_head_filter_lag_us(100), 10000);
    CHECK_INT(cctf_head_filter_lag_us(50), 0);
    case_end();

    case_begin("head: first reading seeds the filter; SETTLING for 0.5 s");
    cctf_head_filter_start(&f, 250);
    up_vector(12, -3, &x, &y, &z);
    for (n = 0; n < 200; n++) {
        cctf_head_filter_update(&f, x, y, z, 1, &out);
        CHECK(abs(out.pitch_centi - 1200) <= 1);
        CHECK(abs(out.roll_centi + 300) <= 1);
        CHECK_INT(out.flags & CCTF_HEADFLAG_FAULT, 0);
        CHECK_INT(!!(out.flags & CCTF_HEADFLAG_SETTLING), n < 125);
    }
    case_end();

    case_begin("head: a 20 deg/s nod at 250 Hz comes out 3 samples (12 ms) late");
    cctf_head_filter_start(&f, 250);
    for (n = 0; n < 250; n++) {  /* 0..20 deg in 1 s */
        up_vector(n * 20.0 / 250.0, 0, &x, &y, &z);
        cctf_head_filter_update(&f, x, y, z, 1, &out);
        if (n >= 20) {
            int want = (int)lround((n - 3) * 20.0 / 250.0 * 100.0);
            int e = abs(out.pitch_centi - want);
            if (e > worst)
                worst = e;
        }
    }
    CHECK(worst <= 2);
    case_end();

    case_begin("head: a fault flags FAULT, the next good reading starts afresh");
    cctf_head_filter_start(&f, 50);
    up_vector(5, 0, &x, &y, &z);
    for (n = 0; n < 30; n++)
        cctf_head_filter_update(&f, x, y, z, 1, &out);
    CHECK_INT(out.flags, 0);
    cctf_head_filter_update(&f, 1, 2, 3, 0, &out);
    CHECK_INT(out.flags, CCTF_HEADFLAG_FAULT | CCTF_HEADFLAG_SETTLING);
    CHECK_INT(out.pitch_centi, 0);
    up_vector(-7, 2, &x, &y, &z);
    cctf_head_filter_update(&f, x, y, z, 1, &out);
    CHECK(abs(out.pitch_centi + 700) <= 1);  /* no trace of the 5 deg before the fault */
    CHECK_INT(out.flags, CCTF_HEADFLAG_SETTLING);
    for (n = 1; n < 25; n++)
        cctf_head_filter_update(&f, x, y, z, 1, &out);
    CHECK_INT(out.flags, CCTF_HEADFLAG_SETTLING);  /* the 25th (0.5 s at 50 Hz) still settles */
    cctf_head_filter_update(&f, x, y, z, 1, &out);
    CHECK_INT(out.flags, 0);
    case_end();
}

static void boot(uint8_t peripherals, uint16_t rate)
{
    fake_init(&b);
    b.peripherals = peripherals;
    fake_boot(&b, CCTF_SENSOR_MODEL_MPX5010DP, rate, "CCTF0001", CCTF_RESET_POWER_ON);
}

static size_t count_type(size_t n, uint8_t type)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += frames[i].pkt[0] == type;
    return c;
}

static void device_without_sensor(void)
{
    cctf_hello_t h;
    cctf_accel_t a = {0, 0, 16384, 1};
    size_t n;

    case_begin("head: no sensor -> HELLO peripherals 0 (26-byte body), no HEAD frames");
    boot(0, 250);
    n = fake_frames(&b, frames, 64);
    CHECK_INT(n, 1);
    CHECK_INT(frames[0].n, CCTF_HELLO_P_PACKET_BYTES);
    CHECK_INT(cctf_parse_hello(frames[0].pkt, frames[0].n, &h), 0);
    CHECK_INT(h.peripherals, 0);
    fake_command(&b, CCTF_TYPE_START, 1, NULL, 0);
    fake_clear(&b);
    for (int i = 0; i < 10; i++)
        cctf_device_reading_head(&b.dev, (uint32_t)i * 4000u, 4587, 0, 0, &a);
    n = fake_frames(&b, frames, 64);
    CHECK_INT(n, 10);
    CHECK_INT(count_type(n, CCTF_TYPE_SAMPLE), 10);
    CHECK_INT(count_type(n, CCTF_TYPE_HEAD), 0);
    case_end();
}

static void device_with_sensor(void)
{
    cctf_hello_t h;
    cctf_sample_t s;
    cctf_head_t hd;
    cctf_accel_t a;
    size_t n;
    int i;

    case_begin("head: sensor -> HELLO peripherals 1; no HEAD before START");
    boot(CCTF_PERIPHERAL_HEAD_SENSOR, 250);
    n = fake_frames(&b, frames, 64);
    CHECK_INT(cctf_parse_hello(frames[0].pkt, frames[0].n, &h), 0);
    CHECK_INT(h.peripherals, CCTF_PERIPHERAL_HEAD_SENSOR);
    fake_clear(&b);
    up_vector(10, 1, &a.x, &a.y, &a.z);
    a.ok = 1;
    cctf_device_reading_head(&b.dev, 0, 4587, 0, 0, &a);
    CHECK_INT(b.out_n, 0);
    case_end();

    case_begin("head: each SAMPLE is followed by its HEAD (same seq), settling, then not");
    fake_command(&b, CCTF_TYPE_START, 1, NULL, 0);
    fake_clear(&b);
    for (i = 0; i < 130; i++) {
        cctf_device_reading_head(&b.dev, (uint32_t)i * 4000u, 4587, 0, i == 100 ? 2 : 0, &a);
        n = fake_frames(&b, frames, 64);
        CHECK_INT(n, 2);
        CHECK_INT(cctf_parse_sample(frames[0].pkt, frames[0].n, &s), 0);
        CHECK_INT(cctf_parse_head(frames[1].pkt, frames[1].n, &hd), 0);
        CHECK_INT(hd.seq, s.seq);
        CHECK_INT(s.seq, (uint32_t)(i < 100 ? i : i + 2));  /* missed ticks use up seqs */
        CHECK(abs(hd.pitch_centi - 1000) <= 1);
        CHECK(abs(hd.roll_centi - 100) <= 1);
        CHECK_INT(hd.flags, i < 125 ? CCTF_HEADFLAG_SETTLING : 0);
        /* the wire: 23 + 15 bytes per sampling instant (PROTOCOL.md section 15 bandwidth) */
        CHECK_INT(b.out_n, 23 + 15);
        fake_clear(&b);
    }
    case_end();

    case_begin("head: a failed read -> HEAD_FAULT, the SAMPLE unaffected");
    a.ok = 0;
    cctf_device_reading_head(&b.dev, 999, 4587, 0, 0, &a);
    n = fake_frames(&b, frames, 64);
    CHECK_INT(n, 2);
    CHECK_INT(cctf_parse_sample(frames[0].pkt, frames[0].n, &s), 0);
    CHECK_INT(s.flags & CCTF_FLAG_SENSOR_FAULT, 0);
    CHECK_INT(cctf_parse_head(frames[1].pkt, frames[1].n, &hd), 0);
    CHECK_INT(hd.flags, CCTF_HEADFLAG_FAULT | CCTF_HEADFLAG_SETTLING);
    fake_clear(&b);
    case_end();

    case_begin("head: no room for the HEAD -> SAMPLE sent, HEAD dropped, nothing blocks");
    a.ok = 1;
    b.tx_room = 30;  /* a SAMPLE (23) fits, the two (38) do not */
    cctf_device_reading_head(&b.dev, 1000, 4587, 0, 0, &a);
    n = fake_frames(&b, frames, 64);
    CHECK_INT(n, 1);
    CHECK_INT(frames[0].pkt[0], CCTF_TYPE_SAMPLE);
    b.tx_room = 10;  /* nothing fits: neither goes */
    fake_clear(&b);
    cctf_device_reading_head(&b.dev, 1000, 4587, 0, 0, &a);
    CHECK_INT(b.out_n, 0);
    b.tx_room = SIZE_MAX;
    case_end();

    case_begin("head: START and SET_RATE restart SETTLING; no accel -> no HEAD");
    fake_command(&b, CCTF_TYPE_STOP, 2, NULL, 0);
    fake_command(&b, CCTF_TYPE_START, 3, NULL, 0);
    fake_clear(&b);
    cctf_device_reading_head(&b.dev, 2000, 4587, 0, 0, &a);
    n = fake_frames(&b, frames, 64);
    CHECK_INT(n, 2);
    CHECK_INT(cctf_parse_head(frames[1].pkt, frames[1].n, &hd), 0);
    CHECK_INT(hd.flags, CCTF_HEADFLAG_SETTLING);
    fake_clear(&b);
    cctf_device_reading(&b.dev, 3000, 4587, 0, 0);
    n = fake_frames(&b, frames, 64);
    CHECK_INT(n, 1);
    CHECK_INT(frames[0].pkt[0], CCTF_TYPE_SAMPLE);
    {
        uint8_t args[2];
        cctf_put_u16(args, 100);
        fake_command(&b, CCTF_TYPE_SET_RATE, 4, args, 2);
    }
    CHECK_INT(b.dev.head.settle_left, 50);
    CHECK_INT(b.dev.head.shift, 1);
    case_end();
}

void test_head(void)
{
    angles_of_known_vectors();
    filter_lag_and_settling();
    device_without_sensor();
    device_with_sensor();
}
