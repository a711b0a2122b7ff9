"""One preset vocabulary: names checked, auto resolved by the machine, light falling back."""

import pytest

from evoshift_tf import errors, presets, search
from evoshift_tf.studies import runner


@pytest.mark.parametrize("flags, gpu, cap, expected", [
    (frozenset({"avx2", "fma"}), False, "", "light"),
    (frozenset({"avx2", "avx512f"}), False, "", "light"),
    (frozenset({"avx512f", "avx512_bf16"}), False, "", "default"),
    (frozenset({"amx_bf16"}), False, "", "default"),
    (frozenset({"avx2"}), True, "", "default"),
    (frozenset({"avx512_bf16"}), False, "AVX2", "light"),
])
def test_auto_follows_the_search_precision(monkeypatch, flags, gpu, cap, expected):
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", cap)
    assert presets.resolve("auto", flags=flags, has_gpu=gpu) == expected
    assert presets.resolve("auto", compiled=True, flags=flags, has_gpu=gpu) == "default"


def test_an_unknown_preset_is_one_user_error_listing_the_names():
    with pytest.raises(errors.UserError, match=r"unknown preset 'small'; known: \['smoke', "
                                               r"'light', 'default', 'paper', 'auto'\]"):
        presets.check("small")


@pytest.mark.parametrize("name", presets.NAMES)
def test_every_concept_has_every_preset(name):
    assert isinstance(search.SearchConfig.preset(name), search.SearchConfig)
    assert isinstance(runner.Budget.preset(name), runner.Budget)


def test_light_is_default_where_a_concept_has_no_light_form():
    assert runner.Budget.preset("light") == runner.Budget.preset("default")
    assert search.SearchConfig.preset("light") == search.SearchConfig.light()
