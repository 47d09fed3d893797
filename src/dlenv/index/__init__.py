"""Reading a Python package index: which index pip uses, the Simple API (JSON form), wheel names and metadata.

Used by the matrix refresh (dlenv.matrix.refresh) and `dlenv lock`. Nothing here names a registry's host: the
default index comes from the user's pip configuration or, failing that, from pip itself at run time.
"""

from __future__ import annotations

import importlib
from typing import Any

# name -> the module that defines it; loaded on first use, so `import dlenv.index.wheels` (doctor reads the CUDA
# pins of installed wheels) does not load the Simple API client with it.
_HOMES = {
    **dict.fromkeys(("IndexConfig", "current_index_config", "find_index_config", "pip_default_index_url"), "config"),
    **dict.fromkeys(
        (
            "EXIT_INDEX",
            "IndexAccessError",
            "IndexFile",
            "IndexResponseError",
            "IndexUnavailableError",
            "ProjectNotFoundError",
            "ProjectPage",
            "SimpleClient",
        ),
        "simple",
    ),
    **dict.fromkeys(("CudaStack", "WheelInfo", "cuda_stack", "parse_wheel", "requires_dist"), "wheels"),
}
__all__ = list(_HOMES)


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(name)
    return getattr(importlib.import_module(f"dlenv.index.{home}"), name)
