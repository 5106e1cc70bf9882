"""A scenario sweep's scenario, checked before any point runs: read and built once with the spec's
constants under the scenario's trust rule; the swept parameters and their values checked against
the actors' declarations, the outputs and a solve's residual against the recorded variables, the
run's length and samples as ``cryocosim run`` checks them; what changes a point's result goes into
the spec's definition."""
from __future__ import annotations

import copy
import hashlib
import inspect
import json
from pathlib import Path
from typing import TYPE_CHECKING

from .. import __version__
from ..checks import check_run_length
from ..errors import ConfigurationError, ParameterError, describe, one_line
from ..expr import CONSTANTS
from .functions import file_digest
from .limits import MAX_POINT_VALUES, SweepError, read_spec_text

if TYPE_CHECKING:
    from .spec import SweepSpec


def check_scenario(spec: SweepSpec, base: Path, trust: bool = True, announce: str | None = None) -> None:
    """Read the scenario, build it once with the constants, check the swept parameters and their
    values against the actors' declarations (converted to the declared units), and the outputs
    against the recorded variables."""
    from .. import scenario as sc
    from .. import trust as trust_rules
    from ..ssp import is_ssp
    from ..variables import Causality

    path = Path(spec.target)
    if not path.is_absolute():
        path = base / path
    where = f"{spec.source}: key 'scenario'"
    if is_ssp(path):
        raise SweepError(f"{where}: '{spec.target}' is an SSP system; a sweep runs a TOML scenario "
                         f"(cryocosim run takes the SSP, one point at a time with --set)")
    text = read_spec_text(path, where, f"scenario '{spec.target}'")
    try:
        data = sc.read_toml(path, text)
        sc.check_document(data, str(path))
        codes = trust_rules.external_code(data, str(path))   # the scenario's model code, not imported
        if not trust:
            trust_rules.refuse_untrusted(codes, str(path))
        if announce:
            trust_rules.announce(codes, announce)
        system, settings = sc.build(copy.deepcopy(data), str(path), text, dict(spec.constants),
                                    f"{spec.source}: [constants]: key")
    except ConfigurationError as exc:
        msg = one_line(exc)
        raise SweepError(msg if msg.startswith(spec.source) else f"{where}: {msg}") from None
    actors = system.bus.actors
    linked = {(l.dst, l.dst_var) for l in system.bus.links}
    for p in spec.parameters:
        pwhere = f"{spec.source}: [parameters]: key '{p.name}'"
        a, _, v = p.name.partition(".")
        actor = actors.get(a)
        if actor is None:
            raise SweepError(f"{pwhere}: names no actor of {spec.target} (actors: {', '.join(actors)})")
        var = actor.variable_map().get(v)
        if var is None or var.causality not in (Causality.parameter, Causality.input):
            known = ", ".join(x.name for x in actor.variables if x.causality == Causality.parameter)
            raise SweepError(f"{pwhere}: actor '{a}' has no parameter '{v}' (parameters: {known})")
        if var.causality == Causality.input and (a, v) in linked:
            raise SweepError(f"{pwhere}: '{p.name}' is a connected input")
        converted = []
        for i, value in enumerate(p.values):
            given = f"{value} {p.unit}" if p.unit and isinstance(value, (int, float)) and not isinstance(value, bool) \
                and var.type is float else value
            try:
                converted.append(actor.coerce(var, given))
            except ParameterError as exc:   # actor.coerce names the actor and parameter: say only what
                msg = one_line(exc.detail if exc.detail is not None else exc).lstrip(" :=")
                raise SweepError(f"{pwhere}: value #{i + 1} ({describe(value)}): {msg}") from None
        if len({json.dumps(c) for c in converted}) != len(converted):
            raise SweepError(f"{pwhere}: two values are the same in {var.unit}")
        if not (p.unit and var.type is float):   # coordinates in the spec's unit if it gives one
            p.unit = var.unit if var.type is float else ""
            p.coords = None
        else:
            p.coords = list(p.values)
        p.values = converted
        if p.long_name == p.name:
            p.long_name = var.description or p.name
    for table, names in (("derived", list(spec.derived)), ("solve", [spec.solve.name] if spec.solve else [])):
        for name in names:
            a, _, v = name.partition(".")
            var = actors[a].variable_map().get(v) if a in actors else None
            if var is None or var.causality not in (Causality.parameter, Causality.input) or var.type is not float:
                raise SweepError(f"{spec.source}: [{table}]: key '{name}' is not a Real parameter of the scenario")
    # the run: its length and samples, checked as `cryocosim run` checks them
    stop = spec.stop_time if spec.stop_time is not None else settings.stop_time
    stop_where = f"{spec.source}: key 'stop_time'" if spec.stop_time is not None else \
        f"{where}: [run]: key 'stop_time'"
    try:
        check_run_length(stop, system.steps, stop_where)
    except ConfigurationError as exc:
        raise SweepError(str(exc)) from None
    interval = spec.output_interval or settings.output_interval
    fastest = min(system.steps.values()) if system.steps else stop
    samples = stop / max(interval or fastest, fastest) + 1
    recorded = {f"{a}.{v}": actors[a].variable_map()[v] for a, v in system.bus.recorded()}
    recorded.update({d.column: d for d in system.derived.values()})   # derived.NAME, with its unit
    if samples * len(recorded) > MAX_POINT_VALUES:
        key = "key 'output_interval'" if spec.output_interval else "[run] output_interval of the scenario"
        raise SweepError(f"{spec.source}: {key}: each point would record {samples:.3g} samples of {len(recorded)} "
                         f"variables, held in memory to reduce them; a point records at most "
                         f"{MAX_POINT_VALUES:.0e} values: give the spec a longer output_interval")
    inputs = {p.name for p in spec.parameters} | set(spec.constants) | set(spec.derived)
    if spec.solve:
        inputs.add(spec.solve.name)
    checked = list(spec.outputs.items()) + ([("", spec.solve.residual)] if spec.solve else [])
    for name, e in checked:
        for n in sorted(e.names):
            if n in recorded or n in inputs or n in CONSTANTS or n.startswith("master."):
                continue
            raise SweepError(f"{e.where}: '{n}' is not a recorded variable of {spec.target} "
                             f"(outputs and locals of its actors, e.g. {', '.join(list(recorded)[:4])}, ...)")
        for t in e.times:
            if t > stop * (1 + 1e-12):
                raise SweepError(f"{e.where}: at(): t = {t:g} s is after the end of the run ({stop:g} s)")
        if not name:
            continue
        if e.single in recorded:
            spec.output_attrs[name].setdefault("units", recorded[e.single].unit)
        spec.output_attrs[name].setdefault("long_name", e.text)
    # what changes a point's result: the scenario (merged 'extends' chain) and the models' code
    model_files = sorted({inspect.getsourcefile(type(a)) or "" for a in actors.values()})
    spec.definition.update(
        scenario_source=str(path), scenario_data=data, scenario_text=text,
        models_source=hashlib.sha256("".join(file_digest(f) for f in model_files).encode()).hexdigest(),
        cryocosim_version=__version__)
