"""The wheel carries the content (ontology, data, shapes, queries, context), so an installed package finds it."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_wheel_bundles_the_content_paths_looks_for(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(tmp_path), str(REPO)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("sarcoma_kg-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    resources = "sarcoma_kg/resources"
    assert f"{resources}/ontology/sarcoma-kg.ttl" in names
    assert f"{resources}/ontology/catalog-v001.xml" in names
    for folder in ("data", "shapes", "queries", "queries/qc", "context"):
        shipped = {n for n in names if n.startswith(f"{resources}/{folder}/")}
        in_repo = {f"{resources}/{p.relative_to(REPO).as_posix()}" for p in (REPO / folder).glob("*") if p.is_file()}
        assert in_repo <= shipped, folder
    assert "sarcoma_kg/cli/__init__.py" in names
