/*
 * MPX5010DP on the ATmega328P's 10-bit ADC: channel ADC0 (pin A0), AVcc reference (the sensor's
 * supply, so the reading is ratiometric), 16 conversions summed per sample. With the core's ADC
 * clock of 125 kHz one conversion takes 104 us, so a reading takes about 1.8 ms, with
 * interrupts enabled (the UART keeps receiving).
 */
#include "config.h"

#if !defined(CCTF_SENSOR_HX710B)

#include <Arduino.h>

#include "sampling.h"
#include "sensor.h"

void sensor_begin(void)
{
    analogReference(DEFAULT);  /* AVcc */
    pinMode(A0 + CCTF_MPX_ADC_PIN, INPUT);
    (void)analogRead(CCTF_MPX_ADC_PIN);  /* the first conversion after a reference change */
}

bool sensor_rate_supported(uint16_t rate_hz)
{
    return rate_hz >= CCTF_MIN_RATE_HZ && rate_hz <= CCTF_MAX_RATE_HZ;
}

void sensor_set_rate(uint16_t rate_hz)
{
    (void)rate_hz;  /* the sampling timer sets the pace */
}

bool sensor_ready(void)
{
    return true;
}

void sensor_read_raw(int32_t *raw, uint8_t *flags)
{
    cctf_oversample_t os;
    cctf_oversample_reset(&os);
    for (uint8_t i = 0; i < CCTF_MPX_OVERSAMPLE; i++)
        cctf_oversample_add(&os, (uint16_t)analogRead(CCTF_MPX_ADC_PIN));
    *raw = cctf_oversample_result(&os, flags);
}

#endif
