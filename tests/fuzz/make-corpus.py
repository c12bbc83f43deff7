#!/usr/bin/env python3
"""Writes the seed corpora of the libFuzzer targets (tests/fuzz/corpus/<target>/).

Every seed is synthetic and tiny (a few KB at most): IDX headers with a couple
of generated images, small safetensors model and SVD cache files, and one
small image of each format GdkPixbuf reads here. Nothing is derived from
MNIST. The output is deterministic (gzip with mtime 0), so re-running the
script gives the same files.

    tests/fuzz/make-corpus.py [OUTPUT_DIR]     (default: tests/fuzz/corpus)
"""

import gzip
import hashlib
import json
import os
import struct
import sys
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))


def gz(data):
    return gzip.compress(data, compresslevel=9, mtime=0)


# ------------------------------------------------------------------- IDX

def idx_images(n, rows=28, cols=28, magic=2051, extra=b""):
    head = struct.pack(">IIII", magic, n, rows, cols)
    pixels = bytes(((i * 37 + (i // 28) * 11) & 0xFF) if (i % 3) else 0
                   for i in range(n * rows * cols))
    return head + pixels + extra


def idx_labels(n, magic=2049, extra=b""):
    return struct.pack(">II", magic, n) + bytes(i % 10 for i in range(n)) + extra


def idx_seeds():
    two = idx_images(2)
    labels = idx_labels(5)
    return {
        "images-2": two,
        "images-0": idx_images(0),
        "images-2.gz": gz(two),
        "images-2-two-members.gz": gz(two[:400]) + gz(two[400:]),
        "images-truncated": two[:-100],
        "images-trailing": two + b"\0" * 7,
        "images-27x28": idx_images(1, rows=27),
        "images-huge-count": struct.pack(">IIII", 2051, 0xFFFFFFFF, 28, 28) + two[16:],
        "images-little-endian": struct.pack("<IIII", 2051, 2, 28, 28) + two[16:],
        "labels-5": labels,
        "labels-0": idx_labels(0),
        "labels-5.gz": gz(labels),
        "labels-bad-digit": labels[:-1] + b"\x0a",
        "labels-truncated.gz": gz(labels)[:-6],
        "labels-gz-trailing": gz(labels) + b"junk",
        "html-error-page": b"\xef\xbb\xbf  <!DOCTYPE html><html><body>404</body></html>\n",
        "empty": b"",
    }


# ------------------------------------------------------------- safetensors

def safetensors(tensors, metadata=None, pad=True):
    """tensors: list of (name, dtype, shape, raw bytes), stored in that order."""
    header = {}
    if metadata is not None:
        header["__metadata__"] = metadata
    offset = 0
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": shape,
                        "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    if pad:
        text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(t[3] for t in tensors)


def f32(values):
    return struct.pack("<%df" % len(values), *values)


def f64(values):
    return struct.pack("<%dd" % len(values), *values)


def model_file(sizes, ranks=None, acts=None, meta_extra=None, bias_scale=0.1):
    n_layers = len(sizes) - 1
    acts = acts or ["relu"] * (n_layers - 1) + ["sigmoid"]
    meta = {"format": "ranklab-mlp", "version": "1",
            "sizes": ",".join(map(str, sizes)), "activations": ",".join(acts)}
    if ranks is not None:
        meta["ranks"] = ",".join(map(str, ranks))
    meta.update(meta_extra or {})
    tensors = []
    for i in range(n_layers):
        m, n = sizes[i], sizes[i + 1]
        r = ranks[i] if ranks else 0
        if r == 0:
            tensors.append(("layers.%d.weight" % i, "F32", [m, n],
                            f32([((j * 5) % 9 - 4) / 16 for j in range(m * n)])))
        else:
            tensors.append(("layers.%d.a" % i, "F32", [m, r],
                            f32([((j * 3) % 7 - 3) / 8 for j in range(m * r)])))
            tensors.append(("layers.%d.b" % i, "F32", [r, n],
                            f32([((j * 2) % 5 - 2) / 4 for j in range(r * n)])))
        tensors.append(("layers.%d.bias" % i, "F32", [n],
                        f32([bias_scale * j for j in range(n)])))
    return safetensors(tensors, meta)


def modelfile_seeds():
    return {
        "dense-4-3-2": model_file([4, 3, 2]),
        "dense-6-5-4-3": model_file([6, 5, 4, 3], meta_extra={"epochs": "1", "seed": "7"}),
        "factored-4-3-2": model_file([4, 3, 2], ranks=[2, 1]),
        "mixed-5-4-3": model_file([5, 4, 3], ranks=[0, 2]),
        "no-activation": model_file([3, 2], acts=["none"]),
        "not-ranklab": safetensors([("x", "F16", [2, 2], b"\0" * 8),
                                    ("y", "I64", [1], b"\1" + b"\0" * 7),
                                    ("z", "BOOL", [3], b"\1\0\1")], {"format": "pt"}),
        "all-dtypes": safetensors([(d, d, [2], b"\0" * (2 * s)) for d, s in
                                   [("BOOL", 1), ("U8", 1), ("I8", 1), ("F8_E5M2", 1),
                                    ("F8_E4M3", 1), ("I16", 2), ("U16", 2), ("F16", 2),
                                    ("BF16", 2), ("I32", 4), ("U32", 4), ("F32", 4),
                                    ("I64", 8), ("U64", 8), ("F64", 8)]]),
        "empty-object": struct.pack("<Q", 8) + b"{}      ",
        "scalar-and-empty": safetensors([("s", "F32", [], f32([1.5])),
                                         ("e", "F32", [0, 3], b"")]),
        "unpadded": safetensors([("layers.0.weight", "F32", [1, 1], f32([1.0]))], pad=False),
        "short": b"\x10\0\0\0\0\0\0\0{\"a\":",
    }


# -------------------------------------------------------------- SVD cache

def fuzz_model_weights():
    """The model fixed in fuzz-svdcache.c (sizes 5,3,4); keep in step with fill_model."""
    sizes = [5, 3, 4]
    layers = []
    for l in range(len(sizes) - 1):
        m, n = sizes[l], sizes[l + 1]
        w = [float(((i * 7 + l) % 11) - 5) / 8.0 for i in range(m * n)]
        b = [j / 4.0 for j in range(n)]
        layers.append((m, n, w, b))
    return layers


def weights_hash(layers):
    """rl_model_weights_hash: per layer in, out, rank (u32 LE), weights, bias (f32 LE)."""
    h = hashlib.sha256()
    for m, n, w, b in layers:
        h.update(struct.pack("<III", m, n, 0))
        h.update(f32(w))
        h.update(f32(b))
    return h.hexdigest()


def svd_cache(layers, hash_text, s_scale=1.0):
    tensors = []
    for i, (m, n, _w, _b) in enumerate(layers):
        k = min(m, n)
        tensors.append(("layers.%d.s" % i, "F64", [k], f64([s_scale * (k - j) for j in range(k)])))
        tensors.append(("layers.%d.us" % i, "F32", [m, k],
                        f32([((j * 3) % 7 - 3) / 8 for j in range(m * k)])))
        tensors.append(("layers.%d.vt" % i, "F32", [k, n],
                        f32([((j * 5) % 9 - 4) / 8 for j in range(k * n)])))
    meta = {"format": "ranklab-svd", "version": "1", "weights_hash": hash_text,
            "layers": str(len(layers))}
    return safetensors(tensors, meta)


def svdcache_seeds():
    layers = fuzz_model_weights()
    h = weights_hash(layers)
    return {
        "cache-5-3-4": svd_cache(layers, h),
        "cache-zero-s": svd_cache(layers, h, s_scale=0.0),
        "cache-other-hash": svd_cache(layers, "0" * 64),
        "cache-model-file": model_file([5, 3, 4]),
    }


# ----------------------------------------------------------------- images

def png(width, height, color_type, bit_depth, rows, extra_chunks=()):
    def chunk(kind, body):
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 0)
    raw = b"".join(b"\0" + r for r in rows)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + b"".join(chunk(k, v) for k, v in extra_chunks)
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def digit_bitmap(w=12, h=12):
    """A synthetic '0' ring: 255 on the ring, 0 elsewhere."""
    cx, cy = (w - 1) / 2, (h - 1) / 2
    out = []
    for y in range(h):
        row = []
        for x in range(w):
            d = ((x - cx) / (w / 2.2)) ** 2 + ((y - cy) / (h / 2.2)) ** 2
            row.append(255 if 0.45 < d < 1.0 else 0)
        out.append(row)
    return out


def bmp_24(bitmap):
    h, w = len(bitmap), len(bitmap[0])
    stride = (w * 3 + 3) & ~3
    pixels = b"".join(bytes(v for p in row for v in (p, p, p)) + b"\0" * (stride - 3 * w)
                      for row in reversed(bitmap))
    info = struct.pack("<IiiHHIIiiII", 40, w, h, 1, 24, 0, len(pixels), 2835, 2835, 0, 0)
    head = struct.pack("<2sIHHI", b"BM", 14 + 40 + len(pixels), 0, 0, 14 + 40)
    return head + info + pixels


def tga_grey(bitmap):
    h, w = len(bitmap), len(bitmap[0])
    head = struct.pack("<BBBHHBHHHHBB", 0, 0, 3, 0, 0, 0, 0, 0, w, h, 8, 0x20)
    return head + bytes(p for row in bitmap for p in row)


def ico(bitmap):
    # An icon holding a 32-bit BMP (height doubled for the AND mask).
    h, w = len(bitmap), len(bitmap[0])
    xor = b"".join(bytes(v for p in row for v in (p, p, p, 255)) for row in reversed(bitmap))
    mask_stride = ((w + 31) // 32) * 4
    mask = b"\0" * (mask_stride * h)
    info = struct.pack("<IiiHHIIiiII", 40, w, 2 * h, 1, 32, 0, len(xor) + len(mask), 0, 0, 0, 0)
    body = info + xor + mask
    return (struct.pack("<HHH", 0, 1, 1)
            + struct.pack("<BBBBHHII", w, h, 0, 0, 1, 32, len(body), 6 + 16) + body)


def xbm(bitmap):
    h, w = len(bitmap), len(bitmap[0])
    data = []
    for row in bitmap:
        for x0 in range(0, w, 8):
            byte = 0
            for b in range(8):
                if x0 + b < w and row[x0 + b]:
                    byte |= 1 << b
            data.append("0x%02x" % byte)
    return ("#define d_width %d\n#define d_height %d\nstatic unsigned char d_bits[] = {\n  %s };\n"
            % (w, h, ", ".join(data))).encode()


def xpm(bitmap):
    h, w = len(bitmap), len(bitmap[0])
    rows = ",\n".join('"%s"' % "".join("#" if p else "." for p in row) for row in bitmap)
    return ('/* XPM */\nstatic char *d[] = {\n"%d %d 2 1",\n". c #FFFFFF",\n"# c #000000",\n%s\n};\n'
            % (w, h, rows)).encode()


def gif_1x1():
    # The classic smallest GIF: one pixel, a 2-colour table, LZW code size 2.
    return (b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00"
            b"!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")


def svg():
    return (b'<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16">'
            b'<rect width="16" height="16" fill="white"/>'
            b'<circle cx="8" cy="8" r="5" fill="none" stroke="black" stroke-width="2"/></svg>\n')


def image_seeds():
    bm = digit_bitmap()
    h, w = len(bm), len(bm[0])
    grey_rows = [bytes(255 - p for p in row) for row in bm]            # black ink on white
    rgb_rows = [bytes(v for p in row for v in (255 - p, 255 - p, 255 - p)) for row in bm]
    rgba_rows = [bytes(v for p in row for v in (0, 0, 0, p)) for row in bm]  # transparent background
    grey16_rows = [b"".join(struct.pack(">H", (255 - p) * 257) for p in row) for row in bm]
    pal = b"\xff\xff\xff\x00\x00\x00"
    return {
        "grey8.png": png(w, h, 0, 8, grey_rows),
        "grey16.png": png(w, h, 0, 16, grey16_rows),
        "rgb.png": png(w, h, 2, 8, rgb_rows),
        "rgba-transparent.png": png(w, h, 6, 8, rgba_rows),
        "palette.png": png(w, h, 3, 8, [bytes(1 if p else 0 for p in row) for row in bm],
                           extra_chunks=[(b"PLTE", pal)]),
        "interlaced-claims-huge.png": png(1, 1, 0, 8, [b"\x80"])[:16]
                                      + struct.pack(">II", 100000, 100000)
                                      + png(1, 1, 0, 8, [b"\x80"])[24:],
        "p5.pgm": b"P5\n%d %d\n255\n" % (w, h) + b"".join(grey_rows),
        "p5-16bit.pgm": b"P5\n# comment\n%d %d\n65535\n" % (w, h) + b"".join(grey16_rows),
        "p2.pgm": (b"P2\n%d %d\n255\n" % (w, h)
                   + b"\n".join(b" ".join(b"%d" % v for v in r) for r in grey_rows) + b"\n"),
        "p6.ppm": b"P6\n%d %d\n255\n" % (w, h) + b"".join(rgb_rows),
        "p4.pbm": b"P4\n%d %d\n" % (w, h) + xbm_bits_msb(bm),
        "rgb24.bmp": bmp_24(bm),
        "grey.tga": tga_grey(bm),
        "icon.ico": ico(bm),
        "digit.xbm": xbm(bm),
        "digit.xpm": xpm(bm),
        "pixel.gif": gif_1x1(),
        "ring.svg": svg(),
        "not-an-image.txt": b"hello, this is text\n",
        "empty": b"",
    }


def xbm_bits_msb(bitmap):
    out = bytearray()
    for row in bitmap:
        w = len(row)
        for x0 in range(0, w, 8):
            byte = 0
            for b in range(8):
                if x0 + b < w and row[x0 + b]:
                    byte |= 0x80 >> b
            out.append(byte)
    return bytes(out)


# ------------------------------------------------------------------ main


# ------------------------------------------------------------ experiments

def experiment_seeds():
    """Experiment files for the 6-5-4-3 model of fuzz-experiment.c."""
    def doc(plan, **extra):
        d = {"format": "ranklab-experiment", "version": 1, "model": "model.safetensors", "plan": plan}
        d.update(extra)
        return json.dumps(d, indent=1).encode()
    results = {"accuracy": 0.97, "params": 107466, "macs": 106000, "latency_s": 0.05,
               "speedup": 8.1, "memory_mb": 0.41, "original_accuracy": 0.98,
               "original_latency_s": 0.4, "original_params": 1467726,
               "accuracy_before_finetune": 0.96}
    return {
        "uniform": doc({"mode": "uniform", "rank": 2}),
        "uniform-auto": doc({"mode": "uniform", "rank": 3, "auto": True}, seed=7, finetune_epochs=2),
        "per-layer": doc({"mode": "per-layer", "ranks": [2, 0, 1]}, description="per layer \u00e9"),
        "energy": doc({"mode": "energy", "energy": 0.9}),
        "energy-ranks": doc({"mode": "energy", "energy": 0.5, "ranks": [1, 1, 1]}),
        "budget-ranks": doc({"mode": "budget", "budget": 40, "ranks": [2, 1, 1]}, results=results),
        "budget": doc({"mode": "budget", "budget": 30}),
        "hash": doc({"mode": "uniform", "rank": 1}, model_hash="0" * 64),
        "unknown-key": doc({"mode": "uniform", "rank": 1}, colour="red"),
        "trailing": doc({"mode": "uniform", "rank": 1}) + b"[]",
        "not-json": b"<html><body>404</body></html>",
    }


TARGETS = {
    "idx": idx_seeds,
    "modelfile": modelfile_seeds,
    "svdcache": svdcache_seeds,
    "image": image_seeds,
    "experiment": experiment_seeds,
}

MAX_SEED_BYTES = 8192


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "corpus")
    total = 0
    for target, make in TARGETS.items():
        d = os.path.join(out_dir, target)
        os.makedirs(d, exist_ok=True)
        for name, data in make().items():
            if len(data) > MAX_SEED_BYTES:
                sys.exit("seed %s/%s is %d bytes, over %d" % (target, name, len(data), MAX_SEED_BYTES))
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)
            total += 1
    print("wrote %d seeds under %s" % (total, out_dir))


if __name__ == "__main__":
    main()
