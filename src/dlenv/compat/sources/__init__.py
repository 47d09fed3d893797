"""Readers of what a user installs from — requirements files, pyproject.toml, environment.yml, pixi.toml — and the
steps that turn what they read into what the installer would install on the target: environment markers, constraints,
indexes and direct wheel URLs, and a real resolver for ranges (uv). `dlenv.compat.requirements` is the public face."""
