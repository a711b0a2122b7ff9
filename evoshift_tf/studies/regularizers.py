"""Fig. 7 (Sec. VIII-D): explicit regularizers under the N_p = 1 attack, test accuracy per epoch.

Arms: ``normal`` (clean data, no regularizer), ``no-reg`` (attacked), ``dropout`` (0.4),
``weight decay`` (L2 0.01), ``augmentation`` (crop + flip + zoom). Small budget: GrayNet, 10k
images, 3 epochs, 3 repeats (paper: 30 epochs, 5 repeats): 5 settings, about 4 min. The paper finds
augmentation helps most and dropout / weight decay do little.
"""

from __future__ import annotations

import dataclasses

from evoshift_tf import summary as summary_lib
from evoshift_tf.studies import runner

DROPOUT = 0.4
"""Sec. VIII-D2."""
WEIGHT_DECAY = 0.01
"""Sec. VIII-D3 (lambda)."""


def run(dataset, budget: runner.Budget, attack, model: str = "graynet") -> dict:
    data = runner.prepare(dataset, budget)
    S = runner.Setting
    settings = [S("normal", None, attack, model=model),
                S("no-reg", attack, model=model),
                S(f"dropout {DROPOUT}", attack, model=model, model_kwargs={"dropout": DROPOUT}),
                S(f"weight decay {WEIGHT_DECAY}", attack, model=model,
                  model_kwargs={"weight_decay": WEIGHT_DECAY}),
                S("augmentation", attack, model=model, preprocessing=("augment",))]
    rows = runner.run_settings(data, settings, budget)
    summary = summary_lib.by_label(rows)
    return {"study": "fig7_regularizers", "budget": dataclasses.asdict(budget), "rows": rows,
            "summary": summary, "table": summary_lib.markdown(summary),
            "plot": {"kind": "epochs", "title": f"Fig. 7: regularizers, N_p={attack.num_pixels}"}}
