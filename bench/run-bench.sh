#!/usr/bin/env bash
# RankLab's benchmark in one run: ranklab-bench (our core), then
# torch_bench.py (PyTorch, same weights, same truncation, same data), then
# the paper training epoch in turns (ours, PyTorch with our thread count,
# PyTorch on one thread; --train-turns rounds), merged into one table:
# bench/results.csv and bench/results.md. See BENCHMARKS.md.
#
#   RANKLAB_MNIST_DIR=/path/to/mnist bench/run-bench.sh [--full] [--quick]
#       [--max-load L] [--wait-minutes M] [--csv FILE] [--md FILE]
#       [--build DIR] [--threads N] [--train-epochs N] [--no-torch]
#       [--train-turns R] [--turn-images N (1000-48000)]
#       [-- extra ranklab-bench options]
#
# The epochs in turns: each side's figure is the median of its R epochs
# (default 3, on the first N = 48,000 images, the paper preset's epoch),
# PyTorch's the better of its two thread settings. Taken in turns, both
# meet the same moments of a machine whose speed drifts.
#
# --max-load: wait (up to --wait-minutes, default 30) until the 1-minute load
# average is at most L (default 1.0) before starting; numbers taken under load
# are not the machine's. The load at the start and end is in the table.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${RANKLAB_BENCH_BUILD_DIR:-$root/_build-bench-release}
csv=$root/bench/results.csv
md=$root/bench/results.md
max_load=1.0
wait_minutes=30
threads=2
train_epochs=1
mode=()
torch=yes
train_turns=3
turn_images=48000
extra=()

usage() { sed -n '2,/^[^#]/p' "$0" | grep '^#' | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }

die() { echo "run-bench.sh: $*" >&2; exit 2; }
# value OPTION "$@": the option's value, refused when missing or another option
value() { [[ $# -ge 3 && $3 != --* ]] || die "$2 needs a value"; printf '%s' "$3"; }

while [[ $# -gt 0 ]]; do
  case $1 in
    --full) mode=(--full) ;;
    --quick) mode=(--quick) ;;
    --max-load) max_load=$(value x "$@") || exit; shift ;;
    --wait-minutes) wait_minutes=$(value x "$@") || exit; shift ;;
    --csv) csv=$(value x "$@") || exit; csv=$(realpath -m -- "$csv"); shift ;;
    --md) md=$(value x "$@") || exit; md=$(realpath -m -- "$md"); shift ;;
    --build) build=$(value x "$@") || exit; build=$(realpath -m -- "$build"); shift ;;
    --threads) threads=$(value x "$@") || exit; shift ;;
    --train-epochs) train_epochs=$(value x "$@") || exit; shift ;;
    --no-torch) torch=no ;;
    --train-turns) train_turns=$(value x "$@") || exit; shift ;;
    --turn-images) turn_images=$(value x "$@") || exit; shift ;;
    -h|--help) usage 0 ;;
    --) shift; extra=("$@"); break ;;
    *) echo "run-bench.sh: unknown option $1" >&2; usage 2 ;;
  esac
  shift
done

[[ $max_load =~ ^[0-9]+([.][0-9]+)?$ ]] || die "--max-load takes a load average such as 1.0, not '$max_load'"
[[ $wait_minutes =~ ^[0-9]{1,4}$ ]] || die "--wait-minutes takes 0-9999, not '$wait_minutes'"
[[ $threads =~ ^[1-9][0-9]{0,2}$ ]] && ((threads <= 256)) || die "--threads takes 1-256, not '$threads'"
[[ $train_epochs =~ ^[1-9][0-9]?$ ]] || die "--train-epochs takes 1-99, not '$train_epochs'"
[[ $train_turns =~ ^[1-9][0-9]?$ ]] || die "--train-turns takes 1-99, not '$train_turns'"
[[ $turn_images =~ ^[0-9]{4,5}$ ]] && ((turn_images >= 1000 && turn_images <= 48000)) ||
  die "--turn-images takes 1000-48000 (the paper preset's epoch), not '$turn_images'"
[[ -d $(dirname "$csv") ]] || die "--csv: the folder $(dirname "$csv") does not exist"
[[ -d $(dirname "$md") ]] || die "--md: the folder $(dirname "$md") does not exist"
[[ ${mode[*]-} == --quick ]] && turn_images=$((turn_images < 3000 ? turn_images : 3000))

data=${RANKLAB_MNIST_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/ranklab/mnist}
if [[ ! -d $data ]]; then
  echo "run-bench.sh: no MNIST folder at $data (set RANKLAB_MNIST_DIR)" >&2
  exit 1
fi
data=$(realpath "$data")
for stem in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
  [[ -f $data/$stem.gz || -f $data/$stem ]] || { echo "run-bench.sh: $data has no $stem.gz (nor $stem)" >&2; exit 1; }
done

# A release build of the core and the benchmark (no GUI needed).
if [[ ! -f $build/build.ninja ]]; then
  meson setup "$build" "$root" --buildtype=release -Dgui=false >/dev/null
fi
ninja -C "$build" bench/ranklab-bench >/dev/null

load1() { cut -d' ' -f1 /proc/loadavg; }
wait_for_quiet() {
  local deadline=$((SECONDS + wait_minutes * 60))
  while awk -v l="$(load1)" -v m="$max_load" 'BEGIN { exit !(l > m) }'; do
    if ((SECONDS >= deadline)); then
      echo "run-bench.sh: load average still $(load1) (> $max_load) after $wait_minutes min; measuring anyway" >&2
      return
    fi
    echo "run-bench.sh: load average $(load1) > $max_load, waiting…" >&2
    sleep 30
  done
}

work=$(mktemp -d -t ranklab-bench-XXXXXX)
trap 'rm -rf "$work"' EXIT

export OPENBLAS_NUM_THREADS=$threads OMP_NUM_THREADS=$threads RANKLAB_MNIST_DIR=$data

wait_for_quiet
echo "== ranklab-bench (threads $threads, load $(load1)) ==" >&2
"$build/bench/ranklab-bench" --data "$data" --threads "$threads" --train-epochs "$train_epochs" \
  --csv "$work/ranklab.csv" --save-model "$work/model.safetensors" "${mode[@]}" "${extra[@]}" >&2

torch_csv=-
if [[ $torch == yes ]]; then
  python=
  for candidate in python3 /usr/bin/python3; do
    if command -v "$candidate" >/dev/null && "$candidate" -c 'import torch, numpy' 2>/dev/null; then
      python=$candidate
      break
    fi
  done
  if [[ -z $python ]]; then
    echo "run-bench.sh: PyTorch not found (Debian: apt-get install python3-torch python3-numpy);" \
         "the table has no PyTorch column" >&2
  else
    quick=()
    [[ ${mode[*]-} == --quick ]] && quick=(--quick --ranks 5,25,100)
    # PyTorch twice: with our thread count, and with one OpenMP thread (its
    # OpenMP pool spin-waits badly when the cores are shared); the table
    # takes its better run per figure.
    torch_csv=
    for torch_threads in "$threads" 1; do
      out=$work/torch-$torch_threads.csv
      echo "== torch_bench.py ($python, torch threads $torch_threads, OpenBLAS $threads, load $(load1)) ==" >&2
      OMP_NUM_THREADS=$torch_threads "$python" "$root/bench/torch_bench.py" --data "$data" \
        --model "$work/model.safetensors" --threads "$torch_threads" --no-train \
        --csv "$out" "${quick[@]}"
      torch_csv=${torch_csv:+$torch_csv,}$out
      [[ $torch_threads == 1 ]] && break
    done
  fi
fi

# PyTorch once more, forward only, with glibc told to keep the memory it
# frees: by default every forward maps its 41 MB activation tensors afresh
# (they are above malloc's mmap threshold) and pays the page faults. Shown
# beside the table's PyTorch figures, not judged: users run the defaults.
reused_csv=
if [[ $torch_csv != - ]]; then
  reused_csv=$work/torch-reused.csv
  echo "== torch_bench.py (torch threads 1, malloc keeping freed memory, load $(load1)) ==" >&2
  MALLOC_MMAP_THRESHOLD_=268435456 MALLOC_TRIM_THRESHOLD_=536870912 OMP_NUM_THREADS=1 \
    "$python" "$root/bench/torch_bench.py" --data "$data" --model "$work/model.safetensors" \
    --threads 1 --forward-only --csv "$reused_csv" "${quick[@]}"
fi

# The paper epoch in turns: ours, then PyTorch with each thread setting.
turns=()
if [[ $torch_csv != - ]]; then
  torch_settings=("$threads")
  [[ $threads != 1 ]] && torch_settings+=(1)
  for ((round = 1; round <= train_turns; round++)); do
    echo "== paper epoch in turns, round $round of $train_turns ($turn_images images, load $(load1)) ==" >&2
    "$build/bench/ranklab-bench" --data "$data" --threads "$threads" --train-turn "$turn_images" \
      --csv "$work/turn-ranklab-$round.csv" >/dev/null
    turns+=("--turn" "ranklab=$work/turn-ranklab-$round.csv")
    for torch_threads in "${torch_settings[@]}"; do
      out=$work/turn-torch-$torch_threads-$round.csv
      OMP_NUM_THREADS=$torch_threads "$python" "$root/bench/torch_bench.py" --data "$data" \
        --model "$work/model.safetensors" --threads "$torch_threads" --train-only \
        --train-limit "$turn_images" --csv "$out"
      turns+=("--turn" "torch threads $torch_threads=$out")
    done
  done
fi

[[ -n $reused_csv ]] && turns+=("--reused" "$reused_csv")
python3 "$root/bench/merge-results.py" "${turns[@]}" "$work/ranklab.csv" "$torch_csv" "$csv" "$md"
echo "wrote $csv and $md" >&2
