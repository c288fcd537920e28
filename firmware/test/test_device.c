/* device.c: the session of PROTOCOL.md section 12 byte for byte, the receive state machine
 * (garbage before the first delimiter, over-long frames, CRC failures, unknown commands, bad
 * lengths), every command's effect and answer, streaming and sequence numbers. */
#include <string.h>

#include "../cctf/device.h"
#include "fake_board.h"
#include "test.h"

static fake_board_t b;
static fake_frame_t frames[64];

/* The output must be exactly these frames, each preceded by the one 0x00 the device sends in
 * front of every frame (PROTOCOL.md 9.1): hex lists the frames with their delimiters; 0x00s
 * before them are optional in hex (section 12 writes the boot's). */
static void expect_hex(const char *hex)
{
    uint8_t raw[1024], want[1100];
    int n = hex_to_bytes(hex, raw, sizeof raw);
    size_t w = 0, start = 0;
    CHECK(n >= 0);
    for (size_t i = 0; n > 0 && i < (size_t)n; i++) {
        if (raw[i] != 0x00)
            continue;
        if (i > start) {
            want[w++] = 0x00;
            memcpy(want + w, raw + start, i - start + 1);
            w += i - start + 1;
        }
        start = i + 1;
    }
    CHECK_BYTES(b.out, b.out_n, want, w);
}

/* Parse the only frame in the output as an ACK. */
static int one_ack(cctf_ack_t *a)
{
    size_t n = fake_frames(&b, frames, 64);
    CHECK_INT(n, 1);
    if (n != 1)
        return -1;
    CHECK_INT(cctf_parse_ack(frames[0].pkt, frames[0].n, a), 0);
    return 0;
}

static void expect_ack(uint8_t cmd, uint8_t token, uint8_t status, size_t data_len)
{
    cctf_ack_t a;
    if (one_ack(&a) != 0)
        return;
    CHECK_INT(a.command, cmd);
    CHECK_INT(a.token, token);
    CHECK_INT(a.status, status);
    CHECK_INT(a.data_len, data_len);
}

static void boot_plain(void)
{
    fake_init(&b);
    fake_boot(&b, CCTF_SENSOR_MODEL_MPX5010DP, 50, "CCTF0001", CCTF_RESET_EXTERNAL);
    fake_clear(&b);
}

static void session(void)
{
    /* calibration 3: two-point, 60009/12000 milli per count from raw 587, which turns the
     * session's raws 4587 and 4590 into its 20003 and 20018 */
    cctf_cal_record_t rec = {3, 587, 0, 12587, 60009, 587, CCTF_CALFLAG_TWO_POINT};

    case_begin("device: PROTOCOL.md section 12 session, byte for byte");
    fake_init(&b);
    fake_store_cal(&b, &rec);
    fake_boot(&b, CCTF_SENSOR_MODEL_MPX5010DP, 50, "CCTF0001", CCTF_RESET_EXTERNAL);
    /* 1, 2: boot */
    expect_hex("00" "040201010103013202030101094343544630303031010101020201031fa500");
    /* 3 -> 4, 5 */
    fake_clear(&b);
    fake_feed_hex(&b, "000526016ea100");
    expect_hex("04032601034b1800"
               "040201010103013202030101094343544630303031010101010101037fcb00");
    CHECK_INT(b.identify_calls, 1);
    /* 6 -> 7 (the model sends a 0x00 before the stream starts) */
    fake_clear(&b);
    fake_feed_hex(&b, "00052002ab3b00");
    expect_hex("00" "0403200203b8ff00");
    /* 8, 9 */
    fake_clear(&b);
    cctf_device_reading(&b.dev, 2500000, 4587, 0, 0);
    cctf_device_reading(&b.dev, 2520000, 4590, 0, 0);
    expect_hex("020101010104a0252603eb110103234e010103360500"
               "030101010104c0732603ee110103324e010103855a00");
    case_end();

    case_begin("device: boot HELLO for each reset cause; boot resets state");
    for (uint8_t cause = 1; cause <= 4; cause++) {
        cctf_hello_t h;
        fake_init(&b);
        fake_boot(&b, CCTF_SENSOR_MODEL_HX710B_MPS20N0040D, 40, "HX71", cause);
        CHECK(b.out_n > 1 && b.out[0] == 0x00);
        CHECK_INT(fake_frames(&b, frames, 64), 1);
        CHECK_INT(cctf_parse_hello(frames[0].pkt, frames[0].n, &h), 0);
        CHECK_INT(h.reset_cause, cause);
        CHECK_INT(h.rate_hz, 40);
        CHECK_INT(h.sensor_model, CCTF_SENSOR_MODEL_HX710B_MPS20N0040D);
        CHECK_INT(h.next_seq, 0);
        CHECK_INT(h.streaming, 0);
        CHECK_INT(h.calibration_id, 0);
        CHECK(memcmp(h.serial, "HX71\0\0\0\0", 8) == 0);
    }
    case_end();
}

static void receiver(void)
{
    uint8_t garbage[200];
    for (size_t i = 0; i < sizeof garbage; i++)
        garbage[i] = (uint8_t)(0x11 + i % 200);  /* never 0x00 */

    case_begin("device: bytes before the first 0x00 since boot are discarded");
    boot_plain();
    fake_feed_hex(&b, "052002ab3b00");  /* a whole START, but no delimiter in front */
    CHECK_INT(b.out_n, 0);
    CHECK_INT(b.dev.streaming, 0);
    fake_feed_hex(&b, "052002ab3b00");  /* now in step */
    expect_ack(CCTF_TYPE_START, 2, CCTF_STATUS_OK, 0);
    case_end();

    case_begin("device: garbage, then a command after one 0x00, is answered");
    boot_plain();
    fake_feed(&b, garbage, 40);
    fake_feed_hex(&b, "00052002ab3b00");
    CHECK_INT(fake_frames(&b, frames, 64), 1);
    case_end();

    case_begin("device: an over-long frame is dropped whole, the next one is answered");
    boot_plain();
    fake_feed_hex(&b, "00");
    fake_feed(&b, garbage, 66);          /* one byte over the 65 a frame may have */
    fake_feed_hex(&b, "052002ab3b00");   /* ...and a valid START glued to its end */
    CHECK_INT(b.out_n, 0);
    CHECK_INT(b.dev.rx.dropped, 1);
    CHECK_INT(b.dev.streaming, 0);
    fake_feed_hex(&b, "052002ab3b00");
    CHECK_INT(b.dev.streaming, 1);
    fake_feed(&b, garbage, 200);          /* far too long */
    fake_feed_hex(&b, "00");
    fake_feed_hex(&b, "052103bb1800");    /* STOP */
    CHECK_INT(b.dev.streaming, 0);
    CHECK_INT(b.dev.rx.dropped, 2);
    case_end();

    case_begin("device: a 65-byte frame fits the receiver (a 64-byte packet)");
    {
        cctf_rx_t rx;
        uint8_t pkt[64], wire[70];
        size_t n, len, got = 0;
        for (int i = 0; i < 62; i++)
            pkt[i] = (uint8_t)(i + 1);
        pkt[0] = CCTF_TYPE_ACK;
        n = cctf_packet_finish(pkt, 62);
        len = cctf_frame_encode(pkt, n, wire);
        CHECK_INT(len, 66);
        cctf_rx_reset(&rx);
        cctf_rx_feed(&rx, 0);
        for (size_t i = 0; i < len; i++)
            got = cctf_rx_feed(&rx, wire[i]);
        CHECK_INT(got, 64);
    }
    case_end();

    case_begin("device: CRC failures, bad COBS and empty frames get no answer");
    boot_plain();
    fake_feed_hex(&b, "000526016ea200");   /* IDENTIFY with a wrong CRC */
    fake_feed_hex(&b, "0000000000");       /* empty frames */
    fake_feed_hex(&b, "0926016ea100");     /* code byte past the end */
    fake_feed_hex(&b, "0100");             /* empty packet */
    CHECK_INT(b.out_n, 0);
    CHECK_INT(b.dev.rx.dropped, 3);
    case_end();

    case_begin("device: commands without a token, and device-to-host types, are ignored");
    boot_plain();
    fake_feed_hex(&b, "00042092c500");     /* START, no token */
    {
        uint8_t pkt[8];
        uint8_t wire[16];
        size_t n;
        pkt[0] = 0x40;                     /* undefined type, no token */
        n = cctf_frame_encode(pkt, cctf_packet_finish(pkt, 1), wire);
        fake_feed(&b, wire, n);
        pkt[0] = 0x1F;                     /* device-to-host range, with a "token" */
        pkt[1] = 7;
        n = cctf_frame_encode(pkt, cctf_packet_finish(pkt, 2), wire);
        fake_feed(&b, wire, n);
    }
    fake_feed_hex(&b, "020101010104a0252603eb110103234e010103360500");  /* a SAMPLE */
    CHECK_INT(b.out_n, 0);
    case_end();

    case_begin("device: undefined commands 0x28-0xFF answer UNKNOWN_COMMAND");
    boot_plain();
    fake_feed_hex(&b, "00");
    fake_feed_hex(&b, "0703401001e31100");  /* the vector: 0x40 token 16 ... */
    CHECK_INT(b.out_n, 0);                  /* ...is an ACK-shaped frame, not a command */
    for (unsigned type = 0x28; type <= 0xFF; type++) {
        cctf_ack_t a;
        fake_clear(&b);
        fake_command(&b, (uint8_t)type, (uint8_t)type, (const uint8_t *)"xyz", type % 4);
        if (one_ack(&a) != 0)
            break;
        CHECK_INT(a.command, type);
        CHECK_INT(a.token, type);
        CHECK_INT(a.status, CCTF_STATUS_UNKNOWN_COMMAND);
        CHECK_INT(a.data_len, 0);
    }
    fake_clear(&b);
    fake_command(&b, 0x40, 16, NULL, 0);
    expect_hex("0703401001e31100");  /* ack cmd=64 token=16 status=1 */
    case_end();
}

static void lengths_and_arguments(void)
{
    static const uint8_t no_args[] = {CCTF_TYPE_START, CCTF_TYPE_STOP, CCTF_TYPE_TARE,
                                      CCTF_TYPE_GET_CAL, CCTF_TYPE_IDENTIFY,
                                      CCTF_TYPE_RESET_CAL};
    uint8_t args[20] = {0};

    case_begin("device: arguments on a command that takes none: BAD_LENGTH, no effect");
    boot_plain();
    cctf_device_reading(&b.dev, 0, 700, 0, 0);
    for (size_t i = 0; i < sizeof no_args; i++) {
        for (size_t n = 1; n <= 3; n++) {
            fake_clear(&b);
            fake_command(&b, no_args[i], (uint8_t)i, args, n);
            expect_ack(no_args[i], (uint8_t)i, CCTF_STATUS_BAD_LENGTH, 0);
        }
    }
    CHECK_INT(b.dev.streaming, 0);
    CHECK_INT(b.dev.cal.rec.id, 0);
    CHECK_INT(b.identify_calls, 0);
    CHECK_INT(b.writes, 0);
    case_end();

    case_begin("device: SET_RATE and SET_CAL with the wrong argument length: BAD_LENGTH");
    boot_plain();
    for (size_t n = 0; n <= 18; n++) {
        if (n != 2) {
            fake_clear(&b);
            fake_command(&b, CCTF_TYPE_SET_RATE, 8, (const uint8_t *)"\xc8\x00\x00\x00"
                         "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", n);
            expect_ack(CCTF_TYPE_SET_RATE, 8, CCTF_STATUS_BAD_LENGTH, 0);
        }
        if (n != 16) {
            fake_clear(&b);
            fake_command(&b, CCTF_TYPE_SET_CAL, 9, args, n);
            expect_ack(CCTF_TYPE_SET_CAL, 9, CCTF_STATUS_BAD_LENGTH, 0);
        }
    }
    fake_clear(&b);
    fake_command(&b, CCTF_TYPE_SET_RATE, 8, (const uint8_t *)"\xc8", 1);
    expect_hex("0703220802515e00");  /* ack cmd=34 token=8 status=2 */
    CHECK_INT(b.set_rate_calls, 0);
    CHECK_INT(b.writes, 0);
    case_end();

    case_begin("device: SET_RATE outside 1-250: BAD_ARGUMENT");
    boot_plain();
    fake_command(&b, CCTF_TYPE_SET_RATE, 6, (const uint8_t *)"\x00\x00", 2);
    expect_hex("07032206037f6d00");  /* ack cmd=34 token=6 status=3 */
    for (unsigned rate = 251; rate < 65536; rate += 97) {
        uint8_t r[2] = {(uint8_t)rate, (uint8_t)(rate >> 8)};
        fake_clear(&b);
        fake_command(&b, CCTF_TYPE_SET_RATE, 1, r, 2);
        expect_ack(CCTF_TYPE_SET_RATE, 1, CCTF_STATUS_BAD_ARGUMENT, 0);
    }
    CHECK_INT(b.set_rate_calls, 0);
    CHECK_INT(b.dev.rate_hz, 50);
    case_end();

    case_begin("device: SET_RATE 1-250 OK with the rate as data; the HELLO shows it");
    boot_plain();
    for (unsigned rate = 1; rate <= 250; rate++) {
        uint8_t r[2] = {(uint8_t)rate, 0};
        cctf_ack_t a;
        fake_clear(&b);
        fake_command(&b, CCTF_TYPE_SET_RATE, 2, r, 2);
        if (one_ack(&a) != 0)
            break;
        CHECK_INT(a.status, CCTF_STATUS_OK);
        CHECK_INT(a.data_len, 2);
        CHECK_INT(cctf_get_u16(a.data), rate);
        CHECK_INT(b.last_rate, rate);
    }
    CHECK_INT(b.set_rate_calls, 250);
    fake_clear(&b);
    fake_command(&b, CCTF_TYPE_SET_RATE, 4, (const uint8_t *)"\xc8\x00", 2);
    expect_hex("0403220402c803cbd900");  /* ack cmd=34 token=4 status=0 rate_hz=200 */
    {
        cctf_hello_t h;
        fake_clear(&b);
        fake_command(&b, CCTF_TYPE_IDENTIFY, 1, NULL, 0);
        CHECK_INT(fake_frames(&b, frames, 64), 2);
        CHECK_INT(cctf_parse_hello(frames[1].pkt, frames[1].n, &h), 0);
        CHECK_INT(h.rate_hz, 200);
        CHECK_INT(h.reset_cause, CCTF_RESET_REQUEST);
    }
    /* a reboot goes back to the default rate */
    cctf_device_boot(&b.dev, CCTF_RESET_WATCHDOG);
    CHECK_INT(b.dev.rate_hz, 50);
    case_end();

    case_begin("device: SET_RATE the sensor cannot do: NOT_SUPPORTED (HX710B)");
    fake_init(&b);
    b.only_10_40 = 1;
    fake_boot(&b, CCTF_SENSOR_MODEL_HX710B_MPS20N0040D, 40, "HX710B", CCTF_RESET_POWER_ON);
    fake_clear(&b);
    fake_command(&b, CCTF_TYPE_SET_RATE, 7, (const uint8_t *)"\xc8\x00", 2);
    expect_hex("0703220705883e00");  /* ack cmd=34 token=7 status=5 */
    CHECK_INT(b.dev.rate_hz, 40);
    fake_clear(&b);
    fake_command(&b, CCTF_TYPE_SET_RATE, 7, (const uint8_t *)"\x0a\x00", 2);
    expect_ack(CCTF_TYPE_SET_RATE, 7, CCTF_STATUS_OK, 2);
    CHECK_INT(b.dev.rate_hz, 10);
    fake_clear(&b);
    fake_command(&b, CCTF_TYPE_SET_RATE, 7, (const uint8_t *)"\x00\x00", 2);  /* range first */
    expect_ack(CCTF_TYPE_SET_RATE, 7, CCTF_STATUS_BAD_ARGUMENT, 0);
    case_end();

    case_begin("device: SET_CAL with equal raws or equal pressures: BAD_ARGUMENT");
    boot_plain();
    {
        uint8_t p[16];
        cctf_put_u32(p + 0, 700);
        cctf_put_u32(p + 4, 0);
        cctf_put_u32(p + 8, 700);
        cctf_put_u32(p + 12, 60000);
        fake_command(&b, CCTF_TYPE_SET_CAL, 13, p, 16);
        expect_hex("0703250d03153400");  /* ack cmd=37 token=13 status=3 */
        cctf_put_u32(p + 8, 12400);
        cctf_put_u32(p + 12, 0);
        fake_clear(&b);
        fake_command(&b, CCTF_TYPE_SET_CAL, 13, p, 16);
        expect_ack(CCTF_TYPE_SET_CAL, 13, CCTF_STATUS_BAD_ARGUMENT, 0);
    }
    CHECK_INT(b.dev.cal.rec.id, 0);
    CHECK_INT(b.writes, 0);
    case_end();
}

static void calibration_commands(void)
{
    uint8_t p[16];

    case_begin("device: GET_CAL on a never-calibrated unit (vector)");
    boot_plain();
    fake_command(&b, CCTF_TYPE_GET_CAL, 11, NULL, 0);
    expect_hex("0403240b01010101038f02010101010103a330010362ea01038f0201010304de00");
    case_end();

    case_begin("device: TARE averages the 0.25 s of readings AFTER it, then ACKs (vector)");
    {
        cctf_cal_record_t rec = {3, 655, 0, 12451, 60002, 655, CCTF_CALFLAG_TWO_POINT};
        fake_init(&b);
        fake_store_cal(&b, &rec);
        fake_boot(&b, CCTF_SENSOR_MODEL_MPX5010DP, 50, "CCTF0001", CCTF_RESET_POWER_ON);
        for (int i = 0; i < 50; i++)  /* before the command (cuff still on): never used */
            cctf_device_reading(&b.dev, (uint32_t)i * 20000u, 4000, 0, 0);
        fake_clear(&b);
        fake_command(&b, CCTF_TYPE_TARE, 9, NULL, 0);
        CHECK_INT(b.out_n, 0);  /* no answer yet */
        for (int i = 0; i < 13; i++) {  /* 13 at 50 Hz: mean 702.4 -> 702 */
            CHECK_INT(b.out_n, 0);
            cctf_device_reading(&b.dev, 1000000u + (uint32_t)i * 20000u, i < 5 ? 703 : 702,
                                0, 0);
        }
        expect_hex("0403230902040101038f02010101010103a330010362ea0103be02010403099b00");
        CHECK_INT(b.writes, 1);
        fake_clear(&b);
        cctf_device_reading(&b.dev, 2000000u, 9999, 0, 0);  /* after the window: no effect */
        CHECK_INT(b.out_n, 0);
        CHECK_INT(b.dev.cal.rec.zero_raw, 702);
    }
    case_end();

    case_begin("device: TARE window rounds halves away from zero; window length by rate");
    {
        static const uint16_t rates[] = {1, 2, 4, 10, 40, 50, 100, 200, 250};
        for (size_t k = 0; k < sizeof rates / sizeof rates[0]; k++) {
            uint8_t want = cctf_window_len(rates[k]);
            uint8_t rate[2];
            boot_plain();
            cctf_put_u16(rate, rates[k]);
            fake_command(&b, CCTF_TYPE_SET_RATE, 1, rate, 2);
            fake_clear(&b);
            fake_command(&b, CCTF_TYPE_TARE, 2, NULL, 0);
            /* readings 1000, 1001, 1000, 1001...: with an even count the mean ends in .5 */
            for (uint8_t i = 0; i + 1 < want; i++)
                cctf_device_reading(&b.dev, i, 1000 + (i & 1), 0, 0);
            CHECK_INT(b.out_n, 0);
            cctf_device_reading(&b.dev, 0, 1000 + ((want - 1) & 1), 0, 0);
            expect_ack(CCTF_TYPE_TARE, 2, CCTF_STATUS_OK, CCTF_CAL_BYTES);
            CHECK_INT(b.dev.cal.rec.zero_raw, (want % 2 == 0) ? 1001 : 1000);
        }
        /* negative readings (HX710B): -700.5 -> -701 */
        {
            uint8_t rate[2];
            boot_plain();
            cctf_put_u16(rate, 8);  /* 2 readings */
            fake_command(&b, CCTF_TYPE_SET_RATE, 1, rate, 2);
            fake_command(&b, CCTF_TYPE_TARE, 2, NULL, 0);
            cctf_device_reading(&b.dev, 0, -700, 0, 0);
            cctf_device_reading(&b.dev, 0, -701, 0, 0);
            CHECK_INT(b.dev.cal.rec.zero_raw, -701);
        }
    }
    case_end();

    case_begin("device: TARE while streaming: its ACK follows the window's last SAMPLE");
    boot_plain();
    fake_command(&b, CCTF_TYPE_START, 1, NULL, 0);
    fake_clear(&b);
    fake_command(&b, CCTF_TYPE_TARE, 3, NULL, 0);
    for (int i = 0; i < 13; i++)
        cctf_device_reading(&b.dev, (uint32_t)i * 20000u, 700, 0, 0);
    {
        size_t nf = fake_frames(&b, frames, 64);
        CHECK_INT(nf, 14);
        CHECK_INT(frames[12].pkt[0], CCTF_TYPE_SAMPLE);
        CHECK_INT(frames[13].pkt[0], CCTF_TYPE_ACK);
    }
    case_end();

    case_begin("device: a sensor fault during the TARE window: FAILED (vector), nothing stored");
    boot_plain();
    fake_command(&b, CCTF_TYPE_TARE, 10, NULL, 0);
    cctf_device_reading(&b.dev, 0, 700, 0, 0);
    cctf_device_reading(&b.dev, 20000, 12, CCTF_FLAG_SENSOR_FAULT, 0);
    expect_hex("0703230a04c56f00");  /* ack cmd=35 token=10 status=4 */
    CHECK_INT(b.writes, 0);
    CHECK_INT(b.dev.cal.rec.id, 0);
    case_end();

    case_begin("device: TAREs during a TARE join it; a fifth gets FAILED; commands go on");
    boot_plain();
    for (uint8_t t = 1; t <= 5; t++)
        fake_command(&b, CCTF_TYPE_TARE, t, NULL, 0);
    expect_ack(CCTF_TYPE_TARE, 5, CCTF_STATUS_FAILED, 0);
    fake_clear(&b);
    fake_command(&b, CCTF_TYPE_GET_CAL, 6, NULL, 0);
    expect_ack(CCTF_TYPE_GET_CAL, 6, CCTF_STATUS_OK, CCTF_CAL_BYTES);
    fake_clear(&b);
    for (int i = 0; i < 13; i++)
        cctf_device_reading(&b.dev, 0, 700, 0, 0);
    {
        cctf_ack_t a;
        size_t nf = fake_frames(&b, frames, 64);
        CHECK_INT(nf, 4);
        for (size_t i = 0; i < nf; i++) {
            CHECK_INT(cctf_parse_ack(frames[i].pkt, frames[i].n, &a), 0);
            CHECK_INT(a.token, i + 1);
            CHECK_INT(a.status, CCTF_STATUS_OK);
        }
        CHECK_INT(b.writes, 1);
        CHECK_INT(b.dev.cal.rec.zero_raw, 700);
    }
    case_end();

    case_begin("device: a reboot forgets a waiting TARE");
    boot_plain();
    fake_command(&b, CCTF_TYPE_TARE, 10, NULL, 0);
    fake_boot(&b, CCTF_SENSOR_MODEL_MPX5010DP, 50, "CCTF0001", CCTF_RESET_WATCHDOG);
    fake_clear(&b);
    for (int i = 0; i < 20; i++)
        cctf_device_reading(&b.dev, 0, 700, 0, 0);
    CHECK_INT(b.out_n, 0);
    case_end();

    case_begin("device: SET_CAL then RESET_CAL (vectors), ids advance, records stored");
    {
        cctf_cal_record_t rec = {4, 655, 0, 12451, 60002, 702, 3};
        cctf_cal_t again;
        fake_init(&b);
        fake_store_cal(&b, &rec);
        fake_boot(&b, CCTF_SENSOR_MODEL_MPX5010DP, 50, "CCTF0001", CCTF_RESET_POWER_ON);
        fake_clear(&b);
        cctf_put_u32(p + 0, 700);
        cctf_put_u32(p + 4, 0);
        cctf_put_u32(p + 8, 12400);
        cctf_put_u32(p + 12, 60000);
        fake_command(&b, CCTF_TYPE_SET_CAL, 12, p, 16);
        expect_hex("0403250c0205010103bc020101010101037030010360ea0103bc02010401b13c00");
        cctf_cal_init(&again, &fake_mpx_datasheet, &b.storage, FAKE_CAL_ADDR);
        CHECK_INT(cctf_cal_load(&again), CCTF_CAL_LOADED);
        CHECK_INT(again.rec.id, 5);
        fake_clear(&b);
        fake_command(&b, CCTF_TYPE_RESET_CAL, 14, NULL, 0);
        expect_hex("0403270e02060101038f02010101010103a330010362ea01038f02010103df7e00");
        CHECK_INT(cctf_cal_load(&again), CCTF_CAL_LOADED);
        CHECK_INT(again.rec.id, 6);
        CHECK_INT(again.rec.flags, 0);
        /* a reboot keeps the record and its id */
        fake_boot(&b, CCTF_SENSOR_MODEL_MPX5010DP, 50, "CCTF0001", CCTF_RESET_POWER_ON);
        CHECK_INT(b.dev.cal.rec.id, 6);
    }
    case_end();

    case_begin("device: storage failure: FAILED, calibration unchanged");
    boot_plain();
    b.fail_writes = 1;
    fake_command(&b, CCTF_TYPE_TARE, 1, NULL, 0);
    for (int i = 0; i < 13; i++)
        cctf_device_reading(&b.dev, 0, 700, 0, 0);
    expect_ack(CCTF_TYPE_TARE, 1, CCTF_STATUS_FAILED, 0);
    fake_clear(&b);
    cctf_put_u32(p + 0, 700);
    cctf_put_u32(p + 4, 0);
    cctf_put_u32(p + 8, 12400);
    cctf_put_u32(p + 12, 60000);
    fake_command(&b, CCTF_TYPE_SET_CAL, 2, p, 16);
    expect_ack(CCTF_TYPE_SET_CAL, 2, CCTF_STATUS_FAILED, 0);
    fake_clear(&b);
    fake_command(&b, CCTF_TYPE_RESET_CAL, 3, NULL, 0);
    expect_ack(CCTF_TYPE_RESET_CAL, 3, CCTF_STATUS_FAILED, 0);
    CHECK_INT(b.dev.cal.rec.id, 0);
    CHECK_INT(b.dev.cal.rec.zero_raw, 655);
    case_end();

    case_begin("device: the calibration in use converts the samples");
    boot_plain();
    fake_command(&b, CCTF_TYPE_START, 1, NULL, 0);
    cctf_put_u32(p + 0, 600);
    cctf_put_u32(p + 4, 0);
    cctf_put_u32(p + 8, 12600);
    cctf_put_u32(p + 12, 60000);  /* 5 milli per count from 600 */
    fake_command(&b, CCTF_TYPE_SET_CAL, 2, p, 16);
    fake_clear(&b);
    cctf_device_reading(&b.dev, 0, 4600, 0, 0);
    {
        cctf_sample_t s;
        CHECK_INT(fake_frames(&b, frames, 64), 1);
        CHECK_INT(cctf_parse_sample(frames[0].pkt, frames[0].n, &s), 0);
        CHECK_INT(s.pressure, 20000);
        CHECK_INT(s.flags, 0);  /* TWO_POINT: calibrated */
    }
    case_end();
}

static void streaming(void)
{
    cctf_sample_t s;
    size_t n;

    case_begin("device: nothing is sent until START; seq counts sent samples");
    boot_plain();
    for (int i = 0; i < 10; i++)
        cctf_device_reading(&b.dev, (uint32_t)i * 20000u, 4600, 0, 0);
    CHECK_INT(b.out_n, 0);
    fake_command(&b, CCTF_TYPE_START, 1, NULL, 0);
    fake_clear(&b);
    for (int i = 0; i < 5; i++)
        cctf_device_reading(&b.dev, 1000u + (uint32_t)i * 20000u, 4600 + i, 0, 0);
    n = fake_frames(&b, frames, 64);
    CHECK_INT(n, 5);
    for (size_t i = 0; i < n; i++) {
        CHECK_INT(cctf_parse_sample(frames[i].pkt, frames[i].n, &s), 0);
        CHECK_INT(s.seq, i);
        CHECK_INT(s.t_us, 1000u + i * 20000u);
        CHECK_INT(s.raw, 4600 + (int)i);
        CHECK_INT(s.flags, CCTF_FLAG_NOT_CALIBRATED);  /* datasheet record */
    }
    case_end();

    case_begin("device: START while streaming: OK, no second 0x00; STOP/START keep seq");
    fake_clear(&b);
    fake_command(&b, CCTF_TYPE_START, 2, NULL, 0);
    expect_hex("0403200203b8ff00");
    fake_clear(&b);
    fake_command(&b, CCTF_TYPE_STOP, 3, NULL, 0);
    expect_hex("0403210303b9fb00");
    cctf_device_reading(&b.dev, 0, 4600, 0, 0);
    fake_clear(&b);
    fake_command(&b, CCTF_TYPE_STOP, 3, NULL, 0);  /* not streaming: OK, no change */
    expect_hex("0403210303b9fb00");
    fake_clear(&b);
    fake_command(&b, CCTF_TYPE_START, 4, NULL, 0);
    cctf_device_reading(&b.dev, 0, 4600, 0, 0);
    n = fake_frames(&b, frames, 64);
    CHECK_INT(n, 2);
    CHECK(b.out[0] == 0x00);
    CHECK_INT(cctf_parse_sample(frames[1].pkt, frames[1].n, &s), 0);
    CHECK_INT(s.seq, 5);
    case_end();

    case_begin("device: IDENTIFY while streaming: ACK, HELLO(next_seq, streaming)");
    fake_clear(&b);
    fake_command(&b, CCTF_TYPE_IDENTIFY, 0, NULL, 0);
    {
        cctf_hello_t h;
        CHECK_INT(fake_frames(&b, frames, 64), 2);
        CHECK_INT(frames[0].pkt[0], CCTF_TYPE_ACK);
        CHECK_INT(cctf_parse_hello(frames[1].pkt, frames[1].n, &h), 0);
        CHECK_INT(h.next_seq, 6);
        CHECK_INT(h.streaming, 1);
        CHECK_INT(h.reset_cause, CCTF_RESET_REQUEST);
    }
    case_end();

    case_begin("device: missed ticks and a full transmit buffer use up sequence numbers");
    fake_clear(&b);
    cctf_device_reading(&b.dev, 0, 4600, 0, 3);  /* 3 ticks missed before this one */
    b.tx_room = 22;                               /* one byte short of 00 + a SAMPLE */
    cctf_device_reading(&b.dev, 0, 4600, 0, 0);
    b.tx_room = 23;
    cctf_device_reading(&b.dev, 0, 4600, 0, 0);
    n = fake_frames(&b, frames, 64);
    CHECK_INT(n, 2);
    CHECK_INT(cctf_parse_sample(frames[0].pkt, frames[0].n, &s), 0);
    CHECK_INT(s.seq, 9);
    CHECK_INT(cctf_parse_sample(frames[1].pkt, frames[1].n, &s), 0);
    CHECK_INT(s.seq, 11);
    CHECK_INT(b.dev.skipped, 1);
    case_end();

    case_begin("device: sensor flags pass through; seq wraps at 2^32");
    boot_plain();
    fake_command(&b, CCTF_TYPE_START, 1, NULL, 0);
    b.dev.seq = 0xFFFFFFFFu;
    fake_clear(&b);
    cctf_device_reading(&b.dev, 5, 16368, CCTF_FLAG_OVER_RANGE | 0x80, 0);
    cctf_device_reading(&b.dev, 6, 10, CCTF_FLAG_SENSOR_FAULT, 0);
    n = fake_frames(&b, frames, 64);
    CHECK_INT(n, 2);
    CHECK_INT(cctf_parse_sample(frames[0].pkt, frames[0].n, &s), 0);
    CHECK_INT(s.seq, 0xFFFFFFFFu);
    CHECK_INT(s.flags, CCTF_FLAG_OVER_RANGE | CCTF_FLAG_NOT_CALIBRATED);  /* reserved bit off */
    CHECK_INT(cctf_parse_sample(frames[1].pkt, frames[1].n, &s), 0);
    CHECK_INT(s.seq, 0);
    CHECK_INT(s.flags, CCTF_FLAG_SENSOR_FAULT | CCTF_FLAG_NOT_CALIBRATED);
    case_end();

    case_begin("device: an ACK or HELLO never lands inside a SAMPLE");
    boot_plain();
    fake_command(&b, CCTF_TYPE_START, 1, NULL, 0);
    fake_clear(&b);
    for (int i = 0; i < 20; i++) {
        cctf_device_reading(&b.dev, (uint32_t)i, 4600, 0, 0);
        if (i % 3 == 0)
            fake_command(&b, CCTF_TYPE_IDENTIFY, (uint8_t)i, NULL, 0);
    }
    n = fake_frames(&b, frames, 64);
    CHECK_INT(n, 20 + 7 * 2);
    {
        cctf_rx_t rx;
        cctf_rx_reset(&rx);
        rx.synced = 1;
        for (size_t i = 0; i < b.out_n; i++)
            cctf_rx_feed(&rx, b.out[i]);
        CHECK_INT(rx.dropped, 0);
    }
    case_end();
}

static void reset_causes(void)
{
    case_begin("device: MCUSR -> reset cause (POWER_ON, WATCHDOG, BROWN_OUT, EXTERNAL)");
    for (unsigned m = 0; m < 16; m++) {
        uint8_t want;
        if (m & CCTF_MCUSR_PORF)
            want = CCTF_RESET_POWER_ON;
        else if (m & CCTF_MCUSR_WDRF)
            want = CCTF_RESET_WATCHDOG;
        else if (m & CCTF_MCUSR_BORF)
            want = CCTF_RESET_BROWN_OUT;
        else
            want = CCTF_RESET_EXTERNAL;
        CHECK_INT(cctf_reset_cause_from_mcusr((uint8_t)m), want);
    }
    /* the ATmega328P's bit positions */
    CHECK_INT(CCTF_MCUSR_PORF, 1 << 0);
    CHECK_INT(CCTF_MCUSR_EXTRF, 1 << 1);
    CHECK_INT(CCTF_MCUSR_BORF, 1 << 2);
    CHECK_INT(CCTF_MCUSR_WDRF, 1 << 3);
    case_end();
}

void test_device(void)
{
    session();
    receiver();
    lengths_and_arguments();
    calibration_commands();
    streaming();
    reset_causes();
}
