"""Every public signature follows the naming convention of CONTRIBUTING.md ("The convention").

The test inspects ``inspect.signature`` of every function, class and public method listed in
the ``__all__`` of every public module, and the fields of every public dataclass, so that a
new function with an old name (``maxiter``, ``seed``, ``learning_rate``, ...) fails here.
"""

import dataclasses
import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import implicit_bias
import pytest

MODULES = sorted(m.name for m in pkgutil.iter_modules(implicit_bias.__path__)
                 if not m.name.startswith("_"))

#: old argument name -> the convention's name (CONTRIBUTING.md, rename table)
OLD_ARGUMENTS = {
    "maxiter": "max_iter",
    "n_steps": "max_iter (a cap) or n_iter (a fixed count)",
    "learning_rate": "step",
    "learning_rates": "steps",
    "lr": "step",
    "eta": "step",
    "seed": "rng",
    "random_state": "rng",
    "solver": "method",
    "full_output": "a separate *_certificate function",
    "raise_on_divergence": "on_divergence",
    "maxfev": "max_nfev",
}
#: the root seed of a sweep stays an int named ``seed`` (it is hashed into the trial seeds)
SEED_ALLOWED = {"implicit_bias.sweeps.run_sweep", "implicit_bias.sweeps.trial_seed"}
#: old result-field name -> the convention's name
OLD_FIELDS = {"nfev": "n_fev", "njev": "n_jev", "nit": "n_iter", "solver": "method",
              "learning_rate": "step", "learning_rates": "steps",
              "critical_rate": "critical_step"}


def _public_objects():
    for name in MODULES:
        module = importlib.import_module(f"implicit_bias.{name}")
        for attr in getattr(module, "__all__", []):
            obj = getattr(module, attr)
            qual = f"implicit_bias.{name}.{attr}"
            if inspect.isfunction(obj):
                yield qual, name, obj
            elif inspect.isclass(obj):
                yield qual, name, obj
                for meth_name, meth in vars(obj).items():
                    if inspect.isfunction(meth) and not meth_name.startswith("_"):
                        yield f"{qual}.{meth_name}", name, meth


OBJECTS = list(_public_objects())
CALLABLES = [(q, m, o) for q, m, o in OBJECTS if inspect.isfunction(o)]
CLASSES = [(q, m, o) for q, m, o in OBJECTS if inspect.isclass(o)]


def test_every_public_module_is_inspected():
    assert {"diagonal", "l1", "theory", "examples", "deep_linear", "recovery", "noisy",
            "sweeps"} <= set(MODULES)
    assert len(CALLABLES) > 60


@pytest.mark.parametrize("qual, module, func", CALLABLES, ids=[q for q, _, _ in CALLABLES])
def test_no_old_argument_names(qual, module, func):
    params = inspect.signature(func).parameters
    for name in params:
        if name == "seed" and qual in SEED_ALLOWED:
            continue
        assert name not in OLD_ARGUMENTS, (
            f"{qual}: argument {name!r} is an old name; the convention says "
            f"{OLD_ARGUMENTS[name]!r}")
    if module == "deep_linear":
        assert "depth" not in params, f"{qual}: the number of layers is `n_layers`, not `depth`"
    else:
        assert "n_layers" not in params, f"{qual}: `n_layers` belongs to deep_linear only"


@pytest.mark.parametrize("qual, module, func", CALLABLES, ids=[q for q, _, _ in CALLABLES])
def test_data_arguments_come_first(qual, module, func):
    names = [n for n in inspect.signature(func).parameters if n != "self"]
    for data in ("A", "X"):
        if data in names:
            assert names[0] == data, f"{qual}: the data {data!r} must be the first argument"
            if "y" in names:
                assert names[1] == "y", f"{qual}: y must follow {data!r}"
    if "y" in names and names.index("y") > 0:
        assert names[names.index("y") - 1] in ("A", "X"), (
            f"{qual}: y is data; it must come right after A or X, first in the signature")


@pytest.mark.parametrize("qual, module, cls", CLASSES, ids=[q for q, _, _ in CLASSES])
def test_result_fields_follow_the_convention(qual, module, cls):
    if not dataclasses.is_dataclass(cls):
        pytest.skip("not a result object")
    fields = {f.name for f in dataclasses.fields(cls)}
    for name in fields:
        assert name not in OLD_FIELDS, (
            f"{qual}: field {name!r} is an old name; use {OLD_FIELDS[name]!r}")
    if module == "deep_linear":
        assert "depth" not in fields, f"{qual}: the number of layers is `n_layers`"
    # iterative results share converged/message (and n_iter with n_fev where they count)
    if {"converged", "n_iter", "n_fev"} & fields:
        assert {"converged", "message"} <= fields, (
            f"{qual}: a result of an iterative computation has `converged` and `message`")


def test_check_random_state_is_used_wherever_randomness_is_drawn():
    """No public module builds its own generator from a user's argument."""
    root = Path(implicit_bias.__file__).parent
    for path in sorted(root.glob("*.py")):
        if path.name == "_validation.py":
            continue
        text = path.read_text()
        # default_rng of a literal (a fixed internal start vector) is fine; of a name it is
        # not (docstring examples and comments are not code)
        code = "\n".join(line for line in text.splitlines()
                         if not line.lstrip().startswith((">>>", "...", "#")))
        bad = [c for c in re.findall(r"\bnp\.random\.default_rng\(([^)]*)\)", code)
               if c and not re.fullmatch(r"\d+", c.strip())]
        assert not bad, f"{path.name}: default_rng({bad[0]}) -- use check_random_state"
