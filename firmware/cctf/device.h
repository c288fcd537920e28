/*
 * The device's behaviour (PROTOCOL.md section 9) without any hardware: boot HELLO, command
 * handling, SAMPLE frames, calibration and tare. The sketch feeds it received bytes and sensor
 * readings and gives it a few callbacks; the host tests drive it the same way. Plain C99.
 */
#ifndef CCTF_DEVICE_H
#define CCTF_DEVICE_H

#include <stddef.h>
#include <stdint.h>

#include "calibration.h"
#include "head.h"
#include "protocol.h"
#include "sampling.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What the device needs from the board. */
typedef struct {
    /* Put bytes on the line (may block until there is room). */
    void (*write)(void *ctx, const uint8_t *data, size_t n);
    /* Bytes that fit in the transmit buffer right now; a SAMPLE that does not fit is skipped
     * (its sequence number is used up). NULL: always room. */
    size_t (*tx_room)(void *ctx);
    /* Switch the sampling rate and restart the sampling timer: CCTF_STATUS_OK, or
     * CCTF_STATUS_NOT_SUPPORTED if the sensor cannot do this rate (nothing changes). */
    uint8_t (*set_rate)(void *ctx, uint16_t rate_hz);
    /* IDENTIFY: blink the LED for a second or two (must not block). NULL: nothing. */
    void (*identify)(void *ctx);
    void *ctx;
} cctf_device_io_t;

typedef struct {
    uint8_t sensor_model;                  /* CCTF_SENSOR_MODEL_* */
    uint8_t fw_major, fw_minor, fw_patch;
    uint16_t default_rate_hz;
    uint8_t serial[CCTF_SERIAL_BYTES];
    uint8_t peripherals;                   /* CCTF_PERIPHERAL_*: found at boot, told in HELLO */
} cctf_device_info_t;

/* One MPU-6050 accelerometer reading (raw LSB, sensor axes of head.h); ok = 0: no answer. */
typedef struct {
    int16_t x, y, z;
    uint8_t ok;
} cctf_accel_t;

/* TAREs waiting for their window (PROTOCOL.md section 6): the zero is the mean of the first
 * cctf_window_len(rate) valid readings taken after the command; one more TARE arriving meanwhile
 * joins the wait, up to this many (the next gets FAILED at once). */
#define CCTF_TARE_MAX_PENDING 4

typedef struct {
    uint8_t tokens[CCTF_TARE_MAX_PENDING];
    uint8_t pending;       /* TAREs waiting; 0: none */
    uint8_t want;          /* readings to average */
    uint8_t got;           /* readings so far */
    int32_t sum;           /* |raw| < 2^23, at most 64 of them: fits */
} cctf_tare_t;

typedef struct {
    cctf_rx_t rx;
    cctf_cal_t cal;
    cctf_tare_t tare;
    const cctf_device_io_t *io;
    cctf_device_info_t info;
    uint32_t seq;          /* seq of the next SAMPLE */
    uint32_t skipped;      /* samples skipped because the transmit buffer was full (wraps) */
    uint16_t rate_hz;
    uint8_t streaming;
    cctf_head_filter_t head;   /* restarted at boot, START and SET_RATE */
} cctf_device_t;

/* Set up; the calibration in cal (already loaded by the caller) is copied. */
void cctf_device_init(cctf_device_t *dev, const cctf_device_io_t *io,
                      const cctf_device_info_t *info, const cctf_cal_t *cal);
/* Boot: default rate, not streaming, seq 0, receiver unsynchronised; sends 0x00 then a HELLO
 * with this reset cause. The caller starts the sampling timer at dev->rate_hz. */
void cctf_device_boot(cctf_device_t *dev, uint8_t reset_cause);
/* One byte from the host. Commands are executed (and answered) as soon as their frame ends. */
void cctf_device_rx(cctf_device_t *dev, uint8_t byte);
/* One sensor reading taken at device time t_us (flags: CCTF_FLAG_OVER_RANGE/SENSOR_FAULT from
 * the driver). missed = timer ticks that passed without a reading since the previous one: while
 * streaming they use up sequence numbers, so the host counts them as missing. While a TARE waits,
 * the reading also counts toward its zero (after its SAMPLE: the ACK follows that SAMPLE). */
void cctf_device_reading(cctf_device_t *dev, uint32_t t_us, int32_t raw, uint8_t flags,
                         uint32_t missed);
/* The same with the head sensor's reading of the same instant (PROTOCOL.md section 15): when
 * info.peripherals has CCTF_PERIPHERAL_HEAD_SENSOR and accel is not NULL, the reading goes
 * through the head filter and, while streaming, a HEAD frame with the SAMPLE's seq follows the
 * SAMPLE (skipped, like the SAMPLE, when the transmit buffer has no room for it). */
void cctf_device_reading_head(cctf_device_t *dev, uint32_t t_us, int32_t raw, uint8_t flags,
                              uint32_t missed, const cctf_accel_t *accel);

/* MCUSR bits -> reset cause: the first of POWER_ON, WATCHDOG, BROWN_OUT, EXTERNAL that is set.
 * 0 (a bootloader cleared the register, e.g. the Uno's optiboot) counts as EXTERNAL: the
 * usual reason for a boot the firmware sees is the host opening the port. */
#define CCTF_MCUSR_PORF 0x01
#define CCTF_MCUSR_EXTRF 0x02
#define CCTF_MCUSR_BORF 0x04
#define CCTF_MCUSR_WDRF 0x08
uint8_t cctf_reset_cause_from_mcusr(uint8_t mcusr);

#ifdef __cplusplus
}
#endif

#endif /* CCTF_DEVICE_H */
