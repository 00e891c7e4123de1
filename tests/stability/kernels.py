"""Re-execute every chapter under other OpenBLAS kernels and thread counts, and
compare with the stored outputs (``make test-kernels``; ``.ci/run`` runs it
after ``make test``).

A number that depends on the CPU's vector unit, the BLAS kernel or the thread
count fails here before it fails on a reader's machine. Each configuration is
one ``pytest --nbval`` run over ``chapters/`` with ``OPENBLAS_CORETYPE`` and
``OPENBLAS_NUM_THREADS`` set, plus ``blas_probe.py``, which confirms through
threadpoolctl, inside that same run, that the kernel and thread count really
are the ones asked for, so the check cannot pass vacuously.

Configurations: two kernels other than this machine's default (the first two
of :data:`CANDIDATE_KERNELS` that OpenBLAS reports differently from the
default), one with 1 thread and one with 2, and the default kernel with 2
threads (the book's own runs pin 1).

The configurations run side by side, one per core, each in its own process.

Usage: ``python tests/stability/kernels.py [--only N] [pytest args...]``.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE = Path(__file__).with_name("blas_probe.py")
CANDIDATE_KERNELS = ("Sandybridge", "Prescott", "Haswell", "Nehalem", "Zen")
THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def blas_info(env: dict) -> dict:
    """OpenBLAS's architecture and thread count as threadpoolctl sees them under ``env``."""
    code = ("import json, numpy, threadpoolctl; "
            "info = [i for i in threadpoolctl.threadpool_info() if i['internal_api'] == 'openblas']; "
            "print(json.dumps({'architecture': info[0].get('architecture'), 'threads': info[0]['num_threads']} "
            "if info else {}))")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    info = json.loads(out.stdout.strip().splitlines()[-1])
    if not info:
        raise SystemExit("numpy is not linked to OpenBLAS here; the kernel check needs OpenBLAS")
    return info


def environment(kernel: str | None, threads: int) -> dict:
    env = {**os.environ, **{name: str(threads) for name in THREAD_VARS}}
    env.pop("OPENBLAS_CORETYPE", None)
    if kernel:
        env["OPENBLAS_CORETYPE"] = kernel
    return env


def configurations() -> list[tuple[str, dict, dict]]:
    default = blas_info(environment(None, 1))
    seen, kernels = {default["architecture"]}, []
    for kernel in CANDIDATE_KERNELS:
        arch = blas_info(environment(kernel, 1))["architecture"]
        if arch not in seen:
            seen.add(arch)
            kernels.append(kernel)
        if len(kernels) == 2:
            break
    if len(kernels) < 2:
        raise SystemExit(f"found fewer than two OpenBLAS kernels other than {default['architecture']} "
                         f"among {CANDIDATE_KERNELS}; the check would be vacuous")
    chosen = [(kernels[0], 1), (kernels[1], 2), (None, 2)]
    result = []
    for kernel, threads in chosen:
        env = environment(kernel, threads)
        info = blas_info(env)
        if info["threads"] != threads:
            raise SystemExit(f"asked OpenBLAS for {threads} threads, it reports {info['threads']}")
        env["COACHBOOK_EXPECT_BLAS"] = json.dumps(info)
        label = f"{kernel or 'default'} kernel ({info['architecture']}), {threads} thread(s)"
        result.append((label, env, info))
    return result


def run_configuration(label: str, env: dict, argv: list[str]) -> tuple[str, int, str, float]:
    """One nbval run over the chapters under ``env``: (label, exit code, output, seconds)."""
    start = time.perf_counter()
    run = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "--nbval",
                          "--nbval-current-env", "-o", "addopts=", str(PROBE), "chapters", *argv],
                         cwd=ROOT, env=env, capture_output=True, text=True)
    return label, run.returncode, run.stdout + run.stderr, time.perf_counter() - start


def main(argv: list[str]) -> int:
    from concurrent.futures import ThreadPoolExecutor

    only = None
    if argv[:1] == ["--only"]:
        only, argv = int(argv[1]), argv[2:]
    configs = [config for number, config in enumerate(configurations()) if only in (None, number)]
    failures = []
    # The runs are independent and each is mostly one busy core: one at a time per core.
    with ThreadPoolExecutor(max_workers=max(1, len(os.sched_getaffinity(0)))) as pool:
        runs = [pool.submit(run_configuration, label, env, argv) for label, env, _ in configs]
        for future in runs:
            label, code, output, seconds = future.result()
            print(f"\n=== nbval under the {label} ===\n{output.rstrip()}", flush=True)
            print(f"=== {label}: {'passed' if code == 0 else 'FAILED'} in {seconds:.0f} s", flush=True)
            if code != 0:
                failures.append(label)
    ran = len(configs)
    summary = f"kernels: {ran - len(failures)} passed, {len(failures)} failed"
    if failures:
        print("\nStored outputs differ under: " + "; ".join(failures)
              + ".\nA number that reaches the page must not depend on the BLAS kernel or the thread count: "
              "round it where it leaves the package (coachbook.book) or make its optimizer converge tighter.")
        print(summary)
        return 1
    print("\nEvery chapter's stored outputs reproduce under every configuration.")
    print(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
