"""sarcoma-kg: an OWL 2 DL ontology and knowledge graph of soft tissue sarcoma, with its query toolkit.

The library never prints or exits; ``sarcoma_kg.cli`` turns its results and errors into text and exit codes.
Notes for the user (a stale build directory) go to the ``sarcoma_kg`` logger, silent unless the application
configures it (the CLI prints them as ``sarcoma-kg: note: ...``).
"""

import logging
from importlib.metadata import PackageNotFoundError, version

logging.getLogger("sarcoma_kg").addHandler(logging.NullHandler())

try:
    __version__ = version("sarcoma-kg")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without installing
    __version__ = "0+unknown"

__all__ = ["__version__"]
