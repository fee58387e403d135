"""Reading a YAML file a person sent, within limits. YAML can nest without end (a recursion
error), repeat a node by alias until memory runs out, and hide megabytes in a small file; every
file the bot reads goes through here, and a file over a limit is refused naming the limit.

The text is first scanned as a stream of events (libyaml, iterative: no recursion however deep
the file), then loaded, then walked once with a budget, so aliases that multiply nodes are
counted as they would be used.
"""

from __future__ import annotations

from collections.abc import Iterator

import yaml

from .errors import FileInvalid

MAX_CHARS = 512 * 1024
MAX_DEPTH = 24  # clusters → units → unit is 4; a scale's sub-groups nest up to 8 × 2
MAX_ALIASES = 100
MAX_NODES = 200_000  # every value counted as often as an alias repeats it

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: ~10× faster


def read_yaml(text: str, invalid_key: str) -> object:
    """The document, or FileInvalid([(problem, params)], invalid_key) for a syntax error or a
    limit passed."""
    try:
        if len(text) > MAX_CHARS:
            raise _Refused("yaml.too_large", limit=MAX_CHARS // 1024)
        _check_shape(yaml.parse(text, Loader=_Loader))
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - a safe loader
        _check_size(data)
    except _Refused as refused:
        raise FileInvalid([(refused.key, refused.params)], invalid_key) from None
    except yaml.YAMLError as error:
        if "nesting depth" in str(getattr(error, "problem", "")):  # libyaml's own limit
            raise FileInvalid([("yaml.too_deep", {"limit": MAX_DEPTH})], invalid_key) from None
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 0
        raise FileInvalid([(_syntax_key(invalid_key), {"line": line})], invalid_key) from None
    return data


class _Refused(Exception):
    def __init__(self, key: str, **params: object) -> None:
        self.key, self.params = key, params


def _syntax_key(invalid_key: str) -> str:
    """`scale.invalid` -> `scale.not_yaml`: each file names its own syntax problem."""
    return invalid_key.split(".", 1)[0] + ".not_yaml"


def _check_shape(events: Iterator[yaml.Event]) -> None:
    depth = aliases = 0
    for event in events:
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise _Refused("yaml.too_deep", limit=MAX_DEPTH)
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
        elif isinstance(event, yaml.AliasEvent):
            aliases += 1
            if aliases > MAX_ALIASES:
                raise _Refused("yaml.too_many_aliases", limit=MAX_ALIASES)


def _check_size(data: object) -> None:
    budget = MAX_NODES
    stack = [data]
    while stack:
        node = stack.pop()
        budget -= 1
        if budget < 0:
            raise _Refused("yaml.too_many_nodes", limit=MAX_NODES)
        if isinstance(node, dict):
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
