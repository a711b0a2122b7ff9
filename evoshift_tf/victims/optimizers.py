"""Optimizers for victim training (Sec. VIII-G, Fig. 8): a registry and AdaBound.

``get(name, learning_rate, momentum)`` builds one of ``NAMES``. AdaBound (Luo et al. 2019,
arXiv:1902.09843, Algorithm 2) has no maintained Keras 3 implementation, so it is written here
as a ``keras.optimizers.Optimizer``: Adam whose per-coordinate step size is clipped into a band
``[eta_l(t), eta_u(t)]`` that closes on ``final_lr`` as ``t`` grows, so it starts like Adam and
ends like SGD.
"""

from __future__ import annotations

import keras
from keras import ops
from evoshift_tf.errors import UnknownNameError

NAMES = ("adam", "sgd", "rmsprop", "adabound")
"""Known optimizers. ``sgd`` with ``momentum > 0`` is SGD with (heavy-ball) momentum."""


@keras.saving.register_keras_serializable(package="evoshift_tf")
class AdaBound(keras.optimizers.Optimizer):
    """AdaBound (Luo et al. 2019, Algorithm 2, with their public code's bias correction).

    For each variable ``p`` with gradient ``g`` at step ``t = 1, 2, ...``::

        m = beta_1 m + (1 - beta_1) g                        # first moment
        v = beta_2 v + (1 - beta_2) g^2                      # second moment
        alpha = lr sqrt(1 - beta_2^t) / (1 - beta_1^t)       # Adam's bias-corrected step
        eta_l = final_lr (1 - 1 / (gamma t + 1))             # lower bound
        eta_u = final_lr (1 + 1 / (gamma t))                 # upper bound
        p -= clip(alpha / (sqrt(v) + epsilon), eta_l, eta_u) * m

    Args:
      learning_rate: Adam step size (paper default 1e-3).
      final_lr: the SGD learning rate the bounds converge to (paper default 0.1).
      gamma: convergence speed of the bounds (paper default 1e-3).
    """

    def __init__(self, learning_rate=1e-3, final_lr=0.1, beta_1=0.9, beta_2=0.999,
                 gamma=1e-3, epsilon=1e-8, name="adabound", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.final_lr = final_lr
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.gamma = gamma
        self.epsilon = epsilon

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._m, self._v = self.add_optimizer_variables(var_list, ["m", "v"])

    def update_step(self, gradient, variable, learning_rate):
        dtype = variable.dtype
        lr = ops.cast(learning_rate, dtype)
        g = ops.cast(gradient, dtype)
        t = ops.cast(self.iterations + 1, dtype)
        m = self._m[self._get_variable_index(variable)]
        v = self._v[self._get_variable_index(variable)]
        self.assign(m, self.beta_1 * m + (1.0 - self.beta_1) * g)
        self.assign(v, self.beta_2 * v + (1.0 - self.beta_2) * ops.square(g))
        alpha = lr * ops.sqrt(1.0 - ops.power(self.beta_2, t)) / (1.0 - ops.power(self.beta_1, t))
        lower = self.final_lr * (1.0 - 1.0 / (self.gamma * t + 1.0))
        upper = self.final_lr * (1.0 + 1.0 / (self.gamma * t))
        step = ops.clip(alpha / (ops.sqrt(v) + self.epsilon), lower, upper)
        self.assign_sub(variable, step * m)

    def get_config(self):
        config = super().get_config()
        config.update(final_lr=self.final_lr, beta_1=self.beta_1, beta_2=self.beta_2,
                      gamma=self.gamma, epsilon=self.epsilon)
        return config


def get(name: str, learning_rate: float, momentum: float = 0.0) -> keras.optimizers.Optimizer:
    """Build optimizer ``name`` (one of :data:`NAMES`); ``momentum`` is used by SGD only.
    Raises ``KeyError`` listing the known names."""
    if name == "adam":
        return keras.optimizers.Adam(learning_rate)
    if name == "sgd":
        return keras.optimizers.SGD(learning_rate, momentum=momentum)
    if name == "rmsprop":
        return keras.optimizers.RMSprop(learning_rate)
    if name == "adabound":
        return AdaBound(learning_rate)
    raise UnknownNameError(f"unknown optimizer {name!r}; known: {list(NAMES)}")


DEFAULT_LEARNING_RATES = {"adam": 1e-3, "sgd": 1e-2, "rmsprop": 1e-3, "adabound": 1e-3}
"""Each optimizer's usual step size (Keras defaults; SGD 0.01), used by the Fig. 8 study."""
