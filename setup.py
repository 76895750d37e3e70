"""Packaging beyond pyproject.toml: the bundled samples ship inside the package.

The repository keeps its samples in ``sample_data/`` (the README's paths); a wheel, ``pip
install .`` and ``pipx install`` place them at ``seqlab/sample_data``, where
``seqlab.samples.sample_dir()`` finds them.
"""

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py


class BuildPy(build_py):
    """The samples' generator scripts stay in the repository, not in the package."""

    def find_package_modules(self, package, package_dir):  # type: ignore[no-untyped-def]
        if package.startswith("seqlab.sample_data"):
            return []
        return super().find_package_modules(package, package_dir)


setup(
    cmdclass={"build_py": BuildPy},
    packages=[*find_packages(include=["seqlab*"]), "seqlab.sample_data",
              "seqlab.sample_data.text"],
    package_dir={"seqlab.sample_data": "sample_data"},
    package_data={
        "seqlab.tui": ["*.tcss"],
        "seqlab.sample_data": ["*.csv", "*.md"],
        "seqlab.sample_data.text": ["*.txt", "*.md"],
    },
)
