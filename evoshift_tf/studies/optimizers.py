"""Fig. 8 (Sec. VIII-G): optimizers under the N_p = 1 attack, test accuracy per epoch.

SGD (lr 0.01), SGD + momentum 0.9, Adam, RMSProp (1e-3) and AdaBound (1e-3 -> final 0.1).
Small budget: GrayNet, 10k images, 3 epochs, 3 repeats (paper: 5 repeats): 5 attacked settings
and the 5 clean references, about 8 min. The paper finds SGD the most robust, Adam and RMSProp the least, AdaBound between.
"""

from __future__ import annotations

import dataclasses

from evoshift_tf import summary as summary_lib
from evoshift_tf.studies import runner

RECIPES = (("SGD", "sgd", 0.0), ("SGD+momentum", "sgd", 0.9), ("Adam", "adam", 0.0),
           ("RMSProp", "rmsprop", 0.0), ("AdaBound", "adabound", 0.0))


def run(dataset, budget: runner.Budget, attack, model: str = "graynet",
        with_clean: bool = True) -> dict:
    """``with_clean``: also train each optimizer on clean data and report
    ``accuracy_vs_clean`` = attacked / clean accuracy of the same optimizer, so that an optimizer
    that has simply learned less in the budget (plain SGD in a few epochs) does not look robust."""
    data = runner.prepare(dataset, budget)
    settings = [runner.Setting(label, attack, model=model, optimizer=opt, momentum=mom,
                               group="attacked")
                for label, opt, mom in RECIPES]
    if with_clean:
        settings += [runner.Setting(f"{label} clean", None, attack, model=model, optimizer=opt,
                                    momentum=mom, group="clean")
                     for label, opt, mom in RECIPES]
    rows = runner.run_settings(data, settings, budget)
    summary = summary_lib.by_label(rows)
    by_label = {s["label"]: s for s in summary}
    keys = ["clean_test_accuracy", "alpha_S", "alpha_N"]
    for label, _, _ in RECIPES:
        clean = by_label.get(f"{label} clean")
        if clean:
            s = by_label[label]
            ref = clean["clean_test_accuracy_mean"]
            s["accuracy_vs_clean_mean"] = s["clean_test_accuracy_mean"] / ref
            s["accuracy_vs_clean_std"] = s["clean_test_accuracy_std"] / ref
    if with_clean:
        keys.append("accuracy_vs_clean")
    return {"study": "fig8_optimizers", "budget": dataclasses.asdict(budget), "rows": rows,
            "summary": summary, "table": summary_lib.markdown(summary, tuple(keys)),
            "plot": {"kind": "epochs", "title": f"Fig. 8: optimizers, N_p={attack.num_pixels}"}}
