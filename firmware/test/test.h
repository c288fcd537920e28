/* A tiny test harness for the firmware's host tests: cases, checks, a summary line. */
#ifndef CCTF_TEST_H
#define CCTF_TEST_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

void case_begin(const char *fmt, ...);
void case_end(void);
void check_failed(const char *file, int line, const char *fmt, ...);
int hex_to_bytes(const char *hex, uint8_t *out, size_t max);  /* "-" = 0 bytes; -1 on error */
void print_hex(FILE *f, const uint8_t *b, size_t n);

#define CHECK(cond)                                                    \
    do {                                                               \
        if (!(cond))                                                   \
            check_failed(__FILE__, __LINE__, "CHECK(%s)", #cond);      \
    } while (0)

#define CHECK_INT(a, b)                                                                  \
    do {                                                                                 \
        long long a_ = (long long)(a), b_ = (long long)(b);                              \
        if (a_ != b_)                                                                    \
            check_failed(__FILE__, __LINE__, "%s == %s: %lld != %lld", #a, #b, a_, b_); \
    } while (0)

#define CHECK_BYTES(got, got_n, want, want_n)                                          \
    do {                                                                               \
        if ((size_t)(got_n) != (size_t)(want_n) ||                                     \
            memcmp((got), (want), (size_t)(want_n)) != 0) {                            \
            check_failed(__FILE__, __LINE__, "bytes %s differ from %s", #got, #want);  \
            fprintf(stderr, "      got  ");                                            \
            print_hex(stderr, (got), (got_n));                                         \
            fprintf(stderr, "\n      want ");                                          \
            print_hex(stderr, (want), (want_n));                                       \
            fprintf(stderr, "\n");                                                     \
        }                                                                              \
    } while (0)

/* Each suite runs its own cases. */
void test_vectors(const char *path);
void test_calibration(void);
void test_sampling(void);
void test_device(void);
void test_fuzz(void);
void test_head(void);

#endif
