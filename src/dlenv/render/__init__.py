"""Renderers: turn core values into text (rich) or JSON. Core code never prints."""
