"""A wheel of the running dlenv, for the check stage of the images `dlenv build` writes.

No package of dlenv's name need exist on the user's index: the build context carries this wheel and
`dlenv-check.lock` pins it by its sha256. It is made from the installed package directory (an editable install
too) and the installed distribution's METADATA, byte for byte reproducible (sorted entries, fixed timestamps), so
the same dlenv always gives the same wheel and the same hash.
"""

from __future__ import annotations

import base64
import hashlib
import io
import zipfile
from pathlib import Path

from dlenv.errors import ProblemsError
from dlenv.files import write_atomically

_TAG = "py3-none-any"
_EPOCH = (1980, 1, 1, 0, 0, 0)


def wheel_name() -> str:
    from dlenv import __version__

    return f"dlenv-{__version__}-{_TAG}.whl"


def _metadata() -> str:
    from importlib.metadata import PackageNotFoundError, distribution

    from dlenv import __version__

    try:
        text = distribution("dlenv").read_text("METADATA")
    except PackageNotFoundError:
        text = None
    if not text:
        raise ProblemsError("dlenv's own METADATA is not installed; install dlenv with pip to write a build context")
    if f"\nVersion: {__version__}\n" not in f"\n{text}":
        raise ProblemsError(f"the installed dlenv METADATA is not version {__version__}; reinstall dlenv")
    return text


def _record_line(path: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(data)}"


def package_files() -> dict[str, bytes]:
    """Archive path -> bytes of every file of the dlenv package (no byte-code)."""
    import dlenv

    root = Path(dlenv.__file__).parent
    files = {}
    for path in sorted(root.rglob("*")):
        if path.is_dir() or "__pycache__" in path.parts or path.suffix in (".pyc", ".pyo"):
            continue
        files[f"dlenv/{path.relative_to(root).as_posix()}"] = path.read_bytes()
    return files


def write_wheel(directory: Path) -> Path:
    """Write the wheel into `directory`; returns its path."""
    from dlenv import __version__

    dist_info = f"dlenv-{__version__}.dist-info"
    files = package_files()
    files[f"{dist_info}/METADATA"] = _metadata().encode("utf-8")
    files[f"{dist_info}/WHEEL"] = (
        f"Wheel-Version: 1.0\nGenerator: dlenv {__version__}\nRoot-Is-Purelib: true\nTag: {_TAG}\n"
    ).encode()
    files[f"{dist_info}/entry_points.txt"] = b"[console_scripts]\ndlenv = dlenv.__main__:main\n"
    record = [_record_line(path, data) for path, data in sorted(files.items())] + [f"{dist_info}/RECORD,,"]
    files[f"{dist_info}/RECORD"] = ("\n".join(record) + "\n").encode()
    path = directory / wheel_name()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in sorted(files.items()):
            info = zipfile.ZipInfo(name, date_time=_EPOCH)
            info.external_attr = 0o644 << 16
            archive.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    write_atomically(path, buffer.getvalue())
    return path
