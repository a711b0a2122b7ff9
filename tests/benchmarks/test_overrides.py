"""``--search_overrides`` of the benchmarks: a JSON object of SearchConfig fields."""

import pytest
from absl import app

from benchmarks.overrides import parse_search_overrides
from evoshift_tf import search


def test_known_fields_parse_and_build_a_config():
    overrides = parse_search_overrides('{"generations": 8, "finalists": 8}')
    assert overrides == {"generations": 8, "finalists": 8}
    assert search.SearchConfig(**overrides).generations == 8


@pytest.mark.parametrize("text, message", [('{"generation": 8}', "unknown SearchConfig fields"),
                                           ("[1, 2]", "not an object"),
                                           ("{generations: 8}", "not JSON")])
def test_bad_overrides_are_usage_errors_that_say_why(text, message):
    with pytest.raises(app.UsageError, match=message):
        parse_search_overrides(text)
