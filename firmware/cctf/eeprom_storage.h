/*
 * The EEPROM behind the calibration's storage interface, and the serial number.
 *
 * Writes do not block the sampling loop: eeprom_storage.write() queues the bytes (up to one
 * calibration image) and eeprom_storage_poll(), called from loop(), starts one byte write
 * whenever the EEPROM is ready (3.4 ms per byte; bytes that already hold the value are skipped).
 * A 30-byte calibration image is on the chip within about 0.1 s. A read, or a second write
 * while one is queued, first finishes the queued one.
 */
#ifndef CCTF_EEPROM_STORAGE_H
#define CCTF_EEPROM_STORAGE_H

#include <stdint.h>

#include "calibration.h"

extern const cctf_storage_t eeprom_storage;

void eeprom_storage_poll(void);
void eeprom_storage_flush(void);

/* The unit's serial number (config.h: CCTF_SERIAL, CCTF_SERIAL_FORCE). */
void eeprom_storage_serial(uint8_t serial[CCTF_SERIAL_BYTES]);

#endif /* CCTF_EEPROM_STORAGE_H */
