"""A parsed, validated instance kept on disk, so that reading it again costs milliseconds.

``bedplan suggest`` answers one question about a census it has usually read a minute ago;
validating 8,399 patients again takes most of its time. :func:`store` keeps the
:class:`~models.domain.Instance` that :func:`models.io.read_instance` returned (only ever a
valid one: invalid input is reported on every run) under a key the caller derives from
everything the result depends on (the instance files' bytes, the reading code, the data it
uses); :func:`load` gives it back, equal field for field, or None.

The file is JSON, column by column with repeated values stored once (no pickle: reading it
runs no code), behind a header line that names the format, the key and the SHA-256 of the
body; anything that does not check out is ignored. Objects are rebuilt field by field, the
way pickle rebuilds them (the dataclasses have no ``__post_init__``), which is several times
faster than calling their constructors; :func:`store` only writes what decodes back to an
equal instance.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gc
import hashlib
import json
import logging
import sys
from array import array
from collections import deque
from collections.abc import Callable, Sequence
from itertools import repeat
from operator import attrgetter
from pathlib import Path
from typing import Any

from models import cache
from models.domain import (
    Geography,
    Instance,
    Limits,
    Link,
    Network,
    Patient,
    Place,
    PlanSettings,
    Policy,
    SolverSettings,
    Unit,
    Weights,
)

log = logging.getLogger(__name__)

FORMAT = f"bedplan-instance-cache 1 {sys.byteorder}"  # arrays of indices: native order
#: How many parsed instances are kept (the most recently written).
KEEP = 8
_CLASSES: dict[str, type] = {c.__name__: c for c in (
    Unit, Patient, Network, Place, Link, Weights, Limits, SolverSettings, PlanSettings, Policy)}


class _Unsupported(Exception):
    """A value this format does not hold (then nothing is cached)."""


def path_for(key: str) -> Path:
    """Where the instance of ``key`` is kept."""
    return cache.cache_dir() / f"instance-{key}.json"


def load(key: str, source: str) -> Instance | None:
    """The instance stored under ``key`` (its ``source`` set to ``source``), or None."""
    data = cache.read_private(path_for(key))
    if data is None:
        return None
    try:
        return decode(data, key, source)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, _Unsupported) as exc:
        log.debug("ignoring the cached instance %s: %s", key, exc)
        return None


def store(key: str, instance: Instance) -> bool:
    """Keep ``instance`` under ``key`` when it decodes back to an equal one; True if kept."""
    try:
        data = encode(instance, key)
        back = decode(data, key, instance.source)
    except (_Unsupported, ValueError, TypeError) as exc:
        log.debug("not caching the instance: %s", exc)
        return False
    if not same(back, instance):
        log.debug("not caching the instance: it does not read back equal")
        return False
    if not cache.write_private(path_for(key), data):
        return False
    cache.prune(cache.cache_dir(), "instance-*.json", KEEP)
    return True


def same(a: Instance, b: Instance) -> bool:
    """Equal, including the extra columns that ``==`` leaves out."""
    return a == b and all(
        [x.extra for x in getattr(a, f)] == [y.extra for y in getattr(b, f)]
        for f in ("units", "patients", "networks"))


# --------------------------------------------------------------------------- encoding


def encode(instance: Instance, key: str) -> bytes:
    """The file's bytes: a header line, then the body (see the module docstring)."""
    geo = instance.geography
    body = json.dumps({
        "units": _columns(instance.units, Unit),
        "patients": _columns(instance.patients, Patient),
        "networks": _columns(instance.networks, Network),
        "policy": _value(instance.policy),
        "geography": None if geo is None else {"places": _columns(geo.places, Place),
                                                 "links": _columns(geo.links, Link)},
    }, separators=(",", ":"), allow_nan=True).encode()
    header = json.dumps({"format": FORMAT, "key": key,
                         "sha256": hashlib.sha256(body).hexdigest()}).encode()
    return header + b"\n" + body


def _columns(rows: Sequence[Any], cls: type) -> dict[str, Any]:
    """Each field of ``rows`` as its distinct values ``u`` (``tagged`` when some need
    :func:`_unvalue`) and ``i``, the index of each row's value as hex of an array of type
    ``w`` (None when every row has its own value, in order)."""
    out: dict[str, Any] = {"n": len(rows)}
    for f in dataclasses.fields(cls):
        values = list(map(attrgetter(f.name), rows))
        kinds = set(map(type, values))
        # equal keys must mean the same value and type: 1 == 1.0 == True and 0.0 == -0.0
        keys: list[Any] = values
        if float in kinds or len(kinds & {bool, int}) > 1:
            keys = [(type(v), repr(v) if type(v) is float else v) for v in values]
        firsts = dict(zip(keys, values, strict=True))  # equal keys: equal values
        position = {k: i for i, k in enumerate(firsts)}
        u = [_value(v) for v in firsts.values()]
        typecode = next(c for c in "BHIQ" if len(firsts) < 256 ** array(c).itemsize)
        packed = None if len(firsts) == len(rows) else array(
            typecode, map(position.__getitem__, keys)).tobytes().hex()
        out[f.name] = {"u": u, "tagged": any(isinstance(x, dict) for x in u), "w": typecode,
                       "i": packed}
    return out


def _value(v: object) -> object:
    """One value as JSON: native types as they are, the others tagged."""
    if v is None or type(v) in (str, int, float, bool):
        return v
    if type(v) is frozenset:
        if not all(type(x) is str for x in v):
            raise _Unsupported("a set of non-strings")
        return {"s": sorted(v)}
    if type(v) is dt.date:
        return {"d": v.isoformat()}
    if type(v) is tuple and all(type(x) is tuple and len(x) == 2 and type(x[0]) is str
                                and type(x[1]) is str for x in v):
        return {"p": [list(x) for x in v]}  # extra columns: (name, text) pairs
    if dataclasses.is_dataclass(v) and type(v).__name__ in _CLASSES \
            and _CLASSES[type(v).__name__] is type(v):
        return {"c": type(v).__name__,
                "f": {f.name: _value(getattr(v, f.name)) for f in dataclasses.fields(v)}}
    raise _Unsupported(f"a value of type {type(v).__name__}")


# --------------------------------------------------------------------------- decoding


def decode(data: bytes, key: str, source: str) -> Instance:
    """The instance in ``data``; ValueError (or another lookup error) when it is not one."""
    head, sep, body = data.partition(b"\n")
    header = json.loads(head)
    if not sep or header.get("format") != FORMAT or header.get("key") != key \
            or header.get("sha256") != hashlib.sha256(body).hexdigest():
        raise ValueError("not this key's cache file, or damaged")
    was_on = gc.isenabled()
    gc.disable()  # thousands of new objects and no cycle among them: no collections
    try:
        return _instance(json.loads(body), source)
    finally:
        if was_on:
            gc.enable()


def _instance(d: dict[str, Any], source: str) -> Instance:
    geo = d["geography"]
    policy = _unvalue(d["policy"])
    if not isinstance(policy, Policy):
        raise ValueError("no policy")
    geography = None if geo is None else Geography(_rows(geo["places"], Place),
                                                   _rows(geo["links"], Link))
    return Instance(units=_rows(d["units"], Unit), patients=_rows(d["patients"], Patient),
                    networks=_rows(d["networks"], Network), policy=policy,
                    geography=geography, source=source)


def _rows(columns: dict[str, Any], cls: type) -> tuple[Any, ...]:
    """The objects of :func:`_columns`, rebuilt field by field."""
    n = columns["n"]
    names = [f.name for f in dataclasses.fields(cls)]
    if set(columns) != {"n", *names}:
        raise ValueError(f"the columns of {cls.__name__} differ")
    values = []
    for name in names:
        col = columns[name]
        distinct = [_unvalue(v) for v in col["u"]] if col["tagged"] else col["u"]
        if col["i"] is None:
            if len(distinct) != n:
                raise ValueError(f"{cls.__name__}.{name}: {len(distinct)} values for {n} rows")
            values.append(distinct)
            continue
        index = array(col["w"], bytes.fromhex(col["i"]))
        if len(index) != n:
            raise ValueError(f"{cls.__name__}.{name}: {len(index)} values for {n} rows")
        values.append(list(map(distinct.__getitem__, index)))
    if "__slots__" not in cls.__dict__ or hasattr(cls, "__post_init__"):
        return tuple(map(cls, *values))
    objs: list[Any] = list(map(object.__new__, repeat(cls, n)))
    for name, col_values in zip(names, values, strict=True):
        setter: Callable[[object, object], None] = cls.__dict__[name].__set__
        deque(map(setter, objs, col_values), maxlen=0)
    return tuple(objs)


def _unvalue(v: Any) -> Any:
    """The value of :func:`_value`'s JSON."""
    if not isinstance(v, dict):
        if isinstance(v, list):
            raise ValueError("an untagged list")
        return v
    if "s" in v:
        return frozenset(v["s"])
    if "d" in v:
        return dt.date.fromisoformat(v["d"])
    if "p" in v:
        return tuple(map(tuple, v["p"]))
    cls = _CLASSES[v["c"]]
    return cls(**{k: _unvalue(x) for k, x in v["f"].items()})
