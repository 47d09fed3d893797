"""Overrides peers honour, applied to host facts: CONDA_OVERRIDE_CUDA and UV_CUDA_DRIVER_VERSION."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from dlenv.errors import InputError
from dlenv.host.model import Driver, HostFacts, Override
from dlenv.records import replace
from dlenv.versions import parse_driver

if TYPE_CHECKING:
    from collections.abc import Mapping

_CUDA_VERSION = re.compile(r"^\d+(\.\d+){0,2}$")


def apply_overrides(host: HostFacts, env: Mapping[str, str]) -> HostFacts:
    driver = host.driver or Driver(source="override")
    overrides = list(host.overrides)
    conda_cuda = env.get("CONDA_OVERRIDE_CUDA")
    if conda_cuda is not None:
        if conda_cuda and not _CUDA_VERSION.match(conda_cuda):
            raise InputError(
                f"CONDA_OVERRIDE_CUDA={conda_cuda!r} is not a CUDA version",
                where="environment",
                fix="set it to a version such as 12.4, or to empty to hide CUDA",
            )
        # conda's semantics: an empty value means "no CUDA driver".
        max_cuda = ".".join(conda_cuda.split(".")[:2]) or None
        driver = replace(driver, max_cuda=max_cuda)
        overrides.append(
            Override(
                "CONDA_OVERRIDE_CUDA",
                conda_cuda,
                f"driver's maximum CUDA taken as {max_cuda}" if max_cuda else "no CUDA driver",
            )
        )
    uv_driver = env.get("UV_CUDA_DRIVER_VERSION")
    if uv_driver:
        if parse_driver(uv_driver) is None or uv_driver != uv_driver.strip():
            raise InputError(
                f"UV_CUDA_DRIVER_VERSION={uv_driver!r} is not a driver version",
                where="environment",
                fix="set it to a driver version such as 535.104.05",
            )
        driver = replace(driver, version=uv_driver)
        overrides.append(Override("UV_CUDA_DRIVER_VERSION", uv_driver, f"driver version taken as {uv_driver}"))
    if len(overrides) == len(host.overrides):
        return host
    return replace(host, driver=driver, overrides=tuple(overrides))
