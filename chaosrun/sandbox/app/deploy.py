"""Deploy the orders app (``definition.py``) with plain boto3 against the sandbox endpoint."""

from __future__ import annotations

import io
import json
import secrets
import uuid
import zipfile
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, Field

from chaosrun.sandbox.app import definition as d
from chaosrun.sandbox.base import SandboxContext

LAMBDA_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


class FunctionInfo(BaseModel):
    name: str
    arn: str
    component: str


class RegionInfo(BaseModel):
    region: str
    functions: list[FunctionInfo]
    api_id: str
    #: the region's API endpoint (custom-domain routing), None if no API endpoint component
    url: str | None
    #: the stage URL form, works without the custom domain
    stage_url: str | None
    health_check_id: str | None
    queue_url: str
    usage_plan_id: str | None = None
    alarms: list[str]
    #: functions fed by SQS through an event source mapping (the order-audit consumer)
    consumers: list[FunctionInfo] = Field(default_factory=list)
    audit_queue_url: str | None = None
    #: UUIDs of the consumers' event source mappings
    event_source_mappings: list[str] = Field(default_factory=list)


class AppInfo(BaseModel):
    """What ``deploy`` created; printed by ``chaosrun sandbox up``."""

    app: str = d.APP
    table: str = d.TABLE
    event_bus: str = d.BUS
    audit_table: str = d.AUDIT_TABLE
    domain: str = d.DOMAIN
    hosted_zone_id: str
    global_url: str | None
    #: the usage plan's API key (``x-api-key`` on the partner routes), the same in every region
    partner_api_key: str | None = None
    regions: dict[str, RegionInfo] = Field(default_factory=dict)

    def env(self) -> dict[str, str]:
        """``CHAOSRUN_APP_*`` variables naming the app's endpoints and resources, e.g.
        ``CHAOSRUN_APP_GLOBAL_URL``, ``CHAOSRUN_APP_US_EAST_1_URL``,
        ``CHAOSRUN_APP_EU_WEST_1_HEALTH_CHECK_ID``: the experiments' configuration reads them
        (set the same variables to run those experiments against a real account)."""
        env = {"CHAOSRUN_APP_TABLE": self.table, "CHAOSRUN_APP_EVENT_BUS": self.event_bus}
        env["CHAOSRUN_APP_AUDIT_TABLE"] = self.audit_table
        env["CHAOSRUN_APP_HOSTED_ZONE_ID"] = self.hosted_zone_id
        if self.partner_api_key:
            env["CHAOSRUN_APP_PARTNER_API_KEY"] = self.partner_api_key
        if self.global_url:
            env["CHAOSRUN_APP_GLOBAL_URL"] = self.global_url
            env["CHAOSRUN_APP_WEIGHTED_HOST"] = d.WEIGHTED_DOMAIN
        for region, info in self.regions.items():
            prefix = "CHAOSRUN_APP_" + region.upper().replace("-", "_") + "_"
            values = {
                "URL": info.url,
                "API_ID": info.api_id,
                "HEALTH_CHECK_ID": info.health_check_id,
                "QUEUE_URL": info.queue_url,
                "AUDIT_QUEUE_URL": info.audit_queue_url,
            }
            env.update({prefix + k: v for k, v in values.items() if v})
        return env

    def summary(self) -> str:
        lines = [f"orders app: global {self.global_url}  (Route 53 {self.domain})"]
        for info in self.regions.values():
            lines.append(
                f"  {info.region}: {info.url}  api {info.api_id}  health check "
                f"{info.health_check_id}  functions "
                f"{', '.join(f.name for f in [*info.functions, *info.consumers])}"
            )
        return "\n".join(lines)


def handler_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.write(Path(__file__).with_name("handlers.py"), "handlers.py")
    return buffer.getvalue()


def _role_policy(ctx: SandboxContext, fn: dict[str, Any]) -> dict[str, Any]:
    resources = {
        "dynamodb": f"arn:aws:dynamodb:*:{ctx.account_id}:table/{fn.get('table', d.TABLE)}",
        "events": f"arn:aws:events:*:{ctx.account_id}:event-bus/{d.BUS}",
        "sqs": f"arn:aws:sqs:*:{ctx.account_id}:{fn.get('queue', d.QUEUE)}",
    }
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": actions, "Resource": resources[service]}
            for service, actions in fn["actions"].items()
        ],
    }


def _create_roles(ctx: SandboxContext, region: str) -> dict[str, str]:
    iam = ctx.clients.client("iam", region)
    roles: dict[str, str] = {}
    for fn in [*d.FUNCTIONS, *d.CONSUMERS]:
        role = iam.create_role(
            RoleName=f"{fn['name']}-role", AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST)
        )["Role"]["Arn"]
        iam.put_role_policy(
            RoleName=f"{fn['name']}-role",
            PolicyName="least-privilege",
            PolicyDocument=json.dumps(_role_policy(ctx, fn)),
        )
        roles[fn["name"]] = role
    return roles


def _create_table(ctx: SandboxContext, regions: list[str]) -> None:
    ddb = ctx.clients.client("dynamodb", regions[0])
    ddb.create_table(
        TableName=d.TABLE,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        Tags=[{"Key": "app", "Value": d.APP}],
    )
    if len(regions) > 1:  # a global table: replicas in the other regions
        ddb.update_table(
            TableName=d.TABLE,
            ReplicaUpdates=[{"Create": {"RegionName": r}} for r in regions[1:]],
        )


def _create_audit_table(ctx: SandboxContext, region: str) -> None:
    ctx.clients.client("dynamodb", region).create_table(
        TableName=d.AUDIT_TABLE,
        KeySchema=[{"AttributeName": "order_id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "order_id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        Tags=[{"Key": "app", "Value": d.APP}, {"Key": "component", "Value": "order-audit"}],
    )


def _queue_policy(queue_arn: str, rule_arn: str) -> str:
    """Let the order-created rule (only) send to the queue."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "events.amazonaws.com"},
                    "Action": "sqs:SendMessage",
                    "Resource": queue_arn,
                    "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}},
                }
            ],
        }
    )


def deploy(ctx: SandboxContext) -> AppInfo:
    """Create the orders app in ``definition.REGIONS`` (those the sandbox serves).

    Independent parts (roles, table, zone, each region) are created concurrently: the sandbox
    start-up budget (3 s to a deployed app) leaves no room to do them one by one.
    """
    regions = [r for r in d.REGIONS if r in ctx.regions] or ctx.regions[:1]
    primary = regions[0]
    code = handler_zip()
    partner_api_key = secrets.token_urlsafe(30)
    with ThreadPoolExecutor(max_workers=8, thread_name_prefix="deploy-orders") as pool:
        roles = pool.submit(_create_roles, ctx, primary)
        table = pool.submit(_create_table, ctx, regions)
        zone = pool.submit(
            lambda: ctx.clients.client("route53", primary).create_hosted_zone(
                Name=d.ZONE, CallerReference=str(uuid.uuid4())
            )["HostedZone"]["Id"]
        )
        audit_tables = [pool.submit(_create_audit_table, ctx, r) for r in regions]
        per_region = [
            pool.submit(_deploy_region, ctx, r, roles, code, partner_api_key) for r in regions
        ]
        for audit_table in audit_tables:
            audit_table.result()
        table.result()
        info = AppInfo(
            hosted_zone_id=zone.result(),
            global_url=ctx.global_endpoint,
            partner_api_key=partner_api_key,
        )
        changes = []
        for index, future in enumerate(per_region):
            region_info, record = future.result()
            info.regions[region_info.region] = region_info
            if index < 2:
                weighted = {**record, "Name": d.WEIGHTED_DOMAIN, "Weight": d.WEIGHT}
                record["Failover"] = "PRIMARY" if index == 0 else "SECONDARY"
                changes.append({"Action": "UPSERT", "ResourceRecordSet": record})
                changes.append({"Action": "UPSERT", "ResourceRecordSet": weighted})
    ctx.clients.client("route53", primary).change_resource_record_sets(
        HostedZoneId=info.hosted_zone_id, ChangeBatch={"Changes": changes}
    )
    return info


def _deploy_region(
    ctx: SandboxContext,
    region: str,
    roles_future: Future[dict[str, str]],
    code: bytes,
    partner_api_key: str,
) -> tuple[RegionInfo, dict[str, Any]]:
    account = ctx.account_id
    lam = ctx.clients.client("lambda", region)
    events = ctx.clients.client("events", region)
    sqs = ctx.clients.client("sqs", region)
    apigw = ctx.clients.client("apigateway", region)

    # events: bus -> rule -> order-events queue, and the order-audit queue
    events.create_event_bus(Name=d.BUS)
    queue_url = sqs.create_queue(QueueName=d.QUEUE)["QueueUrl"]
    queue_arn = f"arn:aws:sqs:{region}:{account}:{d.QUEUE}"
    audit_queue_arn = f"arn:aws:sqs:{region}:{account}:{d.AUDIT_QUEUE}"
    rule_arn = events.put_rule(
        Name=d.RULE,
        EventBusName=d.BUS,
        EventPattern=json.dumps({"source": ["orders"], "detail-type": ["OrderCreated"]}),
    )["RuleArn"]
    sqs.set_queue_attributes(
        QueueUrl=queue_url, Attributes={"Policy": _queue_policy(queue_arn, rule_arn)}
    )
    audit_queue_url = sqs.create_queue(
        QueueName=d.AUDIT_QUEUE,
        Attributes={
            "VisibilityTimeout": str(d.AUDIT_QUEUE_VISIBILITY_TIMEOUT),
            "Policy": _queue_policy(audit_queue_arn, rule_arn),
        },
        tags={"app": d.APP, "component": "order-audit"},
    )["QueueUrl"]
    events.put_targets(
        Rule=d.RULE,
        EventBusName=d.BUS,
        Targets=[
            {"Id": "order-events", "Arn": queue_arn},
            {"Id": d.AUDIT_TARGET_ID, "Arn": audit_queue_arn},
        ],
    )

    # alarms
    cw = ctx.clients.client("cloudwatch", region)
    alarm_names = []
    for alarm in d.ALARMS:
        spec = {k: v for k, v in alarm.items() if k != "name"}
        dims = {k: v.format(api=d.API_NAME) for k, v in spec.pop("Dimensions").items()}
        spec["Dimensions"] = [{"Name": k, "Value": v} for k, v in dims.items()]
        cw.put_metric_alarm(AlarmName=alarm["name"], Tags=[{"Key": "app", "Value": d.APP}], **spec)
        alarm_names.append(alarm["name"])

    # functions
    roles = roles_future.result()
    functions: list[FunctionInfo] = []
    for fn in d.FUNCTIONS:
        env = {"TABLE_NAME": d.TABLE, "EVENT_BUS_NAME": d.BUS}
        created = _create_function(lam, fn, roles[fn["name"]], code, env)
        functions.append(
            FunctionInfo(name=fn["name"], arn=created["FunctionArn"], component=fn["component"])
        )

    # SQS consumers: function + event source mapping (the table was created by deploy)
    consumers: list[FunctionInfo] = []
    mappings: list[str] = []
    for fn in d.CONSUMERS:
        created = _create_function(lam, fn, roles[fn["name"]], code, dict(fn["environment"]))
        consumers.append(
            FunctionInfo(name=fn["name"], arn=created["FunctionArn"], component=fn["component"])
        )
        mappings.append(
            lam.create_event_source_mapping(
                EventSourceArn=f"arn:aws:sqs:{region}:{account}:{fn['queue']}",
                FunctionName=fn["name"],
                BatchSize=fn["batch_size"],
                Enabled=True,
            )["UUID"]
        )

    # REST API with Lambda proxy integrations
    api_id = apigw.create_rest_api(
        name=d.API_NAME, endpointConfiguration={"types": ["REGIONAL"]}, tags={"app": d.APP}
    )["id"]
    resources = {r["path"]: r["id"] for r in apigw.get_resources(restApiId=api_id)["items"]}
    arns = {info.name: info.arn for info in functions}
    routes = [(fn["path"], fn["method"], fn["name"], False) for fn in d.FUNCTIONS]
    routes += [(r["path"], r["method"], r["function"], True) for r in d.PARTNER_ROUTES]
    for path, method, function, key_required in routes:
        _route(apigw, api_id, resources, path, method, arns[function], key_required)
    for fn in d.FUNCTIONS:
        lam.add_permission(
            FunctionName=fn["name"],
            StatementId="apigateway-invoke",
            Action="lambda:InvokeFunction",
            Principal="apigateway.amazonaws.com",
            SourceArn=f"arn:aws:execute-api:{region}:{account}:{api_id}/*/*/*",
        )
    apigw.create_deployment(restApiId=api_id, stageName=d.STAGE)
    usage_plan_id = apigw.create_usage_plan(
        name=str(d.USAGE_PLAN["name"]),
        apiStages=[{"apiId": api_id, "stage": d.STAGE}],
        throttle=d.USAGE_PLAN["throttle"],
        tags={"app": d.APP},
    )["id"]
    key_id = apigw.create_api_key(
        name=d.PARTNER_API_KEY_NAME, value=partner_api_key, enabled=True, tags={"app": d.APP}
    )["id"]
    apigw.create_usage_plan_key(usagePlanId=usage_plan_id, keyId=key_id, keyType="API_KEY")
    domain = apigw.create_domain_name(
        domainName=d.DOMAIN,
        regionalCertificateArn=f"arn:aws:acm:{region}:{account}:certificate/sandbox",
        endpointConfiguration={"types": ["REGIONAL"]},
    )
    apigw.create_base_path_mapping(domainName=d.DOMAIN, restApiId=api_id, stage=d.STAGE)

    # health check on the regional endpoint
    base = ctx.api_endpoints.get(region)
    health_check_id = None
    if base:
        target = urlsplit(base)
        health_check_id = ctx.clients.client("route53", region).create_health_check(
            CallerReference=str(uuid.uuid4()),
            HealthCheckConfig={
                **d.HEALTH_CHECK,
                "IPAddress": target.hostname or "127.0.0.1",
                "Port": target.port or 80,
                "ResourcePath": target.path.rstrip("/") + d.HEALTH_PATH,
            },
        )["HealthCheck"]["Id"]
    record: dict[str, Any] = {
        "Name": d.DOMAIN,
        "Type": "A",
        "SetIdentifier": region,
        "AliasTarget": {
            "HostedZoneId": domain["regionalHostedZoneId"],
            "DNSName": domain["regionalDomainName"],
            "EvaluateTargetHealth": False,
        },
    }
    if health_check_id:
        record["HealthCheckId"] = health_check_id

    return (
        RegionInfo(
            region=region,
            functions=functions,
            api_id=api_id,
            url=base,
            stage_url=f"{base.rstrip('/')}/restapis/{api_id}/{d.STAGE}/_user_request_"
            if base
            else None,
            health_check_id=health_check_id,
            queue_url=queue_url,
            alarms=alarm_names,
            usage_plan_id=usage_plan_id,
            consumers=consumers,
            audit_queue_url=audit_queue_url,
            event_source_mappings=mappings,
        ),
        record,
    )


def _route(
    apigw: Any,
    api_id: str,
    resources: dict[str, str],
    route_path: str,
    method: str,
    function_arn: str,
    key_required: bool,
) -> None:
    """One method with a Lambda proxy integration, creating the resources on its path."""
    parent = "/"
    for part in route_path.strip("/").split("/"):
        path = parent.rstrip("/") + "/" + part
        if path not in resources:
            resources[path] = apigw.create_resource(
                restApiId=api_id, parentId=resources[parent], pathPart=part
            )["id"]
        parent = path
    resource_id = resources[route_path]
    apigw.put_method(
        restApiId=api_id,
        resourceId=resource_id,
        httpMethod=method,
        authorizationType="NONE",
        apiKeyRequired=key_required,
    )
    apigw.put_integration(
        restApiId=api_id,
        resourceId=resource_id,
        httpMethod=method,
        type="AWS_PROXY",
        integrationHttpMethod="POST",
        uri=f"arn:aws:apigateway:{apigw.meta.region_name}:lambda:path/2015-03-31/functions/"
        f"{function_arn}/invocations",
    )


def _create_function(
    lam: Any, fn: dict[str, Any], role_arn: str, code: bytes, env: dict[str, str]
) -> dict[str, Any]:
    """One of the app's Python functions, tagged with the app and its component."""
    return dict(
        lam.create_function(
            FunctionName=fn["name"],
            Runtime="python3.11",
            Role=role_arn,
            Handler=fn["handler"],
            Code={"ZipFile": code},
            Timeout=10,
            MemorySize=256,
            Environment={"Variables": env},
            Tags={"app": d.APP, "component": fn["component"]},
        )
    )
