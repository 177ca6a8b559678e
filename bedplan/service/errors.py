"""Errors the routes raise; each becomes a 4xx JSON answer ``{"detail": message}``."""

from __future__ import annotations


class ServiceError(Exception):
    """A request that cannot be served as asked; ``message`` is safe to show the user."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def not_found(message: str) -> ServiceError:
    return ServiceError(404, message)


def conflict(message: str) -> ServiceError:
    return ServiceError(409, message)


def invalid(message: str) -> ServiceError:
    return ServiceError(422, message)
