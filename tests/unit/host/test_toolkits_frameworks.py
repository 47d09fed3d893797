"""CUDA toolkit versions (version.json > version.txt > nvcc > cuda.h) and frameworks read as text."""

from __future__ import annotations

import json
from pathlib import Path

from dlenv.host.context import Interpreter, ProbeContext
from dlenv.host.distributions import conda_packages, installed_distributions
from dlenv.host.frameworks import probe_frameworks, read_build_info_module
from dlenv.host.toolkits import probe_toolkits
from dlenv.matrix.families import FamilyIndex, family_table, shipped_families
from tests.hosts import nvcc_script, run_in_root, write

INTERPRETER = Interpreter("3.11.7", "CPython", "linux", "x86_64", "2.36")
FAMILIES = shipped_families()


def context(root: Path, env: dict[str, str] | None = None) -> ProbeContext:
    return ProbeContext(env=env or {"PATH": "/usr/bin"}, root=root, interpreter=INTERPRETER, run=run_in_root(root))


def test_version_sources_in_order(tmp_path: Path) -> None:
    write(tmp_path, "/usr/local/cuda-12.4/version.json", json.dumps({"cuda": {"version": "12.4.1"}}))
    write(tmp_path, "/usr/local/cuda-12.4/version.txt", "CUDA Version 12.4.0\n")
    write(tmp_path, "/usr/local/cuda-11.2/version.txt", "CUDA Version 11.2.152\n")
    write(tmp_path, "/usr/local/cuda-12.1/include/cuda.h", "#define CUDA_VERSION 12010\n")
    write(tmp_path, "/opt/cuda/bin/nvcc", nvcc_script("Cuda compilation tools, release 12.8, V12.8.93\n"), mode=0o755)
    write(tmp_path, "/opt/cuda/nvvm/.keep")
    found = {toolkit.path: (toolkit.version, toolkit.version_source) for toolkit in probe_toolkits(context(tmp_path))}
    assert found == {
        "/usr/local/cuda-12.4": ("12.4.1", "version.json"),
        "/usr/local/cuda-11.2": ("11.2.152", "version.txt"),
        "/usr/local/cuda-12.1": ("12.1", "cuda.h"),
        "/opt/cuda": ("12.8.93", "nvcc"),
    }


def test_a_wrapper_nvcc_on_path_is_matched_to_its_toolkit(tmp_path: Path) -> None:
    write(tmp_path, "/usr/local/cuda-13.0/version.json", json.dumps({"cuda": {"version": "13.0.2"}}))
    write(tmp_path, "/usr/local/bin/nvcc", nvcc_script("Cuda compilation tools, release 13.0, V13.0.2\n"), mode=0o755)
    (toolkit,) = probe_toolkits(context(tmp_path, {"PATH": "/usr/local/bin"}))
    assert toolkit.found_via[0] == "PATH"
    assert toolkit.path == "/usr/local/cuda-13.0"


def test_cuda_home_and_missing_dirs(tmp_path: Path) -> None:
    write(tmp_path, "/work/cuda/version.txt", "CUDA Version 10.2.89\n")
    toolkits = probe_toolkits(context(tmp_path, {"CUDA_HOME": "/work/cuda", "CUDA_PATH": "/nowhere"}))
    assert [(toolkit.version, toolkit.found_via) for toolkit in toolkits] == [("10.2.89", ("CUDA_HOME",))]


def _dist(site: Path, folder: str, metadata: str) -> None:
    write(site, f"{folder}.dist-info/METADATA", metadata)


def test_tensorflow_build_info_new_and_old_forms(tmp_path: Path) -> None:
    site = tmp_path / "site-packages"
    _dist(site, "tensorflow-2.15.1", "Name: tensorflow\nVersion: 2.15.1\n")
    write(
        site,
        "tensorflow/python/platform/build_info.py",
        "import collections\nbuild_info = collections.OrderedDict()\n"
        "build_info = {'cuda_compute_capabilities': ['sm_50', 'sm_80', 'compute_90'], 'cuda_version': '12.2',"
        " 'cudnn_version': '8', 'is_cuda_build': True, 'is_rocm_build': False}\n",
    )
    (framework,) = probe_frameworks(installed_distributions([site]), {}, FAMILIES)
    assert (framework.cuda, framework.cudnn, framework.local_version) == ("12.2", "8", "cuda")
    assert framework.compute_capabilities == ("sm_50", "sm_80", "compute_90")
    old = write(
        tmp_path,
        "old/build_info.py",
        "is_cuda_build = True\ncuda_version_number = '10.1'\ncudnn_version_number = '7'\n",
    )
    assert read_build_info_module(old)["cuda_version_number"] == "10.1"


def test_torch_from_its_own_index_carries_the_tag_in_metadata(tmp_path: Path) -> None:
    site = tmp_path / "site-packages"
    _dist(site, "torch-2.4.1+cu121", "Name: torch\nVersion: 2.4.1+cu121\n")
    write(site, "torch/version.py", "__version__ = '2.4.1+cu121'\ndebug = False\ncuda = '12.1'\nhip = None\n")
    (torch,) = probe_frameworks(installed_distributions([site]), {}, FAMILIES)
    assert (torch.version, torch.local_version, torch.cuda) == ("2.4.1", "cu121", "12.1")


def test_first_site_dir_wins_and_names_are_normalised(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    _dist(first, "cupy_cuda12x-13.3.0", "Name: cupy-cuda12x\nVersion: 13.3.0\n")
    _dist(second, "cupy_cuda12x-12.0.0", "Name: cupy-cuda12x\nVersion: 12.0.0\n")
    _dist(second, "cudf_cu12-24.10.1", "Name: cudf-cu12\nVersion: 24.10.1\n")
    frameworks = {f.name: f for f in probe_frameworks(installed_distributions([first, second]), {}, FAMILIES)}
    assert frameworks["cupy-cuda12x"].version == "13.3.0"
    assert (frameworks["cudf-cu12"].family, frameworks["cudf-cu12"].local_version) == ("rapids", "cu12")


def test_conda_frameworks(tmp_path: Path) -> None:
    names = ("pytorch-2.4.1-py3.11_cuda12.1_cudnn9.1.0_0", "cudf-24.10.01-cuda12_py311_241009_g2a3b", "numpy-2.1-0")
    for name in names:
        write(tmp_path, f"/env/conda-meta/{name}.json", "{}")
    frameworks = {f.name: f for f in probe_frameworks({}, conda_packages(tmp_path / "env"), FAMILIES)}
    assert set(frameworks) == {"pytorch", "cudf"}
    assert (frameworks["pytorch"].cuda, frameworks["pytorch"].cudnn, frameworks["pytorch"].origin) == (
        "12.1",
        "9.1.0",
        "conda",
    )


def test_old_jaxlib_wheels_keep_their_local_tag_and_plugins_their_name(tmp_path: Path) -> None:
    site = tmp_path / "site-packages"
    _dist(site, "jaxlib-0.4.25+cuda12.cudnn89", "Name: jaxlib\nVersion: 0.4.25+cuda12.cudnn89\n")
    _dist(site, "jax_cuda12_plugin-0.4.30", "Name: jax-cuda12-plugin\nVersion: 0.4.30\n")
    _dist(site, "numpy-2.1.0", "Name: numpy\nVersion: 2.1.0\n")
    frameworks = {f.name: f for f in probe_frameworks(installed_distributions([site]), {}, FAMILIES)}
    assert set(frameworks) == {"jaxlib", "jax-cuda12-plugin"}
    assert (frameworks["jaxlib"].version, frameworks["jaxlib"].local_version) == ("0.4.25", "cuda12.cudnn89")
    assert frameworks["jax-cuda12-plugin"].local_version == "cuda12"


def test_a_build_file_is_read_only_for_the_distributions_it_names(tmp_path: Path) -> None:
    """torch/version.py names torch's build; a torchvision beside it keeps its own METADATA version."""
    site = tmp_path / "site-packages"
    _dist(site, "torch-2.4.1", "Name: torch\nVersion: 2.4.1\n")
    _dist(site, "torchvision-0.19.1", "Name: torchvision\nVersion: 0.19.1\n")
    write(site, "torch/version.py", "__version__ = '2.4.1+cu121'\ncuda = '12.1'\n")
    frameworks = {f.name: f for f in probe_frameworks(installed_distributions([site]), {}, FAMILIES)}
    assert (frameworks["torch"].local_version, frameworks["torch"].cuda) == ("cu121", "12.1")
    assert (frameworks["torchvision"].local_version, frameworks["torchvision"].cuda) == (None, None)


def test_conda_metapackages_and_cuda_pins_are_not_frameworks(tmp_path: Path) -> None:
    for name in ("pytorch-2.4.1-py3.11_cuda12.1_cudnn9.1.0_0", "pytorch-gpu-2.4.1-cuda121_0", "pytorch-cuda-12.1-0"):
        write(tmp_path, f"/env/conda-meta/{name}.json", "{}")
    frameworks = probe_frameworks({}, conda_packages(tmp_path / "env"), FAMILIES)
    assert [(f.name, f.family) for f in frameworks] == [("pytorch", "pytorch")]


def test_an_overlay_family_names_its_distribution_and_build_file(tmp_path: Path) -> None:
    document = {
        "subject": "acme-torch",
        "family": {"build_files": [{"path": "torch/version.py", "reader": "version_py"}]},
        "builds": [{"release": "2.5.1", "build": "cu124", "packages": ["acme-torch"]}],
    }
    site = tmp_path / "site-packages"
    _dist(site, "acme_torch-2.5.1", "Name: acme-torch\nVersion: 2.5.1\n")
    write(site, "torch/version.py", "__version__ = '2.5.1+cu124'\ncuda = '12.4'\n")
    (acme,) = probe_frameworks(installed_distributions([site]), {}, FamilyIndex(family_table({"acme-torch": document})))
    assert (acme.family, acme.version, acme.local_version, acme.cuda) == ("acme-torch", "2.5.1", "cu124", "12.4")
