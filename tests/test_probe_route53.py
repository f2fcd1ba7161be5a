"""route53.dns_answer against a loopback stand-in for the Route 53 API (moto lacks it)."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import boto3
from moto import mock_aws

from chaosrun.aws.clients import AwsClients, AwsSettings
from chaosrun.probes.base import run_probe
from chaosrun.probes.route53_dns_answer import DnsAnswer

ANSWER = """<?xml version="1.0" encoding="UTF-8"?>
<TestDNSAnswerResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/">
  <Nameserver>ns-1.example.com</Nameserver><RecordName>{name}</RecordName>
  <RecordType>{rtype}</RecordType><RecordData><RecordDataEntry>{value}</RecordDataEntry>
  </RecordData><ResponseCode>NOERROR</ResponseCode><Protocol>UDP</Protocol>
</TestDNSAnswerResponse>"""


def test_dns_answer_follows_health() -> None:
    healthy = {"primary": True}
    seen: list[dict[str, list[str]]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            query = parse_qs(urlsplit(self.path).query)
            seen.append(query)
            value = "10.0.0.1" if healthy["primary"] else "10.0.1.1"
            body = ANSWER.format(
                name=query["recordname"][0], rtype=query["recordtype"][0], value=value
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        clients = AwsClients(
            AwsSettings(endpoint_url=f"http://127.0.0.1:{server.server_address[1]}")
        )
        args = {
            "hosted_zone_id": "/hostedzone/Z1",
            "record_name": "api.example.com",
            "expect_values": ["10.0.0.1"],
        }
        out = run_probe(DnsAnswer, args, clients)
        assert out.value == "10.0.0.1" and out.response_code == "NOERROR" and out.ok
        healthy["primary"] = False
        failed_over = run_probe(DnsAnswer, args, clients)
        assert failed_over.answers == ["10.0.1.1"] and failed_over.ok is False
        assert seen[0]["hostedzoneid"] == ["Z1"]
    finally:
        server.shutdown()
        server.server_close()


@mock_aws
def test_zone_is_found_by_name() -> None:
    r53 = boto3.client("route53")
    zone = r53.create_hosted_zone(Name="example.com", CallerReference="x")["HostedZone"]
    probe = DnsAnswer(
        DnsAnswer.params_model.model_validate({"zone_name": "example.com", "record_name": "a"}),
        AwsClients(),
    )
    assert probe._zone_id(AwsClients().client("route53")) == zone["Id"].rsplit("/", 1)[-1]
