"""Reading the HTML that objects show in notebooks, with the standard library's parser.

:func:`parse` builds a small tree with :class:`html.parser.HTMLParser` and fails on
markup that is not well formed (a tag closed that was not open, one left open), so a
test reads the page as a browser would: by its elements, not by substrings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "wbr"}


@dataclass
class Node:
    """An element: its tag, attributes and children (elements and text)."""

    tag: str
    attrs: dict[str, str | None] = field(default_factory=dict)
    children: list[Node | str] = field(default_factory=list)

    def text(self) -> str:
        """The text inside, pieces joined by single spaces."""
        parts = [c if isinstance(c, str) else c.text() for c in self.children]
        return " ".join(p.strip() for p in parts if p.strip())

    def find_all(self, tag: str) -> list[Node]:
        """Every element named ``tag`` below this one, in document order."""
        found = []
        for c in self.children:
            if isinstance(c, Node):
                if c.tag == tag:
                    found.append(c)
                found += c.find_all(tag)
        return found

    def find(self, tag: str) -> Node:
        """The first element named ``tag`` below this one."""
        found = self.find_all(tag)
        assert found, f"no <{tag}> in the markup"
        return found[0]

    def elements(self) -> list[Node]:
        return [c for c in self.children if isinstance(c, Node)]

    def rows(self, section: str | None = None) -> list[list[str]]:
        """A table's own rows (not those of tables nested in its cells) as cell texts;
        ``section`` picks ``thead``, ``tbody`` or ``tfoot``."""
        assert self.tag == "table"
        out = []
        for part in self.elements():
            if section is not None and part.tag != section:
                continue
            trs = [part] if part.tag == "tr" else [e for e in part.elements() if e.tag == "tr"]
            out += [[cell.text() for cell in tr.elements() if cell.tag in ("td", "th")]
                    for tr in trs]
        return out


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#root")
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, dict(attrs))
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Node(tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        open_tag = self.stack[-1].tag
        assert open_tag == tag, f"</{tag}> closes <{open_tag}>"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(markup: str) -> Node:
    """The tree of ``markup``; fails unless every element is closed in order."""
    builder = _TreeBuilder()
    builder.feed(markup)
    builder.close()
    assert len(builder.stack) == 1, f"<{builder.stack[-1].tag}> is never closed"
    return builder.root


def no_scripts(root: Node) -> bool:
    """No <script> and no on* event attribute anywhere: the display needs no JavaScript."""
    nodes = [root]
    while nodes:
        node = nodes.pop()
        if node.tag == "script" or any(k.startswith("on") for k in node.attrs):
            return False
        nodes += node.elements()
    return True


def number(text: str) -> float:
    """A number as the displays print it (``-`` or ``−`` for minus)."""
    return float(text.replace("−", "-"))
