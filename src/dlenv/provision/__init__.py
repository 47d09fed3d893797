"""Provisioning: from a host and a resolved stack to the files that build an environment known to work there.

`stack.py` turns requirements into a `Stack` (the engine's choice, pinned for pip); `header.py` writes and reads the
header every generated file starts with (inputs hash, regenerate command) and validates what reaches a file;
`lock.py` (with `closure.py`, the closure under the target's environment markers), `conda.py` and `container.py`
build values and render them as text.
"""
