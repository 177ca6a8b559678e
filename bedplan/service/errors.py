"""Errors the routes raise; each becomes a 4xx JSON answer ``{"detail": message}``."""

from __future__ import annotations


class ServiceError(Exception):
    """A request that cannot be served as asked; ``message`` is safe to show the user."""

    def __init__(self, status: int, message: str,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers


def not_found(message: str) -> ServiceError:
    return ServiceError(404, message)


def conflict(message: str) -> ServiceError:
    return ServiceError(409, message)


def invalid(message: str) -> ServiceError:
    return ServiceError(422, message)


def too_many(message: str, retry_after: int) -> ServiceError:
    """429 with ``Retry-After`` (seconds)."""
    return ServiceError(429, message, {"Retry-After": str(retry_after)})
