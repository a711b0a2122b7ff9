"""Name -> model builder registry with clear errors."""

from __future__ import annotations

from typing import Callable

import keras
from evoshift_tf.errors import UnknownNameError

Builder = Callable[..., keras.Model]
_REGISTRY: dict[str, Builder] = {}


def register(name: str) -> Callable[[Builder], Builder]:
    """Decorator: ``@register("graynet")`` on ``build(input_shape, num_classes, **kw)``."""
    def wrap(fn: Builder) -> Builder:
        if name in _REGISTRY:
            raise ValueError(f"model {name!r} registered twice")
        _REGISTRY[name] = fn
        return fn
    return wrap


def names() -> list[str]:
    return sorted(_REGISTRY)


def get(name: str, input_shape, num_classes: int, **kwargs) -> keras.Model:
    """Build model ``name`` for ``input_shape (H, W, C)`` uint8-valued inputs and ``num_classes``
    outputs (logits). Raises ``KeyError`` listing the known names."""
    if name not in _REGISTRY:
        raise UnknownNameError(f"unknown model {name!r}; known models: {names()}")
    return _REGISTRY[name](tuple(input_shape), int(num_classes), **kwargs)
