/* cctf wire protocol, version 1 (see protocol.h and firmware/PROTOCOL.md). Plain C99. */
#include "protocol.h"

#include <string.h>

/* --- CRC-16/CCITT-FALSE ------------------------------------------------------------------- */

uint16_t cctf_crc16_update(uint16_t crc, uint8_t byte)
{
    crc ^= (uint16_t)((uint16_t)byte << 8);
    for (uint8_t bit = 0; bit < 8; bit++) {
        if (crc & 0x8000u)
            crc = (uint16_t)((crc << 1) ^ 0x1021u);
        else
            crc = (uint16_t)(crc << 1);
    }
    return crc;
}

uint16_t cctf_crc16(const uint8_t *data, size_t n)
{
    uint16_t crc = 0xFFFFu;
    for (size_t i = 0; i < n; i++)
        crc = cctf_crc16_update(crc, data[i]);
    return crc;
}

/* --- COBS --------------------------------------------------------------------------------- */

size_t cctf_cobs_encode(const uint8_t *in, size_t n, uint8_t *out)
{
    size_t code_pos = 0, o = 1;
    uint8_t code = 1;
    for (size_t i = 0; i < n; i++) {
        if (in[i] != 0) {
            out[o++] = in[i];
            code++;
        }
        if (in[i] == 0 || code == 0xFF) {
            out[code_pos] = code;
            code = 1;
            if (in[i] == 0 || i + 1 < n)
                code_pos = o++;
            else
                return o;  /* a block that fills up at the very end is not followed by another */
        }
    }
    out[code_pos] = code;
    return o;
}

int cctf_cobs_decode(const uint8_t *in, size_t n, uint8_t *out, size_t out_max)
{
    size_t i = 0, o = 0;
    if (n == 0)
        return -1;  /* the encoding of nothing is 01, never empty */
    while (i < n) {
        uint8_t code = in[i++];
        if (code == 0 || (size_t)code - 1 > n - i)
            return -1;  /* a zero inside a frame, or a block running past the end */
        for (uint8_t k = 1; k < code; k++) {
            uint8_t b = in[i++];
            if (b == 0 || o >= out_max)
                return -1;
            out[o++] = b;
        }
        if (code != 0xFF && i < n) {
            if (o >= out_max)
                return -1;
            out[o++] = 0;
        }
    }
    return (int)o;
}

/* --- little-endian helpers ---------------------------------------------------------------- */

void cctf_put_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

void cctf_put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

uint16_t cctf_get_u16(const uint8_t *p)
{
    return (uint16_t)(p[0] | ((uint16_t)p[1] << 8));
}

uint32_t cctf_get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

int32_t cctf_get_i32(const uint8_t *p)
{
    uint32_t u = cctf_get_u32(p);
    /* two's complement without implementation-defined conversion */
    return (u & 0x80000000u) ? -(int32_t)(~u) - 1 : (int32_t)u;
}

/* --- frames ------------------------------------------------------------------------------- */

void cctf_put_cal_record(uint8_t *out, const cctf_cal_record_t *rec)
{
    cctf_put_u32(out + 0, rec->id);
    cctf_put_u32(out + 4, (uint32_t)rec->raw_a);
    cctf_put_u32(out + 8, (uint32_t)rec->mmhg_a);
    cctf_put_u32(out + 12, (uint32_t)rec->raw_b);
    cctf_put_u32(out + 16, (uint32_t)rec->mmhg_b);
    cctf_put_u32(out + 20, (uint32_t)rec->zero_raw);
    out[24] = rec->flags;
}

void cctf_get_cal_record(const uint8_t *in, cctf_cal_record_t *rec)
{
    rec->id = cctf_get_u32(in + 0);
    rec->raw_a = cctf_get_i32(in + 4);
    rec->mmhg_a = cctf_get_i32(in + 8);
    rec->raw_b = cctf_get_i32(in + 12);
    rec->mmhg_b = cctf_get_i32(in + 16);
    rec->zero_raw = cctf_get_i32(in + 20);
    rec->flags = in[24];
}

size_t cctf_packet_finish(uint8_t *pkt, size_t n)
{
    cctf_put_u16(pkt + n, cctf_crc16(pkt, n));
    return n + 2;
}

size_t cctf_build_sample(uint8_t *pkt, const cctf_sample_t *s)
{
    pkt[0] = CCTF_TYPE_SAMPLE;
    cctf_put_u32(pkt + 1, s->seq);
    cctf_put_u32(pkt + 5, s->t_us);
    cctf_put_u32(pkt + 9, (uint32_t)s->raw);
    cctf_put_u32(pkt + 13, (uint32_t)s->pressure);
    pkt[17] = s->flags;
    return cctf_packet_finish(pkt, 1 + CCTF_SAMPLE_BODY_BYTES);
}

size_t cctf_build_hello(uint8_t *pkt, const cctf_hello_t *h)
{
    pkt[0] = CCTF_TYPE_HELLO;
    pkt[1] = h->protocol_version;
    pkt[2] = h->fw_major;
    pkt[3] = h->fw_minor;
    pkt[4] = h->fw_patch;
    pkt[5] = h->sensor_model;
    cctf_put_u16(pkt + 6, h->rate_hz);
    cctf_put_u32(pkt + 8, h->calibration_id);
    memcpy(pkt + 12, h->serial, CCTF_SERIAL_BYTES);
    cctf_put_u32(pkt + 20, h->next_seq);
    pkt[24] = h->reset_cause;
    pkt[25] = h->streaming;
    return cctf_packet_finish(pkt, 1 + CCTF_HELLO_BODY_BYTES);
}

size_t cctf_build_hello_p(uint8_t *pkt, const cctf_hello_t *h)
{
    cctf_build_hello(pkt, h);
    pkt[1 + CCTF_HELLO_BODY_BYTES] = h->peripherals;
    return cctf_packet_finish(pkt, 1 + CCTF_HELLO_P_BODY_BYTES);
}

size_t cctf_build_ack(uint8_t *pkt, uint8_t command, uint8_t token, uint8_t status,
                      const uint8_t *data, size_t d)
{
    pkt[0] = CCTF_TYPE_ACK;
    pkt[1] = command;
    pkt[2] = token;
    pkt[3] = status;
    if (d)
        memcpy(pkt + 4, data, d);
    return cctf_packet_finish(pkt, 4 + d);
}

size_t cctf_build_command(uint8_t *pkt, uint8_t type, uint8_t token, const uint8_t *args,
                          size_t n_args)
{
    pkt[0] = type;
    pkt[1] = token;
    if (n_args)
        memcpy(pkt + 2, args, n_args);
    return cctf_packet_finish(pkt, 2 + n_args);
}

size_t cctf_frame_encode(const uint8_t *pkt, size_t n, uint8_t *wire)
{
    size_t len = cctf_cobs_encode(pkt, n, wire);
    wire[len] = 0x00;
    return len + 1;
}

/* --- receiving ---------------------------------------------------------------------------- */

int cctf_unpack_frame(const uint8_t *enc, size_t n, uint8_t *pkt)
{
    int len;
    if (n > CCTF_RX_BUF_BYTES)
        return -CCTF_RX_LONG;
    /* One byte of slack: a 65-byte decode is reported as "long", not as bad COBS. */
    len = cctf_cobs_decode(enc, n, pkt, CCTF_RX_BUF_BYTES);
    if (len < 0)
        return -CCTF_RX_COBS;
    if (len < 3)
        return -CCTF_RX_SHORT;
    if (len > CCTF_MAX_PACKET_BYTES)
        return -CCTF_RX_LONG;
    if (cctf_get_u16(pkt + len - 2) != cctf_crc16(pkt, (size_t)len - 2))
        return -CCTF_RX_CRC;
    return len;
}

void cctf_rx_reset(cctf_rx_t *rx)
{
    memset(rx, 0, sizeof *rx);
}

size_t cctf_rx_feed(cctf_rx_t *rx, uint8_t byte)
{
    if (byte != 0) {
        if (!rx->synced)
            return 0;  /* before the first delimiter since boot: cannot know where we are */
        if (rx->len < CCTF_RX_BUF_BYTES)
            rx->buf[rx->len++] = byte;
        else
            rx->overflow = 1;  /* stop storing; the whole frame goes at its delimiter */
        return 0;
    }
    /* a delimiter */
    if (!rx->synced) {
        rx->synced = 1;
        rx->len = 0;
        return 0;
    }
    size_t n = rx->len;
    uint8_t overflow = rx->overflow;
    rx->len = 0;
    rx->overflow = 0;
    if (n == 0 && !overflow)
        return 0;  /* empty frame: two delimiters in a row */
    int len = overflow ? -CCTF_RX_LONG : cctf_unpack_frame(rx->buf, n, rx->buf);
    if (len < 0) {
        rx->last_error = (uint8_t)-len;
        rx->dropped++;
        return 0;
    }
    rx->last_error = CCTF_RX_OK;
    return (size_t)len;
}

int cctf_packet_check(const uint8_t *pkt, size_t n)
{
    size_t body = n - 3;  /* callers pass a packet that passed cctf_unpack_frame: n >= 3 */
    uint8_t type = pkt[0];
    switch (type) {
    case CCTF_TYPE_SAMPLE:
        return body == CCTF_SAMPLE_BODY_BYTES ? CCTF_PKT_VALID : CCTF_PKT_LENGTH;
    case CCTF_TYPE_HELLO:
        return body >= CCTF_HELLO_BODY_BYTES ? CCTF_PKT_VALID : CCTF_PKT_LENGTH;
    case CCTF_TYPE_ACK:
        return body >= 3 ? CCTF_PKT_VALID : CCTF_PKT_LENGTH;
    case CCTF_TYPE_HEAD:  /* section 14: exactly 9 */
        return body == CCTF_HEAD_BODY_BYTES ? CCTF_PKT_VALID : CCTF_PKT_LENGTH;
    default:
        if (type >= CCTF_TYPE_START && type <= CCTF_TYPE_RESET_CAL)
            return body >= 1 ? CCTF_PKT_VALID : CCTF_PKT_LENGTH;
        return CCTF_PKT_UNKNOWN;
    }
}

int cctf_parse_sample(const uint8_t *pkt, size_t n, cctf_sample_t *s)
{
    if (n != 1 + CCTF_SAMPLE_BODY_BYTES + 2 || pkt[0] != CCTF_TYPE_SAMPLE)
        return -1;
    s->seq = cctf_get_u32(pkt + 1);
    s->t_us = cctf_get_u32(pkt + 5);
    s->raw = cctf_get_i32(pkt + 9);
    s->pressure = cctf_get_i32(pkt + 13);
    s->flags = pkt[17];
    return 0;
}

int cctf_parse_hello(const uint8_t *pkt, size_t n, cctf_hello_t *h)
{
    if (n < 1 + CCTF_HELLO_BODY_BYTES + 2 || pkt[0] != CCTF_TYPE_HELLO)
        return -1;  /* longer bodies are allowed: a later revision may append fields */
    h->protocol_version = pkt[1];
    h->fw_major = pkt[2];
    h->fw_minor = pkt[3];
    h->fw_patch = pkt[4];
    h->sensor_model = pkt[5];
    h->rate_hz = cctf_get_u16(pkt + 6);
    h->calibration_id = cctf_get_u32(pkt + 8);
    memcpy(h->serial, pkt + 12, CCTF_SERIAL_BYTES);
    h->next_seq = cctf_get_u32(pkt + 20);
    h->reset_cause = pkt[24];
    h->streaming = pkt[25];
    h->peripherals = n >= CCTF_HELLO_P_PACKET_BYTES ? pkt[26] : 0;  /* section 14 */
    return 0;
}

int cctf_parse_ack(const uint8_t *pkt, size_t n, cctf_ack_t *a)
{
    if (n < 1 + 3 + 2 || pkt[0] != CCTF_TYPE_ACK)
        return -1;
    a->command = pkt[1];
    a->token = pkt[2];
    a->status = pkt[3];
    a->data = pkt + 4;
    a->data_len = n - 6;
    return 0;
}

/* --- commands ----------------------------------------------------------------------------- */

int cctf_parse_command(const uint8_t *pkt, size_t n, cctf_command_t *cmd)
{
    const uint8_t *args = pkt + 2;
    size_t n_args;
    if (n < 4 || pkt[0] < CCTF_TYPE_START)
        return 0;  /* no token to answer with, or a device-to-host type: ignore */
    memset(cmd, 0, sizeof *cmd);
    cmd->type = pkt[0];
    cmd->token = pkt[1];
    cmd->status = CCTF_STATUS_OK;
    n_args = n - 4;
    switch (cmd->type) {
    case CCTF_TYPE_START:
    case CCTF_TYPE_STOP:
    case CCTF_TYPE_TARE:
    case CCTF_TYPE_GET_CAL:
    case CCTF_TYPE_IDENTIFY:
    case CCTF_TYPE_RESET_CAL:
        if (n_args != 0)
            cmd->status = CCTF_STATUS_BAD_LENGTH;
        break;
    case CCTF_TYPE_SET_RATE:
        if (n_args != 2) {
            cmd->status = CCTF_STATUS_BAD_LENGTH;
            break;
        }
        cmd->rate_hz = cctf_get_u16(args);
        if (cmd->rate_hz < CCTF_MIN_RATE_HZ || cmd->rate_hz > CCTF_MAX_RATE_HZ)
            cmd->status = CCTF_STATUS_BAD_ARGUMENT;
        break;
    case CCTF_TYPE_SET_CAL:
        if (n_args != 16) {
            cmd->status = CCTF_STATUS_BAD_LENGTH;
            break;
        }
        cmd->raw_a = cctf_get_i32(args + 0);
        cmd->mmhg_a = cctf_get_i32(args + 4);
        cmd->raw_b = cctf_get_i32(args + 8);
        cmd->mmhg_b = cctf_get_i32(args + 12);
        if (cmd->raw_a == cmd->raw_b || cmd->mmhg_a == cmd->mmhg_b)
            cmd->status = CCTF_STATUS_BAD_ARGUMENT;
        break;
    default:
        cmd->status = CCTF_STATUS_UNKNOWN_COMMAND;  /* 0x28-0xFF */
        break;
    }
    return 1;
}
