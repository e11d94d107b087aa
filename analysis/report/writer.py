"""The report's writer: collects headings, paragraphs, figures and tables for one report directory.

Each figure is embedded in the page as base64 PNG and also written as PNG and SVG under ``figures/``;
each table is shown (formatted, at most ``max_rows`` rows) and written in full as CSV under ``tables/``.
:data:`CSS` styles the page.
"""

from __future__ import annotations

import base64
import html
import io
import re
from pathlib import Path

import pandas as pd


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "set"


class Writer:
    """Collects figures, tables and HTML fragments for one report directory."""

    def __init__(self, directory: Path):
        self.directory = directory
        (directory / "figures").mkdir()
        (directory / "tables").mkdir()
        self.parts: list[str] = []
        self.figure_count = 0
        self.headings: list[tuple[int, str, str]] = []  # (level, text, anchor) for the table of contents

    def heading(self, text: str, level: int = 2) -> str:
        """Add a heading with a unique anchor (returned) and list it in the table of contents."""
        anchor, used = _slug(text), {a for _, _, a in self.headings}
        number = 2
        while anchor in used:
            anchor, number = f"{_slug(text)}-{number}", number + 1
        self.headings.append((level, text, anchor))
        self.parts.append(f"<h{level} id='{anchor}'>{html.escape(text)}</h{level}>")
        return anchor

    def contents(self, max_level: int = 3) -> str:
        """The table of contents: a nested list of links to every heading down to ``max_level``."""
        items, depth = [], 1
        for level, text, anchor in self.headings:
            if level < 2 or level > max_level:
                continue
            while depth < level - 1:
                items.append("<ul>")
                depth += 1
            while depth > level - 1:
                items.append("</ul>")
                depth -= 1
            items.append(f"<li><a href='#{anchor}'>{html.escape(text)}</a></li>")
        items += ["</ul>"] * (depth - 1)
        return f"<nav class='toc'><h2>Contents</h2><ul>{''.join(items)}</ul></nav>"

    def paragraph(self, text: str, css: str = "") -> None:
        cls = f" class='{css}'" if css else ""
        self.parts.append(f"<p{cls}>{html.escape(text)}</p>")

    def raw(self, fragment: str) -> None:
        self.parts.append(fragment)

    def figure(self, figure, name: str, caption: str) -> None:
        self.figure_count += 1
        stem = f"{self.figure_count:02d}-{_slug(name)}"
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=150)
        png = buffer.getvalue()
        (self.directory / "figures" / f"{stem}.png").write_bytes(png)
        figure.savefig(self.directory / "figures" / f"{stem}.svg", format="svg")
        encoded = base64.b64encode(png).decode("ascii")
        self.parts.append(
            f"<figure><img alt='{html.escape(caption)}' src='data:image/png;base64,{encoded}'>"
            f"<figcaption>Figure {self.figure_count}. {html.escape(caption)} "
            f"<span class='files'>(figures/{stem}.png, .svg)</span></figcaption></figure>")

    def table(self, frame: pd.DataFrame, name: str, caption: str, percent: tuple[str, ...] = (),
              digits: int = 3, max_rows: int = 40, sort_by: str | None = None) -> None:
        frame = frame.reset_index(drop=True)
        path = self.directory / "tables" / f"{_slug(name)}.csv"
        frame.to_csv(path, index=False)
        if sort_by is not None:
            frame = frame.sort_values(sort_by, ascending=False, kind="stable")
            caption += f" Sorted by {sort_by}, highest first."
        shown = frame.head(max_rows).copy()
        if max_rows == 0:
            self.parts.append(f"<p class='caption'>{html.escape(caption)} <span class='files'>(tables/{path.name})"
                              "</span></p>")
            return
        if len(frame) > max_rows:
            caption += f" First {max_rows} of {len(frame)} rows; all rows in the CSV."
        for column in shown.columns:
            if column in percent:
                shown[column] = shown[column].map(lambda v: "" if pd.isna(v) else f"{v:.2%}")
            elif pd.api.types.is_float_dtype(shown[column]):
                shown[column] = shown[column].map(lambda v: "" if pd.isna(v) else f"{v:.{digits}g}")
        self.parts.append(f"<div class='table'><p class='caption'>{html.escape(caption)} "
                          f"<span class='files'>(tables/{path.name})</span></p>"
                          + shown.to_html(index=False, escape=True, border=0) + "</div>")


CSS = """
body { font-family: 'DejaVu Sans', Helvetica, Arial, sans-serif; max-width: 1120px; margin: 2em auto;
       padding: 0 1em; color: #222; line-height: 1.45; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; } h2 { border-bottom: 1px solid #ccc; margin-top: 2em; }
figure { margin: 1.2em 0; } figure img { width: 100%; height: auto; border: 1px solid #eee; }
figcaption, .caption { font-size: 0.9em; color: #444; } .files { color: #888; font-size: 0.85em; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.4em 0 1.2em; }
th, td { padding: 3px 8px; border-bottom: 1px solid #e5e5e5; text-align: right; }
th { background: #f3f3f3; } td:first-child, th:first-child { text-align: left; }
pre.verdict { background: #f7f7f7; border-left: 4px solid #0072B2; padding: 0.8em; white-space: pre-wrap;
              font-size: 0.88em; }
.note { background: #FFF8E1; border-left: 4px solid #E69F00; padding: 0.5em 0.8em; }
.holds { color: #009E73; font-weight: bold; } .fails { color: #D55E00; font-weight: bold; }
.inconclusive { color: #555; font-weight: bold; }
table.verdicts td { white-space: nowrap; } table.verdicts td:first-child { white-space: normal; }
div.table { overflow-x: auto; max-width: 100%; }
div.table td { max-width: 40em; overflow-wrap: break-word; }
nav.toc { background: #f7f7f7; padding: 0.4em 1em 0.6em; margin: 1em 0 1.5em; font-size: 0.92em; }
nav.toc h2 { border: none; margin: 0.3em 0; font-size: 1.1em; } nav.toc ul { margin: 0.2em 0; padding-left: 1.4em; }
table.answer td { vertical-align: top; text-align: left; } table.answer td.number { text-align: right; white-space: nowrap; }
table.answer th { text-align: left; }
ol.stories li { margin-bottom: 0.5em; } p.lead { font-size: 1.05em; }
.scripted { color: #666; font-style: italic; }
"""
