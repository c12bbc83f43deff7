#!/usr/bin/env python3
"""Merge ranklab-bench's CSV and torch_bench.py's CSV into one table.

Usage: merge-results.py [--turn LABEL=CSV ...] [--reused CSV] RANKLAB_CSV TORCH_CSV[,TORCH_CSV...]|- OUT_CSV [OUT_MD]

With several PyTorch CSVs (runs with different thread settings), each row
takes PyTorch's best run (least time, most throughput) and names it: the
comparison is against PyTorch at its best on this machine.

--turn gives one CSV of the runs taken in turns (run-bench.sh's paper
epochs): LABEL "ranklab" for ours, any other label (torch-2, torch-1) for a
PyTorch setting. Each label's figure is the median of its CSVs; PyTorch's
is then its best setting, as above.

--reused gives PyTorch's forward with malloc keeping the memory it frees
(no page faults for its activation tensors): shown in two more columns of
the forward table, not judged.

Rows are matched on (section, item, metric). For times (s, ms, us) the
"vs PyTorch" column is PyTorch's time / ours (above 1: we are faster); for
throughputs (GFLOP/s, img/s) it is ours / PyTorch's. The vs-PyTorch targets
of the performance issue are judged here: original forward >= 1.2x, forward
at ranks 10-50 >= 4x, a paper training epoch >= 2.5x.
"""

import csv
import re
import sys

FIELDS = ["section", "item", "metric", "unit", "ranklab", "pytorch", "vs_pytorch",
          "target", "status", "note", "pytorch_run", "pytorch_reused", "vs_pytorch_reused"]
TIME_UNITS = {"s", "ms", "us"}
RATE_UNITS = {"GFLOP/s", "img/s"}


class InputError(Exception):
    """A CSV that cannot be merged: the message names the file and why."""


REQUIRED = {"section", "item", "metric", "value", "unit", "note"}


def read(path):
    if path == "-":
        return []
    try:
        with open(path, newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            missing = REQUIRED - set(reader.fieldnames or [])
            if missing:
                raise InputError(f"{path}: not a benchmark CSV (no column {', '.join(sorted(missing))})")
            rows = list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"cannot read {path}: {exc}") from None
    if not rows:
        raise InputError(f"{path}: no rows")
    for r in rows:
        if any(r.get(k) is None for k in REQUIRED):
            raise InputError(f"{path}: a row with fewer columns than its header ({r.get('section')}, {r.get('item')})")
    return rows


def run_label(rows):
    threads = next((r["value"] for r in rows if r["metric"] == "threads"), "?")
    blas = next((r["note"] for r in rows if r["metric"] == "openblas-threads"), "?")
    return f"torch threads {num(threads) and int(num(threads))}, OpenBLAS {blas}"


def median_rows(label, paths):
    """One row per key: the median value over the CSVs, each value in the note;
    its run is the label with that note."""
    keyed = {}
    for path in paths:
        for r in read(path):
            if r["section"] == "machine":   # the main runs describe the machine
                continue
            keyed.setdefault((r["section"], r["item"], r["metric"]), []).append(r)
    rows = []
    for runs in keyed.values():
        values = sorted(v for v in (num(r["value"]) for r in runs) if v is not None)
        if not values:
            continue
        mid = values[len(values) // 2] if len(values) % 2 else (values[len(values) // 2 - 1] + values[len(values) // 2]) / 2
        note = f"median of {len(values)} in turns: " + ", ".join(fmt(v) for v in values)
        if runs[0]["note"]:
            note = f"{runs[0]['note']}; {note}"
        rows.append(dict(runs[0], value=mid, note=note, run=f"{label} ({note})"))
    return rows


def read_torch(arg, extra_runs=()):
    """Best PyTorch row per key over every run given: the CSVs in arg
    (comma-separated, or -) and extra_runs, lists of rows that name their run."""
    runs = [] if arg == "-" else [read(path) for path in arg.split(",")]
    runs += list(extra_runs)
    best = {}
    order = []
    for rows in runs:
        label = run_label(rows)
        for r in rows:
            key = (r["section"], r["item"], r["metric"])
            r = r if "run" in r else dict(r, run=label)
            old = best.get(key)
            if old is None:
                order.append(key)
                best[key] = r
                continue
            a, b = num(old["value"]), num(r["value"])
            if a is None or b is None:
                if key[0] == "machine" and old["note"] != r["note"]:
                    best[key] = dict(old, note=old["note"] + " | " + r["note"])
                continue
            if (r["unit"] in TIME_UNITS and b < a) or (r["unit"] in RATE_UNITS and b > a):
                best[key] = r
            elif key[0] == "machine" and a != b:
                best[key] = dict(old, note=f"{fmt(a)} | {fmt(b)}", value="")
    return [best[k] for k in order]


def num(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def fmt(value):
    if value is None:
        return ""
    if value == int(value) and abs(value) < 1e9:
        return str(int(value))
    if value != 0 and (abs(value) >= 1e6 or abs(value) < 1e-3):
        return f"{value:.4g}"
    if abs(value) >= 100:
        return f"{value:.1f}"
    return f"{value:.4g}"


def torch_target(section, item, metric):
    """(minimum ratio, text) of a vs-PyTorch target for this row, or None."""
    if section == "forward" and metric == "latency":
        if item == "original":
            return 1.2, "vs PyTorch >= 1.2x"
        m = re.fullmatch(r"(paper|auto) r=(\d+)", item)
        if m and 10 <= int(m.group(2)) <= 50:
            return 4.0, "vs PyTorch >= 4x"
    if section == "train" and item == "paper, in turns" and metric == "s/epoch":
        return 2.5, "vs PyTorch >= 2.5x"
    return None


def merge(ours, theirs, reused=()):
    by_key = {(r["section"], r["item"], r["metric"]): r for r in theirs}
    reused_by_key = {(r["section"], r["item"], r["metric"]): r for r in reused
                     if r["section"] == "forward" and r["metric"] == "latency"}
    seen = set()
    rows = []
    for r in ours:
        key = (r["section"], r["item"], r["metric"])
        seen.add(key)
        t = by_key.get(key)
        a, b = num(r["value"]), num(t["value"]) if t else None
        ratio = None
        if a and b:
            if r["unit"] in TIME_UNITS:
                ratio = b / a
            elif r["unit"] in RATE_UNITS:
                ratio = a / b
        row = {"section": r["section"], "item": r["item"], "metric": r["metric"], "unit": r["unit"],
               "ranklab": r["value"] if a is not None else r["note"],
               "pytorch": (t["value"] if b is not None else t["note"]) if t else "",
               "vs_pytorch": f"{ratio:.3g}" if ratio else "",
               "target": r["target"], "status": r["status"],
               "note": r["note"] if a is not None else "",
               "pytorch_run": t.get("run", "") if t and b is not None and r["unit"] else ""}
        u = reused_by_key.get(key)
        c = num(u["value"]) if u else None
        row["pytorch_reused"] = c if c is not None else ""
        row["vs_pytorch_reused"] = f"{c / a:.3g}" if a and c else ""
        goal = torch_target(*key)
        if goal:
            if not theirs:
                row["target"], row["status"] = goal[1], "n/a (no PyTorch)"
            elif ratio is not None:
                row["target"], row["status"] = goal[1], "PASS" if ratio >= goal[0] else "MISS"
        rows.append(row)
    for t in theirs:   # PyTorch-only rows (its version, threads, ...)
        key = (t["section"], t["item"], t["metric"])
        if key not in seen:
            b = num(t["value"])
            rows.append({"section": t["section"], "item": t["item"], "metric": t["metric"],
                         "unit": t["unit"], "ranklab": "", "pytorch": t["value"] if b is not None else t["note"],
                         "vs_pytorch": "", "target": "", "status": "", "note": t["note"] if b is not None else "",
                         "pytorch_run": t.get("run", "") if b is not None and t["unit"] else "",
                         "pytorch_reused": "", "vs_pytorch_reused": ""})
    return rows


def cell(row, col):
    v = num(row[col])
    text = fmt(v) if v is not None and col in ("ranklab", "pytorch") else str(row[col])
    return text.replace("|", "/").replace("\n", " ")


def markdown(rows, have_torch):
    out = []
    lookup = {(r["section"], r["item"], r["metric"]): r for r in rows}

    def get(section, item, metric, col="ranklab"):
        r = lookup.get((section, item, metric))
        return cell(r, col) if r else ""

    out.append("### Forward over the 10,000 test images (one batch)\n")
    out.append("| model | accuracy | latency ms | GFLOP/s | FLOP ratio | speed-up | target | "
               "PyTorch ms | vs PyTorch | vs-PyTorch target | PyTorch's best run | "
               "PyTorch ms, memory reused | vs that |")
    out.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    items = []
    for r in rows:
        if r["section"] == "forward" and r["item"] not in items:
            items.append(r["item"])
    for item in items:
        lat = lookup.get(("forward", item, "latency"), {})
        judged = lookup.get(("forward", item, "speed-up")) or lookup.get(("forward", item, "GFLOP/s"))
        target = f"{judged['target']} {judged['status']}".strip() if judged and judged["target"] else ""
        out.append("| " + " | ".join([
            item, get("forward", item, "accuracy"), get("forward", item, "latency"),
            get("forward", item, "GFLOP/s"), get("forward", item, "FLOP-ratio"),
            get("forward", item, "speed-up"), target,
            get("forward", item, "latency", "pytorch"), lat.get("vs_pytorch", ""),
            f"{lat.get('target', '')} {lat.get('status', '')}".strip(), lat.get("pytorch_run", ""),
            fmt(num(lat.get("pytorch_reused"))), lat.get("vs_pytorch_reused", "")]) + " |")
    out.append("")
    out.append("### Everything else\n")
    out.append("| section | item | metric | RankLab | PyTorch | vs PyTorch | unit | target | status | note | PyTorch's best run |")
    out.append("|---|---|---|---|---|---|---|---|---|---|---|")
    order = []
    for r in rows:
        if r["section"] not in order:
            order.append(r["section"])
    for r in sorted(rows, key=lambda r: order.index(r["section"])):
        if r["section"] == "forward" and r["metric"] not in ("setup", "MACs/image"):
            continue
        out.append("| " + " | ".join(cell(r, c) for c in ("section", "item", "metric", "ranklab", "pytorch",
                                                          "vs_pytorch", "unit", "target", "status", "note",
                                                          "pytorch_run")) + " |")
    out.append("\nvs PyTorch: PyTorch's time / ours, or our throughput / PyTorch's: above 1, RankLab is faster. "
               "\"est.\" in a note: timed on fewer images than the figure is for, and scaled.")
    if not have_torch:
        out.append("\nNo PyTorch run (not installed, or --no-torch): its columns are empty.")
    passed = sum(1 for r in rows if r["status"].endswith("PASS"))
    missed = sum(1 for r in rows if r["status"].endswith("MISS"))
    out.append(f"\nTargets: {passed} PASS, {missed} MISS.")
    return "\n".join(out) + "\n"


def main(argv):
    turns = {}
    reused = []
    while len(argv) > 2 and argv[1] in ("--turn", "--reused"):
        if argv[1] == "--reused":
            reused = read(argv[2])
            argv = argv[:1] + argv[3:]
            continue
        label, _, path = argv[2].partition("=")
        if not label or not path:
            print(f"merge-results.py: --turn wants LABEL=CSV, not {argv[2]!r}", file=sys.stderr)
            return 2
        turns.setdefault(label, []).append(path)
        argv = argv[:1] + argv[3:]
    if len(argv) not in (4, 5):
        print(__doc__, file=sys.stderr)
        return 2
    ours = read(argv[1]) + median_rows("ranklab", turns.pop("ranklab", []))
    theirs = read_torch(argv[2], [median_rows(f"{label}, in turns", paths) for label, paths in turns.items()])
    rows = merge(ours, theirs, reused)
    if not any(r["section"] == "forward" for r in rows):
        raise InputError(f"{argv[1]}: no forward rows (not ranklab-bench's CSV?)")
    with open(argv[3], "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=FIELDS)
        w.writeheader()
        w.writerows(rows)
    md = markdown(rows, bool(theirs))
    if len(argv) == 5:
        with open(argv[4], "w") as f:
            f.write(md)
    print(md)
    return 0


def run(argv):
    try:
        return main(argv)
    except (InputError, OSError) as exc:
        print(f"merge-results.py: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(run(sys.argv))
