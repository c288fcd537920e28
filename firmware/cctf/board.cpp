/* ATmega328P specifics (see board.h). */
#include <Arduino.h>
#include <avr/interrupt.h>
#include <avr/io.h>
#include <avr/wdt.h>
#include <util/atomic.h>

#include "board.h"
#include "config.h"
#include "sampling.h"
#include "sensor.h"

/* --- reset cause -------------------------------------------------------------------------- */

/* .noinit: .init3 runs before the C runtime clears .bss */
static uint8_t reset_flags __attribute__((section(".noinit")));

/* Runs before main(): keep MCUSR, clear it, and stop a watchdog left running by a watchdog reset
 * (it stays enabled at its shortest timeout, 15 ms, and would reset the board again during
 * init()). Bootloaders may already have cleared MCUSR: see cctf_reset_cause_from_mcusr. */
extern "C" void board_capture_reset_flags(void)
    __attribute__((naked, used, section(".init3")));
extern "C" void board_capture_reset_flags(void)
{
    reset_flags = MCUSR;
    MCUSR = 0;
    wdt_disable();
}

uint8_t board_reset_flags(void)
{
    return reset_flags;
}

/* --- watchdog ----------------------------------------------------------------------------- */

void board_watchdog_start(void)
{
    wdt_enable(WDTO_250MS);
}

void board_watchdog_kick(void)
{
    wdt_reset();
}

/* --- LED ---------------------------------------------------------------------------------- */

static uint16_t blink_left_ms;
static uint16_t blink_last_ms;

void board_led_begin(void)
{
    pinMode(CCTF_LED_PIN, OUTPUT);
    digitalWrite(CCTF_LED_PIN, LOW);
}

void board_led_blink(uint16_t ms)
{
    blink_left_ms = ms;
    blink_last_ms = (uint16_t)millis();
    digitalWrite(CCTF_LED_PIN, HIGH);
}

void board_led_poll(void)
{
    uint16_t now, elapsed;
    if (!blink_left_ms)
        return;
    now = (uint16_t)millis();
    elapsed = (uint16_t)(now - blink_last_ms);
    if (elapsed < 100)
        return;
    blink_last_ms = now;
    blink_left_ms = blink_left_ms > 100 ? (uint16_t)(blink_left_ms - 100) : 0;
    digitalWrite(CCTF_LED_PIN, blink_left_ms && !digitalRead(CCTF_LED_PIN) ? HIGH : LOW);
}

/* --- the sampling timer ------------------------------------------------------------------- */

#if !SENSOR_PACED

static cctf_ticker_t ticker;           /* owned by the ISR once the timer runs */
static volatile uint32_t isr_ticks;    /* ticks since the (re)start */
static volatile uint32_t isr_tick_us;  /* time of the latest tick */
static uint32_t taken_ticks;           /* ticks loop() has taken */

ISR(TIMER1_COMPA_vect)
{
    uint32_t next;
    /* TCNT1 restarted from 0 at the match: set the next period before it gets there */
    isr_tick_us = cctf_ticker_tick(&ticker, &next);
    OCR1A = (uint16_t)(next - 1u);  /* CTC: period = OCR1A + 1 counts */
    isr_ticks = isr_ticks + 1u;
}

void board_timer_start(uint16_t rate_hz)
{
    ATOMIC_BLOCK(ATOMIC_RESTORESTATE)
    {
        uint32_t first;
        TIMSK1 = 0;
        TCCR1B = 0;  /* stopped */
        TCCR1A = 0;
        TCNT1 = 0;
        /* Timer0 (micros) and Timer1 share the prescaler: both count in 4 us steps, so the
         * schedule stays locked to micros() */
        first = cctf_ticker_start(&ticker, rate_hz, micros());
        OCR1A = (uint16_t)(first - 1u);
        TIFR1 = _BV(OCF1A);
        isr_ticks = 0;
        taken_ticks = 0;
        TIMSK1 = _BV(OCIE1A);
        TCCR1B = _BV(WGM12) | (ticker.prescaler == 64 ? (_BV(CS11) | _BV(CS10)) : _BV(CS12));
    }
}

void board_timer_stop(void)
{
    TIMSK1 = 0;
    TCCR1B = 0;
}

bool board_timer_take(uint32_t *t_us, uint32_t *missed)
{
    uint32_t ticks, when;
    ATOMIC_BLOCK(ATOMIC_RESTORESTATE)
    {
        ticks = isr_ticks;
        when = isr_tick_us;
    }
    if (ticks == taken_ticks)
        return false;
    *missed = ticks - taken_ticks - 1u;
    *t_us = when;
    taken_ticks = ticks;
    return true;
}

#else /* SENSOR_PACED: no sampling timer */

void board_timer_start(uint16_t rate_hz)
{
    (void)rate_hz;
}

void board_timer_stop(void) {}

bool board_timer_take(uint32_t *t_us, uint32_t *missed)
{
    (void)t_us;
    (void)missed;
    return false;
}

#endif
