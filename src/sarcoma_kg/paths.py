"""Where the packaged content lives, whether installed editable (the repository) or from a wheel.

The wheel carries ``ontology/``, ``data/``, ``shapes/`` and ``queries/`` under ``sarcoma_kg/resources/``;
an editable install reads them straight from the repository, so curators' edits are seen at once.
"""

from __future__ import annotations

from pathlib import Path

from .errors import EnvironmentProblem

__all__ = [
    "DEFAULT_BUILD_DIR",
    "catalog_file",
    "data_dir",
    "data_files",
    "import_files",
    "ontology_file",
    "ontology_files",
    "qc_queries_dir",
    "queries_dir",
    "resource_root",
    "shapes_dir",
    "shapes_files",
]

_PACKAGE_DIR = Path(__file__).resolve().parent
DEFAULT_BUILD_DIR = Path("dist")


def resource_root() -> Path:
    """The directory holding ``ontology/`` and its siblings."""
    for candidate in (_PACKAGE_DIR / "resources", _PACKAGE_DIR.parent.parent):
        if (candidate / "ontology" / "sarcoma-kg.ttl").is_file():
            return candidate
    raise EnvironmentProblem(
        f"the packaged ontology was not found next to {_PACKAGE_DIR}: reinstall sarcoma-kg ('make install')"
    )


def ontology_file() -> Path:
    """The one edited ontology source (Turtle)."""
    return resource_root() / "ontology" / "sarcoma-kg.ttl"


def import_files() -> list[Path]:
    """The import modules (``ontology/imports/*.ttl``, e.g. the NCIt import), sorted for a stable load order.

    The main ontology ``owl:imports`` each of them; ``catalog-v001.xml`` maps their IRIs to these files, so
    Protégé and the OWL API open them offline, and our loaders read them beside the main file.
    """
    return sorted((resource_root() / "ontology" / "imports").glob("*.ttl"))


def ontology_files() -> list[Path]:
    """The ontology with its import closure: the main source, then the import modules."""
    return [ontology_file(), *import_files()]


def catalog_file() -> Path:
    """Protégé's XML catalog beside the ontology."""
    return resource_root() / "ontology" / "catalog-v001.xml"


def data_dir() -> Path:
    return resource_root() / "data"


def data_files() -> list[Path]:
    """The knowledge-base files, sorted so every load sees them in the same order."""
    return sorted(data_dir().glob("*.ttl"))


def shapes_dir() -> Path:
    return resource_root() / "shapes"


def shapes_files() -> list[Path]:
    return sorted(shapes_dir().glob("*.ttl"))


def queries_dir() -> Path:
    return resource_root() / "queries"


def qc_queries_dir() -> Path:
    return queries_dir() / "qc"


def context_file() -> Path:
    """The published JSON-LD @context (prefixes and short names for our terms)."""
    return resource_root() / "context" / "sarcoma-kg.context.jsonld"
