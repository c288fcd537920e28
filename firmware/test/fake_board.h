/* A board for the host tests: RAM "EEPROM", a captured serial line, and a device on top. */
#ifndef CCTF_FAKE_BOARD_H
#define CCTF_FAKE_BOARD_H

#include <stddef.h>
#include <stdint.h>

#include "../cctf/calibration.h"
#include "../cctf/device.h"
#include "../cctf/protocol.h"

#define FAKE_CAL_ADDR 16
#define FAKE_OUT_MAX 16384

typedef struct {
    uint8_t eeprom[1024];
    int fail_writes;            /* storage writes fail while set */
    int writes;                 /* storage writes done */
    cctf_storage_t storage;

    uint8_t out[FAKE_OUT_MAX];  /* everything the device sent */
    size_t out_n;
    size_t tx_room;             /* reported free transmit space; SIZE_MAX: plenty */
    int only_10_40;             /* behave like the HX710B: SET_RATE 10 or 40 only */
    int set_rate_calls;
    uint16_t last_rate;
    int identify_calls;
    uint8_t peripherals;        /* what "boot" found (head.h CCTF_PERIPHERAL_*); 0: none */
    cctf_device_io_t io;

    cctf_device_t dev;
} fake_board_t;

/* Blank EEPROM, empty line. */
void fake_init(fake_board_t *b);
/* Store a calibration record in the fake EEPROM as the firmware would. */
void fake_store_cal(fake_board_t *b, const cctf_cal_record_t *rec);
/* Load the calibration (MPX5010DP datasheet defaults), set up and boot the device. */
void fake_boot(fake_board_t *b, uint8_t sensor_model, uint16_t default_rate, const char *serial,
               uint8_t reset_cause);
void fake_feed(fake_board_t *b, const uint8_t *data, size_t n);
void fake_feed_hex(fake_board_t *b, const char *hex);
/* Send a command the way a host does: 0x00, COBS(packet), 0x00. */
void fake_command(fake_board_t *b, uint8_t type, uint8_t token, const uint8_t *args, size_t n);
void fake_clear(fake_board_t *b);

/* The frames in the captured output, decoded with the protocol's own receiver. */
typedef struct {
    uint8_t pkt[CCTF_MAX_PACKET_BYTES];
    size_t n;
} fake_frame_t;
size_t fake_frames(const fake_board_t *b, fake_frame_t *frames, size_t max);

extern const cctf_cal_points_t fake_mpx_datasheet;

#endif
