"""Comments and docs cite docs/ files inside the repository, by section anchors that exist.

docs/architecture.md#lines-that-must-hold: "the repository explains itself". A citation such as
`docs/gateways.md#lifecycle` must name a heading of that file (GitHub's anchor rule: lower case,
punctuation dropped, spaces to hyphens), and no file of the repository may cite design notes kept
outside it (what the code relies on is restated under docs/).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SKIP = {".git", ".tox", ".gateways", ".hypothesis", "__pycache__"}
SUFFIXES = {".py", ".md", ".toml", ".ini", ".yaml", ".yml", ".txt"}
CLEAN = (".",)  # the whole repository
# The notes' names, each with one letter in a character class so this line is not itself a citation.
OUTSIDE_NOTES = re.compile(
    r"shared/desig[n]|gateway-fact[s]|ARCHITECTUR[E]\.md|anchor[s]\.md|apiserver-emulator-spe[c]|style\.m[d]|seed-p[r]-25294"
)
CITATION = re.compile(r"docs/([\w-]+\.md)#([\w-]+)((?:(?:,| and) #[\w-]+)*)")


def anchor(heading: str) -> str:
    """GitHub's anchor for a Markdown heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors_of(path: Path) -> set[str]:
    return {anchor(m.group(1)) for m in re.finditer(r"^#+ (.+)$", path.read_text(), re.MULTILINE)}


def repo_files(*roots: str) -> list[Path]:
    found = []
    for root in roots or (".",):
        for path in (REPO / root).rglob("*"):
            if (
                path.suffix in SUFFIXES
                and path.is_file()
                and not SKIP.intersection(path.relative_to(REPO).parts)
            ):
                found.append(path)
    return sorted(found)


def test_anchor_rule() -> None:
    assert anchor("Environment, timing and logs") == "environment-timing-and-logs"
    assert anchor("11. Why not an existing emulator") == "11-why-not-an-existing-emulator"
    assert anchor("Appendix A: kubectl request trace") == "appendix-a-kubectl-request-trace"


def test_every_cited_docs_anchor_exists() -> None:
    known = {path.name: anchors_of(path) for path in (REPO / "docs").glob("*.md")}
    broken = []
    for path in repo_files():
        for match in CITATION.finditer(path.read_text(errors="replace")):
            name, first, more = match.groups()
            for section in [first, *re.findall(r"#([\w-]+)", more)]:
                if section not in known.get(name, set()):
                    broken.append(f"{path.relative_to(REPO)}: docs/{name}#{section}")
    assert not broken, "citations of missing sections:\n" + "\n".join(broken)


@pytest.mark.parametrize("root", CLEAN)
def test_no_citation_of_notes_outside_the_repository(root: str) -> None:
    found = [
        f"{path.relative_to(REPO)}:{number}: {line.strip()}"
        for path in repo_files(root)
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1)
        if OUTSIDE_NOTES.search(line)
    ]
    assert not found, "\n".join(found)
