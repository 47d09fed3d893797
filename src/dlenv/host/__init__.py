"""Host facts: what the machine is (model), how it is probed, described by flags, or read from a file."""
