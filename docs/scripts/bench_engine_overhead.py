"""Engine overhead per actor step with trivial actors (native path).

Usage: python docs/scripts/bench_engine_overhead.py  -> prints a Markdown table row set.
"""
import sys
import time

from pages import ROOT, row, table

sys.path.insert(0, str(ROOT / "tests"))

from cryocosim import System  # noqa: E402


def chain(n_actors: int, steps: int, ordering: str) -> float:
    s = System("bench")
    s.add("a0", "engine_actors:Oscillator", step=0.01, k=1.0, x_start=1.0)
    for i in range(1, n_actors):
        s.add(f"a{i}", "engine_actors:Oscillator", step=0.01, k=-1.0 if i % 2 else 1.0)
        s.connect(f"a{i-1}.x", f"a{i}.u")
    s.connect(f"a{n_actors-1}.x", "a0.u")
    t0 = time.perf_counter()
    s.run(steps * 0.01, ordering=ordering, output_interval=steps * 0.01)
    wall = time.perf_counter() - t0
    return wall / (n_actors * steps) * 1e6


if __name__ == "__main__":
    print("\n".join(table(["actors", "steps each", "ordering", "µs per actor step"], [])))
    for n in (2, 10):
        for ordering in ("jacobi", "gauss-seidel"):
            us = min(chain(n, 20000, ordering) for _ in range(3))
            print(row([n, 20000, ordering, f"{us:.2f}"]))
