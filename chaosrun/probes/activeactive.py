"""Chaos Toolkit provider namespace for active-active checks (``chaosrun.probes.activeactive``)."""

from chaosrun.probes.aa_availability import Availability
from chaosrun.probes.aa_replication_lag import ActiveActiveReplicationLag
from chaosrun.probes.aa_rpo import Rpo
from chaosrun.probes.aa_rto import Rto
from chaosrun.probes.aa_serving_region import ServingRegion
from chaosrun.probes.base import probe_provider

availability = probe_provider(Availability)
rto = probe_provider(Rto)
rpo = probe_provider(Rpo)
replication_lag = probe_provider(ActiveActiveReplicationLag)
serving_region = probe_provider(ServingRegion)

__all__ = ["availability", "replication_lag", "rpo", "rto", "serving_region"]
