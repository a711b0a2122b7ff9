"""The error of :mod:`evoshift_tf.interchange`: a foreign poison that does not fit its clean
dataset (a ``ValueError``, via :class:`evoshift_tf.data.DatasetError`)."""

from evoshift_tf import data


class PoisonMismatchError(data.DatasetError):
    """A foreign poisoned training set does not fit the clean dataset it claims to poison (count,
    labels, order, image shape or dtype); the message names the file or index and what was
    expected. A ``ValueError``."""
