#!/usr/bin/env bash
# Build the self-contained Linux app with PyInstaller: a folder that runs on a machine without
# Python or pip (a clinic's), holding the `cctf` executable, Python, Qt and every library.
#
#   packaging/build_linux.sh [--out DIR] [--no-archive]
#
# Output: DIR/cctf/cctf (default DIR: dist) and DIR/cctf-<version>-linux-<arch>.tar.gz.
# Needs the `bundle` extra in the Python that runs it: pip install -e '.[bundle]' (the dev extra
# includes it). Uses $PYTHON (default python3); no network. docs/install.md says how to install
# and run the result, and how the Windows and macOS bundles are made.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/.." && pwd)"
python="${PYTHON:-python3}"
out="$repo/dist"
archive=1

usage() { sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    --no-archive) archive=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "build_linux.sh: unknown argument $1" >&2; usage >&2; exit 2 ;;
  esac
done
mkdir -p "$out"
out="$(cd "$out" && pwd)"

"$python" -c "import PyInstaller" 2>/dev/null || {
  echo "build_linux.sh: PyInstaller is missing: pip install -e '.[bundle]'" >&2; exit 1; }

work="$(mktemp -d "${TMPDIR:-/tmp}/cctf-bundle-XXXXXX")"
trap 'rm -rf "$work"' EXIT

# A plain (not editable) install of this checkout, which PyInstaller can follow. The sources are
# copied first so that the build leaves nothing in the checkout.
cp -a "$repo/pyproject.toml" "$repo/MANIFEST.in" "$repo/LICENSE" "$repo/cctf" "$repo/sim" \
  "$work/"
mkdir -p "$work/docs" && cp "$repo/docs/package-readme.md" "$work/docs/"
"$python" -m pip install --quiet --no-deps --no-build-isolation --no-index \
  --target "$work/site" "$work" >&2

# From an empty folder: a cctf/ in the current folder would shadow the plain install.
mkdir "$work/run"
cd "$work/run"
version="$(PYTHONPATH="$work/site" "$python" -c 'import cctf; print(cctf.__version__)')"
PYTHONPATH="$work/site" "$python" -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath "$out" --workpath "$work/build" "$here/cctf.spec" >&2

bundle="$out/cctf"
cp "$repo/LICENSE" "$bundle/LICENSE.txt"
cp "$repo/hardware/LICENSE" "$bundle/LICENSE-hardware.txt"
cp "$here/README-bundle.txt" "$bundle/README.txt"
"$bundle/cctf" --version >&2

if [ "$archive" = 1 ]; then
  name="cctf-$version-linux-$(uname -m)"
  tar -C "$out" --transform "s,^cctf,$name," -czf "$out/$name.tar.gz" cctf
  echo "$out/$name.tar.gz"
fi
echo "$bundle/cctf"
