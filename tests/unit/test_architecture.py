"""The dependency rule, read from the import graph of kefu/ (see docs/architecture.md).

http and cli → commands, projections, processes, audit → application → store, domain. Every
import counts, including those inside functions and under TYPE_CHECKING: a type-only arrow still
ties one layer to the other's names.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

import kefu

KEFU = Path(kefu.__file__).parent
STANDARD_LIBRARY = sys.stdlib_module_names


def module_name(path: Path) -> str:
    parts = path.relative_to(KEFU.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(source: str, module: str, is_package: bool = False) -> set[str]:
    """Every module `source` (the text of `module`) imports, relative imports resolved."""
    package = module.split(".") if is_package else module.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            origin = ".".join([*base, *([node.module] if node.module else [])])
            # `from kefu import commands` imports a module by its name: count origin.name too.
            found.update({origin, *(f"{origin}.{a.name}" for a in node.names if a.name != "*")})
    return found


def import_graph() -> dict[str, set[str]]:
    return {
        module_name(path): imported_modules(
            path.read_text(encoding="utf-8"), module_name(path), path.name == "__init__.py"
        )
        for path in sorted(KEFU.rglob("*.py"))
    }


GRAPH = import_graph()


def within(module: str, packages: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


def arrows(sources: tuple[str, ...], targets: tuple[str, ...]) -> list[str]:
    """Every import from a module under `sources` of a module under `targets`."""
    return sorted(
        f"{module} imports {imported}"
        for module, imports in GRAPH.items()
        if within(module, sources)
        for imported in imports
        if within(imported, targets) and not within(imported, tuple(imports - {imported}))
    )


BELOW_HTTP = (
    "kefu.application",
    "kefu.audit",
    "kefu.auth",
    "kefu.bootstrap",
    "kefu.commands",
    "kefu.domain",
    "kefu.processes",
    "kefu.projections",
    "kefu.settings",
    "kefu.store",
)
FORBIDDEN = [
    pytest.param(
        ("kefu.projections", "kefu.audit", "kefu.store"),
        ("kefu.commands", "kefu.http", "kefu.processes", "kefu.cli", "kefu.console"),
        id="the read side and the store never import the write side or a front end",
    ),
    pytest.param(
        BELOW_HTTP, ("kefu.http", "kefu.cli", "kefu.console"), id="nothing below http imports http"
    ),
    pytest.param(
        ("kefu.console",),
        ("kefu.commands", "kefu.processes"),
        id="the web console reads: it never issues a command",
    ),
    pytest.param(
        ("kefu.commands", "kefu.processes"),
        ("kefu.projections",),
        id="commands and processes read read models only through injected protocols",
    ),
    pytest.param(
        ("kefu.application",),
        ("kefu.commands", "kefu.projections", "kefu.processes", "kefu.audit", "kefu.http"),
        id="the event log knows nothing of the sides that stand on it",
    ),
    pytest.param(
        ("kefu.store",),
        ("kefu.application", "kefu.domain", "kefu.auth", "kefu.settings", "kefu.bootstrap"),
        id="the store imports only itself among kefu's modules",
    ),
]


@pytest.mark.parametrize(("sources", "targets"), FORBIDDEN)
def test_no_module_imports_a_layer_it_must_not(
    sources: tuple[str, ...], targets: tuple[str, ...]
) -> None:
    found = arrows(sources, targets)
    assert not found, "the dependency rule is broken (docs/architecture.md):\n" + "\n".join(found)


def test_the_domain_imports_only_the_standard_library_and_eventsourcing_domain() -> None:
    allowed = ("kefu.domain", "eventsourcing.domain")
    found = sorted(
        f"{module} imports {imported}"
        for module, imports in GRAPH.items()
        if within(module, ("kefu.domain",))
        for imported in imports
        if imported.split(".")[0] not in STANDARD_LIBRARY and not within(imported, allowed)
    )
    assert not found, "the domain must stay free of I/O and frameworks:\n" + "\n".join(found)


def test_the_graph_covers_every_layer() -> None:
    layers = {module.split(".")[1] for module in GRAPH if module.count(".")}
    assert {"domain", "store", "application", "commands", "projections", "http"} <= layers
    assert {"processes", "audit", "cli", "bootstrap", "auth"} <= layers


def test_relative_imports_and_imports_inside_functions_are_arrows_too() -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "from .. import commands\n"
        "from .sql import Tx\n"
        "if TYPE_CHECKING:\n"
        "    from kefu.http.app import create_app\n"
        "def late():\n"
        "    import kefu.cli.main\n"
    )
    found = imported_modules(source, "kefu.projections.ticket_projection")
    assert {"kefu.commands", "kefu.projections.sql", "kefu.http.app", "kefu.cli.main"} <= found
    in_package = imported_modules("from .errors import X\n", "kefu.domain", is_package=True)
    assert "kefu.domain.errors" in in_package


def test_the_metrics_module_imports_nothing_of_kefu_so_every_layer_may_count() -> None:
    assert not sorted(i for i in GRAPH["kefu.metrics"] if within(i, ("kefu",)))
