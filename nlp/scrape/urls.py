"""URL canonicalisation: one spelling per article, so the same story is stored once."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

HTTP_SCHEMES = ("http", "https")
DEFAULT_PORTS = {"http": 80, "https": 443}

# Query keys that only say where a click came from; they never change the page.
TRACKING_KEYS = frozenset({
    "fbclid", "gclid", "gclsrc", "dclid", "msclkid", "yclid", "twclid", "igshid", "li_fat_id",
    "mc_cid", "mc_eid", "ocid", "cmpid", "cmp", "_ga", "_gl", "_hsenc", "_hsmi", "mkt_tok",
    "spm", "s_cid", "wt.mc_id", "wt_mc_id", "ncid", "sr_share", "guccounter", "guce_referrer",
    "guce_referrer_sig", "cid_source", "at_medium", "at_campaign", "ito", "rss_source",
})
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hsa_")
_SCHEME_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")


def is_http_url(value: str | None) -> bool:
    """True for an absolute http(s) URL with a host."""
    if not value:
        return False
    try:
        parts = urlsplit(value.strip())
    except ValueError:
        return False
    return parts.scheme.lower() in HTTP_SCHEMES and bool(parts.hostname)


def has_url_scheme(value: str) -> bool:
    """True when `value` looks like `scheme://...` (any scheme), as opposed to a local path."""
    return bool(_SCHEME_RE.match(value.strip()))


def is_tracking_param(key: str) -> bool:
    lowered = key.lower()
    return lowered in TRACKING_KEYS or lowered.startswith(TRACKING_PREFIXES)


def canonicalize_url(url: str | None) -> str | None:
    """The canonical spelling of an http(s) URL, or None when `url` is not one.

    Lower-case scheme and host, no default port, no fragment, no tracking parameters, remaining
    query parameters sorted, and no trailing slash except for the bare root path "/".
    """
    if not is_http_url(url):
        return None
    try:
        parts = urlsplit(url.strip())
        netloc = _canonical_netloc(parts.scheme.lower(), parts)
    except ValueError:
        return None
    query = _canonical_query(parts.query)
    path = _canonical_path(parts.path)
    return urlunsplit((parts.scheme.lower(), netloc, path, query, ""))


def _canonical_netloc(scheme: str, parts) -> str:
    host = (parts.hostname or "").rstrip(".").lower()
    if ":" in host:  # an IPv6 literal keeps its brackets
        host = f"[{host}]"
    port = parts.port  # raises ValueError on a non-numeric port
    userinfo = ""
    if parts.username is not None:
        userinfo = parts.username + (f":{parts.password}" if parts.password is not None else "") + "@"
    if port is not None and port != DEFAULT_PORTS.get(scheme):
        return f"{userinfo}{host}:{port}"
    return f"{userinfo}{host}"


# Characters left as they are in a path; anything else (spaces, controls, non-ASCII) is %-encoded.
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"


def _canonical_path(path: str) -> str:
    path = quote(path or "/", safe=_PATH_SAFE)
    if len(path) > 1:
        path = path.rstrip("/") or "/"
    return path


def _canonical_query(query: str) -> str:
    if not query:
        return ""
    pairs = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if not is_tracking_param(k)]
    return urlencode(sorted(pairs), doseq=True)
