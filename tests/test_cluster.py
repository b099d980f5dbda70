"""The cluster path of run_sweep: a dask.distributed LocalCluster gives the serial table.

dask[distributed] is a test dependency (the ``cluster`` extra, installed by ``make venv``):
the import below fails the test run instead of skipping it when it is missing.
"""

import time

import distributed
import joblib
import numpy as np
import pandas as pd
from implicit_bias.sweeps import run_sweep

GRID = {"a": [1, 2, 3], "b": [0.5, -1.0]}


def seeded_trial(a, b, rng):
    """A module-level trial with a deterministic and a seeded random part."""
    rng = np.random.default_rng(rng)
    return {"prod": a * b, "noise": float(rng.standard_normal())}


def _cluster_table(**cluster_kwargs):
    with distributed.LocalCluster(dashboard_address=None, **cluster_kwargs) as cluster, \
            distributed.Client(cluster), joblib.parallel_config(backend="dask"):
        return run_sweep(seeded_trial, GRID, 4, seed=5, progress=False)


def test_local_cluster_in_process_matches_serial():
    start = time.perf_counter()
    table = _cluster_table(n_workers=2, threads_per_worker=1, processes=False)
    assert table.attrs["sweep"]["backend"] == "DaskDistributedBackend"
    serial = run_sweep(seeded_trial, GRID, 4, seed=5, n_jobs=1, progress=False)
    pd.testing.assert_frame_equal(serial, table, check_like=False)
    assert len(table) == 6 * 4 and table["noise"].nunique() == 24
    assert time.perf_counter() - start < 60


def test_local_cluster_with_worker_processes_matches_serial():
    # two small worker processes: the trial function and its results cross process borders
    table = _cluster_table(n_workers=2, threads_per_worker=1, processes=True)
    serial = run_sweep(seeded_trial, GRID, 4, seed=5, n_jobs=1, progress=False)
    pd.testing.assert_frame_equal(serial, table)
