import os

import pytest

from components import artifacts, base, baseline


def _dataset_artifact(folder, dataset):
    os.makedirs(folder)
    artifacts.save_dataset(folder, dataset)
    artifacts.write_json(os.path.join(folder, artifacts.METADATA),
                    {"type": artifacts.DATASET, "content_hash": artifacts.content_hash(folder)})
    return folder


@pytest.mark.parametrize("method", ["random", "jacobsen", "ops"])
def test_baseline_component_writes_an_attack_for_each_method(tmp_path, tiny_gray, method):
    ds = _dataset_artifact(str(tmp_path / "ds"), tiny_gray)
    out = str(tmp_path / "attack")
    base.run_executor(baseline.SPEC, {"dataset": ds}, {"attack": out},
                      {"method": method, "num_pixels": 2})
    a = artifacts.load_attack(out, tiny_gray.info)
    assert a.num_pixels == 2 and a.provenance["method"] == method
    assert artifacts.read_metadata(out)["parameters"]["method"] == method


def test_baseline_component_rejects_unknown_method(tmp_path, tiny_gray):
    ds = _dataset_artifact(str(tmp_path / "ds"), tiny_gray)
    with pytest.raises(KeyError, match="jacobsen"):
        base.run_executor(baseline.SPEC, {"dataset": ds}, {"attack": str(tmp_path / "a")},
                          {"method": "badnets"})
