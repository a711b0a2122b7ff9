"""The machine's facts: CPU flags, the precision they make fast, the record beside timings."""

import pytest

from evoshift_tf import errors, hardware


@pytest.mark.parametrize("flags, gpu, expected", [
    (frozenset({"avx2", "fma"}), False, "float32"),
    (frozenset({"avx2", "avx512f"}), False, "float32"),
    (frozenset({"avx512f", "avx512_bf16"}), False, "bfloat16"),
    (frozenset({"amx_bf16"}), False, "bfloat16"),
    (frozenset({"avx2"}), True, "bfloat16"),
])
def test_precision_auto_follows_the_cpu_flags(flags, gpu, expected):
    assert hardware.resolve_precision("auto", flags, gpu) == expected
    assert hardware.resolve_precision("float32", flags, gpu) == "float32"


@pytest.mark.parametrize("cap, expected", [("avx2", "float32"), ("AVX512_CORE", "float32"),
                                            ("AVX512_CORE_BF16", "bfloat16"), ("", "bfloat16")])
def test_precision_auto_follows_a_onednn_isa_cap(monkeypatch, cap, expected):
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", cap)
    assert hardware.resolve_precision("auto", frozenset({"avx512_bf16"}), False) == expected


@pytest.mark.parametrize("cap, recorded", [("AVX2", "AVX2"), ("", None)])
def test_the_machine_record_names_a_onednn_cap(monkeypatch, cap, recorded):
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", cap)      # a capped timing is not this CPU's speed
    assert hardware.machine()["onednn_max_cpu_isa"] == recorded


def test_unknown_precision_is_refused():
    with pytest.raises(errors.UserError, match="precision"):
        hardware.resolve_precision("fp8")


def test_cpu_flags_are_read_from_cpuinfo(tmp_path):
    f = tmp_path / "cpuinfo"
    f.write_text("processor : 0\nflags\t\t: fpu avx2 avx512_bf16\n")
    assert hardware.cpu_flags(str(f)) == {"fpu", "avx2", "avx512_bf16"}
    assert hardware.cpu_flags(str(tmp_path / "missing")) == frozenset()
