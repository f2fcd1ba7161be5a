"""Chaos Toolkit provider namespace for CloudWatch probes (``chaosrun.probes.cloudwatch``)."""

from chaosrun.probes.base import probe_provider
from chaosrun.probes.cloudwatch_alarm import AlarmState
from chaosrun.probes.cloudwatch_metric import MetricStatistic

metric_statistic = probe_provider(MetricStatistic)
alarm_state = probe_provider(AlarmState)

__all__ = ["alarm_state", "metric_statistic"]
