/* A bounded fuzz of the device's command handler (device.c + protocol.c + calibration.c), run by
 * run.sh under AddressSanitizer and UBSan: random bytes, random CRC-valid commands of every type
 * and length, and SET_CAL with extreme arguments. Every command must get exactly the answer
 * PROTOCOL.md section 6 gives (worked out here independently, in 128-bit arithmetic), nothing
 * may crash or overflow, and streaming must go on afterwards. Seeded: the same run every time
 * (CCTF_FUZZ_SEED and CCTF_FUZZ_SCALE change the seed and multiply the counts). */
#include <stdlib.h>
#include <string.h>

#include "../cctf/device.h"
#include "fake_board.h"
#include "test.h"

static uint64_t rng_state;

static uint32_t rnd(void)
{
    /* xorshift64* */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 2685821657736338717ULL) >> 32);
}

static int32_t extreme_i32(void)
{
    static const int32_t edges[] = {INT32_MIN, INT32_MIN + 1, -65536, -2, -1, 0, 1, 2, 3,
                                    65536, INT32_MAX - 1, INT32_MAX};
    if (rnd() % 3 == 0)
        return (int32_t)rnd();
    return edges[rnd() % (sizeof edges / sizeof edges[0])];
}

/* round(num / den), halves away from zero, from the definition (den != 0) */
static __int128 ref_round(__int128 num, __int128 den)
{
    int neg = (num < 0) != (den < 0);
    __int128 a = num < 0 ? -num : num, b = den < 0 ? -den : den;
    __int128 q = a / b, r = a % b;
    if (2 * r >= b)
        q++;
    return neg ? -q : q;
}

/* The answer PROTOCOL.md section 6 gives a CRC-valid command with a token. */
static uint8_t spec_status(uint8_t type, const uint8_t *args, size_t n)
{
    if (type >= 0x28)
        return CCTF_STATUS_UNKNOWN_COMMAND;
    if (type == CCTF_TYPE_SET_RATE) {
        uint16_t rate;
        if (n != 2)
            return CCTF_STATUS_BAD_LENGTH;
        rate = cctf_get_u16(args);
        return (rate >= 1 && rate <= 250) ? CCTF_STATUS_OK : CCTF_STATUS_BAD_ARGUMENT;
    }
    if (type == CCTF_TYPE_SET_CAL) {
        __int128 ra, pa, rb, pb, zero;
        if (n != 16)
            return CCTF_STATUS_BAD_LENGTH;
        ra = (int32_t)cctf_get_u32(args);
        pa = (int32_t)cctf_get_u32(args + 4);
        rb = (int32_t)cctf_get_u32(args + 8);
        pb = (int32_t)cctf_get_u32(args + 12);
        if (ra == rb || pa == pb)
            return CCTF_STATUS_BAD_ARGUMENT;
        zero = ra - ref_round(pa * (rb - ra), pb - pa);
        if (zero < INT32_MIN || zero > INT32_MAX)
            return CCTF_STATUS_BAD_ARGUMENT;
        return CCTF_STATUS_OK;
    }
    return n ? CCTF_STATUS_BAD_LENGTH : CCTF_STATUS_OK;
}

static size_t data_len_for(uint8_t type, uint8_t status)
{
    if (status != CCTF_STATUS_OK)
        return 0;
    if (type == CCTF_TYPE_SET_RATE)
        return 2;
    if (type == CCTF_TYPE_TARE || type == CCTF_TYPE_GET_CAL || type == CCTF_TYPE_SET_CAL ||
        type == CCTF_TYPE_RESET_CAL)
        return CCTF_CAL_BYTES;
    return 0;
}

static void send_packet(fake_board_t *b, const uint8_t *pkt, size_t n)
{
    uint8_t wire[1 + CCTF_MAX_ENCODED_BYTES];
    wire[0] = 0x00;
    fake_feed(b, wire, 1 + cctf_frame_encode(pkt, n, wire + 1));
}

static fake_board_t board;
static fake_frame_t frames[80];
static uint32_t t_us;

static void reading(int32_t raw)
{
    cctf_device_reading(&board.dev, t_us, raw, 0, 0);
    t_us += 4000;
}

/* One CRC-valid command; checks the single answer. Returns 0 if it was as the spec says. */
static int one_command(uint8_t type, uint8_t token, const uint8_t *args, size_t n)
{
    uint8_t pkt[CCTF_MAX_PACKET_BYTES];
    uint8_t want = spec_status(type, args, n);
    size_t nf, want_frames;
    cctf_ack_t a;
    int streaming_before = board.dev.streaming;
    fake_clear(&board);
    send_packet(&board, pkt, cctf_build_command(pkt, type, token, args, n));
    if (type == CCTF_TYPE_TARE && want == CCTF_STATUS_OK) {
        for (int i = 0; i < CCTF_TARE_WINDOW_MAX && board.dev.tare.pending; i++)
            reading(700 + (int32_t)(rnd() % 5));
        /* keep only the ACK: drop the SAMPLEs sent meanwhile */
        nf = fake_frames(&board, frames, 80);
        if (nf == 0 || frames[nf - 1].pkt[0] != CCTF_TYPE_ACK) {
            check_failed(__FILE__, __LINE__, "TARE never answered");
            return -1;
        }
        frames[0] = frames[nf - 1];
        nf = 1;
    } else {
        nf = fake_frames(&board, frames, 80);
    }
    want_frames = (type == CCTF_TYPE_IDENTIFY && want == CCTF_STATUS_OK) ? 2 : 1;
    if (nf != want_frames || cctf_parse_ack(frames[0].pkt, frames[0].n, &a) != 0 ||
        a.command != type || a.token != token || a.status != want ||
        a.data_len != data_len_for(type, want)) {
        check_failed(__FILE__, __LINE__,
                     "command 0x%02x token %u with %zu arg bytes: %zu frames, status %u (spec %u)",
                     type, token, n, nf, nf ? a.status : 255, want);
        return -1;
    }
    if (type != CCTF_TYPE_START && type != CCTF_TYPE_STOP &&
        board.dev.streaming != streaming_before) {
        check_failed(__FILE__, __LINE__, "command 0x%02x changed streaming", type);
        return -1;
    }
    return 0;
}

static void streaming_goes_on(void)
{
    cctf_sample_t s;
    uint8_t pkt[CCTF_MAX_PACKET_BYTES];
    fake_clear(&board);
    send_packet(&board, pkt, cctf_build_command(pkt, CCTF_TYPE_START, 1, NULL, 0));
    fake_clear(&board);
    reading(4600);
    CHECK_INT(fake_frames(&board, frames, 80), 1);
    CHECK_INT(cctf_parse_sample(frames[0].pkt, frames[0].n, &s), 0);
}

void test_fuzz(void)
{
    const char *seed_env = getenv("CCTF_FUZZ_SEED");
    const char *scale_env = getenv("CCTF_FUZZ_SCALE");
    uint64_t seed = seed_env ? strtoull(seed_env, NULL, 10) : 20261201u;
    long scale = scale_env ? atol(scale_env) : 1;
    long n_bytes = 5000 * scale, n_cmds = 60000 * scale, n_setcal = 60000 * scale;
    long bursts = 0, cmds = 0, setcals = 0, rejected = 0, setcal_rejected = 0, bad = 0;
    uint8_t args[64], pkt[CCTF_MAX_PACKET_BYTES];

    rng_state = seed * 2654435761u + 1;
    fake_init(&board);
    fake_boot(&board, CCTF_SENSOR_MODEL_MPX5010DP, 50, "FUZZ0001", CCTF_RESET_POWER_ON);

    case_begin("fuzz: random bytes never crash the receiver; a command after one 0x00 is heard");
    for (long i = 0; i < n_bytes && !bad; i++) {
        uint8_t junk[300];
        size_t n = 1 + rnd() % sizeof junk;
        uint32_t zeros = rnd() % 4;  /* some bursts without any 0x00, some with many */
        for (size_t k = 0; k < n; k++) {
            junk[k] = (uint8_t)rnd();
            if (zeros == 0 && junk[k] == 0)
                junk[k] = 0x5a;
            else if (zeros == 3 && rnd() % 8 == 0)
                junk[k] = 0;
        }
        fake_feed(&board, junk, n);
        while (board.dev.tare.pending)  /* a TARE by fluke: let it finish */
            reading(700);
        fake_feed(&board, (const uint8_t *)"\0", 1);
        bursts++;
        bad += one_command(CCTF_TYPE_GET_CAL, (uint8_t)rnd(), NULL, 0) != 0;
    }
    streaming_goes_on();
    case_end();

    case_begin("fuzz: random CRC-valid commands of every type and length get the spec's answer");
    for (long i = 0; i < n_cmds && !bad; i++) {
        uint8_t type = (uint8_t)(0x20 + rnd() % 0xE0);
        size_t n = rnd() % 4 == 0 ? rnd() % 61 : (rnd() % 2 ? 2 : 16);  /* packet <= 64 */
        if (rnd() % 3 == 0)
            type = (uint8_t)(0x20 + rnd() % 8);
        if (rnd() % 3 == 0 && type <= 0x27 && type != CCTF_TYPE_SET_RATE && type != CCTF_TYPE_SET_CAL)
            n = 0;
        for (size_t k = 0; k < n; k++)
            args[k] = (uint8_t)rnd();
        if (type == CCTF_TYPE_SET_RATE && n == 2 && rnd() % 2)
            cctf_put_u16(args, (uint16_t)(rnd() % 300));
        if (spec_status(type, args, n) != CCTF_STATUS_OK)
            rejected++;
        bad += one_command(type, (uint8_t)rnd(), args, n) != 0;
        cmds++;
        if (rnd() % 16 == 0)
            reading((int32_t)(rnd() % 16368));
    }
    /* CRC-valid packets without a token, and of device-to-host types: no answer at all */
    for (int type = 0; type < 256 && !bad; type++) {
        size_t n;
        fake_clear(&board);
        pkt[0] = (uint8_t)type;
        cctf_put_u16(pkt + 1, cctf_crc16(pkt, 1));
        send_packet(&board, pkt, 3);
        if (type < 0x20) {
            n = cctf_build_command(pkt, (uint8_t)type, 7, NULL, 0);
            send_packet(&board, pkt, n);
        }
        CHECK_INT(board.out_n, 0);
    }
    streaming_goes_on();
    case_end();

    case_begin("fuzz: SET_CAL with extreme arguments, then samples under the record");
    for (long i = 0; i < n_setcal && !bad; i++) {
        int32_t p[4];
        for (int k = 0; k < 4; k++) {
            p[k] = extreme_i32();
            cctf_put_u32(args + 4 * k, (uint32_t)p[k]);
        }
        if (rnd() % 8 == 0)
            memcpy(args + 8, args, 4);  /* raw_b == raw_a */
        if (spec_status(CCTF_TYPE_SET_CAL, args, 16) != CCTF_STATUS_OK)
            setcal_rejected++;
        bad += one_command(CCTF_TYPE_SET_CAL, (uint8_t)rnd(), args, 16) != 0;
        setcals++;
        {
            /* a sample under whatever record is in use: saturated means OVER_RANGE */
            uint8_t flags = 0;
            int32_t raw = extreme_i32();
            int32_t pr = cctf_cal_pressure(&board.dev.cal.rec, raw, &flags);
            const cctf_cal_record_t *r = &board.dev.cal.rec;
            __int128 exact = ref_round((__int128)((int64_t)raw - r->zero_raw) *
                                           ((int64_t)r->mmhg_b - r->mmhg_a),
                                       (__int128)((int64_t)r->raw_b - r->raw_a));
            int sat = exact < INT32_MIN || exact > INT32_MAX;
            if (sat != ((flags & CCTF_FLAG_OVER_RANGE) != 0) ||
                pr != (sat ? (exact < 0 ? INT32_MIN : INT32_MAX) : (int32_t)exact)) {
                check_failed(__FILE__, __LINE__, "conversion of %d", (int)raw);
                bad++;
            }
        }
    }
    streaming_goes_on();
    case_end();

    printf("fuzz: seed %llu: %ld random-byte bursts, %ld random commands (%ld refused), %ld "
           "extreme SET_CALs (%ld BAD_ARGUMENT), %ld answers unlike the spec\n",
           (unsigned long long)seed, bursts, cmds, rejected, setcals, setcal_rejected, bad);
}
