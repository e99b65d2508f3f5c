"""Gazetteer records from index data: a company's names, the short names news uses, and which of its
forms and symbols are ordinary words that need evidence.

`scripts/build_gazetteer.py` turns the `pytickersymbols` index data and the curated
`corpora/tickers/aliases.yaml` into `corpora/tickers/companies.jsonl` with these pure `build_*`
helpers; `gazetteer.py` reads that file at run time.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Iterable, Mapping

from nlp.errors import NarrativeError

# Legal-form suffixes: dropping them never changes which company is meant.
_LEGAL_SUFFIX = re.compile(
    r"(?:,?\s+(?:Inc\.?|Incorporated|Corporation|Corp\.?|Company|Co\.|Companies|plc|PLC|"
    r"Ltd\.?|Limited|N\.V\.|S\.A\.|AG|SE|LLC|L\.P\.|LP|Holdings?|Group|Holding\s+Corp\.?|Parent)"
    r"|\s+(?:&|and)\s+(?:Co\.?|Company))$"
)
# Descriptive last words: dropping them gives the short name news uses ("Palantir").
_DESCRIPTORS = frozenset(
    "Technologies Technology Industries International Enterprises Financial Bancorp "
    "Bancshares Therapeutics Pharmaceuticals Brands Entertainment Worldwide Global Solutions "
    "Platforms Networks Communications Resources Healthcare HealthCare Labs Laboratories "
    "Sciences Motor Systems Energy Software Semiconductor Semiconductors Biosciences "
    "Interactive Markets".split()
)
# Last words news drops only when what is left still names one company ("Martin Marietta
# Materials" -> "Martin Marietta", but never "Texas" from Texas Instruments or "Air" from Air Products).
_DISTINCTIVE_DESCRIPTORS = frozenset("Materials Products Properties Services Partners Instruments".split())
_PARENS = re.compile(r"\s*\([^)]*\)")
_SPACES = re.compile(r"\s+")
_SYMBOL_CLASS = re.compile(r"^([A-Z]+)[-/ ]([A-Z])$")


def build_symbol(raw: str) -> str:
    """Normalise a share-class symbol to the dotted form: BRK-B, BRK/B -> BRK.B."""
    raw = raw.strip().upper()
    match = _SYMBOL_CLASS.match(raw)
    return f"{match.group(1)}.{match.group(2)}" if match else raw


def build_clean_name(name: str) -> str:
    """Drop parenthetical notes ("Wiley (publisher)") and normalise dashes and spaces."""
    name = _PARENS.sub("", name).replace("\u2013", "-").replace("\u2019", "'")
    return _SPACES.sub(" ", name).strip(" ,")


def build_ascii(text: str) -> str:
    """ASCII-fold accents: "Estée" -> "Estee"."""
    folded = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in folded if not unicodedata.combining(ch))


def build_strip_legal(name: str) -> str:
    """Strip legal-form suffixes repeatedly and a leading/trailing "The"."""
    name = re.sub(r"^The\s+", "", name)
    name = re.sub(r",\s*The$", "", name)
    while True:
        shorter = _LEGAL_SUFFIX.sub("", name).strip(" ,")
        if shorter == name or not shorter:
            return name
        name = shorter


# How news abbreviates a legal suffix: "Noble Corporation" is written "Noble Corp.".
_SUFFIX_FORMS = {
    "Corporation": ("Corp.", "Corp"), "Corp.": ("Corp", "Corporation"), "Corp": ("Corp.",),
    "Incorporated": ("Inc.", "Inc"), "Inc.": ("Inc",), "Inc": ("Inc.",),
    "Company": ("Co.",), "Co.": ("Company",), "Limited": ("Ltd.",), "Ltd.": ("Limited",),
}
_INITIALS = re.compile(r"\b([A-Z])\. (?=[A-Z]\.)")


def build_suffix_variants(name: str) -> list[str]:
    """The official name with its legal suffix written the other usual ways
    ("Noble Corporation" -> "Noble Corp.", "Noble Corp"; "Dana, Inc." -> "Dana Inc.")."""
    base, sep, last = name.rpartition(" ")
    if not sep or last not in _SUFFIX_FORMS:
        return []
    bare = base.rstrip(",")
    out = [f"{bare} {form}" for form in _SUFFIX_FORMS[last]]
    return out + [f"{bare} {last}"] if bare != base else out


def build_initials_variants(name: str) -> list[str]:
    """Initials written with and without spaces: "D. R. Horton" -> "D.R. Horton"."""
    tight = _INITIALS.sub(r"\1.", name)
    return [tight] if tight != name else []


def build_name_variants(name: str, drop: frozenset[str] = frozenset(),
                        english: frozenset[str] = frozenset()) -> list[str]:
    """The official name plus the short forms derived by rule, minus `drop`.

    Rules: clean the name; strip legal suffixes; strip one descriptive last word
    ("Palantir Technologies" -> "Palantir"), or a distinctive-only one when what is left is
    neither ordinary English words (`english`) nor a short acronym ("Mueller Water Products" ->
    "Mueller Water"); abbreviate the legal suffix ("Corp."); add "and" for " & ", tight
    initials ("D.R. Horton") and ASCII-folded forms.
    """
    clean = build_clean_name(name)
    legal = build_strip_legal(clean)
    # One legal form off, the rest kept: "Employers Holdings, Inc." is written "Employers Holdings".
    once = re.sub(r"^The\s+", "", _LEGAL_SUFFIX.sub("", clean).strip(" ,"))
    forms = [clean, legal] + ([once] if " " in once else [])
    words = legal.split(" ")
    if len(words) > 1 and words[-1] in _DESCRIPTORS:
        forms.append(build_strip_legal(" ".join(words[:-1])))
    elif len(words) > 1 and words[-1] in _DISTINCTIVE_DESCRIPTORS:
        short = build_strip_legal(" ".join(words[:-1]))
        if not build_is_wordlike(short, english) and not (short.isupper() and len(short) <= 3):
            forms.append(short)
    forms += build_suffix_variants(clean)
    extra = [f.replace(" & ", " and ") for f in forms if " & " in f]
    extra += [v for f in forms for v in build_initials_variants(f)]
    extra += [build_ascii(f) for f in forms]
    out: list[str] = []
    for form in forms + extra:
        if form and form not in out and form not in drop and len(form) > 1:
            out.append(form)
    return out


def build_is_wordlike(form: str, words: frozenset[str]) -> bool:
    """True when every word of `form` is an ordinary lowercase English word."""
    parts = [p for p in re.split(r"[\s\-]+", form) if p]
    alpha = [p for p in parts if p.isalpha()]
    return bool(alpha) and len(alpha) == len(parts) and all(_is_word(p.lower(), words) for p in alpha)


def build_is_compound(form: str) -> bool:
    """A name of several words: spaced ("Western Digital"), or hyphenated with every part
    capitalised ("Archer-Daniels-Midland", not "Post-it"). Case tells such a name from
    ordinary words in prose; a single word-like name needs evidence everywhere."""
    if " " in form:
        return True
    parts = form.split("-")
    return len(parts) > 1 and all(p[:1].isupper() for p in parts)


def _is_word(word: str, words: frozenset[str]) -> bool:
    # web2 lists singular forms only: "Regions", "Travelers" count as words too.
    return word in words or (word.endswith("s") and (word[:-1] in words or word[:-2] in words))


def build_symbol_is_ambiguous(symbol: str, words: frozenset[str], acronyms: frozenset[str]) -> bool:
    """A bare symbol is ambiguous when short, an English word or a common acronym."""
    base = symbol.split(".")[0]
    return len(base) <= 2 or _is_word(base.lower(), words) or base in acronyms


def build_exchange(stock: Mapping) -> str | None:
    """The US exchange from the google symbol ("NYSE:CAT"), else from "traded as"."""
    symbol = build_symbol(stock["symbol"])
    for entry in stock.get("symbols") or ():
        exchange, _, sym = str(entry.get("google", "")).partition(":")
        if sym and build_symbol(sym) == symbol and exchange in ("NYSE", "NASDAQ"):
            return exchange
    traded = str((stock.get("metadata") or {}).get("traded_as", ""))
    for exchange, sym in re.findall(r"(NYSE|Nasdaq|AMEX|CBOE)\s*:\s*([A-Z.]+)", traded):
        if build_symbol(sym) == symbol:
            return {"Nasdaq": "NASDAQ", "AMEX": "NYSE American"}.get(exchange, exchange)
    return None


def build_index_records(stocks_by_index: Mapping[str, Iterable[Mapping]]) -> dict[str, dict]:
    """One base record per symbol from pytickersymbols' per-index stock lists."""
    records: dict[str, dict] = {}
    for index_name in sorted(stocks_by_index):
        for stock in stocks_by_index[index_name]:
            symbol = build_symbol(stock["symbol"])
            record = records.setdefault(
                symbol,
                {"symbol": symbol, "name": build_clean_name(stock["name"]),
                 "exchange": build_exchange(stock), "kind": "stock", "indices": []},
            )
            record["indices"].append(index_name)
    return records


def build_company_records(
    base: Mapping[str, dict], curated: Mapping, words: frozenset[str]
) -> list[dict]:
    """Merge index records with the curated file: overrides, share classes, extra
    companies, aliases; then derive short names and ambiguity flags. Sorted by symbol."""
    build_check_strings(curated)
    records = {sym: dict(rec, indices=list(rec.get("indices", ()))) for sym, rec in base.items()}
    for symbol, fix in (curated.get("overrides") or {}).items():
        if fix.get("drop"):
            records.pop(symbol, None)
        elif symbol in records:
            records[symbol].update({k: v for k, v in fix.items() if k != "drop"})
    for extra in curated.get("companies") or ():
        records.setdefault(extra["symbol"], {"indices": [], **extra})
    others: dict[str, list[str]] = {}
    mapping = dict(curated.get("share_classes") or {}) | dict(curated.get("former_symbols") or {})
    for other, primary in mapping.items():
        records.pop(other, None)
        others.setdefault(primary, []).append(other)
    aliases = curated.get("aliases") or {}
    unknown = sorted((set(aliases) | set(others)) - set(records))
    if unknown:
        raise NarrativeError(f"aliases.yaml names unknown symbols: {', '.join(unknown)}")
    return [
        build_flags(
            records[sym], aliases.get(sym, ()), sorted(others.get(sym, ())), curated, words
        )
        for sym in sorted(records)
    ]


def build_check_strings(curated: Mapping) -> None:
    """YAML 1.1 reads ON, NO, YES unquoted as booleans: every list item and key must be
    a string (quote "ON")."""
    for section, value in curated.items():
        items = list(value) if isinstance(value, (list, dict)) else []
        if isinstance(value, dict):
            items += [x for v in value.values() if isinstance(v, list) for x in v]
        bad = [x for x in items if not isinstance(x, (str, dict))]
        if bad:
            raise NarrativeError(f"aliases.yaml {section}: quote these entries: {bad}")


def build_flags(
    record: Mapping, aliases: Iterable[str], others: list[str], curated: Mapping,
    words: frozenset[str],
) -> dict:
    drop = frozenset(curated.get("drop_names") or ())
    forced = frozenset(curated.get("ambiguous_names") or ())
    plain = frozenset(curated.get("unambiguous_names") or ())
    acronyms = frozenset(curated.get("common_acronyms") or ())
    names = build_name_variants(record["name"], drop, words)
    names += [n for n in record.get("names", ()) if n not in names]
    merged = list(record.get("aliases", ())) + list(aliases)
    alias_list = [a for a in dict.fromkeys(merged) if a not in names]
    forms = names + alias_list
    ambiguous = sorted(
        f for f in forms
        if f in forced or f in acronyms
        or (f not in plain and not build_is_compound(f) and not f.isupper() and build_is_wordlike(f, words))
    )
    weak = sorted(
        f for f in forms
        if build_is_compound(f) and f not in forced and f not in plain and build_is_wordlike(f, words)
    )
    symbol = record["symbol"]
    out = {
        "symbol": symbol, "name": record["name"], "exchange": record.get("exchange"),
        "kind": record.get("kind", "stock"), "indices": sorted(record.get("indices", ())),
        "names": names, "aliases": alias_list, "ambiguous": ambiguous, "weak": weak,
        "other_symbols": others,
        "symbol_ambiguous": build_symbol_flag(symbol, curated, words),
    }
    return out


def build_symbol_flag(symbol: str, curated: Mapping, words: frozenset[str]) -> bool:
    if symbol in (curated.get("unambiguous_symbols") or ()):
        return False
    acronyms = frozenset(curated.get("common_acronyms") or ())
    explicit = frozenset(curated.get("ambiguous_symbols") or ())
    return symbol in explicit or build_symbol_is_ambiguous(symbol, words, acronyms)
