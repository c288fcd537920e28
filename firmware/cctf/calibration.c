/* The calibration record and its persistence (see calibration.h). Plain C99. */
#include "calibration.h"

#include <string.h>

static uint64_t magnitude(int64_t v)
{
    return v < 0 ? (uint64_t)(-(v + 1)) + 1u : (uint64_t)v;
}

/* round(num/den) for magnitudes, halves up; den != 0. */
static uint64_t udiv_round(uint64_t num, uint64_t den)
{
    uint64_t q, r;
    if ((num >> 32) == 0 && (den >> 32) == 0) {
        /* the usual case (MPX5010DP: |raw - zero| * |mmhg_b - mmhg_a| < 2^32): 32-bit
         * division is several times faster on the AVR */
        uint32_t n32 = (uint32_t)num, d32 = (uint32_t)den;
        uint32_t q32 = n32 / d32;
        uint32_t r32 = n32 - q32 * d32;
        return q32 + (r32 >= d32 - r32 ? 1u : 0u);
    }
    q = num / den;
    r = num - q * den;
    return q + (r >= den - r ? 1u : 0u);
}

int64_t cctf_div_round(int64_t num, int64_t den)
{
    uint64_t q = udiv_round(magnitude(num), magnitude(den));
    return ((num < 0) != (den < 0)) ? -(int64_t)q : (int64_t)q;
}

uint32_t cctf_cal_next_id(uint32_t id)
{
    id++;
    return id ? id : 1u;
}

void cctf_cal_datasheet_record(const cctf_cal_points_t *p, uint32_t id, cctf_cal_record_t *rec)
{
    rec->id = id;
    rec->raw_a = p->raw_a;
    rec->mmhg_a = p->mmhg_a;
    rec->raw_b = p->raw_b;
    rec->mmhg_b = p->mmhg_b;
    rec->zero_raw = p->raw_a;
    rec->flags = CCTF_CALFLAG_NONE;
}

int32_t cctf_cal_pressure(const cctf_cal_record_t *rec, int32_t raw, uint8_t *flags)
{
    int64_t d = (int64_t)raw - rec->zero_raw;
    int64_t dm = (int64_t)rec->mmhg_b - rec->mmhg_a;
    int64_t dr = (int64_t)rec->raw_b - rec->raw_a;
    uint64_t q;
    int negative;
    if (dr == 0) {            /* cannot happen with a loaded or computed record */
        *flags |= CCTF_FLAG_OVER_RANGE;
        return 0;
    }
    /* |d| and |dm| are below 2^32, so their product fits in 64 bits */
    q = udiv_round(magnitude(d) * magnitude(dm), magnitude(dr));
    negative = (d < 0) ^ (dm < 0) ^ (dr < 0);
    if (q == 0)
        return 0;
    if (negative) {
        if (q > 0x80000000u) {
            *flags |= CCTF_FLAG_OVER_RANGE;
            return INT32_MIN;
        }
        return (int32_t)(-(int64_t)q);
    }
    if (q > 0x7FFFFFFFu) {
        *flags |= CCTF_FLAG_OVER_RANGE;
        return INT32_MAX;
    }
    return (int32_t)q;
}

int cctf_cal_zero_for_points(int32_t raw_a, int32_t mmhg_a, int32_t raw_b, int32_t mmhg_b,
                             int32_t *zero_raw)
{
    int64_t dr = (int64_t)raw_b - raw_a;
    int64_t dm = (int64_t)mmhg_b - mmhg_a;
    int64_t zero;
    if (dr == 0 || dm == 0)
        return -1;
    /* |mmhg_a| <= 2^31 and |dr| < 2^32: the product fits in int64 */
    zero = (int64_t)raw_a - cctf_div_round((int64_t)mmhg_a * dr, dm);
    if (zero < INT32_MIN || zero > INT32_MAX)
        return -1;
    *zero_raw = (int32_t)zero;
    return 0;
}

/* --- persistence -------------------------------------------------------------------------- */

void cctf_cal_image(const cctf_cal_record_t *rec, uint8_t img[CCTF_CAL_IMAGE_BYTES])
{
    img[0] = CCTF_CAL_MAGIC0;
    img[1] = CCTF_CAL_MAGIC1;
    img[2] = CCTF_CAL_LAYOUT_VERSION;
    cctf_put_cal_record(img + 3, rec);
    cctf_put_u16(img + 3 + CCTF_CAL_BYTES, cctf_crc16(img, 3 + CCTF_CAL_BYTES));
}

void cctf_cal_init(cctf_cal_t *cal, const cctf_cal_points_t *datasheet,
                   const cctf_storage_t *storage, uint16_t addr)
{
    cal->datasheet = *datasheet;
    cal->storage = storage;
    cal->addr = addr;
    cctf_cal_datasheet_record(datasheet, 0, &cal->rec);
}

int cctf_cal_load(cctf_cal_t *cal)
{
    uint8_t img[CCTF_CAL_IMAGE_BYTES];
    cctf_cal_record_t rec;
    int blank = 1;
    cctf_cal_datasheet_record(&cal->datasheet, 0, &cal->rec);
    if (!cal->storage || cal->storage->read(cal->storage->ctx, cal->addr, img, sizeof img) != 0)
        return CCTF_CAL_UNREADABLE;
    for (size_t i = 0; i < sizeof img; i++)
        if (img[i] != 0xFF)
            blank = 0;
    if (blank)
        return CCTF_CAL_BLANK;
    if (img[0] != CCTF_CAL_MAGIC0 || img[1] != CCTF_CAL_MAGIC1 ||
        img[2] != CCTF_CAL_LAYOUT_VERSION ||
        cctf_get_u16(img + 3 + CCTF_CAL_BYTES) != cctf_crc16(img, 3 + CCTF_CAL_BYTES))
        return CCTF_CAL_CORRUPT;
    cctf_get_cal_record(img + 3, &rec);
    if (rec.raw_a == rec.raw_b || rec.mmhg_a == rec.mmhg_b || rec.id == 0)
        return CCTF_CAL_CORRUPT;  /* a checksummed record this firmware never writes */
    cal->rec = rec;
    return CCTF_CAL_LOADED;
}

/* Give rec the next id, store it, and use it; nothing changes if the write fails. */
static uint8_t commit(cctf_cal_t *cal, cctf_cal_record_t *rec)
{
    uint8_t img[CCTF_CAL_IMAGE_BYTES];
    rec->id = cctf_cal_next_id(cal->rec.id);
    cctf_cal_image(rec, img);
    if (!cal->storage || cal->storage->write(cal->storage->ctx, cal->addr, img, sizeof img) != 0)
        return CCTF_STATUS_FAILED;
    cal->rec = *rec;
    return CCTF_STATUS_OK;
}

uint8_t cctf_cal_tare(cctf_cal_t *cal, int32_t zero_raw)
{
    cctf_cal_record_t rec = cal->rec;
    rec.zero_raw = zero_raw;
    rec.flags |= CCTF_CALFLAG_TARED;
    return commit(cal, &rec);
}

uint8_t cctf_cal_set_points(cctf_cal_t *cal, int32_t raw_a, int32_t mmhg_a, int32_t raw_b,
                            int32_t mmhg_b)
{
    cctf_cal_record_t rec;
    if (cctf_cal_zero_for_points(raw_a, mmhg_a, raw_b, mmhg_b, &rec.zero_raw) != 0)
        return CCTF_STATUS_BAD_ARGUMENT;
    rec.raw_a = raw_a;
    rec.mmhg_a = mmhg_a;
    rec.raw_b = raw_b;
    rec.mmhg_b = mmhg_b;
    rec.flags = CCTF_CALFLAG_TWO_POINT;
    return commit(cal, &rec);
}

uint8_t cctf_cal_reset(cctf_cal_t *cal)
{
    cctf_cal_record_t rec;
    cctf_cal_datasheet_record(&cal->datasheet, 0, &rec);
    return commit(cal, &rec);
}
