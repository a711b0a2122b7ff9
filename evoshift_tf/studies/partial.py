"""Fig. 6 (Sec. VIII-C): attack only classes 0..k-1, k = 0..C; clean test accuracy vs k.

Small budget: GrayNet, 10k images, 3 epochs, 3 repeats, N_p = 1: 11 settings, about 6 min.
The paper sees accuracy fall about linearly in k.
"""

from __future__ import annotations

import dataclasses

from evoshift_tf import summary as summary_lib
from evoshift_tf.studies import runner


def run(dataset, budget: runner.Budget, attack, ks=None) -> dict:
    data = runner.prepare(dataset, budget)
    c = data.info.num_classes
    ks = list(range(c + 1)) if ks is None else list(ks)
    settings = [runner.Setting(f"k={k}", attack if k else None, classes=k,
                               group=f"EvoShift N_p={attack.num_pixels}", x=k) for k in ks]
    rows = runner.run_settings(data, settings, budget)
    summary = summary_lib.by_label(rows)
    return {"study": "fig6_partial", "budget": dataclasses.asdict(budget), "rows": rows,
            "summary": summary,
            "table": summary_lib.markdown(summary, ("clean_test_accuracy",
                                                    "poisoned_train_accuracy")),
            "plot": {"kind": "x", "xlabel": "classes attacked k", "ylabel": "clean test accuracy",
                     "title": "Fig. 6: partial-class attack"}}
