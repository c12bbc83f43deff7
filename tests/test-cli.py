#!/usr/bin/env python3
"""End-to-end test of ranklab-cli on the real MNIST (skips without it).

Trains a small model on the first 5,000 training images, then checks what
`sweep`, `predict` and `info` print against values that follow from the
mathematics (parameter counts, CSV layout) or bound statistics (accuracy)."""
import csv, gzip, json, os, shutil, struct, subprocess, sys, tempfile

CLI = sys.argv[1]
DATA = os.environ.get("RANKLAB_MNIST_DIR")
if not DATA or not os.path.isdir(DATA):
    print("RANKLAB_MNIST_DIR not set: skipping")
    sys.exit(77)

PAPER = {0: 1467726, 1: 6192, 5: 23736, 10: 45666, 15: 66266, 20: 86866, 25: 107466, 50: 210466, 100: 416466}
failures = []

def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)

def run(*args, expect=0):
    p = subprocess.run([CLI, *args], capture_output=True, text=True, env=env)
    if expect is not None and p.returncode != expect:
        print(p.stdout, p.stderr)
    return p

tmp = tempfile.mkdtemp(prefix="ranklab-cli-test-")
env = dict(os.environ, XDG_CACHE_HOME=os.path.join(tmp, "cache"), XDG_DATA_HOME=os.path.join(tmp, "share"))
model = os.path.join(tmp, "m.safetensors")

p = run("train", "--data", DATA, "--out", model, "--limit", "5000", "--epochs", "2", "--seed", "7")
check(p.returncode == 0 and os.path.exists(model), "train exits 0 and writes the model")
acc_line = [l for l in p.stdout.splitlines() if l.startswith("Test accuracy:")]
check(len(acc_line) == 1, "train ends with the test accuracy")
acc = float(acc_line[0].split()[2]) if acc_line else 0
check(0.85 <= acc <= 1.0, f"small model's test accuracy {acc:.4f} is in [0.85, 1]")

out_csv = os.path.join(tmp, "sweep.csv")
p = run("sweep", "--data", DATA, "--model", model, "--repeat", "1", "--csv", out_csv)
check(p.returncode == 0, "sweep exits 0")
with open(out_csv) as f:
    header = f.readline().strip()
    rows = list(csv.DictReader([header] + f.read().splitlines()))
check(header == "rank,accuracy,latency_s,speedup,params,memory_mb,memory_saving_pct", "CSV header is exact")
check(rows and rows[0]["rank"] == "original", "first CSV row is the original model")
got = {0 if r["rank"] == "original" else int(r["rank"]): int(r["params"]) for r in rows}
check(got == PAPER, f"paper-plan parameter counts are the study's: {got}")
byrank = {0 if r["rank"] == "original" else int(r["rank"]): r for r in rows}
orig = float(byrank[0]["accuracy"])
check(abs(float(byrank[0]["accuracy"]) - acc) < 1e-4, "sweep's original accuracy equals train's")
check(float(byrank[1]["accuracy"]) < orig - 0.3, "rank 1 loses most of the accuracy")
check(abs(float(byrank[100]["accuracy"]) - orig) < 0.02, "rank 100 is within 2 points of the original")
for r in rows:
    mb = int(r["params"]) * 4 / 2**20
    check(abs(float(r["memory_mb"]) - mb) < 1e-3, f"memory of rank {r['rank']} is params×4 bytes")
for table_word in ("accuracy", "time (s)", "params", "speed-up", "memory MB", "saving %"):
    check(table_word in p.stdout, f"sweep prints the column '{table_word}'")
check("1,467,726" in p.stdout and "107,466" in p.stdout, "sweep table shows grouped parameter counts")

p = run("sweep", "--data", DATA, "--model", model, "--repeat", "1", "--plan", "auto", "--ranks", "25,400,1000", "--csv", out_csv)
with open(out_csv) as f:
    rows = list(csv.DictReader(f))
check(p.returncode == 0 and all(int(r["params"]) <= PAPER[0] for r in rows), "auto plan never exceeds the dense size")

# predict: the first 20 test images written as PGM, half of them inverted.
with gzip.open(os.path.join(DATA, "t10k-images-idx3-ubyte.gz")) as f:
    raw = f.read()
with gzip.open(os.path.join(DATA, "t10k-labels-idx1-ubyte.gz")) as f:
    labels = f.read()[8:]
right = 0
for i in range(20):
    px = bytearray(raw[16 + 784 * i: 16 + 784 * (i + 1)])
    if i % 2:
        px = bytearray(255 - v for v in px)
    path = os.path.join(tmp, f"d{i}.pgm")
    with open(path, "wb") as f:
        f.write(b"P5\n28 28\n255\n" + bytes(px))
    p = run("predict", "--model", model, path)
    lines = p.stdout.splitlines()
    ok = p.returncode == 0 and len(lines) == 11 and lines[0].isdigit()
    if i == 0:
        check(ok, "predict prints the digit alone, then ten probabilities")
        probs = [float(l.split()[1]) for l in lines[1:]]
        check(abs(sum(probs) - 1) < 1e-3, "the ten probabilities sum to 1")
    right += ok and int(lines[0]) == labels[i]
check(right >= 16, f"predict gets {right}/20 test digits right (either polarity)")
p = run("predict", "--model", model, "--rank", "50", os.path.join(tmp, "d0.pgm"))
check(p.returncode == 0 and p.stdout.splitlines()[0].isdigit(), "predict --rank 50 works")

# Finite weights whose products overflow float32 (every first-layer weight
# 3e38): predict refuses instead of printing NaN probabilities.
with open(model, "rb") as f:
    blob = f.read()
n = struct.unpack("<Q", blob[:8])[0]

hdr = json.loads(blob[8:8 + n])
a, b = hdr["layers.0.weight"]["data_offsets"]
data = bytearray(blob[8 + n:])
data[a:b] = struct.pack("<f", 3e38) * ((b - a) // 4)
huge = os.path.join(tmp, "huge-weights.safetensors")
with open(huge, "wb") as f:
    f.write(blob[:8 + n] + bytes(data))
p = run("predict", "--model", huge, os.path.join(tmp, "d0.pgm"))
check(p.returncode != 0 and "not finite" in p.stderr and "nan" not in p.stdout,
      f"predict refuses a model whose outputs overflow ({p.returncode}, {p.stderr.strip()!r})")

p = run("info", "--model", model)
check(p.returncode == 0, "info exits 0")
for shape, be in (("784x1028", "444.8"), ("1028x512", "341.8"), ("512x256", "170.7"), ("256x10", "9.6")):
    line = [l for l in p.stdout.splitlines() if shape in l]
    check(len(line) == 1 and be in line[0], f"info shows layer {shape} with break-even rank {be}")

# export: the rank-25 model as safetensors (read back by info) and as .npz,
# whose ZIP members are the safetensors names with the plan's factor shapes.
exported = os.path.join(tmp, "r25.safetensors")
p = run("export", "--model", model, "--rank", "25", exported)
check(p.returncode == 0 and "107,466 parameters" in p.stdout, "export writes the rank-25 model (107,466 parameters)")
p = run("info", "--model", exported)
check(p.returncode == 0 and "25" in p.stdout, "info reads the exported factored model")
npz = os.path.join(tmp, "r25.npz")
p = run("export", "--model", model, "--rank", "25", "--plan", "auto", npz)
check(p.returncode == 0 and os.path.exists(npz), "export writes an .npz")
want = {"layers.0.a": (784, 25), "layers.0.b": (25, 1028), "layers.1.a": (1028, 25), "layers.1.b": (25, 512),
        "layers.2.a": (512, 25), "layers.2.b": (25, 256), "layers.3.weight": (256, 10)}
try:
    import numpy
except ImportError:
    numpy = None
if numpy is not None:
    with numpy.load(npz) as z:
        shapes = {k: z[k].shape for k in z.files if not k.endswith(".bias")}
        check(shapes == want, f"numpy.load gives the auto plan's factor shapes: {shapes}")
        check(z["layers.0.a"].dtype == numpy.float32, "the factors are float32")
else:
    import zipfile
    names = {n[:-4] for n in zipfile.ZipFile(npz).namelist() if not n.endswith(".bias.npy")}
    check(names == set(want), f"the .npz holds the auto plan's factors (numpy not installed: names only): {names}")

# Bad input: clear message, non-zero exit, no crash.
bad = os.path.join(tmp, "bad.safetensors")
with open(model, "rb") as f:
    blob = f.read()
with open(bad, "wb") as f:
    f.write(blob[: len(blob) // 2])
for args, word in ((("sweep", "--data", DATA, "--model", bad), "truncated"),
                   (("sweep", "--data", DATA, "--model", model, "--ranks", "5,x"), "ranks"),
                   (("sweep", "--data", DATA, "--model", model, "--repeat", "0"), "--repeat"),
                   (("sweep", "--data", os.path.join(tmp, "nowhere"), "--model", model), "nowhere"),
                   (("train", "--data", DATA, "--out", model, "--epochs", "-3"), "--epochs"),
                   (("predict", "--model", model, os.path.join(tmp, "sweep.csv")), "sweep.csv"),
                   (("info", "--model", os.path.join(tmp, "missing.safetensors")), "missing"),
                   (("export", "--model", model, "--rank", "25", os.path.join(tmp, "out.txt")), ".npz"),
                   (("export", "--model", model, "--rank", "0", npz), "--rank")):
    p = run(*args, expect=None)
    check(p.returncode not in (0, -6, -11) and p.returncode > 0 and word in p.stderr,
          f"{args[0]} refuses bad input with a message naming '{word}' (exit {p.returncode}: {p.stderr.strip()[:120]})")

print(f"{len(failures)} failure(s)")
if not os.environ.get("RANKLAB_KEEP_TMP"):
    shutil.rmtree(tmp, ignore_errors=True)
sys.exit(1 if failures else 0)
