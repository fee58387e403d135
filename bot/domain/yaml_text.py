"""Office-written YAML: an unquoted comma inside a flow mapping ({title: A, B, max: 5}) splits the
text into a stray key with no value. Such stray keys are joined back onto the text they cut."""

from __future__ import annotations


def mended_text(mapping: dict, field: str, known: set[str]) -> str | None:
    value = mapping.get(field)
    if value is None or isinstance(value, (dict, list)):
        return None
    keys = list(mapping)
    parts = [str(value).strip()]
    for key in keys[keys.index(field) + 1 :]:
        if key in known or mapping[key] is not None:
            break
        parts.append(str(key).strip())
    return ", ".join(p for p in parts if p) or None
