"""Model zoo: a registry of Keras 3 victims (``get(name, input_shape, num_classes)``)."""

from evoshift_tf.models.registry import get, names, register  # noqa: F401
from evoshift_tf.models import simple_cnn  # noqa: F401  (registers graynet, colornet)
from evoshift_tf.models import vaegan  # noqa: F401,E402  (registers vaegan)
from evoshift_tf.models import imagenet_zoo  # noqa: F401,E402  (resnet50, resnet101, densenet161)
# resnet20, resnet32, densenet40 (Table 2 victims) and vib (the vibCE classifier, Sec. VII-A)
from evoshift_tf.models import densenet, resnet, vib  # noqa: F401,E402
