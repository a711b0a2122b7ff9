"""Fig. 10 (Sec. VIII-H1): median filter (3x3, 5x5) on training and test inputs, clean vs
attacked training; accuracy normalised by the clean-trained, unfiltered accuracy.

Small budget: GrayNet, 10k images, 3 epochs, 3 repeats: 6 settings, about 5 min.
``train_only=True`` filters the training inputs only.
"""

from __future__ import annotations

import dataclasses

from evoshift_tf import summary as summary_lib
from evoshift_tf.studies import runner


def run(dataset, budget: runner.Budget, attack, sizes=(3, 5), train_only: bool = False) -> dict:
    data = runner.prepare(dataset, budget)
    suffix = "_train" if train_only else ""
    filters = [("none", ())] + [(f"median {k}x{k}", (f"median{k}{suffix}",)) for k in sizes]
    settings = []
    for name, pre in filters:
        for arm, a in (("clean", None), (f"N_p={attack.num_pixels}", attack)):
            settings.append(runner.Setting(f"{arm} {name}", a, attack, preprocessing=pre,
                                           group=arm, x=0 if name == "none" else int(name[7])))
    rows = runner.run_settings(data, settings, budget)
    summary = summary_lib.by_label(rows)
    ref = next(s for s in summary if s["label"] == "clean none")["clean_test_accuracy_mean"]
    for s in summary:
        s["normalized_accuracy_mean"] = s["clean_test_accuracy_mean"] / ref
        s["normalized_accuracy_std"] = s["clean_test_accuracy_std"] / ref
    return {"study": "fig10_median", "budget": dataclasses.asdict(budget), "rows": rows,
            "summary": summary,
            "table": summary_lib.markdown(summary, ("clean_test_accuracy", "normalized_accuracy",
                                               "alpha_N")),
            "plot": {"kind": "bars", "keys": ["normalized_accuracy"],
                     "title": "Fig. 10: median filter (accuracy / clean-trained accuracy)"}}
