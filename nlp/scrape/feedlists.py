"""Feed lists: OPML (the standard exchange format) and a small YAML list."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from nlp.errors import NarrativeError
from nlp.scrape.urls import has_url_scheme
from nlp.scrape.xmlsafe import local_name, parse_xml_safely


@dataclass(frozen=True)
class FeedSpec:
    """One feed to scrape: an http(s) URL or a local file path, with an optional title."""

    url: str
    title: str | None = None


def parse_opml(data: bytes) -> list[FeedSpec]:
    """Every `<outline xmlUrl=...>` at any depth, in document order, without repeats."""
    try:
        root = parse_xml_safely(data)
    except ValueError as exc:
        raise NarrativeError(f"not a valid OPML file: {exc}") from exc
    if local_name(root.tag).lower() != "opml":
        raise NarrativeError("not a valid OPML file: the root element is not <opml>")
    specs = []
    for outline in root.iter():
        if local_name(outline.tag).lower() != "outline":
            continue
        attrs = {local_name(k).lower(): v for k, v in outline.attrib.items()}
        url = (attrs.get("xmlurl") or "").strip()
        if url:
            specs.append(FeedSpec(url, (attrs.get("title") or attrs.get("text") or "").strip() or None))
    return _unique(specs)


def parse_feed_yaml(text: str) -> list[FeedSpec]:
    """A YAML list of feeds: `- URL`, `- {url: URL, title: T}`, or the same under a `feeds:` key."""
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise NarrativeError(f"not a valid YAML feed list: {str(exc).splitlines()[0]}") from exc
    if isinstance(data, dict):
        data = data.get("feeds")
    if not isinstance(data, list):
        raise NarrativeError("a YAML feed list must be a list of feeds, or a mapping with a `feeds:` list")
    return _unique([_yaml_item(item, index) for index, item in enumerate(data, 1)])


def _yaml_item(item: object, index: int) -> FeedSpec:
    if isinstance(item, str) and item.strip():
        return FeedSpec(item.strip())
    if isinstance(item, dict):
        url = item.get("url") or item.get("xmlUrl") or item.get("path")
        if isinstance(url, str) and url.strip():
            title = item.get("title")
            return FeedSpec(url.strip(), str(title).strip() if title else None)
    raise NarrativeError(f"feed #{index} in the YAML list has no url")


def _unique(specs: list[FeedSpec]) -> list[FeedSpec]:
    seen: set[str] = set()
    unique = []
    for spec in specs:
        if spec.url not in seen:
            seen.add(spec.url)
            unique.append(spec)
    return unique


def resolve_local(spec: FeedSpec, base_dir: Path) -> FeedSpec:
    """A relative path in a list file is relative to the list file; when nothing is there but the
    path exists from the working directory, that is used instead (lists written relative to a repo root)."""
    if has_url_scheme(spec.url):
        return spec
    path = Path(spec.url).expanduser()
    if path.is_absolute():
        return spec
    beside_list = (base_dir / path).resolve()
    if not beside_list.exists() and path.exists():
        return FeedSpec(str(path.resolve()), spec.title)
    return FeedSpec(str(beside_list), spec.title)


def load_feed_list(path: str | Path) -> list[FeedSpec]:
    """Read an OPML or YAML feed list (chosen by content), paths resolved against its folder."""
    path = Path(path)
    if not path.is_file():
        raise NarrativeError(f"feed list not found: {path}")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise NarrativeError(f"cannot read feed list {path}: {exc.strerror}") from exc
    if path.suffix.lower() in (".opml", ".xml") or data.lstrip()[:1] == b"<":
        specs = parse_opml(data)
    else:
        specs = parse_feed_yaml(data.decode("utf-8", errors="replace"))
    return [resolve_local(spec, path.parent.resolve()) for spec in specs]
