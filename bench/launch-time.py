#!/usr/bin/env python3
"""Launch to interactive slider: starts the real `ranklab` window on MODEL
(its SVD already cached) and times, from the process start, until the window
shows the first accuracy over the 10,000 test images, then the first latency
(the app logs "figures shown: ..." as it fills its readouts, read here with
G_MESSAGES_DEBUG). Median of N launches, each in fresh settings. Needs a
display:

  RANKLAB_MNIST_DIR=/path/to/mnist xvfb-run -a -s "-screen 0 1280x800x24" \\
      bench/launch-time.py _build/src/app/ranklab MODEL [N]

One launch that is not timed fills the SVD cache first. (Read through the
accessibility tree instead, the same start-up takes 3-4 s more: at-spi's own
bus, registration and tree walks.)"""
import os, re, selectors, statistics, subprocess, sys, tempfile, time

APP, MODEL = sys.argv[1], os.path.abspath(sys.argv[2])
N = int(sys.argv[3]) if len(sys.argv) > 3 else 5
if not os.environ.get("RANKLAB_MNIST_DIR"):
    sys.exit("launch-time: set RANKLAB_MNIST_DIR")
if not os.environ.get("DISPLAY"):
    sys.exit("launch-time: needs a display (run it under xvfb-run)")

tmp = tempfile.mkdtemp(prefix="ranklab-launch-")
env = dict(os.environ, XDG_DATA_HOME=os.path.join(tmp, "share"), XDG_CACHE_HOME=os.path.join(tmp, "cache"),
           XDG_CONFIG_HOME=os.path.join(tmp, "config"), GSETTINGS_BACKEND="memory",
           G_MESSAGES_DEBUG="RankLab", LANGUAGE="en", LANG="C.UTF-8")
SHOWN = re.compile(r"figures shown: accuracy (-?[0-9.]+), latency (-?[0-9.]+) s")


def launch(timeout=120):
    t0 = time.monotonic()
    proc = subprocess.Popen([APP, MODEL], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    t_acc = t_lat = None
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)   # GLib logs debug messages to stdout
    try:
        while t_lat is None and time.monotonic() - t0 < timeout:
            if not sel.select(timeout=1):
                continue
            line = proc.stdout.readline()
            if not line:
                break
            m = SHOWN.search(line)
            if m and float(m.group(1)) >= 0 and t_acc is None:
                t_acc = time.monotonic() - t0
            if m and float(m.group(2)) >= 0:
                t_lat = time.monotonic() - t0
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    if t_acc is None or t_lat is None:
        sys.exit(f"launch-time: no figures within {timeout} s")
    return t_acc, t_lat


launch()   # fills the SVD cache
runs = [launch() for _ in range(N)]
acc = statistics.median(r[0] for r in runs)
lat = statistics.median(r[1] for r in runs)
print(f"launch to accuracy shown: median {acc:.2f} s over {N} launches "
      f"({', '.join(f'{r[0]:.2f}' for r in runs)})")
print(f"launch to latency shown:  median {lat:.2f} s ({', '.join(f'{r[1]:.2f}' for r in runs)})")
print(f"target (launch to interactive slider) <= 2 s: {'PASS' if acc <= 2.0 else 'MISS'}")
