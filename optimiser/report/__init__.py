"""Presentation: the HTML report, charts and maps."""
