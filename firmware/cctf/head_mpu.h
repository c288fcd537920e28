/*
 * The MPU-6050 on the ATmega328P's TWI (A4 = SDA, A5 = SCL) at 400 kHz, polled, every wait
 * bounded: a sensor that stops answering costs at most ~1 ms per sample and sets HEAD_FAULT,
 * it never hangs the sampler (the watchdog is 250 ms). Registers: head.h.
 */
#ifndef CCTF_HEAD_MPU_H
#define CCTF_HEAD_MPU_H

#include <stdint.h>

#include "device.h"

/* At boot: TWI on, WHO_AM_I == 0x68 ? wake and configure (+-2 g, 44 Hz low-pass) : TWI off.
 * Returns 1 if the sensor is fitted. */
uint8_t head_mpu_begin(void);
/* Read the accelerometer; a failed read sets a->ok = 0, and the next read first configures the
 * sensor again (it may have been power-cycled: it wakes up asleep). */
void head_mpu_read(cctf_accel_t *a);

#endif /* CCTF_HEAD_MPU_H */
