/* cycles of the per-sample device work with the head sensor: SAMPLE + HEAD (filter, angles,
 * CRC, COBS), writes into RAM (ATmega328P, Timer1 at clk/1) */
#include <avr/io.h>
#include <stdio.h>
#include <string.h>
#include "device.h"
static int uart_putc(char c, FILE *f) { (void)f; while (!(UCSR0A & _BV(UDRE0))); UDR0 = c; return 0; }
static FILE out = FDEV_SETUP_STREAM(uart_putc, NULL, _FDEV_SETUP_WRITE);
static uint8_t sink[64]; static size_t sunk;
static void w(void *c, const uint8_t *d, size_t n) { (void)c; memcpy(sink, d, n < 64 ? n : 64); sunk += n; }
static uint8_t sr(void *c, uint16_t r) { (void)c; (void)r; return 0; }
static const cctf_device_io_t io = {w, 0, sr, 0, 0};
static int rd(void *c, uint16_t a, uint8_t *d, uint16_t n) { (void)c; (void)a; memset(d, 0xFF, n); return 0; }
static int wr(void *c, uint16_t a, const uint8_t *s, uint16_t n) { (void)c; (void)a; (void)s; (void)n; return 0; }
static const cctf_storage_t st = {rd, wr, 0};
static cctf_device_t dev;
int main(void) {
    static const cctf_cal_points_t ds = {655, 0, 12451, 60002};
    cctf_device_info_t info = {1, 1, 0, 0, 250, "CCTF0001", 0};
    cctf_cal_t cal; cctf_accel_t a; uint32_t tot[2] = {0, 0}; uint16_t worst[2] = {0, 0}, t0, dt;
    UBRR0 = 8; UCSR0B = _BV(TXEN0); stdout = &out;
    TCCR1A = 0; TCCR1B = _BV(CS10);
    for (int k = 0; k < 2; k++) {
        info.peripherals = (uint8_t)k;
        cctf_cal_init(&cal, &ds, &st, 16); cctf_cal_load(&cal);
        cctf_device_init(&dev, &io, &info, &cal); cctf_device_boot(&dev, 1);
        dev.streaming = 1;
        for (int i = 0; i < 300; i++) {
            a.x = (int16_t)(i - 150); a.y = (int16_t)(i * 13 - 2000); a.z = (int16_t)(16000 - i * 3); a.ok = 1;
            t0 = TCNT1;
            cctf_device_reading_head(&dev, (uint32_t)i * 4000u, 4587 + i, 0, 0, &a);
            dt = TCNT1 - t0; tot[k] += dt; if (dt > worst[k]) worst[k] = dt;
        }
    }
    printf("per sample: without head mean %lu worst %u; with head mean %lu worst %u cycles (%u)\n",
           tot[0] / 300, worst[0], tot[1] / 300, worst[1], (unsigned)sunk);
    for (;;);
}
