"""Wall time of the README's main job, per stage, on this CPU and with oneDNN capped at AVX2.

    python -m benchmarks.main_job_time                       # both arms, about 20 min here
    python -m benchmarks.main_job_time --isa_caps=native     # this CPU only
    python -m benchmarks.main_job_time --isa_caps=native --presets=auto,default   # both budgets

A 2-core AVX-512 machine cannot become an AVX2 machine, but ``ONEDNN_MAX_CPU_ISA=AVX2`` keeps
TensorFlow's oneDNN kernels (the convolutions and matmuls that dominate the job) to AVX2, and
``precision=auto`` then trains the search in float32, as on an AVX2-only CPU. Clock, cache and
core count stay this machine's, so the arm is an emulation: each arm also measures the float32
matmul and convolution rate, so a time can be carried to another CPU by its measured rate.
Each arm runs ``evoshift run`` in a fresh temporary run folder (nothing reused) and reads the
stage times from its ``timings.json``. Prints a table; writes ``main_job_time.json``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time

from absl import app, flags

from evoshift_tf import atomic, summary
from pipelines import local_runner

FLAGS = flags.FLAGS
flags.DEFINE_list("isa_caps", ["native", "AVX2"], "ONEDNN_MAX_CPU_ISA per arm (native: unset)")
flags.DEFINE_list("presets", ["auto"], "the main job's --preset per arm (auto: the budget for "
                  "this machine, evoshift_tf.presets.resolve)")
flags.DEFINE_string("out", "benchmarks/results/main_job_time.json", "JSON to write")

_RATE = """
import json, time, tensorflow as tf
from benchmarks.population import matmul_peak
x, k = tf.random.normal([256, 28, 28, 32]), tf.random.normal([3, 3, 32, 64])
conv = tf.function(lambda: tf.nn.conv2d(x, k, 1, "SAME"))
conv()
t = time.perf_counter()
for _ in range(20):
    conv().numpy()
print(json.dumps({"matmul_gflops": matmul_peak(tf.float32, reps=20),
                  "conv_gflops": 2 * 256 * 28 * 28 * 9 * 32 * 64 * 20
                  / (time.perf_counter() - t) / 1e9}))
"""


def _env(cap: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "ONEDNN_MAX_CPU_ISA"}
    if cap != "native":
        env["ONEDNN_MAX_CPU_ISA"] = cap
    return env


def float32_rates(cap: str) -> dict:
    """float32 GFLOP/s of a 2048^2 matmul and a 3x3 convolution under the cap."""
    out = subprocess.run([sys.executable, "-c", _RATE], env=_env(cap), check=True,
                         capture_output=True, text=True).stdout
    return {k: round(v, 1) for k, v in json.loads(out.strip().splitlines()[-1]).items()}


def main_job(cap: str, preset: str = "auto") -> dict:
    """Seconds per stage and in all of ``evoshift run --preset=PRESET`` under the cap."""
    with tempfile.TemporaryDirectory() as root:
        start = time.time()
        out = subprocess.run([sys.executable, "-m", "pipelines.cli", "run",
                              f"--run_root={root}", f"--preset={preset}"], env=_env(cap),
                             check=True, capture_output=True, text=True).stdout
        total = time.time() - start
        with open(os.path.join(root, local_runner.TIMINGS)) as f:
            timings = json.load(f)
        with open(os.path.join(root, local_runner.RUN_RECORD)) as f:
            resolved = json.load(f)["preset"]
    stages: dict[str, float] = {}
    for t in timings.values():
        stages[t["component"]] = round(stages.get(t["component"], 0.0) + t["seconds"], 1)
    table = [line for line in out.splitlines() if line.startswith("|")]
    return {"resolved_preset": resolved,
            "total_seconds": round(total, 1), "stage_seconds": stages, "summary": table}


def main(argv):
    del argv
    from benchmarks.attack_strength import machine
    arms = []
    for cap in FLAGS.isa_caps:
        rates = float32_rates(cap)
        for preset in FLAGS.presets:
            arm = {"onednn_max_cpu_isa": cap, "preset": preset, **rates,
                   **main_job(cap, preset)}
            arms.append(arm)
            print(json.dumps(arm), flush=True)
    atomic.write_json(FLAGS.out, {"arms": arms, "machine": machine()})
    base = arms[0]["total_seconds"]
    print(summary.markdown_table(
        ["oneDNN cap", "preset", "float32 matmul GFLOP/s", "conv GFLOP/s", "main job s", "ratio",
         "stages s"],
        [[a["onednn_max_cpu_isa"], f"{a['preset']} ({a['resolved_preset']})", a["matmul_gflops"],
          a["conv_gflops"], a["total_seconds"], f"{a['total_seconds'] / base:.2f}",
          json.dumps(a["stage_seconds"])] for a in arms]))
    print("wrote", FLAGS.out)


if __name__ == "__main__":
    app.run(main)
