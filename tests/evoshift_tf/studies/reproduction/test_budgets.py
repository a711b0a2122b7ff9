import dataclasses

import pytest

from evoshift_tf import presets
from evoshift_tf.errors import UserError
from evoshift_tf.studies.reproduction import budgets


def test_presets_use_the_project_vocabulary():
    assert set(budgets.PRESETS) <= set(presets.NAMES)
    assert budgets.get("light") is budgets.PRESETS["default"]
    for bad in ("quick", "standard"):
        with pytest.raises(UserError, match="unknown preset"):
            budgets.get(bad)


def test_default_trains_table4_and_jacobsen_at_the_strength_benchmarks_budget():
    p = budgets.get("default")
    for study in ("table4", "jacobsen"):
        b = p.budget_for(study)
        assert (b.train_images, b.test_images, b.epochs, b.repeats) == (0, 0, 5, 3)
    assert p.budget_for("fig7").repeats == 3 and p.budget_for("fig7").train_images == 10000
    assert "one random-placement draw per seed" in budgets.study_budget(p, "table4")


def test_paper_preset_is_the_papers_budget():
    paper = budgets.get("paper")
    assert paper.budget.epochs == 30 and paper.budget.train_images == 0
    assert paper.budget_for("fig7").repeats == 5 and paper.budget_for("fig8").repeats == 5
    assert paper.transfer_victims == ("resnet20", "resnet32", "densenet40")
    assert budgets.below_paper(paper, "table4") == ""
    assert "3 epochs on 10k images vs 30 on 60k" in budgets.below_paper(budgets.get("default"),
                                                                         "fig7")
    with pytest.raises(ValueError, match="unknown studies"):
        dataclasses.replace(paper, repeats=(("fig99", 2),))
    with pytest.raises(ValueError, match="loss_alphas"):
        dataclasses.replace(paper, loss_alphas=10)


def test_budget_description():
    from evoshift_tf.studies import runner
    assert budgets.describe_budget(runner.Budget()) == "10k/2k images, 3 epochs, 3 seeds"
    assert budgets.describe_budget(runner.Budget.paper(repeats=1)) == \
        "all/all images, 30 epochs, 1 seed"


def test_below_paper_names_the_epochs_on_the_whole_set():
    assert budgets.below_paper(budgets.get("default"), "table4") == \
        "budget: 5 epochs vs 30, both on the whole training set"
