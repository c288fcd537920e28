#!/usr/bin/env bash
# Build and run the firmware's host tests with the host C compiler (no AVR toolchain needed).
#   firmware/test/run.sh            -> last line "N passed, M failed"; exit status 1 on failure
# CC (default cc) and CFLAGS may be set; AddressSanitizer and UBSan are used when available.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
src="$here/../cctf"
cc="${CC:-cc}"
command -v "$cc" >/dev/null 2>&1 || { echo "run.sh: no C compiler '$cc' (apt-get install gcc)" >&2; exit 2; }

out="$(mktemp -d "${TMPDIR:-/tmp}/cctf-fw-test.XXXXXX")"
trap 'rm -rf "$out"' EXIT

warn=(-std=c99 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Wpedantic -Wshadow -Wconversion
      -Wno-sign-conversion -Werror)
flags=(-O1 -g)
if echo 'int main(void){return 0;}' | "$cc" -x c - -fsanitize=address,undefined \
     -o "$out/probe" >/dev/null 2>&1 && "$out/probe"; then
  flags+=(-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
fi

# The firmware modules under test are held to the strict warnings; the tests to the usual ones.
objs=()
for f in protocol calibration sampling device head; do
  "$cc" "${warn[@]}" "${flags[@]}" ${CFLAGS:-} -c "$src/$f.c" -o "$out/$f.o"
  objs+=("$out/$f.o")
done
"$cc" -std=gnu11 -Wall -Wextra -Werror -Wno-overlength-strings "${flags[@]}" ${CFLAGS:-} \
  -o "$out/cctf_tests" "$here"/*.c "${objs[@]}" -lm

"$out/cctf_tests" "$here/../protocol/vectors.txt"
