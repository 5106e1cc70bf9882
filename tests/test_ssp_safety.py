"""Bad SSP packages never crash or hang the reader: a one-line error naming the file, the line and
the element (exit status 2), or a valid system.

* Non-finite numbers: a linear transformation's factor or offset, a parameter value (.ssv or
  inline) that is NaN or infinite, or that a unit conversion takes beyond the range of doubles.
  A finite but huge factor (1e308) on the screw-Brayton SSP's shaft -> motor speed validates; its
  run stops at the first non-finite output (motor.torque) and keeps the results so far.
* ssv:Integer values outside what the FMU variable takes (32 bits, declared min/max, an
  Enumeration's items) are refused by validate (they used to wrap around in a C FMU).
* Zip bombs: a package (or an FMU in it) whose members would take more than
  ssp.MAX_EXTRACTED_BYTES extracted, or hold more than ssp.MAX_MEMBERS members, is refused from the
  zip's headers before anything is written, and while extracting if the headers lie.
* Fuzz: mutants of the exported screw-Brayton SSP and of the hand-written SSDs of tests/test_ssp.py
  (SSD and .ssv XML: attributes, values, element names, deleted/duplicated/moved elements,
  truncated text; the archive: truncated, bytes overwritten, wrong member names, members dropped,
  duplicated or replaced) go through ``cryocosim validate`` (``cli.main`` in-process, a timeout
  each; a sample in a subprocess): exit status 0 or 2, one line per error, never a traceback.
"""
from __future__ import annotations

import contextlib
import copy
import io
import os
import random
import shutil
import signal
import struct
import subprocess
import sys
import time
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree as ET

import netCDF4
import numpy as np
import pytest

from cryocosim import ConfigurationError, cli, ssp
from cryocosim.errors import CryocosimWarning, SimulationError
from cryocosim.fmi.export import fmu_cache
from engine_actors import Constant, Integrator, Oscillator, Valve
from fmi_fixture_actor import FirstOrderLag, Mixed
from test_ssp import CFMU_SSD, HAND_SSD, SRC_SSV, UNITLESS_SSD, write_package

ROOT = Path(__file__).resolve().parents[1]
TESTS = Path(__file__).parent
COOLDOWN = ROOT / "scenarios/screw_brayton_cooldown.toml"


# pythonfmu prepends the FMU's resources/ folder to sys.path at every instantiation: every test
# here restores it (conftest.keep_sys_path)
pytestmark = pytest.mark.usefixtures("keep_sys_path")


def validate(*args: str) -> tuple[int, str, str]:
    """``cryocosim validate ARGS`` in this process: (exit status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        status = cli.main(["validate", *args])
    return status, out.getvalue(), err.getvalue()


def one_line_error(path: Path, stderr: str) -> str:
    """The one error line of ``stderr`` (warnings aside), which must name ``path``."""
    lines = [line for line in stderr.splitlines() if not line.startswith("cryocosim: warning: ")]
    assert len(lines) == 1 and lines[0].startswith(f"cryocosim: error: {path}"), stderr
    return lines[0][len("cryocosim: error: "):]


@pytest.fixture(scope="module")
def cooldown_ssp(tmp_path_factory) -> Path:
    """``cryocosim export-system scenarios/screw_brayton_cooldown.toml -o cooldown.ssp --stop-time 1``."""
    tmp = tmp_path_factory.mktemp("cooldown")
    path = tmp / "cooldown.ssp"
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()), \
            warnings.catch_warnings():
        warnings.simplefilter("ignore")
        status = cli.main(["export-system", str(COOLDOWN), "-o", str(path), "--stop-time", "1",
                           "--fmu-dir", str(tmp / "fmus")])
    assert status == 0 and path.is_file()
    return path


@pytest.fixture(scope="module")
def hand_fmus(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("hand_fmus")
    return {cls.__name__: fmu_cache(cls, d) for cls in (FirstOrderLag, Mixed, Constant, Integrator, Valve, Oscillator)}


def hand_package(path: Path, fmus: dict, edit: tuple[str, str] | None = None, ssv_edit=None) -> Path:
    ssd, ssv = HAND_SSD, SRC_SSV
    if edit:
        assert edit[0] in ssd, edit
        ssd = ssd.replace(*edit, 1)
    if ssv_edit:
        assert ssv_edit[0] in ssv, ssv_edit
        ssv = ssv.replace(*ssv_edit, 1)
    return write_package(path, fmus, ssd, ssv)


def rewrite(src: Path, dst: Path, edit=lambda name, data: data, extra: dict | None = None) -> Path:
    """A copy of package ``src`` with each member's bytes passed through ``edit(name, bytes)``."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            zout.writestr(info, edit(info.filename, zin.read(info.filename)))
        for name, data in (extra or {}).items():
            zout.writestr(name, data, zipfile.ZIP_DEFLATED)
    return dst


# =============================================================================================
# non-finite numbers
# =============================================================================================
LT = '<ssc:LinearTransformation factor="0.5" offset="-100"/>'  # connection #2, lag.y -> integ.u


@pytest.mark.parametrize("attrs, key, text", [
    ('factor="nan" offset="-100"', "factor", "nan"),
    ('factor="inf" offset="-100"', "factor", "inf"),
    ('factor="-Infinity"', "factor", "-Infinity"),
    ('factor="0.5" offset="NaN"', "offset", "NaN"),
    ('factor="0.5" offset="-inf"', "offset", "-inf"),
])
def test_non_finite_linear_transformation_is_refused(tmp_path, hand_fmus, attrs, key, text):
    path = hand_package(tmp_path / "bad.ssp", hand_fmus, (LT, f"<ssc:LinearTransformation {attrs}/>"))
    status, _, stderr = validate(str(path))
    msg = one_line_error(path, stderr)
    assert status == 2
    assert msg == (f"{path}: SystemStructure.ssd: line 115: <Connection> #2 (lag.y -> integ.u): "
                   f"<LinearTransformation> {key}={text!r} is not a finite number")


@pytest.mark.parametrize("where, value", [("ssv", "nan"), ("ssv", "inf"), ("ssv", "-INF"),
                                          ("inline", "NaN"), ("inline", "-inf")])
def test_non_finite_parameter_values_are_refused(tmp_path, hand_fmus, where, value):
    if where == "ssv":
        path = hand_package(tmp_path / "bad.ssp", hand_fmus, ssv_edit=('value="0.25"', f'value="{value}"'))
        head = f"{path}: parameters/src.ssv: line 6: <Parameter name='value'>"
    else:
        path = hand_package(tmp_path / "bad.ssp", hand_fmus, ('<ssv:Real value="0.1" unit="min"/>',
                                                                f'<ssv:Real value="{value}" unit="min"/>'))
        head = f"{path}: SystemStructure.ssd: line 31: <Parameter name='tau'>"
    status, _, stderr = validate(str(path))
    assert status == 2 and one_line_error(path, stderr) == f"{head}: value {value!r} is not a finite number"


def test_conversions_beyond_doubles_are_refused(tmp_path, hand_fmus):
    # 1e308 kJ in J
    path = hand_package(tmp_path / "a.ssp", hand_fmus, ('<ssv:Real value="1" unit="kJ"/>',
                                                          '<ssv:Real value="1e308" unit="kJ"/>'))
    status, _, stderr = validate(str(path))
    assert status == 2 and one_line_error(path, stderr).endswith(
        "line 14: <Parameter name='x_start'>: 1e+308 kJ is beyond the range of a double in integ.x_start's unit 'J'")
    # src.y (W) -> integ2.u whose connector is in kW: 2 x + 1e308 kW is 1e311 W
    path = hand_package(tmp_path / "b.ssp", hand_fmus, ('factor="2" offset="1"', 'factor="2" offset="1e308"'))
    status, _, stderr = validate(str(path))
    assert status == 2 and one_line_error(path, stderr).endswith(
        "<Connection> #3 (src.y -> integ2.u): the conversion (the transformation and the connector units) is "
        "beyond the range of a double")
    # finite, however large, is valid
    path = hand_package(tmp_path / "c.ssp", hand_fmus, (LT, '<ssc:LinearTransformation factor="1e308"/>'))
    assert validate(str(path))[0] == 0


def test_huge_factor_in_the_cooldown_ssp_stops_the_run_at_the_first_non_finite_output(tmp_path, cooldown_ssp):
    """factor="1e308" on shaft.speed -> motor.speed: the motor's slip becomes -inf and its torque
    NaN at 0.6 s (the shaft starts turning): the run stops there, naming them; the results so far
    are in the file.  (It used to "complete" with NaN and -inf recorded.)"""
    conn = b'<ssd:Connection startElement="shaft" startConnector="speed" endElement="motor" endConnector="speed" />'

    def edit(name, data):
        if name == ssp.SSD_NAME:
            assert conn in data
            data = data.replace(conn, conn[:-3] + b'><ssc:LinearTransformation factor="1e308"/></ssd:Connection>')
        return data

    path = rewrite(cooldown_ssp, tmp_path / "huge.ssp", edit)
    status, stdout, _ = validate(str(path))
    assert status == 0 and ": valid (10 actors, 40 connections" in stdout
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CryocosimWarning)
        system, settings = ssp.load(path)
    out = tmp_path / "huge.nc"
    with pytest.raises(SimulationError) as err:
        system.run(settings.stop_time, output=out, ordering=settings.ordering, output_interval=0.05)
    assert str(err.value) == ("actor 'motor': output 'torque' is nan after its step from t=0.55 s to t=0.6 s "
                              f"(a non-finite output stops the run); results up to t=0.55 s written to {out}")
    with netCDF4.Dataset(out) as ds:
        assert ds.status.startswith("failed at t=0.55 s: actor 'motor': output 'torque' is nan")
        assert list(ds["time"][:]) == pytest.approx([0.05 * k for k in range(12)])  # 0 ... 0.55 s
        for name in ("motor.torque", "motor.slip", "shaft.speed"):
            assert np.all(np.isfinite(ds[name][:])), name


# =============================================================================================
# integers outside the FMU's range
# =============================================================================================
@pytest.fixture(scope="module")
def c_fmus(tmp_path_factory) -> dict[str, Path]:
    """The C-coded test FMU (tests/c_fmus/cfmu.c), and a copy whose Integer input n_in declares
    min -5 and max 5."""
    from test_third_party_fmus import build_c_fmus

    d = tmp_path_factory.mktemp("c_fmus")
    fmus = build_c_fmus(d, ["CTypes"])
    old = b'name="n_in" valueReference="0" causality="input" variability="discrete" description="added to the counter each step"><Integer start="0"/>'
    bounded = d / "bounded" / "CTypes.fmu"
    bounded.parent.mkdir()

    def edit(name, data):
        if name == "modelDescription.xml":
            assert old in data
            data = data.replace(old, old.replace(b'start="0"', b'start="0" min="-5" max="5"'))
        return data

    return {"CTypes": fmus["CTypes"], "bounded": rewrite(fmus["CTypes"], bounded, edit)}


@pytest.mark.parametrize("fmu, param, value, why", [
    ("CTypes", "n_in", "2147483648", "is outside the range of an FMI Integer (-2147483648 to 2147483647)"),
    ("CTypes", "n_in", "-2147483649", "is outside the range of an FMI Integer (-2147483648 to 2147483647)"),
    ("CTypes", "n_in", "4294967296", "is outside the range of an FMI Integer (-2147483648 to 2147483647)"),
    ("bounded", "n_in", "6", "is above the FMU's declared maximum 5"),
    ("bounded", "n_in", "-6", "is below the FMU's declared minimum -5"),
    ("CTypes", "mode_in", "7", "is not one of its items (1 (off), 2 (heating), 3 (cooling))"),
])
def test_integer_outside_the_fmu_range_is_refused_by_validate(tmp_path, c_fmus, fmu, param, value, why):
    ssd = CFMU_SSD.replace('<ssv:Parameter name="n_in"><ssv:Integer value="1"/>',
                           f'<ssv:Parameter name="{param}"><ssv:Integer value="{value}"/>')
    path = write_package(tmp_path / "bad.ssp", {"CTypes": c_fmus[fmu]}, ssd, None)
    status, _, stderr = validate(str(path))
    assert status == 2 and one_line_error(path, stderr) == (
        f"{path}: SystemStructure.ssd: line 17: <Parameter name='{param}'>: a.{param} = {value} {why}")


def test_integers_within_range_and_set_overrides(tmp_path, c_fmus):
    for fmu, value in (("CTypes", "2147483647"), ("CTypes", "-2147483648"), ("bounded", "5")):
        ssd = CFMU_SSD.replace('<ssv:Integer value="1"/>', f'<ssv:Integer value="{value}"/>')
        path = write_package(tmp_path / f"ok_{fmu}.ssp", {"CTypes": c_fmus[fmu]}, ssd, None)
        status, stdout, stderr = validate(str(path))
        assert status == 0, stderr
    # the same check for a value given on the command line (run --set)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CryocosimWarning)
        with pytest.raises(ConfigurationError, match=r"^--set 'b.n_in': b.n_in = 4294967296 is outside the range "):
            ssp.load(path, {"b.n_in": "4294967296"}, "--set")


# =============================================================================================
# zip bombs
# =============================================================================================
def zeros_member(zf: zipfile.ZipFile, name: str, mib: int) -> None:
    info = zipfile.ZipInfo(name)
    info.compress_type = zipfile.ZIP_DEFLATED
    zero = bytes(2**20)
    with zf.open(info, "w", force_zip64=True) as f:
        for _ in range(mib):
            f.write(zero)


def unpacked(path: Path) -> str:
    """What the members of zip ``path`` take extracted, MiB, as the messages write it."""
    with zipfile.ZipFile(path) as zf:
        return f"{sum(i.file_size for i in zf.infolist()) / 2**20:.0f}"


def test_a_gigabyte_of_zeros_in_the_cooldown_ssp_is_refused_from_the_headers(tmp_path, cooldown_ssp):
    """The exported package (13 MB) and a 1 GiB member of zeros (5 MB compressed): refused at once,
    nothing extracted (it used to be written out in full during validate)."""
    path = tmp_path / "bomb.ssp"
    shutil.copy(cooldown_ssp, path)
    with zipfile.ZipFile(path, "a", compresslevel=1) as zf:
        zeros_member(zf, "resources/zeros.bin", 1024)
    assert path.stat().st_size < 20 * 2**20
    before = list(ssp._EXTRACTED)
    t = time.perf_counter()
    status, _, stderr = validate(str(path))
    assert time.perf_counter() - t < 5.0
    assert status == 2 and one_line_error(path, stderr) == (
        f"{path}: its members would take {unpacked(path)} MiB extracted, above the limit of 512 MiB of an SSP "
        "package (a zip bomb?)")
    assert ssp._EXTRACTED == before  # nothing written
    assert ssp.MAX_EXTRACTED_BYTES == 512 * 2**20 and ssp.MAX_MEMBERS == 10_000


def test_sizes_are_counted_while_extracting(tmp_path, hand_fmus, monkeypatch):
    """Headers that lie (here: a header check that lets everything through) meet the count of the
    bytes written, which stops at the limit."""
    path = hand_package(tmp_path / "bomb.ssp", hand_fmus)
    with zipfile.ZipFile(path, "a") as zf:
        zeros_member(zf, "resources/zeros.bin", 64)
    monkeypatch.setattr(ssp, "MAX_EXTRACTED_BYTES", 16 * 2**20)
    monkeypatch.setattr(ssp, "_check_sizes", lambda *args, **kw: 0)
    before = len(ssp._EXTRACTED)
    status, _, stderr = validate(str(path))
    assert status == 2 and one_line_error(path, stderr) == (
        f"{path}: its members take more than 16 MiB extracted, more than its headers declare (a zip bomb?)")
    (tmp,) = ssp._EXTRACTED[before:]
    written = sum(f.stat().st_size for f in Path(tmp).rglob("*") if f.is_file())
    assert written <= 16 * 2**20


def patch_central_size(path: Path, member: str, size: int) -> None:
    """Make the zip's central directory say ``member`` holds ``size`` bytes uncompressed."""
    data = bytearray(path.read_bytes())
    name = member.encode()
    i = data.rfind(b"PK\x01\x02", 0, data.rfind(name))
    assert data[i + 46:i + 46 + len(name)] == name
    struct.pack_into("<I", data, i + 24, size)
    path.write_bytes(bytes(data))


def test_lying_headers_are_one_line_errors(tmp_path, hand_fmus):
    path = hand_package(tmp_path / "small.ssp", hand_fmus)
    with zipfile.ZipFile(path, "a") as zf:
        zf.writestr("resources/zeros.bin", bytes(2**20), zipfile.ZIP_DEFLATED)
    patch_central_size(path, "resources/zeros.bin", 1000)  # says 1000 bytes, holds 1 MiB
    status, _, stderr = validate(str(path))
    assert status == 2 and one_line_error(path, stderr) == (
        f"{path}: cannot extract 'resources/zeros.bin' from the package: Bad CRC-32 for file 'resources/zeros.bin'")
    patch_central_size(path, "resources/zeros.bin", 2**32 - 1)  # says 4 GiB
    status, _, stderr = validate(str(path))
    assert status == 2 and "its members would take 4" in one_line_error(path, stderr)


def test_too_many_members(tmp_path, hand_fmus):
    path = hand_package(tmp_path / "many.ssp", hand_fmus)
    with zipfile.ZipFile(path, "a") as zf:
        for i in range(ssp.MAX_MEMBERS):
            zf.writestr(f"junk/{i}", b"")
    status, _, stderr = validate(str(path))
    assert status == 2 and one_line_error(path, stderr) == (
        f"{path}: {ssp.MAX_MEMBERS + 8} members in the zip, above the limit of 10000")  # + SSD, .ssv, 6 FMUs


def test_a_zip_bomb_fmu_is_refused_before_fmpy_reads_it(tmp_path, hand_fmus, monkeypatch):
    """An FMU is extracted whole by fmpy: its headers are checked too (the FMUs together)."""
    monkeypatch.setattr(ssp, "MAX_EXTRACTED_BYTES", 16 * 2**20)
    bomb = tmp_path / "fmus" / "Constant.fmu"
    bomb.parent.mkdir()
    shutil.copy(hand_fmus["Constant"], bomb)
    with zipfile.ZipFile(bomb, "a") as zf:
        zeros_member(zf, "resources/zeros.bin", 64)
    path = hand_package(tmp_path / "bomb.ssp", dict(hand_fmus, Constant=bomb))
    status, _, stderr = validate(str(path))
    msg = one_line_error(path, stderr)
    assert status == 2 and msg.startswith(f"{path}: SystemStructure.ssd: line ")
    assert msg.endswith(f"<Component name='src'>: source 'resources/Constant.fmu': its members would take "
                        f"{unpacked(bomb)} MiB extracted, above the limit of 16 MiB of the FMUs of an SSP together "
                        "(a zip bomb?)"), msg


# =============================================================================================
# fuzz
# =============================================================================================
SEED = 20260611
N_MUTANTS = 360
TIMEOUT = 30  # s, each mutant

ODD = ["nan", "NaN", "inf", "-inf", "+Infinity", "1e308", "-1e308", "1e309", "1e-320", "-1", "0", "-0.0", "",
       " ", "x", "9" * 400, "2147483648", "-2147483649", "4294967296", "0.05", "1e-12", "1e12", "true", "false",
       "2", "1.5", "K", "degC", "kW", "bar", "furlong", "m/s/s", "kg.m2.s-3", "1/0", "resources/nope.fmu",
       "../outside.fmu", "/etc/passwd", "C:/x.fmu", "http://example.com/x.fmu", "file:///etc/passwd",
       "resources/Motor.fmu", "resources/Constant.fmu", "resources/motor.ssv", "parameters/src.ssv",
       "SystemStructure.ssd", "resources", "input", "output", "parameter", "local", "calculatedParameter", "inout",
       "jacobi", "gauss-seidel", "motor", "shaft", "lag", "integ", "src", "a", "speed", "torque", "p", "y", "u",
       "com.opensimulationplatform", "org.cryocosim", "application/x-fmu-sharedlibrary",
       "application/x-ssp-parameter-set", "ModelExchange", "CoSimulation", "SSD", "\u00e9\u4e2d\u0000"[:2],
       "a b", "a.b", "1.0", "2.0", "0.5", "%00", "%2e%2e/x"]
COUNTS = [1, 1, 1, 1, 1, 2, 2, 3]  # mutations per mutant: mostly one, so that a mutant reaches the later checks
NUMBERS = ["nan", "NaN", "inf", "-inf", "+Infinity", "1e308", "-1e308", "1e309", "-1e309", "1e-320", "-1", "0",
           "-0.0", "", " ", "9" * 400, "2147483648", "-2147483649", "4294967296", "1.5", "1e12", "0.5", "3", "x"]
KEYS = ["name", "source", "type", "kind", "unit", "value", "factor", "offset", "startElement", "startConnector",
        "endElement", "endConnector", "suppressUnitConversion", "stopTime", "startTime", "baseStepSize", "prefix",
        "version", "implementation", "sourceBase", "ordering", "outputInterval", "K", "kg", "s", "description"]
TAGS = ["Component", "Connector", "Connection", "Connections", "Elements", "System", "Real", "Integer", "Boolean",
        "String", "Enumeration", "Binary", "ParameterBindings", "ParameterBinding", "ParameterValues",
        "ParameterSet", "Parameters", "Parameter", "ParameterMapping", "Units", "Unit", "BaseUnit",
        "LinearTransformation", "IntegerMappingTransformation", "DefaultExperiment", "Annotations", "Annotation",
        "StepSizeHint", "Algorithm", "FixedStepAlgorithm", "Run", "SignalDictionary", "Foo"]
SPACES = [ssp.NS["ssd"], ssp.NS["ssc"], ssp.NS["ssv"], ssp.NS["osp"], ssp.NS["cc"], ""]


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def mutate_xml(rng: random.Random, data: bytes) -> bytes:
    """1-3 mutations of an XML file's elements and attributes; now and then its text cut short,
    a stray character, or bytes overwritten."""
    for prefix, uri in ssp.NS.items():
        ET.register_namespace(prefix, uri)
    try:
        root = ET.fromstring(data)
    except ET.ParseError:
        root = None  # broken by an earlier mutation: its text then
    if root is None or rng.random() < 0.12:
        k = rng.randrange(len(data) + 1)
        op = rng.random()
        if op < 0.4:
            return data[:k]
        if op < 0.7:
            return data[:k] + rng.choice([b"<", b">", b"&", b'"', b"\x00", b"\xff", b"]]>", b"<!--"]) + data[k:]
        return data[:k] + bytes(rng.randrange(256) for _ in range(rng.randint(1, 8))) + data[k + 8:]
    for _ in range(rng.choice(COUNTS)):
        parents = {c: p for p in root.iter() for c in p}
        elements = list(root.iter())
        el = rng.choice(elements)
        numeric = [(e, k) for e in elements for k, v in e.attrib.items() if _number(v)]
        op = rng.random()
        if op < 0.3 and numeric:                          # a number made odd: NaN, infinite, huge...
            e, key = rng.choice(numeric)
            e.set(key, rng.choice(NUMBERS))
        elif op < 0.4 and el.attrib:                      # any attribute value made odd
            el.set(rng.choice(list(el.attrib)), rng.choice(ODD))
        elif op < 0.48:                                   # a linear transformation on a connection
            conn = [e for e in elements if e.tag.endswith("}Connection")] or elements
            attrib = {key: rng.choice(NUMBERS) for key in ("factor", "offset") if rng.random() < 0.7}
            if rng.random() < 0.5:
                attrib["suppressUnitConversion"] = "true"
            ET.SubElement(rng.choice(conn), f"{{{ssp.NS['ssc']}}}LinearTransformation", attrib)
        elif op < 0.55 and el.attrib:                     # an attribute removed
            del el.attrib[rng.choice(list(el.attrib))]
        elif op < 0.62:                                   # an attribute added
            el.set(rng.choice(KEYS), rng.choice(ODD))
        elif op < 0.7:                                    # the element renamed
            ns = rng.choice(SPACES)
            el.tag = f"{{{ns}}}{rng.choice(TAGS)}" if ns else rng.choice(TAGS)
        elif op < 0.8 and el in parents:                  # deleted
            parents[el].remove(el)
        elif op < 0.88 and el in parents:                 # duplicated
            parent = parents[el]
            parent.insert(list(parent).index(el), copy.deepcopy(el))
        elif op < 0.94:                                   # a copy moved elsewhere
            rng.choice(elements).append(copy.deepcopy(el))
        else:                                             # text
            el.text = rng.choice(ODD)
    return ET.tostring(root, encoding="UTF-8", xml_declaration=True)


def mutate_members(rng: random.Random, members: list[tuple[str, bytes]], xml_only=False) -> list[tuple[str, bytes]]:
    """The package's members with XML files mutated, or (unless ``xml_only``) members renamed,
    dropped, duplicated, replaced or cut short."""
    members = list(members)
    xml = [i for i, (n, _) in enumerate(members) if n.endswith((".ssd", ".ssv"))]
    ssd = [n for n, _ in members].index(ssp.SSD_NAME)
    for _ in range(rng.choice(COUNTS)):
        op = 0.0 if xml_only else rng.random()
        if op < 0.5:                                      # the SSD (mostly) or a .ssv
            i = ssd if rng.random() < 0.6 else rng.choice(xml)
            members[i] = (members[i][0], mutate_xml(rng, members[i][1]))
        elif op < 0.65:                                   # a wrong member name
            i = rng.randrange(len(members))
            name = members[i][0]
            members[i] = (rng.choice([name.lower(), name.upper(), name + "x", "x/" + name, name + "/", "../" + name,
                                      "/" + name, "C:" + name, "", ".", "resources/", name.replace("/", "\\"),
                                      "resources/../" + name]), members[i][1])
        elif op < 0.75:                                   # dropped
            del members[rng.randrange(len(members))]
        elif op < 0.82:                                   # duplicated, other content
            name, data = rng.choice(members)
            members.append((name, rng.choice([b"", b"junk", data[: len(data) // 2]])))
        elif op < 0.92:                                   # replaced by random bytes
            i = rng.randrange(len(members))
            members[i] = (members[i][0], rng.randbytes(rng.choice([0, 1, 22, 100, 5000])))
        else:                                             # cut short
            i = rng.randrange(len(members))
            members[i] = (members[i][0], members[i][1][: rng.randrange(len(members[i][1]) + 1)])
    return members


def package_bytes(members: list[tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(buf, "w") as zf:
        warnings.simplefilter("ignore")  # duplicate names
        for name, data in members:
            info = zipfile.ZipInfo(name, (2024, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_STORED if name.endswith(".fmu") else zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return buf.getvalue()


def mutate_archive(rng: random.Random, data: bytes) -> bytes:
    """The zip itself cut short, bytes overwritten (headers, data, the central directory) or junk
    around it."""
    op = rng.random()
    if op < 0.35:
        return data[: rng.randrange(len(data))]
    if op < 0.8:
        data = bytearray(data)
        end = data.rfind(b"PK\x05\x06")
        for _ in range(rng.randint(1, 12)):
            # near the end (the central directory) half of the time
            k = rng.randrange(max(0, end - 3000), len(data)) if rng.random() < 0.5 else rng.randrange(len(data))
            data[k] = rng.randrange(256)
        return bytes(data)
    if op < 0.9:
        return rng.randbytes(rng.randrange(1, 300)) + data
    return data + rng.randbytes(rng.randrange(1, 300))


def read_members(path: Path) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(path) as zf:
        return [(info.filename, zf.read(info)) for info in zf.infolist()]


@dataclass
class Seed:
    name: str
    members: list[tuple[str, bytes]]
    fmus: Path             # its FMUs, unpacked once (the folder mutants link to them)
    zips: float            # the share of its mutants written as packages (the rest: unpacked folders)


@pytest.fixture(scope="module")
def seeds(tmp_path_factory, cooldown_ssp, hand_fmus) -> list[Seed]:
    """The packages mutated: the exported cool-down and hand-written SSDs over small FMUs."""
    tmp = tmp_path_factory.mktemp("seeds")
    packages = [("cooldown", cooldown_ssp, 0.25),
                ("hand", write_package(tmp / "hand.ssp", hand_fmus), 0.35),
                ("unitless", write_package(tmp / "unitless.ssp", {k: hand_fmus[k] for k in ("Constant", "Oscillator")},
                                           UNITLESS_SSD.replace("CONNECTOR_UNIT", 'unit="kW"'), None), 0.6)]
    try:
        from test_third_party_fmus import build_c_fmus

        packages.append(("ctypes", write_package(tmp / "ctypes.ssp", build_c_fmus(tmp, ["CTypes"]), CFMU_SSD, None), 1.0))
    except pytest.skip.Exception:
        pass  # no C compiler
    out = []
    for name, path, zips in packages:
        members = read_members(path)
        for member, data in members:
            if member.endswith(".fmu"):
                (tmp / name / member).parent.mkdir(parents=True, exist_ok=True)
                (tmp / name / member).write_bytes(data)
        out.append(Seed(name, members, tmp / name, zips))
    return out


def test_unmutated_seeds_validate(seeds, tmp_path):
    for seed in seeds:
        path = tmp_path / f"{seed.name}.ssp"
        path.write_bytes(package_bytes(seed.members))
        status, _, stderr = validate(str(path))
        assert status == 0, stderr


class _Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise _Timeout()


def _clean_extracted(ssp_before: int, fmu_before: int) -> None:
    """Remove what validating one mutant extracted (else /tmp fills up until exit)."""
    from cryocosim.fmi import fmu_actor

    for folder in ssp._EXTRACTED[ssp_before:] + fmu_actor._EXTRACTED[fmu_before:]:
        shutil.rmtree(folder, ignore_errors=True)
    del ssp._EXTRACTED[ssp_before:], fmu_actor._EXTRACTED[fmu_before:]


def make_mutants(seeds: list[Seed], folder: Path, n: int) -> list[Path]:
    """``n`` mutants: packages (``.ssp``; the archive mutated, or its members) or, to keep the
    time down, unpacked folders of mutated XML whose FMUs link to the seed's (fmpy extracts each
    FMU of a new package: 0.3 s for the cool-down's nine; a folder's are read once)."""
    rng = random.Random(SEED)
    paths = []
    for i in range(n):
        seed = seeds[i % len(seeds)]
        if rng.random() < seed.zips:
            path = folder / f"mutant_{i:04d}_{seed.name}.ssp"
            if rng.random() < 0.4:
                path.write_bytes(mutate_archive(rng, package_bytes(seed.members)))
            else:
                path.write_bytes(package_bytes(mutate_members(rng, seed.members)))
        else:
            path = folder / f"mutant_{i:04d}_{seed.name}"
            for name, data in mutate_members(rng, seed.members, xml_only=True):
                (path / name).parent.mkdir(parents=True, exist_ok=True)
                if name.endswith(".fmu"):
                    (path / name).symlink_to(seed.fmus / name)
                else:
                    (path / name).write_bytes(data)
            if rng.random() < 0.2:
                path = path / ssp.SSD_NAME  # the .ssd file itself
        paths.append(path)
    return paths


def test_ssp_mutants_validate_or_fail_with_one_line(seeds, tmp_path):
    """At least 300 mutants through ``cryocosim validate`` (in-process, a timeout each): exit
    status 0 or 2, no traceback, an error is one line naming the mutant."""
    from cryocosim.fmi import fmu_actor

    mutants = make_mutants(seeds, tmp_path, N_MUTANTS)
    outcomes = {0: 0, 2: 0}
    escaped = []
    old_handler = signal.signal(signal.SIGALRM, _alarm)
    try:
        for path in mutants:
            before = len(ssp._EXTRACTED), len(fmu_actor._EXTRACTED)
            signal.alarm(TIMEOUT)
            try:
                status, _, stderr = validate(str(path))
            except _Timeout:
                escaped.append(f"{path.name}: no answer in {TIMEOUT} s")
                continue
            except Exception as exc:  # noqa: BLE001 - exactly what the test looks for
                escaped.append(f"{path.name}: {type(exc).__name__}: {exc}")
                continue
            finally:
                signal.alarm(0)
                _clean_extracted(*before)
            errors = [line for line in stderr.splitlines() if not line.startswith("cryocosim: warning: ")]
            if status not in outcomes or "Traceback" in stderr:
                escaped.append(f"{path.name}: exit status {status}: {stderr[-2000:]}")
            elif status == 2 and not (len(errors) == 1 and errors[0].startswith(f"cryocosim: error: {path}")):
                escaped.append(f"{path.name}: not one line naming the file: {errors}")
            else:
                outcomes[status] += 1
            if path.name == ssp.SSD_NAME:
                path = path.parent
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()
    finally:
        signal.signal(signal.SIGALRM, old_handler)
    assert not escaped, f"{len(escaped)} of {len(mutants)} mutants escaped:\n" + "\n".join(escaped[:25])
    assert outcomes[2] > len(mutants) // 2 and outcomes[0] > 0, outcomes


def test_cli_validate_ssp_mutants_in_a_subprocess(seeds, tmp_path):
    """A sample end to end: one ``cryocosim validate`` process, one line per file."""
    sample = make_mutants(seeds, tmp_path, 60)[::5]
    env = dict(os.environ, PYTHONPATH=str(TESTS))
    r = subprocess.run([sys.executable, "-m", "cryocosim", "validate", *map(str, sample)],
                       capture_output=True, text=True, env=env, timeout=300)
    assert "Traceback" not in r.stderr and "Traceback" not in r.stdout
    errors = [line for line in r.stderr.splitlines() if not line.startswith("cryocosim: warning: ")]
    assert all(line.startswith("cryocosim: error: ") for line in errors), errors
    valid = [line for line in r.stdout.splitlines() if ": valid (" in line]
    assert len(errors) + len(valid) == len(sample)
    assert r.returncode == (2 if errors else 0)
