"""Microsoft Graph client (httpx + azure-identity): no Pulumi here.

Public surface: GraphSettings / RetryPolicy (plain data), GraphClient / client_for, the exception tree, and
the domain helpers in `app_proxy` and `intune`.
"""
from .client import GraphClient, Op, client_for, make_transport, odata_literal, quote_id
from .clouds import CLOUDS, Endpoints, endpoints
from .errors import (AccessDenied, AuthenticationFailed, BadRequest, Conflict, GraphError, NotFound, Throttled,
                     TlsFailure, Unavailable)
from .settings import GraphSettings, RetryPolicy

__all__ = [
    "AccessDenied", "AuthenticationFailed", "BadRequest", "CLOUDS", "Conflict", "Endpoints", "GraphClient",
    "GraphError", "GraphSettings", "NotFound", "Op", "RetryPolicy", "Throttled", "TlsFailure", "Unavailable", "client_for",
    "endpoints", "make_transport", "odata_literal", "quote_id",
]
