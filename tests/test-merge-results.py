#!/usr/bin/env python3
"""bench/merge-results.py: the issue's vs-PyTorch targets judged at their
thresholds, the epochs in turns reduced to medians, PyTorch's best setting
chosen, estimates marked, and bad input refused with one line and exit 2.

Usage: test-merge-results.py MERGE_RESULTS_PY"""

import csv
import os
import subprocess
import sys
import tempfile

FIELDS = ["section", "item", "metric", "value", "unit", "target", "status", "note"]
failures = []


def check(ok, what):
    print(("ok    " if ok else "FAIL  ") + what)
    if not ok:
        failures.append(what)


def write(path, rows):
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=FIELDS)
        w.writeheader()
        for r in rows:
            w.writerow({**dict.fromkeys(FIELDS, ""), **r})
    return path


def row(section, item, metric, value, unit="", note=""):
    return {"section": section, "item": item, "metric": metric, "value": value, "unit": unit, "note": note}


def merge(script, args):
    return subprocess.run([sys.executable, script] + args, capture_output=True, text=True)


def main(script):
    with tempfile.TemporaryDirectory(prefix="test-merge-") as tmp:
        run_checks(script, lambda name: os.path.join(tmp, name))


def run_checks(script, p):
    ours = write(p("ours.csv"), [
        row("forward", "original", "latency", 100, "ms"),
        row("forward", "paper r=10", "latency", 10, "ms"),
        row("forward", "paper r=25", "latency", 20, "ms"),
        row("forward", "paper r=50", "latency", 30, "ms"),
        row("forward", "paper r=100", "latency", 40, "ms"),
    ])
    # two PyTorch settings: the table must take the faster per row
    t2 = write(p("t2.csv"), [
        row("machine", "torch", "threads", 2),
        row("forward", "original", "latency", 119, "ms"),    # 1.19x: just under 1.2
        row("forward", "paper r=10", "latency", 45, "ms"),
        row("forward", "paper r=25", "latency", 90, "ms"),
        row("forward", "paper r=50", "latency", 200, "ms"),
        row("forward", "paper r=100", "latency", 50, "ms"),
    ])
    t1 = write(p("t1.csv"), [
        row("machine", "torch", "threads", 1),
        row("forward", "original", "latency", 121, "ms"),    # slower: not taken
        row("forward", "paper r=10", "latency", 39, "ms"),   # 3.9x: the faster setting, a MISS
        row("forward", "paper r=25", "latency", 80, "ms"),   # exactly 4x: PASS
        row("forward", "paper r=50", "latency", 150, "ms"),
        row("forward", "paper r=100", "latency", 60, "ms"),
    ])
    turns = []
    for i, v in enumerate((4.0, 9.0, 3.0)):   # ours: median 4.0
        turns += ["--turn", "ranklab=" + write(p(f"ours-{i}.csv"), [
            row("train", "paper, in turns", "s/epoch", v, "s", "est.: timed on 3000 images, scaled to 48000")])]
    for i, v in enumerate((11.0, 10.0, 30.0)):   # PyTorch 1 thread: median 11.0
        turns += ["--turn", "torch threads 1=" + write(p(f"tt1-{i}.csv"), [row("train", "paper, in turns", "s/epoch", v, "s")])]
    for i, v in enumerate((33.0, 32.0, 9.0)):    # PyTorch 2 threads: median 32.0 (its best single value, 9, must not win)
        turns += ["--turn", "torch threads 2=" + write(p(f"tt2-{i}.csv"), [row("train", "paper, in turns", "s/epoch", v, "s")])]
    reused = write(p("reused.csv"), [row("forward", "paper r=25", "latency", 40, "ms")])

    out_csv, out_md = p("out.csv"), p("out.md")
    r = merge(script, turns + ["--reused", reused, ours, f"{t2},{t1}", out_csv, out_md])
    check(r.returncode == 0, f"a good merge exits 0 ({r.returncode}: {r.stderr.strip()})")
    if r.returncode != 0:
        return
    rows = {(x["section"], x["item"], x["metric"]): x for x in csv.DictReader(open(out_csv))}
    get = lambda item, metric="latency", section="forward": rows[(section, item, metric)]

    check(get("original")["pytorch"] == "119.0" or float(get("original")["pytorch"]) == 119,
          "PyTorch's faster setting is taken (119 ms of 119 and 121)")
    check(get("original")["status"] == "MISS" and get("original")["target"] == "vs PyTorch >= 1.2x",
          "original at 1.19x: MISS against >= 1.2x")
    check(float(get("paper r=10")["pytorch"]) == 39 and get("paper r=10")["status"] == "MISS",
          "rank 10 at 3.9x: MISS against >= 4x")
    check(get("paper r=25")["status"] == "PASS", "rank 25 at exactly 4x: PASS")
    check(get("paper r=50")["status"] == "PASS", "rank 50 at 5x: PASS")
    check(get("paper r=100")["status"] == "", "rank 100 carries no vs-PyTorch target")
    check(get("paper r=25")["pytorch_reused"] in ("40", "40.0") and get("paper r=25")["vs_pytorch_reused"] == "2",
          "the reused-memory column: 40 ms, 2x, not judged")
    epoch = get("paper, in turns", "s/epoch", "train")
    check(float(epoch["ranklab"]) == 4.0, f"ours: the median of 4, 9, 3 ({epoch['ranklab']})")
    check(float(epoch["pytorch"]) == 11.0, f"PyTorch: its better median, 11 of 11 and 32 ({epoch['pytorch']})")
    check(epoch["vs_pytorch"] == "2.75" and epoch["status"] == "PASS", "the epoch at 2.75x: PASS against >= 2.5x")
    check("est.: timed on 3000 images" in epoch["note"], "the estimate stays marked")
    md = open(out_md).read()
    check("est.: timed on 3000 images" in md, "the Markdown table shows the note")
    check("| 2 / 1 |" in md, "a '|' inside a cell is escaped")
    check("Targets: 3 PASS, 2 MISS." in md, "the count of targets (original, r10 miss; r25, r50, epoch pass)")

    # bad input: one line on stderr, exit 2, no traceback
    garbage = p("garbage.csv")
    with open(garbage, "wb") as f:
        f.write(bytes(range(256)))
    foreign = p("foreign.csv")
    with open(foreign, "w") as f:
        f.write("a,b\n1,2\n")
    empty = p("empty.csv")
    open(empty, "w").close()
    header_only = write(p("header.csv"), [])
    cases = {
        "no arguments": [],
        "--turn without =": ["--turn", "x.csv", ours, "-", out_csv],
        "a missing CSV": [p("nope.csv"), "-", out_csv],
        "a missing --reused CSV": ["--reused", p("nope.csv"), ours, "-", out_csv],
        "a binary file": [garbage, "-", out_csv],
        "a foreign CSV": [foreign, "-", out_csv],
        "an empty file": [empty, "-", out_csv],
        "a header and no rows": [header_only, "-", out_csv],
        "an output folder that does not exist": [ours, "-", p("no/such/out.csv")],
    }
    for what, args in cases.items():
        r = merge(script, args)
        check(r.returncode == 2 and "Traceback" not in r.stderr and r.stderr.strip() != "",
              f"{what}: exit 2 with a message ({r.returncode}: {r.stderr.strip().splitlines()[-1] if r.stderr.strip() else ''})")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    main(sys.argv[1])
    print(f"{len(failures)} failed")
    sys.exit(1 if failures else 0)
