"""Doctor: turn host facts into findings, each with a severity, a cause and a fix."""
