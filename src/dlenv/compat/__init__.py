"""The compatibility engine: pure rules over host facts and matrix rows, and the checks and resolution built on them."""
