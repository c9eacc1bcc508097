"""The OpenAPI description of the Hugging Face-compatible endpoints (api/hf.py), added to the document of the
native API so that /api/docs lists every endpoint and the schemathesis test checks these answers too.

The endpoints are plain Django views (their JSON is Hugging Face's, not ours), so their description is written
here by hand, next to nothing else; tests/test_api_hf.py holds it to the views' real answers."""

from __future__ import annotations

from papertide.api.hf import MAX_DAILY_LIMIT, MAX_SEARCH_LIMIT
from papertide.papers.feed_filter import MAX_API_CHARS
from papertide.search.query import MAX_QUERY_CHARS

TAG = "Hugging Face-compatible"
NULLABLE_STRING = {"anyOf": [{"type": "string"}, {"type": "null"}]}

SCHEMAS = {
    "HfAuthor": {
        "type": "object",
        "required": ["_id", "name", "hidden"],
        "properties": {"_id": {"type": "string"}, "name": {"type": "string"}, "hidden": {"type": "boolean"}},
    },
    "HfPaper": {
        "type": "object",
        "required": ["id", "authors", "publishedAt", "title", "summary", "upvotes", "discussionId"],
        "properties": {
            "id": {"type": "string", "description": "The arXiv id"},
            "authors": {"type": "array", "items": {"$ref": "#/components/schemas/HfAuthor"}},
            "publishedAt": NULLABLE_STRING,
            "title": {"type": "string"},
            "summary": {"type": "string", "description": "The abstract"},
            "upvotes": {"type": "integer", "minimum": 0},
            "discussionId": {"type": "string"},
            "githubRepo": {"type": "string"},
            "githubStars": {"type": "integer"},
            "projectPage": {"type": "string"},
            "ai_summary": {"type": "string", "description": "Two sentences written by the operator's language model "
                                                           "(only where PAPERTIDE_LLM_URL is set)"},
            "ai_keywords": {"type": "array", "items": {"type": "string"}},
        },
    },
    "HfSubmitter": {
        "type": "object",
        "required": ["name", "fullname", "avatarUrl", "type"],
        "properties": {"name": {"type": "string"}, "fullname": {"type": "string"}, "avatarUrl": {"type": "string"},
                       "type": {"type": "string"}},
    },
    "HfItem": {
        "type": "object",
        "required": ["paper", "publishedAt", "title", "summary", "thumbnail", "numComments", "upvotes"],
        "properties": {
            "paper": {"$ref": "#/components/schemas/HfPaper"},
            "publishedAt": {**NULLABLE_STRING, "description": "The day the paper was listed"},
            "title": {"type": "string"},
            "summary": {"type": "string"},
            "thumbnail": {"type": "string"},
            "numComments": {"type": "integer", "minimum": 0},
            "upvotes": {"type": "integer", "minimum": 0},
            "submittedBy": {"$ref": "#/components/schemas/HfSubmitter"},
            "githubRepo": {"type": "string"},
            "projectPage": {"type": "string"},
        },
    },
}


def _error(description: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}}


def _ok(schema: dict) -> dict:
    return {"description": "OK", "content": {"application/json": {"schema": schema}}}


def _query(name: str, schema: dict, description: str) -> dict:
    return {"in": "query", "name": name, "required": False, "schema": schema, "description": description}


ITEMS = {"type": "array", "items": {"$ref": "#/components/schemas/HfItem"}}
TOO_MANY = _error("Too many requests without logging in (PAPERTIDE_API_RATE_LIMIT)")

PATHS = {
    "/api/daily_papers": {"get": {
        "operationId": "hf_daily_papers",
        "summary": "Daily papers",
        "description": "The papers listed on a day (the latest by default), a week or a month, as "
                       "huggingface.co/api/daily_papers answers. `cat` and `code` are papertide's own.",
        "tags": [TAG],
        "parameters": [
            _query("date", {"type": "string", "maxLength": 40}, "A day: 2024-11-28"),
            _query("week", {"type": "string", "maxLength": 40}, "An ISO week: 2024-W48"),
            _query("month", {"type": "string", "maxLength": 40}, "A month: 2024-11"),
            _query("limit", {"type": "integer", "minimum": 1, "maximum": MAX_DAILY_LIMIT}, "Papers per page"),
            _query("p", {"type": "integer", "minimum": 0, "maximum": 100_000}, "Page, from 0"),
            _query("sort", {"type": "string", "enum": ["publishedAt", "trending"]}, "Order"),
            _query("submitter", {"type": "string", "maxLength": 150}, "Only papers submitted by this reader"),
            _query("cat", {"type": "string", "maxLength": MAX_API_CHARS},
                   "Categories, as on the feed pages: cs.CV,cs.LG (either), cs (an archive), hep-* (a prefix), "
                   "-hep-* (not)"),
            _query("code", {"type": "string", "enum": ["0", "1"]}, "1: only papers with code"),
        ],
        "responses": {"200": _ok(ITEMS), "400": _error("A parameter was not understood"), "429": TOO_MANY},
    }},
    "/api/papers/search": {"get": {
        "operationId": "hf_paper_search",
        "summary": "Search papers",
        "description": "Hybrid search (meaning and words), as huggingface.co/api/papers/search answers.",
        "tags": [TAG],
        "parameters": [
            _query("q", {"type": "string", "maxLength": MAX_QUERY_CHARS},
                   f"The query, up to {MAX_QUERY_CHARS} characters (a pasted abstract works; a request line "
                   "over 8,190 bytes is refused by the server with 414)"),
            _query("limit", {"type": "integer", "minimum": 1, "maximum": MAX_SEARCH_LIMIT}, "Results"),
        ],
        "responses": {"200": _ok(ITEMS), "400": _error("A parameter was not understood"),
                      "414": {"description": "The request line is too long: send a shorter query"},
                      "429": TOO_MANY},
    }},
    "/api/papers/{arxiv_id}": {"get": {
        "operationId": "hf_paper",
        "summary": "One paper",
        "description": "A paper by its arXiv id, as huggingface.co/api/papers/{id} answers.",
        "tags": [TAG],
        "parameters": [{"in": "path", "name": "arxiv_id", "required": True, "schema": {"type": "string"},
                        "description": "2411.17775 or hep-th/9901001"}],
        "responses": {"200": _ok({"$ref": "#/components/schemas/HfPaper"}), "404": _error("No such paper here"),
                      "429": TOO_MANY},
    }},
}


def add_to(document: dict) -> dict:
    """The native API's OpenAPI document with these endpoints added."""
    document.setdefault("paths", {}).update(PATHS)
    document.setdefault("components", {}).setdefault("schemas", {}).update(SCHEMAS)
    return document
