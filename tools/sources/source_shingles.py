"""Write tests/data/sources/shingles-8.txt: hashes of every run of eight words in the five source documents.

    python tools/sources/source_shingles.py [SOURCES_DIR]     (default: ../shared/sources beside the repository)

Why hashes: the test that our definitions are in our own words (no run of eight or more words shared with a
source, issue 11) needs the sources' word runs, but the repository must not carry the sources' prose. A run is
the source's words, lower-cased, punctuation dropped, joined by one space; its hash is the first 16 hex digits
of SHA-1. The output is sorted and de-duplicated, so regenerating gives the same bytes.
"""

from __future__ import annotations

import hashlib
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
TARGET = REPO / "tests" / "data" / "sources" / "shingles-8.txt"
RUN = 8
_WORD = re.compile(r"[a-z0-9]+")


def words(text: str) -> list[str]:
    """The words of a text as the comparison sees them.

    >>> words("Soft-tissue sarcoma (STS), in adults.")
    ['soft', 'tissue', 'sarcoma', 'sts', 'in', 'adults']
    """
    return _WORD.findall(text.casefold())


def run_hashes(text: str, n: int = RUN) -> set[str]:
    """The hashes of every run of ``n`` consecutive words of ``text``."""
    w = words(text)
    return {hashlib.sha1(" ".join(w[i : i + n]).encode()).hexdigest()[:16] for i in range(len(w) - n + 1)}


def main(argv: list[str]) -> int:
    sources = (
        Path(argv[1])
        if len(argv) > 1
        else next(
            (p for p in (REPO.parent / "shared" / "sources", REPO.parent.parent / "shared" / "sources") if p.is_dir()),
            REPO.parent / "shared" / "sources",
        )
    )
    files = sorted(sources.glob("*.txt"))
    if not files:
        print(f"source_shingles: no source documents in {sources}", file=sys.stderr)
        return 2
    hashes: set[str] = set()
    for file in files:
        hashes |= run_hashes(file.read_text(encoding="utf-8"))
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    tmp = TARGET.with_suffix(".tmp")
    tmp.write_text("".join(f"{h}\n" for h in sorted(hashes)), encoding="utf-8")
    tmp.replace(TARGET)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
