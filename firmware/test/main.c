/* Host tests of the cctf firmware's plain-C modules.
 *   usage: cctf_tests [path/to/vectors.txt]
 * Prints one line per failed check, then "N passed, M failed" (test cases); exit status 1 if any
 * case failed. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"

static int passed, failed, in_case, case_failed;
static char case_name[160];

void case_begin(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(case_name, sizeof case_name, fmt, ap);
    va_end(ap);
    in_case = 1;
    case_failed = 0;
}

void case_end(void)
{
    if (case_failed)
        failed++;
    else
        passed++;
    in_case = 0;
}

void check_failed(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    if (!case_failed)
        fprintf(stderr, "FAIL %s\n", in_case ? case_name : "(outside a case)");
    case_failed = 1;
    if (!in_case)
        failed++;
    fprintf(stderr, "    %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int hex_to_bytes(const char *hex, uint8_t *out, size_t max)
{
    size_t n = 0;
    if (strcmp(hex, "-") == 0)
        return 0;
    while (hex[0] && hex[1]) {
        unsigned v;
        if (n >= max || sscanf(hex, "%2x", &v) != 1)
            return -1;
        out[n++] = (uint8_t)v;
        hex += 2;
    }
    return hex[0] ? -1 : (int)n;
}

void print_hex(FILE *f, const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%02x", b[i]);
}

int main(int argc, char **argv)
{
    const char *vectors = argc > 1 ? argv[1] : "../protocol/vectors.txt";
    test_vectors(vectors);
    test_calibration();
    test_sampling();
    test_device();
    test_fuzz();
    test_head();
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
