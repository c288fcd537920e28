/* EEPROM storage with a non-blocking writer (see eeprom_storage.h). */
#include <avr/eeprom.h>
#include <string.h>

#include "board.h"
#include "config.h"
#include "eeprom_storage.h"

static uint8_t queue[CCTF_CAL_IMAGE_BYTES];
static uint16_t queue_addr;
static uint8_t queue_len;
static uint8_t queue_pos;

void eeprom_storage_poll(void)
{
    /* skip bytes that already hold their value; start at most one write */
    while (queue_pos < queue_len && eeprom_is_ready()) {
        uint8_t *a = (uint8_t *)(uintptr_t)(queue_addr + queue_pos);
        uint8_t v = queue[queue_pos++];
        if (eeprom_read_byte(a) != v) {
            eeprom_write_byte(a, v);  /* starts the write and returns */
            break;
        }
    }
}

void eeprom_storage_flush(void)
{
    while (queue_pos < queue_len) {
        eeprom_storage_poll();
        board_watchdog_kick();
    }
    eeprom_busy_wait();
}

static int storage_read(void *ctx, uint16_t addr, uint8_t *dst, uint16_t n)
{
    (void)ctx;
    if ((uint32_t)addr + n > E2END + 1u)
        return -1;
    eeprom_storage_flush();
    eeprom_read_block(dst, (const void *)(uintptr_t)addr, n);
    return 0;
}

static int storage_write(void *ctx, uint16_t addr, const uint8_t *src, uint16_t n)
{
    (void)ctx;
    if ((uint32_t)addr + n > E2END + 1u)
        return -1;
    eeprom_storage_flush();  /* one queued write at a time */
    if (n > sizeof queue) {
        eeprom_update_block(src, (void *)(uintptr_t)addr, n);  /* blocking; not used */
        return 0;
    }
    memcpy(queue, src, n);
    queue_addr = addr;
    queue_pos = 0;
    queue_len = (uint8_t)n;
    eeprom_storage_poll();
    return 0;
}

const cctf_storage_t eeprom_storage = {storage_read, storage_write, 0};

void eeprom_storage_serial(uint8_t serial[CCTF_SERIAL_BYTES])
{
    uint8_t want[CCTF_SERIAL_BYTES];
    uint8_t blank = 1;
    memset(want, 0, sizeof want);
    strncpy((char *)want, CCTF_SERIAL, sizeof want);  /* padded with 0x00, not terminated */
    eeprom_storage_flush();
    eeprom_read_block(serial, (const void *)CCTF_EEPROM_SERIAL_ADDR, CCTF_SERIAL_BYTES);
    for (uint8_t i = 0; i < CCTF_SERIAL_BYTES; i++)
        if (serial[i] != 0xFF)
            blank = 0;
    if (blank || (CCTF_SERIAL_FORCE && memcmp(serial, want, sizeof want) != 0)) {
        eeprom_update_block(want, (void *)CCTF_EEPROM_SERIAL_ADDR, CCTF_SERIAL_BYTES);
        memcpy(serial, want, sizeof want);
    }
}
