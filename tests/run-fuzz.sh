#!/bin/sh
# Builds the libFuzzer targets (clang, ASan + UBSan) and fuzzes each parser.
#
#   tests/run-fuzz.sh [SECONDS] [TARGET...]
#
# SECONDS per target (default 60). TARGETs among idx, modelfile, image, experiment,
# svdcache (default all), run one after the other. Each runs on a working
# copy of its seed corpus (tests/fuzz/corpus/<target>, never modified) plus
# the saved regressions; new inputs go to $FUZZ_WORK (default
# _build-fuzz/fuzz-work). A crash, leak, timeout or out-of-memory input is
# copied to tests/fuzz/regressions/<target>/ and the script exits 1.
#
# Environment: FUZZ_BUILD_DIR (default _build-fuzz), FUZZ_JOBS_NICE (nice
# level, default 10), FUZZ_MAX_LEN (default 65536), FUZZ_SEED (libFuzzer's
# -seed; CI sets one so that its bounded run is repeatable), FUZZ_RUNS (a
# number of inputs per target instead of SECONDS: with FUZZ_SEED and a fresh
# FUZZ_WORK the campaign no longer depends on the machine's speed; it is not
# bit-for-bit repeatable — two runs here differed by a few coverage points in
# the targets that start threads).
set -eu

SECONDS_PER_TARGET=${1:-60}
[ $# -gt 0 ] && shift
TARGETS=${*:-idx modelfile image svdcache experiment}

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${FUZZ_BUILD_DIR:-$ROOT/_build-fuzz}
WORK=${FUZZ_WORK:-$BUILD/fuzz-work}
NICE=${FUZZ_JOBS_NICE:-10}
MAX_LEN=${FUZZ_MAX_LEN:-65536}
SEED_ARG=${FUZZ_SEED:+-seed=$FUZZ_SEED}

command -v clang >/dev/null || { echo "run-fuzz: clang is missing (apt-get install clang-14 libclang-rt-14-dev)" >&2; exit 2; }

if [ ! -f "$BUILD/build.ninja" ]; then
  CC=clang meson setup "$BUILD" "$ROOT" \
    -Dfuzzing=true -Dgui=false \
    -Db_sanitize=address,undefined -Db_lundef=false \
    -Dc_args='-fsanitize=fuzzer-no-link -fno-omit-frame-pointer' \
    -Dbuildtype=debugoptimized
fi
ninja -C "$BUILD" $(for t in $TARGETS; do printf 'tests/fuzz/fuzz-%s ' "$t"; done)

# One BLAS thread, no leak false alarms from GLib's one-time allocations
# (leaks of our code still show: LeakSanitizer reports unreachable blocks).
export OPENBLAS_NUM_THREADS=1
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:allocator_may_return_null=1}"
# UBSan stays recoverable at compile time so that a known, already reported
# finding can be listed in tests/fuzz/ubsan.supp (with its report) while the
# fuzzer goes on looking for new ones; halt_on_error makes every other one fatal.
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:suppressions=$ROOT/tests/fuzz/ubsan.supp}"
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$ROOT/tests/fuzz/lsan.supp:print_suppressions=0}"
export G_SLICE=always-malloc

status=0
for t in $TARGETS; do
  seeds=$ROOT/tests/fuzz/corpus/$t
  regressions=$ROOT/tests/fuzz/regressions/$t
  corpus=$WORK/corpus-$t
  artifacts=$WORK/artifacts-$t/
  log=$WORK/fuzz-$t.log
  rm -rf "$artifacts"
  mkdir -p "$corpus" "$artifacts" "$regressions"

  dict=
  case $t in
    modelfile|svdcache) dict=-dict=$ROOT/tests/fuzz/safetensors.dict ;;
    image) dict=-dict=$ROOT/tests/fuzz/image.dict ;;
  esac

  if [ -n "${FUZZ_RUNS:-}" ]; then
    bound="-runs=$FUZZ_RUNS"
    echo "== fuzz-$t: $FUZZ_RUNS runs (log $log)"
  else
    bound="-max_total_time=$SECONDS_PER_TARGET"
    echo "== fuzz-$t: ${SECONDS_PER_TARGET}s (log $log)"
  fi
  set +e
  nice -n "$NICE" "$BUILD/tests/fuzz/fuzz-$t" \
    "$bound" -max_len="$MAX_LEN" \
    -rss_limit_mb=2048 -malloc_limit_mb=2048 -timeout=25 \
    -print_final_stats=1 -artifact_prefix="$artifacts" $dict $SEED_ARG \
    "$corpus" "$seeds" "$regressions" >"$log" 2>&1
  rc=$?
  set -e

  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1)
  echo "   executions: ${runs:-?}  (${speed:-?}/s)  $cov  corpus: $(ls "$corpus" | wc -l) files  exit $rc"

  found=$(ls "$artifacts" 2>/dev/null || true)
  if [ $rc -ne 0 ] || [ -n "$found" ]; then
    status=1
    echo "   FAILURE in fuzz-$t:"
    # The first report and the top of its stack.
    awk '/==ERROR|runtime error|FUZZ_CHECK|ALARM: working on the last Unit|out-of-memory/ && !seen { seen = 1; print; next }
         seen && /^ *#[0-9]+ / && n < 10 { n++; print }
         /SUMMARY/ { print; exit }' "$log" | sed 's/^/     /'
    for f in $found; do
      cp "$artifacts/$f" "$regressions/$f"
      echo "   saved $regressions/$f"
    done
  fi
done
exit $status
