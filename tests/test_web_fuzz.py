"""Issue 10: the service fuzzed with schemathesis against its own OpenAPI document.

Every operation of the document gets requests generated from its schema,
valid ones and invalid ones (schemathesis' positive and negative modes),
some anonymous, some with a write or an admin token, and some aimed at what
the archive holds (its documents, versions and checkpoints), since a random
REF is only ever unknown. Each answer must be no server error, a documented
status code, the documented media type and a body and headers that obey the
documented schema. Examples are bounded (`EXAMPLES` per operation and mode)
so that a run takes seconds on each backend; failures are collected across
all operations and reported together.
"""

from __future__ import annotations

import collections
import os

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from provenance import Archive, proofs
from provenance import checkpoint as signing
from provenance_web.app import create_app
from provenance_web.settings import Settings

from .test_web_api import V1, V2, V3, _token

EXAMPLES = int(os.environ.get("PROV_FUZZ_EXAMPLES") or 10)
"""Examples per operation and generation mode (the explicit ones besides): 25
operations x 2 modes x 10 is some 500 requests per backend, besides those the
checks send again. ``PROV_FUZZ_EXAMPLES=200`` fuzzes longer (and then
with fresh randomness each run, not the same requests)."""

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    ignored_auth,  # a route documented as needing a token answers without one
]


def _seeded(db_url: str, keys) -> dict:
    """An archive with something to find, and the values that find it: by the names of
    parameters that go together, and the bodies of an operation, by its label."""
    with Archive(db_url, actor="desk") as archive:
        for data in (V1, V2, V3):
            archive.register(data, doc="city/council", captured_at="2019-10-24T09:00:00Z")
        archive.register(V1, doc="notes")  # the same bytes: a hash prefix is ambiguous
        key = signing.load_private_key(proofs.keygen(keys).private_key)
        archive.checkpoint(key)
        archive.register("中文的一段文字。".encode(), doc="中文/報告")
        archive.checkpoint(key)
        digest = archive.show("1").hash
    refs = ["1", "3", "city/council@2", "city/council@latest", "中文/報告@1", digest[:14], "notes@1"]
    return {
        ("doc",): [("city/council",), ("notes",), ("中文/報告",)],
        ("ref",): [(r,) for r in refs],
        ("a", "b"): [("1", "3"), ("city/council@1", "city/council@latest"), ("notes@1", "中文/報告@1"), ("2", "2")],
        ("about",): [("city/council",), ("2",)],
        ("digest",): [(digest,), (digest.removeprefix("blake3:"),)],
        ("old", "new"): [("1", "2"), ("id:1", "id:2"), ("2", "1")],
        ("parent",): [(["1"],), (["city/council@latest"],)],
        ("profile",): [("exact",), ("whitespace",), ("cjk",), ("loose",)],
        ("kind",): [(["version.registered"],)],
        "POST /api/links": [
            {"child": "notes@1", "parent": "3", "relation": "copy"},
            {"child": "中文/報告@1", "parent": "notes@1", "relation": "derived"},
            {"child": "1", "parent": "3", "relation": "revision"},  # a cycle: 409
        ],
        "POST /api/imports": [
            [{"doc": "fuzz", "text": "A fuzzed text."}, {"doc": "fuzz", "text": "A fuzzed text, again."}],
            [{"doc": "fuzz/b", "base64": "AAE=", "parent": "city/council@1", "relation": "derived"}],  # not UTF-8
        ],
        "POST /api/versions/{ref}/annotations": [
            {"label": "checked", "meta": {"desk": "metro", "page": 3}},
            {"clear_label": True, "unset_meta": ["desk"]},
            {"meta": {"nested": {"a": [1, 2.5, None]}}},
        ],
    }


def _aimed(operation, mode: GenerationMode, known: dict) -> st.SearchStrategy:
    """Cases of ``operation``, half of them with parameters (some of them) and the body
    drawn from ``known``."""
    names = {p.name: "path" for p in operation.path_parameters} | {p.name: "query" for p in operation.query}
    groups = [g for g in known if isinstance(g, tuple) and all(n in names for n in g)]
    bodies = known.get(operation.label, [])
    free = operation.as_strategy(generation_mode=mode)
    if not groups and not bodies:
        return free

    @st.composite
    def chosen(draw):
        values = {}
        for group in groups:
            if draw(st.booleans()) or any(names[n] == "path" for n in group):
                values.update(zip(group, draw(st.sampled_from(known[group])), strict=True))
        path = {k: v for k, v in values.items() if names[k] == "path"} or None
        query = {k: v for k, v in values.items() if names[k] == "query"} or None
        if bodies and draw(st.booleans()):
            body = draw(st.sampled_from(bodies))
            strategy = operation.as_strategy(
                generation_mode=mode, path_parameters=path, query=query, body=body, media_type="application/json"
            )
        else:
            strategy = operation.as_strategy(generation_mode=mode, path_parameters=path, query=query)
        return draw(strategy)

    return st.one_of(free, chosen())


def _any_string(schema: dict) -> bool:
    """Whether ``schema`` admits every string (what a path segment or header always is)."""
    rules = set(schema) - {"title", "description"}
    if rules == {"type"}:
        return schema["type"] == "string"
    return rules == {"anyOf"} and any(_any_string(s) for s in schema["anyOf"])


def _nothing_to_break(operation) -> bool:
    """Whether no request to ``operation`` is invalid: no query, no body, and every path
    segment and optional header may be any string. Schemathesis' negative mode has no
    case for such an operation, and hypothesis spent a few seconds each (a third of
    the test's time) drawing and discarding a hundred attempts before it said so."""
    if operation.query or operation.body:
        return False
    return all(_any_string(p.definition["schema"]) for p in operation.path_parameters) and all(
        _any_string(p.definition["schema"]) and not p.is_required for p in [*operation.headers, *operation.cookies]
    )


@pytest.fixture
def fuzzed(db_url, tmp_path):
    known = _seeded(db_url, tmp_path / "keys")
    tokens = {
        "none": {},
        "write": {"Authorization": f"Bearer {_token(db_url, 'fuzz-writer')}"},
        "admin": {"Authorization": f"Bearer {_token(db_url, 'fuzz-admin', 'admin')}"},
    }
    app = create_app(db_url, settings=Settings(max_body=64 * 1024))
    try:
        yield schemathesis.openapi.from_asgi("/openapi.json", app), known, tokens
    finally:
        app.state.actors.close()
        app.state.archive.close()


def test_no_request_the_schema_allows_or_forbids_breaks_the_service_or_its_schema(fuzzed):
    schema, known, tokens = fuzzed
    failures: dict[tuple[str, str], list[str]] = collections.defaultdict(list)
    answered: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    operations = [result.ok() for result in schema.get_all_operations()]

    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            if mode is GenerationMode.NEGATIVE and _nothing_to_break(operation):
                continue

            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                derandomize="PROV_FUZZ_EXAMPLES" not in os.environ,  # the same requests every run: a failure is reproducible
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @given(case=_aimed(operation, mode, known), who=st.sampled_from(sorted(tokens)))
            def ask(case, who):
                response = case.call(headers=tokens[who])
                answered[case.operation.label][response.status_code] += 1
                try:
                    case.validate_response(response, headers=tokens[who], checks=CHECKS)
                except (AssertionError, BaseExceptionGroup) as exc:  # schemathesis' failures
                    found = exc.exceptions if isinstance(exc, BaseExceptionGroup) else (exc,)
                    what = "; ".join(f"{getattr(f, 'title', '')}: {getattr(f, 'message', f)}" for f in found)
                    what = f"{response.status_code} {' '.join(what.split())[:400]}"
                    failures[(case.operation.label, what)].append(f"{case.as_curl_command()}  -> {response.text[:200]}")

            try:
                ask()
            except Unsatisfiable:  # an operation without parameters or body has no invalid request
                assert mode is GenerationMode.NEGATIVE and not operation.query and not operation.body, operation.label

    documented = {f"{m.upper()} {p}" for p, ops in schema.raw_schema["paths"].items() for m in ops}
    assert {op.label for op in operations} == documented, "every operation of the document is fuzzed"
    report = [f"{label}: {what}\n    {cases[0]}" for (label, what), cases in sorted(failures.items())]
    assert not report, f"{len(report)} kinds of failure:\n" + "\n".join(report)
    reached = {label for label, seen in answered.items() if any(200 <= s < 400 for s in seen)}
    assert reached == documented, f"never answered with success: {sorted(documented - reached)}"
