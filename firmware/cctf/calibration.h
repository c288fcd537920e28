/*
 * The calibration record: raw -> pressure conversion, tare, two-point calibration, reset to the
 * datasheet, and EEPROM persistence through a two-function storage interface. Plain C99.
 *
 * Conversion (PROTOCOL.md section 8.1), exact integer arithmetic:
 *   pressure_milli = round((raw - zero_raw) * (mmhg_b - mmhg_a) / (raw_b - raw_a))
 * computed on 64-bit magnitudes, rounded half away from zero, saturated to the int32 range (then
 * OVER_RANGE is set). The result is exact to the nearest 0.001 mmHg; the sensor's own resolution
 * is coarser (MPX5010DP: one count of the 16-read sum = 0.0051 mmHg).
 *
 * Stored image (CCTF_CAL_IMAGE_BYTES = 30 bytes at the address given to cctf_cal_init):
 *   0  'c' 'C'           magic
 *   2  layout version    CCTF_CAL_LAYOUT_VERSION
 *   3  record            25 bytes, the wire layout of PROTOCOL.md section 5.4
 *   28 CRC-16            CRC-16/CCITT-FALSE of bytes 0..27, low byte first
 * A blank (0xFF), corrupt or degenerate image loads as the datasheet record with id 0 and flags
 * NONE, so every sample carries NOT_CALIBRATED.
 */
#ifndef CCTF_CALIBRATION_H
#define CCTF_CALIBRATION_H

#include <stddef.h>
#include <stdint.h>

#include "protocol.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CCTF_CAL_MAGIC0 0x63 /* 'c' */
#define CCTF_CAL_MAGIC1 0x43 /* 'C' */
#define CCTF_CAL_LAYOUT_VERSION 1
#define CCTF_CAL_IMAGE_BYTES (3 + CCTF_CAL_BYTES + 2)

/* Byte storage (EEPROM on the board, RAM in the tests). Both return 0 on success. */
typedef struct {
    int (*read)(void *ctx, uint16_t addr, uint8_t *dst, uint16_t n);
    int (*write)(void *ctx, uint16_t addr, const uint8_t *src, uint16_t n);
    void *ctx;
} cctf_storage_t;

/* The datasheet transfer function of a sensor as two points (what RESET_CAL restores). */
typedef struct {
    int32_t raw_a, mmhg_a, raw_b, mmhg_b;
} cctf_cal_points_t;

typedef struct {
    cctf_cal_record_t rec;            /* the record in use */
    cctf_cal_points_t datasheet;
    const cctf_storage_t *storage;
    uint16_t addr;
} cctf_cal_t;

/* Outcome of cctf_cal_load. */
enum { CCTF_CAL_LOADED = 0, CCTF_CAL_BLANK, CCTF_CAL_CORRUPT, CCTF_CAL_UNREADABLE };

/* Set up with the datasheet record (id 0, flags NONE); nothing is read yet. */
void cctf_cal_init(cctf_cal_t *cal, const cctf_cal_points_t *datasheet,
                   const cctf_storage_t *storage, uint16_t addr);
/* Load the stored record; on anything but CCTF_CAL_LOADED the datasheet record (id 0) is used. */
int cctf_cal_load(cctf_cal_t *cal);

/* The datasheet record with the given id: zero_raw = raw_a, flags NONE. */
void cctf_cal_datasheet_record(const cctf_cal_points_t *p, uint32_t id, cctf_cal_record_t *rec);

/* The next calibration id: +1 modulo 2^32, skipping 0 ("never written"). */
uint32_t cctf_cal_next_id(uint32_t id);

/* raw -> 0.001 mmHg with the record; ORs CCTF_FLAG_OVER_RANGE into *flags when saturated. */
int32_t cctf_cal_pressure(const cctf_cal_record_t *rec, int32_t raw, uint8_t *flags);

/* zero_raw of a two-point calibration: raw_a - round(mmhg_a * (raw_b - raw_a) / (mmhg_b -
 * mmhg_a)). Returns 0, or -1 for degenerate points or a result outside the int32 range. */
int cctf_cal_zero_for_points(int32_t raw_a, int32_t mmhg_a, int32_t raw_b, int32_t mmhg_b,
                             int32_t *zero_raw);

/* Round num/den to the nearest integer, halves away from zero (den != 0). */
int64_t cctf_div_round(int64_t num, int64_t den);

/* The commands. Each returns an ACK status; on CCTF_STATUS_OK the new record (new id) is in use
 * and stored; on any other status nothing changed. */
uint8_t cctf_cal_tare(cctf_cal_t *cal, int32_t zero_raw);                /* OK or FAILED */
uint8_t cctf_cal_set_points(cctf_cal_t *cal, int32_t raw_a, int32_t mmhg_a, int32_t raw_b,
                            int32_t mmhg_b);                            /* OK, BAD_ARGUMENT, FAILED */
uint8_t cctf_cal_reset(cctf_cal_t *cal);                                 /* OK or FAILED */

/* The stored image of a record (exposed for the tests). */
void cctf_cal_image(const cctf_cal_record_t *rec, uint8_t img[CCTF_CAL_IMAGE_BYTES]);

#ifdef __cplusplus
}
#endif

#endif /* CCTF_CALIBRATION_H */
