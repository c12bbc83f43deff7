#!/usr/bin/env python3
"""The PyTorch side of RankLab's benchmark (see BENCHMARKS.md).

Runs the same network with the SAME weights (read straight from RankLab's
safetensors file: 8-byte little-endian header length, JSON, raw float32),
the same truncation (torch.linalg.svd, A = U_r·Σ_r, B = V_rᵀ, original bias),
the same forward over the 10,000 test images at each rank (torch.no_grad,
float32, one batch, torch.set_num_threads), one image at a time, the same
slider step and the same paper training epoch (Adam 1e-3, batch 32, the first
48,000 images, Keras-style loss: sigmoid outputs divided by their sum, clipped
to [1e-7, 1 - 1e-7], then categorical cross-entropy).

Writes the CSV schema of ranklab-bench (section,item,metric,value,unit,
target,status,note) with the same section/item/metric keys, so that
run-bench.sh can put the two side by side. Exits 3 when torch is missing.
"""

import argparse
import csv
import gzip
import json
import os
import re
import statistics
import struct
import sys
import time

try:
    import numpy as np
    import torch
    TORCH_MISSING = None
except ImportError as exc:  # main() says so and exits 3; run-bench.sh checks for it
    TORCH_MISSING = exc

ROWS = []


def add(section, item, metric, value, unit="", note=""):
    ROWS.append({"section": section, "item": item, "metric": metric,
                 "value": "" if value is None else f"{value:.9g}",
                 "unit": unit, "target": "", "status": "", "note": note})


def now():
    return time.perf_counter()


# ---- data and weights ------------------------------------------------------

def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    magic, = struct.unpack(">I", data[:4])
    ndim = magic & 0xFF
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    arr = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if arr.size != int(np.prod(dims)):
        raise ValueError(f"{path}: size does not match its header {dims}")
    return arr.reshape(dims)


def find_idx(folder, stem):
    for name in (stem + ".gz", stem, stem.replace("-idx", ".idx")):
        path = os.path.join(folder, name)
        if os.path.exists(path):
            return path
    raise FileNotFoundError(f"{folder}: no {stem}[.gz]")


def load_split(folder, prefix):
    images = read_idx(find_idx(folder, f"{prefix}-images-idx3-ubyte"))
    labels = read_idx(find_idx(folder, f"{prefix}-labels-idx1-ubyte"))
    x = torch.from_numpy(images.reshape(len(images), -1).astype(np.float32) / 255.0)
    y = torch.from_numpy(labels.astype(np.int64))
    return x, y


def load_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    header_len, = struct.unpack("<Q", data[:8])
    if header_len > len(data) - 8:
        raise ValueError(f"{path}: header length {header_len} exceeds the file")
    header = json.loads(data[8:8 + header_len].decode("utf-8"))
    base = 8 + header_len
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if info["dtype"] != "F32":
            raise ValueError(f"{path}: {name} is {info['dtype']}, expected F32")
        start, end = info["data_offsets"]
        buf = bytearray(data[base + start:base + end])
        tensors[name] = torch.frombuffer(buf, dtype=torch.float32).reshape(info["shape"])
    layers = []
    i = 0
    while f"layers.{i}.weight" in tensors:
        layers.append((tensors[f"layers.{i}.weight"], tensors[f"layers.{i}.bias"]))
        i += 1
    if not layers:
        raise ValueError(f"{path}: no dense layers.<i>.weight tensors")
    return layers   # W as [in, out] (Keras layout), bias [out]


# ---- the network -----------------------------------------------------------

def linear(weight_in_out, bias):
    """nn.Linear computing x·W + b with W given as [in, out]."""
    m, n = weight_in_out.shape
    lin = torch.nn.Linear(m, n, bias=bias is not None)
    with torch.no_grad():
        lin.weight.copy_(weight_in_out.t())
        if bias is not None:
            lin.bias.copy_(bias)
    return lin


def build_dense(layers):
    mods = []
    for i, (w, b) in enumerate(layers):
        mods.append(linear(w, b))
        mods.append(torch.nn.ReLU() if i < len(layers) - 1 else torch.nn.Sigmoid())
    return torch.nn.Sequential(*mods).eval()


def layer_rank(m, n, r, mode):
    r = min(r, m, n)
    if mode == "auto" and r * (m + n) >= m * n:
        return 0
    return r


def build_factored(layers, svds, rank, mode):
    mods = []
    for i, ((w, b), (u, s, vh)) in enumerate(zip(layers, svds)):
        m, n = w.shape
        r = layer_rank(m, n, rank, mode)
        if r == 0:
            mods.append(linear(w, b))
        else:
            mods.append(linear((u[:, :r] * s[:r]).contiguous(), None))
            mods.append(linear(vh[:r, :].contiguous(), b))
        mods.append(torch.nn.ReLU() if i < len(layers) - 1 else torch.nn.Sigmoid())
    return torch.nn.Sequential(*mods).eval()


def macs(model):
    return sum(m.in_features * m.out_features for m in model if isinstance(m, torch.nn.Linear))


def timed(fn, warmup, repeats):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t0 = now()
        fn()
        times.append(now() - t0)
    return statistics.median(times)


def accuracy(model, x, y):
    with torch.no_grad():
        return (model(x).argmax(1) == y).float().mean().item()


# ---- sections ----------------------------------------------------------------

def bench_svd(layers, repeats):
    svds = None
    times = []
    for _ in range(repeats):
        t0 = now()
        svds = [torch.linalg.svd(w, full_matrices=False) for w, _ in layers]
        times.append(now() - t0)
    add("svd", "all-4-layers", "compute", statistics.median(times), "s", "torch.linalg.svd float32")
    return svds


def bench_forward(layers, svds, x, y, ranks, repeats):
    dense = build_dense(layers)
    orig_macs = macs(dense)
    with torch.no_grad():
        orig = timed(lambda: dense(x), 2, repeats)
    add("forward", "original", "accuracy", accuracy(dense, x, y))
    add("forward", "original", "latency", orig * 1e3, "ms")
    add("forward", "original", "MACs/image", orig_macs)
    add("forward", "original", "GFLOP/s", 2 * orig_macs * len(x) / orig / 1e9, "GFLOP/s")
    for mode in ("paper", "auto"):
        for r in ranks:
            small = build_factored(layers, svds, r, mode)
            with torch.no_grad():
                t = timed(lambda: small(x), 2, repeats)
            item = f"{mode} r={r}"
            add("forward", item, "accuracy", accuracy(small, x, y))
            add("forward", item, "latency", t * 1e3, "ms")
            add("forward", item, "GFLOP/s", 2 * macs(small) * len(x) / t / 1e9, "GFLOP/s")
            add("forward", item, "FLOP-ratio", orig_macs / macs(small), "x")
            add("forward", item, "speed-up", orig / t, "x")
    return dense


def bench_one_image(layers, svds, x, calls):
    models = {"original": build_dense(layers), "paper r=25": build_factored(layers, svds, 25, "paper")}
    for item, model in models.items():
        times = []
        with torch.no_grad():
            for i in range(50 + calls):
                xi = x[i % len(x)].unsqueeze(0)
                t0 = now()
                model(xi)
                if i >= 50:
                    times.append(now() - t0)
        med = statistics.median(times)
        add("one-image", item, "latency", med * 1e6, "us")
        add("one-image", item, "GFLOP/s", 2 * macs(model) / med / 1e9, "GFLOP/s")


def bench_slider(layers, svds, x, y, cycles, at25):
    sequence = [5, 25, 50, 100, 10, 20]

    def step(r):
        t0 = now()
        accuracy(build_factored(layers, svds, r, "paper"), x, y)
        return now() - t0

    step(25)
    times = [step(sequence[i % len(sequence)]) for i in range(cycles * len(sequence))]
    add("slider", "ranks 5,25,50,100,10,20", "step-median", statistics.median(times) * 1e3, "ms",
        "rebuild from cached factors + accuracy")
    add("slider", "ranks 5,25,50,100,10,20", "step-max", max(times) * 1e3, "ms")
    add("slider", "rank 25", "step-median", statistics.median(step(25) for _ in range(at25)) * 1e3, "ms")


def keras_cce(logits, target):
    p = torch.sigmoid(logits)
    q = p / p.sum(dim=1, keepdim=True)
    q = torch.clamp(q, 1e-7, 1 - 1e-7)
    return -(torch.log(q.gather(1, target.unsqueeze(1)))).mean()


def bench_train(x, y, epochs, limit, item="paper"):
    torch.manual_seed(42)
    sizes = [784, 1028, 512, 256, 10]
    mods = []
    for i in range(4):
        lin = torch.nn.Linear(sizes[i], sizes[i + 1])
        torch.nn.init.xavier_uniform_(lin.weight)
        torch.nn.init.zeros_(lin.bias)
        mods += [lin, torch.nn.ReLU()] if i < 3 else [lin]   # sigmoid is inside the loss
    model = torch.nn.Sequential(*mods).train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-7)
    n = min(48000, len(x), limit) if limit else min(48000, len(x))
    xs, ys = x[:n], y[:n]
    t0 = now()
    for _ in range(epochs):
        perm = torch.randperm(n)
        for start in range(0, n, 32):
            idx = perm[start:start + 32]
            opt.zero_grad(set_to_none=True)
            loss = keras_cce(model(xs[idx]), ys[idx])
            loss.backward()
            opt.step()
    elapsed = now() - t0
    rate = n * epochs / elapsed
    full = min(48000, len(x))
    note = "" if n == full else f"est.: timed on {n} images, scaled to {full}"
    add("train", item, "epochs", epochs)
    add("train", item, "images", n)
    add("train", item, "batch", 32)
    add("train", item, "s/epoch", full / rate, "s", note)
    add("train", item, "images/s", rate, "img/s")
    add("train", item, "5-epochs-est", 5 * full / rate, "s", note)
    model.eval()
    with torch.no_grad():
        add("train", item, "train-accuracy", (model(xs).argmax(1) == ys).float().mean().item(),
            note="after the timed epochs")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=os.environ.get("RANKLAB_MNIST_DIR"), help="MNIST folder")
    ap.add_argument("--model", help="RankLab safetensors model (dense); not needed with --train-only")
    ap.add_argument("--csv", required=True, help="output CSV")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--ranks", default="1,5,10,15,20,25,50,100")
    ap.add_argument("--train-epochs", type=int, default=1)
    ap.add_argument("--train-limit", type=int, default=0, help="train on at most N images (0: 48,000)")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--train-only", action="store_true",
                    help="only time the paper epoch (run-bench.sh's turns with ranklab-bench)")
    ap.add_argument("--no-train", action="store_true", help="do not time training")
    ap.add_argument("--forward-only", action="store_true",
                    help="only the SVD and the forward over the test set at each rank")
    args = ap.parse_args()
    if not args.data:
        ap.error("--data or RANKLAB_MNIST_DIR is required")
    if not args.model and not args.train_only:
        ap.error("--model is required (but with --train-only)")
    if args.train_only and args.forward_only:
        ap.error("--train-only and --forward-only exclude each other")
    if not 1 <= args.threads <= 256:
        ap.error(f"--threads takes 1-256, not {args.threads}")
    if not 1 <= args.repeats <= 1000:
        ap.error(f"--repeats takes 1-1000, not {args.repeats}")
    if not 1 <= args.train_epochs <= 100:
        ap.error(f"--train-epochs takes 1-100, not {args.train_epochs}")
    if not 0 <= args.train_limit <= 48000:
        ap.error(f"--train-limit takes 0-48000 (0: the paper preset's 48,000), not {args.train_limit}")
    try:
        ranks = [int(r) for r in args.ranks.split(",") if r.strip()]
    except ValueError:
        ap.error(f"--ranks takes ranks separated by commas, such as 5,25,100, not {args.ranks!r}")
    if not ranks or any(not 1 <= r <= 100000 for r in ranks):
        ap.error(f"--ranks takes ranks of 1 or more, not {args.ranks!r}")
    if TORCH_MISSING is not None:
        print(f"torch_bench: PyTorch is not available ({TORCH_MISSING})", file=sys.stderr)
        return 3

    torch.set_num_threads(args.threads)
    repeats = min(args.repeats, 3) if args.quick else args.repeats

    add("machine", "torch", "version", None, note=torch.__version__)
    add("machine", "torch", "threads", torch.get_num_threads())
    add("machine", "torch", "openblas-threads", None, note=os.environ.get("OPENBLAS_NUM_THREADS", "default"))
    blas = re.search(r"BLAS_INFO=(\w+)", torch.__config__.show())
    add("machine", "torch", "blas", None,
        note=f"BLAS_INFO={blas.group(1) if blas else '?'} (Debian: libblas.so.3 alternative)")

    if args.train_only:
        x_train, y_train = load_split(args.data, "train")
        bench_train(x_train, y_train, 1, args.train_limit, "paper, in turns")
        write_csv(args.csv)
        return 0

    layers = load_safetensors(args.model)
    x_test, y_test = load_split(args.data, "t10k")

    svds = bench_svd(layers, 1 if args.quick else 3)
    print("torch: SVD done", file=sys.stderr)
    bench_forward(layers, svds, x_test, y_test, ranks, repeats)
    print("torch: forward done", file=sys.stderr)
    if args.forward_only:
        write_csv(args.csv)
        return 0
    bench_one_image(layers, svds, x_test, 200 if args.quick else 1000)
    bench_slider(layers, svds, x_test, y_test, 1 if args.quick else 3, 5 if args.quick else 11)
    if not args.no_train:
        x_train, y_train = load_split(args.data, "train")
        bench_train(x_train, y_train, args.train_epochs, 3000 if args.quick else args.train_limit)
        print("torch: training done", file=sys.stderr)
    write_csv(args.csv)
    return 0


def write_csv(path):
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["section", "item", "metric", "value", "unit",
                                          "target", "status", "note"])
        w.writeheader()
        w.writerows(ROWS)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (OSError, ValueError, RuntimeError, KeyError, struct.error) as exc:
        print(f"torch_bench: {exc}", file=sys.stderr)
        sys.exit(2)
