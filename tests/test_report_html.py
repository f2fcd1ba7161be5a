"""HTML report content: verdict first, targets, drift, charts, CSP, no remote resources."""

from __future__ import annotations

import re
import time

import jinja2
import pytest
from journal_factory import aborted_journal, deviated_journal, held_journal, traffic_journal

from chaosrun.report import templating
from chaosrun.report.charts import downsample
from chaosrun.report.common import failed_checks
from chaosrun.report.html import render_html
from chaosrun.report.templating import CSP

URL_ATTR = re.compile(r"""(?:src|href|action|xlink:href)\s*=\s*["']?\s*(?:https?:)?//""", re.I)


def test_held_report_leads_with_verdict_in_words_and_icon():
    html = render_html(held_journal())
    verdict_pos = html.index("Verdict: Held")
    assert verdict_pos < html.index("What was tested and why")
    assert "\u2714" in html
    assert "local sandbox" in html
    assert "Orders API survives a throttled payment function" in html
    assert "payments" in html and "arn:aws:lambda:eu-west-1:123456789012:function:payments" in html


def test_deviated_report_shows_targets_drift_failed_restore_and_measurements():
    html = render_html(deviated_journal())
    assert "Verdict: Restore incomplete" in html
    assert "payments-worker" in html and "inventory-sync" in html
    assert "drift &ndash; left alone" in html
    assert "&#34;reserved_concurrency&#34;: 25" in html  # the drifted current value, escaped
    assert "restore failed" in html
    for name in ("RTO", "RPO", "availability"):
        assert f'<th scope="row">{name}</th>' in html
    assert "HTTP 503 after 5 attempts" in html  # alert delivery
    assert "restart-queue-consumer" in html  # rollback
    assert "Game day #12" in html  # note
    assert 'class="deviation"' in html  # deviation marked on the charts
    assert 'class="fault-band"' in html


@pytest.mark.parametrize("make", [deviated_journal, held_journal, traffic_journal])
def test_failed_check_count_covers_every_phase(make):
    journal = make()
    found = re.search(r"Failed checks<b class=\"\w+\">(\d+)</b>", render_html(journal))
    assert found and int(found.group(1)) == len(failed_checks(journal))


def test_aborted_report():
    html = render_html(aborted_journal())
    assert "Verdict: Aborted" in html
    assert "interrupted by SIGINT" in html


@pytest.mark.parametrize("build", [held_journal, deviated_journal, aborted_journal])
def test_self_contained_with_strict_csp(build):
    html = render_html(build())
    assert f'<meta http-equiv="Content-Security-Policy" content="{CSP}">' in html
    assert CSP == "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
    assert not URL_ATTR.search(html), URL_ATTR.search(html)
    assert "<script" not in html.lower()
    assert "@import" not in html and "url(" not in html
    assert "@media print" in html and 'name="viewport"' in html


def test_charts_are_accessible_svg():
    html = render_html(deviated_journal())
    svgs = re.findall(r"<svg viewBox=\"0 0 960 240\"[^>]*>", html)
    assert svgs, "no timeline chart"
    for tag in svgs:
        assert 'role="img"' in tag and "aria-labelledby" in tag
    assert html.count("<title id=") == len(svgs)
    assert html.count("<desc id=") == len(svgs)


def test_text_from_the_journal_is_escaped():
    j = deviated_journal()
    j.experiment["title"] = "<script>alert(1)</script>"
    j.chaosrun.notes.append('"><img src=x onerror=alert(1)>')
    html = render_html(j)
    assert "<script>alert(1)</script>" not in html
    assert "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_secrets_are_not_reintroduced(monkeypatch):
    monkeypatch.setenv("OPSGENIE_API_KEY", "og-secret-value-123")
    j = deviated_journal()
    j.experiment["chaosrun"] = {
        "alerts": [{"type": "opsgenie", "api_key": {"env": "OPSGENIE_API_KEY"}}]
    }
    html = render_html(j)
    assert "og-secret-value-123" not in html
    assert "OPSGENIE_API_KEY" not in html  # the report does not dump configuration


def test_long_run_is_summarised_and_small():
    j = traffic_journal()  # 3,600 checks x 5 probes, 10 Hz traffic for one hour
    started = time.perf_counter()
    html = render_html(j)
    elapsed = time.perf_counter() - started
    assert len(html.encode()) < 1_500_000
    # per-probe statistics, not 18,000 rows
    assert html.count("<tr>") < 1_000
    for k in range(5):
        assert f'<th scope="row">probe-{k}</th>' in html
    # each line is down-sampled to about 1,000 points
    for d in re.findall(r'<path d="([^"]+)"', html):
        assert d.count("L") < 1_100
    print(f"rendered {len(html)} bytes in {elapsed:.2f}s")  # speed goals live in bench/


def test_downsample_keeps_extremes_and_gaps():
    pts = [(float(i), float(i % 100)) for i in range(36_000)]
    pts[18_000] = (18_000.0, 10_000.0)  # a spike
    for i in range(20_000, 20_500):
        pts[i] = (float(i), None)  # a gap wider than a bucket
    segments = downsample(pts, max_points=1000)
    values = [v for seg in segments for _, v in seg]
    assert len(values) <= 1_010
    assert max(values) == 10_000.0 and min(values) == 0.0
    assert len(segments) == 2
    assert downsample([(0.0, 1.0), (1.0, None), (2.0, 3.0)]) == [[(0.0, 1.0)], [(2.0, 3.0)]]


def test_compiled_templates_are_cached_and_a_broken_entry_is_compiled_again(tmp_path):
    def fresh_env() -> jinja2.Environment:
        return templating.build_environment(templating._BytecodeCache(str(tmp_path)))

    fresh_env().get_template("report.html.j2")
    [entry, *_] = sorted(tmp_path.glob("*.cache"), key=lambda p: p.stat().st_size, reverse=True)
    whole = entry.read_bytes()
    entry.write_bytes(whole[: len(whole) // 2])  # truncated: unreadable code
    assert fresh_env().get_template("report.html.j2").render  # compiled again, no error
    assert entry.read_bytes() == whole  # and written again
    assert render_html(held_journal()) == render_html(held_journal())


def test_chart_paths_round_like_the_frame_and_axis_formulas():
    """Inline path arithmetic must round exactly like ``_Frame.x`` and the y axis (52.5 on a
    0..100 axis lands on a .x5 boundary), with the series shift applied to the points."""
    from datetime import UTC, datetime, timedelta

    from chaosrun.report import charts

    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    frame = charts._Frame(t0, t0 + timedelta(seconds=50))
    journal = held_journal()
    direct = charts._build(
        "p", "t", "", [("p", [10.0, 20.0, 30.0], [10.0, 52.5, 100.0], 0.0)], journal, frame
    )
    shifted = charts._build(
        "p", "t", "", [("p", [0.0, 10.0, 20.0], [10.0, 52.5, 100.0], 10.0)], journal, frame
    )
    assert direct is not None and shifted is not None
    assert direct.lines[0].paths == ["M240.0,186.6 L416.0,104.1 L592.0,12.0"]
    assert shifted.lines[0].paths == direct.lines[0].paths
