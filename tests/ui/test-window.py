#!/usr/bin/env python3
"""UI acceptance test: the real `ranklab` window under Xvfb, read through the
accessibility tree. Draws a 1 and a 7, steps the rank slider to 25 and checks
the figures against ranklab-cli. Needs RANKLAB_MNIST_DIR (skips without it),
a display and a D-Bus session (run.sh --test provides both)."""
import csv, os, shutil, subprocess, sys, tempfile, time

APP, CLI, OUTDIR = sys.argv[1], sys.argv[2], sys.argv[3]
DATA = os.environ.get("RANKLAB_MNIST_DIR")
if not DATA or not os.path.isdir(DATA):
    print("RANKLAB_MNIST_DIR not set: skipping"); sys.exit(77)
if not os.environ.get("DISPLAY"):
    print("no display: skipping"); sys.exit(77)

os.makedirs(OUTDIR, exist_ok=True)
tmp = tempfile.mkdtemp(prefix="ranklab-ui-")
env = dict(os.environ, XDG_DATA_HOME=os.path.join(tmp, "share"), XDG_CACHE_HOME=os.path.join(tmp, "cache"),
           XDG_CONFIG_HOME=os.path.join(tmp, "config"), GSK_RENDERER="cairo", GTK_A11Y="atspi",
           NO_AT_BRIDGE="0", GSETTINGS_BACKEND="memory", LANGUAGE="en", LANG="C.UTF-8")
model_dir = os.path.join(tmp, "share", "ranklab")
os.makedirs(model_dir)
model = os.path.join(model_dir, "model.safetensors")

# A model the window will find at start-up: small but good enough to read digits.
subprocess.run([CLI, "train", "--data", DATA, "--out", model, "--limit", "20000", "--epochs", "2", "--seed", "3"],
               check=True, env=env, stdout=subprocess.DEVNULL)
sweep_csv = os.path.join(tmp, "r25.csv")
subprocess.run([CLI, "sweep", "--data", DATA, "--model", model, "--ranks", "25", "--repeat", "1", "--csv", sweep_csv],
               check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
with open(sweep_csv) as f:
    cli_acc25 = float([r for r in csv.DictReader(f) if r["rank"] == "25"][0]["accuracy"])

# at-spi bus, then the app.
import atspi_bus  # noqa: E402
bus = atspi_bus.start(env)
try:
    import atspi_driver as d  # noqa: E402  (after the bus is up)
except ImportError as e:
    atspi_bus.stop(bus)
    print(f"FAIL cannot import pyatspi ({e}); install python3-pyatspi"); sys.exit(1)

failures = []
def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)

app_log = open(os.path.join(OUTDIR, "ranklab.log"), "w")
app_proc = subprocess.Popen([APP], env=env, stdout=app_log, stderr=app_log, start_new_session=True)
try:
    app = d.find_app(app_proc.pid, timeout=40)
    slider = d.wait_named(app, "Rank", timeout=60, role="slider")
    canvas = d.wait_named(app, "Digit canvas", timeout=30)
    # Wait until the SVD is ready and the first figures are in.
    d.wait_readout(app, "Accuracy", lambda s: "%" in s, timeout=120)
    d.screenshot(os.path.join(OUTDIR, "ui-start.png"))

    x, y, w, h = d.extents(canvas, app_proc.pid)
    check(w >= 200 and h >= 200, f"the digit canvas is about 280×280 on screen ({w}×{h})")

    d.stroke([(x + 0.52 * w, y + 0.18 * h), (x + 0.50 * w, y + 0.82 * h)])
    one = d.wait_readout(app, "Prediction", lambda s: s.strip() == "1", timeout=10)
    check(one.strip() == "1", f"drawing a 1 makes Prediction show 1 (shows {one!r})")
    orig = d.readout(app, "Original prediction")
    check(orig is not None and orig.strip() == "1", f"Original prediction shows 1 too ({orig!r})")
    d.screenshot(os.path.join(OUTDIR, "ui-one.png"))

    clear = d.find_named(app, "Clear", role="push button")
    check(clear is not None, "a Clear button is there")
    if clear is not None:
        clear.queryAction().doAction(0)
        time.sleep(0.5)
    d.stroke([(x + 0.25 * w, y + 0.22 * h), (x + 0.75 * w, y + 0.22 * h), (x + 0.42 * w, y + 0.85 * h)])
    seven = d.wait_readout(app, "Prediction", lambda s: s.strip() == "7", timeout=10)
    check(seven.strip() == "7", f"drawing a 7 makes Prediction show 7 (shows {seven!r})")
    d.screenshot(os.path.join(OUTDIR, "ui-seven.png"))

    # Step the slider to 25 through the accessible Value interface.
    slider.queryValue().currentValue = 25
    params = d.wait_readout(app, "Parameters", lambda s: s.replace(".", ",").strip() == "107,466", timeout=20)
    check(params.replace(".", ",").strip() == "107,466", f"Parameters shows 107,466 at rank 25 ({params!r})")
    time.sleep(1.0)
    acc_text = d.wait_readout(app, "Accuracy", lambda s: "%" in s, timeout=20)
    acc = float(acc_text.replace("%", "").replace(",", ".").strip()) / 100
    check(abs(acc - cli_acc25) <= 0.005,
          f"Accuracy at rank 25 ({acc:.4f}) is within 0.5 points of ranklab-cli sweep ({cli_acc25:.4f})")
    d.screenshot(os.path.join(OUTDIR, "ui-rank25.png"))
    check(app_proc.poll() is None, "the window is still running")
finally:
    app_proc.terminate()
    try:
        app_proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        app_proc.kill()
    atspi_bus.stop(bus)

print(f"{len(failures)} failure(s)")
if not os.environ.get("RANKLAB_KEEP_TMP"):
    shutil.rmtree(tmp, ignore_errors=True)
sys.exit(1 if failures else 0)
