"""What Route 53 answers for a record, as its ``TestDNSAnswer`` API reports it.

``TestDNSAnswer`` evaluates routing policies and health checks the way the resolvers do, so a
failover or latency record shows the region that would serve right now (the sandbox's DNS
component answers the same API from its own health state).
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field, model_validator

from chaosrun.faults.base import Params
from chaosrun.plugins import PROBES
from chaosrun.probes.base import Probe, ProbeOutput

_ONE_ZONE = "give exactly one of hosted_zone_id or zone_name"


class DnsAnswerParams(Params):
    rules: ClassVar[tuple[str, ...]] = (_ONE_ZONE,)

    record_name: str = Field(description="e.g. api.example.com")
    record_type: str = Field("A", description="A, AAAA, CNAME, TXT ...")
    hosted_zone_id: str | None = Field(None, description="the zone id (or give zone_name)")
    zone_name: str | None = Field(None, description="e.g. example.com")
    resolver_ip: str | None = Field(None, description="simulate a resolver at this IP")
    edns0_client_subnet_ip: str | None = None
    expect_values: list[str] | None = Field(None, description="ok only when answers equal these")

    @model_validator(mode="after")
    def _zone(self) -> DnsAnswerParams:
        if (self.hosted_zone_id is None) == (self.zone_name is None):
            raise ValueError(_ONE_ZONE)
        return self


class DnsAnswerOutput(ProbeOutput):
    record_name: str
    record_type: str
    response_code: str = Field(description="NOERROR, NXDOMAIN ...")
    answers: list[str]
    value: str | None = Field(description="first answer")
    nameserver: str | None = None
    protocol: str | None = None
    ok: bool | None = Field(None, description="answers == expect_values (when given)")


@PROBES.register("chaosrun.probes.route53.dns_answer")
class DnsAnswer(Probe[DnsAnswerParams, DnsAnswerOutput]):
    name = "chaosrun.probes.route53.dns_answer"
    summary = "Route 53's TestDNSAnswer for a record: what resolvers get now, health included."
    params_model = DnsAnswerParams
    output_model = DnsAnswerOutput
    permissions = ("route53:TestDNSAnswer", "route53:ListHostedZonesByName")

    def _zone_id(self, client: Any) -> str:
        p: DnsAnswerParams = self.params
        if p.hosted_zone_id:
            return p.hosted_zone_id.rsplit("/", 1)[-1]
        wanted = (p.zone_name or "").rstrip(".") + "."
        resp = client.list_hosted_zones_by_name(DNSName=wanted)
        for zone in resp.get("HostedZones", []):
            if zone["Name"] == wanted:
                return str(zone["Id"]).rsplit("/", 1)[-1]
        raise LookupError(f"no hosted zone named {wanted}; check zone_name or give hosted_zone_id")

    def run(self) -> DnsAnswerOutput:
        p: DnsAnswerParams = self.params
        client = self.clients.client("route53", "us-east-1")
        kwargs: dict[str, Any] = {
            "HostedZoneId": self._zone_id(client),
            "RecordName": p.record_name,
            "RecordType": p.record_type,
        }
        if p.resolver_ip:
            kwargs["ResolverIP"] = p.resolver_ip
        if p.edns0_client_subnet_ip:
            kwargs["EDNS0ClientSubnetIP"] = p.edns0_client_subnet_ip
        resp = client.test_dns_answer(**kwargs)
        answers = [str(a) for a in resp.get("RecordData", [])]
        ok = None if p.expect_values is None else sorted(answers) == sorted(p.expect_values)
        return DnsAnswerOutput(
            record_name=p.record_name,
            record_type=p.record_type,
            response_code=resp.get("ResponseCode", ""),
            answers=answers,
            value=answers[0] if answers else None,
            nameserver=resp.get("Nameserver"),
            protocol=resp.get("Protocol"),
            ok=ok,
        )
