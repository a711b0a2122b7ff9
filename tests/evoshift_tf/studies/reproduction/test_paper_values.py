import pytest

from evoshift_tf.errors import UserError
from evoshift_tf.studies.reproduction import paper_values


def test_fashion_mnist_column_is_the_papers():
    v = paper_values.for_dataset("fashion_mnist")
    t = v.table4
    assert t[("CE", "Clean", 0)] == (0.90, 0.01) and t[("vibCE", "Clean", 0)] == (0.84, 0.01)
    assert t[("CE", "EvoShift", 1)] == (0.16, 0.89) and t[("CE", "Random", 2)] == (0.30, 0.99)
    assert t[("vibCE", "EvoShift", 5)] == (0.63, 0.27)
    assert v.clean_accuracy == pytest.approx(0.91)
    assert len(t) == 14


def test_mnist_has_its_own_column():
    t = paper_values.for_dataset("mnist").table4
    assert t[("CE", "EvoShift", 1)] == (0.01, 0.93) and t[("CE", "Clean", 0)] == (0.99, 0.02)
    assert set(t) == set(paper_values.TABLE4["fashion_mnist"])


def test_a_dataset_without_a_column_is_refused_in_one_line():
    with pytest.raises(UserError, match="no numbers for dataset 'cifar10'") as e:
        paper_values.for_dataset("cifar10")
    assert "\n" not in str(e.value) and "fashion_mnist" in str(e.value)
