"""Dependencies point down: bot → handlers → storage. Only bot/channels imports chat libraries."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHAT_LIBRARIES = {"aiogram", "pywa", "aiohttp", "fastapi", "starlette"}
FORBIDDEN = {
    "storage": {"bot", "handlers", *CHAT_LIBRARIES, "typer", "rich"},
    "handlers": {"bot", *CHAT_LIBRARIES, "typer"},
    "bot": set(),
}


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def python_files(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_layers_import_only_downwards(package: str) -> None:
    violations = []
    for path in python_files(package):
        bad = imported_roots(path) & FORBIDDEN[package]
        if bad:
            violations.append(f"{path.relative_to(ROOT)} imports {sorted(bad)}")
    assert violations == []


def test_only_channel_adapters_import_chat_libraries() -> None:
    violations = []
    for path in python_files("bot"):
        if "channels" in path.parts:
            continue
        bad = imported_roots(path) & CHAT_LIBRARIES
        if bad:
            violations.append(f"{path.relative_to(ROOT)} imports {sorted(bad)}")
    assert violations == []


def test_the_checker_sees_a_violation(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from bot.app import App\nimport aiogram.types\n", encoding="utf-8")
    assert imported_roots(bad) == {"bot", "aiogram"}


def test_the_engine_names_no_flow() -> None:
    """The engine routes by the registry: it imports no flow module and holds no flow name,
    command name or step name of its own."""
    from handlers.flows import FLOWS

    path = ROOT / "handlers" / "engine.py"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    modules = {
        node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("handlers.")
    }
    assert {m for m in modules if m.startswith("handlers.flows")} <= {
        "handlers.flows",
        "handlers.flows.base",
    }
    names = {flow.name for flow in FLOWS} | {flow.namespace for flow in FLOWS}
    names |= {command.name for flow in FLOWS for command in flow.commands}
    literals = {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    }
    assert names & literals == set()
    assert not any(
        isinstance(node, ast.Subscript)
        and isinstance(node.slice, ast.Constant)
        and node.slice.value in names
        for node in ast.walk(tree)
    )
