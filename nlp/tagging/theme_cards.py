"""Theme cards: parse and validate the YAML cards of ``corpora/themes`` (fields in its README.md).

``parse_theme_card`` is pure and names the card and the field in every error; ``load_theme_card(s)``
read files. A user adds a theme by dropping a card in the themes folder or in a user folder.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

from nlp.errors import NarrativeError

KINDS = ("strong", "weak", "ambiguous")
DEFAULT_THRESHOLD = 0.5

PHRASE_FIELDS = {"phrases": "strong", "weak_phrases": "weak", "ambiguous_phrases": "ambiguous"}
TERM_FIELDS = ("context", "veto", "exclude")
TEXT_LIST_FIELDS = ("examples", "counter_examples")
CARD_FIELDS = frozenset(
    {"id", "label", "description", "threshold", "context_window", "patterns", "term_sets"}
    | set(PHRASE_FIELDS) | set(TERM_FIELDS) | set(TEXT_LIST_FIELDS)
)
PATTERN_FIELDS = frozenset({"name", "kind", "pattern", "use_veto"})
_CARD_ID = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class PatternCue:
    """A Matcher pattern with its kind; ``use_veto`` lets the card's veto terms cancel it too."""

    name: str
    kind: str
    pattern: list = field(hash=False)
    use_veto: bool = False


@dataclass(frozen=True)
class ThemeCard:
    """One theme: what it means (label, description) and the cues that detect it."""

    id: str
    label: str
    description: str
    phrases: tuple[str, ...] = ()
    weak_phrases: tuple[str, ...] = ()
    ambiguous_phrases: tuple[str, ...] = ()
    context: tuple[str, ...] = ()
    veto: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    patterns: tuple[PatternCue, ...] = ()
    threshold: float = DEFAULT_THRESHOLD
    context_window: int | None = None
    examples: tuple[str, ...] = ()
    counter_examples: tuple[str, ...] = ()
    source: str = ""

    @property
    def n_phrases(self) -> int:
        return len(self.phrases) + len(self.weak_phrases) + len(self.ambiguous_phrases)


def _card_error(source: str, field_name: str | None, problem: str) -> NarrativeError:
    where = f"field '{field_name}' " if field_name else ""
    return NarrativeError(f"theme card {source}: {where}{problem}")


def _parse_text(data: Mapping, name: str, source: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value.strip():
        raise _card_error(source, name, "is required and must be a non-empty string")
    return value.strip()


def _parse_text_list(data: Mapping, name: str, source: str) -> tuple[str, ...]:
    value = data.get(name)
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise _card_error(source, name, "must be a list of non-empty strings")
    return tuple(v.strip() for v in value)


def _parse_term_sets(data: Mapping, source: str) -> dict[str, list[str]]:
    value = data.get("term_sets") or {}
    if not isinstance(value, dict):
        raise _card_error(source, "term_sets", "must map names to lists of words")
    sets = {}
    for name, words in value.items():
        if not isinstance(words, list) or not all(isinstance(w, (str, int)) and not isinstance(w, bool) for w in words):
            raise _card_error(source, f"term_sets.{name}", "must be a list of words (quote yes/no/on/off)")
        sets[str(name)] = [str(w).lower() for w in words]
    return sets


def build_expanded_pattern(value: Any, term_sets: Mapping[str, list[str]], where: str, source: str) -> Any:
    """Replace "$name" items of IN / NOT_IN lists with the words of ``term_sets[name]``."""
    if isinstance(value, dict):
        return {k: build_expanded_pattern(v, term_sets, where, source) for k, v in value.items()}
    if not isinstance(value, list):
        return value
    out: list = []
    for item in value:
        if isinstance(item, str) and item.startswith("$"):
            if item[1:] not in term_sets:
                raise _card_error(source, where, f"uses unknown term set {item!r}")
            out.extend(term_sets[item[1:]])
        else:
            out.append(build_expanded_pattern(item, term_sets, where, source))
    return out


def _parse_pattern(item: Any, index: int, term_sets: Mapping, source: str) -> PatternCue:
    where = f"patterns[{index}]"
    if not isinstance(item, dict) or not isinstance(item.get("pattern"), list) or not item["pattern"]:
        raise _card_error(source, where, "must be a mapping with a non-empty 'pattern' list of token dicts")
    unknown = set(item) - PATTERN_FIELDS
    if unknown:
        raise _card_error(source, where, f"has unknown key(s) {sorted(unknown)}")
    if not all(isinstance(tok, dict) for tok in item["pattern"]):
        raise _card_error(source, where, "'pattern' must be a list of token dicts")
    kind = item.get("kind", "strong")
    if kind not in KINDS:
        raise _card_error(source, f"{where}.kind", f"must be one of {list(KINDS)}, not {kind!r}")
    name = str(item.get("name") or f"pattern{index}")
    pattern = build_expanded_pattern(item["pattern"], term_sets, where, source)
    return PatternCue(name=name, kind=kind, pattern=pattern, use_veto=bool(item.get("use_veto", False)))


def _parse_threshold(data: Mapping, source: str) -> float:
    value = data.get("threshold", DEFAULT_THRESHOLD)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 1:
        raise _card_error(source, "threshold", f"must be a number in (0, 1], not {value!r}")
    return float(value)


def _parse_window(data: Mapping, source: str) -> int | None:
    value = data.get("context_window")
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise _card_error(source, "context_window", f"must be a positive integer or null, not {value!r}")
    return value


def parse_theme_card(data: Any, source: str = "<card>") -> ThemeCard:
    """Validate a card's fields and build a ThemeCard; errors name the card and the field."""
    if not isinstance(data, dict):
        raise _card_error(source, None, "must be a YAML mapping of fields")
    unknown = set(data) - CARD_FIELDS
    if unknown:
        raise _card_error(source, sorted(unknown)[0], f"is not a card field (allowed: {', '.join(sorted(CARD_FIELDS))})")
    card_id = _parse_text(data, "id", source)
    if not _CARD_ID.match(card_id):
        raise _card_error(source, "id", f"must be lowercase letters, digits and _, not {card_id!r}")
    term_sets = _parse_term_sets(data, source)
    raw_patterns = data.get("patterns") or []
    if not isinstance(raw_patterns, list):
        raise _card_error(source, "patterns", "must be a list")
    lists = {name: _parse_text_list(data, name, source) for name in (*PHRASE_FIELDS, *TERM_FIELDS, *TEXT_LIST_FIELDS)}
    card = ThemeCard(
        id=card_id, label=_parse_text(data, "label", source), description=_parse_text(data, "description", source),
        patterns=tuple(_parse_pattern(p, i, term_sets, source) for i, p in enumerate(raw_patterns)),
        threshold=_parse_threshold(data, source), context_window=_parse_window(data, source), source=source, **lists,
    )
    _check_cues(card, source)
    return card


def _check_cues(card: ThemeCard, source: str) -> None:
    if not (card.n_phrases or card.patterns):
        raise _card_error(source, "phrases", "is empty: a card needs phrases, weak_phrases, ambiguous_phrases or patterns")
    needs_context = card.ambiguous_phrases or any(p.kind == "ambiguous" for p in card.patterns)
    if needs_context and not card.context:
        raise _card_error(source, "context", "is required when the card has ambiguous phrases or patterns")


def default_themes_dir() -> Path:
    from nlp.settings import CORPORA_DIR

    return CORPORA_DIR / "themes"


def load_theme_card(path: Path) -> ThemeCard:
    """Read and validate one card; its id must match the file name."""
    import yaml

    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        first = str(exc).strip().splitlines()
        raise NarrativeError(f"theme card {path}: not valid YAML ({' '.join(first[:3])})") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise NarrativeError(f"theme card {path}: cannot read ({exc})") from exc
    card = parse_theme_card(data, str(path))
    if card.id != Path(path).stem:
        raise _card_error(str(path), "id", f"is {card.id!r} but the file is named {Path(path).name}")
    return card


def iter_card_paths(folder: Path) -> list[Path]:
    if not Path(folder).is_dir():
        raise NarrativeError(f"themes folder not found: {folder}")
    return sorted(p for p in Path(folder).iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())


def load_theme_cards(themes_dir: str | Path | None = None, user_dirs: Iterable[str | Path] = ()) -> list[ThemeCard]:
    """Cards from ``themes_dir`` (default ``corpora/themes``), then each user dir.

    A user card with the id of an earlier card replaces it; two cards with one id in the same folder
    are an error. Cards come back in file-name order.
    """
    cards: dict[str, ThemeCard] = {}
    for folder in [Path(themes_dir) if themes_dir else default_themes_dir(), *map(Path, user_dirs)]:
        seen: set[str] = set()
        for path in iter_card_paths(folder):
            card = load_theme_card(path)
            if card.id in seen:
                raise _card_error(str(path), "id", f"{card.id!r} is used by another card in {folder}")
            seen.add(card.id)
            cards[card.id] = card
    if not cards:
        raise NarrativeError(f"no theme cards (*.yaml) found in {themes_dir or default_themes_dir()}")
    return list(cards.values())
