"""reports/index.html, publishing to a folder and to S3, and the ``chaosrun report`` command."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import boto3
import pytest
from journal_factory import T0, aborted_journal, deviated_journal, held_journal
from moto import mock_aws

import chaosrun.cli.main as cli
from chaosrun.aws.clients import AwsClients, AwsSettings
from chaosrun.errors import InvalidInput
from chaosrun.report.html import render_html
from chaosrun.report.index import write_index
from chaosrun.report.publish import publish


@pytest.fixture(autouse=True)
def _only_report_command(monkeypatch):
    # the other sub-commands are built elsewhere; `report` must work on its own
    monkeypatch.setattr(cli, "COMMAND_MODULES", ["chaosrun.cli.cmd_report"])


def main(argv: list[str]) -> int:
    return cli.main(argv)


def _fill(d: Path) -> None:
    journals = [
        held_journal("run-a", T0),
        held_journal("run-b", T0 + timedelta(days=1)),
        deviated_journal("run-c", T0 + timedelta(days=2)),
        aborted_journal("run-d", T0 + timedelta(days=3)),
    ]
    for j in journals:
        (d / f"{j.chaosrun.run_id}.json").write_text(j.to_json())
    (d / "run-a.html").write_text(render_html(journals[0]))
    (d / "other.json").write_text('{"not": "a journal"}')


def test_index_lists_runs_newest_first_with_trend(tmp_path):
    _fill(tmp_path)
    path = write_index(tmp_path)
    html = path.read_text()
    assert path == tmp_path / "index.html"
    assert html[html.index('id="runs"') :].count("<td>2026-1") == 4
    assert html.index("run-d") < html.index("run-c") < html.index("run-a")
    assert '<a href="run-a.html">run-a</a>' in html
    assert "other.json" not in html
    sparks = re.findall(r'<svg class="spark"', html)
    assert len(sparks) == 1  # one experiment
    assert html.count('<rect class="held"') == 2 and '<rect class="aborted"' in html
    assert "Trend of 4 runs" in html
    assert "Content-Security-Policy" in html
    assert not re.search(r"(src|href)=\"https?://", html)


def test_index_shows_resilience_scores_per_service(tmp_path):
    orders = [held_journal("o-1", T0), held_journal("o-2", T0 + timedelta(hours=1))]
    for j in orders:
        j.experiment["tags"] = ["service:orders"]
    for j in orders:
        (tmp_path / f"{j.chaosrun.run_id}.json").write_text(j.to_json())
    html = write_index(tmp_path).read_text()
    section = html[html.index('id="scores"') : html.index('id="trends"')]
    assert "orders" in section
    # fresh held runs score close to 100 but the score never exceeds it
    [score] = re.findall(r"<strong>([0-9.]+)</strong>", section)
    assert 0 < float(score) <= 100.0


def test_publish_to_folder(tmp_path):
    src, dest = tmp_path / "reports", tmp_path / "site" / "chaos"
    src.mkdir()
    _fill(src)
    written = publish(src, str(dest))
    assert (dest / "index.html").exists() and (dest / "run-c.json").exists()
    assert len(written) == len(list(src.iterdir()))
    with pytest.raises(InvalidInput):
        publish(src, str(src))


@mock_aws
def test_publish_to_s3(tmp_path):
    _fill(tmp_path)
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="chaos-reports")
    clients = AwsClients(AwsSettings(region="us-east-1"))
    written = publish(tmp_path, "s3://chaos-reports/team/orders", clients)
    assert "s3://chaos-reports/team/orders/index.html" in written
    s3 = boto3.client("s3", region_name="us-east-1")
    head = s3.head_object(Bucket="chaos-reports", Key="team/orders/index.html")
    assert head["ContentType"].startswith("text/html")
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket="chaos-reports")["Contents"]}
    assert "team/orders/run-c.json" in keys


def test_cli_report_outputs(tmp_path, capsys):
    journal = tmp_path / "run-c.json"
    journal.write_text(deviated_journal("run-c").to_json())
    rc = main(
        [
            "report",
            str(journal),
            "--html",
            str(tmp_path / "out" / "r.html"),
            "--junit",
            str(tmp_path / "out" / "junit.xml"),
            "--markdown",
            "-",
        ]
    )
    assert rc == 0
    assert "Restore incomplete" in (tmp_path / "out" / "r.html").read_text()
    assert "<testsuites" in (tmp_path / "out" / "junit.xml").read_text()
    assert "## chaosrun results" in capsys.readouterr().out
    assert main(["report", str(journal)]) == 0
    assert (tmp_path / "run-c.html").exists()


def test_cli_index_publish_and_bad_input(tmp_path):
    _fill(tmp_path)
    assert main(["report", "index", str(tmp_path)]) == 0
    assert (tmp_path / "index.html").exists()
    assert main(["report", "publish", str(tmp_path), str(tmp_path / "copy")]) == 0
    assert (tmp_path / "copy" / "run-b.json").exists()
    assert main(["report", str(tmp_path / "missing.json")]) == 2
    assert main(["report", str(tmp_path / "other.json")]) == 2
