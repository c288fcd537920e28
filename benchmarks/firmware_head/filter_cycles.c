/* cycles of cctf_head_filter_update on the ATmega328P (Timer1 at clk/1) */
#include <avr/io.h>
#include <stdio.h>
#include "head.h"
static int uart_putc(char c, FILE *f) { (void)f; while (!(UCSR0A & _BV(UDRE0))); UDR0 = c; return 0; }
static FILE out = FDEV_SETUP_STREAM(uart_putc, NULL, _FDEV_SETUP_WRITE);
int main(void) {
    cctf_head_filter_t f; cctf_head_t h; uint32_t total = 0; uint16_t worst = 0, t0, dt;
    UBRR0 = 8; UCSR0B = _BV(TXEN0); stdout = &out;
    TCCR1A = 0; TCCR1B = _BV(CS10);
    cctf_head_filter_start(&f, 250);
    for (int i = 0; i < 500; i++) {
        int16_t y = (int16_t)(i * 13 - 3000), z = (int16_t)(16000 - i * 3), x = (int16_t)(i - 250);
        t0 = TCNT1;
        cctf_head_filter_update(&f, x, y, z, 1, &h);
        dt = TCNT1 - t0;
        total += dt; if (dt > worst) worst = dt;
    }
    printf("filter_update cycles: mean %lu worst %u (pitch %d)\n", total / 500, worst, h.pitch_centi);
    for (;;);
}
