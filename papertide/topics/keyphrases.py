"""Keyphrases of a paper, offline: candidate phrases from its title and abstract, ranked by how close each is
to the paper's own embedding, with diversity (maximal marginal relevance), as EmbedRank and KeyBERT do.

Candidates are the runs of words between stop words and punctuation (what RAKE calls candidate keywords) and
their sub-phrases of up to MAX_WORDS words; there is no part-of-speech tagger, so a list of words that rarely end
a noun phrase (verbs and adverbs papers use) keeps "we propose" and "efficiently" out. A phrase in the title
counts a little more: authors put their keyphrases there.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

import numpy as np

MAX_WORDS = 3
SHOWN = 5
DIVERSITY = 0.6  # MMR's weight on relevance; the rest is distance from the phrases already chosen
TITLE_BONUS = 0.05

STOP = frozenset("""
a about above across after again against all almost along already also although always among an and another any
are around as at based be because been before being below between both but by can cannot could did do does doing
done down due during each either else et etc ever every few for from further given has have having here how however
i if in into is it its itself just least less like many may me might more most much must my near neither no nor not
of off often on once one only onto or other others otherwise our ours out over own per perhaps rather same several
she should since so some such than that the their theirs them themselves then there thereby therefore these they
this those though through throughout thus to too toward towards under until up upon us very via was we well were
what whatever when where whereas whether which while who whom whose why will with within without would yet you your
paper papers propose proposed proposes proposing present presents presented show shows shown showing provide
provides provided providing demonstrate demonstrates demonstrated introduce introduces introduced achieve achieves
achieved achieving obtain obtained use used uses using allow allows allowing enable enables enabling make makes
made making lead leads leading consider considered consists consist study studied investigate investigated
describe described discuss discussed find found apply applied applying yield yields improve improves improved
outperform outperforms significantly effectively efficiently respectively recently first second third new novel
existing various different several specific general particular certain important key main previous prior current
recent further additional high low large small better best often also typically widely extensive extensively
experiments experimental results result approach approaches method methods work works framework technique
techniques problem problems task tasks state art well-known based able thereof via e.g i.e vs two three four five
require requires required reveal reveals revealed prove proves proved generate generates predict predicts
remain remains remained become becomes exhibit exhibits suggest suggests suggested indicate indicates
""".split())


# Words in -ing that papers use as nouns ("learning rate", "image processing").
_ING_NOUNS = frozenset("""
learning training processing computing modeling modelling sampling clustering reasoning scheduling planning
matching ranking routing tracking engineering imaging encoding sensing mining indexing testing programming
rendering editing parsing filtering forecasting pruning hashing labeling labelling understanding beamforming
""".split())


def _verb_like(words: list[str]) -> bool:
    """A participle seldom ends a noun phrase ("feature extractor trained"), starts one ("probing chiral") or is one
    ("generating")."""
    last, first = words[-1].lower(), words[0].lower()
    return (len(last) > 4 and last.endswith("ed")) or (
        len(first) > 5 and first.endswith("ing") and first not in _ING_NOUNS
    )

_TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-'][A-Za-z0-9]+)*|[0-9]+[A-Za-z][A-Za-z0-9-]*|[.,;:!?()\[\]{}\"]|\$[^$]*\$")


def _runs(text: str) -> list[list[str]]:
    """Runs of candidate words: split at punctuation, stop words, math and numbers."""
    runs: list[list[str]] = []
    current: list[str] = []
    for token in _TOKEN.findall(text):
        word = token.lower()
        if word in STOP or not token[0].isalnum() or token.startswith("$") or len(word) < 2:
            if current:
                runs.append(current)
            current = []
        else:
            current.append(token)
    if current:
        runs.append(current)
    return runs


def _normal(words: list[str]) -> str:
    # Acronyms keep their case ("LLM", "3D"); other words are lower-cased.
    return " ".join(w if (sum(c.isupper() for c in w) > 1 or any(c.isdigit() for c in w)) else w.lower() for w in words)


def phrase_key(phrase: str) -> str:
    """Phrases that differ only in case, hyphens or a plural 's' are one candidate."""
    words = phrase.lower().replace("-", " ").split()
    return " ".join(w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w for w in words)


@dataclass
class Candidates:
    phrases: list[str]
    counts: list[int]
    in_title: list[bool]


def candidates(title: str, abstract: str, max_words: int = MAX_WORDS) -> Candidates:
    found: dict[str, str] = {}
    counts: Counter[str] = Counter()
    title_keys: set[str] = set()
    for part, text in (("title", title), ("abstract", abstract)):
        for run in _runs(text):
            for size in range(1, max_words + 1):
                for start in range(len(run) - size + 1):
                    words = run[start:start + size]
                    if size == 1 and (len(words[0]) < 3 or words[0].isdigit()):
                        continue
                    if _verb_like(words):
                        continue
                    phrase = _normal(words)
                    key = phrase_key(phrase)
                    found.setdefault(key, phrase)
                    counts[key] += 1
                    if part == "title":
                        title_keys.add(key)
    keys = list(found)
    return Candidates([found[k] for k in keys], [counts[k] for k in keys], [k in title_keys for k in keys])


def mmr(document: np.ndarray, phrase_vectors: np.ndarray, count: int, diversity: float = DIVERSITY,
        bonus: np.ndarray | None = None) -> list[int]:
    """Indices of `count` phrases: each next one the most relevant to the document, less its closeness to the
    ones already chosen."""
    if not len(phrase_vectors):
        return []
    relevance = phrase_vectors @ document
    if bonus is not None:
        relevance = relevance + bonus
    chosen = [int(relevance.argmax())]
    closeness = phrase_vectors @ phrase_vectors[chosen[0]]
    while len(chosen) < min(count, len(phrase_vectors)):
        score = diversity * relevance - (1 - diversity) * closeness
        score[chosen] = -np.inf
        best = int(score.argmax())
        chosen.append(best)
        closeness = np.maximum(closeness, phrase_vectors @ phrase_vectors[best])
    return chosen


def rank(document: np.ndarray, found: Candidates, phrase_vectors: np.ndarray, count: int = SHOWN) -> list[str]:
    bonus = TITLE_BONUS * np.asarray(found.in_title, dtype=np.float32)
    return [found.phrases[i] for i in mmr(document, phrase_vectors, count, bonus=bonus)]
