"""Driver and GPU facts through NVML (the nvidia-ml-py bindings), bounded in time, never raising.

NVML errors are recorded as ProbeProblems with codes derived from the bindings' own NVML_ERROR_*
constants; diagnosis turns them into findings with cause and fix.
"""

from __future__ import annotations

import contextlib
import threading
from typing import TYPE_CHECKING, Any, TypeVar

from dlenv.host.context import NvmlLibraryMissing
from dlenv.host.model import Driver, Gpu, MigDevice, ProbeProblem
from dlenv.records import field, record

if TYPE_CHECKING:
    from collections.abc import Callable

    from dlenv.host.context import ProbeContext

T = TypeVar("T")

# NVML error constant name -> dlenv problem code. Codes not listed become "nvml_error".
_ERROR_CODES = {
    "NVML_ERROR_LIBRARY_NOT_FOUND": "nvml_library_not_found",
    "NVML_ERROR_DRIVER_NOT_LOADED": "nvml_driver_not_loaded",
    "NVML_ERROR_LIB_RM_VERSION_MISMATCH": "nvml_version_mismatch",
    "NVML_ERROR_NO_PERMISSION": "nvml_no_permission",
    "NVML_ERROR_GPU_IS_LOST": "nvml_gpu_lost",
    "NVML_ERROR_NOT_SUPPORTED": "nvml_not_supported",
    "NVML_ERROR_UNINITIALIZED": "nvml_uninitialized",
    "NVML_ERROR_FUNCTION_NOT_FOUND": "nvml_function_not_found",
    "NVML_ERROR_INSUFFICIENT_POWER": "nvml_insufficient_power",
    "NVML_ERROR_RESET_REQUIRED": "nvml_reset_required",
    "NVML_ERROR_TIMEOUT": "nvml_timeout",
}


@record(frozen=False)
class NvmlResult:
    driver: Driver | None = None
    gpus: list[Gpu] = field(default_factory=list)
    problems: list[ProbeProblem] = field(default_factory=list)


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def cuda_version_from_int(value: int) -> str:
    """NVML and the CUDA driver API encode CUDA versions as 1000*major + 10*minor."""
    return f"{value // 1000}.{(value % 1000) // 10}"


def _constant_names(nvml: Any, prefix: str) -> dict[int, str]:
    """Reverse map of the bindings' integer constants with `prefix`, first name alphabetically wins."""
    names: dict[int, str] = {}
    for name in sorted(dir(nvml)):
        value = getattr(nvml, name)
        if name.startswith(prefix) and isinstance(value, int) and value not in names:
            names[value] = name[len(prefix) :]
    return names


def brand_name(constant_suffix: str) -> str:
    """NVML brand constant suffix -> the brand word the NVIDIA container toolkit uses (tesla, nvidiartx, vws...)."""
    word = constant_suffix.lower()
    if word.startswith("nvidia_") and word != "nvidia_rtx":
        word = word[len("nvidia_") :]
    return word.replace("_", "")


class _Session:
    """One NVML session: every call maps NVMLError to a problem code."""

    def __init__(self, nvml: Any) -> None:
        self.nvml = nvml
        self.error_codes = {getattr(nvml, name): code for name, code in _ERROR_CODES.items() if hasattr(nvml, name)}

    def code_of(self, error: BaseException) -> str:
        return self.error_codes.get(getattr(error, "value", None), "nvml_error")

    def is_nvml_error(self, error: BaseException) -> bool:
        return isinstance(error, self.nvml.NVMLError)

    def optional(self, call: Callable[[], T]) -> T | None:
        """A fact that some GPUs or drivers do not report: None when NVML says no."""
        try:
            return call()
        except Exception as error:
            if self.is_nvml_error(error) and self.code_of(error) != "nvml_gpu_lost":
                return None
            raise


def _read_driver(session: _Session) -> Driver:
    nvml = session.nvml
    max_cuda_raw = session.optional(nvml.nvmlSystemGetCudaDriverVersion_v2)
    if max_cuda_raw is None:
        max_cuda_raw = session.optional(nvml.nvmlSystemGetCudaDriverVersion)
    nvml_version = session.optional(nvml.nvmlSystemGetNVMLVersion)
    return Driver(
        version=_text(nvml.nvmlSystemGetDriverVersion()),
        max_cuda=cuda_version_from_int(int(max_cuda_raw)) if max_cuda_raw else None,
        nvml_version=_text(nvml_version) if nvml_version is not None else None,
        source="nvml",
    )


def _read_mig_device(session: _Session, parent: Any, index: int) -> MigDevice | None:
    nvml = session.nvml
    handle = session.optional(lambda: nvml.nvmlDeviceGetMigDeviceHandleByIndex(parent, index))
    if handle is None:
        return None
    memory = session.optional(lambda: nvml.nvmlDeviceGetMemoryInfo(handle))
    name = session.optional(lambda: nvml.nvmlDeviceGetName(handle))
    uuid = session.optional(lambda: nvml.nvmlDeviceGetUUID(handle))
    return MigDevice(
        index=index,
        name=_text(name) if name is not None else None,
        uuid=_text(uuid) if uuid is not None else None,
        memory_total_mib=int(memory.total) // (1024 * 1024) if memory is not None else None,
    )


def _read_mig_devices(session: _Session, handle: Any) -> tuple[MigDevice, ...]:
    count = session.optional(lambda: session.nvml.nvmlDeviceGetMaxMigDeviceCount(handle)) or 0
    devices = (_read_mig_device(session, handle, index) for index in range(int(count)))
    return tuple(device for device in devices if device is not None)


def _read_gpu(session: _Session, index: int, architectures: dict[int, str], brands: dict[int, str]) -> Gpu:
    nvml = session.nvml
    handle = nvml.nvmlDeviceGetHandleByIndex(index)
    name = session.optional(lambda: nvml.nvmlDeviceGetName(handle))
    uuid = session.optional(lambda: nvml.nvmlDeviceGetUUID(handle))
    capability = session.optional(lambda: nvml.nvmlDeviceGetCudaComputeCapability(handle))
    architecture = session.optional(lambda: nvml.nvmlDeviceGetArchitecture(handle))
    memory = session.optional(lambda: nvml.nvmlDeviceGetMemoryInfo(handle))
    brand = session.optional(lambda: nvml.nvmlDeviceGetBrand(handle))
    pci = session.optional(lambda: nvml.nvmlDeviceGetPciInfo(handle))
    persistence = session.optional(lambda: nvml.nvmlDeviceGetPersistenceMode(handle))
    mig_mode = session.optional(lambda: nvml.nvmlDeviceGetMigMode(handle))
    mig_enabled = bool(mig_mode[0]) if mig_mode is not None else None
    architecture_word = architectures.get(int(architecture)) if architecture is not None else None
    return Gpu(
        index=index,
        name=_text(name) if name is not None else None,
        uuid=_text(uuid) if uuid is not None else None,
        compute_capability=f"{capability[0]}.{capability[1]}" if capability is not None else None,
        architecture=architecture_word.title() if architecture_word and architecture_word != "UNKNOWN" else None,
        memory_total_mib=int(memory.total) // (1024 * 1024) if memory is not None else None,
        brand=brand_name(brands[int(brand)]) if brand is not None and int(brand) in brands else None,
        pci_bus_id=_text(pci.busId) if pci is not None else None,
        persistence_mode=bool(persistence) if persistence is not None else None,
        mig_enabled=mig_enabled,
        mig_devices=_read_mig_devices(session, handle) if mig_enabled else (),
        source="nvml",
    )


def _query(nvml: Any, result: NvmlResult) -> None:
    session = _Session(nvml)
    try:
        nvml.nvmlInit()
    except Exception as error:
        if not session.is_nvml_error(error):
            raise
        result.problems.append(ProbeProblem(session.code_of(error), _text(error), "nvml"))
        return
    try:
        result.driver = _read_driver(session)
        architectures = _constant_names(nvml, "NVML_DEVICE_ARCH_")
        brands = _constant_names(nvml, "NVML_BRAND_")
        for index in range(int(nvml.nvmlDeviceGetCount())):
            try:
                result.gpus.append(_read_gpu(session, index, architectures, brands))
            except Exception as error:
                if not session.is_nvml_error(error):
                    raise
                code = session.code_of(error)
                result.gpus.append(Gpu(index=index, error=code, source="nvml"))
                result.problems.append(ProbeProblem(code, _text(error), f"gpu {index}"))
    except Exception as error:
        if not session.is_nvml_error(error):
            raise
        result.problems.append(ProbeProblem(session.code_of(error), _text(error), "nvml"))
    finally:
        # Shutting down a half-initialised library must not hide the real finding.
        with contextlib.suppress(Exception):
            nvml.nvmlShutdown()


def probe_nvml(ctx: ProbeContext) -> NvmlResult:
    """Query NVML in a worker thread so that a hung driver call cannot hang dlenv."""
    result = NvmlResult()
    try:
        nvml = ctx.nvml_loader()
    except NvmlLibraryMissing as error:
        result.problems.append(ProbeProblem("nvml_library_not_found", str(error), "nvml"))
        return result
    except ImportError as error:
        result.problems.append(ProbeProblem("nvml_bindings_missing", str(error), "nvml"))
        return result

    outcome: list[BaseException] = []

    def work() -> None:
        try:
            _query(nvml, result)
        except BaseException as error:  # reported below, in the calling thread
            outcome.append(error)

    worker = threading.Thread(target=work, name="dlenv-nvml", daemon=True)
    worker.start()
    worker.join(ctx.nvml_timeout_s)
    if worker.is_alive():
        return NvmlResult(
            problems=[ProbeProblem("nvml_hung", f"NVML did not answer within {ctx.nvml_timeout_s:g} s", "nvml")]
        )
    if outcome:
        return NvmlResult(problems=[ProbeProblem("nvml_error", f"{type(outcome[0]).__name__}: {outcome[0]}", "nvml")])
    return result
