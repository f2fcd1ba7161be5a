"""One sender per service. Each returns an :class:`AlertDelivery` and never raises.

HTTP deliveries retry with exponential backoff on 429 and 5xx (and connection errors), honouring
``Retry-After``; other 4xx are not retried. Error details never contain keys or webhook URLs.
"""

from __future__ import annotations

import email.utils
import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from chaosrun import __version__
from chaosrun.alerts.config import (
    Condition,
    EventBridgeSink,
    JsmSink,
    OpsgenieSink,
    PagerDutySink,
    Retry,
    SecretRef,
    SinkConfig,
    SlackSink,
    WebhookSink,
    _AlertShape,
)
from chaosrun.alerts.events import (
    AlertContext,
    AlertEvent,
    dedup_key,
    description,
    details,
    summary,
)
from chaosrun.aws.clients import AwsClients
from chaosrun.journal.model import AlertDelivery

log = logging.getLogger(__name__)

OPSGENIE_US = "https://api.opsgenie.com"
OPSGENIE_EU = "https://api.eu.opsgenie.com"
JSM_OPS = "https://api.atlassian.com"
JSM_ALERTS_PATH = "/jsm/ops/integration/v2/alerts"
PAGERDUTY = "https://events.pagerduty.com"
USER_AGENT = f"chaosrun/{__version__}"
#: longest wait a ``Retry-After`` may impose
MAX_RETRY_AFTER = 120.0

#: documented service limits
OPSGENIE_LIMITS = {"message": 130, "alias": 512, "description": 15000, "entity": 512, "source": 100}
OPSGENIE_MAX_TAGS, OPSGENIE_TAG_LEN = 20, 50
PAGERDUTY_SUMMARY = 1024
PAGERDUTY_DEDUP = 255
SLACK_HEADER, SLACK_TEXT, SLACK_FIELD = 150, 3000, 2000

Sleep = Callable[[float], None]


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


@dataclass
class HttpResult:
    ok: bool
    attempts: int
    detail: str


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def post_json(
    url: str,
    body: dict[str, Any] | bytes,
    headers: dict[str, str],
    retry: Retry,
    sleep: Sleep = time.sleep,
) -> HttpResult:
    """POST with retries on 429/5xx/connection errors; never raises."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    all_headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT, **headers}
    detail = ""
    for attempt in range(1, retry.attempts + 1):
        wait: float | None = None
        try:
            req = urllib.request.Request(url, data=data, headers=all_headers, method="POST")
            with urllib.request.urlopen(req, timeout=retry.timeout) as resp:
                return HttpResult(True, attempt, f"HTTP {resp.status}")
        except urllib.error.HTTPError as exc:
            detail = f"HTTP {exc.code} {exc.reason}"
            try:
                text = exc.read(300).decode("utf-8", "replace").strip()
                if text:
                    detail += f": {text}"
            except OSError:
                pass
            if exc.code != 429 and exc.code < 500:
                return HttpResult(False, attempt, detail + " (not retried)")
            wait = _retry_after(exc.headers.get("Retry-After") if exc.headers else None)
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            detail = f"connection failed: {type(reason).__name__}"
        if attempt < retry.attempts:
            backoff = min(retry.max_delay, retry.base_delay * 2 ** (attempt - 1))
            sleep(min(MAX_RETRY_AFTER, wait) if wait is not None else backoff)
    return HttpResult(False, retry.attempts, f"{detail} after {retry.attempts} attempts")


# -- payload builders (pure: tested against the services' documented schemas) -------------------


def alert_api_create(cfg: _AlertShape, event: AlertEvent, ctx: AlertContext) -> dict[str, Any]:
    """Opsgenie / JSM Ops create-alert body."""
    body: dict[str, Any] = {
        "message": clip(summary(event, ctx), OPSGENIE_LIMITS["message"]),
        "alias": clip(dedup_key(ctx.run_id, event.condition), OPSGENIE_LIMITS["alias"]),
        "description": clip(description(event, ctx), OPSGENIE_LIMITS["description"]),
        "tags": [
            clip(t, OPSGENIE_TAG_LEN)
            for t in ["chaosrun", event.condition.value, *cfg.tags][:OPSGENIE_MAX_TAGS]
        ],
        "details": details(event, ctx),
        "source": clip(cfg.source, OPSGENIE_LIMITS["source"]),
        "priority": event.priority,
    }
    if cfg.entity:
        body["entity"] = clip(cfg.entity, OPSGENIE_LIMITS["entity"])
    if cfg.responders:
        body["responders"] = cfg.responders
    if cfg.visible_to:
        body["visibleTo"] = cfg.visible_to
    return body


def alert_api_close(cfg: _AlertShape, event: AlertEvent, ctx: AlertContext) -> dict[str, Any]:
    return {"source": cfg.source, "user": "chaosrun", "note": clip(summary(event, ctx), 25000)}


def pagerduty_event(
    cfg: PagerDutySink, event: AlertEvent, ctx: AlertContext, routing_key: str
) -> dict[str, Any]:
    key = clip(dedup_key(ctx.run_id, event.condition), PAGERDUTY_DEDUP)
    if event.action == "resolve":
        return {"routing_key": routing_key, "event_action": "resolve", "dedup_key": key}
    payload: dict[str, Any] = {
        "summary": clip(summary(event, ctx), PAGERDUTY_SUMMARY),
        "source": f"chaosrun:{ctx.account_id or 'unknown-account'}",
        "severity": event.severity,
        "timestamp": event.at.isoformat(),
        "custom_details": details(event, ctx),
    }
    for field, value in (
        ("component", cfg.component),
        ("group", cfg.group),
        ("class", cfg.event_class),
    ):
        if value:
            payload[field] = value
    body: dict[str, Any] = {
        "routing_key": routing_key,
        "event_action": "trigger",
        "dedup_key": key,
        "payload": payload,
        "client": "chaosrun",
    }
    if ctx.report_url:
        body["client_url"] = ctx.report_url
        body["links"] = [{"href": ctx.report_url, "text": "chaosrun report"}]
    return body


def _mrkdwn(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_message(event: AlertEvent, ctx: AlertContext) -> dict[str, Any]:
    icon = {"critical": ":rotating_light:", "error": ":octagonal_sign:", "warning": ":warning:"}
    lead = ":white_check_mark:" if event.action == "resolve" else icon.get(event.severity, "")
    text = summary(event, ctx)
    figures = details(event, ctx)
    shown = [
        k
        for k in ("verdict", "account", "regions", "duration", "failed_checks", "restore")
        if k in figures
    ]
    body_lines = [f"*{_mrkdwn(text)}*"]
    if ctx.reason:
        body_lines.append(_mrkdwn(ctx.reason))
    body_lines += [f"\u2022 {_mrkdwn(p)}" for p in ctx.restore_problems[:10]]
    if ctx.report_url:
        body_lines.append(f"<{ctx.report_url}|Open the report>")
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {
                "type": "plain_text",
                "text": clip(f"{lead} {text}".strip(), SLACK_HEADER),
                "emoji": True,
            },
        },
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": clip("\n".join(body_lines), SLACK_TEXT)},
        },
    ]
    if shown:
        blocks.append(
            {
                "type": "section",
                "fields": [
                    {
                        "type": "mrkdwn",
                        "text": clip(
                            f"*{k.replace('_', ' ')}*\n{_mrkdwn(figures[k])}", SLACK_FIELD
                        ),
                    }
                    for k in shown[:10]
                ],
            }
        )
    blocks.append(
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": _mrkdwn(
                        f"run {ctx.run_id} \u00b7 {event.condition.value} \u00b7 "
                        f"severity {event.severity}"
                    ),
                }
            ],
        }
    )
    return {"text": clip(text, SLACK_TEXT), "blocks": blocks}


def event_detail(event: AlertEvent, ctx: AlertContext) -> dict[str, Any]:
    """The JSON body of webhook and EventBridge deliveries."""
    return {
        "version": "1",
        "run_id": ctx.run_id,
        "dedup_key": dedup_key(ctx.run_id, event.condition),
        "condition": event.condition.value,
        "action": event.action,
        "severity": event.severity,
        "priority": event.priority,
        "at": event.at.isoformat(),
        "summary": summary(event, ctx),
        "report_url": ctx.report_url,
        "details": details(event, ctx),
    }


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """``X-Chaosrun-Signature`` value: ``sha256=`` + HMAC-SHA256(secret, "<timestamp>." + body)."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


# -- senders --------------------------------------------------------------------------------------


class Sender:
    def __init__(self, clients: AwsClients | None = None, sleep: Sleep = time.sleep) -> None:
        self.clients = clients
        self.sleep = sleep

    def _secret(self, ref: SecretRef) -> str:
        return ref.resolve(self.clients)

    def deliver(self, cfg: SinkConfig, event: AlertEvent, ctx: AlertContext) -> AlertDelivery:
        at = datetime.now(UTC)
        if event.condition is Condition.ANNOUNCEMENT and isinstance(
            cfg, OpsgenieSink | JsmSink | PagerDutySink
        ):
            return AlertDelivery(
                sink=cfg.label,
                event=event.name,
                status="skipped",
                at=at,
                detail="announcements go to chat and event sinks, not to pagers",
            )
        try:
            result = self._send(cfg, event, ctx)
        except Exception as exc:  # a sink must never break the run
            log.warning("alert to %s failed: %s", cfg.label, type(exc).__name__, exc_info=True)
            result = HttpResult(False, 0, f"{type(exc).__name__}: {_safe(exc)}")
        return AlertDelivery(
            sink=cfg.label,
            event=event.name,
            status="delivered" if result.ok else "failed",
            attempts=result.attempts,
            at=at,
            detail=result.detail,
        )

    def _send(self, cfg: SinkConfig, event: AlertEvent, ctx: AlertContext) -> HttpResult:
        if isinstance(cfg, OpsgenieSink | JsmSink):
            return self._alert_api(cfg, event, ctx)
        if isinstance(cfg, PagerDutySink):
            base = (cfg.base_url or PAGERDUTY).rstrip("/")
            body = pagerduty_event(cfg, event, ctx, self._secret(cfg.routing_key))
            return post_json(f"{base}/v2/enqueue", body, {}, cfg.retry, self.sleep)
        if isinstance(cfg, SlackSink):
            url = self._secret(cfg.webhook_url)
            return post_json(url, slack_message(event, ctx), {}, cfg.retry, self.sleep)
        if isinstance(cfg, WebhookSink):
            return self._webhook(cfg, event, ctx)
        if isinstance(cfg, EventBridgeSink):
            return self._eventbridge(cfg, event, ctx)
        raise TypeError(f"unknown sink type {type(cfg).__name__}")

    def _alert_api(
        self, cfg: OpsgenieSink | JsmSink, event: AlertEvent, ctx: AlertContext
    ) -> HttpResult:
        if isinstance(cfg, OpsgenieSink):
            base = cfg.base_url or (OPSGENIE_EU if cfg.region == "eu" else OPSGENIE_US)
            path = "/v2/alerts"
        else:
            base, path = cfg.base_url or JSM_OPS, JSM_ALERTS_PATH
        headers = {"Authorization": f"GenieKey {self._secret(cfg.api_key)}"}
        url = base.rstrip("/") + path
        if event.action == "resolve":
            alias = quote(dedup_key(ctx.run_id, event.condition), safe="")
            url = f"{url}/{alias}/close?identifierType=alias"
            body = alert_api_close(cfg, event, ctx)
        else:
            body = alert_api_create(cfg, event, ctx)
        return post_json(url, body, headers, cfg.retry, self.sleep)

    def _webhook(self, cfg: WebhookSink, event: AlertEvent, ctx: AlertContext) -> HttpResult:
        url = self._secret(cfg.url) if isinstance(cfg.url, SecretRef) else cfg.url
        body = json.dumps(event_detail(event, ctx), sort_keys=True).encode()
        headers = dict(cfg.headers)
        headers["X-Chaosrun-Event"] = event.name
        if cfg.secret is not None:
            ts = str(int(time.time()))
            headers["X-Chaosrun-Timestamp"] = ts
            headers["X-Chaosrun-Signature"] = sign(self._secret(cfg.secret), ts, body)
        return post_json(url, body, headers, cfg.retry, self.sleep)

    def _eventbridge(
        self, cfg: EventBridgeSink, event: AlertEvent, ctx: AlertContext
    ) -> HttpResult:
        events = (self.clients or AwsClients()).client("events", cfg.region)
        resp = events.put_events(
            Entries=[
                {
                    "Time": event.at,
                    "Source": cfg.source,
                    "DetailType": cfg.detail_type,
                    "Detail": json.dumps(event_detail(event, ctx)),
                    "EventBusName": cfg.event_bus_name,
                }
            ]
        )
        if resp.get("FailedEntryCount"):
            entry = resp["Entries"][0]
            return HttpResult(False, 1, f"{entry.get('ErrorCode')}: {entry.get('ErrorMessage')}")
        return HttpResult(True, 1, f"event id {resp['Entries'][0].get('EventId')}")


def _safe(exc: Exception) -> str:
    """An exception message without URLs (a Slack webhook URL is a secret)."""
    text = str(exc)
    return "(details withheld: may contain a URL)" if "://" in text else text[:300]
