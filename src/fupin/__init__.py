"""fupin (扶贫): registry, assessment and return-to-poverty monitoring."""

__version__ = "0.1.0"
