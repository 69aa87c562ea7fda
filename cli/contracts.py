"""The JSON contract of each command: which type its ``--json`` document has.

`docs/json/<command>.schema.json` is generated from these types (run
``python -m provenance_cli.contracts docs/json``) and a test fails when the
checked-in schemas differ from what the code produces.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from provenance.annotate import AnnotateReport
from provenance.blame import BlameReport
from provenance.events import EventsReport
from provenance.export import ExportReport
from provenance.identify import IdentifyReport
from provenance.importer import ImportReport
from provenance.index import ReindexReport
from provenance.proofs import CheckpointReport, KeygenReport, ProofCheck, ProofReport
from provenance.records import (
    DemoReport,
    DiffReport,
    DocumentSummary,
    InitReport,
    LinkReport,
    LogReport,
    RegisterReport,
    TraceReport,
    VersionInfo,
    json_schema,
)
from provenance.sources.live import CaptureReport, WatchReport
from provenance.tokens import CreatedToken, TokenInfo
from provenance.verify import VerifyReport

CONTRACTS: dict[str, Any] = {
    "init": InitReport,
    "register": RegisterReport,
    "import": ImportReport,
    "link": LinkReport,
    "log": LogReport,
    "show": VersionInfo,
    "diff": DiffReport,
    "trace": TraceReport,
    "docs": list[DocumentSummary],
    "demo": DemoReport,
    "identify": IdentifyReport,
    "blame": BlameReport,
    "reindex": ReindexReport,
    "annotate": AnnotateReport,
    "events": EventsReport,
    "verify": VerifyReport,
    "keygen": KeygenReport,
    "checkpoint": CheckpointReport | list[CheckpointReport],  # a list with --list
    "prove": ProofReport,
    "verify-proof": ProofCheck,
    "export": ExportReport,
    "capture": CaptureReport,
    "watch": WatchReport,
}
"""Each top-level command with ``--json``: its type (a test checks there is one per command)."""

GROUP_CONTRACTS: dict[str, Any] = {
    "token create": CreatedToken,
    "token list": list[TokenInfo],
    "token revoke": TokenInfo,
}
"""The same for the commands of a sub-group, by their path (written ``token-create.schema.json``)."""


def schemas() -> dict[str, str]:
    """File name -> the schema text, for every command."""
    out = {}
    for command, tp in sorted({**CONTRACTS, **GROUP_CONTRACTS}.items()):
        schema = {"$schema": "https://json-schema.org/draft/2020-12/schema"}
        schema.update(json_schema(tp))
        schema["title"] = f"prov {command} --json"
        name = command.replace(" ", "-")
        out[f"{name}.schema.json"] = json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
    return out


def write(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in schemas().items():
        (folder / name).write_text(text, encoding="utf-8")


if __name__ == "__main__":  # pragma: no cover
    write(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/json"))
