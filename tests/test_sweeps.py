"""Tests of implicit_bias.sweeps: grid, seeds, parallel determinism, errors, cache, backends.

The sparse-recovery experiment of Chapter 8 is tested in test_recovery.py."""

import itertools
import pathlib
import subprocess
import sys
import textwrap
import threading

import joblib
import numpy as np
import pandas as pd
import pytest
from implicit_bias import sweeps
from implicit_bias.sweeps import (
    SweepError,
    grid_cells,
    library_hash,
    run_sweep,
    trial_seed,
)

ROOT = pathlib.Path(__file__).resolve().parents[1]


def noisy_product(a, b, rng):
    """A module-level trial: a deterministic part and a seeded random part."""
    rng = np.random.default_rng(rng)
    return {"prod": a * b, "noise": float(rng.standard_normal()), "draws": rng.integers(0, 9, 3)}


def fails_on_three(a, rng):
    if a == 3:
        raise ArithmeticError(f"a is three (seed {rng})")
    return {"double": 2 * a}


GRID = {"a": [1, 2, 3], "b": [0.5, -1.0]}


# ----------------------------------------------------------------------------------------------
# grid and seeds
# ----------------------------------------------------------------------------------------------
def test_grid_cells_is_the_cartesian_product_first_key_slowest():
    cells = grid_cells({"x": [1, 2], "y": ["u", "v", "w"]})
    expected = [{"x": x, "y": y} for x, y in itertools.product([1, 2], ["u", "v", "w"])]
    assert cells == expected


def test_grid_cells_converts_numpy_scalars():
    cells = grid_cells({"m": np.arange(3)})
    assert [type(c["m"]) for c in cells] == [int, int, int]


def test_seeds_are_distinct_and_deterministic():
    seeds = [trial_seed(c, t) for c in grid_cells(GRID) for t in range(20)]
    assert len(set(seeds)) == len(seeds)
    assert seeds == [trial_seed(c, t) for c in grid_cells(GRID) for t in range(20)]
    assert all(0 <= s < 2**63 for s in seeds)
    assert trial_seed({"a": 1}, 0, seed=1) != trial_seed({"a": 1}, 0, seed=2)


def test_seed_depends_on_values_not_grid_position_or_numpy_type():
    assert trial_seed({"m": 10, "d": 2}, 3) == trial_seed({"d": 2, "m": np.int64(10)}, 3)
    small = run_sweep(noisy_product, {"a": [2], "b": [0.5]}, 4, n_jobs=1, progress=False)
    big = run_sweep(noisy_product, {"a": [1, 2, 5], "b": [0.5, 3.0]}, 6, n_jobs=1,
                    progress=False)
    sub = big[(big.a == 2) & (big.b == 0.5) & (big.trial < 4)].reset_index(drop=True)
    pd.testing.assert_series_equal(sub.noise, small.noise)
    pd.testing.assert_series_equal(sub.seed, small.seed)


def test_seed_keys_give_common_random_numbers():
    table = run_sweep(noisy_product, {"a": [1, 2], "b": [0.5, -1.0]}, 3, n_jobs=1,
                      progress=False, seed_keys=["a"])
    for _, grp in table.groupby(["a", "trial"]):
        assert grp.seed.nunique() == 1 and grp.noise.nunique() == 1
    assert table.groupby("b").seed.apply(tuple).nunique() == 1


# ----------------------------------------------------------------------------------------------
# results against an independent serial loop, and independence of the number of workers
# ----------------------------------------------------------------------------------------------
def test_table_matches_a_plain_serial_loop():
    table = run_sweep(noisy_product, GRID, 5, seed=11, n_jobs=1, progress=False)
    assert list(table.columns) == ["a", "b", "trial", "seed", "prod", "noise", "draws"]
    assert len(table) == 6 * 5
    i = 0
    for a, b in itertools.product(GRID["a"], GRID["b"]):
        for t in range(5):
            s = trial_seed({"a": a, "b": b}, t, seed=11)
            direct = noisy_product(a, b, s)
            row = table.iloc[i]
            assert (row.a, row.b, row.trial, row.seed) == (a, b, t, s)
            assert row["prod"] == direct["prod"] and row["noise"] == direct["noise"]
            np.testing.assert_array_equal(row["draws"], direct["draws"])
            i += 1


def test_results_identical_for_any_number_of_workers():
    serial = run_sweep(noisy_product, GRID, 7, seed=3, n_jobs=1, progress=False)
    parallel = run_sweep(noisy_product, GRID, 7, seed=3, n_jobs=2, progress=False)
    pd.testing.assert_frame_equal(serial.drop(columns="draws"),
                                  parallel.drop(columns="draws"))
    assert parallel.attrs["sweep"]["n_jobs"] == 2
    with joblib.parallel_config(backend="threading", n_jobs=3):
        threaded = run_sweep(noisy_product, GRID, 7, seed=3, progress=False)
    assert threaded.attrs["sweep"]["backend"] == "ThreadingBackend"
    assert threaded.attrs["sweep"]["n_jobs"] == 3
    pd.testing.assert_frame_equal(serial.drop(columns="draws"),
                                  threaded.drop(columns="draws"))


def test_parallel_config_n_jobs_is_honoured():
    with joblib.parallel_config(n_jobs=1):
        table = run_sweep(noisy_product, GRID, 1, progress=False)
    assert table.attrs["sweep"]["n_jobs"] == 1


def test_interactively_defined_function_runs_on_loky_workers():
    """A function defined in __main__ (as in a notebook) is shipped with cloudpickle."""
    script = textwrap.dedent("""
        import numpy as np
        from implicit_bias.sweeps import run_sweep
        OFFSET = 100.0
        def helper(x):
            return x + OFFSET
        def trial(a, rng):
            return {"v": helper(a) + np.random.default_rng(rng).random()}
        t2 = run_sweep(trial, {"a": [1, 2, 3]}, 4, n_jobs=2, progress=False)
        t1 = run_sweep(trial, {"a": [1, 2, 3]}, 4, n_jobs=1, progress=False)
        assert t2.equals(t1) and t2.v.min() > 100
        print("OK", t2.attrs["sweep"]["backend"], t2.attrs["sweep"]["n_jobs"])
    """)
    out = subprocess.run([sys.executable, "-"], input=script, capture_output=True, text=True,
                         timeout=120, cwd="/tmp")
    assert out.returncode == 0, out.stderr
    assert "OK LokyBackend 2" in out.stdout


# ----------------------------------------------------------------------------------------------
# bad input
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("grid, exc, words", [
    ({}, ValueError, "grid is empty"),
    ({"a": []}, ValueError, "empty list"),
    ({"a": 3}, TypeError, "wrap a single value"),
    ({"a": "abc"}, TypeError, "list of values"),
    ({"seed": [1]}, ValueError, "reserved"),
    ({"rng": [1]}, ValueError, "reserved"),
    ({"trial": [1]}, ValueError, "reserved"),
    ({"not valid": [1]}, ValueError, "identifier"),
    ([("a", [1])], TypeError, "dict"),
])
def test_bad_grid(grid, exc, words):
    with pytest.raises(exc, match=words):
        run_sweep(noisy_product, grid, 2, n_jobs=1, progress=False)


@pytest.mark.parametrize("kwargs, exc, words", [
    ({"n_trials": 0}, ValueError, "n_trials"),
    ({"n_trials": 2.5}, TypeError, "n_trials"),
    ({"seed": -1}, ValueError, "seed"),
    ({"on_error": "ignore"}, ValueError, "on_error"),
    ({"seed_keys": ["c"]}, ValueError, "seed_keys"),
    ({"n_jobs": 0}, ValueError, "n_jobs"),
])
def test_bad_arguments(kwargs, exc, words):
    args = {"n_trials": 2, "n_jobs": 1, "progress": False} | kwargs
    with pytest.raises(exc, match=words):
        run_sweep(noisy_product, GRID, **args)


def test_non_callable():
    with pytest.raises(TypeError, match="callable"):
        run_sweep("noisy_product", GRID, 2, n_jobs=1, progress=False)


def test_non_picklable_function_is_reported_before_running():
    lock = threading.Lock()

    def locked(a, b, rng):
        with lock:
            return {"v": a}

    with pytest.raises(TypeError, match="cannot be pickled.*n_jobs=1"):
        run_sweep(locked, GRID, 2, n_jobs=2, progress=False)
    # fine without pickling: in process, or on threads
    assert len(run_sweep(locked, GRID, 2, n_jobs=1, progress=False)) == 12
    with joblib.parallel_config(backend="threading"):
        assert len(run_sweep(locked, GRID, 2, n_jobs=2, progress=False)) == 12


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_failing_trial_names_cell_and_seed_and_keeps_the_other_results(n_jobs):
    with pytest.raises(SweepError) as info:
        run_sweep(fails_on_three, {"a": [1, 2, 3, 4]}, 3, n_jobs=n_jobs, progress=False)
    err = info.value
    seed = trial_seed({"a": 3}, 0)
    msg = str(err)
    assert "3 of 12 trials raised" in msg
    assert "a=3" in msg and f"seed {seed}" in msg and "ArithmeticError" in msg
    assert "fails_on_three" in msg  # the worker traceback
    table = err.table
    assert len(table) == 12 and list(table.columns)[-1] == "error"
    ok = table[table.a != 3]
    assert ok.error.isna().all() and (ok.double == 2 * ok.a).all()
    bad = table[table.a == 3]
    assert bad.double.isna().all() and bad.error.str.contains("a is three").all()
    assert [f["seed"] for f in err.failures] == [trial_seed({"a": 3}, t) for t in range(3)]


def test_on_error_record_returns_the_table_with_a_warning():
    with pytest.warns(RuntimeWarning, match="3 of 12 trials raised"):
        table = run_sweep(fails_on_three, {"a": [1, 2, 3, 4]}, 3, n_jobs=1, progress=False,
                          on_error="record")
    assert table.error.notna().sum() == 3
    assert table.attrs["sweep"]["n_failed"] == 3


def test_func_must_return_a_dict():
    with pytest.raises(SweepError, match="must return a dict"):
        run_sweep(lambda a, rng: a, {"a": [1]}, 1, n_jobs=1, progress=False)
    with pytest.raises(SweepError, match="clash"):
        run_sweep(lambda a, rng: {"a": a}, {"a": [1]}, 1, n_jobs=1, progress=False)


# ----------------------------------------------------------------------------------------------
# cache
# ----------------------------------------------------------------------------------------------
CALLS = []


def counted(a, rng):
    CALLS.append(a)
    return {"v": a + np.random.default_rng(rng).random()}


def test_cache_reuses_finished_cells(tmp_path):
    CALLS.clear()
    first = run_sweep(counted, {"a": [1, 2]}, 3, n_jobs=1, progress=False, cache=tmp_path)
    assert len(CALLS) == 6 and first.attrs["sweep"]["n_cached"] == 0
    second = run_sweep(counted, {"a": [1, 2]}, 3, n_jobs=1, progress=False, cache=tmp_path)
    assert len(CALLS) == 6, "a cached run must not call func"
    assert second.attrs["sweep"]["n_cached"] == 6 and second.attrs["sweep"]["n_run"] == 0
    pd.testing.assert_frame_equal(first, second)
    # a new cell runs, the old one is reused
    run_sweep(counted, {"a": [1, 2, 5]}, 3, n_jobs=1, progress=False, cache=tmp_path)
    assert CALLS[6:] == [5, 5, 5]
    # different seed or number of trials: a miss
    run_sweep(counted, {"a": [1]}, 3, seed=1, n_jobs=1, progress=False, cache=tmp_path)
    run_sweep(counted, {"a": [1]}, 4, n_jobs=1, progress=False, cache=tmp_path)
    assert len(CALLS) == 9 + 3 + 4


def test_cache_is_invalidated_by_a_library_change(tmp_path, monkeypatch):
    CALLS.clear()
    run_sweep(counted, {"a": [1]}, 2, n_jobs=1, progress=False, cache=tmp_path)
    monkeypatch.setattr(sweeps, "library_hash", lambda: "0" * 64)
    run_sweep(counted, {"a": [1]}, 2, n_jobs=1, progress=False, cache=tmp_path)
    assert len(CALLS) == 4


def test_library_hash_tracks_the_source_files(tmp_path):
    """Hash a copy of the package, edit one file of the copy, and the hash must change."""
    import shutil

    package = pathlib.Path(sweeps.__file__).resolve().parent
    copy = tmp_path / "implicit_bias"
    shutil.copytree(package, copy, ignore=shutil.ignore_patterns("__pycache__"))
    h = library_hash()
    assert len(h) == 64 and h == library_hash(package) == library_hash(copy)
    target = copy / "diagonal.py"
    target.write_text(target.read_text() + "\n# an edit\n")
    edited = library_hash(copy)
    assert edited != h
    (copy / "new_module.py").write_text("X = 1\n")  # a new file counts too
    assert library_hash(copy) not in (h, edited)
    target.unlink()  # and a removed one
    assert library_hash(copy) not in (h, edited)
    assert library_hash() == h  # the installed package is untouched
    with pytest.raises(ValueError, match="not an existing directory"):
        library_hash(tmp_path / "missing")


def test_trial_seed_hashes_the_full_value_canonically():
    a = np.zeros(2000)
    b = a.copy()
    b[1000] = 1.0  # numpy's repr elides the middle of both arrays
    assert trial_seed({"v": a}, 0) != trial_seed({"v": b}, 0)
    assert trial_seed({"v": {"p": 1, "q": [2, 3]}}, 0) == trial_seed({"v": {"q": [2, 3], "p": 1}},
                                                                     0)
    assert trial_seed({"v": {1, 2, 3}}, 0) == trial_seed({"v": {3, 2, 1}}, 0)
    assert trial_seed({"v": np.arange(3)}, 0) == trial_seed({"v": np.arange(3)}, 0)
    assert trial_seed({"v": np.arange(3)}, 0) != trial_seed({"v": np.arange(3.0)}, 0)
    # ordinary grids keep the seeds they always had (value pinned before the change)
    assert trial_seed({"m": 10, "method": "bp"}, 3) == 7648990346857909187


@pytest.mark.parametrize("kwargs, words", [
    ({"n_jobs": 10**6}, "local workers"),
    ({"n_jobs": -10**6}, "cpu_count"),
    ({"n_trials": 10**9}, "in memory"),
])
def test_sweep_sizes_are_checked_before_any_work(kwargs, words):
    args = {"n_trials": 2, **kwargs}
    n_trials = args.pop("n_trials")
    with pytest.raises(ValueError, match=words):
        run_sweep(noisy_product, GRID, n_trials, progress=False, **args)


def test_cache_is_invalidated_by_a_change_of_an_interactive_function(tmp_path):
    """Functions defined in __main__ (no source file): code and used globals are in the key."""
    script = textwrap.dedent(f"""
        from implicit_bias.sweeps import run_sweep
        SCALE = 1.0
        def trial(a, rng):
            return {{"v": SCALE * a}}
        t1 = run_sweep(trial, {{"a": [1]}}, 2, n_jobs=1, progress=False, cache={str(tmp_path)!r})
        t1b = run_sweep(trial, {{"a": [1]}}, 2, n_jobs=1, progress=False, cache={str(tmp_path)!r})
        SCALE = 3.0
        t2 = run_sweep(trial, {{"a": [1]}}, 2, n_jobs=1, progress=False, cache={str(tmp_path)!r})
        def trial(a, rng):
            return {{"v": SCALE * a + 1}}
        t3 = run_sweep(trial, {{"a": [1]}}, 2, n_jobs=1, progress=False, cache={str(tmp_path)!r})
        print(t1b.attrs["sweep"]["n_cached"], list(t1.v), list(t2.v), list(t3.v))
    """)
    out = subprocess.run([sys.executable, "-"], input=script, capture_output=True, text=True,
                         timeout=60, cwd="/tmp")
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["2", "[1.0,", "1.0]", "[3.0,", "3.0]", "[4.0,", "4.0]"]


def test_failed_cells_are_not_cached(tmp_path):
    with pytest.warns(RuntimeWarning):
        run_sweep(fails_on_three, {"a": [1, 3]}, 2, n_jobs=1, progress=False, cache=tmp_path,
                  on_error="record")
    assert len(list(tmp_path.glob("*.pkl"))) == 1


def test_corrupt_cache_file_is_a_miss(tmp_path):
    CALLS.clear()
    run_sweep(counted, {"a": [1]}, 2, n_jobs=1, progress=False, cache=tmp_path)
    (path,) = tmp_path.glob("*.pkl")
    path.write_bytes(b"garbage")
    table = run_sweep(counted, {"a": [1]}, 2, n_jobs=1, progress=False, cache=tmp_path)
    assert len(CALLS) == 4 and table.attrs["sweep"]["n_cached"] == 0


def test_cache_directory_expands_the_home_directory(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    run_sweep(counted, {"a": [1]}, 1, n_jobs=1, progress=False, cache="~/sweep-cache")
    assert len(list((tmp_path / "sweep-cache").glob("*.pkl"))) == 1
