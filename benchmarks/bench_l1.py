"""Basis pursuit on the seeded 200 x 1000, s = 20 instance: time and accuracy per solver.

Measures, in one run, the raw solver (no support detection, no polishing) and the full
``basis_pursuit`` call for each solver, plus the varrho linear programs, and checks that
``implicit_bias.l1.DEFAULT_METHOD`` is the fastest method whose raw solution is within 1e-8
of the ground truth (which basis pursuit recovers exactly on this instance).

Run: ``.venv/bin/python benchmarks/bench_l1.py`` (about a minute on an idle 2-core machine).
"""

import statistics
import time

import numpy as np
from implicit_bias import l1
from implicit_bias.examples import gaussian_instance

REPEATS = 4
ACCURACY = 1e-8


def timed(fn, repeats=REPEATS, warmup=True):
    if warmup:
        fn()  # warm-up (imports, cvxpy canonicalization caches)
    times = []
    out = None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return out, min(times), statistics.median(times)


def raw_solve(A, y, name):
    if name == "linprog":
        return l1._solve_linprog(A, y)
    return l1._solve_cvxpy(A, y, name)


def main():
    inst = gaussian_instance(200, 1000, 20, rng=0)
    A, y, x_star = inst.A, inst.y, inst.x_star
    print(f"instance: gaussian_instance(200, 1000, 20, rng=0); {REPEATS} interleaved repeats "
          "after one warm-up, seconds (min / median). raw: the bare solver; bp(): "
          "basis_pursuit(..., check_unique=False) with checks and polishing")
    names = ("linprog", "highs", "clarabel")
    # round-robin repeats (the machine is shared: interleaving keeps the comparison fair)
    raw_times = {n: [] for n in names}
    bp_times = {n: [] for n in names}
    raw_out, bp_out = {}, {}
    for n in names:  # warm-up
        raw_solve(A, y, n)
    for _ in range(REPEATS):
        for n in names:
            t0 = time.perf_counter()
            raw_out[n] = raw_solve(A, y, n)
            raw_times[n].append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            bp_out[n] = l1.basis_pursuit(A, y, method=n, check_unique=False)
            bp_times[n].append(time.perf_counter() - t0)
    rows = []
    S = inst.support
    for name in names:
        x, lam, status = raw_out[name]
        err = float(np.max(np.abs(x - x_star)))
        cert = max(float(np.max(np.abs(A[:, S].T @ lam - np.sign(x_star[S])))),
                   float(np.max(np.abs(A.T @ lam))) - 1.0)
        ferr = float(np.max(np.abs(bp_out[name].x - x_star)))
        rows.append(dict(name=name, tmin=min(raw_times[name]),
                         tmed=statistics.median(raw_times[name]), err=err, cert=cert,
                         fmin=min(bp_times[name]), fmed=statistics.median(bp_times[name]),
                         ferr=ferr, status=status))
    fastest = min(r["tmed"] for r in rows if r["err"] <= ACCURACY)
    header = (f"{'solver':<10}{'raw min':>9}{'raw med':>9}{'ratio':>7}{'raw max err':>13}"
              f"{'cert viol':>11}{'bp() min':>10}{'bp() med':>10}{'bp() err':>10}  accurate")
    print(header)
    print("-" * len(header))
    for r in rows:
        print(f"{r['name']:<10}{r['tmin']:9.3f}{r['tmed']:9.3f}{r['tmed'] / fastest:7.2f}"
              f"{r['err']:13.2e}{r['cert']:11.1e}{r['fmin']:10.3f}{r['fmed']:10.3f}"
              f"{r['ferr']:10.1e}  {'yes' if r['err'] <= ACCURACY else 'no'}")
    best = min((r for r in rows if r["err"] <= ACCURACY), key=lambda r: r["tmed"])
    verdict = "OK" if best["name"] == l1.DEFAULT_METHOD else "MISMATCH"
    print(f"\nfastest solver with raw error <= {ACCURACY:g}: {best['name']}; "
          f"DEFAULT_METHOD = {l1.DEFAULT_METHOD!r} -> {verdict}")

    # uniqueness check and varrho (two LPs) on the same instance
    res = l1.basis_pursuit(A, y)
    _, umin, umed = timed(lambda: l1.basis_pursuit(A, y, check_unique=True), repeats=1,
                          warmup=False)
    v, vmin, vmed = timed(lambda: l1.varrho_certificate(A, res.x), repeats=1,
                          warmup=False)
    print(f"\nbasis_pursuit(check_unique=True): {umin:.3f} s (unique={res.unique})")
    S, sig = res.support, res.signs
    print("varrho linear programs (one run each):")
    for label, fn in (("certificate LP, eliminated (used)", l1._varrho_primal),
                      ("certificate LP, full", l1._varrho_primal_full),
                      ("null-space LP, eliminated (used)", l1._varrho_dual),
                      ("null-space LP, full", l1._varrho_dual_full)):
        (val, _), tmin, _ = timed(lambda fn=fn: fn(A, S, sig), repeats=1, warmup=False)
        print(f"  {label:<36}{tmin:8.3f} s   value {val:.15f}")
    print(f"varrho_certificate (BP value check + primal LP + null-space LP): "
          f"{vmin:.3f} s; varrho = {v.value:.12f}, "
          f"|primal - dual| = {abs(v.value - v.dual_value):.1e}")


if __name__ == "__main__":
    main()
