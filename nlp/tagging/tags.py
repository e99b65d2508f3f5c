"""Explicit ticker markup, read from tokens: cashtags ("$NVDA", "$BRK.B") and exchange
tags ("(NYSE: CAT)", "NASDAQ:TSLA", "(Nasdaq: GOOGL, GOOG)", "(NYSE: GE; Nasdaq: GEHC)").

Pure functions over a token sequence (anything with `n`, `word(i)` and `glued(i)`, such
as `DocView`): the linker calls them only at "$" tokens and exchange words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from nlp.tagging.gazetteer_records import build_symbol

US_EXCHANGES = {
    "nyse": "NYSE", "nyse american": "NYSE American", "nyse arca": "NYSE Arca",
    "nyse mkt": "NYSE American", "nyseamerican": "NYSE American", "nysearca": "NYSE Arca",
    "amex": "NYSE American", "nasdaq": "NASDAQ", "nasdaqgs": "NASDAQ", "nasdaqgm": "NASDAQ",
    "nasdaqcm": "NASDAQ", "nasdaq gs": "NASDAQ", "nasdaq gm": "NASDAQ", "nasdaq cm": "NASDAQ",
    "nasdaq global select": "NASDAQ", "nasdaq global select market": "NASDAQ",
    "nasdaq global market": "NASDAQ", "nasdaq capital market": "NASDAQ",
    "nasdaq stock market": "NASDAQ", "cboe": "Cboe", "cboe bzx": "Cboe", "bats": "Cboe",
}
# Tags on these list no US security: the linker skips them (and keeps other rules off them).
FOREIGN_EXCHANGES = frozenset(
    "otc otcqx otcqb otcmkts otc markets otc pink pink tsx tsxv tsx-v cse neo lse lon aim asx "
    "hkex hkg sehk tyo tse fra etr xetra epa euronext six bme krx kosdaq nse bse sgx jse tase "
    "omx sto cph hel osl swx bit bmv b3".split()
    + ["otc markets", "otc pink", "euronext paris", "euronext amsterdam", "london stock exchange"]
)
# Words that can start an exchange name (matched in upper, lower and Capitalised form).
EXCHANGE_WORDS = tuple(sorted({n.split()[0].split("-")[0] for n in list(US_EXCHANGES) + list(FOREIGN_EXCHANGES)}))

_EXCHANGE_STARTS = frozenset(EXCHANGE_WORDS)
_SYMBOL = re.compile(r"[A-Z][A-Z0-9]{0,5}(?:[./][A-Z]{1,2})?")
_CLASS = re.compile(r"[A-Z]{1,2}")
_CASH = re.compile(r"[A-Za-z]{1,6}(?:\.[A-Za-z]{1,2})?")
_SEPARATORS = (",", "and", "&")
_SPAN = 12  # tokens searched for the brackets around a tag


class Tokens(Protocol):
    n: int

    def word(self, i: int) -> str: ...

    def glued(self, i: int) -> bool: ...


@dataclass(frozen=True)
class TagHit:
    symbol: str  # normalised: upper case, dots for share classes
    start: int  # token range of the mention: the symbol, with its "$" for a cashtag
    end: int
    exchange: str | None  # US exchange name; None for a cashtag or a foreign/OTC tag
    tag_start: int  # token range of the whole tag, kept off-limits to other rules
    tag_end: int
    raw: str  # the symbol as written ("nvda" in "$nvda")
    foreign: bool = False


def parse_cashtag(tokens: Tokens, i: int) -> TagHit | None:
    """A cashtag at the "$" token i: "$NVDA", "$BRK.B", "$BRK-B"; not "US$5" or "$5B"."""
    if i + 1 >= tokens.n or not tokens.glued(i):
        return None
    if i > 0 and tokens.glued(i - 1) and (tokens.word(i - 1)[-1:].isalnum() or tokens.word(i - 1)[-1:] == "$"):
        return None
    raw, end = _read_class_suffix(tokens, i + 1, _CASH)
    if raw is None or (end < tokens.n and tokens.glued(end - 1) and tokens.word(end)[:1].isalnum()):
        return None
    return TagHit(build_symbol(raw), i, end, None, i, end, raw)


def is_currency_pair(symbol: str, currencies: frozenset[str]) -> bool:
    """True for two currency codes glued together: "USDJPY", "EURUSD", "BTCUSDT"."""
    return 6 <= len(symbol) <= 8 and symbol[:3] in currencies and symbol[3:] in currencies


def is_quoted_in_currency(tokens: Tokens, hit: TagHit, currencies: frozenset[str]) -> bool:
    """True for a cashtag written as a price quote: "$CRO-USD", "$BTC/USDT" (a coin, not a stock)."""
    k = hit.end
    return (
        k + 1 < tokens.n and tokens.glued(k - 1) and tokens.word(k) in ("-", "/") and tokens.glued(k)
        and tokens.word(k + 1).upper() in currencies
    )


def parse_exchange_tag(tokens: Tokens, i: int) -> list[TagHit]:
    """Symbols of the "EXCHANGE: SYM[, SYM]" item starting at the exchange word i, when it
    sits in brackets or is written without spaces ("NASDAQ:TSLA")."""
    colon = _colon_after(tokens, i)
    if colon is None:
        return []
    name = " ".join(tokens.word(k) for k in range(i, colon)).lower().replace(" - ", "-")
    if name not in US_EXCHANGES and name not in FOREIGN_EXCHANGES:
        return []
    opening = _opening_bracket(tokens, i)
    if opening is None and not (tokens.glued(colon - 1) and tokens.glued(colon)):
        return []
    symbols = _read_symbols(tokens, colon + 1)
    if not symbols:
        return []
    last = symbols[-1][2]
    tag_start, tag_end = (opening, _closing_bracket(tokens, last)) if opening is not None else (i, last)
    exchange = US_EXCHANGES.get(name)
    return [
        TagHit(build_symbol(raw), start, end, exchange, tag_start, tag_end, raw, exchange is None)
        for raw, start, end in symbols
    ]


def _read_symbols(tokens: Tokens, k: int) -> list[tuple[str, int, int]]:
    out = []
    while k < tokens.n:
        raw, end = _read_class_suffix(tokens, k, _SYMBOL)
        if raw is None:
            break
        out.append((raw, k, end))
        k = end
        if k + 1 < tokens.n and tokens.word(k) in _SEPARATORS and not _starts_item(tokens, k + 1):
            k += 1
            continue
        break
    return out


def _read_class_suffix(tokens: Tokens, k: int, pattern: re.Pattern) -> tuple[str | None, int]:
    """The symbol at token k, joining a glued share-class suffix ("BRK" "-" "B")."""
    word = tokens.word(k)
    if not pattern.fullmatch(word):
        return None, k
    if (
        k + 2 < tokens.n and tokens.glued(k) and tokens.glued(k + 1)
        and tokens.word(k + 1) in ("-", "/", ".") and _CLASS.fullmatch(tokens.word(k + 2).upper())
    ):
        return f"{word}.{tokens.word(k + 2)}", k + 3
    return word, k + 1


def _starts_item(tokens: Tokens, i: int) -> bool:
    """True when token i begins another "EXCHANGE:" item ("NYSE: SHOP" after "TSX: SHOP,")."""
    return tokens.word(i).lower() in _EXCHANGE_STARTS and _colon_after(tokens, i) is not None


def _colon_after(tokens: Tokens, i: int) -> int | None:
    for k in range(i + 1, min(i + 5, tokens.n)):
        if tokens.word(k) == ":":
            return k
    return None


def _opening_bracket(tokens: Tokens, i: int) -> int | None:
    for k in range(i - 1, max(-1, i - _SPAN), -1):
        word = tokens.word(k)
        if word in ("(", "["):
            return k
        if word in (")", "]"):
            return None
    return None


def _closing_bracket(tokens: Tokens, k: int) -> int:
    for j in range(k, min(tokens.n, k + _SPAN)):
        word = tokens.word(j)
        if word in (")", "]"):
            return j + 1
        if word in ("(", "["):
            break
    return k
