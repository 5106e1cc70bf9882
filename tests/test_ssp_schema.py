"""SSP files against the SSP 1.0 XML schemas (cryocosim.ssp.schema), and the package's reading.

* Every SSD and parameter set cryocosim reads is checked against the schemas fmpy ships: an
  unknown element inside ``<ssd:Connections>`` (accepted before) and a ``.ssv`` that breaks its
  schema are refused by ``cryocosim validate`` and ``cryocosim run`` in one line naming the file,
  the line and the element (exit status 2, no traceback); so is an inline parameter set.
* Where the reader has a message of its own for what also breaks the schema (a factor 'nan', an
  Integer beyond 32 bits: tests/test_ssp_safety.py), its message is the error.
* A file of version 2.x (SSP 2.0, same namespaces) is read as before, with a warning that it was not
  checked; a 1.x version is checked.
* What the exporter writes is valid: the SSPs of every shipped scenario, with the parameter sets in
  ``.ssv`` files and inline.
* The schemas are loaded at the first SSP read only (validating a scenario never loads them).
* Lines are those where the start tags begin (lxml notes where they end), also for a start tag
  written over several lines.
"""
from __future__ import annotations

import os
import subprocess
import sys
import warnings
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from cryocosim import ConfigurationError, scenario, ssp
from cryocosim.errors import CryocosimWarning
from cryocosim.fmi.export import fmu_cache
from cryocosim.ssp import schema
from cryocosim.ssp.read import read
from engine_actors import Constant, Integrator, Oscillator, Valve
from fmi_fixture_actor import FirstOrderLag, Mixed
from test_ssp import DEFAULT_STEP, HAND_SSD, SRC_SSV, write_package

ROOT = Path(__file__).resolve().parents[1]
TESTS = Path(__file__).parent
SCENARIOS = sorted((ROOT / "scenarios").glob("*.toml"))
NS_SSV = ssp.NS["ssv"]


# pythonfmu prepends the FMU's resources/ folder to sys.path at every instantiation: every test
# here restores it (conftest.keep_sys_path)
pytestmark = pytest.mark.usefixtures("keep_sys_path")


@pytest.fixture(scope="module")
def hand_fmus(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("hand_fmus")
    return {cls.__name__: fmu_cache(cls, d) for cls in (FirstOrderLag, Mixed, Constant, Integrator, Valve, Oscillator)}


def edited(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


def line_of(text: str, needle: str) -> int:
    """The line of ``text`` (1-based) holding ``needle``, which appears once."""
    assert text.count(needle) == 1, needle
    return text[:text.index(needle)].count("\n") + 1


def cli(*args, cwd=None) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(TESTS))
    return subprocess.run([sys.executable, "-m", "cryocosim", *map(str, args)], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=300)


def one_error(result: subprocess.CompletedProcess) -> str:
    """The one error line of a command that failed with exit status 2 (warnings aside)."""
    lines = [line for line in result.stderr.splitlines() if not line.startswith("cryocosim: warning: ")]
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert len(lines) == 1 and lines[0].startswith("cryocosim: error: "), result.stderr
    return lines[0][len("cryocosim: error: "):]


# =============================================================================================
# files that break the schemas
# =============================================================================================
# an element the SSD schema does not allow inside <ssd:Connections>: the reader itself reads only
# the <ssd:Connection> elements there, and used to accept it
UNKNOWN = '<ssd:Connections>\n      <ssd:Wire startElement="src" endElement="integ"/>'


def test_unknown_element_in_connections_is_refused_by_validate_and_run(tmp_path, hand_fmus):
    ssd = edited(HAND_SSD, "<ssd:Connections>", UNKNOWN)
    package = write_package(tmp_path / "wire.ssp", hand_fmus, ssd)
    line = line_of(ssd, "<ssd:Wire ")
    want = (f"{package}: SystemStructure.ssd: line {line}: <Wire>: not valid SSP 1.0 "
            "(SystemStructureDescription.xsd): This element is not expected. Expected is ( ssd:Connection ).")
    assert one_error(cli("validate", package)) == want
    assert one_error(cli("run", package, "-q", "--step", DEFAULT_STEP, "-o", tmp_path / "r.nc")) == want
    assert not (tmp_path / "r.nc").exists()
    # the same file without it validates (the error is the schema's, not the reader's)
    good = write_package(tmp_path / "good.ssp", hand_fmus)
    assert cli("validate", good).returncode == 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CryocosimWarning)
        with pytest.raises(ConfigurationError) as info:
            ssp.load(package, default_step=DEFAULT_STEP)
    assert str(info.value) == want


def test_ssv_file_that_breaks_its_schema_is_refused(tmp_path, hand_fmus):
    """An element the SSV schema does not allow (the reader reads only <ssv:Parameter> there), and
    an inline parameter set that breaks it."""
    ssv = edited(SRC_SSV, "</ssv:Parameters>", '  <ssv:Comment text="kW"/>\n  </ssv:Parameters>')
    package = write_package(tmp_path / "ssv.ssp", hand_fmus, HAND_SSD, ssv)
    want = (f"{package}: parameters/src.ssv: line {line_of(ssv, '<ssv:Comment')}: <Comment>: not valid SSP 1.0 "
            "(SystemStructureParameterValues.xsd): This element is not expected. Expected is ( ssv:Parameter ).")
    assert one_error(cli("validate", package)) == want
    assert one_error(cli("run", package, "-q", "--step", DEFAULT_STEP, "-o", tmp_path / "r.nc")) == want
    # inline, in the SSD: an attribute the schema does not know on a parameter
    ssd = edited(HAND_SSD, '<ssv:Parameter name="gain">', '<ssv:Parameter name="gain" colour="red">')
    package = write_package(tmp_path / "inline.ssp", hand_fmus, ssd)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CryocosimWarning)
        with pytest.raises(ConfigurationError) as info:
            ssp.load(package, default_step=DEFAULT_STEP)
    assert str(info.value) == (
        f"{package}: SystemStructure.ssd: line {line_of(ssd, 'colour=')}: <Parameter name='gain'>: not valid "
        "SSP 1.0 (SystemStructureParameterValues.xsd): The attribute 'colour' is not allowed.")


def test_the_readers_own_message_comes_before_the_schemas(tmp_path, hand_fmus):
    """factor="NaN" is a valid xs:double, "nan" is not: both are refused with the reader's words."""
    for text in ("NaN", "nan"):
        ssd = edited(HAND_SSD, 'factor="0.5"', f'factor="{text}"')
        package = write_package(tmp_path / f"{text}.ssp", hand_fmus, ssd)
        with pytest.raises(ConfigurationError) as info:
            ssp.load(package, default_step=DEFAULT_STEP)
        assert str(info.value).endswith(f"<LinearTransformation> factor={text!r} is not a finite number")


def test_versions(tmp_path, hand_fmus):
    """1.x is checked against the SSP 1.0 schema (its pattern takes any 1.x); 2.x (SSP 2.0) is read
    unchecked, with a warning; others are refused by the reader, as before."""
    head = '<ssd:SystemStructureDescription version="1.0" name="handmade"'
    for version in ("1.1", "2.0"):
        ssd = edited(edited(HAND_SSD, head, head.replace("1.0", version)), "<ssd:Connections>", UNKNOWN)
        package = write_package(tmp_path / f"v{version}.ssp", hand_fmus, ssd)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", CryocosimWarning)
            if version == "1.1":
                with pytest.raises(ConfigurationError, match="<Wire>: not valid SSP 1.0"):
                    ssp.load(package, default_step=DEFAULT_STEP)
            else:
                system, _ = ssp.load(package, default_step=DEFAULT_STEP)
                assert len(system.bus.links) == 4
        checked = [str(w.message) for w in caught if "not checked against a schema" in str(w.message)]
        assert checked == ([] if version == "1.1" else [
            f"{package}: SystemStructure.ssd: line 2: <SystemStructureDescription name='handmade'>: version '2.0': "
            "not checked against a schema (cryocosim has the SSP 1.0 schemas; the file is read as SSP 1.0)"])
    package = write_package(tmp_path / "v3.ssp", hand_fmus, edited(HAND_SSD, head, head.replace("1.0", "3.0")))
    with pytest.raises(ConfigurationError, match="version '3.0': only SSP 1.0 system structures are read"):
        ssp.load(package)
    # the schema requires a version
    no_version = edited(HAND_SSD, head, head.replace(' version="1.0"', ""))
    package = write_package(tmp_path / "none.ssp", hand_fmus, no_version)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CryocosimWarning)
        with pytest.raises(ConfigurationError, match="line 2: <SystemStructureDescription name='handmade'>: not valid "
                                                     "SSP 1.0 .*The attribute 'version' is required but missing."):
            ssp.load(package, default_step=DEFAULT_STEP)


def test_lines_are_where_start_tags_begin(tmp_path, hand_fmus):
    """Connection #2 of HAND_SSD is written over two lines: its errors name the first (as before
    lxml, whose own line is the last)."""
    ssd = edited(HAND_SSD, 'endElement="integ" endConnector="u"\n', 'endElement="integ9" endConnector="u"\n')
    package = write_package(tmp_path / "lines.ssp", hand_fmus, ssd)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CryocosimWarning)
        with pytest.raises(ConfigurationError) as info:
            ssp.load(package, default_step=DEFAULT_STEP)
    line = line_of(ssd, '<ssd:Connection startElement="lag"')
    assert str(info.value).startswith(f"{package}: SystemStructure.ssd: line {line}: <Connection> #2 "
                                      "(lag.y -> integ9.u): endElement 'integ9' is not a component")
    # and a schema error on a start tag over several lines, after a comment holding a tag
    ssd = edited(HAND_SSD, "<ssd:Connections>", '<ssd:Connections>\n      <!-- <ssd:Wire/> -->\n      <ssd:Wire\n'
                                                '          startElement="src"/>')
    package = write_package(tmp_path / "lines2.ssp", hand_fmus, ssd)
    line = line_of(ssd, "<ssd:Wire\n")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CryocosimWarning)
        with pytest.raises(ConfigurationError, match=rf"SystemStructure.ssd: line {line}: <Wire>: "):
            ssp.load(package, default_step=DEFAULT_STEP)


# =============================================================================================
# what the exporter writes is valid
# =============================================================================================
@pytest.fixture(scope="module")
def schemas() -> dict[str, etree.XMLSchema]:
    """The SSD and SSV schemas fmpy ships, loaded here on their own (not through cryocosim)."""
    import fmpy

    folder = Path(fmpy.__file__).parent / "ssp" / "schema"
    files = {"ssd": "SystemStructureDescription.xsd", "ssv": "SystemStructureParameterValues.xsd"}
    return {kind: etree.XMLSchema(etree.parse(str(folder / name))) for kind, name in files.items()}


def breaches(schemas, data: bytes, name: str) -> list[str]:
    """What in file ``name`` (content ``data``) breaks the schemas; inline parameter sets too."""
    root = etree.fromstring(data)
    kind = "ssd" if name.endswith(".ssd") else "ssv"
    checks = [(kind, root)] + [("ssv", ps) for ps in root.iter(f"{{{NS_SSV}}}ParameterSet") if ps is not root]
    out = []
    for kind, el in checks:
        if not schemas[kind].validate(el):
            out += [f"{name}: line {e.line}: {e.message}" for e in schemas[kind].error_log]
    return out


@pytest.fixture(scope="module")
def fmu_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fmus")


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_exported_ssps_of_the_shipped_scenarios_are_valid(path, tmp_path, schemas, fmu_dir):
    system, settings = scenario.load(path)
    for inline in (False, True):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", CryocosimWarning)  # events and adaptive steps are not carried
            package = ssp.export_system(system, tmp_path / f"{path.stem}_{inline}.ssp", settings, stop_time=1.0,
                                        fmu_dir=fmu_dir, inline_parameters=inline)
        with zipfile.ZipFile(package) as zf:
            files = {n: zf.read(n) for n in zf.namelist() if n.endswith((".ssd", ".ssv"))}
        assert ssp.SSD_NAME in files and (inline or len(files) > 1)
        assert [b for name, data in files.items() for b in breaches(schemas, data, name)] == []
        # and cryocosim's own check finds nothing either
        description = read(package, str(package))
        assert len(description.documents) == len(system.params) - list(system.params.values()).count({}) + 1
        assert schema.first_error(description.documents) is None


# =============================================================================================
# the schemas are loaded at the first SSP read, not before
# =============================================================================================
def test_schemas_load_at_the_first_ssp_read_only(tmp_path, hand_fmus):
    package = write_package(tmp_path / "hand.ssp", hand_fmus)
    code = (
        "import sys, warnings; warnings.simplefilter('ignore')\n"
        "from cryocosim import cli\n"
        "from cryocosim.ssp import schema\n"
        f"assert cli.main(['validate', {str(ROOT / 'scenarios/screw_brayton_cooldown.toml')!r}]) == 0\n"
        "assert schema._SCHEMAS == {}, 'a scenario loaded the SSP schemas'\n"
        f"assert cli.main(['validate', {str(package)!r}]) == 0\n"
        "assert sorted(schema._SCHEMAS) == ['ssd', 'ssv']\n"
        "print('ok')\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                       env=dict(os.environ, PYTHONPATH=str(TESTS)))
    assert r.returncode == 0 and r.stdout.strip().endswith("ok"), r.stderr
