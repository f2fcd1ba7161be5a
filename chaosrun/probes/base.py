"""The probe contract.

A probe has a pydantic parameter model, declared IAM permissions and a typed output model. Its
output is dumped to a dict for Chaos Toolkit tolerances (so ``target: p99_ms`` works); outputs
may also contribute time series and named measurements to the journal.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel

from chaosrun.aws.clients import AwsClients
from chaosrun.faults.base import Params, parse_params
from chaosrun.journal.model import Measurement, Series


class ProbeOutput(BaseModel):
    """Base of probe outputs."""

    def series(self) -> list[Series]:
        return []

    def measurements(self) -> list[Measurement]:
        return []


P = TypeVar("P", bound=Params)
O = TypeVar("O", bound=ProbeOutput)  # noqa: E741


class Probe(ABC, Generic[P, O]):
    name: ClassVar[str]
    summary: ClassVar[str]
    params_model: ClassVar[type[Params]]
    output_model: ClassVar[type[ProbeOutput]]
    permissions: ClassVar[tuple[str, ...]] = ()

    def __init__(self, params: P, clients: AwsClients, stop: threading.Event | None = None) -> None:
        self.params = params
        self.clients = clients
        #: set when the run is aborting; long-running probes should return early
        self.stop = stop or threading.Event()

    @abstractmethod
    def run(self) -> O:
        """Measure and return the output."""


def run_probe(
    probe_cls: type[Probe[Any, Any]],
    arguments: dict[str, Any],
    clients: AwsClients,
    stop: threading.Event | None = None,
) -> ProbeOutput:
    params = parse_params(probe_cls.params_model, probe_cls.name, arguments)
    return probe_cls(params, clients, stop).run()


def probe_provider(probe_cls: type[Probe[Any, Any]]) -> Callable[..., dict[str, Any]]:
    """A Chaos Toolkit python provider function for a probe (for plain ``chaos run``)."""

    def provider(configuration: dict[str, Any] | None = None, **arguments: Any) -> dict[str, Any]:
        from chaosrun.faults.runtime import active_context

        clients = active_context(configuration).clients
        return run_probe(probe_cls, arguments, clients).model_dump(mode="json")

    provider.__name__ = probe_cls.name.rsplit(".", 1)[-1]
    provider.__doc__ = probe_cls.summary
    provider.probe_class = probe_cls  # type: ignore[attr-defined]
    return provider
