/*
 * cctf wire protocol, version 1: constants, CRC-16, COBS, frame builders and parsers, and the
 * receive state machine. Plain C99, no Arduino or AVR headers, so the host tests compile it too.
 *
 * The specification is firmware/PROTOCOL.md; firmware/protocol/vectors.txt pins every byte.
 * The constants below must equal cctf/acquisition/protocol.py (tests/test_firmware.py checks
 * every CCTF_ define in this file against it).
 */
#ifndef CCTF_PROTOCOL_H
#define CCTF_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* --- constants (checked against cctf.acquisition.protocol) ------------------------------- */

#define CCTF_PROTOCOL_VERSION 1
#define CCTF_BAUD_RATE 115200UL
#define CCTF_MAX_PACKET_BYTES 64   /* type + body + CRC */
#define CCTF_MAX_ENCODED_BYTES 66  /* a frame on the wire: COBS(64-byte packet) + delimiter */
#define CCTF_PRESSURE_SCALE 1000   /* pressures travel in 0.001 mmHg */
#define CCTF_MIN_RATE_HZ 1
#define CCTF_MAX_RATE_HZ 250
#define CCTF_SAMPLE_BODY_BYTES 17
#define CCTF_HELLO_BODY_BYTES 25
#define CCTF_CAL_BYTES 25          /* calibration record (ACK data) */
#define CCTF_SAMPLE_WIRE_BYTES 22  /* one SAMPLE on the wire, delimiter included */
/* the head-motion extension (section 15): HEAD frames, the HELLO's peripherals byte */
#define CCTF_HEAD_BODY_BYTES 9     /* seq, pitch, roll, flags */
#define CCTF_HELLO_P_BODY_BYTES 26 /* HELLO + peripherals */
#define CCTF_ANGLE_SCALE 100       /* angles travel in 0.01 degree */

/* Frame types (PROTOCOL.md section 4). Below 0x20: device to host; from 0x20: commands. */
#define CCTF_TYPE_SAMPLE 0x01
#define CCTF_TYPE_HELLO 0x02
#define CCTF_TYPE_ACK 0x03
#define CCTF_TYPE_HEAD 0x04
#define CCTF_TYPE_START 0x20
#define CCTF_TYPE_STOP 0x21
#define CCTF_TYPE_SET_RATE 0x22
#define CCTF_TYPE_TARE 0x23
#define CCTF_TYPE_GET_CAL 0x24
#define CCTF_TYPE_SET_CAL 0x25
#define CCTF_TYPE_IDENTIFY 0x26
#define CCTF_TYPE_RESET_CAL 0x27

/* SAMPLE flags (section 7.1). */
#define CCTF_FLAG_NONE 0x00
#define CCTF_FLAG_OVER_RANGE 0x01
#define CCTF_FLAG_SENSOR_FAULT 0x02
#define CCTF_FLAG_NOT_CALIBRATED 0x04

/* HEAD flags and HELLO peripherals bits (section 15). */
#define CCTF_HEADFLAG_NONE 0x00
#define CCTF_HEADFLAG_FAULT 0x01     /* the sensor did not answer this read: angles meaningless */
#define CCTF_HEADFLAG_SETTLING 0x02  /* the filter has not converged since boot/START (0.5 s) */
#define CCTF_PERIPHERAL_NONE 0x00
#define CCTF_PERIPHERAL_HEAD_SENSOR 0x01

/* ACK status (section 7.2). */
#define CCTF_STATUS_OK 0
#define CCTF_STATUS_UNKNOWN_COMMAND 1
#define CCTF_STATUS_BAD_LENGTH 2
#define CCTF_STATUS_BAD_ARGUMENT 3
#define CCTF_STATUS_FAILED 4
#define CCTF_STATUS_NOT_SUPPORTED 5

/* Sensor models (section 7.3). */
#define CCTF_SENSOR_MODEL_UNKNOWN 0
#define CCTF_SENSOR_MODEL_MPX5010DP 1
#define CCTF_SENSOR_MODEL_HX710B_MPS20N0040D 2
#define CCTF_SENSOR_MODEL_SIMULATOR 0x80

/* Reset causes (section 7.4). */
#define CCTF_RESET_REQUEST 0
#define CCTF_RESET_POWER_ON 1
#define CCTF_RESET_EXTERNAL 2
#define CCTF_RESET_WATCHDOG 3
#define CCTF_RESET_BROWN_OUT 4

/* Calibration record flags (section 7.5). */
#define CCTF_CALFLAG_NONE 0x00
#define CCTF_CALFLAG_TWO_POINT 0x01
#define CCTF_CALFLAG_TARED 0x02

/* --- C-only sizes ------------------------------------------------------------------------- */

#define CCTF_RX_BUF_BYTES 65    /* longest valid frame before its delimiter (section 3.4) */
#define CCTF_HELLO_PACKET_BYTES (1 + CCTF_HELLO_BODY_BYTES + 2)     /* 28 */
#define CCTF_ACK_MAX_PACKET_BYTES (1 + 3 + CCTF_CAL_BYTES + 2)      /* 31: ACK with a record */
#define CCTF_SERIAL_BYTES 8
#define CCTF_HEAD_PACKET_BYTES (1 + CCTF_HEAD_BODY_BYTES + 2)        /* 12 */
#define CCTF_HEAD_WIRE_BYTES 14   /* COBS(12-byte packet) + delimiter; 15 with the leading 00 */
#define CCTF_HELLO_P_PACKET_BYTES (1 + CCTF_HELLO_P_BODY_BYTES + 2)  /* 29 */

/* --- CRC-16/CCITT-FALSE and COBS ---------------------------------------------------------- */

uint16_t cctf_crc16_update(uint16_t crc, uint8_t byte);
/* CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection): "123456789" -> 0x29B1. */
uint16_t cctf_crc16(const uint8_t *data, size_t n);

/* Encode in[0..n-1] into out (at most n + n/254 + 1 bytes, no 0x00); returns the length.
 * The 0x00 delimiter is not appended. */
size_t cctf_cobs_encode(const uint8_t *in, size_t n, uint8_t *out);
/* Decode in[0..n-1] (the bytes between two delimiters) into out, which may be in itself
 * (decoding in place is safe: the output never overtakes the input). Returns the decoded length,
 * or -1 if the input is not valid COBS or would decode to more than out_max bytes. */
int cctf_cobs_decode(const uint8_t *in, size_t n, uint8_t *out, size_t out_max);

/* --- little-endian helpers ---------------------------------------------------------------- */

void cctf_put_u16(uint8_t *p, uint16_t v);
void cctf_put_u32(uint8_t *p, uint32_t v);
uint16_t cctf_get_u16(const uint8_t *p);
uint32_t cctf_get_u32(const uint8_t *p);
int32_t cctf_get_i32(const uint8_t *p);

/* --- frames ------------------------------------------------------------------------------- */

/* The calibration record (section 5.4): 25 bytes on the wire. */
typedef struct {
    uint32_t id;
    int32_t raw_a;
    int32_t mmhg_a;    /* 0.001 mmHg */
    int32_t raw_b;
    int32_t mmhg_b;    /* 0.001 mmHg */
    int32_t zero_raw;
    uint8_t flags;     /* CCTF_CALFLAG_* */
} cctf_cal_record_t;

typedef struct {
    uint32_t seq;
    uint32_t t_us;
    int32_t raw;
    int32_t pressure;  /* 0.001 mmHg */
    uint8_t flags;     /* CCTF_FLAG_* */
} cctf_sample_t;

typedef struct {
    uint8_t protocol_version;
    uint8_t fw_major, fw_minor, fw_patch;
    uint8_t sensor_model;
    uint16_t rate_hz;
    uint32_t calibration_id;
    uint8_t serial[CCTF_SERIAL_BYTES];
    uint32_t next_seq;
    uint8_t reset_cause;
    uint8_t streaming;
    uint8_t peripherals;  /* head.h: CCTF_PERIPHERAL_*; 0 when parsed from a 25-byte body */
} cctf_hello_t;

typedef struct {
    uint8_t command;
    uint8_t token;
    uint8_t status;
    const uint8_t *data;  /* points into the packet it was parsed from */
    size_t data_len;
} cctf_ack_t;

void cctf_put_cal_record(uint8_t *out, const cctf_cal_record_t *rec);     /* 25 bytes */
void cctf_get_cal_record(const uint8_t *in, cctf_cal_record_t *rec);

/* Packet builders: write type | body | CRC into pkt and return the packet length. */
size_t cctf_build_sample(uint8_t *pkt, const cctf_sample_t *s);             /* 20 bytes */
size_t cctf_build_hello(uint8_t *pkt, const cctf_hello_t *h);               /* 28 bytes */
/* The HELLO with the peripherals byte appended (section 14; what the device sends). */
size_t cctf_build_hello_p(uint8_t *pkt, const cctf_hello_t *h);             /* 29 bytes */
/* ACK with d bytes of data (d <= 58; data may be NULL when d == 0). */
size_t cctf_build_ack(uint8_t *pkt, uint8_t command, uint8_t token, uint8_t status,
                      const uint8_t *data, size_t d);
/* Command packet (the host side; used by the tests): type | token | args | CRC. */
size_t cctf_build_command(uint8_t *pkt, uint8_t type, uint8_t token, const uint8_t *args,
                          size_t n_args);
/* Append the CRC of pkt[0..n-1] at pkt[n], low byte first; returns n + 2. */
size_t cctf_packet_finish(uint8_t *pkt, size_t n);
/* COBS-encode a packet and append the 0x00 delimiter: the exact wire bytes. wire must hold
 * n + n/254 + 2 bytes (CCTF_MAX_ENCODED_BYTES for any valid packet). Returns the length. */
size_t cctf_frame_encode(const uint8_t *pkt, size_t n, uint8_t *wire);

/* --- receiving ---------------------------------------------------------------------------- */

/* Why a frame was dropped (the receiver's last verdict; CCTF_RX_OK for a good packet). */
enum {
    CCTF_RX_OK = 0,
    CCTF_RX_COBS,       /* malformed COBS */
    CCTF_RX_SHORT,      /* packet under 3 bytes */
    CCTF_RX_LONG,       /* packet over 64 bytes, or frame over 65 bytes before its delimiter */
    CCTF_RX_CRC         /* CRC mismatch */
};

/* COBS-decode and check one frame (without its delimiter) into pkt (at least n bytes; pkt may be
 * enc). Returns the packet length (3..64) or -CCTF_RX_* on failure. */
int cctf_unpack_frame(const uint8_t *enc, size_t n, uint8_t *pkt);

/* The receiver of section 3.4, one byte at a time. */
typedef struct {
    uint8_t buf[CCTF_RX_BUF_BYTES]; /* the frame being collected; a good packet is decoded here */
    uint8_t len;                    /* bytes collected since the last delimiter */
    uint8_t synced;                 /* a 0x00 has been seen since reset */
    uint8_t overflow;               /* the current frame ran past CCTF_RX_BUF_BYTES */
    uint8_t last_error;             /* CCTF_RX_* verdict on the last non-empty frame */
    uint16_t dropped;               /* frames dropped (COBS, length, CRC, over-long), wraps */
} cctf_rx_t;

void cctf_rx_reset(cctf_rx_t *rx);  /* unsynchronised, as after boot */
/* Feed one byte. Returns the length of a CRC-checked packet now in rx->buf (valid until the next
 * call), or 0. Bytes before the first 0x00 since reset are discarded. */
size_t cctf_rx_feed(cctf_rx_t *rx, uint8_t byte);

/* Body-length rules of a CRC-valid packet, as a receiver applies them (section 3.4 step 5). */
enum {
    CCTF_PKT_VALID = 0,   /* a known type with an allowed body length */
    CCTF_PKT_LENGTH,      /* known type, body length not allowed (or a command without token) */
    CCTF_PKT_UNKNOWN      /* a type version 1 does not define: ignore (not corrupt) */
};
int cctf_packet_check(const uint8_t *pkt, size_t n);

/* Parsers of device-to-host packets (host side; the tests use them). 0 on success, -1 if the
 * packet's type or body length is wrong. */
int cctf_parse_sample(const uint8_t *pkt, size_t n, cctf_sample_t *s);
int cctf_parse_hello(const uint8_t *pkt, size_t n, cctf_hello_t *h);
int cctf_parse_ack(const uint8_t *pkt, size_t n, cctf_ack_t *a);

/* --- commands (device side) --------------------------------------------------------------- */

typedef struct {
    uint8_t type;
    uint8_t token;
    uint8_t status;   /* CCTF_STATUS_OK: execute; otherwise answer with this status, no effect */
    uint16_t rate_hz;                          /* SET_RATE */
    int32_t raw_a, mmhg_a, raw_b, mmhg_b;      /* SET_CAL */
} cctf_command_t;

/* Interpret a CRC-checked packet received by the device (sections 6 and 9.3). Returns 0 if the
 * packet must be ignored (a device-to-host type, or no token), 1 if it must be answered: then
 * cmd->status is CCTF_STATUS_OK with the arguments parsed, or UNKNOWN_COMMAND (undefined type),
 * BAD_LENGTH (wrong argument length) or BAD_ARGUMENT (rate outside 1-250, SET_CAL with equal raws
 * or equal pressures). NOT_SUPPORTED and FAILED are for the caller to decide. */
int cctf_parse_command(const uint8_t *pkt, size_t n, cctf_command_t *cmd);

#ifdef __cplusplus
}
#endif

#endif /* CCTF_PROTOCOL_H */
