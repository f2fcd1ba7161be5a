"""The components a sandbox runs by default, as ``"module:Class"`` import paths.

Append yours; a default whose module is missing (not written yet) is skipped with a warning.
"""

from __future__ import annotations

DEFAULT_COMPONENTS: list[str] = [
    "chaosrun.sandbox.lambda_credentials:Credentials",
    "chaosrun.sandbox.iam_enforcer:IamEnforcer",
    "chaosrun.sandbox.metrics:Metrics",
    "chaosrun.sandbox.lambda_runtime:LambdaRuntime",
    "chaosrun.sandbox.api_endpoints:ApiEndpoints",
]
