#!/usr/bin/env bash
# Build the cctf firmware with Debian's AVR toolchain and Arduino core, without the Arduino IDE,
# arduino-cli or any network access.
#
#   firmware/build.sh [--sensor mpx5010|hx710b] [--out DIR] [--serial TEXT]
#
# Output: DIR/cctf.elf, DIR/cctf.hex (default DIR: firmware/build), and the flash and RAM use.
# The Arduino core comes from $ARDUINO_AVR_DIR (default /usr/share/arduino/hardware/arduino/avr).
# --serial TEXT (up to 8 characters) makes the firmware write TEXT as the unit's serial number at
# boot (see config.h, CCTF_SERIAL_FORCE); without it a blank EEPROM gets "CCTF0001".
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
sketch="$here/cctf"
sensor=mpx5010
out="$here/build"
serial=""

usage() { sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; }
die() { echo "build.sh: $*" >&2; exit 1; }

while [ $# -gt 0 ]; do
  case "$1" in
    --sensor) [ $# -ge 2 ] || die "--sensor needs a value"; sensor="$2"; shift 2 ;;
    --sensor=*) sensor="${1#*=}"; shift ;;
    --out) [ $# -ge 2 ] || die "--out needs a value"; out="$2"; shift 2 ;;
    --out=*) out="${1#*=}"; shift ;;
    --serial) [ $# -ge 2 ] || die "--serial needs a value"; serial="$2"; shift 2 ;;
    --serial=*) serial="${1#*=}"; shift ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown argument '$1' (try --help)" ;;
  esac
done

defines=(-DF_CPU=16000000L -DARDUINO=10819 -DARDUINO_AVR_UNO -DARDUINO_ARCH_AVR
         -DDECIMAL_DIG=__DECIMAL_DIG__)
case "$sensor" in
  mpx5010|mpx5010dp) sensor=mpx5010 ;;
  hx710b) defines+=(-DCCTF_SENSOR_HX710B) ;;
  *) die "unknown sensor '$sensor': use mpx5010 or hx710b" ;;
esac
if [ -n "$serial" ]; then
  [[ "$serial" =~ ^[\ -~]{1,8}$ ]] && [[ "$serial" != *\"* ]] && [[ "$serial" != *\\* ]] \
    || die "--serial takes 1-8 printable ASCII characters (no quotes or backslashes)"
  defines+=("-DCCTF_SERIAL=\"$serial\"" -DCCTF_SERIAL_FORCE=1)
fi

# --- toolchain ----------------------------------------------------------------------------
missing=()
for tool in avr-gcc avr-g++ avr-gcc-ar avr-objcopy avr-size; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if [ ${#missing[@]} -gt 0 ]; then
  die "missing ${missing[*]}: install the AVR toolchain, on Debian/Ubuntu:
  sudo apt-get install gcc-avr binutils-avr avr-libc arduino-core-avr"
fi
arduino="${ARDUINO_AVR_DIR:-/usr/share/arduino/hardware/arduino/avr}"
core="$arduino/cores/arduino"
variant="$arduino/variants/standard"
[ -f "$core/Arduino.h" ] && [ -f "$variant/pins_arduino.h" ] || die \
  "no Arduino AVR core in $arduino (set ARDUINO_AVR_DIR); on Debian/Ubuntu:
  sudo apt-get install arduino-core-avr"
echo '#include <avr/io.h>' | avr-gcc -mmcu=atmega328p -E -x c - >/dev/null 2>&1 || die \
  "avr-gcc cannot find <avr/io.h>: on Debian/Ubuntu: sudo apt-get install avr-libc"

# --- flags (those of the Arduino IDE's platform.txt for the Uno) ---------------------------
mcu=(-mmcu=atmega328p)
common=("${mcu[@]}" "${defines[@]}" -Os -g -flto -ffunction-sections -fdata-sections -MMD
        "-I$core" "-I$variant" "-I$sketch")
cflags=("${common[@]}" -std=gnu11)
cxxflags=("${common[@]}" -std=gnu++11 -fpermissive -fno-exceptions -fno-threadsafe-statics
          -Wno-error=narrowing)
sflags=("${mcu[@]}" "${defines[@]}" -x assembler-with-cpp -flto -MMD "-I$core" "-I$variant")
sketch_warn=(-Wall -Wextra)

# Objects go to a private directory and the results are renamed into place at the end, so
# that two builds into the same --out (say, a test and a simulator run) cannot mix their files.
mkdir -p "$out"
work="$(mktemp -d "$out/.build.XXXXXX")"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/core" "$work/sketch"

pids=()
compile() {  # compile SRC OBJ [extra flags...]: in the background, collected by wait_all
  local src="$1" obj="$2"; shift 2
  case "$src" in
    *.c) avr-gcc "${cflags[@]}" "$@" -c "$src" -o "$obj" ;;
    *.cpp) avr-g++ "${cxxflags[@]}" "$@" -c "$src" -o "$obj" ;;
    *.S) avr-gcc "${sflags[@]}" "$@" -c "$src" -o "$obj" ;;
  esac &
  pids+=($!)
}
wait_all() {
  local failed=0
  for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
  pids=()
  [ $failed -eq 0 ] || die "compilation failed"
}

# --- the Arduino core ---------------------------------------------------------------------
core_objs=()
for src in "$core"/*.c "$core"/*.cpp "$core"/*.S; do
  [ -f "$src" ] || continue
  obj="$work/core/$(basename "$src").o"
  compile "$src" "$obj" -w
  core_objs+=("$obj")
done
wait_all
avr-gcc-ar rcs "$work/core.a" "${core_objs[@]}"

# --- the sketch: the .ino is C++ with <Arduino.h> in front, as the IDE does ---------------
ino_cpp="$work/sketch/cctf.ino.cpp"
{ echo '#include <Arduino.h>'; echo "#line 1 \"$sketch/cctf.ino\""; cat "$sketch/cctf.ino"; } \
  > "$ino_cpp"
sketch_objs=()
compile "$ino_cpp" "$work/sketch/cctf.ino.cpp.o" "${sketch_warn[@]}"
sketch_objs+=("$work/sketch/cctf.ino.cpp.o")
for src in "$sketch"/*.c "$sketch"/*.cpp; do
  [ -f "$src" ] || continue
  obj="$work/sketch/$(basename "$src").o"
  compile "$src" "$obj" "${sketch_warn[@]}"
  sketch_objs+=("$obj")
done
wait_all

# --- link ---------------------------------------------------------------------------------
avr-gcc "${mcu[@]}" -Os -g -flto -fuse-linker-plugin -Wl,--gc-sections \
  -o "$work/cctf.elf" "${sketch_objs[@]}" "$work/core.a" -lm
avr-objcopy -O ihex -R .eeprom "$work/cctf.elf" "$work/cctf.hex"

# --- memory -------------------------------------------------------------------------------
flash_max=32256  # 32 KiB minus the 512-byte optiboot bootloader (Uno; Nano with new bootloader)
ram_max=2048
read -r text data bss noinit < <(avr-size -A "$work/cctf.elf" | awk '
  $1 == ".text" {t = $2} $1 == ".data" {d = $2} $1 == ".bss" {b = $2} $1 == ".noinit" {n = $2}
  END {print t + 0, d + 0, b + 0, n + 0}')
flash=$((text + data))
ram=$((data + bss + noinit))
echo "cctf firmware ($sensor) -> $out/cctf.hex"
printf 'flash: %d bytes of %d (%d%%)\n' "$flash" "$flash_max" $((flash * 100 / flash_max))
printf 'ram: %d bytes of %d (%d%%) static, %d left for the stack\n' \
  "$ram" "$ram_max" $((ram * 100 / ram_max)) $((ram_max - ram))
[ "$flash" -le "$flash_max" ] || die "the program does not fit in flash ($flash > $flash_max)"
[ "$ram" -lt "$ram_max" ] || die "static RAM use exceeds the ATmega328P's ($ram >= $ram_max)"
mv -f "$work/cctf.elf" "$out/cctf.elf"
mv -f "$work/cctf.hex" "$out/cctf.hex"
