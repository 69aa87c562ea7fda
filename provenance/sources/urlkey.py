"""A web page's document key: its URL in SURT form, so variants of one URL are one document.

SURT (Sort-friendly URI Reordering Transform, the form of the Internet
Archive's CDX indexes) writes ``https://www.Example.com:443/a?b=2&a=1#top``
as ``com,example)/a?a=1&b=2``: the scheme, a leading ``www.``, a default
port, user and password and the fragment dropped, the host lowercased and
its labels reversed, the query's parameters sorted. So a capture over
http and one over https, with or without ``www.``, are versions of one
document.

Unlike the Internet Archive's canonicaliser, the path and query keep their
case and a trailing slash: most servers tell ``/Story`` from ``/story``,
and a document key must not join two pages that differ.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from provenance.errors import InputError

_WWW = re.compile(r"^www\d*\.")
_DEFAULT_PORTS = {"http": "80", "https": "443"}


def surt(url: str) -> str:
    """The SURT key of ``url`` (an absolute http or https URL)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise InputError(f"{url!r}: not a URL ({exc})") from None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise InputError(f"{url!r}: not an absolute URL with a host")
    host = _WWW.sub("", host)
    labels = host.split(".")
    ipv4 = all(label.isdigit() for label in labels)  # an address is not reversed
    key = host if ipv4 else ",".join(reversed(labels))
    if port is not None and str(port) != _DEFAULT_PORTS.get(scheme):
        key += f":{port}"
    path = parts.path or "/"
    query = "&".join(sorted(parts.query.split("&"))) if parts.query else ""
    return f"{key}){path}" + (f"?{query}" if query else "")
