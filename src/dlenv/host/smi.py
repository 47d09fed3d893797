"""Driver and GPU facts from `nvidia-smi -q -x`: the last resort, when neither NVML nor procfs answer."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dlenv.host.model import Driver, Gpu
from dlenv.records import replace
from dlenv.versions import parse_compute_capability

if TYPE_CHECKING:
    from xml.etree import ElementTree

    from dlenv.host.context import ProbeContext


def _field(node: ElementTree.Element, path: str) -> str | None:
    found = node.find(path)
    text = found.text.strip() if found is not None and found.text else ""
    return text if text and text not in {"N/A", "[N/A]"} else None


def _mebibytes(text: str | None) -> int | None:
    if text and text.endswith(" MiB") and text[:-4].strip().isdigit():
        return int(text[:-4])
    return None


def _enabled(text: str | None) -> bool | None:
    return {"Enabled": True, "Disabled": False}.get(text or "")


def parse_smi_xml(text: str) -> tuple[Driver | None, tuple[Gpu, ...]]:
    try:
        from xml.etree import ElementTree  # only when nvidia-smi answered (NVML did not)

        root = ElementTree.fromstring(text)
    except ElementTree.ParseError:
        return None, ()
    driver = Driver(
        version=_field(root, "driver_version"),
        max_cuda=_field(root, "cuda_version"),
        source="nvidia-smi",
    )
    gpus = []
    for index, node in enumerate(root.findall("gpu")):
        brand = _field(node, "product_brand")
        gpus.append(
            Gpu(
                index=index,
                name=_field(node, "product_name"),
                uuid=_field(node, "uuid"),
                architecture=_field(node, "product_architecture"),
                memory_total_mib=_mebibytes(_field(node, "fb_memory_usage/total")),
                brand=brand.lower().replace(" ", "") if brand else None,
                pci_bus_id=_field(node, "pci/pci_bus_id"),
                persistence_mode=_enabled(_field(node, "persistence_mode")),
                mig_enabled=_enabled(_field(node, "mig_mode/current_mig")),
                source="nvidia-smi",
            )
        )
    return (driver if driver.version else None), tuple(gpus)


def parse_compute_capabilities(text: str) -> dict[str, str]:
    """`nvidia-smi --query-gpu=uuid,compute_cap --format=csv,noheader` -> {uuid: '9.0'}; a value that is no compute
    capability ('[N/A]') leaves the GPU's unknown."""
    capabilities = {}
    for line in text.splitlines():
        uuid, sep, capability = line.partition(",")
        if sep and (parsed := parse_compute_capability(capability)) is not None:
            capabilities[uuid.strip()] = parsed
    return capabilities


def probe_smi(ctx: ProbeContext) -> tuple[Driver | None, tuple[Gpu, ...]]:
    executable = ctx.which("nvidia-smi")
    if executable is None:
        return None, ()
    xml_text = ctx.run([str(executable), "-q", "-x"], ctx.command_timeout_s)
    if xml_text is None:
        return None, ()
    driver, gpus = parse_smi_xml(xml_text)
    # compute_cap is not a query field on old drivers (470): then the capability stays unknown.
    caps_text = ctx.run(
        [str(executable), "--query-gpu=uuid,compute_cap", "--format=csv,noheader"], ctx.command_timeout_s
    )
    capabilities = parse_compute_capabilities(caps_text) if caps_text else {}
    return driver, tuple(replace(gpu, compute_capability=capabilities.get(gpu.uuid or "")) for gpu in gpus)
