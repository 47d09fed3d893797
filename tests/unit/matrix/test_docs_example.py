"""The overlay example in docs/matrix.md is valid and does what the page says."""

from __future__ import annotations

import re
from pathlib import Path

from dlenv.matrix import load

DOC = Path(__file__).resolve().parents[3] / "docs" / "matrix.md"
YAML_BLOCK = re.compile(r"```yaml\n# (?P<path>\S+)\n(?P<body>.*?)```", re.DOTALL)


def test_the_documented_overlay_loads(shipped_mini: Path, tmp_path: Path) -> None:
    blocks = list(YAML_BLOCK.finditer(DOC.read_text(encoding="utf-8")))
    assert len(blocks) == 2
    overlay = tmp_path / "overlay"
    overlay.mkdir()
    for block in blocks:
        (overlay / Path(block["path"]).name).write_text(block["body"], encoding="utf-8")
    matrix = load.load_matrix(overlay)
    framework = matrix.framework_for_package("acme-torch")
    assert framework is not None and [b.build for b in framework.builds_of("2.5.1")] == ["cu124"]
    product = matrix.find_gpu("ACME-X")
    assert product is not None and product.compute_capability == "9.0"
