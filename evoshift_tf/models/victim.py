"""Which model a victim is: a registry name, the user's ``.keras`` file, or the user's
``module:function``; turned into a fresh, untrained Keras model that fits the dataset.

    build("graynet", (28, 28, 1), 10)                  # the zoo (``models.get``)
    build("my_net.keras", (28, 28, 1), 10)             # loaded, then re-initialised (fresh weights)
    build("my_pkg.nets:small_cnn", (28, 28, 1), 10)    # called, with input_shape / num_classes
                                                       # if its signature takes them

The contract every victim follows (the zoo's, see ``models.parts.image_input``): the input is
raw pixel values ``float32 [N, H, W, C]`` in 0..255 (what ``training.train`` feeds), the output
is ``[N, num_classes]`` logits (the loss applies the softmax). A user's model is checked
against it before any training: its declared input shape against the dataset's images, its
output against the number of classes (both shapes named in the error), a final softmax refused.

Preprocessing (input defenses, augmentation) for a user's model: the layers are prepended.
The wrapper is ``image (0..255) -> Rescaling(1/255) -> preprocessing layers (on [0, 1], as in
the zoo) -> Rescaling(255) -> the user's model``, so the user's model still sees raw pixel
values. ``dropout`` and ``weight_decay`` are knobs of the zoo's builders; a user's model carries
its own, so non-zero values are refused for it with a clear error.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import os
from typing import Sequence

import keras

from evoshift_tf.errors import UserError
from evoshift_tf.models import registry


class ModelError(UserError):
    """A victim model spec that cannot be used: unknown name, missing or unreadable file,
    unimportable function, or a model whose input or output does not fit the dataset."""


KERAS_SUFFIX = ".keras"
EXPECTED = ("a registry name (one of {names}), a path to a .keras file, or "
            "'module:function' returning a Keras model")


def kind(spec: str) -> str:
    """``"registry"``, ``"keras_file"`` or ``"function"`` (no check that it exists)."""
    spec = str(spec)
    if spec in registry.names():
        return "registry"
    if spec.endswith(KERAS_SUFFIX):
        return "keras_file"
    if ":" in spec:
        return "function"
    return "registry"


def check(spec: str, dropout: float = 0.0, weight_decay: float = 0.0) -> str:
    """Raise :class:`ModelError` (naming ``spec`` and what was expected) unless ``spec`` names
    a usable model: a known registry name, an existing ``.keras`` file, or an importable
    callable. Builds nothing; returns :func:`kind`."""
    k = kind(spec)
    if k == "registry":
        if spec not in registry.names():
            raise ModelError(f"unknown model {spec!r}; known models: {registry.names()} "
                             "(or a path to a .keras file, or 'module:function')")
        return k
    if dropout or weight_decay:
        raise ModelError(f"dropout={dropout} and weight_decay={weight_decay} apply to registry "
                         f"models only; model {spec!r} is the user's own: build dropout and "
                         "regularizers into it and leave both at 0")
    if k == "keras_file":
        if not os.path.isfile(spec):
            raise ModelError(f"model file {spec!r} does not exist (a .keras path is relative "
                             f"to {os.getcwd()}); expected a registry name, a .keras file or "
                             "'module:function'")
        return k
    _import_function(spec)
    return k


def build(spec: str, input_shape: Sequence[int], num_classes: int,
          preprocessing: Sequence[keras.layers.Layer] = (), **recipe) -> keras.Model:
    """A fresh, untrained model for ``input_shape (H, W, C)`` raw-pixel inputs and
    ``num_classes`` logits.

    Args:
      spec: a registry name, a ``.keras`` path or ``module:function`` (see the module doc).
      preprocessing: layers on the [0, 1] image before the network (defenses, augmentation).
      **recipe: the zoo builders' keyword arguments (``dropout``, ``weight_decay``); a user's
        model accepts only their defaults (0).

    Raises:
      ModelError: the spec is unusable or the model's input or output shape does not fit.
    """
    input_shape, num_classes = tuple(int(d) for d in input_shape), int(num_classes)
    k = check(spec, recipe.get("dropout", 0.0), recipe.get("weight_decay", 0.0))
    if k == "registry":
        return registry.get(spec, input_shape, num_classes, preprocessing=preprocessing,
                            **recipe)
    unknown = sorted(set(recipe) - {"dropout", "weight_decay"})
    if unknown:
        raise ModelError(f"model {spec!r} is the user's own; recipe options {unknown} apply "
                         "to registry models only")
    model = _load_fresh(spec) if k == "keras_file" else _call_function(spec, input_shape,
                                                                         num_classes)
    return _wrap(spec, model, input_shape, num_classes, preprocessing)


# ---------------------------------------------------------------- the user's model

def source_digest(spec: str) -> str | None:
    """SHA-256 of what defines the user's model, so a cache notices an edit: the ``.keras``
    file's bytes, or the source file of ``module:function``'s module; ``None`` for a registry
    name, known or not (the library version covers it; a step's own check judges the name).
    Raises :class:`ModelError` like :func:`check` for a missing file or module."""
    if kind(spec) == "registry":
        return None
    k = check(spec)
    if k == "keras_file":
        path = spec
    else:
        module = importlib.import_module(spec.partition(":")[0])
        path = getattr(module, "__file__", None)
        if path is None:
            return None
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()



def _load_fresh(path: str) -> keras.Model:
    """The architecture in ``path`` with new initial weights (``keras.models.clone_model``
    re-creates every layer from its config, so initialisers run again)."""
    try:
        saved = keras.saving.load_model(path, compile=False)
    except Exception as e:  # noqa: BLE001  (any load failure is the file's)
        raise ModelError(f"cannot load model file {path!r} ({type(e).__name__}: {e}); expected "
                         "a .keras file saved by model.save(...) whose custom layers are "
                         "registered (keras.saving.register_keras_serializable)") from e
    if not isinstance(saved, keras.Model):
        raise ModelError(f"model file {path!r} holds a {type(saved).__name__}, expected a "
                         "keras.Model")
    try:
        return keras.models.clone_model(saved)
    except Exception as e:  # noqa: BLE001
        raise ModelError(f"cannot re-initialise the model in {path!r} ({type(e).__name__}: "
                         f"{e}); a subclassed model needs get_config() / from_config()") from e


def _import_function(spec: str):
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise ModelError(f"model {spec!r} is not 'module:function'; expected "
                         + EXPECTED.format(names=registry.names()))
    try:
        module = importlib.import_module(module_name)
    except ImportError as e:
        raise ModelError(f"model {spec!r}: cannot import module {module_name!r} ({e}); "
                         "expected an importable module (on PYTHONPATH or installed)") from e
    fn = module
    for part in attr.split("."):
        fn = getattr(fn, part, None)
        if fn is None:
            raise ModelError(f"model {spec!r}: module {module_name!r} has no {attr!r}")
    if not callable(fn):
        raise ModelError(f"model {spec!r}: {attr!r} is a {type(fn).__name__}, expected a "
                         "function returning a Keras model")
    return fn


def _call_function(spec: str, input_shape, num_classes) -> keras.Model:
    """``fn(input_shape=..., num_classes=...)``, passing only the arguments it accepts."""
    fn = _import_function(spec)
    kwargs = {"input_shape": input_shape, "num_classes": num_classes}
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        params = {}
    if not any(p.kind == p.VAR_KEYWORD for p in params.values()):
        kwargs = {k: v for k, v in kwargs.items() if k in params}
    model = fn(**kwargs)
    if not isinstance(model, keras.Model):
        raise ModelError(f"model {spec!r} returned a {type(model).__name__}, expected a "
                         "keras.Model")
    return model


def _declared_input_shape(model: keras.Model):
    try:
        inputs = model.inputs
    except (AttributeError, ValueError):
        return None
    if not inputs:
        return None
    if len(inputs) != 1:
        raise ModelError(f"model {model.name!r} has {len(inputs)} inputs, expected one image "
                         "input")
    return tuple(inputs[0].shape[1:])


def _fits(declared, actual) -> bool:
    return len(declared) == len(actual) and all(d is None or d == a
                                                for d, a in zip(declared, actual))


def _ends_in_softmax(model: keras.Model) -> bool:
    layers = getattr(model, "layers", None)
    if not layers:
        return False
    last = layers[-1]
    if isinstance(last, keras.layers.Softmax):
        return True
    activation = getattr(last, "activation", None)
    return getattr(activation, "__name__", "") == "softmax"


def _wrap(spec: str, model: keras.Model, input_shape, num_classes,
          preprocessing) -> keras.Model:
    """Check ``model`` against the dataset and put the ``image`` input (and the
    preprocessing, if any) in front of it."""
    declared = _declared_input_shape(model)
    if declared is not None and not _fits(declared, input_shape):
        raise ModelError(f"model {spec!r} takes input shape {declared}, but the dataset's "
                         f"images are {input_shape}; build the model for {input_shape}")
    if _ends_in_softmax(model):
        raise ModelError(f"model {spec!r} ends in a softmax; a victim must output logits "
                         "(the training loss applies the softmax): remove the final softmax")
    inputs = keras.Input(shape=input_shape, name="image")
    x = inputs
    if preprocessing:
        x = keras.layers.Rescaling(1.0 / 255.0, name="rescale")(x)
        for layer in preprocessing:
            x = layer(x)
        x = keras.layers.Rescaling(255.0, name="to_pixels")(x)
    try:
        outputs = model(x)
    except Exception as e:  # noqa: BLE001  (any failure here is a shape misfit)
        raise ModelError(f"model {spec!r} cannot take the dataset's images of shape "
                         f"{input_shape} ({type(e).__name__}: {e})") from e
    if isinstance(outputs, (list, tuple, dict)):
        raise ModelError(f"model {spec!r} has several outputs, expected one [batch, "
                         f"{num_classes}] logits output")
    out_shape = tuple(outputs.shape[1:])
    if out_shape != (num_classes,):
        raise ModelError(f"model {spec!r} outputs shape {out_shape} per image, but the dataset "
                         f"has {num_classes} classes: expected ({num_classes},) logits")
    return keras.Model(inputs, outputs, name=f"{model.name}_victim")
