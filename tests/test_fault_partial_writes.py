"""Which faults may leave a mix of snapshot and planned state (``Fault.partial_writes``).

Only a fault whose write takes several API calls can stop half-way. For a fault that writes in
one call, a mixed state after a failed or killed injection is somebody else's change: restore
reports drift and leaves it.
"""

from __future__ import annotations

import inspect

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from test_fault_partial_restore import _fail_call
from test_fault_route53_force_failover import config, make_check

from chaosrun.aws.clients import AwsClients
from chaosrun.faults.base import Fault, RestoreStatus
from chaosrun.faults.runtime import FaultContext, apply_fault, new_run_id, restore_run
from chaosrun.ledger import Ledger
from chaosrun.plugins import FAULTS

#: faults whose inject or restore writes the state in several calls; adding one is a decision
MULTI_CALL = {
    "chaosrun.faults.awslambda.inject_failure",
    "chaosrun.faults.events.remove_target",
    "chaosrun.faults.iam.remove_permissions",
    "chaosrun.faults.iam.remove_resource_permission",
}
PLAIN = [n for n in FAULTS.names() if not getattr(FAULTS.get(n), "composite", False)]


@pytest.mark.parametrize("name", PLAIN)
def test_partial_writes_is_a_deliberate_bool(name: str) -> None:
    cls = FAULTS.get(name)
    assert isinstance(cls.partial_writes, bool)
    assert cls.partial_writes is (name in MULTI_CALL)


@pytest.mark.parametrize("name", sorted(MULTI_CALL))
def test_a_multi_call_fault_says_which_calls(name: str) -> None:
    owner = next(c for c in FAULTS.get(name).__mro__ if "partial_writes" in vars(c))
    assert owner is not Fault
    lines = inspect.getsource(owner).splitlines()
    at = next(i for i, line in enumerate(lines) if "partial_writes = True" in line)
    assert lines[at - 1].strip().startswith("#"), f"{name}: comment which calls, above the flag"


def test_a_foreign_mix_on_a_single_call_fault_is_drift(tmp_path) -> None:
    """UpdateHealthCheck is one call: after it failed, a half-changed check is not ours."""
    with mock_aws():
        route53 = boto3.client("route53", region_name="us-east-1")
        check = make_check(route53, "us-east-1", inverted=True)
        ctx = FaultContext(run_id=new_run_id(), clients=AwsClients(), ledger=Ledger(tmp_path))
        _fail_call(ctx.clients, "route53", "UpdateHealthCheck", 1)
        with pytest.raises(ClientError, match="Throttling"):
            apply_fault(ctx, "chaosrun.faults.route53.force_failover", {"ids": [check]})
        # an operator un-inverts the check: Inverted as planned, ResourcePath as before
        route53.update_health_check(HealthCheckId=check, Inverted=False)

        [(entry, result)] = restore_run(ctx.ledger, AwsClients(), ctx.run_id)
        assert not entry.applied
        assert result.status is RestoreStatus.DRIFT
        assert config(route53, check)["Inverted"] is False  # left as the operator set it
