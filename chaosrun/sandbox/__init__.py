"""The local sandbox: moto's control plane plus components that add the data plane."""

from chaosrun.sandbox.server import Sandbox

__all__ = ["Sandbox"]
