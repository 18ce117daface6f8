"""The JSON API (django-ninja): households, region figures and jobs, through the scoping layer."""
