"""Ingestion jobs: they fetch or read a source, hand its records to the one upsert path, record every
run, and keep checkpoints so a killed job resumes where it stopped."""
