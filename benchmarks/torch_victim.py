"""The peers' CIFAR-10 victim in PyTorch, trained on this project's poisons: a check outside
TensorFlow that the attacks are in the data, not in our trainer.

    python -m benchmarks.torch_victim --dataset=<cifar10 folder> --epochs=15 \\
        --attacks=clean,benchmarks/results/attacks_cifar10_jpeg75/evoshift_np1_seed1.json,\\
benchmarks/results/attacks_cifar10_jpeg75/ops_np1.json \\
        --out=benchmarks/results/torch_victim_cifar10_jpeg75.json

The victim is the CIFAR ResNet-18 of One-Pixel Shortcut's and ISS's reruns (3x3 stem, no max
pool; 11.2 M parameters), with their recipe: SGD 0.1, momentum 0.9, weight decay 5e-4, cosine
learning rate over ``--epochs``, batch 128, random crop (pad 4, zeros) and horizontal flip,
per-channel standardisation by the training set's mean and std; bfloat16 autocast on a GPU.

Written for a machine with PyTorch and no TensorFlow (nor absl: flags are argparse): the folder
is listed by :func:`evoshift_tf.image_folder.list_files` (the package's order and labels) and
decoded by Pillow (:func:`evoshift_tf.image_folder.decode_with_pillow`, bit-identical to the
package's decoder on CIFAR-10's JPEGs), the poison is :func:`evoshift_tf.attack.apply`
(NumPy), the table :func:`evoshift_tf.summary.markdown_table`; none of these imports
TensorFlow. The package never imports this script.

Each victim's row is written to ``--out`` as soon as it is trained (atomically); a rerun skips
the rows already there (same attack file content, epochs, seed, training images), so a killed
run loses one victim. Prints a table: final and peak clean test accuracy per attack.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import hashlib
import json
import os
import time

import numpy as np

from evoshift_tf import atomic, attack as attack_lib, image_folder, summary

CLEAN = "clean"


def load_folder(root: str, threads: int = 8) -> dict:
    """An image folder decoded by Pillow in the package's order: ``{"train": (x, y), "test":
    (x, y), "class_names": (...)}``, ``x`` ``uint8 [N, H, W, C]``, ``y`` ``int64 [N]``."""
    listing = image_folder.list_files(root)
    out = {"class_names": listing.class_names}
    with concurrent.futures.ThreadPoolExecutor(threads) as pool:   # Pillow decodes off the GIL
        for split in image_folder.SPLITS:
            x = np.stack(list(pool.map(image_folder.decode_with_pillow, listing.paths[split])))
            out[split] = (x, listing.labels[split])
    return out


def first_images(x: np.ndarray, y: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The first ``n`` images (``0`` = all): class-balanced, since a folder's dataset order
    interleaves the classes (:mod:`evoshift_tf.image_folder`)."""
    return (x, y) if n <= 0 else (x[:n], y[:n])


def attack_key(spec: str) -> str:
    """``clean``, or an attack file's name and the first 12 hex digits of its content's SHA-256
    (a changed file is a new row)."""
    if spec == CLEAN:
        return CLEAN
    with open(spec, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()[:12]
    return f"{os.path.splitext(os.path.basename(spec))[0]}@{digest}"


def poisoned(spec: str, x: np.ndarray, y: np.ndarray, num_classes: int) -> np.ndarray:
    """The training images poisoned by the attack file ``spec`` (``clean``: unchanged)."""
    if spec == CLEAN:
        return x
    a = attack_lib.load(spec, image_shape=x.shape[1:], num_classes=num_classes)
    return attack_lib.apply(a, x, y)


def resnet18(num_classes: int, channels: int = 3):
    """The CIFAR ResNet-18 (BasicBlock, [2, 2, 2, 2], widths 64-512, 3x3 stem)."""
    import torch
    from torch import nn

    class Block(nn.Module):
        def __init__(self, cin: int, cout: int, stride: int):
            super().__init__()
            self.body = nn.Sequential(
                nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout),
                nn.ReLU(inplace=True),
                nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout))
            self.skip = (nn.Identity() if stride == 1 and cin == cout else nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout)))

        def forward(self, x):
            return torch.relu(self.body(x) + self.skip(x))

    layers = [nn.Conv2d(channels, 64, 3, 1, 1, bias=False), nn.BatchNorm2d(64),
              nn.ReLU(inplace=True)]
    cin = 64
    for cout, stride in ((64, 1), (128, 2), (256, 2), (512, 2)):
        layers += [Block(cin, cout, stride), Block(cout, cout, 1)]
        cin = cout
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(512, num_classes)]
    return nn.Sequential(*layers)


def crop_flip(x, generator, pad: int = 4):
    """Random crop (zero padding ``pad``) and horizontal flip of a batch ``[B, C, H, W]``, one
    draw per image, by indexing (no loop over images)."""
    import torch

    b, _, h, w = x.shape
    padded = torch.nn.functional.pad(x, (pad, pad, pad, pad))
    dev = x.device
    top = torch.randint(0, 2 * pad + 1, (b, 1), generator=generator, device=dev)
    left = torch.randint(0, 2 * pad + 1, (b, 1), generator=generator, device=dev)
    rows = top + torch.arange(h, device=dev)                               # [B, H]
    cols = left + torch.arange(w, device=dev)                              # [B, W]
    flip = torch.rand((b, 1), generator=generator, device=dev) < 0.5
    cols = torch.where(flip, cols.flip(1), cols)
    batch = torch.arange(b, device=dev)[:, None, None]
    out = padded.permute(0, 2, 3, 1)[batch, rows[:, :, None], cols[:, None, :]]  # [B, H, W, C]
    return out.permute(0, 3, 1, 2)


def train_victim(x: np.ndarray, y: np.ndarray, x_test: np.ndarray, y_test: np.ndarray,
                 num_classes: int, epochs: int, seed: int, device: str,
                 batch_size: int = 128, learning_rate: float = 0.1,
                 log=print) -> list[float]:
    """Train one ResNet-18 on ``x`` (``uint8 [N, H, W, C]``) and return its clean test accuracy
    after every epoch (``[epochs]``)."""
    import torch

    torch.manual_seed(seed)
    generator = torch.Generator(device=device).manual_seed(seed)
    dev = torch.device(device)
    to = lambda a: torch.from_numpy(np.ascontiguousarray(a)).to(dev)  # noqa: E731
    xs, ys = to(x).permute(0, 3, 1, 2), to(y)                  # uint8 [N, C, H, W] on the device
    xt, yt = to(x_test).permute(0, 3, 1, 2), to(y_test)
    mean = xs.float().mean((0, 2, 3), keepdim=True)
    std = xs.float().std((0, 2, 3), keepdim=True).clamp_min(1.0)
    norm = lambda b: (b.float() - mean) / std                       # noqa: E731
    model = resnet18(num_classes, x.shape[-1]).to(dev)
    if dev.type == "cuda":
        model = model.to(memory_format=torch.channels_last)
    opt = torch.optim.SGD(model.parameters(), lr=learning_rate, momentum=0.9,
                          weight_decay=5e-4)
    steps = epochs * ((len(xs) + batch_size - 1) // batch_size)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    autocast = lambda: torch.autocast(dev.type, torch.bfloat16, enabled=dev.type == "cuda")  # noqa
    curve = []
    for epoch in range(epochs):
        start = time.time()
        model.train()
        order = torch.randperm(len(xs), generator=generator, device=dev)
        for i in range(0, len(xs), batch_size):
            idx = order[i:i + batch_size]
            with autocast():
                loss = torch.nn.functional.cross_entropy(
                    model(crop_flip(norm(xs[idx]), generator)), ys[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
        curve.append(evaluate(model, xt, yt, norm, autocast, batch_size * 4))
        log(f"  epoch {epoch + 1}/{epochs}: loss {loss.item():.3f}, clean test accuracy "
            f"{curve[-1]:.4f}, {time.time() - start:.1f} s")
    return curve


def evaluate(model, x, y, norm, autocast, batch_size: int) -> float:
    """Clean accuracy of ``model`` on the device tensors ``x`` ``[N, C, H, W]``, ``y`` ``[N]``."""
    import torch

    model.eval()
    correct = 0
    with torch.no_grad(), autocast():
        for i in range(0, len(x), batch_size):
            correct += (model(norm(x[i:i + batch_size])).argmax(1) == y[i:i + batch_size]).sum()
    return float(correct) / len(x)


def row_key(row: dict) -> tuple:
    """What makes a victim: the attack file's content, epochs, seed, ``--train_images`` asked
    (0 = all)."""
    return (row["attack_key"], row["epochs"], row["victim_seed"], row["train_images"])


def table(rows: list[dict]) -> str:
    """Final and peak clean test accuracy per victim, as Markdown."""
    return summary.markdown_table(
        ["attack", "epochs", "victim seed", "final", "peak", "seconds"],
        ([r["attack"], r["epochs"], r["victim_seed"], f"{r['clean_test_accuracy']:.3f}",
          f"{r['peak_test_accuracy']:.3f}", f"{r['seconds']:.0f}"] for r in rows))


def run(args: argparse.Namespace, log=print) -> list[dict]:
    """Train a victim per (attack, seed) not yet in ``args.out``; returns every row there."""
    import torch

    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    rows = []
    if os.path.exists(args.out):
        with open(args.out) as f:
            rows = json.load(f)["rows"]
    done = {row_key(r) for r in rows}
    todo = [(spec, seed) for spec in args.attacks for seed in args.victim_seeds
            if (attack_key(spec), args.epochs, seed, args.train_images) not in done]
    if not todo:
        log(table(rows))
        return rows
    folder = load_folder(args.dataset)
    x, y = first_images(*folder["train"], args.train_images)
    x_test, y_test = first_images(*folder["test"], args.test_images)
    num_classes = len(folder["class_names"])
    for spec, seed in todo:
        log(f"{spec}, victim seed {seed}: {len(x)} images, {args.epochs} epochs on {device}")
        start = time.time()
        curve = train_victim(poisoned(spec, x, y, num_classes), y, x_test, y_test, num_classes,
                             args.epochs, seed, device, args.batch_size, args.learning_rate,
                             log=log)
        rows.append({"attack": CLEAN if spec == CLEAN else os.path.basename(spec),
                     "attack_key": attack_key(spec), "victim": "resnet18 (pytorch)",
                     "epochs": args.epochs, "victim_seed": seed,
                     "train_images": args.train_images, "images": len(x),
                     "test_images": len(x_test),
                     "clean_test_accuracy": curve[-1], "peak_test_accuracy": max(curve),
                     "test_accuracy_per_epoch": curve, "seconds": time.time() - start})
        atomic.write_json(args.out, {
            "rows": rows, "dataset": os.path.basename(os.path.normpath(args.dataset)),
            "recipe": {"optimizer": "sgd", "learning_rate": args.learning_rate,
                       "momentum": 0.9, "weight_decay": 5e-4, "schedule": "cosine",
                       "batch_size": args.batch_size, "augmentation": "crop (pad 4) + flip"},
            "machine": {"device": device, "torch": torch.__version__,
                        "gpu": torch.cuda.get_device_name() if device == "cuda" else None}})
    log(table(rows))
    return rows


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--dataset", required=True, help="image folder: train/<class>/, test/<class>/")
    p.add_argument("--attacks", type=lambda s: s.split(","), default=[CLEAN],
                   help="comma-separated: 'clean' and attack JSON files")
    p.add_argument("--epochs", type=int, default=15)
    p.add_argument("--victim_seeds", type=lambda s: [int(v) for v in s.split(",")], default=[0])
    p.add_argument("--train_images", type=int, default=0,
                   help="the first N training images, class-balanced (0 = all)")
    p.add_argument("--test_images", type=int, default=0, help="the first N test images (0 = all)")
    p.add_argument("--batch_size", type=int, default=128)
    p.add_argument("--learning_rate", type=float, default=0.1)
    p.add_argument("--device", default="", help="cuda or cpu (default: cuda when there is one)")
    p.add_argument("--out", default="benchmarks/results/torch_victim.json")
    args = p.parse_args(argv)
    for spec in args.attacks:
        if spec != CLEAN and not os.path.isfile(spec):
            p.error(f"--attacks: no such attack file {spec}")
    return args


if __name__ == "__main__":
    run(parse_args())
