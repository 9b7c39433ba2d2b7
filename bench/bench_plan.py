#!/usr/bin/env python3
"""Plan for a 1,000-pool config: wall time (median of runs) and the CLI's peak
memory (max RSS), next to `engine-provisioner version` (process start-up alone)
measured in the same run.

usage: bench/bench_plan.py BUILD_DIR [POOLS] [RUNS]
"""
import os
import statistics
import subprocess
import sys
import tempfile
import time

build = sys.argv[1] if len(sys.argv) > 1 else "build"
pools = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
runs = int(sys.argv[3]) if len(sys.argv) > 3 else 21
ep = os.path.join(build, "engine-provisioner")

MODES = [
    ("source", "      source: {repo: https://github.com/ggml-org/llama.cpp.git, ref: b%d,"
               " build: {cmake_flags: [-DLLAMA_CUBLAS=ON, -DCMAKE_CUDA_ARCHITECTURES=86]}}\n"),
    ("container", "      container: {image: vllm/vllm-openai, tag: v0.6.%d}\n"),
    ("binary", "      allow_binary_downloads: true\n      binary: {url: https://example.invalid/b%d.zip,"
               " checksum: \"sha256:" + "ab" * 32 + "\"}\n"),
]


def config(n):
    out = ["pools:\n"]
    for i in range(n):
        mode, section = MODES[i % len(MODES)]
        engine = "vllm" if mode == "container" else "llamacpp"
        out.append(f"  - id: pool-{i:05d}\n    engine: {engine}\n    model: m{i}.gguf\n"
                   f"    devices: [{i % 4}]\n    ctx: {2048 + i % 8 * 1024}\n"
                   f"    provisioning:\n      mode: {mode}\n" + (section % i) +
                   "      ports: [%d]\n" % (8000 + i % 1000) +
                   ("      flags: [--metrics, -ngl, \"99\", --parallel, \"2\"]\n" if engine == "llamacpp"
                    else "      flags: [--gpu-memory-utilization, \"0.9\"]\n"))
    return "".join(out)


def measure(argv):
    """Median wall time, and the largest max RSS of the runs as /usr/bin/time reports it
    (a child forked by Python would carry Python's own RSS into its figure)."""
    times, rss = [], 0
    with tempfile.NamedTemporaryFile() as rf:
        for _ in range(runs):
            t0 = time.perf_counter()
            p = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", rf.name] + argv,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            times.append((time.perf_counter() - t0) * 1000)
            if p.returncode != 0:
                sys.exit(f"{argv} failed with {p.returncode}")
            rss = max(rss, int(open(rf.name).read().split()[-1]))
    return statistics.median(times), rss


with tempfile.TemporaryDirectory() as d:
    path = os.path.join(d, "pools.yaml")
    with open(path, "w") as f:
        f.write(config(pools))
    size = os.path.getsize(path)
    base_ms, base_rss = measure([ep, "version"])
    plan_ms, plan_rss = measure([ep, "plan", "--config", path, "--all", "--json"])
    print(f"config: {pools} pools, {size / 1024:.0f} KiB")
    print(f"plan --all --json: median {plan_ms:.1f} ms over {runs} runs (target < 50 ms)")
    print(f"  peak RSS {plan_rss / 1024:.1f} MiB (target < 20 MiB)")
    print(f"baseline 'version' (process start-up): median {base_ms:.1f} ms, peak RSS {base_rss / 1024:.1f} MiB")
    print(f"plan minus start-up: {plan_ms - base_ms:.1f} ms; ratio plan/start-up {plan_ms / base_ms:.1f}x")
