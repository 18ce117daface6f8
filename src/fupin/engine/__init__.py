"""The rules engine: plain Python over Polars. Never imports Django."""
