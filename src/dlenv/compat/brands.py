"""NVML brands (nvmlBrandType) by GPU segment: what a GPU of a segment can report as its brand.

Data-center parts report Tesla or NVIDIA, or a vGPU brand (GRID, vApps, vPC, vCS, vWS) inside a VM; GeForce-segment
parts report GeForce or TITAN. The driver rule reads a probed brand back to its segment; the image rule bounds the
brand of a described GPU by its product's segment.
"""

from __future__ import annotations

SEGMENT_BRANDS = {
    "datacenter": frozenset({"tesla", "nvidia", "grid", "vapps", "vpc", "vcs", "vws"}),
    "geforce": frozenset({"geforce", "titan"}),
}
