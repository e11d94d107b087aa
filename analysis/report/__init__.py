"""The report: one palette, the charts and the self-contained HTML page."""
