/*
 * MPU-6050 over the TWI (see head_mpu.h). Interrupt-driven, one register transaction at a time:
 * loop() starts it and waits for the TWI interrupt to finish it, at most HEAD_TWI_TIMEOUT_US;
 * past that the TWI unit is reset and the read counts as failed. (Polling TWINT would be
 * simpler, but simavr 1.6 keeps TWINT set once raised, so only the interrupt path runs the
 * same under the simulator as on the chip.)
 */
#include <Arduino.h>
#include <avr/interrupt.h>
#include <avr/io.h>
#include <util/twi.h>

#include "config.h"
#include "head.h"
#include "head_mpu.h"

/* A 6-byte read is ~90 bit times (225 us at 400 kHz); 400 bit times (1 ms at 400 kHz) means
 * the bus is dead. */
#define HEAD_TWI_TIMEOUT_US ((uint32_t)(400000000UL / CCTF_HEAD_I2C_HZ))
#define HEAD_TWBR ((F_CPU / CCTF_HEAD_I2C_HZ - 16UL) / 2UL)  /* 12 at 400 kHz, prescaler 1 */
#define TWCR_GO (_BV(TWINT) | _BV(TWEN) | _BV(TWIE))

enum { TWI_BUSY, TWI_DONE, TWI_ERROR };
enum { PH_ADDR_W, PH_REG, PH_VALUE, PH_ADDR_R, PH_DATA };

static volatile uint8_t twi_result;
static uint8_t twi_phase, twi_reg, twi_value, twi_n, twi_i;
static uint8_t *twi_buf;  /* NULL: a write of twi_value */
static uint8_t need_config;

static void twi_finish(uint8_t result)
{
    TWCR = _BV(TWINT) | _BV(TWEN) | _BV(TWSTO);  /* STOP; the interrupt off */
    twi_result = result;
}

ISR(TWI_vect)
{
    switch (TW_STATUS) {
    case TW_START:
        TWDR = (uint8_t)(CCTF_MPU_ADDR << 1) | TW_WRITE;
        twi_phase = PH_ADDR_W;
        TWCR = TWCR_GO;
        break;
    case TW_REP_START:
        TWDR = (uint8_t)(CCTF_MPU_ADDR << 1) | TW_READ;
        twi_phase = PH_ADDR_R;
        TWCR = TWCR_GO;
        break;
    case TW_MT_SLA_ACK:
    case TW_MT_DATA_ACK:  /* (simavr 1.6 reports an acknowledged SLA+W as a data ACK) */
        if (twi_phase == PH_ADDR_W) {
            TWDR = twi_reg;
            twi_phase = PH_REG;
            TWCR = TWCR_GO;
        } else if (twi_phase == PH_REG && !twi_buf) {
            TWDR = twi_value;
            twi_phase = PH_VALUE;
            TWCR = TWCR_GO;
        } else if (twi_phase == PH_REG) {
            TWCR = TWCR_GO | _BV(TWSTA);  /* repeated START, then read */
        } else {
            twi_finish(TWI_DONE);
        }
        break;
    case TW_MR_SLA_ACK:
        twi_phase = PH_DATA;
        TWCR = TWCR_GO | (twi_n > 1 ? _BV(TWEA) : 0);
        break;
    case TW_MR_DATA_ACK:
        twi_buf[twi_i++] = TWDR;
        TWCR = TWCR_GO | (twi_i + 1u < twi_n ? _BV(TWEA) : 0);
        break;
    case TW_MR_DATA_NACK:  /* the last byte */
        twi_buf[twi_i++] = TWDR;
        twi_finish(twi_i == twi_n ? TWI_DONE : TWI_ERROR);
        break;
    default:  /* address or data not acknowledged, arbitration lost, bus error */
        twi_finish(TWI_ERROR);
        break;
    }
}

/* One transaction, bounded: 1 when it completed. */
static uint8_t twi_run(uint8_t reg, uint8_t *buf, uint8_t n, uint8_t value)
{
    uint32_t t0;
    twi_reg = reg;
    twi_buf = buf;
    twi_n = n;
    twi_i = 0;
    twi_value = value;
    twi_result = TWI_BUSY;
    TWCR = TWCR_GO | _BV(TWSTA);
    t0 = micros();
    while (twi_result == TWI_BUSY)
        if ((uint32_t)(micros() - t0) > HEAD_TWI_TIMEOUT_US) {
            TWCR = 0;  /* reset the unit: a stuck transaction ends here */
            TWCR = _BV(TWEN);
            return 0;
        }
    t0 = micros();
    while ((TWCR & _BV(TWSTO)) && (uint32_t)(micros() - t0) < 100u)
        ;  /* the STOP goes out in a few us */
    return twi_result == TWI_DONE;
}

static uint8_t mpu_write(uint8_t reg, uint8_t value)
{
    return twi_run(reg, 0, 0, value);
}

static uint8_t mpu_config(void)
{
    return mpu_write(CCTF_MPU_REG_PWR_MGMT_1, 0x01) &&       /* awake, PLL on the X gyro */
           mpu_write(CCTF_MPU_REG_SMPLRT_DIV, 0x00) &&       /* 1 kHz with the low-pass on */
           mpu_write(CCTF_MPU_REG_CONFIG, CCTF_MPU_DLPF_CFG) &&
           mpu_write(CCTF_MPU_REG_ACCEL_CONFIG, 0x00);       /* +-2 g: 16384 LSB/g */
}

uint8_t head_mpu_begin(void)
{
    uint8_t who = 0;
    /* No internal pull-ups: the GY-521's own (to its 3.3 V) pull the lines up. */
    TWAR = 0;  /* master only (simavr 1.6 takes a non-zero TWAR for slave mode) */
    TWSR = 0;  /* prescaler 1 */
    TWBR = (uint8_t)HEAD_TWBR;
    TWCR = _BV(TWEN);
    if (twi_run(CCTF_MPU_REG_WHO_AM_I, &who, 1, 0) && who == CCTF_MPU_WHO_AM_I &&
        mpu_config()) {
        need_config = 0;
        return 1;
    }
    TWCR = 0;  /* not fitted: leave A4/A5 alone */
    return 0;
}

void head_mpu_read(cctf_accel_t *a)
{
    uint8_t b[6];
    a->ok = 0;
    if (need_config && !mpu_config())
        return;
    need_config = 0;
    if (!twi_run(CCTF_MPU_REG_ACCEL_XOUT_H, b, 6, 0)) {
        need_config = 1;  /* it may have been power-cycled: it wakes up asleep */
        return;
    }
    a->x = (int16_t)((uint16_t)b[0] << 8 | b[1]);
    a->y = (int16_t)((uint16_t)b[2] << 8 | b[3]);
    a->z = (int16_t)((uint16_t)b[4] << 8 | b[5]);
    a->ok = 1;
}
