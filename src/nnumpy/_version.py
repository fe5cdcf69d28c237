"""The package version, in a module of its own so that submodules can read it
without importing the package root (``from .._version import __version__``)."""

#: The version of the installed package, a PEP 440 string.
__version__ = "0.1.0"
