"""Chaos Toolkit provider namespace for synthetic traffic (``module: chaosrun.probes.traffic``)."""

from chaosrun.probes.base import probe_provider
from chaosrun.probes.traffic_generate import TrafficGenerate

generate = probe_provider(TrafficGenerate)

__all__ = ["generate"]
