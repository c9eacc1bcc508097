"""Readers' accounts: log in and out, the profile page, personal API tokens."""
