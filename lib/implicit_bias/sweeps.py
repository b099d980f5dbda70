"""Parameter sweeps: a function over a grid of parameters times seeded trials, in parallel.

:func:`run_sweep` evaluates ``func(**params, rng=seed)`` for every cell ``params`` of the
Cartesian product of a parameter grid and for ``n_trials`` independent trials per cell, and
returns a tidy :class:`pandas.DataFrame` with one row per trial::

    from implicit_bias.sweeps import run_sweep

    def trial(m, s, rng):
        ...                       # draw an instance from `rng` (an int seed), solve it
        return {"success": ok, "error": err}

    table = run_sweep(trial, {"m": [10, 20, 30], "s": [2, 4]}, n_trials=50)
    table.groupby(["m", "s"])["success"].mean()

Design
------
* **Seeds.** The seed of trial ``t`` of a cell is drawn from
  ``numpy.random.SeedSequence(seed, spawn_key=(hash of the cell's parameters, t))``. It depends
  on the parameter *values* only (not on their position in the grid, on ``n_jobs`` or on the
  order in which the workers finish), so results are identical for any number of workers,
  extending a grid leaves the old cells unchanged, and raising ``n_trials`` keeps the first
  trials. ``seed_keys`` restricts the seed to some parameters: cells that agree on those share
  their random instances (common random numbers, for paired comparisons of methods).
* **Parallelism.** Trials are dispatched with :class:`joblib.Parallel`. The default backend
  (loky) uses all local cores; the backend is taken from :func:`joblib.parallel_config`, so
  ``with joblib.parallel_config(backend="dask"): run_sweep(...)`` runs the same sweep on a Dask
  cluster without code changes. Functions defined interactively (in a notebook or script's
  ``__main__``) are shipped to the workers with cloudpickle.
* **Failures.** An exception inside a trial never aborts the sweep. Every trial runs; then, with
  ``on_error="raise"`` (default), a :class:`SweepError` names the first failing cell and seed
  and carries the full table (``.table``, with an ``error`` column) and the tracebacks; with
  ``on_error="record"`` the table is returned with the ``error`` column filled in.
* **Caching.** With ``cache=<directory>``, finished cells (all trials successful) are stored on
  disk and reused. The key covers the function (its source, or that of its module file, and
  the values of the globals it refers to), the cell's parameters, the seeds, ``n_trials`` and a
  hash of the source files of :mod:`implicit_bias` and of the numpy/scipy versions, so a change
  to the library or to the function never returns stale results.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import itertools
import keyword
import numbers
import os
import pathlib
import pickle
import tempfile
import time
import traceback
import types
import warnings
from collections.abc import Mapping

import joblib
import joblib.parallel
import numpy as np
import pandas as pd
import scipy
from tqdm import tqdm

from ._validation import check_int
from .exceptions import SweepError

__all__ = [
    "run_sweep",
    "grid_cells",
    "trial_seed",
    "library_hash",
    "SweepError",
]

_RESERVED = ("seed", "rng", "trial", "error")
_MAX_SEED_BITS = 63
#: Limits of :func:`run_sweep`: trials in one sweep (the table lives in memory) and local
#: worker processes (a typo such as n_jobs=10**6 would otherwise try to start them all).
_MAX_TRIALS = 10**6
_MAX_LOCAL_JOBS = 1024


# ----------------------------------------------------------------------------------------------
# grid and seeds
# ----------------------------------------------------------------------------------------------
def _plain(value):
    """numpy scalars -> Python scalars, so that 5 and np.int64(5) give the same seed."""
    if isinstance(value, np.generic):
        return value.item()
    return value


def _check_grid(grid):
    if not isinstance(grid, Mapping):
        raise TypeError(
            f"grid must be a dict mapping parameter names to lists of values, got "
            f"{type(grid).__name__}; e.g. grid={{'m': [10, 20], 'depth': [2, 3]}}."
        )
    if len(grid) == 0:
        raise ValueError(
            "grid is empty: pass at least one parameter with a list of values, e.g. "
            "grid={'m': [10, 20, 30]} (wrap a fixed parameter in a one-element list)."
        )
    out = {}
    for key, values in grid.items():
        if not isinstance(key, str) or not key.isidentifier() or keyword.iskeyword(key):
            raise ValueError(f"grid key {key!r} is not a valid Python identifier; it becomes "
                             "a keyword argument of func.")
        if key in _RESERVED:
            raise ValueError(f"grid key {key!r} is reserved (the table has its own {key!r} "
                             "column); rename the parameter.")
        if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
            raise TypeError(
                f"grid[{key!r}] must be a list of values, got {type(values).__name__} "
                f"{values!r}; wrap a single value in a list: grid[{key!r}] = [{values!r}]."
            )
        values = [_plain(v) for v in values]
        if len(values) == 0:
            raise ValueError(f"grid[{key!r}] is an empty list, so the grid has no cells; give "
                             "it at least one value.")
        out[key] = values
    return out


def grid_cells(grid):
    """The cells of a parameter grid: the Cartesian product, first key varying slowest.

    Parameters
    ----------
    grid : dict of str to list
        Parameter names and the values each takes.

    Returns
    -------
    list of dict
        One dict of parameters per cell.

    Raises
    ------
    ValueError, TypeError
        For an empty grid, an empty list of values, a non-list value or a reserved name.

    Examples
    --------
    >>> grid_cells({"m": [10, 20], "depth": [2, 3]})
    [{'m': 10, 'depth': 2}, {'m': 10, 'depth': 3}, {'m': 20, 'depth': 2}, {'m': 20, 'depth': 3}]
    """
    grid = _check_grid(grid)
    keys = list(grid)
    return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*grid.values())]


class _Canonical:
    """A value's canonical text, standing in for it inside ``repr`` (see :func:`_canon`)."""

    __slots__ = ("text",)

    def __init__(self, text):
        self.text = text

    def __repr__(self):
        return self.text


def _canon(value):
    """A stand-in for ``value`` whose ``repr`` is a complete, canonical serialization.

    Scalars and strings keep their ``repr`` (so the seeds of ordinary grids are unchanged);
    arrays are hashed in full (numpy's ``repr`` elides the middle of large arrays); dicts and
    sets are sorted, so equal values give equal seeds whatever their insertion order.
    """
    value = _plain(value)
    if isinstance(value, np.ndarray):
        if value.dtype == object:
            return _Canonical(f"array({[_canon(v) for v in value.ravel()]!r}, "
                              f"shape={value.shape})")
        arr = np.ascontiguousarray(value)
        digest = hashlib.sha256(arr.tobytes()).hexdigest()
        return _Canonical(f"array(dtype={arr.dtype.str}, shape={arr.shape}, sha256={digest})")
    if isinstance(value, Mapping):
        items = sorted((repr(_canon(k)), repr(_canon(v))) for k, v in value.items())
        return _Canonical("{" + ", ".join(f"{k}: {v}" for k, v in items) + "}")
    if isinstance(value, (set, frozenset)):
        return _Canonical(f"{type(value).__name__}({sorted(repr(_canon(v)) for v in value)})")
    if isinstance(value, list):
        return [_canon(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_canon(v) for v in value)
    return value


def _cell_words(params, seed_keys):
    """Four 32-bit words hashing the values of the seed-relevant parameters."""
    items = sorted((k, _canon(params[k])) for k in seed_keys)
    text = repr(items).encode()
    digest = hashlib.sha256(text).digest()
    return tuple(int.from_bytes(digest[4 * i:4 * i + 4], "little") for i in range(4))


def trial_seed(params, trial, seed=0, seed_keys=None):
    """The integer seed passed to ``func`` for one trial of one cell.

    Parameters
    ----------
    params : dict
        The cell's parameters.
    trial : int
        Trial index ``0 <= trial < n_trials``.
    seed : int
        Root seed of the sweep.
    seed_keys : list of str, optional
        Parameters the seed depends on (default: all of ``params``).

    Returns
    -------
    int
        A non-negative 63-bit integer, for ``numpy.random.default_rng``.

    Examples
    --------
    >>> trial_seed({"m": 10}, 0) == trial_seed({"m": 10}, 0)
    True
    >>> trial_seed({"m": 10}, 0) != trial_seed({"m": 10}, 1)
    True
    """
    if not isinstance(params, Mapping):
        raise TypeError(f"params must be a dict of the cell's parameters, got "
                        f"{type(params).__name__}.")
    seed = check_int(seed, "seed", 0)
    trial = check_int(trial, "trial", 0)
    if isinstance(seed_keys, str):
        seed_keys = [seed_keys]
    if seed_keys is not None and not hasattr(seed_keys, "__iter__"):
        raise TypeError(f"seed_keys must be a list of parameter names, got "
                        f"{type(seed_keys).__name__}.")
    keys = list(params) if seed_keys is None else list(seed_keys)
    missing = [k for k in keys if k not in params]
    if missing:
        raise ValueError(f"seed_keys {missing} are not parameters of the cell {list(params)}.")
    ss = np.random.SeedSequence(seed, spawn_key=(*_cell_words(params, keys), trial))
    lo, hi = (int(w) for w in ss.generate_state(2, dtype=np.uint32))
    return ((hi << 32) | lo) >> (64 - _MAX_SEED_BITS)


# ----------------------------------------------------------------------------------------------
# cache keys
# ----------------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=4)
def _library_hash_cached(root, stamp):
    root = pathlib.Path(root)
    h = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        h.update(path.relative_to(root).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def library_hash(directory=None):
    """SHA-256 of the source files of :mod:`implicit_bias` (changes with any library edit).

    Parameters
    ----------
    directory : str or path-like, optional
        Hash the ``*.py`` files under this directory instead of the installed package (e.g.
        a copy of the sources); the digest depends on the relative paths and the contents.

    Returns
    -------
    str
        Hex digest.

    Raises
    ------
    ValueError
        If ``directory`` is not an existing directory.

    Examples
    --------
    >>> len(library_hash())
    64
    """
    if directory is None:
        root = pathlib.Path(__file__).resolve().parent
    else:
        if isinstance(directory, (bytes, bool)) or not isinstance(directory, (str, os.PathLike)):
            raise TypeError(f"directory must be a path, got {type(directory).__name__}.")
        root = pathlib.Path(directory).expanduser().resolve()
        if not root.is_dir():
            raise ValueError(f"directory {str(root)!r} is not an existing directory.")
    stamp = tuple((p.as_posix(), p.stat().st_mtime_ns, p.stat().st_size)
                  for p in sorted(root.rglob("*.py")))
    return _library_hash_cached(str(root), stamp)


def _code_names(code):
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _code_names(const)
    return names


def _token(value, seen):
    """A deterministic description of a value for the cache key.

    Values without a stable description get one that changes between sessions (their id),
    so they can only cause cache misses, never stale hits.
    """
    value = _plain(value)
    if value is None or isinstance(value, (bool, numbers.Number, str, bytes)):
        return repr(value)
    if isinstance(value, (tuple, list, frozenset, set)):
        items = [_token(v, seen) for v in value]
        if isinstance(value, (set, frozenset)):
            items.sort()
        return f"{type(value).__name__}({','.join(items)})"
    if isinstance(value, dict):
        return "dict(" + ",".join(sorted(f"{_token(k, seen)}:{_token(v, seen)}"
                                         for k, v in value.items())) + ")"
    if isinstance(value, np.ndarray):
        arr = np.ascontiguousarray(value)
        if arr.dtype == object:
            return f"ndarray-object({_token(arr.tolist(), seen)})"
        return f"ndarray({arr.dtype},{arr.shape},{hashlib.sha256(arr.tobytes()).hexdigest()})"
    if isinstance(value, types.ModuleType):
        return f"module({value.__name__})"
    if callable(value):
        return _fingerprint(value, seen)
    return f"{type(value).__module__}.{type(value).__qualname__}@{id(value)}"


def _fingerprint(func, seen=None):
    """Identity of a callable for the cache key: name, code and what it refers to."""
    seen = set() if seen is None else seen
    if id(func) in seen:
        return "recursion"
    seen = seen | {id(func)}
    if isinstance(func, functools.partial):
        return (f"partial({_fingerprint(func.func, seen)},{_token(func.args, seen)},"
                f"{_token(func.keywords, seen)})")
    if isinstance(func, types.MethodType):
        return f"method({_fingerprint(func.__func__, seen)},{_token(func.__self__, seen)})"
    module = getattr(func, "__module__", None)
    qualname = getattr(func, "__qualname__", type(func).__qualname__)
    parts = [f"{module}.{qualname}"]
    if module and module.split(".")[0] in ("implicit_bias", "numpy", "scipy", "builtins",
                                            "math", "cvxpy", "mpmath"):
        return parts[0]  # covered by library_hash / package versions
    if not isinstance(func, types.FunctionType):
        return parts[0] + f"@{id(func)}"
    code = func.__code__
    try:
        parts.append(hashlib.sha256(pathlib.Path(inspect.getsourcefile(func))
                                    .read_bytes()).hexdigest())
        in_file = True
    except (TypeError, OSError):
        in_file = False
    try:
        parts.append(inspect.getsource(func))
    except (TypeError, OSError):
        parts.append(hashlib.sha256(pickle.dumps((code.co_code, repr(code.co_consts))))
                     .hexdigest())
    parts.append(_token(func.__defaults__, seen))
    parts.append(_token(func.__kwdefaults__, seen))
    if func.__closure__:
        cells = []
        for cell in func.__closure__:
            try:
                cells.append(_token(cell.cell_contents, seen))
            except ValueError:  # empty cell
                cells.append("empty")
        parts.append("closure(" + ",".join(cells) + ")")
    if not in_file or module == "__main__":
        # interactive code (notebook cells, scripts): the globals it uses may change any time
        g = func.__globals__
        for name in sorted(_code_names(code)):
            if name in g:
                parts.append(f"{name}={_token(g[name], seen)}")
    return "|".join(parts)


def _cell_key(fingerprint, params, seeds, lib):
    versions = f"numpy={np.__version__},scipy={scipy.__version__},pandas={pd.__version__}"
    text = "\n".join([fingerprint, _token(params, set()), repr(seeds), lib, versions])
    return hashlib.sha256(text.encode()).hexdigest()


def _cache_load(directory, key):
    path = directory / f"{key}.pkl"
    if not path.is_file():
        return None
    try:
        with open(path, "rb") as fh:
            rows = pickle.load(fh)
    except Exception:  # a corrupt or truncated file is a miss, and is rewritten
        return None
    return rows


def _cache_store(directory, key, rows):
    directory.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(rows, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, directory / f"{key}.pkl")
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


# ----------------------------------------------------------------------------------------------
# the worker
# ----------------------------------------------------------------------------------------------
def _run_trial(func, cell_index, params, trial, seed):
    """Run one trial in a worker; never raises (exceptions are returned as text)."""
    try:
        out = func(**params, rng=seed)
        if not isinstance(out, Mapping):
            raise TypeError(
                f"func must return a dict of results (column name -> value), got "
                f"{type(out).__name__}."
            )
        clash = [k for k in out if k in params or k in _RESERVED]
        if clash:
            raise ValueError(f"func returned keys {clash} that clash with the grid parameters "
                             f"or the reserved columns {_RESERVED}; rename them.")
        return cell_index, trial, dict(out), None
    except Exception as exc:  # noqa: BLE001 - reported to the caller with its traceback
        return cell_index, trial, None, (f"{type(exc).__name__}: {exc}",
                                         traceback.format_exc())


def _check_picklable(func, cells):
    import cloudpickle  # a joblib dependency (vendored by loky); imported lazily

    try:
        cloudpickle.dumps(func)
    except Exception as exc:
        raise TypeError(
            f"func {getattr(func, '__qualname__', func)!r} cannot be pickled, so it cannot be "
            f"sent to parallel workers ({type(exc).__name__}: {exc}). Define it at module or "
            "notebook top level without references to locks, open files, generators or "
            "database connections (create those inside func), or run with n_jobs=1."
        ) from exc
    for params in cells:
        try:
            cloudpickle.dumps(params)
        except Exception as exc:
            raise TypeError(f"the grid cell {params!r} cannot be pickled ({exc}); use plain "
                            "values (numbers, strings, arrays) as grid values.") from exc


def _describe(params):
    return ", ".join(f"{k}={v!r}" for k, v in params.items())


# ----------------------------------------------------------------------------------------------
# run_sweep
# ----------------------------------------------------------------------------------------------
def run_sweep(func, grid, n_trials, *, seed=0, n_jobs=None, progress=True, cache=None,
              on_error="raise", seed_keys=None, desc=None):
    """Run ``func(**params, rng=seed)`` over a parameter grid times seeded trials.

    Parameters
    ----------
    func : callable
        Called as ``func(**params, rng=seed)`` with ``seed`` a non-negative int (the trial's
        seed, passed as the library's ``rng`` argument); must return
        a dict (column name -> value, typically scalars). Defined at module level or in a
        notebook (shipped to the workers with cloudpickle).
    grid : dict of str to list
        Parameter names and their values; the sweep runs over the Cartesian product (the first
        key varies slowest). Wrap fixed parameters in a one-element list.
    n_trials : int
        Number of independent trials per cell (``>= 1``).
    seed : int, optional
        Root seed; the seed of each trial is derived from it, the values of the cell's
        parameters and the trial index with :class:`numpy.random.SeedSequence`
        (see :func:`trial_seed`).
    n_jobs : int, optional
        Number of parallel workers. ``None`` uses the ``n_jobs`` of an enclosing
        :func:`joblib.parallel_config`, otherwise all local cores (``-1``); ``1`` runs in the
        calling process. The backend (loky by default, or threading, dask, ...) is the one
        active in :func:`joblib.parallel_config`.
    progress : bool, optional
        Show a tqdm progress bar (on stderr).
    cache : str or path-like, optional
        Directory in which finished cells are stored and reused (``~`` is expanded; see the
        module docstring for what the key covers). ``None`` disables caching.
    on_error : {"raise", "record"}, optional
        What to do when trials raise. Either way every trial runs first. ``"raise"`` then
        raises :class:`SweepError` (which carries the full table); ``"record"`` returns the
        table with the exception messages in its ``error`` column.
    seed_keys : list of str, optional
        The parameters the seeds depend on (default: all). Cells that agree on these see the
        same random instances, e.g. ``seed_keys=["m"]`` to compare several methods on the
        same problems.
    desc : str, optional
        Label of the progress bar (default: the function's name).

    Returns
    -------
    pandas.DataFrame
        One row per (cell, trial), ordered by cell then trial, with the grid parameters, the
        columns ``trial`` and ``seed``, then the keys returned by ``func`` (and ``error`` if any
        trial failed under ``on_error="record"``). ``table.attrs["sweep"]`` holds ``n_jobs``,
        ``backend``, ``elapsed`` (seconds), ``n_run`` (trials computed) and ``n_cached``
        (trials read from the cache).

    Raises
    ------
    ValueError, TypeError
        For an empty grid or an empty list of values, a bad ``n_trials``/``seed``/``on_error``,
        unknown ``seed_keys``, or a ``func`` that cannot be pickled for parallel workers.
    SweepError
        If a trial raised and ``on_error="raise"``; the message names the first failing cell
        and its seed, and ``.table`` holds every result.

    Examples
    --------
    >>> def trial(a, b, rng):
    ...     rng = np.random.default_rng(rng)
    ...     return {"value": a * b + rng.standard_normal()}
    >>> table = run_sweep(trial, {"a": [1, 2], "b": [10]}, n_trials=3, n_jobs=1,
    ...                   progress=False)
    >>> table.shape
    (6, 5)
    >>> list(table.columns)
    ['a', 'b', 'trial', 'seed', 'value']
    """
    if not callable(func):
        raise TypeError(f"func must be callable, got {type(func).__name__}.")
    cells = grid_cells(grid)
    keys = list(cells[0])
    n_trials = check_int(n_trials, "n_trials", 1)
    if n_trials * len(cells) > _MAX_TRIALS:
        raise ValueError(f"n_trials={n_trials} for {len(cells)} grid cells is more than one "
                         f"sweep can hold in memory (limit {_MAX_TRIALS} trials in all); "
                         "split the sweep into batches with different seeds.")
    seed = check_int(seed, "seed", 0)
    if on_error not in ("raise", "record"):
        raise ValueError(f"on_error must be 'raise' or 'record', got {on_error!r}.")
    if seed_keys is None:
        seed_keys = keys
    else:
        if isinstance(seed_keys, str):
            seed_keys = [seed_keys]
        if not hasattr(seed_keys, "__iter__"):
            raise TypeError(f"seed_keys must be a list of grid parameter names, got "
                            f"{type(seed_keys).__name__}.")
        seed_keys = list(seed_keys)
        unknown = [k for k in seed_keys if k not in keys]
        if unknown:
            raise ValueError(f"seed_keys {unknown} are not grid parameters {keys}.")

    backend, config_n_jobs = joblib.parallel.get_active_backend()
    if n_jobs is None:
        n_jobs = config_n_jobs if config_n_jobs is not None else -1
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, numbers.Integral) or n_jobs == 0:
        raise ValueError(f"n_jobs must be a non-zero integer (-1 for all cores) or None, got "
                         f"{n_jobs!r}.")
    n_jobs = int(n_jobs)
    backend_name = type(backend).__name__
    cpus = os.cpu_count() or 1
    if n_jobs < 0 and cpus + 1 + n_jobs < 1:
        raise ValueError(f"n_jobs={n_jobs} asks for cpu_count + 1 + n_jobs < 1 workers on this "
                         f"machine with {cpus} cores; use n_jobs=-1 (all cores) or a positive "
                         "number.")
    local = backend_name in ("LokyBackend", "MultiprocessingBackend", "ThreadingBackend")
    if local and n_jobs > _MAX_LOCAL_JOBS:
        raise ValueError(f"n_jobs={n_jobs} local workers is far more than this machine's {cpus} "
                         f"cores (limit {_MAX_LOCAL_JOBS}); use n_jobs=-1, or a cluster backend "
                         "(joblib.parallel_config(backend='dask')) for more workers.")
    sequential = n_jobs == 1 or backend_name == "SequentialBackend"
    needs_pickle = not sequential and backend_name != "ThreadingBackend"

    seeds = [[trial_seed(c, t, seed, seed_keys) for t in range(n_trials)] for c in cells]

    # cache lookup
    rows = {}
    n_cached = 0
    cache_dir = None
    keys_by_cell = {}
    if cache is not None:
        if isinstance(cache, bool) or not isinstance(cache, (str, os.PathLike)):
            raise TypeError(f"cache must be a directory path (str or pathlib.Path) or None, got "
                            f"{type(cache).__name__}.")
        cache_dir = pathlib.Path(cache).expanduser()
        fingerprint = _fingerprint(func)
        lib = library_hash()
        for i, c in enumerate(cells):
            key = _cell_key(fingerprint, c, seeds[i], lib)
            keys_by_cell[i] = key
            hit = _cache_load(cache_dir, key)
            if hit is not None and len(hit) == n_trials:
                for t, out in enumerate(hit):
                    rows[i, t] = (out, None)
                n_cached += n_trials

    tasks = [(i, t) for i in range(len(cells)) for t in range(n_trials) if (i, t) not in rows]
    if tasks and needs_pickle:
        _check_picklable(func, [cells[i] for i in sorted({i for i, _ in tasks})])

    start = time.perf_counter()
    if tasks:
        gen_ok = sequential or getattr(backend, "supports_return_generator", False)
        parallel = joblib.Parallel(n_jobs=n_jobs,
                                   return_as="generator_unordered" if gen_ok else "list")
        call = joblib.delayed(_run_trial)
        label = desc if desc is not None else getattr(func, "__name__", "sweep")
        with tqdm(total=len(tasks), disable=not progress, desc=label, unit="trial",
                  smoothing=0.1) as bar:
            for i, t, out, err in parallel(call(func, i, cells[i], t, seeds[i][t])
                                           for i, t in tasks):
                rows[i, t] = (out, err)
                bar.update(1)
    elapsed = time.perf_counter() - start

    # store complete, successful cells
    if cache_dir is not None:
        fresh = {i for i, _ in tasks}
        for i in sorted(fresh):
            outs = [rows[i, t] for t in range(n_trials)]
            if all(err is None for _, err in outs):
                _cache_store(cache_dir, keys_by_cell[i], [out for out, _ in outs])

    # tidy table
    records, failures = [], []
    for i, c in enumerate(cells):
        for t in range(n_trials):
            out, err = rows[i, t]
            rec = dict(c)
            rec["trial"] = t
            rec["seed"] = seeds[i][t]
            if err is None:
                rec.update(out)
                rec["error"] = None
            else:
                rec["error"] = err[0]
                failures.append({"params": dict(c), "trial": t, "seed": seeds[i][t],
                                 "error": err[0], "traceback": err[1]})
            records.append(rec)
    table = pd.DataFrame.from_records(records)
    if not failures:
        table = table.drop(columns="error")
    else:
        cols = [col for col in table.columns if col != "error"] + ["error"]
        table = table[cols]
    table.attrs["sweep"] = {
        "n_jobs": n_jobs if sequential else joblib.effective_n_jobs(n_jobs),
        "backend": backend_name,
        "elapsed": elapsed,
        "n_run": len(tasks),
        "n_cached": n_cached,
        "n_failed": len(failures),
    }
    if failures and on_error == "raise":
        first = failures[0]
        msg = (f"{len(failures)} of {len(records)} trials raised. First failure: cell "
               f"({_describe(first['params'])}), trial {first['trial']}, seed {first['seed']}: "
               f"{first['error']}\nReproduce with func({_describe(first['params'])}, "
               f"seed={first['seed']}). The full table (with an 'error' column) is in "
               f"the exception's .table attribute, tracebacks in .failures; or pass "
               f"on_error='record'.\nWorker traceback of the first failure:\n"
               f"{first['traceback']}")
        raise SweepError(msg, table, failures)
    if failures:
        warnings.warn(f"{len(failures)} of {len(records)} trials raised; see the 'error' "
                      "column.", RuntimeWarning, stacklevel=2)
    return table
