"""EvoShift vs the three baselines (random placement, Jacobsen et al. 2018, One-Pixel Shortcut):
GrayNet trained on each attack, alpha_S and alpha_N, for each N_p.

Small budget: 10k images, 3 epochs, 3 repeats, N_p in {1, 5}: 9 settings (with clean), about 6 min.
The OPS attack is computed on the same training subset the victims see. The random arm draws a
new placement per repeat (draw ``r``: seed ``r``).
"""

from __future__ import annotations

import dataclasses

from evoshift_tf import baselines
from evoshift_tf import summary as summary_lib
from evoshift_tf.studies import runner


def run(dataset, budget: runner.Budget, attacks: dict, model: str = "graynet") -> dict:
    data = runner.prepare(dataset, budget)
    info = data.info
    settings = [runner.Setting("clean", None, attacks[min(attacks)], model=model, group="clean")]
    for n, a in sorted(attacks.items()):
        for name in baselines.NAMES:
            draws = tuple(baselines.get(name, data.train, info.num_classes, n, seed=d)
                          for d in range(budget.repeats if name == "random" else 1))
            settings.append(runner.Setting(f"{name} N_p={n}", draws[0], model=model, group=name,
                                           x=n, draws=draws if name == "random" else ()))
        settings.append(runner.Setting(f"evoshift N_p={n}", a, model=model, group="evoshift", x=n))
    rows = runner.run_settings(data, settings, budget)
    summary = summary_lib.by_label(rows)
    return {"study": "baselines", "budget": dataclasses.asdict(budget), "rows": rows,
            "summary": summary, "table": summary_lib.markdown(summary),
            "plot": {"kind": "bars", "keys": ["alpha_S", "alpha_N"],
                     "title": "EvoShift vs random, Jacobsen et al., One-Pixel Shortcut"}}
