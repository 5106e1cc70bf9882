"""The SSP container: a ``.ssp`` zip, an unpacked folder or a lone ``.ssd`` opened for reading
(a zip checked for unsafe names and zip bombs, extracted into a temporary folder removed at exit),
and a package written atomically.

The limits in force are the package's, :data:`cryocosim.ssp.MAX_EXTRACTED_BYTES` and
:data:`cryocosim.ssp.MAX_MEMBERS` (and its ``_check_sizes``): set there, by a caller or a test,
they apply here.
"""
from __future__ import annotations

import atexit
import shutil
import sys
import tempfile
import zipfile
import zlib
from pathlib import Path, PurePosixPath

from ..errors import ConfigurationError, one_line
from .common import SSD_NAME

#: the temporary folders of the packages extracted so far (removed at exit)
_EXTRACTED: list[str] = []

#: the most a package may take extracted (bytes), and the FMUs in it together (fmpy extracts each),
#: and the most members a zip may hold: a zip bomb (a gigabyte of zeros in a megabyte) is refused
#: from the zip's headers before anything is written, and while extracting in case they lie.  An
#: SSP holds an SSD, parameter sets and FMUs: tens of megabytes, a few hundred at the most
MAX_EXTRACTED_BYTES = 512 * 2**20
MAX_MEMBERS = 10_000
#: what a damaged or hostile zip raises in zipfile
ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError, NotImplementedError, RuntimeError)


def package():
    """The module :mod:`cryocosim.ssp`, whose limits are the ones in force."""
    return sys.modules[__package__]


def _mib(n: int) -> str:
    return f"{n / 2**20:.0f} MiB" if n >= 2**20 else f"{n} bytes"


def _check_sizes(zf: zipfile.ZipFile, label: str, budget: int, whose: str = "an SSP package") -> int:
    """The bytes the members of ``zf`` declare in its headers; an error if there are more than
    MAX_MEMBERS members or more than ``budget`` bytes."""
    limits = package()
    infos = zf.infolist()
    if len(infos) > limits.MAX_MEMBERS:
        raise ConfigurationError(f"{label}: {len(infos)} members in the zip, above the limit of {limits.MAX_MEMBERS}")
    declared = sum(info.file_size for info in infos)
    if declared > budget:
        raise ConfigurationError(f"{label}: its members would take {_mib(declared)} extracted, above the limit "
                                 f"of {_mib(limits.MAX_EXTRACTED_BYTES)} of {whose} (a zip bomb?)")
    return declared


def fmu_size(fmu: Path, label: str, budget: int) -> int:
    """What FMU ``fmu`` takes extracted by its headers (fmpy extracts it whole), within ``budget``
    (what is left of MAX_EXTRACTED_BYTES for the FMUs of one SSP); 0 for a file that is no zip
    (the FMU reader says what is wrong with it)."""
    try:
        with zipfile.ZipFile(fmu) as zf:
            return package()._check_sizes(zf, label, budget, "the FMUs of an SSP together")
    except ZIP_ERRORS:
        return 0


def _extract(zf: zipfile.ZipFile, dest: Path, label: str) -> None:
    """Extract ``zf`` into ``dest`` (member names checked before), counting the bytes written:
    an error beyond MAX_EXTRACTED_BYTES, whatever the headers said."""
    limit = package().MAX_EXTRACTED_BYTES
    total = 0
    for info in zf.infolist():
        target = dest / info.filename
        try:
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(info) as src, open(target, "wb") as out:
                while chunk := src.read(1 << 20):
                    total += len(chunk)
                    if total > limit:
                        raise ConfigurationError(f"{label}: its members take more than {_mib(limit)} "
                                                 "extracted, more than its headers declare (a zip bomb?)")
                    out.write(chunk)
        except ZIP_ERRORS as exc:
            why = exc.strerror if isinstance(exc, OSError) and exc.strerror else one_line(exc)
            raise ConfigurationError(f"{label}: cannot extract {info.filename!r} from the package: {why}") from None


@atexit.register
def _remove_extracted() -> None:
    for d in _EXTRACTED:
        shutil.rmtree(d, ignore_errors=True)


def open_ssp(path: Path, label: str) -> tuple[Path, Path]:
    """(the folder the SSD's relative paths start from, the SSD file) of an ``.ssp`` package
    (extracted), an unpacked folder or an ``.ssd`` file."""
    if not path.exists():
        raise ConfigurationError(f"{label}: no such file or folder")
    if path.is_dir():
        ssd = path / SSD_NAME
        if not ssd.is_file():
            raise ConfigurationError(f"{label}: the folder holds no {SSD_NAME}")
        return path, ssd
    if path.suffix.lower() == ".ssd":
        return path.parent, path
    try:
        zf = zipfile.ZipFile(path)
    except ZIP_ERRORS as exc:
        raise ConfigurationError(f"{label}: not a readable SSP (zip archive): {one_line(exc)}") from None
    with zf:
        names = zf.namelist()
        if SSD_NAME not in names:
            raise ConfigurationError(f"{label}: the package holds no {SSD_NAME} at its top level")
        for n in names:
            p = PurePosixPath(n)
            if not p.parts or p.is_absolute() or ".." in p.parts or ":" in p.parts[0]:
                raise ConfigurationError(f"{label}: unsafe member name {n!r} in the package")
        package()._check_sizes(zf, label, package().MAX_EXTRACTED_BYTES)
        tmp = tempfile.mkdtemp(prefix="cryocosim_ssp_")
        _EXTRACTED.append(tmp)
        _extract(zf, Path(tmp), label)
    return Path(tmp), Path(tmp) / SSD_NAME


def write_package(path: Path, files: dict[str, bytes], copies: dict[str, Path]) -> None:
    """Write the package atomically: a zip for ``.ssp``, else a folder.  ``files``: member name ->
    content; ``copies``: member name -> the file to copy there (the FMUs)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix.lower() == ".ssp":
            if path.is_dir():
                raise ConfigurationError(f"-o/--output '{path}' is a directory")
            tmp = path.with_name(f".{path.name}.tmp")
            try:
                with zipfile.ZipFile(tmp, "w") as zf:
                    for name, data in files.items():
                        zf.writestr(name, data, zipfile.ZIP_DEFLATED)
                    for name, src in sorted(copies.items()):
                        zf.write(src, name, zipfile.ZIP_STORED)  # an FMU is a zip already
                tmp.replace(path)
            finally:
                tmp.unlink(missing_ok=True)
        else:
            if path.exists() and not path.is_dir():
                raise ConfigurationError(f"-o/--output '{path}' is a file (an unpacked SSP is a folder; "
                                         "name the output *.ssp for a package)")
            for name, data in files.items():
                (path / name).parent.mkdir(parents=True, exist_ok=True)
                (path / name).write_bytes(data)
            for name, src in copies.items():
                shutil.copy2(src, path / name)
    except OSError as exc:
        raise ConfigurationError(f"cannot write SSP '{path}': {exc.strerror or exc}") from None
