/*
 * The ATmega328P specifics: reset cause, watchdog, LED, and the Timer1 sampling timer.
 */
#ifndef CCTF_BOARD_H
#define CCTF_BOARD_H

#include <stdint.h>

/* MCUSR as it was at reset (captured and cleared in .init3, before main). */
uint8_t board_reset_flags(void);

/* Watchdog: 250 ms. loop() kicks it every pass; a hang resets the board (cause WATCHDOG). */
void board_watchdog_start(void);
void board_watchdog_kick(void);

/* LED_BUILTIN: IDENTIFY blinks it (non-blocking; board_led_poll does the work). */
void board_led_begin(void);
void board_led_blink(uint16_t ms);
void board_led_poll(void);

/*
 * The sampling timer: Timer1 in CTC mode, one compare-match interrupt per sample tick. The ISR
 * only advances the schedule (sampling.h: cctf_ticker_*): it programs the next period into
 * OCR1A and publishes the tick count and the tick's time; loop() takes the reading.
 */
void board_timer_start(uint16_t rate_hz);  /* (re)start: the first tick comes 1/rate later */
void board_timer_stop(void);
/* A tick is waiting: its time (us, same clock as micros()), and how many ticks were missed
 * before it (loop() was too slow). Returns false if no new tick. */
bool board_timer_take(uint32_t *t_us, uint32_t *missed);

#endif /* CCTF_BOARD_H */
