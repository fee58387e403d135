"""The house's layers (README "Layout"), held against every import in the code: each arrow points
down, so no layer can reach back up and no two layers import each other."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# layer -> the layers it may import (besides itself). Wiring (bot/app.py, bot/serve.py,
# bot/__main__.py) may import anything and is not listed.
MAY_IMPORT: dict[str, set[str]] = {
    "vocabulary": set(),  # bot/messages.py, bot/clock.py, bot/config.py, bot/i18n
    "domain": {"vocabulary"},
    "storage": {"domain", "vocabulary"},
    "services": {"storage", "domain", "vocabulary"},
    "channels": {"storage", "domain", "vocabulary"},
    "render": {"services", "domain", "vocabulary"},
    "scheduler": {"services", "storage", "channels", "vocabulary"},
    "handlers": {"services", "render", "domain", "vocabulary"},
}
# Libraries that do I/O or belong to a platform: never in the pure domain, and the platforms'
# own libraries only in their channel.
NOT_IN_DOMAIN = {"aiosqlite", "telegram", "httpx", "starlette", "uvicorn", "apscheduler"}
PLATFORM_LIBRARIES = {"telegram": "bot/channels/telegram.py"}


def _layer(module: str) -> str | None:
    if module in ("bot.messages", "bot.clock", "bot.config") or module.startswith("bot.i18n"):
        return "vocabulary"
    for prefix, layer in (
        ("bot.domain", "domain"),
        ("bot.services", "services"),
        ("bot.channels", "channels"),
        ("bot.render", "render"),
        ("storage", "storage"),
        ("scheduler", "scheduler"),
        ("handlers", "handlers"),
    ):
        if module == prefix or module.startswith(prefix + "."):
            return layer
    return None  # wiring, the standard library or a third-party package


def _imports(path: Path) -> list[str]:
    module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
    package = module.rsplit(".", 1)[0] if path.name != "__init__.py" else module
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the importing package
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                found.append(f"{base}.{node.module}" if node.module else base)
            elif node.module:
                found.append(node.module)
    return found


def _sources() -> list[Path]:
    return [
        path
        for folder in ("bot", "handlers", "scheduler", "storage")
        for path in (ROOT / folder).rglob("*.py")
    ]


def test_every_import_points_down_the_layers():
    upward = []
    for path in _sources():
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        layer = _layer(module)
        if layer is None:
            continue  # wiring
        for target in _imports(path):
            target_layer = _layer(target)
            if target_layer and target_layer != layer and target_layer not in MAY_IMPORT[layer]:
                upward.append(f"{path.relative_to(ROOT)} ({layer}) -> {target} ({target_layer})")
    assert upward == []


def test_the_domain_stays_pure_and_platform_libraries_stay_in_their_channel():
    wrong = []
    for path in _sources():
        relative = path.relative_to(ROOT).as_posix()
        for target in _imports(path):
            library = target.split(".")[0]
            if relative.startswith("bot/domain/") and library in NOT_IN_DOMAIN:
                wrong.append(f"{relative} -> {target}")
            home = PLATFORM_LIBRARIES.get(library)
            if home is not None and relative != home:
                wrong.append(f"{relative} -> {target}")
    assert wrong == []


def test_the_layer_table_itself_has_no_cycle():
    seen: dict[str, int] = {}

    def depth(layer: str, path: tuple[str, ...] = ()) -> int:
        assert layer not in path, f"cycle: {' -> '.join((*path, layer))}"
        if layer not in seen:
            seen[layer] = 1 + max((depth(d, (*path, layer)) for d in MAY_IMPORT[layer]), default=0)
        return seen[layer]

    for layer in MAY_IMPORT:
        depth(layer)
