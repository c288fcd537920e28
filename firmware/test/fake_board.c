/* A board for the host tests (see fake_board.h). */
#include "fake_board.h"

#include <stdint.h>
#include <string.h>

#include "test.h"

const cctf_cal_points_t fake_mpx_datasheet = {655, 0, 12451, 60002};

static int ram_read(void *ctx, uint16_t addr, uint8_t *dst, uint16_t n)
{
    fake_board_t *b = ctx;
    if ((size_t)addr + n > sizeof b->eeprom)
        return -1;
    memcpy(dst, b->eeprom + addr, n);
    return 0;
}

static int ram_write(void *ctx, uint16_t addr, const uint8_t *src, uint16_t n)
{
    fake_board_t *b = ctx;
    if (b->fail_writes || (size_t)addr + n > sizeof b->eeprom)
        return -1;
    memcpy(b->eeprom + addr, src, n);
    b->writes++;
    return 0;
}

static void io_write(void *ctx, const uint8_t *data, size_t n)
{
    fake_board_t *b = ctx;
    if (b->out_n + n > FAKE_OUT_MAX) {
        check_failed(__FILE__, __LINE__, "output buffer overflow");
        return;
    }
    memcpy(b->out + b->out_n, data, n);
    b->out_n += n;
    if (b->tx_room != SIZE_MAX)  /* a finite buffer fills up; the test drains it */
        b->tx_room = b->tx_room > n ? b->tx_room - n : 0;
}

static size_t io_tx_room(void *ctx)
{
    return ((fake_board_t *)ctx)->tx_room;
}

static uint8_t io_set_rate(void *ctx, uint16_t rate_hz)
{
    fake_board_t *b = ctx;
    if (b->only_10_40 && rate_hz != 10 && rate_hz != 40)
        return CCTF_STATUS_NOT_SUPPORTED;
    b->set_rate_calls++;
    b->last_rate = rate_hz;
    return CCTF_STATUS_OK;
}

static void io_identify(void *ctx)
{
    ((fake_board_t *)ctx)->identify_calls++;
}

void fake_init(fake_board_t *b)
{
    memset(b, 0, sizeof *b);
    memset(b->eeprom, 0xFF, sizeof b->eeprom);
    b->storage.read = ram_read;
    b->storage.write = ram_write;
    b->storage.ctx = b;
    b->io.write = io_write;
    b->io.tx_room = io_tx_room;
    b->io.set_rate = io_set_rate;
    b->io.identify = io_identify;
    b->io.ctx = b;
    b->tx_room = SIZE_MAX;
}

void fake_store_cal(fake_board_t *b, const cctf_cal_record_t *rec)
{
    cctf_cal_image(rec, b->eeprom + FAKE_CAL_ADDR);
}

void fake_boot(fake_board_t *b, uint8_t sensor_model, uint16_t default_rate, const char *serial,
               uint8_t reset_cause)
{
    cctf_cal_t cal;
    cctf_device_info_t info;
    memset(&info, 0, sizeof info);
    info.sensor_model = sensor_model;
    info.fw_major = 1;
    info.fw_minor = 0;
    info.fw_patch = 0;
    info.default_rate_hz = default_rate;
    info.peripherals = b->peripherals;
    strncpy((char *)info.serial, serial, CCTF_SERIAL_BYTES);
    cctf_cal_init(&cal, &fake_mpx_datasheet, &b->storage, FAKE_CAL_ADDR);
    cctf_cal_load(&cal);
    cctf_device_init(&b->dev, &b->io, &info, &cal);
    cctf_device_boot(&b->dev, reset_cause);
}

void fake_feed(fake_board_t *b, const uint8_t *data, size_t n)
{
    for (size_t i = 0; i < n; i++)
        cctf_device_rx(&b->dev, data[i]);
}

void fake_feed_hex(fake_board_t *b, const char *hex)
{
    uint8_t buf[1024];
    int n = hex_to_bytes(hex, buf, sizeof buf);
    if (n < 0) {
        check_failed(__FILE__, __LINE__, "bad hex in test: %s", hex);
        return;
    }
    fake_feed(b, buf, (size_t)n);
}

void fake_command(fake_board_t *b, uint8_t type, uint8_t token, const uint8_t *args, size_t n)
{
    uint8_t pkt[CCTF_MAX_PACKET_BYTES], wire[1 + CCTF_MAX_ENCODED_BYTES];
    size_t len = cctf_build_command(pkt, type, token, args, n);
    wire[0] = 0x00;
    len = cctf_frame_encode(pkt, len, wire + 1);
    fake_feed(b, wire, len + 1);
}

void fake_clear(fake_board_t *b)
{
    b->out_n = 0;
}

size_t fake_frames(const fake_board_t *b, fake_frame_t *frames, size_t max)
{
    cctf_rx_t rx;
    size_t count = 0;
    cctf_rx_reset(&rx);
    rx.synced = 1;  /* the test saw the line from its start */
    for (size_t i = 0; i < b->out_n; i++) {
        size_t n = cctf_rx_feed(&rx, b->out[i]);
        if (n && count < max) {
            memcpy(frames[count].pkt, rx.buf, n);
            frames[count].n = n;
            count++;
        }
    }
    return count;
}
