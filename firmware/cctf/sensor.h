/*
 * One small interface for the pressure sensor drivers; the one compiled in is chosen in
 * config.h (CCTF_SENSOR_HX710B, otherwise the MPX5010DP).
 *
 *   sensor_mpx5010.cpp  MPX5010DP on ADC0, AVcc reference; raw = sum of 16 conversions
 *                       (0..16368), 1-250 Hz, read when the sampling timer ticks.
 *   sensor_hx710b.cpp   HX710B 24-bit converter + MPS20N0040D gauge, DOUT on D2 and SCK on D3,
 *                       10 or 40 Hz, paced by the converter (read when it has a result).
 */
#ifndef CCTF_SENSOR_H
#define CCTF_SENSOR_H

#include <stdint.h>

#include "config.h"
#include "protocol.h"

/* Datasheet transfer functions as calibration points (what RESET_CAL restores).
 * MPX5010DP: Vout = Vs * (0.09 * P[kPa] + 0.04) -> raw = 655.36 + 1474.56 * P[kPa]; the points
 * are 0 and 60 mmHg (PROTOCOL.md section 8.2): 0.005087 mmHg per count. */
#define CCTF_MPX5010DP_DATASHEET_RAW_A 655
#define CCTF_MPX5010DP_DATASHEET_MMHG_A 0
#define CCTF_MPX5010DP_DATASHEET_RAW_B 12451
#define CCTF_MPX5010DP_DATASHEET_MMHG_B 60002
/* HX710B (gain 128, full scale +-0.5 * AVDD / 128 = +-2^23 counts) with an MPS20N0040D bridge
 * of nominal 15 mV/V over 40 kPa, excited by the same AVDD (ratiometric):
 * 2^31 * 0.375e-3 per kPa = 805306 counts/kPa = 107365 counts/mmHg, so 60 mmHg is 6441921.
 * The bridge's offset is not specified (zero_raw 0): these units need a TARE, and a two-point
 * calibration for any accuracy; the sign depends on which port the cuff is on. */
#define CCTF_HX710B_DATASHEET_RAW_A 0
#define CCTF_HX710B_DATASHEET_MMHG_A 0
#define CCTF_HX710B_DATASHEET_RAW_B 6441921L
#define CCTF_HX710B_DATASHEET_MMHG_B 60000

#define CCTF_MPX5010DP_DEFAULT_RATE_HZ 50   /* any of 1-250 */
#define CCTF_HX710B_DEFAULT_RATE_HZ 40      /* 10 or 40 */

#if defined(CCTF_SENSOR_HX710B)
#define SENSOR_MODEL CCTF_SENSOR_MODEL_HX710B_MPS20N0040D
#define SENSOR_PACED 1               /* the converter's own clock sets the rate */
#define SENSOR_DEFAULT_RATE_HZ CCTF_HX710B_DEFAULT_RATE_HZ
#define SENSOR_DATASHEET_RAW_A CCTF_HX710B_DATASHEET_RAW_A
#define SENSOR_DATASHEET_MMHG_A CCTF_HX710B_DATASHEET_MMHG_A
#define SENSOR_DATASHEET_RAW_B CCTF_HX710B_DATASHEET_RAW_B
#define SENSOR_DATASHEET_MMHG_B CCTF_HX710B_DATASHEET_MMHG_B
#else
#define SENSOR_MODEL CCTF_SENSOR_MODEL_MPX5010DP
#define SENSOR_PACED 0               /* read at every tick of the Timer1 sampling timer */
#define SENSOR_DEFAULT_RATE_HZ CCTF_MPX5010DP_DEFAULT_RATE_HZ
#define SENSOR_DATASHEET_RAW_A CCTF_MPX5010DP_DATASHEET_RAW_A
#define SENSOR_DATASHEET_MMHG_A CCTF_MPX5010DP_DATASHEET_MMHG_A
#define SENSOR_DATASHEET_RAW_B CCTF_MPX5010DP_DATASHEET_RAW_B
#define SENSOR_DATASHEET_MMHG_B CCTF_MPX5010DP_DATASHEET_MMHG_B
#endif

void sensor_begin(void);
/* Whether SET_RATE may choose this rate (1-250 already checked). */
bool sensor_rate_supported(uint16_t rate_hz);
/* Apply a supported rate (the HX710B switches its conversion rate after the next read). */
void sensor_set_rate(uint16_t rate_hz);
/* A result is waiting (paced sensors); always true for the MPX5010DP. */
bool sensor_ready(void);
/* Take one reading: raw in the sensor's units (PROTOCOL.md section 7.3); flags gets
 * CCTF_FLAG_OVER_RANGE and/or CCTF_FLAG_SENSOR_FAULT. */
void sensor_read_raw(int32_t *raw, uint8_t *flags);

#endif /* CCTF_SENSOR_H */
