"""Cleaning arXiv metadata text: TeX accents, author lists, whitespace, and links found in abstracts."""

from __future__ import annotations

import re
import unicodedata

# TeX accent command -> Unicode combining character.
_ACCENTS = {
    "'": "\u0301", "`": "\u0300", "^": "\u0302", '"': "\u0308", "~": "\u0303", "=": "\u0304",
    ".": "\u0307", "u": "\u0306", "v": "\u030c", "H": "\u030b", "c": "\u0327", "d": "\u0323",
    "b": "\u0331", "t": "\u0361", "k": "\u0328", "r": "\u030a",
}
_SPECIAL_LETTERS = {
    "l": "ł", "L": "Ł", "o": "ø", "O": "Ø", "i": "ı", "j": "ȷ", "ss": "ß",
    "ae": "æ", "AE": "Æ", "aa": "å", "AA": "Å", "oe": "œ", "OE": "Œ",
    "dh": "ð", "DH": "Ð", "th": "þ", "TH": "Þ",
}
# A symbol accent takes a letter or a braced letter (\'e, \'{e}, \'\i); a letter accent (\v, \c, …)
# only a braced letter or one after a space, so math such as \ddot{x} or \cdot is never touched.
_ACCENTED = re.compile(
    r"""\{?\\(?:(?P<sym>['`^"~=.])\s*|(?P<let>[uvHcdbtkr])(?=[\s{]))"""
    r"""(?:\{\s*(?P<b1>\\[ij](?![A-Za-z])|[A-Za-z])\s*\}|\s*(?P<b2>\\[ij](?![A-Za-z]) ?|[A-Za-z]))\}?"""
)
_SPECIAL = re.compile(r"\{?\\(ss|ae|AE|aa|AA|oe|OE|dh|DH|th|TH|l|L|o|O|i|j)(?![A-Za-z])\s*\}?")
_MATH = re.compile(r"(\$\$.*?\$\$|\$[^$]*\$)", re.S)
_WHITESPACE = re.compile(r"\s+")


def _accented(match: re.Match[str]) -> str:
    accent = _ACCENTS[match["sym"] or match["let"]]
    base = match["b1"] or match["b2"]
    if base.startswith("\\"):
        # \'\i is an accented dotless i, which means í; TeX swallows the space after \i.
        base = base[1]
    return unicodedata.normalize("NFC", base + accent)


def _decode_text(text: str) -> str:
    text = _ACCENTED.sub(_accented, text)
    text = _SPECIAL.sub(lambda m: _SPECIAL_LETTERS[m[1]], text)
    return text


def decode_tex_accents(text: str) -> str:
    """`V\\'aclav Vavry\\v{c}uk` -> `Václav Vavryčuk`, leaving `$…$` math untouched."""
    if "\\" not in text:
        return text
    parts = _MATH.split(text)
    return "".join(part if index % 2 else _decode_text(part) for index, part in enumerate(parts))


def shorten(text: str, chars: int) -> str:
    """The text cut at a word boundary near `chars`, with an ellipsis (for cards and email snippets)."""
    if len(text) <= chars:
        return text
    cut = text.rfind(" ", 0, chars)
    return text[: cut if cut > chars // 2 else chars].rstrip(" ,;:.") + "…"


# Letters that Unicode does not decompose into an ASCII letter and a mark.
_ASCII_LETTERS = str.maketrans({"ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "ß": "ss", "æ": "ae", "Æ": "AE", "œ": "oe",
                                "Œ": "OE", "đ": "d", "Đ": "D", "ð": "d", "þ": "th", "ı": "i"})


def ascii_letters(text: str) -> str:
    """Vavryčuk → Vavrycuk, Søren → Soren: names as BibTeX keys and plain-ASCII tools expect them."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_ASCII_LETTERS))
    return decomposed.encode("ascii", "ignore").decode()


def sentence(message: str) -> str:
    """A message for a page: a capital first (but arXiv stays arXiv) and a full stop."""
    return (message if message.startswith("arXiv") else message[:1].upper() + message[1:]) + "."


def collapse_whitespace(text: str | None) -> str:
    """arXiv hard-wraps titles and abstracts; the line breaks carry no meaning."""
    return _WHITESPACE.sub(" ", text or "").strip()


def clean_text(text: str | None) -> str:
    return decode_tex_accents(collapse_whitespace(text))


_AND = re.compile(r"\s+and\s+|\s*&\s*", re.I)
_AFFILIATION = re.compile(r"\s*\([^()]*\)")


def split_authors(raw: str | None) -> list[str]:
    """One arXiv author string -> names in order, accents decoded, affiliations in parentheses dropped.

    arXiv separates authors with commas and often a final "and"; affiliations in parentheses may
    themselves contain commas, so commas only split at parenthesis depth zero.
    """
    text = clean_text(raw)
    if not text:
        return []
    pieces: list[str] = []
    depth, start = 0, 0
    for position, char in enumerate(text):
        if char == "(":
            depth += 1
        elif char == ")":
            depth = max(0, depth - 1)
        elif char in ",;" and depth == 0:
            pieces.append(text[start:position])
            start = position + 1
    pieces.append(text[start:])
    names = []
    for piece in pieces:
        without_affiliations = piece
        while True:
            stripped = _AFFILIATION.sub("", without_affiliations)
            if stripped == without_affiliations:
                break
            without_affiliations = stripped
        for name in _AND.split(without_affiliations):
            name = name.strip()
            if name and any(ch.isalpha() for ch in name):
                names.append(name)
    return names


def author_key(name: str) -> str:
    """A name folded for lookup: case, accents and punctuation ignored ("J. Müller" ~ "j muller")."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    letters = "".join(ch if ch.isalnum() else " " for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(letters.split())


# Links in abstracts come bare, inside \url{…} or \href{…}{…}, with TeX-escaped underscores.
_URL = re.compile(r"https?://[^\s{}<>\"'\\]*(?:\\_[^\s{}<>\"'\\]*)*", re.I)
_CODE_HOST = re.compile(
    r"^https?://(?:www\.)?(github\.com|gitlab\.com|bitbucket\.org|codeberg\.org)/([\w.-]+)/([\w.-]+)", re.I
)
_PROJECT_CUE = re.compile(r"(project|home|web)\s*(page|site|website)|webpage|homepage|demo", re.I)
_NOT_A_REPO_OWNER = {"features", "topics", "orgs", "sponsors", "marketplace", "about", "site"}


def _urls(text: str) -> list[tuple[int, str]]:
    found = []
    for match in _URL.finditer(text):
        url = match.group(0).replace("\\_", "_").rstrip(".,;:)]}")
        found.append((match.start(), url))
    return found


def extract_code_url(*texts: str | None) -> str:
    """The first source-code repository linked in the texts, normalized to the repository's root."""
    for text in texts:
        for _, url in _urls(text or ""):
            match = _CODE_HOST.match(url)
            if not match or match[2].lower() in _NOT_A_REPO_OWNER:
                continue
            repo = match[3].removesuffix(".git").rstrip(".")
            if repo:
                return f"https://{match[1].lower()}/{match[2]}/{repo}"
    return ""


def extract_project_url(*texts: str | None) -> str:
    """A project page: a github.io site, or a non-code link introduced as a project page or website."""
    for text in texts:
        text = text or ""
        for start, url in _urls(text):
            if _CODE_HOST.match(url) or "arxiv.org" in url or "doi.org" in url:
                continue
            host = url.split("/")[2].lower() if url.count("/") >= 2 else ""
            if host.endswith(".github.io") or _PROJECT_CUE.search(text[max(0, start - 60):start]):
                return url
    return ""
