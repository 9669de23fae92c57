"""The pass-condition language: a small declarative tree, evaluated without eval.

A condition is YAML data, compiled once at catalog load into nested closures:

    {field: firewall.input_policy, op: eq, value: drop}          # a comparison (a "leaf")
    {field: antivirus, op: any, where: {...}}                     # a list quantifier: all / any / none
    {all: [...]} / {any: [...]} / {not: {...}}                    # combinators

Leaf operators: eq ne gt gte lt lte in not_in contains not_contains
text_contains exists age_lte age_gte. `age_*` take a duration ("15m", "24h",
"7d") and compare now minus the field's time. A leaf may compare with another
field of the same object (`value_from`), give a `default` for an absent field,
and say that a false comparison means `otherwise: unknown` instead of fail.
A quantifier over an empty list gives `empty` (all: unknown, any: fail,
none: pass unless set).

Three-valued: every check returns (True | False | None, why). None means
"cannot tell" (field absent, null, wrong type): it becomes an "unknown"
result, never a pass. Nothing here imports or evaluates code.

`why` is a `Reason`: the English sentence (a str, as stored and printed),
carrying in `.data` what it was made of (field, value, operator, limit), so
that console.compliance.reasons can say it again in the reader's language.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any, Callable

from console.errors import OpsError

Check = Callable[[Any, datetime], tuple[bool | None, str]]
MISSING = object()
COMPARE = {"eq", "ne", "gt", "gte", "lt", "lte", "in", "not_in", "contains", "not_contains", "text_contains"}
AGE = {"age_lte", "age_gte"}
QUANTIFIERS = {"all", "any", "none"}
LEAF_OPS = COMPARE | AGE | QUANTIFIERS | {"exists"}
LEAF_KEYS = {"field", "op", "value", "value_from", "default", "otherwise", "where", "empty"}
DURATION = re.compile(r"^(\d{1,6})(s|m|h|d)$")
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
FIELD = re.compile(r"^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$")
MAX_DEPTH = 12


class Reason(str):
    """The English text of a check's outcome, with its parts as JSON-safe data in `.data`."""

    data: dict

    def __new__(cls, text: str, data: dict):
        made = super().__new__(cls, text)
        made.data = data
        return made


def reason_data(why: str) -> dict | None:
    """The parts of a Reason (None for a plain string)."""
    return getattr(why, "data", None)


def _value(value: Any) -> Any:
    """A value as a reason keeps it: JSON scalars as they are, anything else as its short text."""
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return _short(value) if not isinstance(value, str) else (value if len(value) <= 60 else value[:57] + "...")


class ConditionError(OpsError, ValueError):
    """A condition that does not hold together; `path` is where inside the condition.

    Still a ValueError, as before, for validators that treat it as bad input;
    as an OpsError it is a request that cannot be processed: 422.
    """

    http_status = 422

    def __init__(self, path: tuple, message: str):
        self.path, self.message = path, message
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")
        super().__init__(f"{where or 'condition'}: {message}")


def parse_duration(text: Any, path: tuple = ()) -> timedelta:
    found = DURATION.match(str(text)) if isinstance(text, str) else None
    if not found:
        raise ConditionError(path, f"duration {text!r}: use a number and s, m, h or d (e.g. 24h)")
    return timedelta(seconds=int(found.group(1)) * UNITS[found.group(2)])


def compile_condition(raw: Any, path: tuple = (), depth: int = 0) -> Check:
    """The condition as a function (data, now) -> (True|False|None, why); ConditionError if it is malformed."""
    if depth > MAX_DEPTH:
        raise ConditionError(path, f"nested deeper than {MAX_DEPTH} levels")
    if not isinstance(raw, dict) or not raw:
        raise ConditionError(path, "a condition is a mapping")
    if "op" in raw:
        return _leaf(raw, path, depth)
    if len(raw) != 1 or next(iter(raw)) not in ("all", "any", "not"):
        raise ConditionError(path, f"unknown condition keys {sorted(raw)}: use field+op, or one of all / any / not")
    key, inner = next(iter(raw.items()))
    if key == "not":
        return _negate(compile_condition(inner, path + ("not",), depth + 1))
    if not isinstance(inner, list) or not inner:
        raise ConditionError(path + (key,), "expects a non-empty list of conditions")
    parts = [compile_condition(item, path + (key, i), depth + 1) for i, item in enumerate(inner)]
    return _all_of(parts) if key == "all" else _any_of(parts)


def fields_read(raw: Any) -> list[str]:
    """Top-level field paths a condition reads (what goes into a result's evidence snapshot)."""
    if not isinstance(raw, dict):
        return []
    if "op" in raw:
        return [name for name in (raw.get("field"), raw.get("value_from")) if name]
    found: list[str] = []
    for inner in raw.values():
        for item in inner if isinstance(inner, list) else [inner]:
            found.extend(name for name in fields_read(item) if name not in found)
    return found


def resolve(data: Any, field: str) -> Any:
    """The value at a dotted path, or MISSING; list items by number (antivirus.0.installed)."""
    return resolve_parts(data, tuple(field.split(".")) if field else ())


def resolve_parts(data: Any, parts: tuple) -> Any:
    """resolve() with the path already split (conditions split theirs once, at load)."""
    for part in parts:
        if type(data) is dict:
            data = data.get(part, MISSING)
            if data is MISSING:
                return MISSING
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return MISSING
    return data


def _leaf(raw: dict, path: tuple, depth: int) -> Check:
    unknown_keys = set(raw) - LEAF_KEYS
    if unknown_keys:
        raise ConditionError(path + (sorted(unknown_keys)[0],), "unknown key")
    op, field = raw["op"], raw.get("field", "")
    if op not in LEAF_OPS:
        raise ConditionError(path + ("op",), f"unknown operator {op!r} (known: {', '.join(sorted(LEAF_OPS))})")
    if not isinstance(field, str) or (field and not FIELD.match(field)):
        raise ConditionError(path + ("field",), "a field is a dotted path of letters, digits and _")
    otherwise = raw.get("otherwise", "fail")
    if otherwise not in ("fail", "unknown"):
        raise ConditionError(path + ("otherwise",), "must be fail or unknown")
    default = raw.get("default", MISSING)
    if op in QUANTIFIERS:
        test = _quantifier(raw, op, path, depth)
    else:
        test = _comparison(raw, op, path)
    label = field or "value"
    falsy = None if otherwise == "unknown" else False
    parts = tuple(field.split(".")) if field else ()

    def check(data: Any, now: datetime) -> tuple[bool | None, str]:
        value = resolve_parts(data, parts)
        if value is MISSING:
            value = default
        if value is MISSING and op != "exists":
            return None, Reason(f"{label} not reported", {"k": "missing", "f": label})
        outcome, why = test(value, data, now)
        found = dict(reason_data(why) or {}, f=label)
        return (falsy if outcome is False else outcome), Reason(f"{label} {why}", found)

    return check


def _comparison(raw: dict, op: str, path: tuple):
    if op == "exists":
        return lambda value, _data, _now: ((value is not MISSING and value is not None),
                                           Reason("is reported", {"k": "exists", "ok": True})
                                           if value not in (MISSING, None) else
                                           Reason("is missing", {"k": "exists", "ok": False}))
    if "where" in raw or "empty" in raw:
        raise ConditionError(path + ("where" if "where" in raw else "empty",), f"only all / any / none take it, not {op}")
    if op in AGE:
        limit = parse_duration(raw.get("value"), path + ("value",))
        return _age(op, limit)
    if ("value" in raw) == ("value_from" in raw):
        raise ConditionError(path, f"{op} needs exactly one of value or value_from")
    if op in ("in", "not_in") and "value" in raw and not isinstance(raw["value"], list):
        raise ConditionError(path + ("value",), f"{op} compares with a list")
    if op in ("gt", "gte", "lt", "lte") and "value" in raw and not _is_number(raw["value"]):
        raise ConditionError(path + ("value",), f"{op} compares with a number")
    wanted, source = raw.get("value"), raw.get("value_from")
    compare = _COMPARISONS[op]
    source_parts = tuple(source.split(".")) if source else ()

    def test(value, data, _now):
        other = wanted if source is None else resolve_parts(data, source_parts)
        if value is None or other is MISSING or other is None:
            if value is None:
                return None, Reason("is not known", {"k": "unknown_value"})
            return None, Reason(f"has nothing to compare with ({source} not reported)",
                                {"k": "no_other", "src": source})
        result = compare(value, other)
        if result is None:
            return None, Reason(f"= {_short(value)} cannot be compared with {_short(other)}",
                                {"k": "incomparable", "v": _value(value), "o": _value(other)})
        return result, Reason(f"= {_short(value)} ({'' if result else 'want '}{_SYMBOLS[op]} {_short(other)})",
                              {"k": "cmp", "v": _value(value), "op": op, "o": _value(other), "ok": result})

    return test


def _number_pair(value, other):
    return _is_number(value) and _is_number(other)


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _ordered(operator):
    return lambda value, other: operator(value, other) if _number_pair(value, other) else None


def _contains(value, other):
    return other in value if isinstance(value, (list, tuple)) else None


def _text_contains(value, other):
    return str(other).lower() in value.lower() if isinstance(value, str) else None


_COMPARISONS = {
    "eq": lambda v, o: v == o and type(v) is type(o) or (_number_pair(v, o) and v == o),
    "ne": lambda v, o: not (v == o and type(v) is type(o) or (_number_pair(v, o) and v == o)),
    "gt": _ordered(lambda v, o: v > o), "gte": _ordered(lambda v, o: v >= o),
    "lt": _ordered(lambda v, o: v < o), "lte": _ordered(lambda v, o: v <= o),
    "in": lambda v, o: v in o if isinstance(o, list) else None,
    "not_in": lambda v, o: v not in o if isinstance(o, list) else None,
    "contains": _contains,
    "not_contains": lambda v, o: None if _contains(v, o) is None else not _contains(v, o),
    "text_contains": _text_contains,
}
_SYMBOLS = {"eq": "=", "ne": "≠", "gt": ">", "gte": "≥", "lt": "<", "lte": "≤", "in": "in", "not_in": "not in",
            "contains": "contains", "not_contains": "lacks", "text_contains": "mentions"}


def _age(op: str, limit: timedelta):
    def test(value, _data, now):
        moment = as_datetime(value)
        if moment is None:
            return None, Reason(f"= {_short(value)} is not a time with a zone", {"k": "not_time", "v": _value(value)})
        age = now - moment
        result = age <= limit if op == "age_lte" else age >= limit
        text = (f"is {describe_age(age)} old ({'' if result else 'want '}{'≤' if op == 'age_lte' else '≥'} "
                f"{describe_age(limit)})")
        return result, Reason(text, {"k": "age", "age": int(age.total_seconds()), "op": op,
                                     "limit": int(limit.total_seconds()), "ok": result})

    return test


def as_datetime(value) -> datetime | None:
    """An aware datetime from a datetime or an ISO 8601 string; None for anything else (naive times too)."""
    if isinstance(value, str) and len(value) <= 64:
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value
    return None


def describe_age(age: timedelta) -> str:
    seconds = int(age.total_seconds())
    if abs(seconds) < 120:
        return f"{seconds} s"
    if abs(seconds) < 7200:
        return f"{seconds // 60} min"
    if abs(seconds) < 172800:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} d"


def _quantifier(raw: dict, op: str, path: tuple, depth: int):
    if "where" not in raw:
        raise ConditionError(path, f"{op} needs a where condition for each item")
    inner = compile_condition(raw["where"], path + ("where",), depth + 1)
    empty = raw.get("empty", {"all": "unknown", "any": "fail", "none": "pass"}[op])
    if empty not in ("pass", "fail", "unknown"):
        raise ConditionError(path + ("empty",), "must be pass, fail or unknown")
    empty_value = {"pass": True, "fail": False, "unknown": None}[empty]

    def test(value, _data, now):
        if not isinstance(value, list):
            return None, Reason("is not a list", {"k": "not_list"})
        if not value:
            return empty_value, Reason("is empty", {"k": "empty"})
        outcomes = [inner(item, now) for item in value]
        return _quantify(op, outcomes, [_item_name(item) for item in value])

    return test


def _item_name(item: Any) -> str:
    """What an item of a list calls itself (an antivirus product, a disk, a service), for the reason."""
    if isinstance(item, dict):
        for key in ("name", "product", "provider", "mount", "path", "id"):
            if isinstance(item.get(key), str) and item[key]:
                return item[key][:60]
    return ""


def _item(index: int, name: str, why: str) -> Reason:
    return Reason(f"item {index}: {why}", {"k": "item", "i": index, "name": name, "in": reason_data(why)})


def _quantify(op: str, outcomes: list, names: list[str]) -> tuple[bool | None, str]:
    if op == "none":
        hits = [(i, why) for i, (ok, why) in enumerate(outcomes) if ok]
        if hits:
            return False, _item(hits[0][0], names[hits[0][0]], hits[0][1])
        unsure = [(i, why) for i, (ok, why) in enumerate(outcomes) if ok is None]
        if unsure:
            return None, _item(unsure[0][0], names[unsure[0][0]], unsure[0][1])
        return True, Reason(f"none of {len(outcomes)} match", {"k": "none_match", "n": len(outcomes)})
    decisive = op == "any"  # any: the first True decides; all: the first False decides
    for i, (ok, why) in enumerate(outcomes):
        if ok is decisive:
            return decisive, _item(i, names[i], why)
    unsure = [(i, why) for i, (ok, why) in enumerate(outcomes) if ok is None]
    if unsure:
        return None, _item(unsure[0][0], names[unsure[0][0]], unsure[0][1])
    if op == "all":
        return True, Reason(f"all {len(outcomes)} items hold", {"k": "all_hold", "n": len(outcomes)})
    return False, Reason(f"no item of {len(outcomes)} holds: {outcomes[0][1]}",
                         {"k": "no_item", "n": len(outcomes), "name": names[0], "in": reason_data(outcomes[0][1])})


def _all_of(parts: list[Check]) -> Check:
    def check(data, now):
        unsure = None
        whys = []
        for part in parts:
            ok, why = part(data, now)
            if ok is False:
                return False, why
            if ok is None and unsure is None:
                unsure = why
            whys.append(why)
        return (None, unsure) if unsure else (True, _joined(whys))

    return check


def _joined(whys: list[str]) -> Reason:
    return Reason("; ".join(whys), {"k": "join", "parts": [reason_data(why) for why in whys]})


def _any_of(parts: list[Check]) -> Check:
    def check(data, now):
        unsure = None
        whys = []
        for part in parts:
            ok, why = part(data, now)
            if ok:
                return True, why
            if ok is None and unsure is None:
                unsure = why
            whys.append(why)
        return (None, unsure) if unsure else (False, _joined(whys))

    return check


def _negate(part: Check) -> Check:
    def check(data, now):
        ok, why = part(data, now)
        return (None if ok is None else not ok), Reason(f"not ({why})", {"k": "not", "in": reason_data(why)})

    return check


def _short(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 60 else text[:57] + "..."
