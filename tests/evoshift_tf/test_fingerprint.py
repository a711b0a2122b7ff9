import hashlib
import json

from evoshift_tf import __version__
from evoshift_tf.fingerprint import fingerprint


def test_is_the_pipeline_runners_payload_hash():
    """The formula the local runner used before it called this function (its run folders'
    fingerprints must not change)."""
    payload = {"component": "search", "params": {"seed": 0, "b": [1, 2]},
               "inputs": {"train": "abc", "more": ["d", "e"]}, "library_version": "0.1.0",
               "model_source": "xyz"}
    want = hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()
    assert fingerprint("search", {"b": [1, 2], "seed": 0}, {"more": ["d", "e"], "train": "abc"},
                       "0.1.0", model_source="xyz") == want


def test_changes_with_each_part_and_defaults_to_this_version():
    base = fingerprint("s", {"a": 1}, {"x": "h"})
    assert base == fingerprint("s", {"a": 1}, {"x": "h"}, __version__)
    others = {fingerprint("t", {"a": 1}, {"x": "h"}), fingerprint("s", {"a": 2}, {"x": "h"}),
              fingerprint("s", {"a": 1}, {"x": "g"}), fingerprint("s", {"a": 1}, {"x": "h"}, "9")}
    assert len(others) == 4 and base not in others
