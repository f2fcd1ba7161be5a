"""Chaos Toolkit provider namespace for Lambda probes (``module: chaosrun.probes.awslambda``)."""

from chaosrun.probes.base import probe_provider
from chaosrun.probes.lambda_configuration import LambdaConfiguration
from chaosrun.probes.lambda_invoke import LambdaInvoke

configuration = probe_provider(LambdaConfiguration)
invoke = probe_provider(LambdaInvoke)

__all__ = ["configuration", "invoke"]
