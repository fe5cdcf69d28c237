"""Layers, losses and initialisers with hand-written backward passes."""

from ._module import Module, Parameter, Sequential

__all__ = ["Module", "Parameter", "Sequential"]
