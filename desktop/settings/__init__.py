"""The settings dialog and its pages (one module per page)."""
