"""HTML building blocks shared by every page: escaping, links, anchors and the page shell.

One escaping rule for the whole site (and the board pages): :func:`esc` is ``html.escape``
with quotes, applied to every text and attribute value that is not a constant of this package.
Links are relative and percent-encoded (:func:`href`), so the site works from ``file://`` and
from any static host, under any folder name.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

#: The style of every page (inline: a page is one file, and the board folder has no assets).
STYLE = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Liberation Sans",sans-serif;
color:#1f2328;margin:1.5em auto;max-width:90em;padding:0 1em}
h1{font-size:1.6em;margin:.2em 0}h2{font-size:1.2em;margin:1.4em 0 .4em}
h3{font-size:1.05em;margin:1.2em 0 .3em}
a{color:#0550ae}code,pre{font:12.5px/1.4 ui-monospace,"DejaVu Sans Mono",monospace}
nav.crumbs{margin-bottom:.6em;color:#57606a}nav.crumbs a{margin-right:.3em}
.scroll{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;margin:.4em 0}
th,td{border:1px solid #d0d7de;padding:.25em .6em;white-space:nowrap;text-align:left;
vertical-align:top}
th{background:#f6f8fa}th[data-type]{cursor:pointer;user-select:none}
th[data-type]:hover{background:#eaeef2}
th[aria-sort=ascending]::after{content:" \\25B2"}th[aria-sort=descending]::after{content:" \\25BC"}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.cfg{color:#57606a}
.mark{display:inline-block;font-size:11px;line-height:1.5;border-radius:3px;padding:0 .4em;
margin-left:.35em}
.mark-oracle{background:#ffebe9;color:#82071e}.mark-reproduced{background:#dafbe1;color:#116329}
.mark-stale{background:#eaeef2;color:#57606a}
p.note{color:#444;max-width:60em}
pre.cert{white-space:pre-wrap;overflow-wrap:anywhere;background:#f6f8fa;padding:.5em .7em;
border:1px solid #d0d7de;max-width:60em;margin:.2em 0 .5em}
.certificate p,.certificate ul{margin:.3em 0}.certificate h4{margin:.6em 0 .2em}
section.instance{border-top:1px solid #d0d7de;margin-top:1em}
.solved{color:#116329}.unsolved{color:#82071e}
ul.toc{display:flex;flex-wrap:wrap;list-style:none;padding:0;gap:.1em 1.4em}
ul.toc li{white-space:nowrap}
ul.moves{columns:17em;padding-left:1.2em;margin:.2em 0}
svg.chart{display:block;margin:.3em 0}
svg.chart text{font-family:system-ui,"Liberation Sans",sans-serif;fill:#1f2328}
dl.facts{display:grid;grid-template-columns:max-content auto;gap:.1em 1em}
dl.facts dt{color:#57606a}dl.facts dd{margin:0;overflow-wrap:anywhere}
"""


def esc(text: Any) -> str:
    """``text`` as HTML text or a quoted attribute value: ``& < > " '`` become entities."""
    return html.escape(str(text), quote=True)


def href(*parts: str) -> str:
    """A relative link from path parts, each percent-encoded (``/`` kept between parts)."""
    return esc("/".join(quote(p, safe="/") for p in parts))


_ANCHOR_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def anchor(prefix: str, text: str) -> str:
    """An ``id`` for ``text``: ``prefix-`` then its letters, digits, ``_ . -`` (others as ``-``)."""
    return f"{prefix}-" + (_ANCHOR_UNSAFE.sub("-", str(text)).strip("-") or "x")


def unique_anchors(prefix: str, names: list[str]) -> dict[str, str]:
    """:func:`anchor` of each name, made unique in order (``a/b`` and ``a-b`` get ``-2``)."""
    seen: set[str] = set()
    out: dict[str, str] = {}
    for name in names:
        base = candidate = anchor(prefix, name)
        k = 1
        while candidate in seen:
            k += 1
            candidate = f"{base}-{k}"
        seen.add(candidate)
        out[name] = candidate
    return out


def page(title: str, body: list[str], *, crumbs: Sequence[tuple[str, str | None]] = (),
         script: str = "") -> str:
    """A whole HTML document. ``crumbs``: (label, link) for the top line, the link already
    built by :func:`href` (or None: plain text); ``script``: inline JavaScript placed at the
    end of the body (a constant of this package, never data)."""
    nav = ""
    if crumbs:
        nav = '<nav class="crumbs">' + " / ".join(
            f'<a href="{link}">{esc(label)}</a>' if link else esc(label)
            for label, link in crumbs) + "</nav>"
    parts = ["<!doctype html>", '<html lang="en"><head><meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             f"<title>{esc(title)}</title>", f"<style>{STYLE}</style></head><body>", nav,
             *body]
    if script:
        parts.append(f"<script>{script}</script>")
    parts.append("</body></html>")
    return "\n".join(p for p in parts if p) + "\n"
