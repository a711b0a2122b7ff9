"""What this machine is: CPU flags, GPUs, the compute precision they make fast, and the record of
it that every published timing carries.

Measured on 2-core CPUs (``docs/performance.md``): bfloat16 is native and about 2x float32 on
CPUs with ``avx512_bf16`` or ``amx_bf16``, emulated and about 6x slower than float32 on AVX2-only
CPUs; so ``precision="auto"`` picks bfloat16 only where it is native, and on GPUs.
"""

from __future__ import annotations

import os
import platform

from evoshift_tf.errors import UserError

PRECISIONS = ("float32", "bfloat16")
NATIVE_BF16_CPU_FLAGS = ("avx512_bf16", "amx_bf16")
"""CPU flags (``/proc/cpuinfo``) with native bfloat16 arithmetic; without them TF emulates it
(measured about 6x slower than float32 on an AVX2-only CPU)."""
ONEDNN_ISAS_WITHOUT_BF16 = ("SSE41", "AVX", "AVX2", "AVX2_VNNI", "AVX2_VNNI_2", "AVX512_CORE",
                            "AVX512_CORE_VNNI")
"""Values of ``ONEDNN_MAX_CPU_ISA`` that keep oneDNN (TensorFlow's CPU convolutions and matmuls)
below its bfloat16 kernels: with such a cap bfloat16 is emulated whatever the CPU has."""
SPEED_CPU_FLAGS = ("avx2", "avx512f", "avx512_bf16", "amx_bf16")
"""The CPU flags that decide TensorFlow's CPU speed here: published beside every timing."""


def cpu_flags(path: str = "/proc/cpuinfo") -> frozenset[str]:
    """The CPU's feature flags (empty where the file is missing, e.g. not Linux)."""
    try:
        with open(path) as f:
            for line in f:
                if line.startswith("flags"):
                    return frozenset(line.split(":", 1)[1].split())
    except OSError:
        pass
    return frozenset()


def gpu_count() -> int:
    """Physical GPUs TensorFlow sees."""
    import tensorflow as tf
    return len(tf.config.list_physical_devices("GPU"))


def onednn_cap() -> str | None:
    """The ``ONEDNN_MAX_CPU_ISA`` cap on oneDNN's kernels (None: uncapped)."""
    return os.environ.get("ONEDNN_MAX_CPU_ISA") or None


def native_bfloat16(flags: frozenset[str] | None = None, has_gpu: bool | None = None) -> bool:
    """Whether bfloat16 arithmetic is native here: a GPU, or a CPU with
    :data:`NATIVE_BF16_CPU_FLAGS` whose oneDNN is not capped below them. ``flags``/``has_gpu``
    default to this machine's."""
    if has_gpu is None:
        has_gpu = gpu_count() > 0
    flags = cpu_flags() if flags is None else flags
    capped = (onednn_cap() or "").upper() in ONEDNN_ISAS_WITHOUT_BF16
    return has_gpu or (any(f in flags for f in NATIVE_BF16_CPU_FLAGS) and not capped)


def check_precision(precision: str) -> str:
    """``precision`` if it is ``auto`` or one of :data:`PRECISIONS`, else a :class:`UserError`."""
    if precision != "auto" and precision not in PRECISIONS:
        raise UserError(f"precision={precision!r}: expected 'auto' or one of {list(PRECISIONS)}")
    return precision


def resolve_precision(precision: str = "auto", flags: frozenset[str] | None = None,
                      has_gpu: bool | None = None) -> str:
    """``auto`` -> ``bfloat16`` where it is native (:func:`native_bfloat16`), else ``float32``;
    ``float32``/``bfloat16`` pass through."""
    if check_precision(precision) != "auto":
        return precision
    return "bfloat16" if native_bfloat16(flags, has_gpu) else "float32"


def machine() -> dict:
    """What a timing or a float round-off needs beside it: :data:`SPEED_CPU_FLAGS` this CPU
    has, cores, processor, TensorFlow version, GPUs, the ``ONEDNN_MAX_CPU_ISA`` cap (None:
    uncapped) and the precision ``auto`` resolves to here."""
    import tensorflow as tf
    flags = cpu_flags()
    gpus = gpu_count()
    return {"cpu_flags": sorted(f for f in SPEED_CPU_FLAGS if f in flags), "cpus": os.cpu_count(),
            "processor": platform.processor() or platform.machine(),
            "tensorflow": tf.__version__, "gpus": gpus, "onednn_max_cpu_isa": onednn_cap(),
            "precision": resolve_precision("auto", flags, gpus > 0)}
