"""Parameter sweeps on Dask: writes docs/sweeps.md and docs/figures/sweep_fig11.png (every number
on that page comes from this script).

1. **one solve**: ``cyclic_steady_state`` at Fig. 11's conditions (Nellis & Maddocks: lambda/A_t =
   5, R_cv,f A_t = 0.02, beta = 3, S = 0.5, gamma = 5/3, chi = 3, Q_E/Q_L = 5): the A_t of each
   point of a 5 x 5 sub-grid of the map is found first (the sweep's own solve, in this process),
   then the batch of the 25 solves at those A_t is timed ``REPEATS`` times, before any worker
   starts: min and median per solve;
2. **the 40 x 40 Fig. 11 map** (scenarios/sweeps/hybrid_fig11.toml; each point solves for A_t,
   several solves per point) through ``run_sweep`` as a user calls it (a new local cluster,
   a fresh cache, the NetCDF written): wall time of the call, and the part from the first task
   submitted to the last result; on the default cluster (sized to the usable cores) and with 1, 2
   and 4 workers, ``RUNS`` runs each, interleaved so that the machine's other work weighs on all
   alike, each after waiting (within a budget) for the machine's other processes to use less than
   ``QUIET_CORES``; what they used during each run is measured (/proc/stat) and listed; then a
   rerun on a complete cache;
3. a heat map of the metric Q_L/(Q_rg + Q_rec) with its grid maximum.

Usage: ``.venv/bin/python docs/scripts/bench_sweep.py`` (about 5 minutes on 2 cores).
The worker processes re-import this file (multiprocessing "spawn"): it does nothing at import.
"""
from __future__ import annotations

import datetime
import math
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from pages import ROOT, cores, host, min_median, python, save_figure, table, version, versions

SPEC = ROOT / "scenarios/sweeps/hybrid_fig11.toml"
OUT = ROOT / "docs/sweeps.md"
FIG = ROOT / "docs/figures/sweep_fig11.png"
REPEATS = 5              # repeats of the batch of solves
SUB = 5                  # sub-grid SUB x SUB for the single-solve timing
RUNS = 3                 # runs of the map per cluster size
SIZES = (1, 2, 4)        # workers
TARGET_SOLVE_MS = 20.0
TARGET_MAP_S = 30.0
QUIET_CORES = 0.3        # before each run, wait until other processes use less than this ...
WAIT_BUDGET = 900.0      # ... for at most this many seconds in all
PAPER_ALPHA = 0.85       # rad: the paper's optimal phase angle of the hybrid ("near 0.85 rad")


#: how a sweep meets failures on its workers (Dask retries, lost workers); tests/test_sweep_tasks.py
WORKER_FAILURES = "When something fails on a worker: a point that raises is recorded as failed with its error and is not run again (`--retry-failed` on a rerun computes it again). A task that raises on its worker outside its points (loading the sweep function there, rebuilding the spec's expressions) is submitted with `retries=2` (`TASK_RETRIES` in `engine/sweep/executors.py`): Dask runs it again, on any worker, at most twice more, and then its points are recorded as failed with the error (`task failed: …`). Two, because such a failure either need not recur (a file that could not be read at that moment), and is gone by the next attempt, or lasts (the function's module missing on a remote worker), and then further attempts only delay the report. A worker process that dies during a task (killed, out of memory, a crash in native code) is not a task's error and `retries` does not count it: the scheduler runs the task again on a live worker (the nanny restarts the dead one) and fails it with `KilledWorker` only when more than `distributed.scheduler.allowed-failures` (3 by default) workers have died running it, so a point that crashes every worker is reported, not retried for ever. A death also counts against the tasks waiting on that worker (with one thread per worker, Dask queues a second task on it). `tests/test_sweep_tasks.py` checks the four cases on a local cluster."

def memory() -> str:
    """``, 7.8 GiB memory`` (from /proc/meminfo; empty where there is none)."""
    mem = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f", {int(line.split()[1]) / 1048576:.1f} GiB memory"
    except OSError:
        pass
    return mem


def single_solve() -> dict:
    """A_t of a SUB x SUB sub-grid (in this process), then the batch of its solves, timed."""
    import warnings

    import numpy as np

    from cryocosim.fmus.reference.hybrid import cyclic_steady_state
    from cryocosim.sweep import load_spec, run_sweep

    spec = load_spec(SPEC)
    kap, alp = (p.values for p in spec.parameters)
    idx_k = np.linspace(0, len(kap) - 1, SUB).round().astype(int)
    idx_a = np.linspace(0, len(alp) - 1, SUB).round().astype(int)
    for p, idx in zip(spec.parameters, (idx_k, idx_a)):
        p.values = [p.values[i] for i in idx]
    ds = run_sweep(spec, scheduler="synchronous", progress=False)
    const = dict(spec.constants)
    calls = []
    for i, k in enumerate(ds.kappa.values):
        for j, a in enumerate(ds.alpha.values):
            A = float(ds.A_t[i, j])
            if math.isfinite(A):
                calls.append(dict(const, kappa=float(k), alpha=float(a), A_t=A, lam=5 * A, R_cv_f=0.02 / A))
    per_solve, per_solve_cpu = [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for kw in calls:             # warm-up
            cyclic_steady_state(**kw)
        for _ in range(REPEATS):
            t0, c0 = time.perf_counter(), time.process_time()
            for kw in calls:
                cyclic_steady_state(**kw)
            per_solve.append((time.perf_counter() - t0) / len(calls))
            per_solve_cpu.append((time.process_time() - c0) / len(calls))
    ok = ds.status.values == "ok"
    return {"n": len(calls), "min_ms": min(per_solve) * 1e3, "median_ms": statistics.median(per_solve) * 1e3,
            "cpu_min_ms": min(per_solve_cpu) * 1e3, "cpu_median_ms": statistics.median(per_solve_cpu) * 1e3,
            "xtol": spec.solve.xtol,
            "solves_per_point": float(ds.evaluations.values[ok].mean()),
            "point_ms": float(np.nanmean(ds.point_time.values[ok])) * 1e3}


def busy_cpu_seconds() -> float:
    """CPU time all processes of the machine have used since boot (s), from /proc/stat."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except OSError:
        return math.nan
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def other_cores(seconds: float = 2.0) -> float:
    """Cores busy with other processes while this one sleeps for ``seconds``."""
    b0 = busy_cpu_seconds()
    time.sleep(seconds)
    return (busy_cpu_seconds() - b0) / seconds


def wait_quiet(budget: list) -> float:
    """Wait (at most the seconds left in ``budget[0]``) until other processes use below
    QUIET_CORES; returns the last reading."""
    while True:
        t0 = time.perf_counter()
        busy = other_cores()
        if busy < QUIET_CORES or budget[0] <= 0:
            return busy
        time.sleep(5.0)
        budget[0] -= time.perf_counter() - t0


def one_map(workers: int | None) -> dict:
    from cryocosim.sweep import run_sweep

    with tempfile.TemporaryDirectory(prefix="bench_sweep_") as tmp:
        out = Path(tmp) / "fig11.nc"
        load0 = os.getloadavg()[0]
        busy0, own0 = busy_cpu_seconds(), time.process_time()
        t0 = time.perf_counter()
        ds = run_sweep(SPEC, out, workers=workers, progress=False)
        wall = time.perf_counter() - t0
        busy = busy_cpu_seconds() - busy0
        own = time.process_time() - own0
        rerun = None
        if workers is None:          # everything cached: what a rerun of a finished sweep costs
            t1 = time.perf_counter()
            again = run_sweep(SPEC, out, progress=False)
            rerun = (time.perf_counter() - t1, again.attrs["points_computed"], again.attrs["points_cached"])
        load1 = os.getloadavg()[0]
    a = ds.attrs
    return {"wall": wall, "sweep": a["sweep_time_s"], "start": a["cluster_start_s"], "compute": a["compute_time_s"],
            "cpu": a["compute_cpu_time_s"],
            "workers": a["workers"], "tasks": a["tasks"], "batch": a["batch_size"], "done": a["points_done"],
            "failed": a["points_failed"], "total": a["points_total"], "load": (load0 + load1) / 2,
            "rerun": rerun, "ds": ds,
            # cores busy with anything but the points and this process: other jobs (and the
            # workers' own start-up and bookkeeping)
            "other": (busy - a["compute_cpu_time_s"] - own) / wall}


def figure(ds, path: Path) -> dict:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    m = ds.metric
    i, j = np.unravel_index(int(np.nanargmax(m.values)), m.shape)
    best = {"kappa": float(ds.kappa[i]), "alpha": float(ds.alpha[j]), "metric": float(m.values[i, j]),
            "A_t": float(ds.A_t.values[i, j]), "eta": float(ds.eta_carnot.values[i, j])}
    fig, ax = plt.subplots(figsize=(6.4, 4.6))
    pc = ax.pcolormesh(ds.kappa, ds.alpha, m.T, shading="nearest", cmap="viridis")
    cs = ax.contour(ds.kappa, ds.alpha, m.T, levels=12, colors="w", linewidths=0.6)
    ax.clabel(cs, fontsize=6, fmt="%.3f")
    failed = np.argwhere(ds.status.values != "ok")
    if len(failed):
        ax.plot(ds.kappa.values[failed[:, 0]], ds.alpha.values[failed[:, 1]], "rx", ms=4, label="failed point")
    ax.plot(best["kappa"], best["alpha"], "r*", ms=12, label=f"grid maximum κ = {best['kappa']:.3g}, α = {best['alpha']:.3g} rad")
    ax.axhline(PAPER_ALPHA, color="r", ls=":", lw=1, label=f"paper: optimal α near {PAPER_ALPHA:g} rad")
    ax.set_xscale("log")
    ax.set_xlabel("swept volume ratio κ")
    ax.set_ylabel("phase angle α [rad]")
    ax.set_title(f"Fig. 11 map, {m.shape[0]} × {m.shape[1]} points: Q_L/(Q_rg + Q_rec) at Q_E/Q_L = 5", fontsize=9)
    fig.colorbar(pc, ax=ax, label="Q_L/(Q_rg + Q_rec)")
    ax.legend(fontsize=7, loc="lower right")
    path.parent.mkdir(parents=True, exist_ok=True)
    save_figure(fig, path)
    return best


def fmt_s(x: float) -> str:
    return f"{x:.1f} s"


def main() -> None:
    from cryocosim.sweep import default_workers, load_spec

    t_start = time.perf_counter()
    started = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    default = default_workers()
    mach = (f"{host()}, {cores(default)}{memory()}; {python()}, dask/distributed {version('distributed')}, "
            f"{versions('numpy', 'scipy', 'xarray')}")
    spec = load_spec(SPEC)
    print("single solve ...", file=sys.stderr)
    solve_before = wait_quiet([WAIT_BUDGET / 4])
    solve = single_solve()
    solve["before"] = solve_before
    print(f"  {solve}", file=sys.stderr)

    runs: dict[int | None, list[dict]] = {n: [] for n in SIZES}
    budget = [WAIT_BUDGET]
    waited0 = time.perf_counter()
    for rep in range(RUNS):
        for n in SIZES:
            before = wait_quiet(budget)
            r = one_map(None if n == default else n)
            r["before"] = before
            runs[n].append(r)
            print(f"  run {rep + 1}/{RUNS}, {r['workers']} workers: wall {r['wall']:.1f} s, sweep {r['sweep']:.1f} s, "
                  f"load {r['load']:.1f}", file=sys.stderr)
    dflt = runs[default] if default in runs else None
    if dflt is None:                       # a machine whose core count is not one of SIZES
        dflt = [one_map(None) for _ in range(RUNS)]
    ds = dflt[-1]["ds"]
    best = figure(ds, FIG)

    def mm(rs, key):
        return min_median(r[key] for r in rs)

    # ---- the page
    L: list[str] = []
    add = L.append
    w_min, w_med = mm(dflt, "wall")
    s_min, s_med = mm(dflt, "sweep")
    st_min, st_med = mm(dflt, "start")
    c_med = statistics.median(r["compute"] for r in dflt)
    cpu_med = statistics.median(r["cpu"] for r in dflt)
    rest_med = statistics.median(r["wall"] - r["start"] - r["sweep"] for r in dflt)
    d0 = dflt[0]
    idle_est = st_med + cpu_med / d0["workers"] + rest_med   # the call on otherwise idle cores
    solve_ok = solve["median_ms"] < TARGET_SOLVE_MS
    map_ok = w_med < TARGET_MAP_S
    loads = [r["load"] for rs in runs.values() for r in rs]
    add("# Parameter sweeps on Dask distributed")
    add("")
    all_other = [r["other"] for rs in runs.values() for r in rs]
    add(f"Measured by `docs/scripts/bench_sweep.py` on {started} on {mach}. **A shared machine with other "
        f"work running**: before each timed run the script waited (up to {WAIT_BUDGET / 60:.0f} min in all) for "
        f"other processes to use less than {QUIET_CORES:g} cores; during the map runs the machine's CPU time "
        f"outside the sweep came to {min(all_other):.2f}–{max(all_other):.2f} cores (the table of runs; it includes "
        f"the workers' own start-up), and the 1-minute load average, which counts the sweep's own processes, "
        f"was {min(loads):.1f}–{max(loads):.1f} on {os.cpu_count()} cores. The virtual CPUs' speed also varies "
        f"with what the host runs: the same work took {min(r['cpu'] for r in runs[SIZES[0]]):.1f}–"
        f"{max(r['cpu'] for r in runs[SIZES[0]]):.1f} s of CPU time in the {len(runs[SIZES[0]])} one-worker runs.")
    add("")
    add("## Running a sweep")
    add("")
    add("```sh")
    add(".venv/bin/cryocosim sweep scenarios/sweeps/hybrid_fig11.toml -o results/hybrid_fig11.nc")
    add(".venv/bin/cryocosim sweep scenarios/sweeps/cooldown_load.toml --workers 2      # scenario runs")
    add(".venv/bin/cryocosim sweep SPEC.toml --scheduler tcp://host:8786                 # an existing cluster")
    add("```")
    add("")
    add("```python")
    add("from cryocosim.sweep import run_sweep")
    add("ds = run_sweep(\"scenarios/sweeps/hybrid_fig11.toml\", output=\"fig11.nc\")   # an xarray.Dataset")
    add("ds.metric.sel(alpha=0.8, method=\"nearest\")")
    add("```")
    add("")
    add("A spec names a Python function (`function = \"module:function\"`, called with keyword arguments) or a "
        "scenario (`scenario = \"file.toml\"`, each point one run with `actor.parameter` overrides), the swept "
        "`[parameters]` (a list, or `{start, stop, num, scale}`; units for scenario parameters), `[constants]`, "
        "`[derived]` values (arithmetic), an optional `[solve.NAME]` (a value found per point so that a residual "
        "is zero) and the `outputs` (result keys or expressions; for scenarios reductions of recorded variables: "
        "`load.T` (its final value), `min(...)`, `max(...)`, `mean(..., last = '2 min')`, `at(..., '5 min')`). "
        "`engine/sweep/__init__.py` documents the format; `scenarios/sweeps/` holds three examples. The result is one "
        "Dataset with a dimension per swept parameter, a variable per output (NaN where a point failed), and "
        "`status`, `error`, `warning`, `point_time`, `evaluations` per point; it is written to NetCDF.")
    add("")
    add("Points run as Dask tasks in batches (by default at least 4 tasks per worker and at most 64 points per "
        "task, the points of a task spread over the grid), on a `LocalCluster` of one single-threaded process "
        "per usable core, or on an existing scheduler. Each finished task's points are written at once to "
        "`<output>.parts/`, keyed by a hash of the point and of everything that defines its result, so Ctrl-C "
        "loses only the running tasks (the partial result is written with `status = \"interrupted: …\"`) and a "
        "rerun computes only the missing points. A point that raises is recorded with its error "
        "(`--retry-failed` computes it again) while the others complete.")
    add("")
    add(WORKER_FAILURES)
    add("")
    add("## Targets")
    add("")
    L += table(["target", "measured", "met"], [
        [f"one cyclic-steady-state solve of the dimensionless model < {TARGET_SOLVE_MS:g} ms",
         f"median {solve['median_ms']:.2f} ms (min {solve['min_ms']:.2f} ms)", "yes" if solve_ok else "**no**"],
        [f"the {d0['total'] // 40} × 40 Fig. 11 map < {TARGET_MAP_S:g} s on {default} cores",
         f"median {w_med:.1f} s (min {w_min:.1f} s) over {len(dflt)} runs, cluster start-up and NetCDF included; "
         f"about {idle_est:.0f} s on otherwise idle cores (estimate from the points' CPU time, below)",
         "yes" if map_ok else ("**no** in the median on the shared machine; yes in the fastest run and by "
                               "the idle-core estimate" if w_min < TARGET_MAP_S and idle_est < TARGET_MAP_S else
                               "**no** as measured on the shared machine; yes by the idle-core estimate"
                               if idle_est < TARGET_MAP_S else "**no**")]])
    add("")
    add("## One solve")
    add("")
    add(f"`cyclic_steady_state` at Fig. 11's conditions (λ/A_t = 5, R_cv,f A_t = 0.02, R_cv,b → ∞, β = 3, "
        f"S = 0.5, γ = 5/3, χ = 3), at the {solve['n']} points of a {SUB} × {SUB} sub-grid of the map, each at "
        f"the A_t that gives Q_E/Q_L = 5 there: the batch of {solve['n']} solves timed {REPEATS} times in one "
        f"process before any worker starts (other processes were using {solve['before']:.2f} cores when it "
        f"began), per solve **min {solve['min_ms']:.2f} ms, median "
        f"{solve['median_ms']:.2f} ms** of wall time (CPU time min {solve['cpu_min_ms']:.2f} ms, median "
        f"{solve['cpu_median_ms']:.2f} ms). A point of the map is more than one solve: finding A_t takes "
        f"{solve['solves_per_point']:.1f} solves on average (the bracket, then Brent's method to "
        f"{solve['xtol']:g} in ln A_t), {solve['point_ms']:.1f} ms per point on that sub-grid.")
    add("")
    add("## The 40 × 40 Fig. 11 map")
    add("")
    add(f"`run_sweep(\"scenarios/sweeps/hybrid_fig11.toml\", output)` with a fresh cache on the default local "
        f"cluster ({d0['workers']} workers = the usable cores, one thread each), {len(dflt)} runs: wall time of "
        f"the call **min {w_min:.1f} s, median {w_med:.1f} s** — of which starting the cluster took median "
        f"{st_med:.1f} s and the tasks, from the first submitted to the last result, median {s_med:.1f} s "
        f"(min {s_min:.1f} s); the rest is closing the cluster and writing the NetCDF. {d0['total']} points, "
        f"{d0['done']} done, {d0['failed']} failed, in {d0['tasks']} tasks of up to {d0['batch']} points; the "
        f"points' own wall time summed to {c_med:.1f} s (median run; {c_med / d0['total'] * 1e3:.1f} ms per "
        f"point), so the cluster kept "
        f"{c_med / s_med / d0['workers'] * 100:.0f} % of its {d0['workers']} workers busy during the tasks. "
        f"Their CPU time summed to {cpu_med:.1f} s"
        + (": the gap to the wall time is the other jobs' share of the cores. " if c_med > 1.1 * cpu_med else ". ")
        + f"On {d0['workers']} otherwise idle cores the call would take about {st_med:.1f} + "
        f"{cpu_med:.1f}/{d0['workers']} + {rest_med:.1f} = {idle_est:.1f} s (start-up, CPU work per worker, "
        f"closing and writing; an estimate, not a measurement).")
    rr = [r["rerun"] for r in dflt if r["rerun"]]
    if rr:
        add("")
        add(f"A rerun of a finished sweep (every point in the cache: {rr[0][2]} cached, {rr[0][1]} computed) "
            f"took {statistics.median(x[0] for x in rr):.1f} s (median): no cluster is started when nothing is "
            f"missing.")
    add("")
    add(f"![Fig. 11 map](figures/{FIG.name})")
    add("")
    add(f"The grid maximum of Q_L/(Q_rg + Q_rec) is {best['metric']:.4g} at κ = {best['kappa']:.3g}, "
        f"α = {best['alpha']:.3g} rad (A_t = {best['A_t']:.3g}, η_Carnot = {best['eta']:.3g}); the paper puts the "
        f"hybrid's optimal phase angle near {PAPER_ALPHA:g} rad, and docs/hybrid_validation.md finds the optimum "
        f"by Nelder–Mead from a coarser map.")
    add("")
    add("## Scaling with the number of workers")
    add("")
    add(f"The same map, fresh cache, a new local cluster of 1, 2 and 4 worker processes, {RUNS} runs each, "
        f"interleaved (1, 2, 4, 1, 2, 4, …). *Wall* is the whole call; *tasks* is first submission to last "
        f"result. The speed-up is given from each size's fastest run, the least disturbed by other work on the "
        f"machine, and from the medians; the table of runs below shows how busy the machine was.")
    add("")
    one_min, one_med = mm(runs[SIZES[0]], "sweep")
    best_t, med_t = {}, {}
    rows = []
    for n in SIZES:
        wmin, wmed = mm(runs[n], "wall")
        tmin, tmed = mm(runs[n], "sweep")
        best_t[n], med_t[n] = tmin, tmed
        rows.append([f"{n}{' (default)' if n == default else ''}", fmt_s(wmin), fmt_s(wmed), fmt_s(tmin), fmt_s(tmed),
                     fmt_s(statistics.median(r['start'] for r in runs[n])), f"{one_min / tmin:.2f}×",
                     f"{one_med / tmed:.2f}×"])
    L += table(["workers", "wall min", "wall median", "tasks min", "tasks median", "cluster start (median)",
                "speed-up, fastest runs", "speed-up, medians"], rows)
    add("")
    add("Every run, in the order they ran; *other cores* is the machine's CPU time outside the points' "
        "computations and this process, per second of the run (from /proc/stat): other jobs, and the workers' "
        "own start-up and bookkeeping.")
    add("")
    order = [(rep, n) for rep in range(RUNS) for n in SIZES]
    rows = []
    for k, (rep, n) in enumerate(order, 1):
        r = runs[n][rep]
        rows.append([k, n, fmt_s(r["wall"]), fmt_s(r["sweep"]), fmt_s(r["cpu"]), f"{r['other']:.2f}",
                     f"{r['before']:.2f}", f"{r['load']:.1f}"])
    L += table(["run", "workers", "wall", "tasks", "points' CPU time", "other cores", "other cores just before",
                "load average"], rows)
    add("")
    others = {n: [r["other"] for r in runs[n]] for n in SIZES}
    fastest = {n: min(runs[n], key=lambda r: r["sweep"]) for n in SIZES}
    if 2 in best_t and 1 in best_t:
        sp_best, sp_med = one_min / best_t[2], one_med / med_t[2]
        calm = max(fastest[1]["other"], fastest[2]["other"]) < QUIET_CORES + 0.2
        how = ("close to the ideal 2×" if sp_best >= 1.8 else "short of the ideal 2×")
        text = f"In their fastest runs two workers on the {default} usable cores do the tasks {sp_best:.2f}× as fast as one ({how}). "
        if calm:
            text += (f"Those runs had the machine nearly to themselves (other cores ≤ "
                     f"{max(fastest[1]['other'], fastest[2]['other']):.2f}); the points are independent and a task "
                     f"of up to {runs[2][0]['batch']} points is about a second of work against milliseconds of "
                     f"scheduling. ")
        else:
            text += (f"Even those runs shared the machine (other cores {fastest[1]['other']:.2f} with one worker, "
                     f"{fastest[2]['other']:.2f} with two): a second worker gains only what the other jobs leave "
                     f"of the second core, so this understates what two idle cores give. ")
        text += (f"The medians give {sp_med:.2f}×" + ("." if abs(sp_med - sp_best) < 0.1 * sp_best else
                 f", the difference being how busy the machine was from run to run."))
        add(text)
        cpu1 = statistics.median(r["cpu"] for r in runs[1])
        cpu2 = statistics.median(r["cpu"] for r in runs[2])
        if cpu2 > 1.1 * cpu1:
            add("")
            add(f"The points' CPU time grows with the second worker, from {cpu1:.1f} s with one to {cpu2:.1f} s "
                f"with two (medians, {cpu2 / cpu1:.2f}×): the machine's two virtual CPUs slow each other down when "
                f"both compute (they share a physical core's resources, or a host with other machines), which keeps "
                f"the speed-up below 2× even when no other job runs.")
    if 4 in best_t and 2 in best_t:
        ratio_b, ratio_m = best_t[4] / best_t[2], med_t[4] / med_t[2]
        if default < 4:
            start4 = fmt_s(statistics.median(r["start"] for r in runs[4]))
            start2 = fmt_s(statistics.median(r["start"] for r in runs[2]))
            add("")
            if ratio_b > 0.95:
                verdict = "slower than" if ratio_b > 1.05 else "no faster than"
                add(f"Four workers on {default} cores are {verdict} two (fastest runs {best_t[4]:.1f} s against "
                    f"{best_t[2]:.1f} s, {ratio_b:.2f}×; medians {ratio_m:.2f}×): with more processes than cores "
                    f"they take turns on the same cores, and add start-up ({start4} against {start2}: four "
                    f"interpreters importing numpy and scipy) and memory.")
            else:
                add(f"Four workers on {default} cores finished faster than two in their fastest runs ({best_t[4]:.1f} s "
                    f"against {best_t[2]:.1f} s, {ratio_b:.2f}×; medians {ratio_m:.2f}×). They cannot compute more "
                    f"than {default} cores do: when other jobs compete for the cores (other cores during the "
                    f"4-worker runs {min(others[4]):.2f}–{max(others[4]):.2f}, during the 2-worker runs "
                    f"{min(others[2]):.2f}–{max(others[2]):.2f}), four processes get a larger share of the "
                    f"scheduler's time slices than two; on idle cores they only take turns, and they add start-up "
                    f"({start4} against {start2}) and memory.")
            add("")
            add("The number of usable cores is the right default; more workers pay off on a machine, or a "
                "cluster behind `--scheduler`, that has the cores.")
        else:
            add(f"Four workers against two: fastest runs {best_t[4]:.1f} s against {best_t[2]:.1f} s "
                f"({ratio_b:.2f}×), medians {ratio_m:.2f}×.")
    add("")
    add(f"*Page written in {time.perf_counter() - t_start:.0f} s.*")
    OUT.write_text("\n".join(L) + "\n", encoding="utf-8")
    print(f"wrote {OUT} and {FIG}", file=sys.stderr)


if __name__ == "__main__":
    main()
