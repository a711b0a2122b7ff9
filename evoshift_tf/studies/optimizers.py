"""Fig. 8 (Sec. VIII-G): optimizers under the N_p = 1 attack, test accuracy per epoch.

SGD (lr 0.01), SGD + momentum 0.9, Adam, RMSProp (1e-3) and AdaBound (1e-3 -> final 0.1).
Small budget: GrayNet, 10k images, 3 epochs, 3 repeats (paper: 5 repeats): 5 settings, about
4 min. The paper finds SGD the most robust, Adam and RMSProp the least, AdaBound between.
"""

from __future__ import annotations

import dataclasses

from evoshift_tf.studies import output, runner

RECIPES = (("SGD", "sgd", 0.0), ("SGD+momentum", "sgd", 0.9), ("Adam", "adam", 0.0),
           ("RMSProp", "rmsprop", 0.0), ("AdaBound", "adabound", 0.0))


def run(dataset, budget: runner.Budget, attack, model: str = "graynet") -> dict:
    data = runner.prepare(dataset, budget)
    settings = [runner.Setting(label, attack, model=model, optimizer=opt, momentum=mom)
                for label, opt, mom in RECIPES]
    rows = runner.run_settings(data, settings, budget)
    summary = runner.aggregate(rows)
    return {"study": "fig8_optimizers", "budget": dataclasses.asdict(budget), "rows": rows,
            "summary": summary, "table": output.markdown(summary),
            "plot": {"kind": "epochs", "title": f"Fig. 8: optimizers, N_p={attack.num_pixels}"}}
