"""Export actor classes as FMI 2.0 co-simulation FMUs with pythonfmu.

For an actor class ``C`` defined in module ``m``, :func:`export_fmu` writes into a temporary
staging folder, and pythonfmu's builder then into the FMU's ``resources/`` folder:

* ``C_<hash>.py`` — a thin wrapper script (``wrapper.py.tmpl``), in essence::

      from cryocosim_<digest>.fmi.slave import make_slave_class
      from m_<digest> import C as _Actor
      C = make_slave_class(_Actor)

  (``C`` is the only :class:`pythonfmu.Fmi2Slave` subclass in its namespace, which is how
  pythonfmu's builder and its binary loader find the model class).  Before importing anything it
  looks for the FMU's Python requirements (below): a missing one fails ``fmi2Instantiate`` with a
  message naming the package (the FMI logger gets it when logging is on; standard error always).
  After the actor it imports every other shipped module the model may import later (``PRELOAD``).
* ``cryocosim_<digest>/`` — the package's Python sources (engine, ``fmus`` and ``fmi``
  sub-packages: :func:`_python_sources`, nothing else lying in those folders — no result files,
  earlier FMUs, ``__pycache__`` or ``wrapper.py.tmpl``, which only exporting reads) under a
  **build-unique name**: every absolute import of
  ``cryocosim`` in the copy is rewritten to ``cryocosim_<digest>`` (:func:`rewrite_imports`;
  relative imports work unchanged), ``<digest>`` being the first 12 hex digits of
  :func:`fmu_digest` (a SHA-256 over the shipped sources and the class's name).  Python caches
  modules by name, so in one process (an FMI master running several FMUs, or the engine's own
  ``run --fmu``) each FMU runs the code it ships, never a copy another FMU — or the installed
  ``cryocosim`` — brought in first.  The copy's ``__init__`` falls back to the actor API alone
  when the engine's own dependencies (xarray, simpy...) are not installed there — the package
  ``__init__`` itself is kept as ``_package_init.py``;
* the actor's module file (or its top-level package's Python sources) when the actor lives
  outside ``cryocosim``, renamed the same way (``m_<digest>``);
* ``requirements.txt`` — the third-party Python packages the model imports (:func:`requirements`),
  with the lower bounds cryocosim itself declares for them,

and hands them to :meth:`pythonfmu.builder.FmuBuilder.build_FMU` with
``canGetAndSetFMUstate=true``.  The builder imports the wrapper to write the modelDescription;
the modules that import brings in under the shipped names are removed from ``sys.modules``
afterwards (their files were in the staging folder).

The FMU is built into a temporary file beside its destination and moved onto
``<out_dir>/<Model>.fmu`` with :func:`os.replace` only when complete (:func:`export_fmu`): a
failed export (a full disk, a file-size limit) leaves no partial FMU and keeps the FMU that was
there.  An output folder inside a folder whose sources are shipped is refused
(:func:`_check_out_dir`): FMUs do not belong among the sources they ship.
"""
from __future__ import annotations

import ast
import functools
import hashlib
import importlib
import importlib.metadata
import importlib.util
import os
import re
import secrets
import shutil
import string
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Iterable

import pythonfmu
from pythonfmu.builder import FmuBuilder

import cryocosim
import cryocosim.fmi
import cryocosim.fmus

from ..errors import ConfigurationError
from . import native

__all__ = ["export_fmu", "export_all", "fmu_cache", "source_hash", "fmu_digest", "requirements",
           "rewrite_imports"]

_PACKAGE = "cryocosim"
_DIGITS = 12  # hex digits of a digest in a module name (48 bits)
_TEMPLATE = Path(__file__).parent / "wrapper.py.tmpl"
# Package data that the shipped code reads when an FMU runs, as glob patterns in a package
# folder as shipped ("fmus/*.csv", "fmi/*.json", "*.txt" for the root): none today.  The one
# package-data file (pyproject), wrapper.py.tmpl, is read by the exporter only, and no model
# reads a data file.
_RUNTIME_DATA: tuple[str, ...] = ()
# Files the exporter reads to build an FMU without shipping them: in source_hash, so that
# fmu_cache re-exports when one changes (the shipped sources are in fmu_digest).
_BUILD_FILES: tuple[Path, ...] = (_TEMPLATE, native.LAUNCHER_SOURCE)
# Shipped by pythonfmu's builder inside every FMU (resources/pythonfmu): never a requirement.
_EMBEDDED = frozenset({"pythonfmu"})


def _package_dirs() -> list[tuple[str, Path]]:
    """(relative destination, source folder) of the package and its sub-packages."""
    root = Path(cryocosim.__file__).parent
    return [("", root),
            ("fmus", Path(cryocosim.fmus.__file__).parent),
            ("fmi", Path(cryocosim.fmi.__file__).parent)]


def _python_sources(folder: Path) -> list[tuple[str, Path]]:
    """(path relative to ``folder``, file) of the importable Python modules under ``folder``,
    sorted: the ``*.py`` files whose folder names and module name are identifiers, outside
    ``__pycache__`` (a hidden or ``build-2``-like folder cannot hold a module of the package).
    Nothing else: a result file, an earlier FMU or a C source lying there is not shipped."""
    found = []
    for p in folder.rglob("*.py"):
        rel = p.relative_to(folder)
        parts = (*rel.parent.parts, rel.stem)
        if p.is_file() and "__pycache__" not in parts and all(part.isidentifier() for part in parts):
            found.append((rel.as_posix(), p))
    return sorted(found)


def _package_files() -> list[tuple[str, Path]]:
    """(path inside the shipped package, source file) of every file the package ships, sorted:
    its Python sources and the run-time package data of ``_RUNTIME_DATA``."""
    files: dict[str, Path] = {}
    root = _package_dirs()[0][1].resolve()
    for sub, src in _package_dirs():
        src = src.resolve()
        if sub and src.is_relative_to(root):
            continue  # inside the root folder: found with it
        for rel, p in _python_sources(src):
            files[(Path(sub) / rel).as_posix()] = p
    folders = dict(_package_dirs())
    for pattern in _RUNTIME_DATA:
        sub, _, name = pattern.rpartition("/")  # sub: a package folder ("", "fmus" or "fmi")
        for p in folders[sub].resolve().glob(name):
            if p.is_file():
                files[(Path(sub) / p.name).as_posix()] = p
    return sorted(files.items())


def _shipped_folders(extra: Path | None) -> list[Path]:
    """The folders (resolved) whose files an FMU ships: the package's, and the actor's own
    package folder for an actor outside ``cryocosim`` (a single module ships only its file)."""
    folders = [src.resolve() for _, src in _package_dirs()]
    if extra is not None and extra.is_dir():
        folders.append(extra.resolve())
    return folders


def _check_out_dir(out_dir: Path, extra: Path | None) -> None:
    """Refuse an output folder inside a folder whose files are shipped (symlinks resolved): a
    one-line :class:`ConfigurationError` naming it.

    When every file there was shipped, exporting into the package nested each FMU in the next
    (1.4 MB, 2.8 MB, 5.5 MB...); only sources are shipped now, but FMUs (and whatever else an
    export leaves in its folder) do not belong among the sources an FMU ships."""
    resolved = Path(out_dir).resolve()
    for folder in _shipped_folders(extra):
        if resolved.is_relative_to(folder):
            raise ConfigurationError(
                f"cannot export FMUs into '{out_dir}': it is inside '{folder}', whose sources the FMUs "
                "ship; choose a folder outside it (e.g. build/fmus)")


# The shipped package's __init__: the full one when the master's Python has the engine's
# dependencies (xarray, simpy...), else only what an actor needs (numpy/scipy/CoolProp suffice).
_SHIPPED_INIT = '''"""cryocosim {version} as shipped inside an FMU (generated by cryocosim.fmi.export).

This package is cryocosim under a build-unique name, {name}: every absolute import of cryocosim in
its modules was rewritten to that name, so several FMUs (and an installed cryocosim) can run in one
Python process, each with its own code.  The package's own ``__init__`` is ``_package_init.py``;
when the engine's run-time dependencies (xarray, simpy, ...) are missing in the FMI master's
Python, only the actor API is provided.
"""
__version__ = {version!r}

try:
    from ._package_init import *  # noqa: F401,F403
    from ._package_init import __all__  # noqa: F401
except ImportError:
    from .actor import Actor  # noqa: F401
    from .errors import (ConfigurationError, CryocosimError, ModelError,  # noqa: F401
                         ParameterError, SimulationError)
    from .variables import Causality, Input, Local, Output, Parameter, Variable  # noqa: F401

    __all__ = ["Actor", "Variable", "Causality", "Parameter", "Input", "Output", "Local",
               "CryocosimError", "ConfigurationError", "ParameterError", "ModelError",
               "SimulationError", "__version__"]
'''


# -- build-unique module names ------------------------------------------------------------------
def _import_statements(tree: ast.AST, in_function: bool = False):
    """(Import or ImportFrom node, inside a function) of every import statement, descending only
    through statements (imports are statements: no need to visit expressions)."""
    for field in ("body", "orelse", "finalbody", "handlers", "cases"):
        for child in getattr(tree, field, None) or ():
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                yield child, in_function
            elif isinstance(child, (ast.stmt, ast.excepthandler)) or type(child).__name__ == "match_case":
                yield from _import_statements(
                    child, in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)))


def rewrite_imports(source: str, renames: dict[str, str]) -> str:
    """``source`` with its absolute imports of the top-level modules in ``renames`` (old -> new
    name) redirected to the new names; every other byte, and so every line number, unchanged.

    ``from old.x import y`` becomes ``from new.x import y`` and ``import old.x as z`` becomes
    ``import new.x as z``; a plain ``import old`` or ``import old.x``, which binds the name
    ``old``, becomes ``import new as old`` or ``import new.x, new as old``.  Relative imports
    are left alone (they work under any package name).
    """
    if not any(old in source for old in renames):
        return source
    edits: list[tuple[int, int, int, str]] = []  # (line, start byte, end byte, text)
    lines = source.splitlines(keepends=True)
    for node, _ in _import_statements(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                top, dot, rest = alias.name.partition(".")
                if top not in renames:
                    continue
                if alias.lineno != alias.end_lineno:
                    raise ConfigurationError(f"cannot rewrite the import on line {alias.lineno}: "
                                             f"'{alias.name}' continues on the next line")
                new = renames[top] + dot + rest
                if alias.asname:
                    text = f"{new} as {alias.asname}"
                elif not dot:
                    text = f"{new} as {top}"
                else:
                    text = f"{new}, {renames[top]} as {top}"
                edits.append((alias.lineno, alias.col_offset, alias.end_col_offset, text))
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            top = node.module.partition(".")[0]
            if top not in renames:
                continue
            line = lines[node.lineno - 1].encode("utf-8")
            m = re.compile(rb"from\s+(" + re.escape(top.encode()) + rb")\b").match(line, node.col_offset)
            if m is None:  # a line continuation between 'from' and the module: not rewritten
                raise ConfigurationError(f"cannot rewrite the import on line {node.lineno}: "
                                         f"{line.decode('utf-8').strip()}")
            edits.append((node.lineno, m.start(1), m.end(1), renames[top]))
    for lineno, start, end, text in sorted(edits, reverse=True):
        raw = lines[lineno - 1].encode("utf-8")
        lines[lineno - 1] = (raw[:start] + text.encode("utf-8") + raw[end:]).decode("utf-8")
    return "".join(lines)


def _digest(items: Iterable[tuple[str, bytes]], salt: str = "") -> str:
    h = hashlib.sha256(f"cryocosim {cryocosim.__version__}\npythonfmu {pythonfmu.__version__}\n{salt}\n".encode())
    for name, data in items:
        h.update(name.encode() + b"\0" + str(len(data)).encode() + b"\0" + data)
    return h.hexdigest()


def fmu_digest(actor_class: type) -> str:
    """SHA-256 over everything an FMU of ``actor_class`` ships (the package, the actor's own
    source) and the class's name: its first digits name the shipped modules
    (``cryocosim_<digest>``, ``<module>_<digest>``).

    One name per model and code: a Python process holds each shipped module once, loaded from
    the folder the first instance of that FMU was extracted to, and a master may delete that
    folder (fmpy's ``simulate_fmu`` does) while the modules stay in use.  The wrapper therefore
    imports at once every shipped module the model may import later (``PRELOAD``), and no other
    model's FMU ever looks for its modules under the same name."""
    extra = _actor_source(actor_class)
    files = [(f"{_PACKAGE}/{n}", p) for n, p in _package_files()]
    if extra is not None:
        files += [(f"{extra.name}/{n}", p) for n, p in _source_files(extra)]
    return _digest(((n, p.read_bytes()) for n, p in files),
                   salt=f"{actor_class.__module__}.{actor_class.__qualname__}")


def _shipped_name(top: str, digest: str) -> str:
    return f"{top}_{digest[:_DIGITS]}"


def _placeholder(top: str) -> str:
    return f"__cryocosim_shipped_name_of_{top}__"


@functools.lru_cache(maxsize=1024)
def _rewritten(path: str, stamp: tuple[int, int], tops: tuple[str, ...]) -> str:
    """A source file with its imports of ``tops`` rewritten to placeholders (cached: every
    export ships the same files, only the names differ)."""
    return rewrite_imports(Path(path).read_text(encoding="utf-8"), {t: _placeholder(t) for t in tops})


def _rewrite_file(src: Path, target: Path, renames: dict[str, str]) -> None:
    st = src.stat()
    text = _rewritten(str(src), (st.st_mtime_ns, st.st_size), tuple(sorted(renames)))
    for old, new in renames.items():
        text = text.replace(_placeholder(old), new)
    target.write_text(text, encoding="utf-8")


def _copy_package(dest: Path, renames: dict[str, str]) -> None:
    name = renames[_PACKAGE]
    for rel, src in _package_files():
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if src.suffix == ".py":
            _rewrite_file(src, target, renames)
        else:
            shutil.copy2(src, target)
    (dest / "__init__.py").rename(dest / "_package_init.py")
    (dest / "__init__.py").write_text(_SHIPPED_INIT.format(version=cryocosim.__version__, name=name))


def _copy_rewritten(src: Path, dest: Path, renames: dict[str, str]) -> None:
    """Copy a module file, or a package folder's Python sources (:func:`_source_files`),
    rewriting their absolute imports."""
    if src.is_file():
        _rewrite_file(src, dest, renames)
        return
    for rel, p in _source_files(src):
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        _rewrite_file(p, target, renames)


def _actor_source(actor_class: type) -> Path | None:
    """The file or folder to ship beside the script for an actor outside ``cryocosim`` (or None)."""
    module = actor_class.__module__
    where = f"{module}.{actor_class.__qualname__}"
    if module == "__main__" or "<locals>" in actor_class.__qualname__:
        raise ConfigurationError(f"cannot export {where}: the class must be importable from a module")
    top = module.split(".")[0]
    if top == _PACKAGE:
        return None
    mod = sys.modules.get(top) or importlib.import_module(top)
    file = getattr(mod, "__file__", None)
    if not file:
        raise ConfigurationError(f"cannot export {where}: module '{top}' has no source file")
    path = Path(file)
    return path.parent if path.name == "__init__.py" else path


def _source_files(folder_or_file: Path) -> list[tuple[str, Path]]:
    """(shipped name, file) of what an actor outside ``cryocosim`` ships: its module file, or its
    top-level package's Python sources."""
    if folder_or_file.is_file():
        return [(folder_or_file.name, folder_or_file)]
    return _python_sources(folder_or_file)


# -- requirements ---------------------------------------------------------------------------------
def _imports(path: Path, module: str, is_package: bool) -> list[tuple[str, bool]]:
    """(absolute module name, inside a function) of every import statement in a source file;
    ``from a import b`` gives ``a`` and ``a.b`` (b may be a submodule)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if is_package else module.rpartition(".")[0]
    found: list[tuple[str, bool]] = []
    for node, in_function in _import_statements(tree):
        if isinstance(node, ast.Import):
            found.extend((a.name, in_function) for a in node.names)
            continue
        if node.level:
            base = package.split(".")
            base = base[:len(base) - (node.level - 1)] if node.level > 1 else base
            head = ".".join(base + ([node.module] if node.module else []))
        else:
            head = node.module or ""
        if head and head != "__future__":
            found.append((head, in_function))
            found.extend((f"{head}.{a.name}", in_function) for a in node.names if a.name != "*")
    return found


def _module_file(name: str) -> tuple[Path, bool] | None:
    """(source file, is a package) of an importable project module, or None."""
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError, AttributeError):
        return None
    if spec is None or not spec.origin or not spec.origin.endswith(".py"):
        return None
    return Path(spec.origin), spec.submodule_search_locations is not None


@functools.lru_cache(maxsize=None)
def _distributions() -> dict[str, list[str]]:
    return importlib.metadata.packages_distributions()


def _normalized(distribution: str) -> str:
    """A distribution name as PEP 503 compares them (``coolprop`` for ``CoolProp``)."""
    return re.sub(r"[-_.]+", "-", distribution).lower()


_REQUIREMENT = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*([^;]*?)\s*(;.*)?")


@functools.lru_cache(maxsize=None)
def _declared_requirements() -> dict[str, str]:
    """Normalized distribution name -> requirement, of the installed cryocosim distribution's
    unconditional requirements (``CoolProp>=6.6``); those with a marker (extras such as
    ``test``, or an environment condition) are left out.  Empty when cryocosim is not installed."""
    try:
        declared = importlib.metadata.requires(_PACKAGE) or []
    except importlib.metadata.PackageNotFoundError:
        return {}
    found = {}
    for text in declared:
        m = _REQUIREMENT.fullmatch(text)
        if m is not None and m.group(3) is None:
            found[_normalized(m.group(1))] = m.group(1) + m.group(2).replace(" ", "")
    return found


def _closure(actor_class: type) -> tuple[list[str], set[str]]:
    """(the project modules the model's code reaches, sorted; the third-party top-level modules
    it imports): see :func:`requirements`."""
    top = actor_class.__module__.split(".")[0]
    project = {_PACKAGE, top}
    model_prefixes = (f"{_PACKAGE}.fmus",) + (() if top == _PACKAGE else (top,))
    start = [f"{_PACKAGE}.fmi.slave", actor_class.__module__]
    seen: set[str] = set()
    modules: set[str] = set()
    third: set[str] = set()
    while start:
        name = start.pop()
        if name in seen:
            continue
        seen.add(name)
        located = _module_file(name)
        if located is None:
            continue
        modules.add(name)
        path, is_package = located
        is_model = any(name == p or name.startswith(p + ".") for p in model_prefixes)
        # importing a submodule runs its parent packages' __init__ first
        parent = name.rpartition(".")[0]
        if parent:
            start.append(parent)
        for imported, in_function in _imports(path, name, is_package):
            head = imported.partition(".")[0]
            if head in project:
                start.append(imported)
            elif head in sys.stdlib_module_names or head in _EMBEDDED or head == "__future__":
                continue
            elif is_model or not in_function:
                third.add(head)
    return sorted(modules, key=lambda m: (m.count("."), m)), third


def requirements(actor_class: type) -> dict[str, str]:
    """The third-party Python packages an exported FMU of ``actor_class`` imports: import name ->
    requirement.

    A package cryocosim depends on carries the bounds cryocosim declares for it (``"CoolProp>=6.6"``,
    from the installed distribution's metadata), not the version installed where the FMU was
    exported: installing the requirements forces no upgrade the model does not need.  A package
    cryocosim does not declare (imported by an actor outside cryocosim) is named without a bound
    (by its distribution's name when one is installed, else by its import name).

    Found statically from the wrapper's imports on: the import statements of the modules of the
    package and of the actor's own source that the model's code reaches (module-level imports of
    every such module; imports inside functions too in the model modules — ``cryocosim.fmus`` and
    the actor's own source — where a model imports a heavy package lazily, as the gas properties
    import CoolProp).  Inside the engine's own modules an import in a function serves an engine
    feature (plots, result files) that an FMU does not use.  The standard library and pythonfmu
    (which the builder ships inside every FMU) are not requirements.
    """
    declared = _declared_requirements()
    result: dict[str, str] = {}
    for top in sorted(_closure(actor_class)[1], key=str.lower):
        dists = _distributions().get(top) or [top]
        ours = [declared[_normalized(d)] for d in dists if _normalized(d) in declared]
        result[top] = ours[0] if ours else dists[0]
    return result


def _requirements_txt(actor_class: type, reqs: dict[str, str]) -> str:
    lines = [f"# Python packages the FMU {actor_class.__name__} (cryocosim {cryocosim.__version__}) needs in",
             "# the Python interpreter that runs it, with the version bounds cryocosim declares for them",
             "# (a package without a bound is imported by the model's own code; cryocosim sets none).",
             "#   python -m pip install -r requirements.txt",
             "# (pythonfmu itself is shipped inside the FMU, in resources/pythonfmu.)"]
    lines += sorted(reqs.values(), key=str.lower)
    return "\n".join(lines) + "\n"


# -- export -----------------------------------------------------------------------------------------
def _wrapper_source(actor_class: type, name: str, renames: dict[str, str], reqs: dict[str, str]) -> str:
    template = string.Template(_TEMPLATE.read_text(encoding="utf-8"))
    shipped = lambda m: renames[m.split(".")[0]] + m[len(m.split(".")[0]):]  # noqa: E731
    package, module = renames[_PACKAGE], shipped(actor_class.__module__)
    modules = ", ".join(sorted(set(renames.values())))
    preload = [shipped(m) for m in _closure(actor_class)[0]]
    return template.substitute(
        version=cryocosim.__version__, where=f"{actor_class.__module__}.{actor_class.__qualname__}",
        name=name, model=name, package=package, module=module, qualname=actor_class.__qualname__,
        modules=modules, requirements=repr(reqs), preload=_pretty_list(preload))


def _pretty_list(items: list[str]) -> str:
    return "[\n" + "".join(f"    {item!r},\n" for item in items) + "]"


def export_fmu(actor_class: type, out_dir: str | Path = ".") -> Path:
    """Build ``<out_dir>/<ClassName>.fmu`` from an actor class; return its path.

    The FMU is built into a temporary file in ``out_dir`` and moved onto its name only when
    complete: an export that fails (a full disk, a file-size limit: a one-line
    :class:`ConfigurationError` naming the FMU) leaves neither a partial FMU nor the temporary
    file, and the FMU that was there before is kept.  ``out_dir`` must not lie inside a folder
    whose files the FMU ships (the package's, an actor package's own)."""
    name = actor_class.__name__
    if not name.isidentifier():
        raise ConfigurationError(f"cannot export class '{name}': its name is not an identifier")
    extra = _actor_source(actor_class)
    _check_out_dir(Path(out_dir), extra)
    out_dir = Path(out_dir).resolve()
    dest = out_dir / f"{name}.fmu"
    # a name of its own (two processes may export one model into one folder at once), hidden,
    # ending in .fmu: pythonfmu's builder then writes that very file
    tmp_fmu = out_dir / f".{name}.{secrets.token_hex(6)}.tmp.fmu"
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        _build(actor_class, extra, tmp_fmu)
        # post-processing of the built FMU goes here (in _finish, which may rewrite the zip)
        _finish(tmp_fmu, actor_class)
        os.replace(tmp_fmu, dest)
    except (OSError, zipfile.BadZipFile) as exc:
        raise _write_error(dest, exc, tmp_fmu) from None
    finally:
        try:
            tmp_fmu.unlink(missing_ok=True)  # after a failure: nothing half-written stays
        except OSError:
            pass
    return dest


def _write_error(dest: Path, exc: Exception, tmp_fmu: Path) -> ConfigurationError:
    """The one-line error of an export that could not write: names the FMU, the reason, and the
    file that could not be written when it is another one (a staging file, the folder)."""
    filename = getattr(exc, "filename", None)
    other = isinstance(filename, (str, bytes)) and Path(os.fsdecode(filename)) not in (dest, tmp_fmu)
    return ConfigurationError(f"cannot write FMU '{dest}': {getattr(exc, 'strerror', None) or exc}"
                              + (f" ({os.fsdecode(filename)})" if other else ""))


def _build(actor_class: type, extra: Path | None, fmu: Path) -> None:
    """Stage the wrapper script, the shipped sources and requirements.txt in a temporary folder
    and have pythonfmu's builder write the FMU file ``fmu``."""
    name = actor_class.__name__
    digest = fmu_digest(actor_class)
    top = actor_class.__module__.split(".")[0]
    renames = {_PACKAGE: _shipped_name(_PACKAGE, digest)}
    if extra is not None:
        renames[top] = _shipped_name(extra.stem, digest)
    reqs = requirements(actor_class)
    wrapper = _wrapper_source(actor_class, name, renames, reqs)
    script_module = f"{name}_{hashlib.sha256(wrapper.encode()).hexdigest()[:_DIGITS]}"

    saved_path = list(sys.path)
    before = set(sys.modules)
    with tempfile.TemporaryDirectory(prefix="cryocosim_fmu_") as tmp:
        staging = Path(tmp)
        script = staging / f"{script_module}.py"
        script.write_text(wrapper, encoding="utf-8")
        _copy_package(staging / renames[_PACKAGE], renames)
        project_files = [staging / renames[_PACKAGE]]
        if extra is not None:
            target = staging / (renames[top] + (extra.suffix if extra.is_file() else ""))
            _copy_rewritten(extra, target, renames)
            project_files.append(target)
        (staging / "requirements.txt").write_text(_requirements_txt(actor_class, reqs))
        project_files.append(staging / "requirements.txt")
        importlib.invalidate_caches()
        try:
            FmuBuilder.build_FMU(script, dest=fmu, project_files=project_files,
                                 canGetAndSetFMUstate=True)
        finally:
            # pythonfmu's builder leaves the staging folder on sys.path and the script imported;
            # the shipped modules it imported from the staging folder go too (their files do)
            sys.path[:] = saved_path
            _forget_build_modules(set(sys.modules) - before, (script_module, *renames.values()))


def _finish(fmu: Path, actor_class: type) -> None:
    """The last steps on the FMU file ``fmu`` of ``actor_class`` (built by pythonfmu into a
    temporary file) before it is moved onto its name: whatever rewrites it, then a check that
    the archive reads whole (every member's CRC) and holds its modelDescription — a broken FMU
    raises ``zipfile.BadZipFile`` and never replaces a good one."""
    # the native launcher in front of pythonfmu's binary, so that masters without Python load it
    native.add_launcher(fmu, actor_class.__name__)
    with zipfile.ZipFile(fmu) as zf:
        corrupt = zf.testzip()
        if corrupt is not None or "modelDescription.xml" not in zf.namelist():
            raise zipfile.BadZipFile(f"the built FMU is broken ({corrupt or 'modelDescription.xml'} "
                                     "is " + ("corrupt)" if corrupt else "missing)"))


def _forget_build_modules(new: set[str], tops: tuple[str, ...]) -> None:
    """Drop the modules the builder imported from the staging folder (under the shipped names).

    Their files are gone with the folder, so a later import must find the FMU's own copy.  Their
    dictionaries are cleared as the interpreter does at exit: pythonfmu's build-time instances
    (and the wrapper's module dicts, pinned by :func:`cryocosim.fmi.slave._pin_module_dict`)
    would otherwise keep them and what they hold (CoolProp states) alive to the end."""
    gone = sorted((m for m in new if m.split(".")[0] in tops), key=lambda m: -m.count("."))
    dropped = [(m, sys.modules.pop(m)) for m in gone if m in sys.modules]
    for name, module in dropped:
        parent, _, leaf = name.rpartition(".")
        owner = sys.modules.get(parent)
        if owner is not None and getattr(owner, leaf, None) is module:
            delattr(owner, leaf)  # a package that stays must not hand out the stale module
    for _, module in dropped:
        module.__dict__.clear()


def export_all(classes: Iterable[type], out_dir: str | Path = ".") -> list[Path]:
    """Export several actor classes; return the FMU paths in order."""
    return [export_fmu(c, out_dir) for c in classes]


def source_hash(actor_class: type) -> str:
    """SHA-256 over what an FMU of ``actor_class`` is built from: the shipped sources
    (:func:`fmu_digest`), the exporter's own unshipped inputs (``_BUILD_FILES``: the wrapper
    template), the pythonfmu version and the FMU's requirements (their declared bounds)."""
    h = hashlib.sha256()
    h.update(f"pythonfmu {pythonfmu.__version__}\n{actor_class.__module__}.{actor_class.__qualname__}\n".encode())
    h.update(fmu_digest(actor_class).encode())
    for path in _BUILD_FILES:
        h.update(path.read_bytes())
    h.update(native.python_config(actor_class.__name__).encode())  # the Python the launcher starts
    h.update(repr(sorted(requirements(actor_class).items())).encode())
    return h.hexdigest()


def fmu_cache(actor_class: type, cache_dir: str | Path = "build/fmus") -> Path:
    """The FMU of ``actor_class`` in ``cache_dir``, re-exported only when the sources changed."""
    cache_dir = Path(cache_dir)
    _check_out_dir(cache_dir, _actor_source(actor_class))
    fmu = cache_dir / f"{actor_class.__name__}.fmu"
    stamp = cache_dir / f"{actor_class.__name__}.fmu.sha256"
    digest = source_hash(actor_class)
    if fmu.is_file() and stamp.is_file() and stamp.read_text().strip() == digest:
        return fmu.resolve()
    # the stamp goes first and comes back after the FMU, which export_fmu moves in whole: another
    # process reading the cache meanwhile finds a whole FMU (without a stamp it exports again),
    # and an export that fails midway leaves no stamp that describes another FMU
    part = stamp.with_name(f".{stamp.name}.{secrets.token_hex(6)}.tmp")
    try:
        stamp.unlink(missing_ok=True)
        built = export_fmu(actor_class, cache_dir)
        part.write_text(digest + "\n")
        os.replace(part, stamp)
    except OSError as exc:
        raise ConfigurationError(f"cannot write '{stamp}': {exc.strerror or exc}") from None
    finally:
        try:
            part.unlink(missing_ok=True)
        except OSError:
            pass
    return built
