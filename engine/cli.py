"""Command line: ``cryocosim run | sweep | validate | describe | export | export-system``.

``run`` and ``validate`` take a TOML scenario or an SSP system (an ``.ssp`` package, a folder
holding ``SystemStructure.ssd``, or the ``.ssd`` file: :mod:`cryocosim.ssp`); ``export-system``
writes a scenario as an SSP package.

Errors the user can act on print one line (``cryocosim: error: ...``) on stderr and exit with
status 2 (bad input: a scenario, an option, a path — found before the run starts), 1 (a run
that failed; its results up to the failure are on disk) or 130 (interrupted).
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .errors import ConfigurationError, CryocosimError


def _parse_sets(items: list[str] | None) -> dict[str, str]:
    """``--set actor.parameter=value`` -> ``{"actor.parameter": "value"}``.

    The value stays text: the actor converts it for the parameter's type (a number or a
    quantity with a unit such as ``"80 W"``, a name, ``true``/``false``), and refuses NaN, infinities
    and values out of the parameter's bounds with an error naming ``--set``.
    """
    overrides: dict[str, str] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        key = key.strip()
        actor, dot, param = key.partition(".")
        if not sep or not (actor and dot and param):
            raise ConfigurationError(f"--set {item!r} must read actor.parameter=value")
        overrides[key] = value.strip()
    return overrides


def _finite_float(text: str, where: str) -> float:
    """A command-line number: a finite float, or a one-line error naming the option."""
    try:
        x = float(text)
    except ValueError:
        raise ConfigurationError(f"{where} must be a number, got {text!r}") from None
    if x != x or x in (float("inf"), float("-inf")):
        raise ConfigurationError(f"{where} must be a finite number, got {text!r}")
    return x


def _show_warning(message, category, filename, lineno, file=None, line=None):
    """Warnings of the engine as one line, like its errors."""
    print(f"cryocosim: warning: {message}", file=sys.stderr)


def _load_system(args, command: str):
    """A TOML scenario or an SSP system (``.ssp``, a folder with ``SystemStructure.ssd``, ``.ssd``)."""
    from . import ssp
    from .checks import check_step

    overrides = _parse_sets(getattr(args, "set", None))
    step = getattr(args, "step", None)
    if ssp.is_ssp(args.scenario):
        from . import trust

        default_step = check_step(step, "--step") if step is not None else None
        system, settings = ssp.load(args.scenario, overrides, "--set", default_step=default_step)
        trust.announce(trust.fmus_of(system), f"{command} {args.scenario}")  # before any FMU runs
        return system, settings
    if step is not None:
        raise ConfigurationError(f"--step applies to SSP systems only ({command} {args.scenario}: "
                                 "a scenario gives every actor's step)")
    from . import scenario

    # external model modules and FMUs named in one line before any of them is imported
    return scenario.load(args.scenario, overrides, "--set", announce=f"{command} {args.scenario}")


def _result_stem(path: str) -> str:
    p = Path(path)
    return p.parent.resolve().name if p.name == "SystemStructure.ssd" else p.stem


def _scenario_file(path: str) -> Path:
    """The file a run reads its system from: the scenario, the ``.ssp``/``.ssd``, or the
    ``SystemStructure.ssd`` of an SSP folder."""
    p = Path(path)
    return p / "SystemStructure.ssd" if p.is_dir() else p


def _cmd_run(args) -> int:
    from .checks import check_not_input, check_output_path, check_plot_path, check_run_length

    system, settings = _load_system(args, "run")
    _display_units(system, args.units)
    if args.stop_time is not None:
        stop = check_run_length(args.stop_time, system.steps, "--stop-time")
    elif settings.stop_time is None:  # an SSP without DefaultExperiment stopTime
        raise ConfigurationError(f"{args.scenario}: the SSD's <DefaultExperiment> gives no stopTime: "
                                 "give --stop-time")
    else:  # checked against the steps when the scenario or the SSP was read (a RunLength)
        stop = settings.stop_time
    # paths first: a bad one is one line now, not a traceback after a long run
    if args.output:
        output, where = args.output, "-o/--output"
    elif settings.output:
        output, where = settings.output, f"{args.scenario}: [run]: key 'output'"
    else:
        output, where = f"results/{_result_stem(args.scenario)}.nc", ""
    check_output_path(output, where, suffix=".lock")  # the result's lock file is written beside it
    check_not_input(output, _scenario_file(args.scenario), where)
    if args.plot:
        check_plot_path(args.plot, "--plot")
        check_not_input(args.plot, output, "--plot", "plot", "the result file")
    if args.plot:
        from .plot import plot_result  # matplotlib (about 0.7 s to import) only for --plot
    options = settings.run_options()
    if args.tolerance is not None:
        tol = _finite_float(args.tolerance, "--tolerance")
        if not 0.0 <= tol < 1.0:
            raise ConfigurationError(f"--tolerance must be 0 (fixed steps) or a relative tolerance below 1, got {args.tolerance!r}")
        options["tolerance"] = tol or None
    if args.iterate is not None:
        options["iterate"] = args.iterate
    # the file is the result: no Dataset (and no xarray import) unless a plot is asked for
    try:
        rec = system.run(stop, output=output, progress=not args.quiet, fmu=args.fmu, dataset=False, **options)
    except KeyboardInterrupt:
        _ignore_signals()
        if not _say_interrupted(output):
            print("cryocosim: interrupted", file=sys.stderr, flush=True)
        return 130
    finally:
        system.release()        # the run is over: terminate and free the FMUs now, not at exit
    _print_summary(rec, system, output, quiet=args.quiet)
    if args.plot:
        panels = settings.extra.get("plot", {}).get("panels")
        plot_result(rec.dataset(), args.plot, panels, title=system.name)
        print(f"wrote {args.plot}")
    return 0


def _display_units(system, items: list[str] | None) -> None:
    """``--units bar`` (every variable of bar's dimension), ``--units Pa=bar`` (of Pa's),
    ``--units hp.p=atm`` (one variable): display units over the scenario's ``[units]``."""
    for item in items or []:
        key, sep, display = item.partition("=")
        where = f"--units {item!r}"
        if sep:
            system.display(key.strip(), display.strip(), where=where, override=True)
        else:
            system.display(item.strip(), where=where, override=True)


def _print_summary(rec, system, output: str, quiet: bool) -> None:
    """The run's last words: where the result is and how it ended; unless ``quiet``, its
    headline outputs (final, min, max, in display units) and its events at h:mm:ss."""
    from .results import events_of
    from .summary import duration, event_lines, headline_names, summary_lines

    t_end = rec.times[-1] if rec.times else 0.0
    wall = rec.attrs.get("wall_time_s", 0.0)
    print(f"wrote {output}: {len(rec.times):,} records of {len(rec.columns)} variables, {rec.attrs['status']}; "
          f"{duration(t_end)} simulated in {wall:.1f} s")
    if quiet:
        return
    units = {name: unit for name, unit, _ in rec.columns}
    arrays = rec.arrays()
    names = headline_names(system.bus.actors, arrays)
    for line in summary_lines(arrays, units, names, getattr(rec, "display_units", None)):
        print(line)
    for line in event_lines(events_of(rec), span=t_end):
        print(line)


def _say_interrupted(output: str) -> bool:
    """Say where and when an interrupted run stopped, from its file's status (``interrupted at
    t=…``); False when the file does not tell."""
    import re

    from .summary import clock, duration

    try:
        import netCDF4

        with netCDF4.Dataset(output) as nc:
            status = str(nc.getncattr("status"))
    except Exception:  # noqa: BLE001 - the file could not be read: say less
        status = ""
    m = re.match(r"interrupted at t=([^ ]+) s", status)
    if m:
        t = float(m.group(1))
        print(f"cryocosim: interrupted at t = {clock(t)} ({duration(t)}), results to then in {output}",
              file=sys.stderr, flush=True)
        return True
    return False


def _ignore_signals() -> None:
    """After an interrupted run, a further Ctrl-C or SIGTERM must not turn the exit status 130
    into death by that signal (the file is closed already)."""
    import signal

    try:
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, signal.SIG_IGN)
    except ValueError:  # not the main thread: not ours to change
        pass


def _open_result(path: str, what: str = "result"):
    """A result file as an xarray Dataset (loaded: the file is closed again), or one line."""
    import xarray as xr

    p = Path(path)
    if not p.is_file():
        raise ConfigurationError(f"{path}: no such {what} file" if not p.exists() else f"{path}: not a file")
    try:
        with xr.open_dataset(p) as ds:
            return ds.load()
    except Exception as exc:  # noqa: BLE001 - whatever the NetCDF layer says, in one line
        raise ConfigurationError(f"{path}: not a readable result (NetCDF) file: {type(exc).__name__}: "
                                 f"{' '.join(str(exc).split())[:200]}") from None


def _panels_for(ds, names: list[str] | None, where: str):
    from .plot import default_panels, scenario_panels

    if not names:
        return scenario_panels(ds) or default_panels(ds)
    missing = [n for n in names if n not in ds]
    if missing:
        known = ", ".join(sorted(ds.data_vars)[:12])
        raise ConfigurationError(f"{where}: --var {missing[0]!r} is not in the result (its variables: {known}, ...)")
    return default_panels(ds, max_panels=len(names), names=names)


def _cmd_plot(args) -> int:
    from .checks import check_not_input, check_plot_path

    out = args.output or str(Path(args.result).with_suffix(".png"))
    check_plot_path(out, "-o/--output")
    check_not_input(out, args.result, "-o/--output", "plot", "the result file")
    ds = _open_result(args.result)
    panels = _panels_for(ds, args.var, args.result)
    from .plot import plot_result

    plot_result(ds, out, panels, title=ds.attrs.get("title") or Path(args.result).stem)
    print(f"wrote {out}")
    return 0


def _cmd_compare(args) -> int:
    from .checks import check_not_input, check_plot_path
    from .compare import difference_lines, differences

    if len(args.results) < 2:
        raise ConfigurationError("compare needs two results or more (the first is the reference)")
    results = [(path, _open_result(path)) for path in args.results]
    reference = results[0][1]
    panels = _panels_for(reference, args.var, args.results[0])
    names = [n for panel in panels for n in panel.names]
    for label, ds in results[1:]:
        found, common = differences(reference, ds, names)
        span = float(reference["time"].values[-1]) if reference.sizes.get("time") else 0.0
        for line in difference_lines(args.results[0], label, found, common, span):
            print(line)
    if args.output:
        check_plot_path(args.output, "-o/--output")
        for path in args.results:
            check_not_input(args.output, path, "-o/--output", "plot", "a result file")
        from .plot import plot_results

        plot_results(results, args.output, panels, title="compared: " + ", ".join(Path(p).name for p in args.results))
        print(f"wrote {args.output}")
    return 0


def _cmd_sweep(args) -> int:
    from .checks import check_not_input, check_output_path
    from .sweep import SweepFailures, check_workers, failures, load_spec, run_sweep

    # its function located, none of its code run yet; a scenario's external model code named first
    spec = load_spec(args.spec, import_function=False, announce=f"sweep {args.spec}")
    if args.output:
        output, where = args.output, "-o/--output"
    elif spec.output:
        output, where = spec.output, f"{args.spec}: key 'output'"
    else:
        output, where = f"results/{Path(args.spec).stem}.nc", ""
    check_output_path(output, where)
    check_not_input(output, args.spec, where, source_what="the sweep spec")
    if args.workers is not None and args.scheduler is not None:
        raise ConfigurationError("--workers sizes a new local cluster; it cannot be used with --scheduler")
    workers = None
    if args.workers is not None:
        workers = _finite_float(args.workers, "--workers")
        if workers < 1 or workers != int(workers):
            raise ConfigurationError(f"--workers must be a whole number >= 1, got {args.workers!r}")
        workers = check_workers(int(workers), "--workers")
    if spec.function is not None and spec.function.external:   # said before any of its code runs
        print(f"cryocosim: sweep {args.spec} runs {spec.function.describe()}", file=sys.stderr, flush=True)
    spec.load_function()
    try:
        ds = run_sweep(spec, output, scheduler=args.scheduler, workers=workers, progress=not args.quiet,
                       retry_failed=args.retry_failed)
    except KeyboardInterrupt:
        status = "interrupted"
        try:
            import xarray as xr

            with xr.open_dataset(output) as part:
                status = f"{part.attrs['status']} (written to {output})"
        except Exception:  # noqa: BLE001 - no partial result written
            pass
        print(f"cryocosim: {status}; the same command again computes the missing points", file=sys.stderr)
        return 130
    a = ds.attrs
    print(f"wrote {output} ({a['points_total']} points: {a['points_done']} done, {a['points_failed']} failed; "
          f"{a['points_computed']} computed, {a['points_cached']} from {output}.parts; "
          f"{a['workers']} workers, {a['tasks']} tasks; wall time {a['wall_time_s']:.1f} s)")
    if not args.quiet:
        from .summary import sweep_table_lines

        for line in sweep_table_lines(ds):
            print(line)
    if a["points_failed"]:
        lines = failures(ds)
        raise SweepFailures(f"{a['points_failed']} of {a['points_total']} points failed (first: {lines[0]}); "
                            f"their errors are in {output} (variable 'error'); --retry-failed computes them again")
    return 0


def _cmd_validate(args) -> int:
    from . import scenario, ssp, sweep

    status = 0
    for path in args.scenario:
        if str(path).lower().endswith(".py"):  # a script beside the scenarios (validate scenarios/*)
            print(f"{path}: skipped (a Python script, not a scenario)", flush=True)
            continue
        if Path(path).is_dir() and not ssp.is_ssp(path):  # scenarios/sweeps beside the scenarios
            print(f"{path}: skipped (a folder without SystemStructure.ssd: neither a scenario nor an SSP)",
                  flush=True)
            continue
        try:
            if ssp.is_ssp(path):  # FMUs read (modelDescription), not instantiated
                system, _settings = ssp.load(path)
            elif sweep.is_spec(path):  # checked completely: no point computed, no code of its function run
                print(f"{path}: {sweep.validate_spec(path, trust=args.trust)}", flush=True)
                continue
            else:
                system, _settings = scenario.validate(path, trust=args.trust)
        except CryocosimError as exc:
            _error(exc)
            status = max(status, exc.exit_status)
            continue
        counts = {"actor": len(system.bus.actors), "connection": len(system.bus.links),
                  "event": len(system.time_events) + len(system.conditions)}
        what = ", ".join(f"{n} {word}{'' if n == 1 else 's'}" for word, n in counts.items())
        print(f"{path}: valid ({what})", flush=True)
    return status


def _cmd_describe(args) -> int:
    from .system import registered_models, resolve_model

    if args.model is None:
        models = registered_models()
        print(f"{len(models)} registered models (cryocosim describe MODEL for its variables):")
        for name in sorted(models):
            try:
                summary = resolve_model(name, f"model '{name}'").summary
            except CryocosimError as exc:
                summary = f"(cannot load: {exc})"
            print(f"  {name:<22}{summary}")
        return 0
    cls = resolve_model(args.model, f"model '{args.model}'")
    doc = (cls.__doc__ or "").strip()
    print(f"{args.model}: {cls.__module__}.{cls.__name__} (default step {cls.default_step:g} s)")
    if doc:
        print("  " + doc.replace("\n", "\n  "))
    print(f"  {'variable':<22}{'causality':<11}{'unit':<12}{'start':<14}description")
    for v in cls.variables:
        kind = v.causality.value + (" (tunable)" if v.tunable else "")
        start = v.start if isinstance(v.start, str) else f"{v.start:g}"
        print(f"  {v.name:<22}{kind:<11}{v.unit:<12}{start:<14}{v.description}")
    return 0


def _cmd_export(args) -> int:
    from .fmi.export import export_fmu
    from .system import registered_models, resolve_model

    names = sorted(registered_models()) if args.all else [args.model]
    if not names or names == [None]:
        raise ConfigurationError("export needs a MODEL or --all")
    for name in names:
        path = export_fmu(resolve_model(name, f"model '{name}'"), Path(args.output))
        print(f"wrote {path}")
    return 0


def _cmd_export_system(args) -> int:
    from .checks import check_run_length
    from .ssp import export_system

    if args.scenario.lower().endswith((".ssp", ".ssd")):
        raise ConfigurationError(f"export-system takes a TOML scenario, not an SSP ('{args.scenario}')")
    system, settings = _load_system(args, "export-system")
    stop = check_run_length(args.stop_time, system.steps, "--stop-time") if args.stop_time is not None else None
    output = args.output or f"{Path(args.scenario).stem}.ssp"
    path = export_system(system, output, settings, stop_time=stop, fmu_dir=args.fmu_dir,
                         inline_parameters=args.inline_parameters)
    n, m = len(system.bus.actors), len(system.bus.links)
    print(f"wrote {path} ({n} component{'s' if n != 1 else ''}, {m} connection{'s' if m != 1 else ''}; "
          f"libcosim: CosimExecution.from_ssp_file('{path}'); cryocosim run {path})")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="cryocosim", description="Co-simulation of cryogenic refrigerators from stepped actors and FMI 2.0 FMUs.")
    from . import __version__

    p.add_argument("--version", action="version", version=f"cryocosim {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="run a scenario file or an SSP system (.ssp, or a folder with SystemStructure.ssd)")
    r.add_argument("scenario", help="TOML scenario, .ssp package, folder holding SystemStructure.ssd, or .ssd file")
    r.add_argument("-o", "--output", help="result NetCDF file (default results/<scenario>.nc)")
    r.add_argument("--plot", help="write a plot of the result (png, pdf, svg...)")
    r.add_argument("--fmu", action="store_true", help="run every actor as its exported FMU through fmpy")
    r.add_argument("--stop-time", metavar="TIME", help="override [run] stop_time (s, or with a unit: '2 h')")
    r.add_argument("--set", action="append", metavar="ACTOR.PARAM=VALUE", help="override a parameter")
    r.add_argument("--tolerance", metavar="RTOL",
                   help="adaptive communication steps with this relative tolerance (0: the fixed steps); "
                        "overrides [run] tolerance")
    r.add_argument("--iterate", action=argparse.BooleanOptionalAction, default=None,
                   help="iterate every communication step to convergence (--no-iterate: hold the inputs "
                        "at their start values, the plain explicit coupling); default: the scenario's")
    r.add_argument("--step", metavar="TIME",
                   help="SSP only: communication step of the components without a step annotation "
                        "(osp:StepSizeHint); default: the SSD's base step, else each FMU's DefaultExperiment stepSize")
    r.add_argument("--units", action="append", metavar="UNIT|KEY=UNIT",
                   help="display unit of the result's variables (the values stay in SI): 'bar' (every "
                        "variable of its dimension), 'Pa=bar', 'hp.p=atm'; over the scenario's [units]")
    r.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    r.set_defaults(func=_cmd_run)
    w = sub.add_parser("sweep", help="run a parameter sweep (a grid of points) on Dask")
    w.add_argument("spec", help="sweep spec (TOML): function or scenario, [parameters], outputs")
    w.add_argument("-o", "--output", help="result NetCDF file (default results/<spec>.nc); finished points "
                                          "are kept in <output>.parts/ and a rerun computes only the missing")
    w.add_argument("--scheduler", metavar="ADDRESS",
                   help="an existing Dask scheduler (tcp://host:8786); default: a local cluster sized to "
                        "this machine; 'synchronous': in this process")
    w.add_argument("--workers", metavar="N", help="local cluster size (default: the usable cores)")
    w.add_argument("--retry-failed", action="store_true", help="compute the points that failed before again")
    w.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    w.set_defaults(func=_cmd_sweep)
    v = sub.add_parser("validate", help="check scenario files (or SSP systems) without running them")
    v.add_argument("scenario", nargs="+")
    v.add_argument("--trust", action="store_true",
                   help="import the model modules a scenario names outside the registered models, to check "
                        "their declarations (without it, validate executes no such code and refuses them)")
    v.set_defaults(func=_cmd_validate)
    pl = sub.add_parser("plot", help="plot a result file (the scenario's panels, or the variables named)")
    pl.add_argument("result", help="a result NetCDF file (cryocosim run -o)")
    pl.add_argument("-o", "--output", help="the picture (png, pdf, svg...; default: the result's name with .png)")
    pl.add_argument("--var", action="append", metavar="ACTOR.VARIABLE",
                    help="a variable to plot (repeat; grouped in panels by unit); default: the scenario's [plot] panels")
    pl.set_defaults(func=_cmd_plot)
    cp = sub.add_parser("compare", help="compare results: the largest difference of each variable, and a plot "
                                        "of them overlaid")
    cp.add_argument("results", nargs="+", metavar="RESULT", help="result NetCDF files; the first is the reference")
    cp.add_argument("-o", "--output", help="a picture of the results overlaid on the same panels")
    cp.add_argument("--var", action="append", metavar="ACTOR.VARIABLE",
                    help="a variable to compare (repeat); default: those of the first result's [plot] panels")
    cp.set_defaults(func=_cmd_compare)
    d = sub.add_parser("describe", help="list a model's variables (no model: list the models)")
    d.add_argument("model", nargs="?")
    d.set_defaults(func=_cmd_describe)
    e = sub.add_parser("export", help="export models as FMI 2.0 co-simulation FMUs")
    e.add_argument("model", nargs="?")
    e.add_argument("--all", action="store_true", help="export every registered model")
    e.add_argument("-o", "--output", default="build/fmus", help="output directory")
    e.set_defaults(func=_cmd_export)
    x = sub.add_parser("export-system", help="export a scenario as an SSP 1.0 package (SystemStructure.ssd and "
                                             "the actors' FMUs) for libcosim and other SSP masters")
    x.add_argument("scenario", help="TOML scenario")
    x.add_argument("-o", "--output", help="the package (default <scenario>.ssp); a name not ending in .ssp "
                                          "writes an unpacked folder")
    x.add_argument("--stop-time", metavar="TIME", help="DefaultExperiment stopTime (default: [run] stop_time)")
    x.add_argument("--set", action="append", metavar="ACTOR.PARAM=VALUE", help="override a parameter")
    x.add_argument("--fmu-dir", default="build/fmus", help="FMU cache: models are exported here when their "
                                                           "sources changed (default build/fmus)")
    x.add_argument("--inline-parameters", action="store_true",
                   help="parameter values inline in SystemStructure.ssd (default: a resources/<actor>.ssv per actor)")
    x.set_defaults(func=_cmd_export_system)
    return p


def _error(exc: BaseException) -> None:
    print(f"cryocosim: error: {' '.join(str(exc).split())}", file=sys.stderr, flush=True)


def _stdout_gone() -> int:
    """The reader of our output went away (``cryocosim describe | head``): stop quietly."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # no second BrokenPipeError when Python flushes at exit
    except (OSError, ValueError):
        pass
    return 141  # 128 + SIGPIPE, as a tool killed by the broken pipe would report


def main(argv: list[str] | None = None) -> int:
    import warnings

    from .errors import CryocosimWarning

    args = build_parser().parse_args(argv)
    default_show = warnings.showwarning

    from .trust import ExternalCodeNotice

    def show(message, category, *rest, **kw):
        if issubclass(category, ExternalCodeNotice):
            print(f"cryocosim: {message}", file=sys.stderr, flush=True)
        elif issubclass(category, CryocosimWarning):
            _show_warning(message, category, *rest, **kw)
        else:
            default_show(message, category, *rest, **kw)

    warnings.showwarning = show
    try:
        status = args.func(args)
        sys.stdout.flush()
        return status
    except BrokenPipeError:
        return _stdout_gone()
    except CryocosimError as exc:
        _error(exc)
        return exc.exit_status
    except OSError as exc:  # a path the checks did not foresee (too long, a loop of links...): one line
        where = f"'{exc.filename}': " if exc.filename else ""
        _error(f"{where}{exc.strerror or exc}")
        return 2
    except KeyboardInterrupt:
        _ignore_signals()
        print("cryocosim: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
