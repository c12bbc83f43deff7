"""Drive the real RankLab window as a person would: find controls by their
accessible names, read readouts through their labelled-by captions, draw
with xdotool, and take screenshots. Used by the UI test suite."""
import os, subprocess, time

import pyatspi


def find_app(pid, timeout=30):
    end = time.time() + timeout
    while time.time() < end:
        desktop = pyatspi.Registry.getDesktop(0)
        for i in range(desktop.childCount):
            app = desktop.getChildAtIndex(i)
            try:
                if app is not None and app.get_process_id() == pid:
                    return app
            except Exception:
                pass
        time.sleep(0.3)
    raise RuntimeError(f"no accessible application with pid {pid}")


def walk(acc, depth=0):
    if acc is None or depth > 60:
        return
    yield acc
    try:
        n = acc.childCount
    except Exception:
        return
    for i in range(n):
        try:
            child = acc.getChildAtIndex(i)
        except Exception:
            continue
        yield from walk(child, depth + 1)


def find_named(app, name, role=None):
    for acc in walk(app):
        try:
            if acc.name == name and (role is None or acc.getRoleName() == role):
                return acc
        except Exception:
            continue
    return None


def wait_named(app, name, timeout=30, role=None):
    end = time.time() + timeout
    while time.time() < end:
        acc = find_named(app, name, role)
        if acc is not None:
            return acc
        time.sleep(0.25)
    raise RuntimeError(f"no control named {name!r}")


def readout(app, caption):
    """The text of the label whose labelled-by relation points at a label
    with text `caption` (GTK 4.8 names a label after its own text)."""
    for acc in walk(app):
        try:
            for rel in acc.getRelationSet():
                if rel.getRelationType() != pyatspi.RELATION_LABELLED_BY:
                    continue
                for t in range(rel.getNTargets()):
                    if rel.getTarget(t).name == caption:
                        return value_text(acc, caption)
        except Exception:
            continue
    return None


def value_text(acc, caption):
    """GTK 4.8 names a labelled readout "<value> <caption>"; return <value>."""
    name = acc.name or ""
    if name.endswith(" " + caption):
        name = name[: -len(caption) - 1]
    return name.strip()


def wait_readout(app, caption, pred, timeout=30):
    end = time.time() + timeout
    last = None
    while time.time() < end:
        last = readout(app, caption)
        if last is not None and pred(last):
            return last
        time.sleep(0.2)
    raise RuntimeError(f"readout {caption!r} stayed at {last!r}")


def window_origin(pid):
    """Top-left corner of the app's toplevel on the X screen (0,0 without a
    window manager)."""
    try:
        ids = subprocess.run(["xdotool", "search", "--pid", str(pid)], capture_output=True,
                             text=True).stdout.split()
        for wid in ids:
            out = subprocess.run(["xdotool", "getwindowgeometry", "--shell", wid], capture_output=True,
                                 text=True).stdout
            geo = dict(l.split("=", 1) for l in out.split() if "=" in l)
            if int(geo.get("WIDTH", 0)) > 100:
                return int(geo["X"]), int(geo["Y"])
    except Exception:
        pass
    return 0, 0


def extents(acc, pid=None):
    """Screen rectangle of a control, in X pixels. GTK 4.8 on X11 knows only
    window-relative positions (asking for screen ones logs a warning)."""
    comp = acc.queryComponent()
    e = comp.getExtents(pyatspi.WINDOW_COORDS)
    ox, oy = window_origin(pid) if pid else (0, 0)
    return e.x + ox, e.y + oy, e.width, e.height


def xdo(*args):
    subprocess.run(["xdotool", *map(str, args)], check=True)


def stroke(points, step_delay=0.01):
    """A pointer stroke through points (screen pixels): press, move, release."""
    x, y = points[0]
    xdo("mousemove", int(x), int(y))
    xdo("mousedown", 1)
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        for k in range(1, 9):
            t = k / 8
            xdo("mousemove", int(x0 + (x1 - x0) * t), int(y0 + (y1 - y0) * t))
            time.sleep(step_delay)
    xdo("mouseup", 1)


def screenshot(path):
    subprocess.run(["import", "-window", "root", path], check=False)
