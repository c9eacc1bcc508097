"""A BERT sentence encoder in plain numpy, for mean-pooled sentence-transformers models such as
all-MiniLM-L6-v2.

Why: a search query is embedded on the request path. Through sentence-transformers (and through
transformers' own forward) one short query took 15-50 ms here, nearly all of it Python overhead around
~0.2 GFLOP of arithmetic; this forward pass is the same arithmetic in ~100 numpy calls. It needs no
torch, so web workers stay small, and its output matches sentence-transformers' to ~1e-6 (tested).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file
from tokenizers import Tokenizer


class UnsupportedModel(Exception):
    """The model is not a mean-pooled BERT; use sentence-transformers for it instead."""


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    centered = x - mean
    variance = np.mean(centered * centered, axis=-1, keepdims=True)
    return centered / np.sqrt(variance + eps) * weight + bias


def _erf(x: np.ndarray) -> np.ndarray:
    # Abramowitz & Stegun 7.1.26 (max error 1.5e-7): BERT's GELU is erf-based, numpy has no erf.
    sign = np.sign(x)
    x = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * x)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    return sign * (1.0 - poly * np.exp(-x * x))


def _gelu(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + _erf(x * np.float32(0.7071067811865476)))


class NumpyBertEncoder:
    """Embeds texts with a BERT model stored as safetensors, mean pooling, L2 normalization."""

    def __init__(self, model_dir: Path) -> None:
        config = json.loads((model_dir / "config.json").read_text())
        if config.get("model_type") != "bert" or config.get("hidden_act") != "gelu":
            raise UnsupportedModel(f"{model_dir} is a {config.get('model_type')!r} model, not BERT")
        pooling_file = model_dir / "1_Pooling" / "config.json"
        if pooling_file.exists() and not json.loads(pooling_file.read_text()).get("pooling_mode_mean_tokens"):
            raise UnsupportedModel(f"{model_dir} does not use mean pooling")
        weights_file = model_dir / "model.safetensors"
        if not weights_file.exists():
            raise UnsupportedModel(f"{model_dir} has no model.safetensors")
        st_config_file = model_dir / "sentence_bert_config.json"
        st_config = json.loads(st_config_file.read_text()) if st_config_file.exists() else {}
        self.max_tokens = int(st_config.get("max_seq_length", config.get("max_position_embeddings", 512)))
        self.heads = int(config["num_attention_heads"])
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.enable_truncation(self.max_tokens)
        self.tokenizer.no_padding()

        w = {name.removeprefix("bert."): value for name, value in load_file(str(weights_file)).items()}
        self.word = w["embeddings.word_embeddings.weight"]
        self.position = w["embeddings.position_embeddings.weight"]
        self.token_type = w["embeddings.token_type_embeddings.weight"][0]
        self.embedding_norm = (w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        self.layers = []
        for i in range(int(config["num_hidden_layers"])):
            p = f"encoder.layer.{i}."
            qkv = np.concatenate(
                [w[p + f"attention.self.{name}.weight"] for name in ("query", "key", "value")], axis=0
            )
            self.layers.append(
                {
                    # Linear weights are stored [out, in]; keep them transposed once, contiguous.
                    "qkv_w": np.ascontiguousarray(qkv.T),
                    "qkv_b": np.concatenate([w[p + f"attention.self.{n}.bias"] for n in ("query", "key", "value")]),
                    "out_w": np.ascontiguousarray(w[p + "attention.output.dense.weight"].T),
                    "out_b": w[p + "attention.output.dense.bias"],
                    "norm1": (w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"]),
                    "up_w": np.ascontiguousarray(w[p + "intermediate.dense.weight"].T),
                    "up_b": w[p + "intermediate.dense.bias"],
                    "down_w": np.ascontiguousarray(w[p + "output.dense.weight"].T),
                    "down_b": w[p + "output.dense.bias"],
                    "norm2": (w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"]),
                }
            )
        self.dimension = int(config["hidden_size"])

    def embedded(self, ids: np.ndarray) -> np.ndarray:
        """The input of the first layer for token ids ([length] or [batch, length])."""
        x = self.word[ids] + self.position[:ids.shape[-1]] + self.token_type
        return _layer_norm(x, *self.embedding_norm, self.eps)

    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        batch, length = ids.shape
        heads, head_size = self.heads, self.dimension // self.heads
        x = self.embedded(ids)
        # Padding keys get a large negative score so softmax gives them no weight.
        key_bias = ((1.0 - mask[:, None, None, :]) * np.float32(-1e9)).astype(np.float32)
        scale = np.float32(1.0 / np.sqrt(head_size))
        for layer in self.layers:
            qkv = x @ layer["qkv_w"] + layer["qkv_b"]
            qkv = qkv.reshape(batch, length, 3, heads, head_size).transpose(2, 0, 3, 1, 4)
            q, k, v = qkv[0], qkv[1], qkv[2]
            scores = (q @ k.transpose(0, 1, 3, 2)) * scale + key_bias
            scores -= scores.max(-1, keepdims=True)
            np.exp(scores, out=scores)
            scores /= scores.sum(-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch, length, self.dimension)
            x = _layer_norm(x + context @ layer["out_w"] + layer["out_b"], *layer["norm1"], self.eps)
            hidden = _gelu(x @ layer["up_w"] + layer["up_b"])
            x = _layer_norm(x + hidden @ layer["down_w"] + layer["down_b"], *layer["norm2"], self.eps)
        weights = mask[:, :, None]
        pooled = (x * weights).sum(1) / np.maximum(weights.sum(1), 1e-9)
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit vectors, one row per text (float32). Texts of similar length batch best."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        encodings = self.tokenizer.encode_batch(texts)
        length = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(texts), length), dtype=np.int64)
        mask = np.zeros((len(texts), length), dtype=np.float32)
        for row, encoding in enumerate(encodings):
            ids[row, : len(encoding.ids)] = encoding.ids
            mask[row, : len(encoding.ids)] = 1.0
        return self._forward(ids, mask).astype(np.float32)
