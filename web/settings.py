"""The HTTP service's settings: a frozen value, read from ``PROV_WEB_*`` or given.

An explicit `Settings(...)` beats the environment beats the defaults below
(`Settings.from_env`). The archive itself is chosen as the CLI chooses it
(``where``, else ``$PROV_DB``, else the default archive), not here.

=============================  ===========  ==============================================
variable                       default      meaning
=============================  ===========  ==============================================
``PROV_WEB_MAX_BODY``          8388608      largest request body in bytes (413 above it)
``PROV_WEB_READS``             ``open``     ``open``: reads need no token; ``closed``:
                                            every route needs a valid token
``PROV_WEB_PAGE_SIZE``         100          items per page of a list when ``limit`` is not given
``PROV_WEB_MAX_PAGE_SIZE``     1000         the largest ``limit`` a list accepts
``PROV_WEB_FEED_ENTRIES``      20           entries in an Atom feed (the newest versions)
=============================  ===========  ==============================================
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

ENV_PREFIX = "PROV_WEB_"


@dataclass(frozen=True, slots=True)
class Settings:
    max_body: int = 8 * 1024 * 1024
    """Largest request body in bytes: a registered text or a query above it gets 413."""
    reads_open: bool = True
    """Whether reads need no token (False: every route needs a valid token)."""
    page_size: int = 100
    """Items per page of documents, versions and events when ``limit`` is not given."""
    max_page_size: int = 1000
    """The largest ``limit`` a list accepts."""
    feed_entries: int = 20
    """Entries (the newest versions) in an Atom feed."""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """The settings the ``PROV_WEB_*`` variables give (see the module docstring)."""
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for name, variable in ENV_NAMES.items():
            raw = env.get(variable, "").strip()
            if not raw:
                continue
            if name == "reads_open":
                if raw.lower() not in ("open", "closed"):
                    raise ValueError(f"{variable}: give open or closed, not {raw!r}")
                values[name] = raw.lower() == "open"
                continue
            try:
                number = int(raw)
            except ValueError:
                raise ValueError(f"{variable}: give a whole number, not {raw!r}") from None
            if number < 1:
                raise ValueError(f"{variable}: give 1 or more, not {number}")
            values[name] = number
        return cls(**values)  # type: ignore[arg-type]


ENV_NAMES = {
    "max_body": ENV_PREFIX + "MAX_BODY",
    "reads_open": ENV_PREFIX + "READS",
    "page_size": ENV_PREFIX + "PAGE_SIZE",
    "max_page_size": ENV_PREFIX + "MAX_PAGE_SIZE",
    "feed_entries": ENV_PREFIX + "FEED_ENTRIES",
}
"""Each setting's environment variable (a test checks every setting has one and is documented)."""
