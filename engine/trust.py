"""Which code a scenario makes the engine run, found without running it.

A scenario names its models: a registered model (an entry point of the ``cryocosim.models``
group: code installed on purpose) or a module of cryocosim itself is trusted; anything else is
*external code* — a ``module:Class`` that importing would execute (its import-time code
included), or an ``.fmu`` whose binary, and often a Python payload, the run executes.

The rule (README, "Which code a run executes"):

* ``validate`` never executes external code: a scenario naming an external module is refused
  with one line unless the user says the code is trusted (``--trust``); an FMU is read
  (``modelDescription.xml``), never instantiated.
* ``run`` (and ``sweep``) say in one line which external code they will execute, before
  executing it (:func:`announce`).

:func:`external_code` finds a module without importing it (a dotted name is looked up through its
parents' folders, not by importing the parents, whose ``__init__`` is code too).
"""
from __future__ import annotations

import importlib.machinery
import importlib.util
import sys
import warnings
import zipfile
from dataclasses import dataclass, replace
from importlib.metadata import entry_points
from pathlib import Path

from .errors import ConfigurationError, CryocosimWarning

__all__ = ["ExternalCode", "ExternalCodeNotice", "external_code", "module_origin", "refuse_untrusted",
           "announce", "fmu_payload"]

_PACKAGE = __name__.split(".")[0]  # 'cryocosim' (a shipped copy inside an FMU: its own name)


class ExternalCodeNotice(CryocosimWarning):
    """The one line naming the external code a run is about to execute."""


@dataclass(frozen=True)
class ExternalCode:
    """One piece of external code a scenario names: a module or an FMU, and the actor it serves."""

    kind: str      # "module" or "FMU"
    name: str      # the module's name, or the FMU file's name
    origin: str    # where it is: the module's file, the FMU's path
    actor: str     # the actor that uses it
    detail: str = ""  # an FMU's payload



def _registered_modules() -> set[str]:
    return {ep.value.partition(":")[0] for ep in entry_points(group="cryocosim.models")}


def module_origin(name: str) -> str | None:
    """The file a module would be imported from (or 'built-in'), found without importing it or
    its parent packages; None when there is no such module."""
    if name in sys.modules:
        return getattr(sys.modules[name], "__file__", None) or "built-in"
    parts = name.split(".")
    try:
        spec = importlib.util.find_spec(parts[0])  # a top-level name imports nothing
        for i in range(1, len(parts)):
            if spec is None or not spec.submodule_search_locations:
                return None
            spec = importlib.machinery.PathFinder.find_spec(".".join(parts[:i + 1]),
                                                            list(spec.submodule_search_locations))
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    return spec.origin if spec.origin and spec.origin not in ("built-in", "frozen") else "built-in"


def fmu_payload(path: Path) -> str:
    """What an FMU runs: its native binary, and a Python payload where it ships one."""
    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
    except (OSError, zipfile.BadZipFile):
        return "native code"
    python = any(n.startswith("resources/") and n.endswith(".py") for n in names)
    return "native code and a Python payload" if python else "native code"


def external_code(data: dict, source: str) -> list[ExternalCode]:
    """The external code of a parsed scenario's ``[[actor]]`` tables (in order)."""
    registered = _registered_modules()
    found: list[ExternalCode] = []
    for table in data.get("actor", []) if isinstance(data.get("actor"), list) else []:
        model, name = table.get("model") if isinstance(table, dict) else None, table.get("name", "?")
        if not isinstance(model, str):
            continue
        if model.lower().endswith(".fmu"):
            path = (Path(source).parent / model).resolve()
            found.append(ExternalCode("FMU", path.name, str(path), str(name), fmu_payload(path)))
            continue
        if ":" not in model:
            continue  # a registered short name (or an unknown one: the build says so)
        module = model.partition(":")[0]
        if module in registered or module == _PACKAGE or module.startswith(_PACKAGE + "."):
            continue
        found.append(ExternalCode("module", module, module_origin(module) or "not found", str(name)))
    return found


def refuse_untrusted(codes: list[ExternalCode], source: str) -> None:
    """``validate`` without ``--trust``: a scenario naming an external module is not checked (its
    declarations are code); FMUs are only read, so they pass."""
    modules = [c for c in codes if c.kind == "module"]
    if modules:
        first = modules[0]
        others = len({c.name for c in modules} - {first.name})
        more = f" (and {others} other module{'s' if others > 1 else ''})" if others else ""
        raise ConfigurationError(
            f"{source}: actor '{first.actor}': model module '{first.name}' ({first.origin}) is code outside "
            f"cryocosim's registered models{more}: validate does not import it; give --trust to import it "
            "and check its declarations")


def announce(codes: list[ExternalCode], what: str = "this run") -> None:
    """Say in one line (an :class:`ExternalCodeNotice`) which external code ``what`` executes: each
    module or FMU once, with the actors that use it."""
    if not codes:
        return
    users: dict[ExternalCode, list[str]] = {}
    for code in codes:
        users.setdefault(replace(code, actor=""), []).append(code.actor)
    parts = []
    for code, actors in users.items():
        named = ", ".join(f"'{a}'" for a in actors)
        label = f"actor{'s' if len(actors) > 1 else ''} {named}"
        parts.append(f"module '{code.name}' ({code.origin}; {label})" if code.kind == "module"
                     else f"FMU '{code.origin}' ({code.detail}; {label})")
    warnings.warn(ExternalCodeNotice(f"{what} executes code outside cryocosim's registered models: "
                                     + "; ".join(parts)), stacklevel=2)


def fmus_of(system) -> list[ExternalCode]:
    """The FMUs a built system's actors run (an SSP's components), as external code."""
    from .fmi.fmu_actor import FMUActor

    found = []
    for name, actor in system.bus.actors.items():
        if isinstance(actor, FMUActor):
            path = Path(type(actor).fmu_path)
            found.append(ExternalCode("FMU", path.name, str(path), name, fmu_payload(path)))
    return found
