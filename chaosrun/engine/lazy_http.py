"""chaoslib's HTTP provider, imported when an ``http`` provider first needs it.

``chaoslib.activity`` (and so ``chaoslib.hypothesis``) imports ``chaoslib.provider.http`` when it
is imported, and that module imports ``requests`` and ``urllib3``: ~35 ms of start-up for every
run, used only by ``type: http`` providers. :func:`install` puts a stand-in under that module name
before ``chaoslib.activity`` is imported (importing this module does it; ``chaosrun.engine``
imports it first). Its two functions import the real module on their first
call and delegate to it; any other attribute (``chaoslib.provider.http.requests``) imports it too.
So an experiment with http providers runs exactly as before, one import later.

The real module also turns urllib3's ``InsecureRequestWarning`` off for the whole process when it
is imported; the stand-in installs the same filter (by the warning's message, since naming its
class would import urllib3).
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
import types
import warnings
from typing import Any

NAME = "chaoslib.provider.http"

_lock = threading.Lock()


class _LazyHttpProvider(types.ModuleType):
    def __getattr__(self, attr: str) -> Any:  # only for what the stand-in does not define
        if attr.startswith("__"):
            raise AttributeError(attr)
        return getattr(real_module(), attr)

    # setting or deleting an attribute (``mock.patch("chaoslib.provider.http.requests")`` in an
    # extension's tests) acts on the real module, which the stand-in's functions call
    def __setattr__(self, attr: str, value: Any) -> None:
        if attr.startswith("__"):
            super().__setattr__(attr, value)
        else:
            setattr(real_module(), attr, value)

    def __delattr__(self, attr: str) -> None:
        if attr.startswith("__"):
            super().__delattr__(attr)
        else:
            delattr(real_module(), attr)


def real_module() -> types.ModuleType:
    """The real ``chaoslib.provider.http``, imported on the first call."""
    with _lock:
        current = sys.modules.get(NAME)
        if current is not None and not isinstance(current, _LazyHttpProvider):
            return current
        sys.modules.pop(NAME, None)
        try:
            return importlib.import_module(NAME)  # also rebinds chaoslib.provider.http
        except BaseException:
            if current is not None:
                sys.modules[NAME] = current
            raise


def run_http_activity(activity: Any, configuration: Any, secrets: Any) -> Any:
    return real_module().run_http_activity(activity, configuration, secrets)


def validate_http_activity(activity: Any) -> Any:
    return real_module().validate_http_activity(activity)


def install() -> None:
    """Put the stand-in in place, unless chaoslib's activity module (or the HTTP provider) is
    already imported: then there is nothing left to save."""
    if NAME in sys.modules or "chaoslib.activity" in sys.modules:
        return
    import chaoslib.provider

    stand_in = _LazyHttpProvider(NAME, __doc__)
    # the real module's spec (found, not executed), so importlib.util.find_spec still answers
    stand_in.__spec__ = importlib.util.find_spec(NAME)
    stand_in.__dict__.update(
        run_http_activity=run_http_activity,
        validate_http_activity=validate_http_activity,
        __all__=["run_http_activity", "validate_http_activity"],
    )
    warnings.filterwarnings("ignore", message="Unverified HTTPS request")
    sys.modules[NAME] = stand_in
    chaoslib.provider.http = stand_in


install()
