"""The ``evoshift`` console command: installed on the PATH by a fresh ``pip install -e .``,
``--help`` lists every subcommand, a user error prints exactly one line ``error: ...`` and exits
with status 2 (``--verbose`` adds the traceback), a bug still shows its traceback (status 1).

The commands run as the user runs them: the console script of a fresh editable install into a
throw-away virtual environment (``--system-site-packages``, so the pinned dependencies are
reused), in a subprocess."""

import os
import shutil
import subprocess
import sys
import textwrap

import pytest

from components import artifacts, base, baseline, ingest
from evoshift_tf import attack as attack_lib
from evoshift_tf import data
from pipelines import cli

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """``PATH`` of a fresh virtual environment with the project installed by ``pip install -e``."""
    venv = str(tmp_path_factory.mktemp("venv"))
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", venv],
                   check=True)
    python = os.path.join(venv, "bin", "python")
    subprocess.run([python, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                    "-e", REPO], check=True, capture_output=True)
    return os.path.join(venv, "bin") + os.pathsep + os.environ.get("PATH", "")


@pytest.fixture(scope="module")
def work(tmp_path_factory, installed):
    """A folder with a Dataset artifact, a user module on PYTHONPATH, and the tiny .npz."""
    root = tmp_path_factory.mktemp("cli")
    tiny = data.make_synthetic(num_classes=4, per_class=32, image_shape=(12, 12, 1), seed=0)
    data.save_npz(str(root / "tiny.npz"), tiny)
    base.run_executor(ingest.SPEC, {}, {"dataset": str(root / "ds")},
                      {"dataset": str(root / "tiny.npz")})
    (root / "user_models.py").write_text(textwrap.dedent("""
        import keras

        def mlp(input_shape, num_classes):
            return keras.Sequential([keras.Input(shape=input_shape), keras.layers.Flatten(),
                                     keras.layers.Dense(num_classes)], name="mlp")

        def explode(input_shape, num_classes):
            raise RuntimeError("a bug in the user's function")
    """))
    return root


def evoshift(args, cwd, path, check_rc=None):
    env = {**os.environ, "PATH": path, "PYTHONPATH": str(cwd)}
    result = subprocess.run(["evoshift", *args], cwd=cwd, env=env, capture_output=True,
                            text=True, timeout=300)
    if check_rc is not None:
        assert result.returncode == check_rc, result.stderr[-3000:]
    return result


def assert_one_line_error(result, *fragments):
    """Status 2, no traceback, and stderr is exactly one line ``error: ...`` naming the value."""
    assert result.returncode == 2, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def test_fresh_install_puts_the_command_on_the_path(installed, tmp_path):
    where = shutil.which("evoshift", path=installed)
    assert where and where.startswith(installed.split(os.pathsep)[0])
    result = evoshift(["--help"], tmp_path, installed, check_rc=0)
    for name in cli.COMMANDS:
        line = next(l for l in result.stdout.splitlines() if l.strip().startswith(name + " "))
        assert len(line.split(maxsplit=1)[1]) > 10          # one line that says what it does
    assert "--verbose" in result.stdout


def test_command_help_lists_its_flags(installed, tmp_path):
    result = evoshift(["train", "--help"], tmp_path, installed, check_rc=0)
    assert result.stdout.startswith("usage: evoshift train --dataset=DIR --model_dir=DIR")
    for flag in ("--model:", "--epochs:", "--preprocessing:", "--work_dir:"):
        assert flag in result.stdout
    assert "tensor_tracer" not in result.stdout             # TensorFlow's own flags are left out


@pytest.mark.parametrize("args,fragments", [
    # a bad flag value
    (["train", "--dataset=ds", "--model_dir=m", "--epochs=abc"],
     ["--epochs=abc", "expected an integer"]),
    # a flag that does not exist, a required flag left out (the same path: slow only)
    pytest.param(["train", "--dataset=ds", "--model_dir=m", "--epoch=3"],
                 ["--epoch", "--epochs?"], marks=pytest.mark.slow),
    pytest.param(["train", "--model_dir=m"], ["needs --dataset="], marks=pytest.mark.slow),
    # a missing file
    (["train", "--dataset=nowhere", "--model_dir=m"], ["nowhere", "no artifact"]),
    # an invalid dataset
    (["ingest", "--dataset=imagenet9", "--dataset_dir=d"],
     ["unknown dataset 'imagenet9'", "fashion_mnist"]),
    # an unknown model, study, command
    (["train", "--dataset=ds", "--model_dir=m", "--model=resnet9000"],
     ["unknown model 'resnet9000'", "graynet"]),
    # a search model that is a victim model: refused before the data is read
    (["search", "--dataset=nowhere", "--attack=a", "--history=h", "--model=resnet20"],
     ["unknown search model 'resnet20'", "'colornet'", "'graynet'"]),
    # a defense the search cannot train through: refused before the data is read
    (["search", "--dataset=nowhere", "--attack=a", "--history=h", "--defenses=median3,median7"],
     ["search defenses", "unknown defense 'median7'", "median3", "cutmix"]),
    (["study", "tabel4"], ["unknown study 'tabel4'", "'table4'", "median"]),
    (["frobnicate"], ["unknown command 'frobnicate'", "train"]),
])
def test_user_errors_print_one_line_and_exit_2(work, installed, args, fragments):
    assert_one_line_error(evoshift(args, work, installed), *fragments)
    assert not os.path.exists(work / "m") and not os.path.exists(work / "d")


def test_invalid_attack_file(work, installed):
    at = str(work / "attack_other_shape")
    with artifacts.atomic_folder(at) as tmp:
        attack_lib.save(attack_lib.random_attack(4, 1, (28, 28, 1), seed=0),
                        os.path.join(tmp, "attack.json"))
        artifacts.write_json(os.path.join(tmp, artifacts.METADATA),
                        {"type": artifacts.ATTACK, "content_hash": artifacts.content_hash(tmp)})
    result = evoshift(["poison", "--dataset=ds", f"--attack={at}", "--poisoned=p"], work,
                      installed)
    assert_one_line_error(result, "attack is for images (28, 28, 1), data has (12, 12, 1)")
    with open(work / "broken.json", "w") as f:
        f.write('{"positions": [[[1, ')
    result = evoshift(["study", "median", "--dataset=tiny.npz", "--attack=broken.json",
                       "--out=studies_out"], work, installed)
    assert_one_line_error(result, "broken.json", "not valid JSON")


def test_verbose_shows_the_traceback(work, installed):
    result = evoshift(["--verbose", "train", "--dataset=ds", "--model_dir=m", "--model=resnet9000"],
                      work, installed)
    assert result.returncode == 2
    assert "Traceback (most recent call last)" in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("error: train_victim: unknown model")


def test_a_bug_keeps_its_traceback_and_status_1(work, installed):
    result = evoshift(["train", "--dataset=ds", "--model_dir=m", "--model=user_models:explode",
                       "--epochs=1"], work, installed)
    assert result.returncode == 1
    assert "Traceback (most recent call last)" in result.stderr
    assert "RuntimeError: a bug in the user's function" in result.stderr
    assert "error: " not in result.stderr.strip().splitlines()[-1][:7]


def test_ingest_and_train_a_user_model_through_the_command(work, installed):
    evoshift(["ingest", "--dataset=tiny.npz", "--dataset_dir=run/ingest/dataset"], work,
             installed, check_rc=0)
    result = evoshift(["train", "--dataset=run/ingest/dataset", "--model_dir=run/train/model",
                       "--model=user_models:mlp", "--epochs=1", "--batch_size=32"], work,
                      installed, check_rc=0)
    assert "train_victim: wrote model to" in result.stdout
    assert artifacts.is_complete(str(work / "run" / "train" / "model"))
    for native in ("cuInit", "oneDNN", "cuda_platform"):   # TensorFlow's C++ start-up lines
        assert native not in result.stderr
    assert "Assets written" not in result.stdout + result.stderr   # TensorFlow's INFO lines


# ---------------------------------------------------------------- in process: classification

def test_user_error_classification():
    """By type alone: every error the library and components raise for bad input derives from
    ``evoshift_tf.errors.UserError``; a registry miss is an ``UnknownNameError``."""
    from absl import flags

    from evoshift_tf import errors
    from evoshift_tf.attack import AttackError
    from evoshift_tf.data import DatasetError
    from evoshift_tf.models.victim import ModelError
    from evoshift_tf.victims import defenses, optimizers
    user = [base.InputError("train_victim: bad"), AttackError("bad attack"),
            DatasetError("bad data"), ModelError("bad model"),
            flags.IllegalFlagValueError("flag --x=1: bad"), cli.UserError("bad command"),
            errors.UnknownNameError("unknown defense 'x'; known: ['none']"),
            FileNotFoundError(2, "No such file or directory", "/no/file")]
    for name, lookup in (("median7", defenses.check_name), ("adamw", lambda n: optimizers.get(n, 1e-3))):
        with pytest.raises(errors.UserError) as caught:
            lookup(name)
        user.append(caught.value)
    for error in user:
        message = cli.user_error_message(error)
        assert message and "\n" not in message, error
    assert cli.user_error_message(user[-3]) == "no such file or folder: /no/file"
    assert cli.user_error_message(user[-1]).startswith("unknown optimizer 'adamw'")  # no quotes
    for bug in (RuntimeError("boom"), KeyError("weights"), ValueError("shapes (2,) and (3,)"),
                TypeError("unsupported operand"),
                ValueError("unknown optimizer 'adamw'; known: ['adam']")):  # not by its words
        assert cli.user_error_message(bug) is None, bug


def test_missing_command_module_is_a_clear_error(monkeypatch, capsys):
    monkeypatch.setitem(cli.COMMANDS, "export",
                        cli.Command("component", "components.not_written_yet", "x"))
    assert cli.main(["export", "--help"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["error: 'evoshift export' needs the module components.not_written_yet, which "
                   "this installation does not have; update the package (git pull; pip install "
                   "-e .)"]


def test_verbose_is_taken_anywhere_before_double_dash():
    assert cli._pop_verbose(["train", "--verbose", "--x=1"]) == (True, ["train", "--x=1"])
    assert cli._pop_verbose(["train", "--", "--verbose"]) == (False, ["train", "--",
                                                                      "--verbose"])


def test_tensorflows_info_lines_are_hidden_unless_verbose():
    """The main job's log was mostly TensorFlow's SavedModel lines; ours and every warning stay."""
    import logging as std_logging

    import tensorflow as tf
    from absl import logging

    def record(path, level=std_logging.INFO):
        return std_logging.LogRecord("absl", level, path, 1, "m", None, None)

    tf_file = os.path.join(os.path.dirname(tf.__file__), "python", "saved_model", "builder.py")
    handler = logging.get_absl_handler()
    try:
        cli.quiet_tensorflow(True)
        cli.quiet_tensorflow(True)                  # idempotent: one filter
        assert not handler.filter(record(tf_file))
        assert not std_logging.getLogger("tensorflow").filter(record(tf_file))  # own handler
        assert handler.filter(record(tf_file, std_logging.WARNING))
        assert handler.filter(record(os.path.join(REPO, "pipelines", "local_runner.py")))
        cli.quiet_tensorflow(False)                 # --verbose
        assert handler.filter(record(tf_file))
    finally:
        cli.quiet_tensorflow(False)
