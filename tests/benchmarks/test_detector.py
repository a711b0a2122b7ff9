"""The detector benchmark's numbers: which attack pixels change their class's images, and the
precision / recall it reports for a row."""

import numpy as np

from benchmarks import detector
from evoshift_tf import attack


def test_a_pixel_that_writes_the_images_own_value_is_unchanged_and_left_out_of_recall(tiny_gray):
    x, y = tiny_gray.train.x.copy(), tiny_gray.train.y
    x[:, 0] = 0                                                  # a black top row in every image
    a = attack.random_attack(4, 2, tiny_gray.info.image_shape, seed=0)
    positions, values = a.positions.copy(), a.values.copy()
    positions[3, 0], values[3, 0] = (0, 5), 0                    # class 3 writes black on black
    a = attack.PixelAttack(positions, values, a.image_shape)
    changed = detector._changed(a.positions, a.values, x, y)
    assert changed.shape == (4, 2) and changed.sum() == 7 and not changed[3, 0]
    row = detector.detection_row("synthetic", "random", attack.apply(a, x, y), y, 4, "trigger",
                                 a.positions, changed)
    assert row["poisoned"] and row["precision"] == 1.0
    assert row["recall"] == 7 / 8 and row["recall_changed"] == 1.0
    assert row["unchanged_pixels"] == 1 and row["min_changed_score"] >= 0.7
    clean = detector.detection_row("synthetic", "clean", x, y, 4, "clean")
    assert not clean["poisoned"] and "precision" not in clean and clean["kind"] == "clean"


def test_arms_name_every_attack_poisoned_and_repaired_in_each_scope():
    """In its own process: the script's flags (defined only when it runs) would clash with
    pipelines.run's in this one."""
    import os
    import subprocess
    import sys
    code = """
from absl import flags
from benchmarks import detector
detector.define_flags()
flags.FLAGS(["detector", "--extra_repairs=evoshift_np10_seed0.json"])
arms = detector._arms()
assert arms == [
    "(a) clean", "(b) evoshift_np1_seed0", "(b) evoshift_np10_seed0",
    "(c) evoshift_np1_seed0 repaired, scope all",
    "(c) evoshift_np10_seed0 repaired, scope all",
    "(c) evoshift_np1_seed0 repaired, scope class",
    "(c) evoshift_np10_seed0 repaired, scope class"], arms
assert detector.LEGACY_ARM.sub(r"(c) \\1 repaired, scope class",
                               "(c) evoshift_np1_seed0 repaired") == arms[5]
"""
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    subprocess.run([sys.executable, "-c", code], cwd=repo, check=True)
