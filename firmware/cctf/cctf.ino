// SPDX-License-Identifier: MIT
// Copyright (c) the cctf developers. The firmware is software: MIT, like the rest of cctf (../../LICENSE).
/*
 * cctf firmware: an air-pressure sensor on an Arduino Uno/Nano (ATmega328P, 16 MHz) as a digital
 * biofeedback unit for the craniocervical flexion test. Speaks the cctf wire protocol version 1
 * (firmware/PROTOCOL.md) at 115200 8N1 on the USB serial port.
 *
 * This file is the board glue; the behaviour lives in plain C files the host tests run:
 *   protocol.c     CRC-16, COBS, frames, receiver, command parsing
 *   calibration.c  the calibration record, conversion to 0.001 mmHg, tare, EEPROM image
 *   sampling.c     oversampling, limit flags, the drift-free sample schedule, tare window length
 *   device.c       boot HELLO, commands and ACKs (TARE after its window), SAMPLE frames
 *   head.c         the optional head sensor's HEAD frame, tilt angles and filter (issue 17)
 * and the hardware in board.cpp (watchdog, LED, Timer1), eeprom_storage.cpp, head_mpu.cpp (the
 * MPU-6050 on I2C, if fitted) and the sensor driver chosen in config.h (sensor_mpx5010.cpp or
 * sensor_hx710b.cpp).
 *
 * Timing (MPX5010DP): Timer1 interrupts once per sample at the configured rate; the ISR only
 * advances the schedule (tick count + the tick's exact time). loop() sees the new tick, takes the
 * 16 ADC reads (~1.8 ms) and sends the SAMPLE stamped with the tick's time. If loop() ever falls
 * more than a tick behind, the ticks it missed use up sequence numbers while streaming.
 * HX710B: the converter paces the samples; loop() reads a result as soon as DOUT says so.
 * Head sensor: right after the pressure reading loop() reads the MPU-6050's accelerometer
 * (6 bytes at 400 kHz, ~0.25 ms; at most ~2 ms when it stops answering) and the HEAD frame
 * follows the SAMPLE (PROTOCOL.md section 15).
 */
#include "board.h"
#include "calibration.h"
#include "config.h"
#include "device.h"
#include "eeprom_storage.h"
#include "head.h"
#include "head_mpu.h"
#include "protocol.h"
#include "sampling.h"
#include "sensor.h"

static cctf_device_t device;
static uint8_t head_fitted;  /* an MPU-6050 answered at boot */
#if SENSOR_PACED
static cctf_paced_t paced;
#endif

static void start_sampling(uint16_t rate_hz)
{
#if SENSOR_PACED
    cctf_paced_start(&paced, rate_hz, micros());
#else
    board_timer_start(rate_hz);
#endif
}

/* --- what the device logic needs from the board ------------------------------------------- */

static void io_write(void *ctx, const uint8_t *data, size_t n)
{
    (void)ctx;
    Serial.write(data, n);  /* blocks only while the 64-byte transmit buffer is full */
}

static size_t io_tx_room(void *ctx)
{
    (void)ctx;
    return (size_t)Serial.availableForWrite();
}

static uint8_t io_set_rate(void *ctx, uint16_t rate_hz)
{
    (void)ctx;
    if (!sensor_rate_supported(rate_hz))
        return CCTF_STATUS_NOT_SUPPORTED;
    sensor_set_rate(rate_hz);
    start_sampling(rate_hz);
    return CCTF_STATUS_OK;
}

static void io_identify(void *ctx)
{
    (void)ctx;
    board_led_blink(CCTF_IDENTIFY_BLINK_MS);
}

static const cctf_device_io_t device_io = {io_write, io_tx_room, io_set_rate, io_identify, 0};

/* --- setup and loop ----------------------------------------------------------------------- */

void setup()
{
    static const cctf_cal_points_t datasheet = {
        SENSOR_DATASHEET_RAW_A, SENSOR_DATASHEET_MMHG_A,
        SENSOR_DATASHEET_RAW_B, SENSOR_DATASHEET_MMHG_B,
    };
    cctf_device_info_t info;
    cctf_cal_t cal;
    uint8_t cause = cctf_reset_cause_from_mcusr(board_reset_flags());

    board_watchdog_start();
    board_led_begin();
    Serial.begin(CCTF_BAUD_RATE);

    info.sensor_model = SENSOR_MODEL;
    info.fw_major = CCTF_FW_MAJOR;
    info.fw_minor = CCTF_FW_MINOR;
    info.fw_patch = CCTF_FW_PATCH;
    info.default_rate_hz = SENSOR_DEFAULT_RATE_HZ;
    eeprom_storage_serial(info.serial);
    head_fitted = head_mpu_begin();
    info.peripherals = head_fitted ? CCTF_PERIPHERAL_HEAD_SENSOR : 0;
    cctf_cal_init(&cal, &datasheet, &eeprom_storage, CCTF_EEPROM_CAL_ADDR);
    cctf_cal_load(&cal);  /* blank or corrupt: datasheet record, id 0 */

    sensor_begin();
    cctf_device_init(&device, &device_io, &info, &cal);
    cctf_device_boot(&device, cause);  /* 0x00, then HELLO(next_seq 0, not streaming) */

    start_sampling(device.rate_hz);
}

void loop()
{
    int32_t raw;
    uint8_t flags = 0;
    uint32_t t_us, missed;
    cctf_accel_t accel;

    board_watchdog_kick();

    while (Serial.available() > 0)
        cctf_device_rx(&device, (uint8_t)Serial.read());

#if SENSOR_PACED
    t_us = micros();
    switch (cctf_paced_poll(&paced, t_us, sensor_ready())) {
    case CCTF_PACED_READ:
        sensor_read_raw(&raw, &flags);
        if (head_fitted)
            head_mpu_read(&accel);
        cctf_device_reading_head(&device, t_us, raw, flags, 0, head_fitted ? &accel : 0);
        break;
    case CCTF_PACED_FAULT:  /* no result for too long: unplugged or dead */
        if (head_fitted)
            head_mpu_read(&accel);
        cctf_device_reading_head(&device, t_us, 0, CCTF_FLAG_SENSOR_FAULT, 0,
                                 head_fitted ? &accel : 0);
        break;
    default:
        break;
    }
    (void)missed;
#else
    if (board_timer_take(&t_us, &missed)) {
        sensor_read_raw(&raw, &flags);
        if (head_fitted)
            head_mpu_read(&accel);
        cctf_device_reading_head(&device, t_us, raw, flags, missed, head_fitted ? &accel : 0);
    }
#endif

    eeprom_storage_poll();
    board_led_poll();
}
