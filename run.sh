#!/usr/bin/env bash
# RankLab in one command, on Debian 12.
#   ./run.sh          install what is missing, build, get MNIST, open the window
#                     (with no display: train if needed, then print the sweep table)
#   ./run.sh --test   install what is missing, build, run every test suite
# MNIST comes from $RANKLAB_MNIST_DIR when set (a folder with the four IDX .gz
# files), else from ~/.local/share/ranklab/mnist, else from the public mirrors.
set -euo pipefail
cd "$(dirname "$0")"

mode=run
case "${1:-}" in
  --test) mode=test ;;
  --help|-h) sed -n '2,8p' "$0"; exit 0 ;;
  "") ;;
  *) echo "run.sh: unknown option '$1' (use --test or nothing)" >&2; exit 2 ;;
esac

if [[ -n ${RANKLAB_MNIST_DIR:-} && ! -d $RANKLAB_MNIST_DIR ]]; then
  echo "run.sh: RANKLAB_MNIST_DIR names '$RANKLAB_MNIST_DIR', which is not a folder (from $(pwd))." >&2
  echo "        Point it at the folder holding the four MNIST IDX files, or leave it unset to download them." >&2
  exit 2
fi
if [[ -n ${RANKLAB_MNIST_DIR:-} ]]; then
  for stem in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
    if [[ ! -f $RANKLAB_MNIST_DIR/$stem.gz && ! -f $RANKLAB_MNIST_DIR/$stem ]]; then
      echo "run.sh: RANKLAB_MNIST_DIR ('$RANKLAB_MNIST_DIR') has no $stem.gz (nor $stem)." >&2
      echo "        Point it at the folder holding the four MNIST IDX files, or leave it unset to download them." >&2
      exit 2
    fi
  done
fi

build=${RANKLAB_BUILD_DIR:-_build}
packages=(build-essential meson ninja-build pkg-config gettext libglib2.0-dev libgtk-4-dev
          libgsl-dev libopenblas-dev libjson-glib-dev libgdk-pixbuf-2.0-dev libcairo2-dev
          desktop-file-utils appstream)
if [[ $mode == test ]]; then
  packages+=(xvfb xauth xdotool imagemagick dbus dbus-x11 at-spi2-core python3-pyatspi python3-gi python3-numpy)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "Installing: ${missing[*]}"
  sudo=""; [[ $(id -u) -ne 0 ]] && sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [[ ! -f $build/build.ninja ]]; then
  meson setup "$build" --buildtype=release ${RANKLAB_MNIST_DIR:+-Dmnist_dir="$(realpath "$RANKLAB_MNIST_DIR")"}
elif [[ -n ${RANKLAB_MNIST_DIR:-} ]] &&
     ! grep -qF "\"$(realpath "$RANKLAB_MNIST_DIR")\"" "$build/meson-info/intro-buildoptions.json" 2>/dev/null; then
  meson configure "$build" -Dmnist_dir="$(realpath "$RANKLAB_MNIST_DIR")" >/dev/null
fi
ninja -C "$build"

if [[ $mode == test ]]; then
  export RANKLAB_MNIST_DIR=${RANKLAB_MNIST_DIR:+$(realpath "$RANKLAB_MNIST_DIR")}
  status=0
  meson test -C "$build" --print-errorlogs --no-suite ui || status=$?
  cp "$build/meson-logs/testlog.json" "$build/testlog-core.json" 2>/dev/null || true
  tests=$(meson test -C "$build" --list 2>/dev/null || true)
  if grep -q '^ranklab:ui' <<<"$tests"; then
    dbus-run-session -- xvfb-run -a -s "-screen 0 1280x800x24 -noreset" \
      meson test -C "$build" --print-errorlogs --suite ui || status=$?
    cp "$build/meson-logs/testlog.json" "$build/testlog-ui.json" 2>/dev/null || true
  fi
  python3 - "$build" <<'PY'
import json, sys, os
passed = failed = skipped = 0
for name in ("testlog-core.json", "testlog-ui.json"):
    path = os.path.join(sys.argv[1], name)
    if not os.path.exists(path):
        continue
    for line in open(path):
        r = json.loads(line).get("result")
        if r in ("OK", "EXPECTEDFAIL"): passed += 1
        elif r == "SKIP": skipped += 1
        else: failed += 1
print(f"{passed} passed, {failed} failed, {skipped} skipped")
PY
  exit $status
fi

# Data: a user's copy, or the mirrors.
data_dir=${XDG_DATA_HOME:-$HOME/.local/share}/ranklab/mnist
data/fetch-mnist.sh --dest "$data_dir" ${RANKLAB_MNIST_DIR:+--from "$RANKLAB_MNIST_DIR"} >/dev/null
export RANKLAB_MNIST_DIR=$data_dir

if [[ -n ${DISPLAY:-}${WAYLAND_DISPLAY:-} ]] && [[ -x $build/src/app/ranklab ]]; then
  exec "$build/src/app/ranklab"
fi

echo "No display found (DISPLAY and WAYLAND_DISPLAY are unset): running the headless job instead."
model=${XDG_DATA_HOME:-$HOME/.local/share}/ranklab/model.safetensors
if [[ ! -f $model ]]; then
  "$build/src/cli/ranklab-cli" train --data "$data_dir" --out "$model"
fi
exec "$build/src/cli/ranklab-cli" sweep --data "$data_dir" --model "$model"
