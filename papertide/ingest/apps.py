from django.apps import AppConfig


class IngestConfig(AppConfig):
    name = "papertide.ingest"
    label = "ingest"
    verbose_name = "Ingestion"
