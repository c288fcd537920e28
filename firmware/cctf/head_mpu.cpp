/* MPU-6050 over a polled, bounded TWI (see head_mpu.h). */
#include <Arduino.h>
#include <avr/io.h>
#include <util/twi.h>

#include "head.h"
#include "head_mpu.h"

/* One TWI step at 400 kHz takes 9 bit times = 22.5 us; allow 16x that (~360 us at 16 MHz,
 * 5 cycles a pass) before calling the bus dead. */
#define TWI_WAIT_LOOPS 1200u
#define TWI_400KHZ_TWBR ((F_CPU / 400000UL - 16UL) / 2UL)  /* 12 at 16 MHz, prescaler 1 */

static uint8_t need_config;

/* Start the operation in TWCR and wait for TWINT; returns the status or 0 on timeout. */
static uint8_t twi_do(uint8_t twcr)
{
    uint16_t n = TWI_WAIT_LOOPS;
    TWCR = twcr;
    while (!(TWCR & _BV(TWINT)))
        if (--n == 0)
            return 0;
    return TW_STATUS;
}

static void twi_stop(void)
{
    uint16_t n = TWI_WAIT_LOOPS;
    TWCR = _BV(TWINT) | _BV(TWEN) | _BV(TWSTO);
    while ((TWCR & _BV(TWSTO)) && --n)
        ;
    if (!n) {  /* the bus is stuck: reset the TWI unit, try again next read */
        TWCR = 0;
        TWCR = _BV(TWEN);
    }
}

/* START + address + register; returns 1 when the slave acknowledged both. */
static uint8_t twi_begin(uint8_t reg)
{
    uint8_t st = twi_do(_BV(TWINT) | _BV(TWSTA) | _BV(TWEN));
    if (st != TW_START && st != TW_REP_START)
        return 0;
    TWDR = (uint8_t)(CCTF_MPU_ADDR << 1) | TW_WRITE;
    if (twi_do(_BV(TWINT) | _BV(TWEN)) != TW_MT_SLA_ACK)
        return 0;
    TWDR = reg;
    return twi_do(_BV(TWINT) | _BV(TWEN)) == TW_MT_DATA_ACK;
}

static uint8_t mpu_write(uint8_t reg, uint8_t value)
{
    uint8_t ok = twi_begin(reg);
    if (ok) {
        TWDR = value;
        ok = twi_do(_BV(TWINT) | _BV(TWEN)) == TW_MT_DATA_ACK;
    }
    twi_stop();
    return ok;
}

static uint8_t mpu_read(uint8_t reg, uint8_t *dst, uint8_t n)
{
    uint8_t ok = twi_begin(reg), i;
    if (ok) {
        ok = twi_do(_BV(TWINT) | _BV(TWSTA) | _BV(TWEN)) == TW_REP_START;
        if (ok) {
            TWDR = (uint8_t)(CCTF_MPU_ADDR << 1) | TW_READ;
            ok = twi_do(_BV(TWINT) | _BV(TWEN)) == TW_MR_SLA_ACK;
        }
        for (i = 0; ok && i < n; i++) {
            uint8_t last = i + 1u == n;
            ok = twi_do(_BV(TWINT) | _BV(TWEN) | (last ? 0 : _BV(TWEA))) ==
                 (last ? TW_MR_DATA_NACK : TW_MR_DATA_ACK);
            dst[i] = TWDR;
        }
    }
    twi_stop();
    return ok;
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
    TWSR = 0;  /* prescaler 1 */
    TWBR = (uint8_t)TWI_400KHZ_TWBR;
    TWCR = _BV(TWEN);
    if (mpu_read(CCTF_MPU_REG_WHO_AM_I, &who, 1) && who == CCTF_MPU_WHO_AM_I && mpu_config()) {
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
    if (!mpu_read(CCTF_MPU_REG_ACCEL_XOUT_H, b, 6)) {
        need_config = 1;
        return;
    }
    a->x = (int16_t)((uint16_t)b[0] << 8 | b[1]);
    a->y = (int16_t)((uint16_t)b[2] << 8 | b[3]);
    a->z = (int16_t)((uint16_t)b[4] << 8 | b[5]);
    a->ok = 1;
}
