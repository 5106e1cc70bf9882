"""Command line: ``cryocosim run | validate | describe | export``.

Errors the user can act on print one line (``cryocosim: error: ...``) and exit with status 2
(bad input) or 1 (a run that failed; its results up to the failure are on disk).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .errors import CryocosimError


def _cmd_run(args) -> int:
    from . import scenario
    from .plot import plot_result

    overrides = {}
    for item in args.set or []:
        key, sep, value = item.partition("=")
        if not sep:
            raise CryocosimError(f"--set '{item}' must read actor.parameter=value")
        try:
            overrides[key.strip()] = float(value)
        except ValueError:
            overrides[key.strip()] = value.strip()
    system, settings = scenario.load(args.scenario, overrides)
    output = args.output or settings.output or f"results/{Path(args.scenario).stem}.nc"
    stop = args.stop_time if args.stop_time is not None else settings.stop_time
    ds = system.run(stop, output=output, ordering=settings.ordering, output_interval=settings.output_interval,
                    progress=not args.quiet, fmu=args.fmu, order=settings.order)
    print(f"wrote {output} ({ds.sizes['time']} records, {len(ds.data_vars)} variables; "
          f"{ds.attrs['status']}; wall time {ds.attrs['wall_time_s']:.1f} s)")
    from .results import events_of

    for ev in events_of(ds):
        print(f"  event at t={ev['time']:.3f} s: {ev['name']}")
    if args.plot:
        panels = settings.extra.get("plot", {}).get("panels")
        plot_result(ds, args.plot, panels, title=system.name)
        print(f"wrote {args.plot}")
    return 0


def _cmd_validate(args) -> int:
    from . import scenario
    from .master import Master

    system, settings = scenario.load(args.scenario)
    master = Master(system.bus, system.steps, settings.ordering, settings.order)
    master.initialize()
    n_links = len(system.bus.links)
    print(f"{args.scenario}: valid ({len(system.bus.actors)} actors, {n_links} connections, "
          f"{len(system.time_events) + len(system.conditions)} events)")
    return 0


def _cmd_describe(args) -> int:
    from .system import resolve_model

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
        raise CryocosimError("export needs a MODEL or --all")
    for name in names:
        path = export_fmu(resolve_model(name, f"model '{name}'"), Path(args.output))
        print(f"wrote {path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="cryocosim", description="Co-simulation of cryogenic refrigerators from stepped actors and FMI 2.0 FMUs.")
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="run a scenario file")
    r.add_argument("scenario")
    r.add_argument("-o", "--output", help="result NetCDF file (default results/<scenario>.nc)")
    r.add_argument("--plot", help="write a PNG plot of the result")
    r.add_argument("--fmu", action="store_true", help="run every actor as its exported FMU through fmpy")
    r.add_argument("--stop-time", type=float, help="override [run] stop_time (s)")
    r.add_argument("--set", action="append", metavar="ACTOR.PARAM=VALUE", help="override a parameter")
    r.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    r.set_defaults(func=_cmd_run)
    v = sub.add_parser("validate", help="check a scenario file without running it")
    v.add_argument("scenario")
    v.set_defaults(func=_cmd_validate)
    d = sub.add_parser("describe", help="list a model's variables")
    d.add_argument("model")
    d.set_defaults(func=_cmd_describe)
    e = sub.add_parser("export", help="export models as FMI 2.0 co-simulation FMUs")
    e.add_argument("model", nargs="?")
    e.add_argument("--all", action="store_true", help="export every registered model")
    e.add_argument("-o", "--output", default="build/fmus", help="output directory")
    e.set_defaults(func=_cmd_export)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except CryocosimError as exc:
        print(f"cryocosim: error: {exc}", file=sys.stderr)
        return exc.exit_status
    except KeyboardInterrupt:
        print("cryocosim: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
