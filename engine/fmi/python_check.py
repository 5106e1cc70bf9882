"""The Python runtime of an exported FMU: where it is, and whether it can run the model.

Shipped in every FMU as ``resources/python_check.py`` and used by its native launcher
(``binaries/linux64/<Model>.so``, from ``launcher.c``) when a master without Python loads the FMU:

* ``python resources/python_check.py --describe`` prints the lines of a ``python.cfg`` for the
  interpreter that runs it: its version, executable, shared library (``libpython3.X.so``), home
  (``sys.base_prefix``) and site-packages folders.  The launcher runs it on the interpreter that
  ``CRYOCOSIM_PYTHON`` names; the exporter writes the exporting interpreter's facts into the FMU's
  ``resources/python.cfg`` with :func:`describe`; a user can write a ``python.cfg`` for another
  machine with it.
* :func:`problem` runs inside the interpreter the launcher has just started: it names the
  requirements of ``resources/requirements.txt`` that are missing or too old (``None`` when none).

The standard library only, and syntax that old interpreters still parse, so that pointing the FMU
at a wrong Python gives a message rather than a traceback.
"""
import os
import sys

#: the name of the file (in the FMU's resources/) that records the Python runtime
CONFIG_NAME = "python.cfg"


def _shared_library():
    """The interpreter's shared libpython, or '' if it has none."""
    import sysconfig

    names = [sysconfig.get_config_var(k) for k in ("INSTSONAME", "LDLIBRARY")]
    names.append("libpython%d.%d.so.1.0" % sys.version_info[:2])
    folders = [sysconfig.get_config_var(k) for k in ("LIBDIR", "LIBPL")]
    folders.append(os.path.join(sys.base_prefix, "lib"))
    multiarch = sysconfig.get_config_var("MULTIARCH")
    if multiarch:
        folders.append(os.path.join("/usr/lib", multiarch))
    for folder in folders:
        for name in names:
            if folder and name and ".so" in name:
                path = os.path.join(folder, name)
                if os.path.isfile(path):
                    return os.path.realpath(path)
    return ""


def _site_folders():
    import site

    folders = list(site.getsitepackages()) if hasattr(site, "getsitepackages") else []
    user = getattr(site, "ENABLE_USER_SITE", False) and site.getusersitepackages()
    if user and os.path.isdir(user):
        folders.append(user)
    return [f for f in folders if os.path.isdir(f)]


def describe():
    """``python.cfg`` lines (key = value) describing the interpreter that runs this."""
    lines = ["version = %d.%d" % sys.version_info[:2],
             "executable = %s" % sys.executable,
             "library = %s" % _shared_library(),
             "home = %s" % getattr(sys, "base_prefix", sys.prefix)]
    lines += ["site = %s" % folder for folder in _site_folders()]
    return lines


def _version_tuple(text):
    parts = []
    for piece in text.split("."):
        digits = ""
        for ch in piece:
            if not ch.isdigit():
                break
            digits += ch
        if not digits:
            break
        parts.append(int(digits))
        if len(digits) < len(piece):
            break
    return tuple(parts)


def requirements(resources):
    """(distribution, lower bound or '') of the FMU's requirements.txt."""
    found = []
    path = os.path.join(resources, "requirements.txt")
    if not os.path.isfile(path):
        return found
    with open(path) as f:
        for line in f:
            line = line.split("#", 1)[0].split(";", 1)[0].strip()
            if not line:
                continue
            name, _, bound = line.partition(">=")
            found.append((name.strip(), bound.split(",")[0].strip()))
    return found


def problem(resources):
    """None when this interpreter has the FMU's requirements, else a message naming what lacks."""
    from importlib import metadata

    lacking = []
    for name, bound in requirements(resources):
        requirement = name + (">=" + bound if bound else "")
        try:
            have = metadata.version(name)
        except metadata.PackageNotFoundError:
            lacking.append("%s (not installed)" % requirement)
            continue
        if bound and _version_tuple(have) < _version_tuple(bound):
            lacking.append("%s (%s installed)" % (requirement, have))
    if not lacking:
        return None
    where = sys.executable or getattr(sys, "base_prefix", sys.prefix)
    return ("the Python %s at %s lacks %s (python -m pip install -r resources/requirements.txt there)"
            % (sys.version.split()[0], where, ", ".join(lacking)))


if __name__ == "__main__":
    if sys.argv[1:] == ["--describe"]:
        print("\n".join(describe()))
    else:
        sys.stderr.write("usage: python python_check.py --describe\n")
        sys.exit(2)
