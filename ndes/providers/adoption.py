"""What `adopt: true` will do to an existing object, said at preview.

A resource not yet in the state previews as a plain "create": the engine never asks a dynamic provider to diff
against a live object it does not know. So when `check` sees a create (no old inputs) with `adopt: true`, the
provider reads the object it would take over (`find` + `get`, read-only) and prints one line per difference on
stderr, which the engine shows with the preview:

    adopt: IisHttpsBinding (ndes:sslCertificate) Default Web Site/https/443: hostName 'ndes2.lab...' -> ''
    adopt: MachineCertificate (ndes:sslCertificate): no existing object matches the configuration; a new one is made

Inputs still unknown at preview (outputs of other resources) are left out of the comparison; when the lookup
itself needed one, nothing is said (the object cannot be named yet). A failed lookup is reported, never raised:
the preview goes on.
"""
from __future__ import annotations

import itertools
import json
import sys
from typing import Any

from pydantic import ValidationError

PREFIX = "adopt:"
NOTHING_TO_TAKE_OVER = frozenset({"HostReboot", "CaCertificate"})
"""An action and a read-only export: nothing on a server for `adopt` to take over. The Intune connector without
an installerPath is only reported, so it joins them then."""
_PLACEHOLDERS: tuple[Any, ...] = ("0" * 40, "", [], 0, False, {})


def _plain(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _canon(value: Any) -> str:
    return json.dumps(_plain(value), sort_keys=True, default=str)


def _show(value: Any) -> str:
    text = json.dumps(_plain(value), default=str) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


def _inputs(provider: Any, props: dict[str, Any], unknown: list[str]) -> Any | None:
    """The validated Inputs, with placeholders standing in for unknown values (None when none fits)."""
    if not unknown:
        try:
            return provider.Inputs.model_validate(props)
        except ValidationError:  # check itself reports what is wrong
            return None
    fields = {(f.alias or n): f for n, f in provider.Inputs.model_fields.items()}
    choices = []
    for name in unknown:
        f = fields.get(name)
        own = [] if f is None or f.is_required() else [f.get_default(call_default_factory=True)]
        choices.append(own + list(_PLACEHOLDERS))
    for combo in itertools.product(*choices):
        try:
            return provider.Inputs.model_validate({**props, **dict(zip(unknown, combo))})
        except ValidationError:
            continue
    return None


def differences(provider: Any, props: dict[str, Any]) -> list[str]:
    """Lines describing what adopting the live object changes (empty: it is taken over as it is)."""
    from .base import contains_unknown

    unknown = [k for k, v in props.items() if contains_unknown(v)]
    inp = _inputs(provider, props, unknown)
    if inp is None:
        return []
    if provider.kind in NOTHING_TO_TAKE_OVER or (provider.kind == "IntuneConnector" and not inp.installer_path):
        return []
    what = provider.what(inp)
    existing = provider.find(inp)
    if existing is None and unknown:
        return []  # the lookup needed a value known only after other resources exist
    live = None
    try:  # `find` may not recognise a hand-made object that differs (e.g. a registry value): read it anyway
        live = provider.get(existing.id if existing else "", inp)
    except Exception:
        if existing is not None:
            raise
    if live is None:
        return [] if unknown else [f"{PREFIX} {what}: no existing object matches the configuration; a new one is made"]
    where = f" {existing.id}" if existing else ""
    return [f"{PREFIX} {what}{where}: {name} {_show(have)} -> {_show(want)}"
            for name, have, want in drift(provider, inp, live, skip=unknown)]


def drift(provider: Any, inp: Any, live: dict[str, Any], skip: Any = ()) -> list[tuple[str, Any, Any]]:
    """(input, live value, declared value) for each compared input the live object holds otherwise: what taking it
    over changes, what `pulumi refresh` then shows as drift, and what `ndes verify` reports. Secrets are never
    compared (a hook does not return them)."""
    wanted = inp.wire()
    return [(name, live[name], wanted.get(name)) for name in provider.compared_fields()
            if name not in skip and name not in provider.secret_fields and name in live
            and _canon(live[name]) != _canon(wanted.get(name))]


def shown(value: Any) -> str:
    """A value as a drift line shows it (JSON, or the quoted string; long ones cut)."""
    return _show(value)


def report(provider: Any, olds: dict[str, Any] | None, props: dict[str, Any]) -> None:
    """On a create with adopt: true, print what adopting changes (stderr; the engine shows it with the preview)."""
    if olds or props.get("adopt") is not True:
        return
    try:
        lines = differences(provider, props)
    except Exception as exc:  # a preview must not fail because a lookup did; say so instead
        lines = [f"{PREFIX} {provider.kind} ({props.get('configKey') or '?'}): could not read the existing object: "
                 f"{type(exc).__name__}: {exc}"]
    for line in lines:
        print(line, file=sys.stderr, flush=True)
