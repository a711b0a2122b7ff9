import os
import re
import subprocess
import sys

import pytest

from components import artifacts, base, baseline, ingest, poison, search


def _ingest(tmp_path, npz):
    out = str(tmp_path / "data")
    base.run_executor(ingest.SPEC, {}, {"dataset": out}, {"dataset": npz})
    return out


def test_artifacts_document_themselves(tmp_path, npz_dataset):
    out = _ingest(tmp_path, npz_dataset)
    meta = artifacts.read_metadata(out)
    assert meta["type"] == artifacts.DATASET and meta["producer"] == "ingest"
    assert meta["parameters"]["dataset"] == npz_dataset
    assert artifacts.is_complete(out)
    with open(os.path.join(out, "info.json"), "a") as f:
        f.write(" ")
    assert not artifacts.is_complete(out), "a changed payload must not pass as the recorded one"


def test_a_crashing_executor_leaves_no_output(tmp_path, npz_dataset):
    def boom(inputs, outputs, params, work_dir):
        open(os.path.join(outputs["dataset"], "half.npz"), "w").write("x")
        raise RuntimeError("crash")

    spec = base.ComponentSpec("boom", {}, {"dataset": artifacts.DATASET}, {}, boom)
    out = str(tmp_path / "never")
    with pytest.raises(RuntimeError):
        base.run_executor(spec, {}, {"dataset": out}, {})
    assert not os.path.exists(out)
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".never")]


def test_missing_and_wrong_type_inputs_are_named(tmp_path, npz_dataset):
    data = _ingest(tmp_path, npz_dataset)
    with pytest.raises(FileNotFoundError, match="no artifact"):
        base.run_executor(poison.SPEC, {"dataset": str(tmp_path / "nope"), "attack": data},
                          {"poisoned": str(tmp_path / "p")}, {})
    with pytest.raises(ValueError, match="expected PixelAttack"):
        base.run_executor(poison.SPEC, {"dataset": data, "attack": data},
                          {"poisoned": str(tmp_path / "p")}, {})
    with pytest.raises(ValueError, match="unknown parameter"):
        base.run_executor(baseline.SPEC, {"dataset": data}, {"attack": str(tmp_path / "a")},
                          {"pixels": 2})
    with pytest.raises(ValueError, match="not a int"):
        base.run_executor(baseline.SPEC, {"dataset": data}, {"attack": str(tmp_path / "a")},
                          {"num_pixels": "many"})


def test_attack_for_another_image_shape_is_refused(tmp_path, npz_dataset, tiny_color):
    from evoshift_tf import attack
    data = _ingest(tmp_path, npz_dataset)
    folder = tmp_path / "color_attack"
    folder.mkdir()
    a = attack.random_attack(3, 1, tiny_color.info.image_shape)
    attack.save(a, str(folder / "attack.json"))
    artifacts.write_json(str(folder / artifacts.METADATA),
                         {"type": artifacts.ATTACK, "content_hash": artifacts.content_hash(str(folder))})
    with pytest.raises(attack.AttackError, match="attack is for images"):
        base.run_executor(poison.SPEC, {"dataset": data, "attack": str(folder)},
                          {"poisoned": str(tmp_path / "p")}, {})
    assert not os.path.exists(tmp_path / "p")


def test_search_component_cli_help_lists_every_parameter():
    for name, p in search.SPEC.parameters.items():
        assert p.help, f"parameter {name} has no help"
    shown = subprocess.run([sys.executable, "-m", "components.search", "--help"],  # exits 1
                           capture_output=True, text=True, timeout=300).stdout
    flags = set(re.findall(r"^  --(?:\[no\])?(\w+):", shown, re.M))
    assert flags >= {*search.SPEC.parameters, *search.SPEC.inputs, *search.SPEC.outputs}


def test_content_hash_is_memoised_but_sees_a_same_size_edit(tmp_path):
    folder = tmp_path / "artifact"
    folder.mkdir()
    (folder / "payload.bin").write_bytes(b"abcd")
    first = artifacts.content_hash(str(folder))
    assert artifacts.content_hash(str(folder)) == first
    (folder / "payload.bin").write_bytes(b"abce")          # same size, new bytes
    os.utime(folder / "payload.bin", ns=(2, 2))            # (coarse clocks: force a new mtime)
    assert artifacts.content_hash(str(folder)) != first
    (folder / "payload.bin").write_bytes(b"abcd")
    os.utime(folder / "payload.bin", ns=(3, 3))
    assert artifacts.content_hash(str(folder)) == first


def test_every_component_parameter_has_a_type_kubeflow_and_flags_carry():
    """A parameter typed by a ``None`` default would reach Kubeflow and absl as the string
    'None' and fail inside the step: every parameter is int, float, str or bool."""
    import importlib
    import pkgutil

    import components
    from components import base as base_lib
    odd = []
    for info in pkgutil.iter_modules(components.__path__):
        module = importlib.import_module(f"components.{info.name}")
        spec = getattr(module, "SPEC", None)
        if isinstance(spec, base_lib.ComponentSpec):
            odd += [f"{spec.name}.{name}: {p.type.__name__}" for name, p in spec.parameters.items()
                    if p.type not in (int, float, str, bool)]
    assert not odd
