#!/usr/bin/env python3
"""UI acceptance test for rank plans: the real `ranklab` window under Xvfb,
driven through the accessibility tree. Switches to the energy plan and the
per-layer plan and checks that the Parameters readout equals the parameter
count of the ranks shown under "Layer ranks" (r·(m+n)+n per factored layer,
m·n+n per dense one, for 784-1028-512-256-10), and that the energy plan's
ranks are those of `ranklab-cli plan --energy`. Needs RANKLAB_MNIST_DIR
(skips without it), a display and a D-Bus session."""
import os, re, shutil, subprocess, sys, tempfile, time

APP, CLI, OUTDIR = sys.argv[1], sys.argv[2], sys.argv[3]
DATA = os.environ.get("RANKLAB_MNIST_DIR")
if not DATA or not os.path.isdir(DATA):
    print("RANKLAB_MNIST_DIR not set: skipping"); sys.exit(77)
if not os.environ.get("DISPLAY"):
    print("no display: skipping"); sys.exit(77)

SIZES = [784, 1028, 512, 256, 10]


def params_of(ranks):
    """rl_plan_param_count for the study's network (0 = dense layer)."""
    total = 0
    for i, r in enumerate(ranks):
        m, n = SIZES[i], SIZES[i + 1]
        total += (r * (m + n) if r > 0 else m * n) + n
    return total


def parse_ranks(text):
    """ "38 / 16 / 12 / skipped (dense)" → [38, 16, 12, 0] (None if not a plan)."""
    parts = [p.strip() for p in (text or "").split("/")]
    if len(parts) != len(SIZES) - 1:
        return None
    out = []
    for p in parts:
        if p.isdigit():
            out.append(int(p))
        elif "dense" in p:
            out.append(0)
        else:
            return None
    return out


def count(text):
    digits = re.sub(r"[^0-9]", "", text or "")
    return int(digits) if digits else None


os.makedirs(OUTDIR, exist_ok=True)
tmp = tempfile.mkdtemp(prefix="ranklab-plans-")
env = dict(os.environ, XDG_DATA_HOME=os.path.join(tmp, "share"), XDG_CACHE_HOME=os.path.join(tmp, "cache"),
           XDG_CONFIG_HOME=os.path.join(tmp, "config"), GSK_RENDERER="cairo", GTK_A11Y="atspi",
           NO_AT_BRIDGE="0", GSETTINGS_BACKEND="memory", LANGUAGE="en", LANG="C.UTF-8")
model_dir = os.path.join(tmp, "share", "ranklab")
os.makedirs(model_dir)
model = os.path.join(model_dir, "model.safetensors")
subprocess.run([CLI, "train", "--data", DATA, "--out", model, "--limit", "20000", "--epochs", "2", "--seed", "3"],
               check=True, env=env, stdout=subprocess.DEVNULL)

# The energy plan at 80 % from the CLI (it also fills the SVD cache).
out = subprocess.run([CLI, "plan", "--data", DATA, "--model", model, "--energy", "80"],
                     check=True, env=env, capture_output=True, text=True).stdout
cli_energy80 = [0 if m.group(1) == "dense" else int(m.group(1))
                for m in re.finditer(r"^\d+\s+\d+x\d+\s+(\d+|dense)\s", out, re.M)]

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


def wait_plan(app, pred, timeout=60):
    """Waits until Layer ranks shows a plan satisfying pred and Parameters
    shows that plan's count; returns (ranks, shown count)."""
    end = time.time() + timeout
    ranks = shown = None
    while time.time() < end:
        ranks = parse_ranks(d.readout(app, "Layer ranks"))
        shown = count(d.readout(app, "Parameters"))
        if ranks is not None and pred(ranks) and shown == params_of(ranks):
            return ranks, shown
        time.sleep(0.25)
    return ranks, shown


app_log = open(os.path.join(OUTDIR, "ranklab-plans.log"), "w")
app_proc = subprocess.Popen([APP], env=env, stdout=app_log, stderr=app_log, start_new_session=True)
try:
    app = d.find_app(app_proc.pid, timeout=40)
    d.wait_named(app, "Rank", timeout=60, role="slider")
    d.wait_readout(app, "Accuracy", lambda s: "%" in s, timeout=120)

    # Uniform (the default): rank 25 everywhere but the 10-wide last layer.
    ranks, shown = wait_plan(app, lambda r: True, timeout=20)
    check(ranks == [25, 25, 25, 10], f"the uniform plan shows Layer ranks 25 / 25 / 25 / 10 ({ranks})")
    check(shown == 107466, f"and Parameters 107,466 ({shown})")

    # Energy threshold (GTK 4.8 shows a toggle button as a push button).
    energy = d.wait_named(app, "Energy threshold", timeout=10, role="push button")
    energy.queryAction().doAction(0)
    scale = d.wait_named(app, "Energy to keep", timeout=10, role="slider")
    scale.queryValue().currentValue = 80
    ranks, shown = wait_plan(app, lambda r: r == cli_energy80, timeout=60)
    check(ranks == cli_energy80,
          f"the energy plan at 80 % has the ranks of ranklab-cli plan --energy 80 ({ranks} vs {cli_energy80})")
    check(ranks is not None and shown == params_of(ranks),
          f"Parameters ({shown}) = r·(m+n)+n summed over the energy plan's layers ({ranks and params_of(ranks)})")
    d.screenshot(os.path.join(OUTDIR, "ui-plans-energy.png"))

    # Per-layer: four spin buttons.
    per_layer = d.wait_named(app, "Per-layer", timeout=10, role="push button")
    per_layer.queryAction().doAction(0)
    # The per-layer ranks start from the plan shown before (to tweak it).
    spin1 = d.wait_named(app, "Rank of layer 1", timeout=10, role="spin button")
    end = time.time() + 20
    while time.time() < end and spin1.queryValue().currentValue != cli_energy80[0]:
        time.sleep(0.2)
    seeded = spin1.queryValue().currentValue
    check(seeded == cli_energy80[0],
          f"Rank of layer 1 starts at the energy plan's rank {cli_energy80[0]} ({seeded})")
    wanted = [40, 20, 10, 5]
    for i, r in enumerate(wanted):
        spin = d.wait_named(app, f"Rank of layer {i + 1}", timeout=10, role="spin button")
        spin.queryValue().currentValue = r
    ranks, shown = wait_plan(app, lambda r: r == wanted, timeout=60)
    expected = params_of(wanted)
    check(ranks == wanted, f"the per-layer plan shows Layer ranks 40 / 20 / 10 / 5 ({ranks})")
    check(shown == expected, f"Parameters shows {expected:,} for ranks 40/20/10/5 ({shown})")
    acc = d.wait_readout(app, "Accuracy", lambda s: "%" in s, timeout=30)
    check("%" in acc, f"Accuracy is shown for the per-layer plan ({acc!r})")
    d.screenshot(os.path.join(OUTDIR, "ui-plans-per-layer.png"))

    # Back to uniform: the slider's plan again.
    uniform = d.wait_named(app, "Uniform", timeout=10, role="push button")
    uniform.queryAction().doAction(0)
    ranks, shown = wait_plan(app, lambda r: r == [25, 25, 25, 10], timeout=30)
    check(shown == 107466, f"back on the uniform plan Parameters is 107,466 again ({shown})")
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
