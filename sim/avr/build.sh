#!/usr/bin/env bash
# Build the firmware-in-the-loop runner: sim/avr/build/cctf-avr-runner (needs gcc, pkg-config,
# and the Debian packages libsimavr-dev and libelf-dev).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${CCTF_AVR_BUILD_DIR:-$here/build}"
mkdir -p "$out"
cc="${CC:-gcc}"
if pkg-config --exists simavr 2>/dev/null; then
  flags="$(pkg-config --cflags --libs simavr)"
else
  flags="-I/usr/include/simavr -lsimavr"
fi
# simavr's headers include each other as "sim_avr.h"; the runner includes <simavr/...>.
# shellcheck disable=SC2086
"$cc" -std=gnu11 -O2 -g -Wall -Wextra -Wno-unused-parameter -o "$out/cctf-avr-runner.tmp" \
  "$here/runner.c" $flags -lelf -lutil -lm
mv "$out/cctf-avr-runner.tmp" "$out/cctf-avr-runner"
echo "$out/cctf-avr-runner"
