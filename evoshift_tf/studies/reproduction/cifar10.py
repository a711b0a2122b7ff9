"""The paper's CIFAR-10 numbers judged against a CIFAR-10 attack-strength benchmark file.

``benchmarks/attack_strength.py`` on ``cifar10_jpeg75`` (CIFAR-10 re-encoded as quality-75 JPEGs)
writes one row per trained victim: ``attack`` (evoshift, random, jacobsen, ops, clean),
``num_pixels``, ``search_seed``, ``victim``, ``victim_seed``, ``victim_epochs``,
``clean_test_accuracy``, ``peak_test_accuracy``, ``alpha_S``, ``alpha_N``; beside the rows, the
victims' recipe (``victim``: model, preprocessing, epochs, train_images, seeds) and the search's
``search_overrides``. Here the rows become arms (:func:`arms`: mean ± std over the victims of one
model, attack and N_p), Table 2's CIFAR-10 rows and the claims the file can test are judged with
:func:`~.verdicts.judge` (the Fashion-MNIST report's rules: one seed is *inconclusive*), and
Fig. 10 (the median filter) is read from a defense benchmark file
(``benchmarks/defense_aware.py``: rows ``attack``, ``defense``, ``num_pixels``, ``victim_seed``,
``clean_test_accuracy``, the victims' ``victim_recipe``), its clean and plain EvoShift rows
undefended and under ``median3``; every other CIFAR-10 number of the paper is *not measured*,
with the reason. Nothing is trained::

    with open("benchmarks/results/attack_strength_cifar10_jpeg75.json") as f:
        verdicts = cifar10.judge_all(json.load(f))
"""

from __future__ import annotations

from evoshift_tf import summary as summary_lib
from evoshift_tf.errors import UserError
from evoshift_tf.studies import architectures
from evoshift_tf.studies.reproduction import measures as m
from evoshift_tf.studies.reproduction import verdicts
from evoshift_tf.studies.reproduction.claims import TOLERANCE_ACCURACY
from evoshift_tf.studies.reproduction.verdicts import NotMeasured, PaperNumber, Trend

DATASET = "cifar10_jpeg75"
"""The dataset every number here is measured on: CIFAR-10 as quality-75 JPEGs."""
KEYS = ("clean_test_accuracy", "peak_test_accuracy", "alpha_S", "alpha_N")
"""What the benchmark measures of each victim."""
DEFENSE_KEYS = ("clean_test_accuracy", "peak_test_accuracy")
"""What the defense benchmark measures of each victim."""
PAPER_EPOCHS, PAPER_TRAIN_IMAGES, PAPER_REPEATS = 30, 50_000, 3
"""Table 2's victims: 30 epochs on all CIFAR-10 training images, 3 repeats."""
PAPER_TABLE2_STD = {  # Table 2, CIFAR-10: ± over the 3 repeats, %, victims as VICTIMS
    0: (1.2, 3.0, 1.5), 1: (8.4, 4.2, 2.9), 2: (1.1, 6.2, 0.7), 5: (2.6, 1.1, 5.2)}
TABLE3_CLASSES = ("airplane", "cat", "deer", "dog", "ship", "truck")
PAPER_TABLE3 = {  # Table 3: ColorNet trained on CIFAR-10, test accuracy % per shared class
    0: {"CIFAR-10": (75.1, 60.5, 69.3, 56.9, 82.0, 76.6),
        "STL-10": (74.5, 31.25, 61.1, 18.9, 64.5, 52.9)},
    1: {"CIFAR-10": (22.8, 16.9, 71.8, 14.6, 7.7, 25.8),
        "STL-10": (26.5, 13.1, 24.6, 8.3, 3.5, 30.6)},
    5: {"CIFAR-10": (18.3, 15.9, 4.9, 19.7, 6.6, 41.1),
        "STL-10": (11.3, 7.3, 2.6, 13.6, 13.8, 23.3)},
}
PAPER_PSNR_DB = {1: 14.42, 10: 11.06}
"""Sec. VIII-I: VAE-GAN PSNR of CIFAR-10 reconstructions, trained on EvoShift N_p (dB)."""
NAMES = {"resnet20": "ResNet-20", "resnet32": "ResNet-32", "densenet40": "DenseNet-40",
         "colornet": "ColorNet", "graynet": "GrayNet"}
NOT_MEASURED = ("no benchmark file read has such an arm, or the number needs a study or dataset "
                f"not run on {DATASET} (the row says which)")
"""What *not measured* means in the CIFAR-10 report's legend."""


def combine(docs: list[dict]) -> dict:
    """Benchmark files' contents ``docs`` (``attack_strength.py`` writes one victim model per
    file) as one: every file's rows, the first file's ``victim`` recipe and search, and
    ``recipes`` (victim model -> its file's recipe, for :func:`recipe_of`). A model in two
    files is a :class:`UserError`: their arms would mix budgets."""
    recipes = {}
    for doc in docs:
        if not doc.get("rows"):
            raise UserError("a benchmark file has no rows")
        model = (doc.get("victim") or {}).get("model") or doc["rows"][0]["victim"]
        if model in recipes:
            raise UserError(f"two benchmark files hold {model} victims; give one file per "
                            "victim model")
        recipes[model] = doc.get("victim") or {}
    return {**docs[0], "rows": [r for doc in docs for r in doc["rows"]], "recipes": recipes}


def recipe_of(doc: dict, victim: str) -> dict:
    """The recipe of ``victim``'s rows in ``doc`` (one file, or :func:`combine`'s result)."""
    return (doc.get("recipes") or {}).get(victim) or doc.get("victim") or {}


def label(victim: str, attack: str, num_pixels: int) -> str:
    """An arm's name: ``resnet20 clean`` or ``resnet20 evoshift N_p=1``."""
    return f"{victim} clean" if attack == "clean" else f"{victim} {attack} N_p={num_pixels}"


def select(rows: list[dict], epochs: int | None = None) -> tuple[list[dict], int]:
    """``(rows, epochs)``: the rows whose victims trained ``epochs`` epochs (default: the most
    in the file, the closest to the paper's 30); arms of different budgets are not averaged."""
    if not rows:
        raise UserError("the benchmark file has no rows")
    have = sorted({r["victim_epochs"] for r in rows})
    epochs = epochs or have[-1]
    if epochs not in have:
        raise UserError(f"no rows at {epochs} victim epochs; the file has {have}")
    return [r for r in rows if r["victim_epochs"] == epochs], epochs


def arms(rows: list[dict]) -> list[dict]:
    """One summary row per arm (:func:`label`), sorted: ``label``, ``victim``, ``attack``,
    ``num_pixels``, ``n`` (victims trained), ``<key>_mean`` / ``<key>_std`` of :data:`KEYS`
    (accuracies in [0, 1]), ``victim_seeds`` and ``search_seeds`` (the arm's seeds)."""
    return _arms_of([{**r, "label": label(r["victim"], r["attack"], r["num_pixels"])}
                     for r in rows], KEYS)


def _arms_of(named: list[dict], keys: tuple[str, ...]) -> list[dict]:
    """:func:`arms` of rows that already carry their ``label``."""
    out = summary_lib.aggregate(named, keys, "label", carry=("victim", "attack", "num_pixels"),
                                order=())
    for s in out:
        mine = [r for r in named if r["label"] == s["label"]]
        s["victim_seeds"] = sorted({r["victim_seed"] for r in mine})
        s["search_seeds"] = sorted({r["search_seed"] for r in mine
                                    if r.get("search_seed") is not None})
    return out


def defense_label(victim: str, attack: str, num_pixels: int, defense: str) -> str:
    """A defense cell's arm: ``resnet20 evoshift N_p=1 under median3``."""
    return f"{label(victim, attack, num_pixels)} under {defense}"


def defense_victim(doc: dict) -> str:
    """The victim of a defense benchmark file's content ``doc`` (its recipe's ``victim``;
    ``colornet`` for a colour file judged by the benchmark's default victims)."""
    return (doc.get("victim_recipe") or {}).get("victim") or "colornet"


def defense_arms(doc: dict | None) -> list[dict]:
    """A defense benchmark file's cells as arms (:func:`arms`' fields, label
    :func:`defense_label`), only the rows of each attack as the file describes it now (its
    ``attacks[name]["attack_id"]``: a re-searched attack's old rows are not averaged in)."""
    if not doc:
        return []
    victim = defense_victim(doc)
    current = {k: a.get("attack_id") for k, a in (doc.get("attacks") or {}).items()}
    named = [{**r, "victim": victim, "search_seed": None,      # the file's flag, not an arm's
              "label": defense_label(victim, r["attack"], r["num_pixels"], r["defense"])}
             for r in doc["rows"] if current.get(r["attack"], r.get("attack_id")) ==
             r.get("attack_id")]
    return _arms_of(named, DEFENSE_KEYS)


def holdings(summary: list[dict]) -> str:
    """What the file holds, per victim: ``resnet20: clean, evoshift N_p=1, ...``."""
    victims = dict.fromkeys(s["victim"] for s in summary)
    return "; ".join(f"{v}: " + ", ".join(s["label"].split(" ", 1)[1] for s in summary
                                          if s["victim"] == v) for v in victims)


def _needs(labels: tuple[str, ...], measure, file: str = "benchmark"):
    """``measure``, refusing (:class:`NotMeasured`) when the result lacks one of ``labels``
    (arms of the ``file``: ``benchmark`` or ``defense``)."""
    def call(result):
        have = {s["label"] for s in result["summary"]}
        missing = [x for x in labels if x not in have]
        if missing:
            raise NotMeasured(f"no {', '.join(missing)} victims in the {file} file (it holds "
                              f"{result[file]})")
        return measure(result)
    return call


def _never(reason: str):
    """A measure for a number that no benchmark file holds."""
    def call(result):
        raise NotMeasured(reason)
    return call


def _table2(victim: str, i: int) -> list[tuple[PaperNumber, tuple[str, ...]]]:
    """Table 2's CIFAR-10 column of ``victim`` (index ``i`` in VICTIMS): clean, then N_p 1, 2, 5,
    each with the arms it reads."""
    means, name = architectures.PAPER_TABLE2["CIFAR10"], NAMES[victim]
    clean = label(victim, "clean", 0)
    evo = {n: label(victim, "evoshift", n) for n in (1, 2, 5)}
    paper = {n: means[n][i] / 100 for n in means}
    text = {n: f"{paper[n]:.3f} ({means[n][i]} ± {PAPER_TABLE2_STD[n][i]} %)" for n in means}
    what = f"{name} (augmentation) clean test accuracy, trained on"
    out = [(PaperNumber(f"table2.{victim}.clean", f"{what} clean images", "Table 2", "table2",
                        paper[0], _needs((clean,), m.of(clean)), tolerance=TOLERANCE_ACCURACY,
                        paper_text=text[0]), (clean,))]
    out.append((PaperNumber(
        f"table2.{victim}.np1", f"{what} EvoShift N_p = 1", "Table 2", "table2", paper[1],
        _needs((evo[1], clean), m.of(evo[1])), tolerance=TOLERANCE_ACCURACY,
        trend="more than 10 points below clean",
        trend_test=lambda r: Trend((m.gap(r, evo[1], clean, above=False, margin=0.10),)),
        paper_text=text[1]), (evo[1], clean)))
    for n in (2, 5):
        out.append((PaperNumber(
            f"table2.{victim}.np{n}", f"{what} EvoShift N_p = {n}", "Table 2", "table2",
            paper[n], _needs((evo[n], evo[1]), m.of(evo[n])), tolerance=TOLERANCE_ACCURACY,
            trend="below N_p = 1", trend_test=m.cmp(evo[n], evo[1]), paper_text=text[n]),
            (evo[n], evo[1])))
    return out


def _claims(victim: str) -> list[tuple[PaperNumber, tuple[str, ...]]]:
    """The paper's claims in words that the benchmark's arms test on ``victim``."""
    evo, jac, rnd = (label(victim, a, 1) for a in ("evoshift", "jacobsen", "random"))
    name = NAMES.get(victim, victim)
    return [
        (PaperNumber(
            "sec8b.jacobsen", f"{name}: EvoShift N_p = 1 minus the Jacobsen et al. placement, "
            "clean test accuracy", "Sec. VIII-B, Table 1", "claims",
            "EvoShift outperforms the baseline for all datasets",
            _needs((evo, jac), m.delta(evo, jac)), trend="EvoShift below Jacobsen",
            trend_test=m.cmp(evo, jac), note="the paper's table is SVHN"), (evo, jac)),
        (PaperNumber(
            "sec8j.random", f"{name}: EvoShift N_p = 1 minus random placement (same N_p), clean "
            "test accuracy", "Sec. VIII-J, Table 4", "claims",
            "EvoShift outperforms random pixel placement",
            _needs((evo, rnd), m.delta(evo, rnd)), trend="EvoShift below random",
            trend_test=m.cmp(evo, rnd),
            note="the paper's evidence is Table 4 (MNIST, Fashion-MNIST; GrayNet alpha_S)"),
         (evo, rnd)),
    ]


def _table3() -> list[PaperNumber]:
    out = []
    why = {"CIFAR-10": "the benchmark file has no ColorNet victim and no per-class accuracy; "
                       "`studies/cross_dataset.py` measures Table 3 where CIFAR-10 and STL-10 "
                       "are prepared for tensorflow-datasets",
           "STL-10": "STL-10 is not on this machine (`studies/cross_dataset.py` runs Table 3 "
                     "where it is prepared for tensorflow-datasets)"}
    for n, cols in PAPER_TABLE3.items():
        arm = "clean images" if n == 0 else f"EvoShift N_p = {n}"
        for ds, values in cols.items():
            out.append(PaperNumber(
                f"table3.{'cifar10' if ds == 'CIFAR-10' else 'stl10'}.np{n}",
                f"ColorNet trained on CIFAR-10 {arm}, test accuracy on {ds} per shared class",
                "Table 3, Sec. VIII-F", "not_measured",
                ", ".join(f"{c} {v}" for c, v in zip(TABLE3_CLASSES, values)) + " %",
                _never(why[ds])))
    return out


def _fig10(victim: str) -> list[tuple[PaperNumber, tuple[str, ...]]]:
    """Fig. 10: the median filter (train and test inputs) against plain EvoShift N_p = 1 and on
    clean training, from the defense file's ``victim`` cells undefended and under ``median3``."""
    cell = lambda attack, n, defense: defense_label(victim, attack, n, defense)  # noqa: E731
    ev, ev_med = cell("evoshift", 1, "none"), cell("evoshift", 1, "median3")
    cl, cl_med = cell("clean", 0, "none"), cell("clean", 0, "median3")
    name = NAMES.get(victim, victim)
    return [
        (PaperNumber(
            "fig10.attacked", f"{name} trained on EvoShift N_p = 1: clean test accuracy with the "
            "3x3 median filter minus without it", "Fig. 10, Sec. VIII-H1", "fig10",
            "improves the test accuracy", _needs((ev_med, ev), m.delta(ev_med, ev), "defense"),
            trend="higher with the filter", trend_test=m.cmp(ev_med, ev, less=False)),
         (ev_med, ev)),
        (PaperNumber(
            "fig10.clean", f"{name} trained on clean images: the same difference",
            "Fig. 10, Sec. VIII-H1", "fig10", "a slight drop",
            _needs((cl_med, cl), m.delta(cl_med, cl), "defense"),
            trend="lower with the filter", trend_test=m.cmp(cl_med, cl),
            note="how slight is not tested"), (cl_med, cl)),
    ]


def _not_measured() -> list[PaperNumber]:
    """The paper's other CIFAR-10 numbers and figures: no benchmark file holds them."""
    P = PaperNumber
    vaegan = f"the VAE-GAN study (`studies/vaegan_attack.py`) has not been run on {DATASET}"
    opt = (f"the optimizer studies (`studies/optimizers.py`, `studies/loss_surface.py`) have not "
           f"been run on {DATASET}; docs/reproduction.md tests the claim on Fashion-MNIST")
    return _table3() + [
        P("sec8i.psnr_np1", "VAE-GAN PSNR of CIFAR-10 reconstructions, trained on EvoShift "
          "N_p = 1 (dB)", "Sec. VIII-I, Fig. 12", "not_measured", PAPER_PSNR_DB[1],
          _never(vaegan), paper_text=f"{PAPER_PSNR_DB[1]} dB"),
        P("sec8i.psnr_np10", "the same at N_p = 10 (dB)", "Sec. VIII-I, Fig. 12", "not_measured",
          PAPER_PSNR_DB[10], _never(vaegan), paper_text=f"{PAPER_PSNR_DB[10]} dB (lower than "
          "N_p = 1)"),
        P("fig3.gan_samples", "GAN samples from CIFAR-10 attacked with 10 pixels",
          "Fig. 3", "not_measured", "the pixels are recreated, shape and colour ignored "
          "(figure)", _never(vaegan)),
        P("fig13.gan_progress", "VAE-GAN samples over training on attacked CIFAR-10",
          "Fig. 13, Sec. VIII-I", "not_measured", "the attacked pixels grow, natural features "
          "fade with N_p (figure)", _never(vaegan)),
        P("fig4c.samples", "EvoShift N_p = 1 colour samples of CIFAR-10", "Fig. 4c, Sec. VIII-A",
          "not_measured", "class-wise pixel perturbations (figure, no number)",
          _never("a picture, not a number: the main job draws it (`poisoned_samples.png`; "
                 "docs/figures/poisoned_samples_cifar10_jpeg75_light.png, the light preset's "
                 "attack), but a drawing has no verdict")),
        P("fig8.sgd", "plain SGD vs Adam, RMSProp, AdaBound under N_p = 1 on CIFAR-10",
          "Fig. 8, Sec. VIII-G", "not_measured", "SGD most robust, for all datasets",
          _never(opt)),
        P("fig9.sharpness", "loss surface between SGD and Adam on CIFAR-10",
          "Fig. 9, Sec. VIII-G1", "not_measured", "sharper and lower at SGD, for all datasets",
          _never(opt)),
        P("fig14.imagenet", "EvoShift attack moved from CIFAR-10 to 64x64 ImageNet by SVF "
          "sampling (ResNet-50/101, DenseNet-161)", "Fig. 14, Sec. VIII-K", "not_measured",
          "N_p = 1 brings clean test accuracy to almost 50 %",
          _never("ImageNet is not on this machine (`studies/svf_transfer.py`)")),
    ]


def numbers(victim: str = "resnet20", defended: str = "resnet20"
            ) -> list[tuple[PaperNumber, tuple[str, ...]]]:
    """Every CIFAR-10 number of the paper in report order, each with the arms it reads (none
    for those no benchmark file holds): Table 2 (every victim), the claims on ``victim``,
    Fig. 10 on the defense file's victim ``defended``, the rest."""
    out = [x for i, v in enumerate(architectures.VICTIMS) for x in _table2(v, i)]
    return out + _claims(victim) + _fig10(defended) + [(n, ()) for n in _not_measured()]


def _images(train_images) -> str:
    return (f"all {PAPER_TRAIN_IMAGES:,}" if train_images in (None, 0, "all")
            else f"{int(train_images):,}")


def _seeds(values: list) -> str:
    return ", ".join(str(v) for v in values) if values else "none"


def budget(arms_read: list[dict], recipe: dict, epochs: int) -> str:
    """The budget of the arms a number reads: victim and preprocessing, epochs, training images,
    and their victim and search seeds (``recipe``: the file's ``victim`` entry)."""
    victims = sorted({s["victim"] for s in arms_read})
    pre = "+".join(recipe.get("preprocessing") or ()) or "no augmentation"
    vs = sorted({x for s in arms_read for x in s["victim_seeds"]})
    ss = sorted({x for s in arms_read for x in s["search_seeds"]})
    return (f"{'/'.join(victims)} + {pre}, {epochs} epochs, "
            f"{_images(recipe.get('train_images'))} train images, victim seeds {_seeds(vs)}, "
            f"search seeds {_seeds(ss)}")


def below_paper(recipe: dict, epochs: int) -> str:
    """Why the budget may explain a difference from Table 2 (empty at the paper's)."""
    images = _images(recipe.get("train_images"))
    if epochs >= PAPER_EPOCHS and images.startswith("all"):
        return ""
    return (f"budget: {epochs} epochs on {images} training images vs the paper's "
            f"{PAPER_EPOCHS} on {PAPER_TRAIN_IMAGES:,}")


def defense_budget(arms_read: list[dict], doc: dict) -> str:
    """:func:`budget` of defense cells, from the defense file's ``victim_recipe``."""
    recipe = doc.get("victim_recipe") or {}
    return budget(arms_read, {"preprocessing": recipe.get("victim_preprocessing"),
                              "train_images": recipe.get("train_images")},
                  recipe.get("epochs", "?"))


def judge_all(doc: dict, epochs: int | None = None,
              defenses: dict | None = None) -> list[dict]:
    """A verdict (:func:`~.verdicts.judge`'s dict) for every CIFAR-10 number of the paper
    (:func:`numbers`) from a benchmark file's content ``doc`` (``rows`` and ``victim``; or
    several files' :func:`combine`d, each victim's numbers with its own file's budget), using
    the rows at ``epochs`` (:func:`select`), and Fig. 10 from a defense benchmark file's
    content ``defenses`` (``None``: not measured)."""
    rows, epochs = select(doc["rows"], epochs)
    recipe = doc.get("victim") or {}
    summary, cells = arms(rows), defense_arms(defenses)
    result = {"summary": summary + cells, "benchmark": holdings(summary),
              "defense": holdings(cells) if defenses else
              f"nothing: no defense benchmark file on {DATASET} was given"}
    by_label = {s["label"]: s for s in summary + cells}
    victim = recipe.get("model") or rows[0]["victim"]
    out = []
    defended = defense_victim(defenses) if defenses else victim    # unmeasured: name ours
    for number, labels in numbers(victim, defended):
        read = [by_label[x] for x in labels if x in by_label]
        measured = labels and len(read) == len(labels)
        if number.study == "fig10":
            spent = defense_budget(read, defenses) if measured else ""
            out.append(verdicts.judge(number, result, spent, ""))
            continue
        own = recipe_of(doc, read[0]["victim"]) if measured else recipe
        out.append(verdicts.judge(number, result, budget(read, own, epochs) if measured else "",
                                  below_paper(own, epochs)))
    return out
