"""Background jobs started from the web: import, assessment, export (huey worker)."""
