"""Every relative link in the README, BUILD.md, docs/ and research/ points at a file that exists
(and, for a link into a Markdown file with ``#anchor``, at a heading that exists there)."""

import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
PAGES = sorted([ROOT / "README.md", ROOT / "BUILD.md", *(ROOT / "docs").rglob("*.md"),
                *(ROOT / "research").rglob("*.md")])
FENCE = re.compile(r"^(```|~~~).*?^\1", re.S | re.M)
CODE_SPAN = re.compile(r"(`+)(?!`).*?(?<!`)\1(?!`)", re.S)
MD_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HTML_LINK = re.compile(r"<(?:img|a)\b[^>]*?\b(?:src|href)=\"([^\"]+)\"", re.I)
HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$", re.M)


def _prose(text: str) -> str:
    """``text`` without fenced code blocks and inline code spans (links there are examples)."""
    return CODE_SPAN.sub("", FENCE.sub("", text))


def links(text: str) -> list[str]:
    prose = _prose(text)
    return MD_LINK.findall(prose) + HTML_LINK.findall(prose)


def anchors(text: str) -> set[str]:
    """The ids GitHub gives the headings of a Markdown page: lower case, punctuation dropped,
    spaces to hyphens, ``-1``, ``-2`` ... for repeats."""
    seen: dict[str, int] = {}
    out = set()
    for title in HEADING.findall(FENCE.sub("", text)):
        title = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", title)        # [text](url) -> text
        slug = re.sub(r"[^\w\- ]", "", title.replace("`", "").lower()).replace(" ", "-")
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        out.add(slug if n == 0 else f"{slug}-{n}")
    return out


def broken_links(page: pathlib.Path) -> list[str]:
    text = page.read_text(encoding="utf-8")
    bad = []
    for target in links(text):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I):           # http:, mailto:, ...
            continue
        path, _, fragment = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        if not file.exists():
            bad.append(f"{target}: no such file")
        elif fragment and file.suffix == ".md" and fragment not in anchors(
                file.read_text(encoding="utf-8")):
            bad.append(f"{target}: no heading #{fragment} in {file.name}")
    return bad


def test_the_checker_finds_broken_files_and_anchors_and_skips_code_and_urls(tmp_path):
    (tmp_path / "there.png").write_bytes(b"")
    page = tmp_path / "p.md"
    page.write_text("# Top\n## A local search at N_p > 1\n"
                    "[ok](p.md#top) [also](#a-local-search-at-n_p--1) ![img](there.png)\n"
                    "![img](missing.png) [gone](p.md#nowhere) `[code](x.md)`\n"
                    "```\n[fenced](y.md)\n```\n<img src=\"gone.png\" width=\"9\">\n"
                    "[web](https://example.com)\n")
    assert sorted(broken_links(page)) == ["gone.png: no such file", "missing.png: no such file",
                                          "p.md#nowhere: no heading #nowhere in p.md"]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve(page):
    assert broken_links(page) == []
