"""Path converters shared by the site's and the API's URLs."""

from __future__ import annotations

import datetime as dt

from django.urls import register_converter

from papertide.sources.records import ARXIV_ID_PATTERN


class ArxivIdConverter:
    regex = ARXIV_ID_PATTERN

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class IsoDateConverter:
    regex = r"\d{4}-\d{2}-\d{2}"

    def to_python(self, value: str) -> dt.date:
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise ValueError(value) from None  # an impossible date such as 2024-02-30 is a 404

    def to_url(self, value: dt.date) -> str:
        return value.isoformat()


register_converter(ArxivIdConverter, "arxiv_id")
register_converter(IsoDateConverter, "isodate")
