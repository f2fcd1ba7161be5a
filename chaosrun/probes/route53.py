"""Chaos Toolkit provider namespace for Route 53 probes (``module: chaosrun.probes.route53``)."""

from chaosrun.probes.base import probe_provider
from chaosrun.probes.route53_dns_answer import DnsAnswer

dns_answer = probe_provider(DnsAnswer)

__all__ = ["dns_answer"]
