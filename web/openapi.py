"""The service's OpenAPI document, generated from the routes and the report types.

``python -m provenance_web.openapi docs/openapi.json`` writes it; a test
fails when the checked-in file differs from what the code produces.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from provenance_web.app import create_app
from provenance_web.settings import Settings


def document() -> str:
    """The OpenAPI document as text (the archive is not opened to build it)."""
    app = create_app("sqlite://", settings=Settings())
    return json.dumps(app.openapi(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":  # pragma: no cover
    Path(sys.argv[1] if len(sys.argv) > 1 else "docs/openapi.json").write_text(document(), encoding="utf-8")
