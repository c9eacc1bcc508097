"""Programs' way in: the Hugging Face–compatible papers API."""
