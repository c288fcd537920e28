/* The device's behaviour (see device.h). Plain C99. */
#include "device.h"

#include <string.h>

/* Every frame goes out as 00 | COBS(packet) | 00: the leading 0x00 lets a receiver that has
 * just started listening (port opened, line noise) take the frame whole (PROTOCOL.md 9.1). */
static void send_packet(cctf_device_t *dev, const uint8_t *pkt, size_t n)
{
    uint8_t wire[1 + CCTF_MAX_ENCODED_BYTES];
    size_t len;
    wire[0] = 0x00;
    len = 1 + cctf_frame_encode(pkt, n, wire + 1);
    dev->io->write(dev->io->ctx, wire, len);
}

static void send_hello(cctf_device_t *dev, uint8_t reset_cause)
{
    uint8_t pkt[CCTF_HELLO_P_PACKET_BYTES];
    cctf_hello_t h;
    h.protocol_version = CCTF_PROTOCOL_VERSION;
    h.fw_major = dev->info.fw_major;
    h.fw_minor = dev->info.fw_minor;
    h.fw_patch = dev->info.fw_patch;
    h.sensor_model = dev->info.sensor_model;
    h.rate_hz = dev->rate_hz;
    h.calibration_id = dev->cal.rec.id;
    memcpy(h.serial, dev->info.serial, CCTF_SERIAL_BYTES);
    h.next_seq = dev->seq;
    h.reset_cause = reset_cause;
    h.streaming = dev->streaming ? 1 : 0;
    h.peripherals = dev->info.peripherals;
    send_packet(dev, pkt, cctf_build_hello_p(pkt, &h));  /* always the 26-byte body */
}

void cctf_device_init(cctf_device_t *dev, const cctf_device_io_t *io,
                      const cctf_device_info_t *info, const cctf_cal_t *cal)
{
    memset(dev, 0, sizeof *dev);
    dev->io = io;
    dev->info = *info;
    dev->cal = *cal;
    dev->rate_hz = info->default_rate_hz;
    cctf_rx_reset(&dev->rx);
}

void cctf_device_boot(cctf_device_t *dev, uint8_t reset_cause)
{
    dev->rate_hz = dev->info.default_rate_hz;
    dev->streaming = 0;
    dev->seq = 0;
    dev->tare.pending = 0;
    cctf_head_filter_start(&dev->head, dev->rate_hz);
    cctf_rx_reset(&dev->rx);
    send_hello(dev, reset_cause);
}

static int carries_record(uint8_t type)
{
    return type == CCTF_TYPE_TARE || type == CCTF_TYPE_GET_CAL || type == CCTF_TYPE_SET_CAL ||
           type == CCTF_TYPE_RESET_CAL;
}

static void send_ack(cctf_device_t *dev, uint8_t type, uint8_t token, uint8_t status,
                     const uint8_t *data, size_t d)
{
    uint8_t pkt[CCTF_ACK_MAX_PACKET_BYTES];
    send_packet(dev, pkt, cctf_build_ack(pkt, type, token, status, data, d));
}

/* The TARE window is complete (or failed): answer every waiting TARE. */
static void tare_finish(cctf_device_t *dev, uint8_t status)
{
    uint8_t data[CCTF_CAL_BYTES];
    size_t d = 0;
    if (status == CCTF_STATUS_OK) {
        cctf_put_cal_record(data, &dev->cal.rec);
        d = CCTF_CAL_BYTES;
    }
    for (uint8_t i = 0; i < dev->tare.pending; i++)
        send_ack(dev, CCTF_TYPE_TARE, dev->tare.tokens[i], status, data, d);
    dev->tare.pending = 0;
}

static void tare_reading(cctf_device_t *dev, int32_t raw, uint8_t flags)
{
    cctf_tare_t *t = &dev->tare;
    int32_t n, zero;
    if (flags & (CCTF_FLAG_SENSOR_FAULT | CCTF_FLAG_OVER_RANGE)) {
        tare_finish(dev, CCTF_STATUS_FAILED);  /* not atmospheric, or no sensor */
        return;
    }
    t->sum += raw;
    if (++t->got < t->want)
        return;
    n = t->got;
    zero = (t->sum >= 0 ? t->sum + n / 2 : t->sum - n / 2) / n;  /* halves away from zero */
    tare_finish(dev, cctf_cal_tare(&dev->cal, zero));
}

static void execute(cctf_device_t *dev, const cctf_command_t *cmd)
{
    uint8_t data[CCTF_CAL_BYTES];
    size_t d = 0;
    uint8_t status = cmd->status;

    if (status == CCTF_STATUS_OK) {
        switch (cmd->type) {
        case CCTF_TYPE_START:
            dev->streaming = 1;
            cctf_head_filter_start(&dev->head, dev->rate_hz);
            break;
        case CCTF_TYPE_STOP:
            dev->streaming = 0;
            break;
        case CCTF_TYPE_SET_RATE:
            status = dev->io->set_rate(dev->io->ctx, cmd->rate_hz);
            if (status == CCTF_STATUS_OK) {
                dev->rate_hz = cmd->rate_hz;
                cctf_head_filter_start(&dev->head, dev->rate_hz);
                cctf_put_u16(data, cmd->rate_hz);
                d = 2;
            }
            break;
        case CCTF_TYPE_TARE:
            /* answered once the readings of the next ~0.25 s are in (tare_reading) */
            if (dev->tare.pending >= CCTF_TARE_MAX_PENDING) {
                status = CCTF_STATUS_FAILED;
                break;
            }
            if (dev->tare.pending == 0) {
                dev->tare.want = cctf_window_len(dev->rate_hz);
                dev->tare.got = 0;
                dev->tare.sum = 0;
            }
            dev->tare.tokens[dev->tare.pending++] = cmd->token;
            return;
        case CCTF_TYPE_SET_CAL:
            status = cctf_cal_set_points(&dev->cal, cmd->raw_a, cmd->mmhg_a, cmd->raw_b,
                                         cmd->mmhg_b);
            break;
        case CCTF_TYPE_RESET_CAL:
            status = cctf_cal_reset(&dev->cal);
            break;
        default:  /* GET_CAL, IDENTIFY: nothing to change */
            break;
        }
    }
    if (status == CCTF_STATUS_OK && carries_record(cmd->type)) {
        cctf_put_cal_record(data, &dev->cal.rec);
        d = CCTF_CAL_BYTES;
    }
    if (status != CCTF_STATUS_OK)
        d = 0;
    send_ack(dev, cmd->type, cmd->token, status, data, d);
    if (cmd->type == CCTF_TYPE_IDENTIFY && status == CCTF_STATUS_OK) {
        send_hello(dev, CCTF_RESET_REQUEST);
        if (dev->io->identify)
            dev->io->identify(dev->io->ctx);
    }
}

void cctf_device_rx(cctf_device_t *dev, uint8_t byte)
{
    cctf_command_t cmd;
    size_t n = cctf_rx_feed(&dev->rx, byte);
    if (n == 0)
        return;
    if (cctf_parse_command(dev->rx.buf, n, &cmd))
        execute(dev, &cmd);
}

void cctf_device_reading(cctf_device_t *dev, uint32_t t_us, int32_t raw, uint8_t flags,
                         uint32_t missed)
{
    cctf_device_reading_head(dev, t_us, raw, flags, missed, NULL);
}

/* The HEAD of the SAMPLE just sent (seq): 0x00, then a 12-byte packet, at most 14 on the wire. */
static void send_head(cctf_device_t *dev, cctf_head_t *h, uint32_t seq)
{
    uint8_t pkt[CCTF_HEAD_PACKET_BYTES];
    uint8_t wire[1 + CCTF_HEAD_WIRE_BYTES];
    size_t len;
    h->seq = seq;
    wire[0] = 0x00;
    len = 1 + cctf_frame_encode(pkt, cctf_build_head(pkt, h), wire + 1);
    if (dev->io->tx_room && dev->io->tx_room(dev->io->ctx) < len)
        dev->skipped++;  /* a lost HEAD is "not measured" for that sample, never a stall */
    else
        dev->io->write(dev->io->ctx, wire, len);
}

void cctf_device_reading_head(cctf_device_t *dev, uint32_t t_us, int32_t raw, uint8_t flags,
                              uint32_t missed, const cctf_accel_t *accel)
{
    cctf_head_t head;
    int with_head = accel && (dev->info.peripherals & CCTF_PERIPHERAL_HEAD_SENSOR);
    uint8_t pkt[1 + CCTF_SAMPLE_BODY_BYTES + 2];
    uint8_t wire[1 + CCTF_SAMPLE_WIRE_BYTES];  /* 0x00 in front */
    cctf_sample_t s;
    size_t len;
    uint8_t sensor_flags;

    if (with_head)
        cctf_head_filter_update(&dev->head, accel->x, accel->y, accel->z, accel->ok, &head);
    flags &= (uint8_t)(CCTF_FLAG_OVER_RANGE | CCTF_FLAG_SENSOR_FAULT);
    sensor_flags = flags;
    if (!dev->streaming)
        goto tare;
    dev->seq += missed;
    s.seq = dev->seq++;
    s.t_us = t_us;
    s.raw = raw;
    s.pressure = cctf_cal_pressure(&dev->cal.rec, raw, &flags);
    if (!(dev->cal.rec.flags & CCTF_CALFLAG_TWO_POINT))
        flags |= CCTF_FLAG_NOT_CALIBRATED;
    s.flags = flags;
    /* 0x00, then a 20-byte packet, which always encodes to 21 bytes + delimiter */
    wire[0] = 0x00;
    len = 1 + cctf_frame_encode(pkt, cctf_build_sample(pkt, &s), wire + 1);
    if (dev->io->tx_room && dev->io->tx_room(dev->io->ctx) < len) {
        dev->skipped++;  /* never block the sampling loop on a full line */
    } else {
        dev->io->write(dev->io->ctx, wire, len);
        if (with_head)
            send_head(dev, &head, s.seq);
    }
tare:
    if (dev->tare.pending)
        tare_reading(dev, raw, sensor_flags);
}

uint8_t cctf_reset_cause_from_mcusr(uint8_t mcusr)
{
    if (mcusr & CCTF_MCUSR_PORF)
        return CCTF_RESET_POWER_ON;
    if (mcusr & CCTF_MCUSR_WDRF)
        return CCTF_RESET_WATCHDOG;
    if (mcusr & CCTF_MCUSR_BORF)
        return CCTF_RESET_BROWN_OUT;
    return CCTF_RESET_EXTERNAL;  /* EXTRF, or 0: cleared by a bootloader */
}
