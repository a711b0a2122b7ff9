"""Every PNG the project draws (matplotlib, Agg backend; each written atomically by
:func:`canvas.save`). Every function takes the output path first, then plain data.

- :mod:`~evoshift_tf.figures.pipeline`: the main job's report (Fig. 4 poisoned samples,
  Fig. 5c/d search curve, bars of the arms or a sweep's recipes);
- :mod:`~evoshift_tf.figures.study`: summaries (a study result's plot, the defense heat map, the
  strength benchmark's accuracy over N_p, victims' clean confusion matrices);
- :mod:`~evoshift_tf.figures.analysis`: generative, transfer and failure analysis (Figs. 5b, 9,
  12, 13, 14 and Table 3);
- :mod:`~evoshift_tf.figures.detector`: the pixel-poison detector's score maps.
"""

from evoshift_tf.figures.analysis import (gradcam_maps, loss_surface,  # noqa: F401
                                          reconstruction_grid, samples_over_training, svf_panel,
                                          table3_bars)
from evoshift_tf.figures.detector import detection_maps  # noqa: F401
from evoshift_tf.figures.pipeline import arm_bars, poisoned_grid, search_curve  # noqa: F401
from evoshift_tf.figures.study import (accuracy_vs_num_pixels, confusion_grid,  # noqa: F401
                                       defense_heatmap, study_result)
