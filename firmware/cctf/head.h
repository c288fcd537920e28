/*
 * The optional head-motion sensor (issue 17): the HEAD frame and the HELLO `peripherals` byte of
 * the compatible version-1 extension (PROTOCOL.md section 15), and the head-angle arithmetic of
 * the MPU-6050 readings. Plain C99, no hardware: the host tests run it.
 */
#ifndef CCTF_HEAD_H
#define CCTF_HEAD_H

#include <stddef.h>
#include <stdint.h>

#include "protocol.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The HEAD frame's constants (CCTF_TYPE_HEAD, CCTF_HEAD_*_BYTES, CCTF_HEADFLAG_*,
 * CCTF_PERIPHERAL_*) are in protocol.h with the rest of the wire format. */

typedef struct {
    uint32_t seq;          /* the seq of the SAMPLE of the same instant */
    int16_t pitch_centi;   /* 0.01 degree, + = chin towards chest */
    int16_t roll_centi;    /* 0.01 degree, + = right ear towards the right shoulder */
    uint8_t flags;         /* CCTF_HEADFLAG_* */
} cctf_head_t;

size_t cctf_build_head(uint8_t *pkt, const cctf_head_t *h);            /* 12 bytes */
/* 0 on success, -1 if the type or the body length (exactly 9) is wrong. */
int cctf_parse_head(const uint8_t *pkt, size_t n, cctf_head_t *h);

/* --- MPU-6050 (InvenSense PS-MPU-6000A rev 3.4, RM-MPU-6000A rev 4.2) --------------------- */

#define CCTF_MPU_ADDR 0x68            /* AD0 low (GY-521: AD0 pulled down) */
#define CCTF_MPU_REG_SMPLRT_DIV 0x19
#define CCTF_MPU_REG_CONFIG 0x1A
#define CCTF_MPU_REG_ACCEL_CONFIG 0x1C
#define CCTF_MPU_REG_ACCEL_XOUT_H 0x3B /* 6 bytes: X, Y, Z, big-endian i16 */
#define CCTF_MPU_REG_PWR_MGMT_1 0x6B
#define CCTF_MPU_REG_WHO_AM_I 0x75
#define CCTF_MPU_WHO_AM_I 0x68
#define CCTF_MPU_DLPF_CFG 3            /* accelerometer low-pass 44 Hz, 4.9 ms delay */
#define CCTF_MPU_LSB_PER_G 16384       /* +-2 g full scale */

/*
 * Sensor axes as mounted (hardware/head-sensor.md): X towards the patient's LEFT ear, Y towards
 * the crown, Z out of the forehead. The accelerometer reads the reaction to gravity ("up"):
 *   pitch = atan2(ay, az)                 rotation about the ear-to-ear axis; + = flexion
 *   roll  = atan2(ax, sqrt(ay^2 + az^2))  elevation of the ear-to-ear axis: left ear up = right
 *                                         ear down = +
 * Supine with the forehead level (face to the ceiling) both are 0. Roll about a vertical axis is
 * invisible to an accelerometer: supine, this "roll" is the head turning (axial rotation);
 * sitting upright it is lateral flexion (PROTOCOL.md section 15.4).
 *
 * The filter: a first-order low-pass on each axis, y += (x - y) / 2^shift per sample, shift
 * chosen by rate so the lag stays near 10 ms: 2 at >= 200 Hz (lag 3 samples = 12 ms at 250 Hz),
 * 1 at >= 100 Hz (1 sample), 0 below (no filtering: one sample is already >= 10 ms). The first
 * good reading seeds it. SETTLING is set for the first rate/2 readings (0.5 s) after a restart
 * (boot, START, SET_RATE) and after a fault.
 */
typedef struct {
    int32_t f[3];          /* filtered accel, raw LSB x 16 */
    uint16_t settle_left;  /* readings still flagged SETTLING */
    uint16_t settle_n;     /* rate / 2 */
    uint8_t shift;
    uint8_t seeded;
} cctf_head_filter_t;

uint8_t cctf_head_filter_shift(uint16_t rate_hz);
/* The lag the filter adds, in microseconds, at this rate: (2^shift - 1) sample periods. */
uint32_t cctf_head_filter_lag_us(uint16_t rate_hz);
void cctf_head_filter_start(cctf_head_filter_t *f, uint16_t rate_hz);
/* One reading (raw LSB; ok = 0: the sensor did not answer) -> pitch, roll and flags. */
void cctf_head_filter_update(cctf_head_filter_t *f, int16_t ax, int16_t ay, int16_t az, int ok,
                             cctf_head_t *out);
/* The unfiltered angles of one accel vector (any scale), in 0.01 degree, rounded. */
void cctf_head_angles(int32_t ax, int32_t ay, int32_t az, int16_t *pitch_centi,
                      int16_t *roll_centi);

#ifdef __cplusplus
}
#endif

#endif /* CCTF_HEAD_H */
