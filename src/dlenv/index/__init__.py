"""Reading a Python package index: which index pip uses, the Simple API (JSON form), wheel names and metadata.

Used by the matrix refresh (dlenv.matrix.refresh) and `dlenv lock`. Nothing here names a registry's host: the
default index comes from the user's pip configuration or, failing that, from pip itself at run time.
"""

from __future__ import annotations

from dlenv.index.config import IndexConfig, current_index_config, find_index_config, pip_default_index_url
from dlenv.index.simple import (
    EXIT_INDEX,
    IndexAccessError,
    IndexFile,
    IndexResponseError,
    IndexUnavailableError,
    ProjectNotFoundError,
    ProjectPage,
    SimpleClient,
)
from dlenv.index.wheels import CudaStack, WheelInfo, cuda_stack, parse_wheel, requires_dist

__all__ = [
    "EXIT_INDEX",
    "CudaStack",
    "IndexAccessError",
    "IndexConfig",
    "IndexFile",
    "IndexResponseError",
    "IndexUnavailableError",
    "ProjectNotFoundError",
    "ProjectPage",
    "SimpleClient",
    "WheelInfo",
    "cuda_stack",
    "current_index_config",
    "find_index_config",
    "parse_wheel",
    "pip_default_index_url",
    "requires_dist",
]
