"""Throughput of the sweep engine on the sparse-recovery experiment of Chapter 8.

The documented "full" configuration (``implicit_bias.recovery.RECOVERY_CONFIGS["full"]``,
100 trials per cell) has about 55 000 trials, far more than the chapter's default run, so
this script times a documented fraction of it: **every cell of the full grids, with
``TRIALS[part]`` trials per cell instead of 100** (the cost of a trial does not depend on the
trial index, so this samples the cost of the whole grid evenly). It reports trials per
second on 1 and 2 workers, the speed-up, and the extrapolated wall time of the full
configuration. It also checks that the tables are identical for 1 and 2 workers, and
reports trials per second on a dask.distributed ``LocalCluster`` (2 worker processes, one
thread each; the ``cluster`` extra) for the basis-pursuit part, with the same check.

One worker means one core: BLAS is limited to one thread in this process (set before numpy
is imported), as joblib's loky backend does in each of its workers, so the in-process
single-worker run is not slowed down by two BLAS threads competing for the cores.

Run: ``.venv/bin/python benchmarks/bench_sweeps.py`` (about 3 minutes on two cores).
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import sys  # noqa: E402
import time  # noqa: E402

import distributed  # noqa: E402
import joblib  # noqa: E402
import pandas as pd  # noqa: E402
from implicit_bias.recovery import (  # noqa: E402
    RECOVERY_CONFIGS,
    gd_versus_flow,
    phase_trial,
    recovery_trial,
)
from implicit_bias.sweeps import run_sweep  # noqa: E402

#: trials per cell in the timed fraction (the full configuration has 100)
TRIALS = {"bp": 2, "flow": 2, "phase-bp": 1, "phase-flow": 1, "gd": 1}
FULL = RECOVERY_CONFIGS["full"]


def parts():
    """(name, func, grid, seed_keys, full number of trials) for each sweep of the chapter."""
    c, p, g = FULL["curves"], FULL["phase"], FULL["gd"]
    size = {"m": c["m"], "N": [c["N"]]}
    keys = ["m", "N", "s"]
    flow_alphas = c["alphas"]
    n_flow_cells = len(c["m"]) * (len(c["depths"]) * len(flow_alphas) + 1)
    out = [
        ("bp", recovery_trial, size | {"s": c["bp_s"], "method": ["bp"]}, keys,
         len(c["m"]) * len(c["bp_s"]) * c["n_trials"]),
        ("flow", recovery_trial, size | {"s": [c["s"]], "method": ["flow"],
                                         "depth": c["depths"], "alpha": flow_alphas}, keys,
         n_flow_cells * c["n_trials"]),
        ("phase-bp", phase_trial, {"m": p["m"], "rho": p["rho"], "N": [p["N"]],
                                   "method": ["bp"]}, ["m", "rho", "N"],
         len(p["m"]) * len(p["rho"]) * p["n_trials"]),
        ("phase-flow", phase_trial, {"m": p["m"], "rho": p["rho"], "N": [p["N"]],
                                     "method": ["flow"], "depth": p["depths"],
                                     "alpha": [p["alpha"]]}, ["m", "rho", "N"],
         len(p["m"]) * len(p["rho"]) * len(p["depths"]) * p["n_trials"]),
        ("gd", gd_versus_flow, {"m": g["m"], "N": [g["N"]], "s": [g["s"]],
                                "depth": [g["depth"]], "alpha": [g["alpha"]],
                                "step": [g["step"]], "max_iter": [g["max_iter"]]}, keys,
         len(g["m"]) * g["n_trials"]),
    ]
    return out


def main():
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f} (other processes slow everything down)")
    t = time.perf_counter()
    run_sweep(recovery_trial, {"m": [20], "N": [50], "s": [3], "method": ["bp"]}, 4,
              n_jobs=2, progress=False)
    print(f"starting 2 loky workers (first sweep, with imports): "
          f"{time.perf_counter() - t:.1f} s (not included below)\n")
    rows = []
    total_full = {1: 0.0, 2: 0.0}
    for name, func, grid, keys, n_full in parts():
        n_trials = TRIALS[name]
        tables, rates = {}, {}
        for n_jobs in (1, 2):
            table = run_sweep(func, grid, n_trials, n_jobs=n_jobs, progress=False,
                              seed_keys=keys)
            info = table.attrs["sweep"]
            rates[n_jobs] = info["n_run"] / info["elapsed"]
            tables[n_jobs] = table
            total_full[n_jobs] += n_full / rates[n_jobs]
        same = tables[1].drop(columns=["seed"]).equals(tables[2].drop(columns=["seed"]))
        rows.append({"part": name, "trials timed": len(tables[1]), "full trials": n_full,
                     "trials/s 1 worker": rates[1], "trials/s 2 workers": rates[2],
                     "speed-up": rates[2] / rates[1], "same table": same})
    df = pd.DataFrame(rows)
    with pd.option_context("display.width", 120, "display.float_format", "{:.1f}".format):
        print(df.to_string(index=False))
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    print(f"\nextrapolated wall time of the full configuration: "
          f"{total_full[1] / 60:.0f} min on 1 worker, {total_full[2] / 60:.0f} min on 2 workers")


def cluster_row(name="bp"):
    """Trials per second of one part on a LocalCluster, and whether it gives the serial table."""
    _, func, grid, keys, _ = next(p for p in parts() if p[0] == name)
    n_trials = TRIALS[name]
    serial = run_sweep(func, grid, n_trials, n_jobs=1, progress=False, seed_keys=keys)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster), joblib.parallel_config(backend="dask"):
        t = time.perf_counter()
        run_sweep(func, {k: v[:1] for k, v in grid.items()}, 1, progress=False,
                  seed_keys=keys)  # warm-up: imports in the workers
        warm = time.perf_counter() - t
        table = run_sweep(func, grid, n_trials, progress=False, seed_keys=keys)
    info = table.attrs["sweep"]
    rate = info["n_run"] / info["elapsed"]
    same = serial.drop(columns=["seed"]).equals(table.drop(columns=["seed"]))
    print(f"\nLocalCluster, 2 worker processes ({info['backend']}), part {name!r}: "
          f"{rate:.1f} trials/s over {len(table)} trials (warm-up {warm:.1f} s not included); "
          f"same table as 1 worker: {same}")
    return same


if __name__ == "__main__":
    main()
    cluster_row()
