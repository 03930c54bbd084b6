"""The Graph client's one exception tree, mapped from httpx / azure-identity at the transport boundary.

Every message reads "failed to <verb> <kind> '<id>' on <target>: <cause>" and carries Graph's error code,
message and request-id when Graph gave them. No message ever holds a credential.
"""
from __future__ import annotations


class GraphError(Exception):
    """Base of every error the Graph client raises."""

    def __init__(self, message: str, *, status: int | None = None, code: str = "", graph_message: str = "",
                 request_id: str = ""):
        super().__init__(message)
        self.status = status
        self.code = code
        self.graph_message = graph_message
        self.request_id = request_id


class NotFound(GraphError):
    """The object does not exist (404), after the bounded wait for replication where one was asked for."""


class AccessDenied(GraphError):
    """401/403: the app lacks a permission or consent."""


class AuthenticationFailed(AccessDenied):
    """The token endpoint refused the credentials (wrong secret, unknown client, expired certificate)."""


class BadRequest(GraphError):
    """400: Graph refused the request's shape or values."""


class Conflict(GraphError):
    """409 / 412: the object exists already or changed meanwhile."""


class Throttled(GraphError):
    """429/503/504 kept coming past the retry budget (time and count)."""


class Unavailable(GraphError):
    """Graph did not answer (network, 5xx): never read as 'absent'."""


class TlsFailure(GraphError):
    """The server's certificate could not be verified: final (a retry gives the same answer), and never read
    as 'absent' or 'no answer'."""
