"""How close this implementation comes to the paper, number by number.

Every study of the paper (:data:`STUDIES`) runs at a preset (:data:`PRESETS`: ``smoke``,
``default``, ``paper``); each finished study is cached under its fingerprint (an interrupted
run resumes, a rerun skips finished studies); every paper number of the dataset's column is
judged (:mod:`.verdicts`: matches, trend holds / size differs, differs, inconclusive, not
measured) and one ``REPRODUCTION.md`` is written with the figures::

    from evoshift_tf import data
    from evoshift_tf.studies import reproduction
    report = reproduction.run(data.load("fashion_mnist"), "default", "runs/reproduction")

Modules: :mod:`.budgets` (the presets), :mod:`.registry` (the studies), :mod:`.paper_values`
(the paper's numbers per dataset), :mod:`.claims` and :mod:`.table4_claims` (what is judged),
:mod:`.measures` (reading results), :mod:`.verdicts` (judging), :mod:`.cache`,
:mod:`.monitor` (load, CPU time), :mod:`.report` (Markdown), :mod:`.driver` (running it all);
:mod:`.cifar10` and :mod:`.cifar10_report`: the paper's CIFAR-10 numbers judged from a committed
CIFAR-10 strength benchmark file, nothing trained (``python -m studies.reproduce_cifar10``).
"""

from evoshift_tf.studies.reproduction.budgets import (PRESETS, STUDY_IDS, Preset,
                                                       describe_budget, study_budget)
from evoshift_tf.studies.reproduction.budgets import get as preset
from evoshift_tf.studies.reproduction.claims import numbers
from evoshift_tf.studies.reproduction.driver import reference_dir, resolve_attacks, run
from evoshift_tf.studies.reproduction.paper_values import for_dataset
from evoshift_tf.studies.reproduction.registry import STUDIES
from evoshift_tf.studies.reproduction.report import export
from evoshift_tf.studies.reproduction import verdicts
from evoshift_tf.studies.reproduction.verdicts import VERDICTS, judge

__all__ = ["PRESETS", "STUDY_IDS", "STUDIES", "VERDICTS", "Preset", "describe_budget", "export",
           "for_dataset", "judge", "numbers", "preset", "reference_dir", "resolve_attacks", "run",
           "study_budget"]
