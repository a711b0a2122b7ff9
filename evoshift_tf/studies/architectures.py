"""Tables 1-2 (Secs. VIII-B, VIII-E): attacks found with GrayNet/ColorNet transferred to
ResNet-20, ResNet-32 and DenseNet-40 trained with augmentation; clean test accuracy in %.

Rows: clean (N_p = 0), the Jacobsen et al. placement at N_p = 1 (Table 1's baseline) and EvoShift
at each N_p. Small budget: 10k images, 3 epochs, 3 repeats: 15 settings; ResNet-20 takes about
25 s/epoch on 10k 28x28 images on 2 cores, DenseNet-40 about 4x that, so the whole table is about
an hour: run it with ``--train_images 5000 --epochs 2 --repeats 2`` for a quick look.
"""

from __future__ import annotations

import dataclasses

from evoshift_tf import baselines
from evoshift_tf import summary as summary_lib
from evoshift_tf.studies import runner

VICTIMS = ("resnet20", "resnet32", "densenet40")
PAPER_TABLE2 = {  # CIFAR10 / SVHN, clean test accuracy % (mean), by N_p
    "CIFAR10": {0: (78.5, 75.2, 82.3), 1: (33.3, 30.7, 29.9), 2: (25.5, 20.7, 23.4),
                5: (14.5, 21.4, 24.6)},
    "SVHN": {0: (93.5, 92.8, 92.3), 1: (31.3, 37.2, 32.1), 2: (14.9, 18.4, 18.8),
             5: (9.3, 11.0, 16.1)},
}
PAPER_TABLE1_JACOBSEN_SVHN = (91.8, 90.9, 91.0)


def run(dataset, budget: runner.Budget, attacks: dict, victims=VICTIMS,
        augment: bool = True) -> dict:
    data = runner.prepare(dataset, budget)
    pre = ("augment",) if augment else ()
    jac = baselines.jacobsen_attack(data.info.num_classes, 1, data.info.image_shape)
    settings = []
    for v in victims:
        settings.append(runner.Setting(f"{v} N_p=0", None, model=v, preprocessing=pre,
                                       group=v, x=0))
        settings.append(runner.Setting(f"{v} Jacobsen N_p=1", jac, model=v, preprocessing=pre,
                                       group=f"{v} Jacobsen", x=1))
        for n, a in sorted(attacks.items()):
            settings.append(runner.Setting(f"{v} EvoShift N_p={n}", a, model=v,
                                           preprocessing=pre, group=v, x=n))
    rows = runner.run_settings(data, settings, budget)
    summary = summary_lib.by_label(rows)
    # the paper's layout: one row per attack, one column per victim, accuracy in %
    arms = list(dict.fromkeys(s["label"].split(" ", 1)[1] for s in summary))
    by_label = {s["label"]: s for s in summary}
    table = summary_lib.markdown_table(
        ["attack", *victims],
        ([arm, *(summary_lib.fmt(by_label[f"{v} {arm}"], "clean_test_accuracy", 100.0, 1)
                 for v in victims)] for arm in arms))
    return {"study": "tables12_transfer", "budget": dataclasses.asdict(budget), "rows": rows,
            "summary": summary, "table": table,
            "paper": {"table2": PAPER_TABLE2, "table1_jacobsen_svhn": PAPER_TABLE1_JACOBSEN_SVHN},
            "plot": {"kind": "x", "scale": 100.0, "xlabel": "N_p",
                     "ylabel": "clean test accuracy (%)",
                     "title": "Tables 1-2: transfer to ResNet/DenseNet with augmentation"}}
