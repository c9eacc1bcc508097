"""Keyphrase quality: F1@5 against the keyphrases people assigned, for papertide's extractor (topics/keyphrases.py)
beside YAKE and plain tf-idf, on the same documents in the same run.

Matching is the usual one in keyphrase papers: exact match after lower-casing and Porter stemming (the Snowball
English stemmer), macro-averaged over documents; gold keyphrases that never occur in the text count too, so no
extractive method can reach 1.0. tf-idf ranks the same candidates papertide does, by frequency in the document
times the log inverse document frequency over the benchmark's documents.
"""

from __future__ import annotations

import gzip
import json
import math
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

FIXTURES = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "keyphrases"
AT = 5


@dataclass
class Document:
    title: str
    abstract: str
    gold: list[str]

    @property
    def text(self) -> str:
        return f"{self.title}. {self.abstract}" if self.title else self.abstract


def read(path: Path, limit: int = 0) -> list[Document]:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    rows = rows[:limit] if limit else rows
    return [Document(r["title"], r["abstract"], r["keyphrases"]) for r in rows]


def _stemmer():
    try:
        import snowballstemmer
    except ImportError:
        raise SystemExit("the keyphrase benchmark needs the test extras: pip install -e '.[test]'") from None
    return snowballstemmer.stemmer("english")


@dataclass
class Score:
    f1: float = 0.0
    precision: float = 0.0
    recall: float = 0.0
    seconds: float = 0.0
    examples: list[list[str]] = field(default_factory=list)


def evaluate(predicted: list[list[str]], documents: list[Document], seconds: float) -> Score:
    stemmer = _stemmer()

    def normal(phrase: str) -> str:
        return " ".join(stemmer.stemWords(re.findall(r"[a-z0-9]+", phrase.lower())))

    score = Score(seconds=seconds / max(len(documents), 1), examples=predicted[:3])
    for phrases, document in zip(predicted, documents, strict=True):
        gold = {normal(g) for g in document.gold}
        found = list(dict.fromkeys(normal(p) for p in phrases))[:AT]
        hits = len(set(found) & gold)
        precision = hits / len(found) if found else 0.0
        recall = hits / len(gold) if gold else 0.0
        score.precision += precision
        score.recall += recall
        score.f1 += 2 * precision * recall / (precision + recall) if hits else 0.0
    for name in ("f1", "precision", "recall"):
        setattr(score, name, getattr(score, name) / max(len(documents), 1))
    return score


def papertide_phrases(documents: list[Document], embedder, diversity: float) -> tuple[list[list[str]], float]:
    from papertide.topics import keyphrases

    started = time.perf_counter()
    vectors = embedder.embed_documents([d.text for d in documents])
    found = [keyphrases.candidates(d.title, d.abstract) for d in documents]
    phrases = sorted({p for f in found for p in f.phrases}, key=len)
    phrase_vectors = dict(zip(phrases, embedder.embed_documents(phrases, batch_size=128), strict=True))
    predicted = []
    for document_vector, candidates in zip(vectors, found, strict=True):
        matrix = np.array([phrase_vectors[p] for p in candidates.phrases]).reshape(-1, vectors.shape[1])
        bonus = keyphrases.TITLE_BONUS * np.asarray(candidates.in_title, dtype=np.float32)
        chosen = keyphrases.mmr(document_vector, matrix, AT, diversity=diversity, bonus=bonus)
        predicted.append([candidates.phrases[i] for i in chosen])
    return predicted, time.perf_counter() - started


def tfidf_phrases(documents: list[Document]) -> tuple[list[list[str]], float]:
    from papertide.topics import keyphrases

    started = time.perf_counter()
    found = [keyphrases.candidates(d.title, d.abstract) for d in documents]
    frequency = Counter(p.lower() for f in found for p in set(f.phrases))
    predicted = []
    for candidates in found:
        scored = sorted(
            zip(candidates.phrases, candidates.counts, strict=True),
            key=lambda pc: -pc[1] * math.log(len(documents) / frequency[pc[0].lower()]),
        )
        predicted.append([p for p, _ in scored[:AT]])
    return predicted, time.perf_counter() - started


def yake_phrases(documents: list[Document]) -> tuple[list[list[str]], float] | None:
    try:
        import yake
    except ImportError:
        return None
    extractor = yake.KeywordExtractor(lan="en", n=3, top=AT)
    started = time.perf_counter()
    predicted = [[k for k, _ in extractor.extract_keywords(d.text)] for d in documents]
    return predicted, time.perf_counter() - started


def run(dataset: Path, limit: int = 0, model: str = "all-MiniLM-L6-v2") -> dict[str, Score]:
    from papertide.search.embedder import Embedder
    from papertide.topics.keyphrases import DIVERSITY

    documents = read(dataset, limit)
    embedder = Embedder(model)
    embedder.embed_documents(["warm up the model"])
    results = {}
    predicted, seconds = papertide_phrases(documents, embedder, DIVERSITY)
    results[f"papertide (embeddings, MMR λ={DIVERSITY})"] = evaluate(predicted, documents, seconds)
    predicted, seconds = papertide_phrases(documents, embedder, 1.0)
    results["papertide without diversity (λ=1)"] = evaluate(predicted, documents, seconds)
    predicted, seconds = tfidf_phrases(documents)
    results["tf-idf (same candidates)"] = evaluate(predicted, documents, seconds)
    found = yake_phrases(documents)
    if found is not None:
        predicted, seconds = found
        results["YAKE (n ≤ 3)"] = evaluate(predicted, documents, seconds)
    return results
