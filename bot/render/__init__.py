"""Rendering: how things look (texts, later tables, charts and files), apart from handling."""
