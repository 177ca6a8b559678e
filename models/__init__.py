"""The bedplan domain: frozen dataclasses, compatibility, reading, validation, writing."""

from models.compatibility import incompatibility_reasons, is_compatible
from models.domain import (
    Geography,
    Instance,
    Limits,
    Link,
    Network,
    Patient,
    Place,
    Policy,
    SolverSettings,
    Unit,
    Weights,
)

__all__ = [
    "Geography",
    "Instance",
    "Limits",
    "Link",
    "Network",
    "Patient",
    "Place",
    "Policy",
    "SolverSettings",
    "Unit",
    "Weights",
    "incompatibility_reasons",
    "is_compatible",
]
