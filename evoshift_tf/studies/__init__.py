"""The paper's robustness studies (Secs. VII-A, VIII-B to VIII-E, VIII-G, VIII-H, VIII-J) as library
functions: each takes a dataset, a :class:`~evoshift_tf.studies.runner.Budget` and the attacks,
trains every setting ``budget.repeats`` times and returns rows, a mean/std summary and its
Markdown table (:mod:`evoshift_tf.summary`); :mod:`~evoshift_tf.studies.output` writes the result
as JSON and a PNG (:mod:`evoshift_tf.figures`). The absl entry scripts live in
the top-level ``studies/`` folder; this package never reads flags."""
