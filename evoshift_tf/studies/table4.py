"""Table 4 (Sec. VIII-J): CE vs vibCE, alpha_S and alpha_N for Clean, Random and EvoShift.

CE = GrayNet trained with cross-entropy; vibCE = the VIB classifier (:mod:`evoshift_tf.models.vib`)
at each beta in ``betas``. For each ``N_p``: the Random attack (uniform placement, the search's
starting distribution; one draw per repeat, draw ``r`` = ``evoshift_tf.baselines`` random
placement with seed ``r``) and the EvoShift attack. Clean rows report alpha_N against the
``N_p = 1`` EvoShift pattern (a clean model should ignore it).

Small budget (default :class:`Budget`): 10k training images, 3 epochs, 3 repeats, N_p in
{1, 2, 5}: 14 settings x 3 repeats, about 25 min on 2 cores (the VIB model trains about 3x
slower than GrayNet).
"""

from __future__ import annotations

import dataclasses

from evoshift_tf import attack as attack_lib
from evoshift_tf import summary as summary_lib
from evoshift_tf.studies import runner

PAPER_FMNIST = {  # Table 4, Fashion-MNIST: (alpha_S, alpha_N)
    ("CE", "Clean", 0): (0.90, 0.01), ("vibCE", "Clean", 0): (0.84, 0.01),
    ("CE", "Random", 1): (0.32, 0.94), ("CE", "EvoShift", 1): (0.16, 0.89),
    ("vibCE", "Random", 1): (0.72, 0.09), ("vibCE", "EvoShift", 1): (0.73, 0.09),
    ("CE", "Random", 2): (0.30, 0.99), ("CE", "EvoShift", 2): (0.13, 0.72),
    ("vibCE", "Random", 2): (0.75, 0.09), ("vibCE", "EvoShift", 2): (0.64, 0.11),
    ("CE", "Random", 5): (0.27, 0.97), ("CE", "EvoShift", 5): (0.12, 0.99),
    ("vibCE", "Random", 5): (0.70, 0.20), ("vibCE", "EvoShift", 5): (0.63, 0.27),
}


def settings(info, attacks: dict, num_pixels=(1, 2, 5), betas=(0.01,), draws: int = 1):
    """The 1 + 2 len(num_pixels) arms per loss (clean, random and EvoShift per N_p); the random
    arms use ``draws`` placements (seeds ``0..draws-1``), one per repeat."""
    losses = [("CE", "graynet", {})] + [(f"vibCE(beta={b:g})", "vib", {"beta": b}) for b in betas]
    probe = attacks[min(attacks)]
    out = []
    for loss, model, kw in losses:
        out.append(runner.Setting(f"{loss} Clean", None, probe, model=model, model_kwargs=kw,
                                  group=loss, x=0))
        for n in num_pixels:
            rnd = tuple(attack_lib.random_attack(info.num_classes, n, info.image_shape, d)
                        for d in range(draws))
            out.append(runner.Setting(f"{loss} Random N_p={n}", rnd[0], model=model,
                                      model_kwargs=kw, group=loss, x=n, draws=rnd))
            out.append(runner.Setting(f"{loss} EvoShift N_p={n}", attacks[n], model=model,
                                      model_kwargs=kw, group=loss, x=n))
    return out


def run(dataset, budget: runner.Budget, attacks: dict, num_pixels=(1, 2, 5),
        betas=(0.01,)) -> dict:
    data = runner.prepare(dataset, budget)
    arms = settings(data.info, attacks, num_pixels, betas, draws=budget.repeats)
    rows = runner.run_settings(data, arms, budget)
    summary = summary_lib.by_label(rows)
    paper = {}
    for s in summary:
        loss = "CE" if s["label"].startswith("CE") else "vibCE"
        arm = next(a for a in ("Clean", "Random", "EvoShift") if a in s["label"])
        v = PAPER_FMNIST.get((loss, arm, int(s["x"] or 0)))
        if v:
            paper[s["label"]] = f"{v[0]:.2f} / {v[1]:.2f}"
    return {"study": "table4", "budget": dataclasses.asdict(budget), "rows": rows,
            "summary": summary, "paper": paper,
            "table": summary_lib.markdown(summary, ("clean_test_accuracy", "alpha_S", "alpha_N"),
                                     {"paper F-MNIST alpha_S / alpha_N": paper}),
            "plot": {"kind": "bars", "keys": ["alpha_S", "alpha_N"],
                     "title": "Table 4: CE vs vibCE (alpha_S up, alpha_N down is robust)"}}
