/*
 * Build-time configuration of the cctf firmware: sensor, pins, firmware version, serial number,
 * EEPROM layout. Everything here can be overridden with -D flags (build.sh passes them); in the
 * Arduino IDE, edit this file.
 */
#ifndef CCTF_CONFIG_H
#define CCTF_CONFIG_H

/* --- sensor ------------------------------------------------------------------------------- */
/* Default: NXP MPX5010DP (analog, 0-10 kPa) on ADC0 (pin A0), AVcc (5 V) reference.
 * For an HX710B module with an MPS20N0040D gauge, uncomment the next line (or build with
 * -DCCTF_SENSOR_HX710B; build.sh --sensor hx710b). */
/* #define CCTF_SENSOR_HX710B */

#define CCTF_MPX_ADC_PIN 0           /* analog channel: A0 */
#define CCTF_HX710B_DOUT_PIN 2       /* HX710B DOUT (data ready / data) -> D2 */
#define CCTF_HX710B_SCK_PIN 3        /* HX710B SCK (clock) -> D3 */
#define CCTF_LED_PIN LED_BUILTIN     /* D13 on the Uno and the Nano */

/* --- optional head sensor (MPU-6050 / GY-521 on A4 = SDA, A5 = SCL) ------------------------ */
/* Detected at boot; nothing to configure. The I2C clock: 400 kHz (fast mode) needs a short
 * cable (hardware/head-sensor.md); 100000UL tolerates ~4x the bus capacitance, but a read then
 * takes ~0.9 ms and a 250-Hz tick (4 ms) has no margin left: use 200 Hz or less with it. */
#ifndef CCTF_HEAD_I2C_HZ
#define CCTF_HEAD_I2C_HZ 400000UL
#endif

/* --- firmware ----------------------------------------------------------------------------- */
#define CCTF_FW_MAJOR 1
#define CCTF_FW_MINOR 0
#define CCTF_FW_PATCH 0

#define CCTF_IDENTIFY_BLINK_MS 1600  /* IDENTIFY blinks the LED this long (5 Hz) */

/* --- serial number ------------------------------------------------------------------------ */
/* 8 bytes at EEPROM address 0. A blank EEPROM (all 0xFF) gets CCTF_SERIAL, padded with 0x00.
 * With CCTF_SERIAL_FORCE=1 the firmware writes CCTF_SERIAL at every boot if the stored one
 * differs: build once that way to give a unit its serial (build.sh --serial CCTF0042), then
 * flash a normal build, which keeps it. */
#ifndef CCTF_SERIAL
#define CCTF_SERIAL "CCTF0001"
#endif
#ifndef CCTF_SERIAL_FORCE
#define CCTF_SERIAL_FORCE 0
#endif

/* --- EEPROM layout (1024 bytes on the ATmega328P) ----------------------------------------- */
#define CCTF_EEPROM_SERIAL_ADDR 0    /* 8 bytes */
#define CCTF_EEPROM_CAL_ADDR 16      /* CCTF_CAL_IMAGE_BYTES = 30 bytes, see calibration.h */

#endif /* CCTF_CONFIG_H */
