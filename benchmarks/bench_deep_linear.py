"""Speed of implicit_bias.deep_linear: sharpness (dense vs Lanczos), GD steps, batched sweeps.

Run: .venv/bin/python benchmarks/bench_deep_linear.py  (prints tables; no assertions)

Targets (what the chapter relies on): a sharpness evaluation of a depth-10, width-5 network in
a few milliseconds; a batched learning-rate sweep at least several times faster per run than
separate gradient-descent runs.
"""

import time

import numpy as np
from implicit_bias import deep_linear as dl


def best_of(fun, repeat=5):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fun()
        times.append(time.perf_counter() - t)
    return min(times)


def main():
    X, y = dl.regression_data(50, 5, rng=0)
    print("sharpness of a Gaussian-initialized network (d = width = 5)")
    print(f"{'depth':>6} {'params':>7} {'dense [ms]':>11} {'Lanczos [ms]':>13} {'rel. diff':>10}")
    for L in (2, 5, 10, 20, 40):
        W = dl.gaussian_init(5, L, 0.4, rng=1)
        p = sum(w.size for w in W)
        td = best_of(lambda W=W: dl.sharpness(X, y, W, method="dense"))
        tl = best_of(lambda W=W: dl.sharpness(X, y, W, method="lanczos"))
        sd = dl.sharpness(X, y, W, method="dense")
        sl = dl.sharpness(X, y, W, method="lanczos")
        print(f"{L:6d} {p:7d} {1e3 * td:11.2f} {1e3 * tl:13.2f} {abs(sd - sl) / sd:10.1e}")

    print("\ngradient descent (1000 steps, no intermediate sharpness)")
    print(f"{'depth':>6} {'time [s]':>9} {'per step [us]':>14}")
    for L in (5, 10, 20, 40):
        W0, head = dl.residual_init(5, L, 0.25, rng=1)
        t = best_of(lambda W0=W0, head=head, lr=0.5 / L: dl.gradient_descent(
            X, y, W0, lr, 1000, head=head, stop_at_convergence=False), repeat=2)
        print(f"{L:6d} {t:9.3f} {1e6 * t / 1000:14.1f}")

    print("\nstep sweep: batched (12 step sizes x 3 repeats) vs separate runs, 300 steps")
    print(f"{'depth':>6} {'batched [s]':>12} {'separate [s]':>13} {'speed-up':>9}")
    for L in (5, 20):
        lrs = np.geomspace(0.25, 3.0, 12) * dl.critical_step(X, y, L)
        tb = best_of(lambda L=L, lrs=lrs: dl.step_sweep(
            X, y, L, lrs, n_repeats=3, n_iter=300, rng=0), repeat=2)
        rng = np.random.default_rng(0)
        inits = [dl.residual_init(5, L, 0.25, rng) for _ in range(3)]

        def separate(lrs=lrs, inits=inits):
            for lr in lrs:
                for W0, head in inits:
                    dl.gradient_descent(X, y, W0, lr, 300, head=head, sharpness_every=0,
                                        stop_at_convergence=False, on_divergence="flag")

        ts = best_of(separate, repeat=1)
        print(f"{L:6d} {tb:12.3f} {ts:13.3f} {ts / tb:9.1f}")


if __name__ == "__main__":
    main()
