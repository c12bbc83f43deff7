#!/bin/sh
# The core's tests under AddressSanitizer + UndefinedBehaviorSanitizer, then
# ranklab-cli under Valgrind.
#
#   tests/run-sanitizers.sh [--no-valgrind]
#
# 1. Configures _build-asan (gcc; -Db_sanitize=address,undefined -Dgui=false
#    -Db_lundef=false), builds it and runs `meson test --suite core` with
#    leak detection on and every sanitizer report fatal.
# 2. Valgrind (memcheck, --leak-check=full, definite leaks are errors) on
#    `ranklab-cli sweep --ranks 5,25 --repeat 1` over a small model trained
#    with `ranklab-cli train --limit 2000 --epochs 1`, in a plain build
#    (_build-valgrind). The SVD is computed once natively first, so that the
#    Valgrind run loads it from the cache (XDG_CACHE_HOME in a temporary
#    folder) instead of spending an hour on GSL. Needs MNIST: the folder from
#    RANKLAB_MNIST_DIR, else ../shared/data/mnist beside the project; skipped without it.
#
# Exit status: meson's status if the tests fail, else Valgrind's (0 when
# both are clean). ASAN_BUILD_DIR / VALGRIND_BUILD_DIR override the folders.
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
ASAN_BUILD=${ASAN_BUILD_DIR:-$ROOT/_build-asan}
VG_BUILD=${VALGRIND_BUILD_DIR:-$ROOT/_build-valgrind}
RUN_VALGRIND=1
[ "${1:-}" = "--no-valgrind" ] && RUN_VALGRIND=0
# The tests run in their own folders: a relative MNIST path must be made absolute.
if [ -n "${RANKLAB_MNIST_DIR:-}" ]; then
  RANKLAB_MNIST_DIR=$(realpath "$RANKLAB_MNIST_DIR") || exit 2
  export RANKLAB_MNIST_DIR
fi

# ------------------------------------------------------------ ASan + UBSan
if [ ! -f "$ASAN_BUILD/build.ninja" ]; then
  CC=${CC:-gcc} meson setup "$ASAN_BUILD" "$ROOT" \
    -Dgui=false -Db_sanitize=address,undefined -Db_lundef=false \
    -Dc_args=-fno-omit-frame-pointer || exit 2
fi
ninja -C "$ASAN_BUILD" || exit 2

# fast_unwind_on_malloc=0: GLib has no frame pointers, and without this a
# leak's stack stops at g_malloc, which can be neither read nor suppressed.
echo "== meson test --suite core (ASan + UBSan, $ASAN_BUILD)"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:fast_unwind_on_malloc=0 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
LSAN_OPTIONS=suppressions=$ROOT/tests/fuzz/lsan.supp:print_suppressions=0 \
G_SLICE=always-malloc OPENBLAS_NUM_THREADS=1 \
  meson test -C "$ASAN_BUILD" --suite core --print-errorlogs
meson_status=$?
echo "== meson test status: $meson_status (log $ASAN_BUILD/meson-logs/testlog.txt)"

[ $RUN_VALGRIND -eq 1 ] || exit $meson_status

# ---------------------------------------------------------------- Valgrind
MNIST=${RANKLAB_MNIST_DIR:-$ROOT/../shared/data/mnist}
if ! command -v valgrind >/dev/null; then
  echo "== valgrind: not installed, skipped"
  exit $meson_status
fi
if [ ! -d "$MNIST" ]; then
  echo "== valgrind: no MNIST folder ($MNIST), skipped"
  exit $meson_status
fi
if [ ! -f "$VG_BUILD/build.ninja" ]; then
  meson setup "$VG_BUILD" "$ROOT" -Dgui=false -Dbuildtype=debugoptimized || exit 2
fi
ninja -C "$VG_BUILD" src/cli/ranklab-cli || exit 2
CLI=$VG_BUILD/src/cli/ranklab-cli

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ranklab-valgrind.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
export XDG_CACHE_HOME=$WORK/cache
export OPENBLAS_NUM_THREADS=1
export G_SLICE=always-malloc
export RANKLAB_MNIST_DIR=$MNIST

echo "== train a small model ($WORK/model.safetensors)"
"$CLI" train --data "$MNIST" --limit 2000 --epochs 1 --threads 1 --out "$WORK/model.safetensors" \
  || { echo "train failed"; exit 2; }
echo "== sweep once natively (fills the SVD cache)"
"$CLI" sweep --data "$MNIST" --model "$WORK/model.safetensors" --ranks 5,25 --repeat 1 --threads 1 \
  >"$WORK/sweep-native.txt" || { echo "native sweep failed"; exit 2; }

echo "== valgrind ranklab-cli sweep (log $ROOT/_build-valgrind/valgrind-sweep.log)"
valgrind --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=1 \
  --suppressions="$ROOT/tests/valgrind.supp" --num-callers=30 \
  --log-file="$VG_BUILD/valgrind-sweep.log" \
  "$CLI" sweep --data "$MNIST" --model "$WORK/model.safetensors" --ranks 5,25 --repeat 1 --threads 1 \
  --limit 500 >"$WORK/sweep-valgrind.txt"
vg_status=$?
sed -n '/HEAP SUMMARY/,$p' "$VG_BUILD/valgrind-sweep.log" | sed 's/^==[0-9]*== //'
echo "== valgrind status: $vg_status"

[ $meson_status -ne 0 ] && exit $meson_status
exit $vg_status
