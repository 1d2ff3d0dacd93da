#!/usr/bin/env python3
"""Fits Vigil's crowd-density head on cached backbone features.

Run by `vigil train density` (stage "fit"); reads the cache that the TF.js
extraction wrote (edge/density/train/feature-cache.ts) and writes
`head.json` (layer spec and weight layout, the format edge/density/
density-head.ts loads) and `head.bin` (float32) into the cache folder. The
last line on stdout is a JSON summary.

Why PyTorch: the TF.js wasm backend has no convolution gradient kernels;
written as matrix products the same head trained about 40 times slower on
this machine's two cores. The shipped model is still a TF.js model: only
the fit runs here, and `register` checks the result through TF.js.

The held-out split (split == "val") is never read here. Model selection uses
a development split carved from the training images (every 10th image).
"""
import argparse
import glob
import json
import math
import os
import random
import sys
import time

try:
    import numpy as np
    import torch
    import torch.nn as nn
except ImportError as err:  # exit code 3: the caller prints the apt-get line
    print(f"fit_density: {err}; install Debian's python3-torch and python3-numpy", file=sys.stderr)
    sys.exit(3)

GRID = 64
SCALE = 100.0  # targets are persons per cell (often 0.01); the loss works on ×100
LAYERS = [  # name, kernel, out channels, dilation, activation
    ("conv1", 1, 64, 1, "relu"),
    ("conv2", 3, 48, 1, "relu"),
    ("conv3", 3, 32, 2, "relu"),
    ("conv4", 1, 1, 1, "linear"),
]


def load_cache(cache):
    desc = json.load(open(os.path.join(cache, "cache.json")))
    channels = desc["channels"]
    views = []
    feats, targs, masks = {}, {}, {}
    for idx in sorted(glob.glob(os.path.join(cache, "shard-*.jsonl"))):
        shard = idx[: -len(".jsonl")]
        lines = [l for l in open(idx).read().split("\n") if l.strip()]
        rows = []
        for i, l in enumerate(lines):
            try:
                rows.append(json.loads(l))
            except json.JSONDecodeError:
                if i == len(lines) - 1:
                    break  # cut by a stop mid-write
                raise
        n = max((r["row"] for r in rows), default=-1) + 1
        feats[shard] = np.memmap(shard + ".f16", dtype=np.float16, mode="r", shape=(n, GRID, GRID, channels))
        targs[shard] = np.memmap(shard + ".f32", dtype=np.float32, mode="r", shape=(n, GRID, GRID))
        masks[shard] = np.memmap(shard + ".mask", dtype=np.float32, mode="r", shape=(n, GRID, GRID))
        for r in rows:
            r["shard"] = shard
            views.append(r)
    return desc, views, feats, targs, masks


def build(channels):
    mods = []
    cin = channels
    for name, k, cout, dil, act in LAYERS:
        conv = nn.Conv2d(cin, cout, k, padding=(k // 2) * dil, dilation=dil)
        mods.append(conv)
        if act == "relu":
            mods.append(nn.ReLU())
        cin = cout
    return nn.Sequential(*mods)


def batch(views, feats, targs, masks, mean, std):
    # float16 → float32 in torch (threaded; numpy's astype is ~5× slower), and
    # NHWC kept as is: permuted to NCHW it is a channels-last tensor, which
    # oneDNN convolves without a copy.
    x = torch.from_numpy(np.stack([feats[v["shard"]][v["row"]] for v in views])).float()
    x.sub_(mean).div_(std)
    t = np.stack([targs[v["shard"]][v["row"]] for v in views])
    m = np.stack([masks[v["shard"]][v["row"]] for v in views])
    return x.permute(0, 3, 1, 2), torch.from_numpy(t.copy()), torch.from_numpy(m.copy())


def evaluate(model, views, feats, targs, masks, mean, std):
    model.eval()
    out = {}
    with torch.no_grad():
        for i in range(0, len(views), 16):
            vs = views[i : i + 16]
            x, _, _ = batch(vs, feats, targs, masks, mean, std)
            pred = model(x)[:, 0].sum(dim=(1, 2)).numpy() / SCALE
            for v, p in zip(vs, pred):
                out.setdefault(v["dataset"], []).append((float(p), v["count"]))
    model.train()
    res = {}
    for ds, pairs in out.items():
        mae = sum(abs(p - c) for p, c in pairs) / len(pairs)
        rel = sum(abs(p - c) / max(1, c) for p, c in pairs) / len(pairs)
        res[ds] = {"mae": round(mae, 2), "rel": round(rel, 4), "n": len(pairs)}
    return res


def export(model, mean, std, channels, path_json, path_bin):
    """HWIO kernels, with the input normalisation folded into conv1 and the ×SCALE into conv4."""
    convs = [m for m in model if isinstance(m, nn.Conv2d)]
    tensors = []
    layers = []
    for (name, k, cout, dil, act), conv in zip(LAYERS, convs):
        w = conv.weight.detach().double().clone()  # [out, in, k, k]
        b = conv.bias.detach().double().clone()
        if name == "conv1":
            s = std.double().view(1, -1, 1, 1)
            mu = mean.double().view(1, -1, 1, 1)
            w = w / s
            b = b - (w * mu).sum(dim=(1, 2, 3))
        if name == LAYERS[-1][0]:
            w = w / SCALE
            b = b / SCALE
        kern = w.permute(2, 3, 1, 0).contiguous().float()
        layers.append({"name": name, "kernel": k, "inChannels": int(w.shape[1]), "outChannels": int(w.shape[0]), "dilation": dil, "activation": act})
        tensors.append((f"{name}/kernel", kern))
        tensors.append((f"{name}/bias", b.float()))
    spec = {
        "format": "vigil-density-head/1",
        "layers": layers,
        "weightsManifest": [{"paths": [os.path.basename(path_bin)], "weights": [{"name": n, "shape": list(t.shape), "dtype": "float32"} for n, t in tensors]}],
    }
    with open(path_bin, "wb") as f:
        for _, t in tensors:
            f.write(t.numpy().astype("<f4").tobytes())
    with open(path_json, "w") as f:
        json.dump(spec, f, indent=1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cache", required=True)
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    args = ap.parse_args()
    torch.manual_seed(args.seed)
    random.seed(args.seed)
    torch.set_num_threads(args.threads)
    started = time.time()

    desc, views, feats, targs, masks = load_cache(args.cache)
    channels = desc["channels"]
    train_all = [v for v in views if v["split"] == "train"]
    image_ids = sorted({v["id"] for v in train_all})
    dev_ids = set(image_ids[::10])
    train = [v for v in train_all if v["id"] not in dev_ids]
    dev = [v for v in train_all if v["id"] in dev_ids and v["viewIndex"] == 0]
    print(json.dumps({"event": "data", "trainViews": len(train), "devImages": len(dev), "channels": channels}), flush=True)

    # Per-channel statistics from a sample of training views.
    sample = random.sample(train, min(200, len(train)))
    acc = np.zeros(channels, dtype=np.float64)
    acc2 = np.zeros(channels, dtype=np.float64)
    for v in sample:
        f = feats[v["shard"]][v["row"]].astype(np.float64).reshape(-1, channels)
        acc += f.mean(axis=0)
        acc2 += (f * f).mean(axis=0)
    mean_np = acc / len(sample)
    std_np = np.sqrt(np.maximum(acc2 / len(sample) - mean_np**2, 1e-8)) + 1e-3
    mean = torch.from_numpy(mean_np.astype(np.float32))
    std = torch.from_numpy(std_np.astype(np.float32))

    model = build(channels).to(memory_format=torch.channels_last)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr, weight_decay=1e-5)
    steps_per_epoch = math.ceil(len(train) / args.batch)
    total_steps = steps_per_epoch * args.epochs
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=total_steps, pct_start=0.1)

    best = None
    best_state = None
    for epoch in range(args.epochs):
        random.shuffle(train)
        total = 0.0
        for i in range(0, len(train), args.batch):
            vs = train[i : i + args.batch]
            x, t, m = batch(vs, feats, targs, masks, mean, std)
            pred = model(x)[:, 0]
            diff = (pred - t * SCALE) * m
            pixel = (diff * diff).mean()
            # The count is what the product reports: an L1 on each view's total,
            # scaled by sqrt(count) so dense and sparse views weigh alike.
            cnt_p = (pred * m).sum(dim=(1, 2)) / SCALE
            cnt_t = (t * m).sum(dim=(1, 2))
            count = ((cnt_p - cnt_t).abs() / torch.sqrt(cnt_t + 1)).mean()
            loss = pixel + 2.0 * count
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss) * len(vs)
        res = evaluate(model, dev, feats, targs, masks, mean, std)
        score = sum(r["rel"] for r in res.values()) / max(1, len(res))
        print(json.dumps({"event": "epoch", "epoch": epoch + 1, "loss": round(total / len(train), 4), "dev": res, "seconds": round(time.time() - started)}), flush=True)
        if best is None or score < best["score"]:
            best = {"epoch": epoch + 1, "score": score, "dev": res}
            best_state = {k: v.clone() for k, v in model.state_dict().items()}

    model.load_state_dict(best_state)
    export(model, mean, std, channels, os.path.join(args.cache, "head.json"), os.path.join(args.cache, "head.bin"))
    params = sum(p.numel() for p in model.parameters())
    summary = {"epochs": args.epochs, "bestEpoch": best["epoch"], "dev": best["dev"], "params": params, "trainViews": len(train), "devImages": len(dev), "seconds": round(time.time() - started), "torch": torch.__version__, "layers": [l[0] for l in LAYERS]}
    with open(os.path.join(args.cache, "fit-summary.json"), "w") as f:
        json.dump(summary, f, indent=1)
    print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()
