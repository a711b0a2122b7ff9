"""evoshift_tf: training-time few-pixel poisoning (EvoShift, IEEE Access 2021) in TF/Keras."""

import pathlib
import re

from setuptools import find_packages, setup

here = pathlib.Path(__file__).parent
requirements = [l.strip() for l in (here / "requirements.txt").read_text().splitlines()
                if l.strip() and not l.startswith("#")]

setup(
    name="evoshift_tf",
    version=re.search(r'__version__ = "([^"]+)"',
                      (here / "evoshift_tf" / "__init__.py").read_text()).group(1),
    description="EvoShift: CMA-ES few-pixel training-time attacks, victims, defenses, pipelines",
    long_description=(here / "README.md").read_text() if (here / "README.md").exists() else "",
    long_description_content_type="text/markdown",
    packages=find_packages(include=["evoshift_tf*", "components*", "pipelines*", "studies*"]),
    package_data={"evoshift_tf": ["reference_attacks/*/*.json", "reference_attacks/*.md"]},
    entry_points={"console_scripts": ["evoshift = pipelines.cli:main"]},
    python_requires=">=3.10,<3.13",
    install_requires=[r for r in requirements if not r.startswith("pytest")],
    extras_require={"test": ["pytest==9.0.3"]},
)
