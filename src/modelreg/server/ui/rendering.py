"""Templates and the filters pages use: dates, short numbers, sizes, Markdown.

Jinja2 autoescapes everything; the only HTML a user can put on a page comes
through :func:`markdown`, which renders with raw HTML disabled (markdown-it
escapes it) and keeps only safe link schemes, so a description or card holding
``<script>`` shows the text.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from modelreg.artifact_files import human_size
from modelreg.datasets import source_uri
from modelreg.entities import STAGES
from modelreg.prompts import tagged_as_prompt

TEMPLATES = Path(__file__).parent.parent / "templates"
STAGE_CLASS = {"Production": "prod", "Staging": "staging", "Archived": "archived"}

environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


def when(ms: int | None) -> str:
    """A UTC time to the second, or a dash when unknown."""
    if not ms:
        return "—"
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S")


def number(value: Any) -> str:
    """A metric as people read it: 6 significant digits, never 17; missing says so."""
    if value is None:
        return "missing"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("∞" if value > 0 else "−∞")
    return f"{value:.6g}"


def size(n: int | None) -> str:
    """Bytes in B, KB, MB … (powers of 1024); a dash for a folder."""
    return "—" if n is None else human_size(n)


def duration(start: int | None, end: int | None) -> str:
    """How long a run took, as ``1h 02m``, ``3m 05s`` or ``12.3s``."""
    if not start or not end or end < start:
        return "—"
    seconds = (end - start) / 1000
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"


@cache
def _parser() -> Any:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False}).enable("table")


def markdown(text: str | None) -> Markup:
    """Markdown as HTML, raw HTML escaped (never passed through)."""
    if not text:
        return Markup("")
    return Markup(_parser().render(text))


def segment(text: str) -> str:
    """``text`` as one path segment of a URL, its ``/`` escaped too (Jinja's ``urlencode``
    keeps it): an id from a tag people set (``../../ui/audit``) stays one segment below
    the link's page."""
    return quote(str(text), safe="")


environment.filters.update(
    datetime=when,
    number=number,
    size=size,
    markdown=markdown,
    segment=segment,
    source=source_uri,
)
environment.globals.update(
    stage_class=lambda stage: STAGE_CLASS.get(stage, "none"),
    stages=STAGES,
    # The stage a version usually goes to next, chosen first in the stage form.
    next_stage={"None": "Staging", "Staging": "Production", "Production": "Archived"},
    duration=duration,
    is_prompt=tagged_as_prompt,
)


# Every page: scripts and styles only from the UI's own files (none inline), never in a
# frame, and no page address sent to other sites (#14 point 13).
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def render(template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """A page from ``template`` (``context`` is escaped as it is written), with the headers
    every page carries."""
    page = environment.get_template(template).render(**context)
    return HTMLResponse(page, status_code=status_code, headers=PAGE_HEADERS)
