"""Which code a function sweep runs: the function a spec names, located without running any of its
code (an entry point, a module found through the import system's finders, a file in the spec's
folder; never the standard library's), its arguments read from its source and checked against the
spec, and its import when the sweep runs."""
from __future__ import annotations

import ast
import hashlib
import importlib
import importlib.util
import inspect
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import describe
from .limits import SweepError

if TYPE_CHECKING:
    from .spec import SweepSpec

#: the group of entry points that register sweep functions (``function = "NAME"``)
ENTRY_POINT_GROUP = "cryocosim.sweep_functions"


def file_digest(path: str | None) -> str:
    """The SHA-256 of a source file's bytes ("" without a file, or if it cannot be read): what
    a point's cache key takes of the code that computes it."""
    if not path:
        return ""
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return ""


_FUNCTION_RULE = (f"a sweep function is an entry point of group '{ENTRY_POINT_GROUP}' (function = \"NAME\"), "
                  "a function of a module on the path outside the standard library "
                  "(\"package.module:function\") or of a Python file in the spec's folder (\"file.py:function\")")


@dataclass
class FunctionSource:
    """Where a sweep function comes from, found without running any of its code."""

    kind: str                 # "entry point", "module" or "file"
    module: str               # the module's name, or the file's absolute path
    attr: str                 # the function's name in it (dotted: a class's attribute)
    origin: str | None        # its source file
    entry_point: str = ""     # "NAME = module:attr" of an entry point

    @property
    def ref(self) -> str:
        """What the workers import: ``module:attr`` or ``/abs/file.py:attr``."""
        return f"{self.module}:{self.attr}"

    @property
    def external(self) -> bool:
        """Code from outside cryocosim."""
        return self.kind == "file" or not (self.module == "cryocosim" or self.module.startswith("cryocosim."))

    def describe(self) -> str:
        if self.kind == "file":
            return f"function '{self.attr}' of the file {self.module}"
        where = f"module '{self.module}'" + (f" ({self.origin})" if self.origin else "")
        head = f"entry point {self.entry_point}: " if self.kind == "entry point" else ""
        return f"{head}function '{self.attr}' of {where}"


def _stdlib_name(module: str) -> bool:
    top = module.partition(".")[0]
    return top in sys.stdlib_module_names or top in sys.builtin_module_names or top == "__main__"


def _in_stdlib(path: str | Path) -> bool:
    import sysconfig

    p = Path(path).resolve()
    stdlib = Path(sysconfig.get_paths()["stdlib"]).resolve()
    return p.is_relative_to(stdlib) and not {"site-packages", "dist-packages"} & set(p.parts)


def _find_module(name: str):
    """The module spec of ``name`` without importing anything (``importlib.util.find_spec`` of a
    submodule imports its parent packages, running their code): each level is asked of the
    import system's finders with the parent's search locations."""
    parts = name.split(".")
    try:
        spec = importlib.util.find_spec(parts[0])   # a top-level name: found, not imported
        for i in range(1, len(parts)):
            if spec is None or not spec.submodule_search_locations:
                return None
            full = ".".join(parts[: i + 1])
            loaded = sys.modules.get(full)
            if loaded is not None:
                spec = loaded.__spec__
                continue
            locations, spec = list(spec.submodule_search_locations), None
            for finder in sys.meta_path:
                find = getattr(finder, "find_spec", None)
                spec = find(full, locations) if find is not None else None
                if spec is not None:
                    break
    except (ImportError, ValueError, AttributeError, TypeError):
        return None
    return spec


def _locate_function(ref: str, base: Path, where: str) -> FunctionSource:
    """Find the function ``ref`` names (``"NAME"``: an entry point; ``"package.module:function"``;
    ``"file.py:function"`` in ``base``, the spec's folder) by the rule :data:`_FUNCTION_RULE`,
    without importing or running anything."""
    ref = ref.strip()
    if ":" not in ref:
        return _locate_entry_point(ref, base, where)
    mod, _, attr = ref.rpartition(":")
    if not (mod and attr and all(part.isidentifier() for part in attr.split("."))):
        raise SweepError(f"{where}: {describe(ref)} must read \"package.module:function\", \"file.py:function\" "
                         f"or the name of a registered sweep function")
    if mod.endswith(".py") or "/" in mod or os.sep in mod:
        path = Path(mod)
        path = (path if path.is_absolute() else base / path).resolve()
        if not path.is_relative_to(base.resolve()):
            raise SweepError(f"{where}: '{mod}' is not in the spec's folder '{base}'; {_FUNCTION_RULE}")
        if path.suffix != ".py" or not path.is_file():
            raise SweepError(f"{where}: no Python file '{path}'")
        if _in_stdlib(path):
            raise SweepError(f"{where}: '{path}' is part of the standard library; {_FUNCTION_RULE}")
        return FunctionSource("file", str(path), attr, str(path))
    return _locate_module(mod, attr, where)


def _locate_module(mod: str, attr: str, where: str) -> FunctionSource:
    if not all(part.isidentifier() for part in mod.split(".")):
        raise SweepError(f"{where}: {describe(mod)} is not a module name")
    if _stdlib_name(mod):
        raise SweepError(f"{where}: '{mod}' is a module of the standard library; {_FUNCTION_RULE}")
    spec = _find_module(mod)
    if spec is None:
        raise SweepError(f"{where}: no module '{mod}' on the path (sys.path)")
    origin = spec.origin if spec.has_location else None
    if origin and _in_stdlib(origin):
        raise SweepError(f"{where}: '{mod}' ({origin}) is part of the standard library; {_FUNCTION_RULE}")
    return FunctionSource("module", mod, attr, origin)


def _locate_entry_point(name: str, base: Path, where: str) -> FunctionSource:
    from importlib.metadata import entry_points

    found = list(entry_points(group=ENTRY_POINT_GROUP, name=name)) if name else []
    if not found:
        known = sorted({ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)})
        raise SweepError(f"{where}: {describe(name)} is not a registered sweep function (entry points of group "
                         f"'{ENTRY_POINT_GROUP}': {', '.join(known) or 'none'}); write \"package.module:function\" "
                         f"or \"file.py:function\"")
    ep = found[0]
    mod, _, attr = ep.value.partition(":")
    attr = attr.strip()
    here = f"{where}: entry point '{name}' = '{ep.value}'"
    if not (attr and all(part.isidentifier() for part in attr.split("."))):
        raise SweepError(f"{here} must read \"package.module:function\"")
    src = _locate_module(mod.strip(), attr, here)
    src.kind, src.entry_point = "entry point", f"'{name}' = '{ep.value}'"
    return src


_FILE_MODULES: dict[str, Any] = {}


def _load_file_module(path: str):
    module = _FILE_MODULES.get(path)
    if module is None:
        if not os.path.isfile(path):
            raise ImportError(f"no file '{path}'")
        name = "_cryocosim_sweep_" + hashlib.sha256(path.encode()).hexdigest()[:12]
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[name]
            raise
        _FILE_MODULES[path] = module
    return module


def import_sweep_function(ref: str):
    """Import ``module:attr`` or ``/abs/file.py:attr`` (located by :func:`_locate_function`: this
    runs the module's code) and return the function; a callable of the standard library (such as
    a module's ``from os import system``) is refused."""
    mod, _, attr = ref.rpartition(":")
    module = _load_file_module(mod) if mod.endswith(".py") else importlib.import_module(mod)
    obj = module
    for part in attr.split("."):
        obj = getattr(obj, part)
        if inspect.ismodule(obj):
            raise ValueError(f"'{part}' is a module: name it before the ':'")
    if not callable(obj):
        raise ValueError(f"'{attr}' of '{mod}' is not callable")
    owner = getattr(obj, "__module__", None) or mod
    if not isinstance(owner, str) or _stdlib_name(owner):
        raise ValueError(f"'{attr}' of '{mod}' is {owner}.{getattr(obj, '__name__', attr)} of the "
                         f"standard library; {_FUNCTION_RULE}")
    return obj


_ABSENT = object()


def _static_parameters(origin: str | None, attr: str):
    """The arguments of ``def attr(...)`` read from the source file without running it:
    [(name, inspect.Parameter kind, has a default)]; :data:`_ABSENT` if the file surely does not
    define ``attr``; None when it cannot be told (``attr`` bound otherwise than once by an
    undecorated ``def`` at the top level: a decorator may change the arguments)."""
    if not origin or not origin.endswith(".py"):
        return None
    top = attr.partition(".")[0]
    try:
        tree = ast.parse(Path(origin).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    bindings, dynamic = [], False
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name in (top, "__getattr__"):
            bindings.append(node)
        elif isinstance(node, ast.Name) and node.id == top and isinstance(node.ctx, ast.Store):
            bindings.append(node)
        elif isinstance(node, (ast.Import, ast.ImportFrom)) and any(
                a.name == "*" or (a.asname or a.name.partition(".")[0]) == top for a in node.names):
            bindings.append(node)
        elif isinstance(node, ast.Name) and node.id in ("globals", "vars", "setattr", "exec", "eval", "__dict__"):
            dynamic = True
        elif isinstance(node, ast.Attribute) and node.attr in ("__dict__", "__getattr__"):
            dynamic = True
    if not bindings:
        return None if dynamic or Path(origin).name == "__init__.py" else _ABSENT
    fn = bindings[0]
    if len(bindings) != 1 or "." in attr or fn not in tree.body \
            or not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) or fn.decorator_list:
        return None
    P = inspect.Parameter
    a = fn.args
    positional = [(x.arg, P.POSITIONAL_ONLY) for x in a.posonlyargs] + [(x.arg, P.POSITIONAL_OR_KEYWORD) for x in a.args]
    first_default = len(positional) - len(a.defaults)
    out = [(n, k, i >= first_default) for i, (n, k) in enumerate(positional)]
    if a.vararg:
        out.append((a.vararg.arg, P.VAR_POSITIONAL, True))
    out += [(x.arg, P.KEYWORD_ONLY, d is not None) for x, d in zip(a.kwonlyargs, a.kw_defaults)]
    if a.kwarg:
        out.append((a.kwarg.arg, P.VAR_KEYWORD, True))
    return out


def check_function(spec: SweepSpec, base: Path) -> None:
    """Locate the function (nothing of it runs) and, where its source has it as a plain
    ``def``, check its arguments against the spec's inputs."""
    src = _locate_function(spec.target, base, f"{spec.source}: key 'function'")
    spec.function = src
    params = _static_parameters(src.origin, src.attr)
    if params is _ABSENT:
        raise SweepError(f"{spec.source}: key 'function': cannot load {describe(spec.target)}: {src.origin} "
                         f"defines no '{src.attr.partition('.')[0]}'")
    if params is not None:
        check_arguments(spec, params)
    spec.definition.update(function=src.ref, function_source=file_digest(src.origin))


def check_arguments(spec: SweepSpec, params: list[tuple[str, Any, bool]]) -> None:
    """The function's arguments [(name, inspect.Parameter kind, has a default)] against the
    spec's parameters, constants, derived values and solved variable (passed by keyword)."""
    P = inspect.Parameter
    given = {p.name: "parameters" for p in spec.parameters}
    given.update({k: "constants" for k in spec.constants})
    given.update({k: "derived" for k in spec.derived})
    if spec.solve:
        given[spec.solve.name] = "solve"
    names = [n for n, _, _ in params]
    accepted = {n for n, kind, _ in params if kind in (P.POSITIONAL_OR_KEYWORD, P.KEYWORD_ONLY)}
    if not any(kind is P.VAR_KEYWORD for _, kind, _ in params):
        for n, table in given.items():
            if n not in accepted:
                raise SweepError(f"{spec.source}: [{table}]: key '{n}': {spec.target} has no argument "
                                 f"'{n}' (arguments: {', '.join(names)})")
    for n, kind, has_default in params:
        if kind in (P.POSITIONAL_OR_KEYWORD, P.KEYWORD_ONLY) and not has_default and n not in given:
            raise SweepError(f"{spec.source}: argument '{n}' of {spec.target} is given no value "
                             f"(add it to [parameters], [constants] or [derived])")
