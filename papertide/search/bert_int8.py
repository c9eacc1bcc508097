"""The query encoder of `bert_numpy` with its matrix products in 8-bit integers.

Why: the query's forward pass was most of a search's cost (~11 ms of ~19 ms for a 20-token SciFact claim on a
2-core EPYC), and its four matrix products per layer were most of that. Products of int8 matrices (`torch._int_mm`,
VNNI on an AVX-512 EPYC) run ~3x faster than float32 ones, and torch's fused layer norm, GELU and attention replace
numpy's multi-pass ones.

Only where it is faster: without VNNI (AVX2 only) torch's int8 product is ~15x slower than float32. The embedder
does not load this encoder on such a CPU (cpu.only_avx2), and elsewhere each process times both paths on a query
when it loads the encoder and keeps float32 where int8 does not win.

How: each weight matrix is quantized once per output channel, each activation row (one token) when it is used,
symmetrically, so a token with an outlier value does not cost the others their resolution: the query vector stays
within a cosine of ~0.997 of float32's (per-tensor activations, torch's `quantize_dynamic`, fell to 0.94). The
documents stay embedded in float32; docs/benchmarks.md has the search quality with these query vectors.
"""

from __future__ import annotations

import logging
import time

import numpy as np

from papertide.search.bert_numpy import NumpyBertEncoder

log = logging.getLogger(__name__)

LINEARS = ("qkv", "out", "up", "down")
# A query of a typical length (~25 tokens) to check and time the int8 path against float32 with.
CALIBRATION_QUERY = "Self-supervised pretraining of vision transformers improves few-shot object detection on COCO"


class Int8Unavailable(Exception):
    """This torch cannot multiply int8 matrices on the CPU."""


class Int8QueryEncoder:
    """Embeds one text at a time (a search query) with the weights of a `NumpyBertEncoder`; unit vectors."""

    def __init__(self, base: NumpyBertEncoder, only_if_faster: bool = True) -> None:
        try:
            import torch
        except ImportError:
            raise Int8Unavailable("torch is not installed") from None
        if not hasattr(torch, "_int_mm"):
            raise Int8Unavailable(f"torch {torch.__version__} has no int8 matrix product")
        self.torch = torch
        self.base = base
        self.dimension = base.dimension
        to_torch = torch.from_numpy
        self.layers = []
        for layer in base.layers:
            quantized = {name: (*self._quantized(layer[name + "_w"]), to_torch(layer[name + "_b"])) for name in LINEARS}
            quantized["norm1"] = tuple(to_torch(a) for a in layer["norm1"])
            quantized["norm2"] = tuple(to_torch(a) for a in layer["norm2"])
            self.layers.append(quantized)
        try:
            self.encode(["a query"])  # short: where int8 is slow, this costs little
        except RuntimeError as exc:  # a CPU or build without int8 kernels
            raise Int8Unavailable(str(exc)) from None
        threads = torch.get_num_threads()
        where = f"torch {torch.__version__}, {threads} thread{'' if threads == 1 else 's'}"
        if only_if_faster:
            int8, float32 = self._timings()
            where += f", {torch.backends.cpu.get_cpu_capability()}: {int8:.1f} ms a query against {float32:.1f} ms"
            if int8 >= float32:
                raise Int8Unavailable(f"int8 matrix products are slower than float32 on this CPU ({where})")
        log.info("search queries are embedded with int8 matrix products (%s)", where)

    def _timings(self) -> tuple[float, float]:
        """Milliseconds a query takes in int8 and in float32 here, each the fastest of a few tries (a busy
        machine only slows tries down). Without VNNI (AVX2 only: many EPYCs before Zen 4) torch's int8
        product runs ~15x slower than float32, not 2x faster; such CPUs are ruled out by their flags before this
        (cpu.only_avx2), and for every other one (AVX-512 without VNNI, ARM, …) only measuring tells."""
        def fastest(encode, tries: int, give_up: float = float("inf")) -> float:
            best = float("inf")
            for _ in range(tries):
                started = time.perf_counter()
                encode([CALIBRATION_QUERY])
                best = min(best, (time.perf_counter() - started) * 1000)
                if best > give_up:
                    break
            return best

        float32 = fastest(self.base.encode, 3)
        return fastest(self.encode, 3, give_up=float32), float32

    def _quantized(self, weight: np.ndarray):
        """int8 weights ([in, out]) and one float32 scale per output column."""
        w = self.torch.from_numpy(weight)
        scale = w.abs().amax(0, keepdim=True).clamp_min(1e-12) / 127
        return (w / scale).round().to(self.torch.int8).contiguous(), scale

    def _linear(self, x, params):
        weight, weight_scale, bias = params
        scale = x.abs().amax(-1, keepdim=True).clamp_min_(1e-12) / 127
        quantized = (x / scale).round_().to(self.torch.int8)
        return self.torch._int_mm(quantized, weight).float().mul_(scale * weight_scale).add_(bias)

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit vectors, one row per text (float32), as `NumpyBertEncoder.encode` gives them."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([self._encode_one(text) for text in texts])

    def _encode_one(self, text: str) -> np.ndarray:
        torch, base = self.torch, self.base
        functional = torch.nn.functional
        ids = np.asarray(base.tokenizer.encode(text).ids)
        length, size = len(ids), self.dimension
        heads = base.heads
        with torch.inference_mode():
            x = torch.from_numpy(base.embedded(ids))
            for layer in self.layers:
                qkv = self._linear(x, layer["qkv"]).view(length, 3, heads, size // heads).permute(1, 2, 0, 3)
                context = functional.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2])
                context = context.permute(1, 0, 2).reshape(length, size)
                x = functional.layer_norm(x + self._linear(context, layer["out"]), (size,), *layer["norm1"],
                                          eps=base.eps)
                hidden = functional.gelu(self._linear(x, layer["up"]))
                x = functional.layer_norm(x + self._linear(hidden, layer["down"]), (size,), *layer["norm2"],
                                          eps=base.eps)
            pooled = x.mean(0)
            return (pooled / pooled.norm().clamp_min(1e-12)).numpy()
