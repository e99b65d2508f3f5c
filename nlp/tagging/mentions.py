"""The `Mention` record: one span of text linked to one listed symbol."""

from __future__ import annotations

from dataclasses import dataclass

# How a mention was found, from most to least explicit.
METHODS = ("cashtag", "exchange_tag", "name", "alias", "symbol", "discourse")


@dataclass(frozen=True)
class Mention:
    """A ticker mention; `start`/`end` are character offsets into `doc.text`."""

    symbol: str
    start: int
    end: int
    text: str
    method: str
    confidence: float

    def to_dict(self) -> dict:
        return {
            "symbol": self.symbol,
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "method": self.method,
            "confidence": round(self.confidence, 3),
        }
