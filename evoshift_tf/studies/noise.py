"""Fig. 11 (Sec. VIII-H2): additive Gaussian noise on the (attacked) training images at
Hendrycks & Dietterich's severities 0..5, for each N_p; clean test accuracy vs severity.

Small budget: GrayNet, 10k images, 3 epochs, 3 repeats, N_p in {1, 5}: 12 settings, about 8 min.
The paper: high severity helps against N_p = 1, not against N_p = 5.
"""

from __future__ import annotations

import dataclasses

from evoshift_tf import summary as summary_lib
from evoshift_tf.studies import runner


def run(dataset, budget: runner.Budget, attacks: dict, severities=(0, 1, 2, 3, 4, 5)) -> dict:
    data = runner.prepare(dataset, budget)
    settings = [runner.Setting(f"N_p={n} severity {s}", a, preprocessing=(f"gauss{s}",) if s else (),
                               group=f"N_p={n}", x=s)
                for n, a in sorted(attacks.items()) for s in severities]
    rows = runner.run_settings(data, settings, budget)
    summary = summary_lib.by_label(rows)
    return {"study": "fig11_noise", "budget": dataclasses.asdict(budget), "rows": rows,
            "summary": summary, "table": summary_lib.markdown(summary),
            "plot": {"kind": "x", "xlabel": "Gaussian noise severity (0 = none)",
                     "ylabel": "clean test accuracy", "title": "Fig. 11: additive Gaussian noise"}}
