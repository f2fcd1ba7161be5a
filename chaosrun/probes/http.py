"""Chaos Toolkit provider namespace for HTTP probes (``module: chaosrun.probes.http``)."""

from chaosrun.probes.base import probe_provider
from chaosrun.probes.http_endpoint import HttpEndpoint

endpoint = probe_provider(HttpEndpoint)

__all__ = ["endpoint"]
