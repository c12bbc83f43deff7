#!/usr/bin/env bash
# fetch-mnist.sh — put the four MNIST IDX .gz files in a folder and check
# their SHA-256 against the published sums.
#
# Progress and errors go to stderr; the only line on stdout is the folder,
# so   MNIST=$(data/fetch-mnist.sh)   works in scripts.

set -euo pipefail

FILES=(
  train-images-idx3-ubyte.gz
  train-labels-idx1-ubyte.gz
  t10k-images-idx3-ubyte.gz
  t10k-labels-idx1-ubyte.gz
)

# The SHA-256 of the original distribution's .gz files (the values in
# torchvision's MNIST resource list and many projects' pins).
declare -A SHA256=(
  [train-images-idx3-ubyte.gz]=440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609
  [train-labels-idx1-ubyte.gz]=3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c
  [t10k-images-idx3-ubyte.gz]=8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6
  [t10k-labels-idx1-ubyte.gz]=f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6
)

MIRRORS=(
  https://ossci-datasets.s3.amazonaws.com/mnist/
  https://storage.googleapis.com/cvdf-datasets/mnist/
  http://yann.lecun.com/exdb/mnist/
)

PROG=$(basename "$0")

usage ()
{
  cat <<EOF
Usage: $PROG [--dest DIR] [--from DIR]

Puts the four MNIST files (${FILES[*]})
into DIR and checks each one's SHA-256 against the published sum.

  --dest DIR   where the files go
               (default: \${XDG_DATA_HOME:-~/.local/share}/ranklab/mnist)
  --from DIR   copy the files from a local folder instead of downloading
               (default: \$RANKLAB_MNIST_DIR if it is set)
  -h, --help   show this help

Without a local source the files are downloaded, trying these mirrors in order:
$(printf '  %s\n' "${MIRRORS[@]}")

Files already in DIR with the right sum are kept, so running it again is cheap.
A file with a wrong sum is deleted and the script exits with status 1.
The folder is printed on stdout at the end. RankLab finds it by itself when
it is the default; otherwise set RANKLAB_MNIST_DIR to it.
EOF
}

say () { printf '%s: %s\n' "$PROG" "$*" >&2; }
die () { say "error: $*"; exit 1; }

dest="${XDG_DATA_HOME:-$HOME/.local/share}/ranklab/mnist"
from="${RANKLAB_MNIST_DIR:-}"

while [ $# -gt 0 ]; do
  case "$1" in
    --dest)   [ $# -ge 2 ] || die "--dest needs a folder"; dest=$2; shift 2 ;;
    --dest=*) dest=${1#--dest=}; shift ;;
    --from)   [ $# -ge 2 ] || die "--from needs a folder"; from=$2; shift 2 ;;
    --from=*) from=${1#--from=}; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
  esac
done

[ -n "$dest" ] || die "the destination folder is empty"

if command -v sha256sum >/dev/null 2>&1; then
  sha256_of () { sha256sum -- "$1" | cut -d' ' -f1; }
elif command -v shasum >/dev/null 2>&1; then
  sha256_of () { shasum -a 256 -- "$1" | cut -d' ' -f1; }
else
  die "neither sha256sum nor shasum is installed; cannot check the files"
fi

if command -v curl >/dev/null 2>&1; then
  download () { curl -fsSL --connect-timeout 10 --max-time 300 --retry 1 -o "$2" -- "$1"; }
elif command -v wget >/dev/null 2>&1; then
  download () { wget -q --connect-timeout=10 --read-timeout=60 --tries=2 -O "$2" -- "$1"; }
else
  download () { say "neither curl nor wget is installed"; return 127; }
fi

mkdir -p -- "$dest" || die "cannot create the folder $dest"
dest=$(cd -- "$dest" && pwd -P)

part=""
cleanup () { if [ -n "$part" ]; then rm -f -- "$part"; fi; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# Checks $1 against the sum of file name $2; prints the actual sum.
sum_ok ()
{
  local got
  got=$(sha256_of "$1")
  printf '%s' "$got"
  [ "$got" = "${SHA256[$2]}" ]
}

if [ -n "$from" ]; then
  [ -d "$from" ] || die "the source folder $from does not exist"
  from=$(cd -- "$from" && pwd -P)
  say "copying from $from"
fi

for f in "${FILES[@]}"; do
  target="$dest/$f"

  if [ -f "$target" ]; then
    if got=$(sum_ok "$target" "$f"); then
      say "$f: already present, SHA-256 ok"
      continue
    fi
    say "$f: present but its SHA-256 is $got, expected ${SHA256[$f]}; fetching it again"
    rm -f -- "$target"
  fi

  part="$dest/.$f.part"
  rm -f -- "$part"

  if [ -n "$from" ]; then
    if [ "$from" = "$dest" ]; then
      die "$f is missing from $dest, and that is also the source folder"
    fi
    [ -f "$from/$f" ] || die "$from has no $f (it needs the four .gz files: ${FILES[*]})"
    if ! cp -- "$from/$f" "$part" || ! chmod 0644 -- "$part"; then
      die "cannot copy $from/$f to $dest"
    fi
    if ! got=$(sum_ok "$part" "$f"); then
      rm -f -- "$part"
      die "$from/$f has SHA-256 $got, expected ${SHA256[$f]}:
  not the original MNIST file (nothing was kept)"
    fi
  else
    fetched=""
    for m in "${MIRRORS[@]}"; do
      say "$f: downloading from $m"
      if ! download "$m$f" "$part"; then
        say "$f: download from $m failed"
        rm -f -- "$part"
        continue
      fi
      if ! got=$(sum_ok "$part" "$f"); then
        say "$f: the file from $m has SHA-256 $got, expected ${SHA256[$f]}; deleted it"
        rm -f -- "$part"
        continue
      fi
      fetched=$m
      break
    done
    if [ -z "$fetched" ]; then
      die "could not get a correct $f from any mirror (${MIRRORS[*]}).
  Is this machine offline? Copy the four .gz files from elsewhere and run
  $PROG --from THAT_FOLDER${dest:+ --dest $dest}"
    fi
  fi

  mv -f -- "$part" "$target"
  part=""
  say "$f: ok"
done

printf '%s\n' "$dest"
