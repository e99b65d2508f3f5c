#!/usr/bin/env python3
"""Build corpora/sentiment/written_news.jsonl, the business-news sentiment set written for this
project, from the hand-written material in corpora/sentiment/src/:

- frames.txt      sentence frames with slots, each labelled (see the header of that file);
- fillers.yaml    invented companies, people, brokers, clients, periods, money and number formats;
- handwritten.tsv fully hand-written sentences (label, text, optional target and its label).

Every frame is filled several times with seeded random fillers; numbers in a frame agree with its
direction (a "rose to X from Y" frame always gets X > Y). Candidates are de-duplicated and drawn
round-robin over the frames of each label until the label's quota is met, so every frame is used
and none dominates. Deterministic: two runs write byte-identical files.

Slots: {co} the company (first mention full or short name, later mentions short), {co_s} its short
name, {A} {B} {A_s} {B_s} the two companies of a pair frame, {co_desc} {co_city} {co_country}
{exchange} {ticker} {currency_name}; {product} {product2} {launch} {order} {regulated} {site} {sites}
{B_site} {volume} from the company's industry; {m_good} {m_loss} {m_cost} {margin} {was} metrics;
{from} {to} {pct} {mfrom} {mto} {pp} {eps_from} {eps_to} {tp_from} {tp_to} {div_from} {div_to}
{rt_from} {rt_to} {cr_from} {cr_to} directed pairs; {amt} {amt2} {eps} {div} {px} {bond_px}
{pct_small} {share_pct} {range} {move} {hold} {hold_small} {flag} amounts; {period} {period_end} {fut_period} {cmp}
{year} {prev_year} {next_year} {year_future} {month} {month2} {month3} {date} {date2} {time} {weekday}
{founded} {since}; {person} {person2} {role} {age} {broker} {agency} {holder} {client} {place}
{place2} {place3} {city} {rt_neutral} {rival}; counts {n} {board_n} {n2} {n_k} {jobs} {staff} {staff2} {shares}
{shares2} {shares3} {days} {weeks} {nth} {ord} {quarter_ord}.

    python scripts/make_written_sentiment.py [--out corpora/sentiment/written_news.jsonl]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "corpora" / "sentiment" / "src"
OUT = ROOT / "corpora" / "sentiment" / "written_news.jsonl"
SEED = 20250604
LABELS = {"pos": "positive", "neg": "negative", "neu": "neutral"}
QUOTAS = {"neutral": 1400, "positive": 1030, "negative": 690}  # ~45 / 33 / 22 percent
PAIR_QUOTA = 330  # templated two-company lines (the hand-written ones come on top)
CANDIDATES_PER_FRAME = 14
SINGLE_TARGET_SHARE = 0.5  # share of one-company lines that also name the company as target
SLOT = re.compile(r"\{([A-Za-z_0-9]+)\}")
LINE = re.compile(r"^(pos|neg|neu) (up2|down2|up|down|-)((?: [AB][+-])*) \| (.+)$")
COMPANY_SLOTS = {"co": "co", "co_s": "co", "A": "A", "A_s": "A", "B": "B", "B_s": "B"}
SIGN = {"+": "positive", "-": "negative"}
NUMBER_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]


# ---------------------------------------------------------------- material

@dataclass
class Frame:
    fid: int
    category: str
    label: str
    direction: str
    text: str
    fortunes: dict[str, str] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    margin_range: tuple[float, float] = (1.5, 28.0)


@dataclass
class Company:
    root: str
    industry: str
    info: dict
    country: dict
    word: str
    form: str
    city: str
    tags: set[str]


def parse_frames(raw: str) -> list[Frame]:
    frames, category = [], ""
    for n, line in enumerate(raw.splitlines(), 1):
        line = line.strip()
        if line.startswith("## "):
            category = line[3:].strip()
            continue
        if not line or line.startswith("#"):
            continue
        match = LINE.match(line)
        if not match:
            raise SystemExit(f"frames.txt line {n}: cannot parse {line!r}")
        label, direction, signs, body = match.groups()
        words = body.split(" @")
        text, tags = words[0].strip(), [w.strip() for w in words[1:]]
        frame = Frame(len(frames), category, LABELS[label], direction, text)
        frame.fortunes = {s[0]: SIGN[s[1]] for s in signs.split()}
        for tag in tags:
            if tag.startswith("m="):
                lo, hi = tag[2:].split("-")
                frame.margin_range = (float(lo), float(hi))
            else:
                frame.tags.append(tag)
        slots = set(SLOT.findall(text))
        frame.tags += [t for t in ("order", "launch", "regulated") if t in slots]
        frames.append(frame)
    return frames


def parse_handwritten(raw: str) -> list[dict]:
    rows = []
    for n, line in enumerate(raw.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        cells = line.rstrip("\n").split("\t")
        label, text = LABELS.get(cells[0], cells[0]), cells[1].strip()
        if label not in LABELS.values() or len(cells) not in (2, 4):
            raise SystemExit(f"handwritten.tsv line {n}: need label, text[, target, target label]")
        row = {"text": text, "label": label}
        if len(cells) == 4:
            target, target_label = cells[2].strip(), LABELS.get(cells[3].strip(), cells[3].strip())
            if target not in text or target_label not in LABELS.values():
                raise SystemExit(f"handwritten.tsv line {n}: target {target!r} not in text or bad label")
            row.update(target=target, target_label=target_label)
        rows.append(row)
    return rows


def build_companies(fillers: dict, rng: random.Random) -> list[Company]:
    """Each root gets a fixed industry (round-robin, so every industry has rivals) and country."""
    roots = list(fillers["roots"])
    check_roots(roots)
    industries = list(fillers["industries"])
    rng.shuffle(roots)
    countries = fillers["countries"]
    weights = [c["weight"] for c in countries]
    companies = []
    for i, root in enumerate(roots):
        industry = industries[i % len(industries)]
        info = fillers["industries"][industry]
        country = rng.choices(countries, weights)[0]
        tags = set(fillers["industry_tags"].get(industry, []))
        tags |= {"mfg"} if industry in fillers["mfg_industries"] else set()
        tags |= {"order"} if info["orders"] else set()
        tags |= {"orders"} if info["orders"] or industry in fillers["mfg_industries"] else set()
        tags |= {"launch"} if info["launch"] else set()
        tags |= {"regulated"} if industry in fillers["regulated"] else set()
        tags |= {"sales"} if "fin" not in tags else set()
        companies.append(Company(root, industry, info, country, rng.choice(info["words"]),
                                 rng.choice(country["forms"]), rng.choice(country["cities"]), tags))
    return companies


def check_roots(roots: list[str]) -> None:
    for a in roots:
        for b in roots:
            if a != b and a.lower() in b.lower():
                raise SystemExit(f"company root {a!r} is part of {b!r}: targets would be ambiguous")


# ---------------------------------------------------------------- numbers

def fmt_num(value: float, decimals: int) -> str:
    return f"{value:,.{decimals}f}"


def money_decimals(value: float, precise: float) -> int:
    """Decimals by magnitude; ``precise`` (drawn once per sentence) keeps a pair's style alike."""
    if value < 10:
        return 2 if precise < 0.3 else 1
    if value < 100:
        return 1
    return 1 if precise < 0.3 else 0


class Numbers:
    """Number formats fixed for one sentence: currency, money style, percent style."""

    def __init__(self, fillers: dict, currency: str, rng: random.Random):
        self.f, self.cur, self.rng = fillers, currency, rng
        self.rate = fillers["rates"][currency]
        self.money_style = rng.choice(fillers["money_formats"][currency])
        self.share_style = rng.choice(fillers["share_formats"][currency])
        self.pct_style = rng.choice(fillers["percent_formats"])
        self.precise = rng.random()

    def pct(self, value: float, decimals: int | None = None) -> str:
        if decimals is None:
            decimals = 0 if value >= 10 and self.rng.random() < 0.6 else 1
        return self.pct_style.format(v=fmt_num(value, decimals))

    def base_amount(self) -> float:
        """An amount in millions of the sentence's currency, spread over company sizes."""
        lo, hi = self.rng.choices([(0.3, 5), (2, 40), (20, 400), (200, 3000)], [3, 4, 3, 1])[0]
        return self.rng.uniform(lo, hi) * self.rate

    def money(self, millions: float, decimals: int | None = None) -> tuple[str, float]:
        """Text and the value it shows (in millions), so directed pairs can be checked."""
        if millions >= 1000:
            value, template, scale = millions / 1000, self.money_style[1], 1000
        else:
            value, template, scale = millions, self.money_style[0], 1
        decimals = money_decimals(value, self.precise) if decimals is None else decimals
        shown = round(value, decimals)
        return template.format(v=fmt_num(shown, decimals)), shown * scale

    def per_share(self, eur: float, decimals: int | None = None) -> tuple[str, float]:
        """A per-share amount; pass ``decimals`` (see share_decimals) to keep a pair alike."""
        value = eur * self.rate
        if "{c}" in self.share_style:  # pence
            cents = round(value * 100, 1 if value < 0.1 else 0)
            return self.share_style.format(c=fmt_num(cents, 1 if value < 0.1 else 0)), cents
        decimals = self.share_decimals(eur) if decimals is None else decimals
        shown = round(value, decimals)
        return self.share_style.format(v=fmt_num(shown, decimals)), shown

    def share_decimals(self, eur: float) -> int:
        value = eur * self.rate
        return 0 if value >= 200 else 1 if value >= 30 else 2


def change_factor(direction: str, rng: random.Random) -> float:
    return {"up": 1 + rng.uniform(0.03, 0.8), "up2": 1 + rng.uniform(1.05, 2.6),
            "down": 1 - rng.uniform(0.03, 0.45), "down2": 1 - rng.uniform(0.52, 0.85)}.get(direction, 1 + rng.uniform(-0.4, 0.6))


def directed_pair(make, base: float, direction: str, rng: random.Random):
    """(old, new) texts whose shown values move in ``direction`` (any order for '-')."""
    for _ in range(50):
        old_text, old = make(base)
        new_text, new = make(base * change_factor(direction, rng))
        ok = {"up": new > old, "up2": new >= 2.05 * old, "down": new < old,
              "down2": new <= 0.48 * old}.get(direction, new != old)
        if ok and old > 0 and new > 0:
            return old_text, old, new_text, new
    raise RuntimeError("could not draw a directed pair")


# ---------------------------------------------------------------- filling

def article(word: str) -> str:
    return "an" if word[:1] in "AEIOU" and not word.startswith("US") else "a"


def plural(site: str) -> str:
    if site.endswith("works"):
        return site
    return site + ("es" if site.endswith(("ch", "sh", "s")) else "s")


class Filler:
    """Fills one frame: slot values are drawn on first use and reused within the sentence."""

    def __init__(self, fillers: dict, frame: Frame, companies: dict[str, Company], others: list[Company], rng: random.Random):
        self.f, self.frame, self.companies, self.others, self.rng = fillers, frame, companies, others, rng
        self.co = companies.get("co") or companies["A"]
        self.num = Numbers(fillers, self.co.country["currency"], rng)
        self.values: dict[str, str] = {}
        self.mentions: dict[str, int] = Counter()
        self.year = rng.choice(fillers["years"])

    def render(self) -> tuple[str, dict[str, tuple[int, str]]]:
        """The sentence and, per company role, (offset, surface) of its first mention."""
        out, first = [], {}
        for piece in re.split(r"(\{[A-Za-z_0-9]+\})", self.frame.text):
            if piece.startswith("{") and piece.endswith("}"):
                name = piece[1:-1]
                value = self.company_mention(name) if name in COMPANY_SLOTS else self.value(name)
                if name in COMPANY_SLOTS and COMPANY_SLOTS[name] not in first:
                    # where the mention lands once the text before it has been tidied
                    first[COMPANY_SLOTS[name]] = (len(tidy("".join(out))), value)
                piece = value
            out.append(piece)
        return tidy("".join(out)), first

    def company_mention(self, name: str) -> str:
        role = COMPANY_SLOTS[name]
        company = self.companies[role]
        self.mentions[role] += 1
        if name.endswith("_s") or self.mentions[role] > 1:
            return company.root
        style = self.rng.random()
        if style < 0.35:
            return f"{company.root} {company.word} {company.form}"
        if style < 0.55:
            return f"{company.root} {company.word}"
        return company.root

    def value(self, name: str) -> str:
        if name not in self.values:
            method = getattr(self, f"slot_{name}", None)
            if method is None:
                raise SystemExit(f"frame {self.frame.fid}: unknown slot {{{name}}} in {self.frame.text!r}")
            result = method()
            if isinstance(result, dict):
                self.values.update(result)
            else:
                self.values[name] = result
        return self.values[name]

    def pick(self, key: str, k: int = 1) -> list[str]:
        return self.rng.sample(list(self.f[key]), k)

    # companies and their attributes
    def slot_co_desc(self):
        adj = self.co.country["adj"]
        return f"{article(adj)} {adj} {self.rng.choice(self.co.info['desc'])}"

    def slot_co_city(self):
        return self.co.city

    def slot_co_country(self):
        return self.co.country["name"]

    def slot_city(self):
        return self.rng.choice(self.co.country["cities"])

    def slot_exchange(self):
        return self.rng.choice(self.co.country["exchange"])

    def slot_ticker(self):
        letters = re.sub(r"[^A-Za-z]", "", self.co.root).upper()
        return letters[: self.rng.choice([3, 4])]

    def slot_currency_name(self):
        return {"EUR": "euros", "USD": "US dollars", "GBP": "pounds sterling", "SEK": "Swedish crowns",
                "NOK": "Norwegian crowns", "DKK": "Danish crowns", "JPY": "yen", "CHF": "Swiss francs",
                "INR": "Indian rupees", "CAD": "Canadian dollars", "AUD": "Australian dollars", "PLN": "zlotys"}[self.co.country["currency"]]

    def slot_product(self):
        first, second = self.rng.sample(self.co.info["products"], 2)
        return {"product": first, "product2": second}

    def slot_product2(self):
        self.value("product")
        return self.values["product2"]

    def slot_launch(self):
        return self.rng.choice(self.co.info["launch"])

    def slot_order(self):
        return self.rng.choice(self.co.info["orders"])

    def slot_regulated(self):
        return self.rng.choice(self.f["regulated"][self.co.industry])

    def slot_site(self):
        return self.co.info["site"]

    def slot_sites(self):
        return plural(self.co.info["site"])

    def slot_B_site(self):
        return self.companies["B"].info["site"]

    def slot_volume(self):
        return self.rng.choice(self.f["volumes"].get(self.co.industry) or self.f["volumes_mfg"])

    def slot_client(self):
        own = self.co.info.get("clients") or []
        draw = self.rng.random()
        if own and draw < 0.6:
            return self.rng.choice(own)
        if draw < 0.85 or not self.others:
            return self.rng.choice(self.f["clients"])
        other = self.rng.choice(self.others)
        return f"{other.root} {other.word} {other.form}"

    def slot_rival(self):
        rivals = [c for c in self.others if c.industry == self.co.industry] or self.others
        other = self.rng.choice(rivals)
        return f"{other.root} {other.word} {other.form}"

    # metrics
    def slot_m_good(self):
        industry = self.co.industry
        names = self.f["metrics_only"].get(industry)
        if names is None:
            names = list(self.f["metrics_good"]) + list(self.f["metrics_extra"].get(industry, []))
            names += self.f["metrics_extra"]["orders"] if "orders" in self.co.tags else []
        return self.rng.choice(names)

    def slot_was(self):
        return "were" if self.value("m_good") in self.f["plural_metrics"] else "was"

    def slot_m_loss(self):
        return self.rng.choice(self.f["metrics_loss"])

    def slot_m_cost(self):
        return self.rng.choice(self.f["metrics_cost"])

    def slot_margin(self):
        return self.rng.choice(self.f["margins_fin"] if "fin" in self.co.tags else self.f["margins"])

    # directed pairs
    def slot_from(self):
        old_t, _, new_t, _ = directed_pair(self.num.money, self.num.base_amount(), self.frame.direction, self.rng)
        return {"from": old_t, "to": new_t}

    slot_to = slot_from

    def slot_pct(self):
        if "{from}" in self.frame.text or "{to}" in self.frame.text:
            self.value("from")
            old, new = (parse_shown(self.values[k]) for k in ("from", "to"))
            change = abs(new / old - 1) * 100
            return self.num.pct(change, 0 if change >= 10 else 1)
        low, high = (2, 45) if self.frame.direction != "-" else (2, 25)
        return self.num.pct(self.rng.uniform(low, high))

    def slot_mfrom(self):
        lo, hi = self.frame.margin_range
        for _ in range(50):
            old = round(self.rng.uniform(lo, hi), 1)
            step = self.rng.uniform(0.3, max(0.6, (hi - lo) / 5))
            sign = {"up": 1, "up2": 1, "down": -1, "down2": -1}.get(self.frame.direction, self.rng.choice([1, -1]))
            new = round(old + sign * step, 1)
            if new > 0 and new != old and (new <= 100 or hi > 100):
                break
        return {"mfrom": self.num.pct(old, 1), "mto": self.num.pct(new, 1), "pp": fmt_num(abs(new - old), 1)}

    slot_mto = slot_pp = slot_mfrom

    def _share_pair(self, low: float, high: float, keys: tuple[str, str]):
        base = self.rng.uniform(low, high)
        decimals = self.num.share_decimals(base)
        make = lambda eur: self.num.per_share(eur, decimals)  # noqa: E731
        old_t, _, new_t, _ = directed_pair(make, base, self.frame.direction, self.rng)
        return {keys[0]: old_t, keys[1]: new_t}

    def slot_eps_from(self):
        return self._share_pair(0.05, 4.5, ("eps_from", "eps_to"))

    slot_eps_to = slot_eps_from

    def slot_tp_from(self):
        return self._share_pair(3, 120, ("tp_from", "tp_to"))

    slot_tp_to = slot_tp_from

    def slot_div_from(self):
        return self._share_pair(0.05, 3.0, ("div_from", "div_to"))

    slot_div_to = slot_div_from

    def _rating_pair(self, key: str, names: tuple[str, str]):
        high, low = self.rng.choice(self.f[key])
        up = self.frame.direction.startswith("up") or (self.frame.direction == "-" and self.rng.random() < 0.5)
        return {names[0]: low if up else high, names[1]: high if up else low}

    def slot_rt_from(self):
        return self._rating_pair("broker_rating_pairs", ("rt_from", "rt_to"))

    slot_rt_to = slot_rt_from

    def slot_cr_from(self):
        moodys = "Moody's" in self.value("agency")
        return self._rating_pair("credit_rating_pairs_moodys" if moodys else "credit_rating_pairs", ("cr_from", "cr_to"))

    slot_cr_to = slot_cr_from

    def slot_rt_neutral(self):
        return self.rng.choice(self.f["neutral_ratings"])

    # single amounts
    def slot_amt(self):
        return self.num.money(self.num.base_amount())[0]

    def slot_amt2(self):
        return self.num.money(self.num.base_amount())[0]

    def slot_eps(self):
        return self.num.per_share(self.rng.uniform(0.05, 4.5))[0]

    def slot_div(self):
        return self.num.per_share(self.rng.uniform(0.05, 3.0))[0]

    def slot_px(self):
        return self.num.per_share(self.rng.uniform(2, 150))[0]

    def slot_bond_px(self):
        return str(self.rng.randint(35, 80))

    def slot_pct_small(self):
        return self.num.pct(self.rng.randint(2, 9), 0)

    def slot_share_pct(self):
        return self.num.pct(self.rng.randint(20, 90), 0)

    def slot_range(self):
        low = self.rng.randint(2, 8)
        high = low + self.rng.randint(2, 6)
        style = self.rng.choice(["{a}-{b}%", "{a}-{b} percent", "{a} to {b} percent", "{a}-{b} per cent"])
        return style.format(a=low, b=high)

    def slot_move(self):
        return self.num.pct(self.rng.uniform(1.2, 19.8), 1)

    def slot_hold(self):
        return self.num.pct(self.rng.uniform(5, 34.9), 1)

    def slot_hold_small(self):
        return self.num.pct(self.rng.uniform(0.1, 2.9), 2)

    def slot_flag(self):
        return self.rng.choice(["5%", "10%", "15%", "20%", "25%", "30%", "5 percent", "10 percent", "one-tenth", "one-twentieth"])

    # time
    def slot_year(self):
        return str(self.year)

    def slot_prev_year(self):
        return str(self.year - 1)

    def slot_next_year(self):
        return str(self.year + 1)

    def slot_year_future(self):
        return str(self.year + self.rng.randint(3, 6))

    def slot_period(self):
        return self.rng.choice(self.f["periods"]).format(y=self.year)

    def slot_period_end(self):
        return self.rng.choice(["the period", "the quarter", "the year", "the review period", "June {y}", "September {y}",
                                "December {y}", "March {y}", "the first half", "the financial year"]).format(y=self.year)

    def slot_fut_period(self):
        return self.rng.choice(["the first quarter of {n}", "the second half of {y}", "the fourth quarter of {y}",
                                "early {n}", "the coming months", "the first half of {n}"]).format(y=self.year, n=self.year + 1)

    def slot_cmp(self):
        return self.rng.choice(self.f["comparisons"])

    def slot_month(self):
        months = self.f["months"]
        first, second, third = sorted(self.pick("months", 3), key=months.index)
        return {"month": first, "month2": second, "month3": third}

    slot_month2 = slot_month3 = slot_month

    def slot_date(self):
        start = dt.date(self.year, self.rng.randint(1, 12), self.rng.randint(1, 28))
        end = start + dt.timedelta(days=self.rng.randint(7, 90))
        style = self.rng.choice(["{m} {d}, {y}", "{d} {m} {y}", "{m} {d}", "{d} {m}"])
        show = lambda day: style.format(m=day.strftime("%B"), d=day.day, y=day.year)  # noqa: E731
        return {"date": show(start), "date2": show(end)}

    slot_date2 = slot_date

    def slot_time(self):
        return self.rng.choice(["10:00 a.m. CET", "11.00 a.m. EET", "3 p.m. GMT", "9:30 a.m. ET", "13:00 Finnish time",
                                "10.00 CET", "2 p.m. local time", "8:00 a.m. Eastern Time", "14:00 Swedish time", "noon"])

    def slot_weekday(self):
        return self.rng.choice(["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"])

    def slot_founded(self):
        return str(self.rng.randint(1850, 2012))

    def slot_since(self):
        return str(self.rng.randint(1990, 2021))

    # people and institutions
    def slot_person(self):
        names = set()
        while len(names) < 2:
            names.add(f"{self.rng.choice(self.f['people_first'])} {self.rng.choice(self.f['people_last'])}")
        first, second = sorted(names)
        return {"person": first, "person2": second} if self.rng.random() < 0.5 else {"person": second, "person2": first}

    slot_person2 = slot_person

    def slot_role(self):
        return self.rng.choice(self.f["roles"])

    def slot_age(self):
        return str(self.rng.randint(38, 64))

    def slot_broker(self):
        return self.rng.choice(self.f["brokers"])

    def slot_agency(self):
        return self.rng.choice(self.f["agencies"])

    def slot_holder(self):
        return self.rng.choice(self.f["holders"])

    def slot_place(self):
        first, second, third = self.pick("places", 3)
        return {"place": first, "place2": second, "place3": third}

    slot_place2 = slot_place3 = slot_place

    # counts
    def slot_n(self):
        return NUMBER_WORDS[self.rng.randint(2, 9)]

    def slot_board_n(self):
        return NUMBER_WORDS[self.rng.randint(5, 9)]

    def slot_n2(self):
        return str(self.rng.randint(10, 60))

    def slot_n_k(self):
        return fmt_num(self.rng.randint(3, 250) * 1000, 0)

    def slot_jobs(self):
        return fmt_num(self.rng.choice([self.rng.randint(8, 95), self.rng.randrange(100, 1500, 10), self.rng.randrange(100, 800, 50)]), 0)

    def slot_staff(self):
        staff = self.rng.choice([self.rng.randint(40, 950), self.rng.randrange(1000, 48000, 10)])
        return {"staff": fmt_num(staff, 0), "staff2": fmt_num(round(staff * self.rng.uniform(0.1, 0.7), -1 if staff > 100 else 0), 0)}

    slot_staff2 = slot_staff

    def slot_shares(self):
        return fmt_num(self.rng.randrange(1_000_000, 450_000_000, 1000), 0)

    def slot_shares2(self):
        return fmt_num(self.rng.randrange(10_000, 3_000_000, 100), 0)

    slot_shares3 = slot_shares2

    def slot_days(self):
        return str(self.rng.choice([90, 180, 360]))

    def slot_weeks(self):
        return str(self.rng.randint(2, 12))

    def slot_nth(self):
        return self.rng.choice(["third", "fifth", "seventh", "tenth", "twelfth", "fifteenth", "twentieth"])

    def slot_ord(self):
        return self.rng.choice(["second", "third", "fourth", "fifth", "sixth", "eighth"])

    def slot_quarter_ord(self):
        return self.rng.choice(["first", "second", "third"])


def parse_shown(text: str) -> float:
    """The value (in millions) a money text shows, for percentages computed from a pair."""
    number = re.search(r"\d[\d,]*(?:\.\d+)?", text).group(0)
    value = float(number.replace(",", ""))
    return value * 1000 if re.search(r"bn|billion", text) else value


_ATTRIBUTIVE = re.compile(r"\b(million|billion) (euros|yen|zlotys|Swedish crowns|Norwegian crowns|Danish crowns|crowns|Swiss francs)"
                         r" (order|contract|tender|deal|agreement|bond|loan|framework|revolving|share|investment|acquisition)")
_SINGULAR = {"euros": "euro", "yen": "yen", "zlotys": "zloty", "Swedish crowns": "Swedish crown", "Norwegian crowns": "Norwegian crown",
             "Danish crowns": "Danish crown", "crowns": "crown", "Swiss francs": "Swiss franc"}


_VOWEL_ARTICLE = re.compile(r"\b([Aa]) (?=(?:[aeiouAEIO]|eight|eleven)\w*)(?!(?:one|once|uni|use|usu|eu|Eu|EU|US)\w*)")
_POSSESSIVE = re.compile(r"\b([A-Z][A-Za-z]*s)'s\b")


def tidy(text: str) -> str:
    return fix_grammar(text[:1].upper() + text[1:])


def fix_grammar(text: str) -> str:
    """'a 8% rise' -> 'an 8% rise'; 'the 40 million euros contract' -> 'the 40 million euro contract';
    'a accumulate rating' -> 'an accumulate rating'; "Foods's" -> "Foods'"."""
    text = _ATTRIBUTIVE.sub(lambda m: f"{m.group(1)} {_SINGULAR[m.group(2)]} {m.group(3)}", text)
    text = _VOWEL_ARTICLE.sub(lambda m: m.group(1) + "n ", text)
    text = _POSSESSIVE.sub(lambda m: m.group(1) + "'", text)
    return fix_articles(text)


def fix_articles(text: str) -> str:
    """'a 8% rise' -> 'an 8% rise', 'a 11-year' -> 'an 11-year'."""
    def repl(match: re.Match) -> str:
        digits = match.group(2).replace(",", "")
        whole = digits.split(".")[0]
        vowel = digits.startswith("8") or whole in ("11", "18") or (len(whole) in (5, 8) and whole[:2] in ("11", "18"))
        return f"{match.group(1)}{'n' if vowel else ''} {match.group(2)}"

    return re.sub(r"\b([Aa]) (\d[\d,.]*)", repl, text)


# ---------------------------------------------------------------- assembly

def eligible(companies: list[Company], frame: Frame) -> list[Company]:
    return [c for c in companies if set(frame.tags) <= c.tags]


def fill_frame(frame: Frame, companies: list[Company], fillers: dict, rng: random.Random, n: int) -> list[dict]:
    """Up to ``n`` distinct filled lines of one frame."""
    pool, lines, seen = eligible(companies, frame), [], set()
    if not pool:
        raise SystemExit(f"frame {frame.fid} fits no company: {frame.text!r}")
    for attempt in range(n * 3):
        main = rng.choice(pool)
        roles = {"A": main} if frame.fortunes else {"co": main}
        if frame.fortunes:
            rivals = [c for c in companies if c.industry == main.industry and c is not main]
            roles["B"] = rng.choice(rivals or [c for c in companies if c is not main])
        others = [c for c in companies if c not in roles.values()]
        text, first = Filler(fillers, frame, roles, others, rng).render()
        if text in seen:
            continue
        seen.add(text)
        line = {"text": text, "label": frame.label}
        role = ("A" if len(lines) % 2 == 0 else "B") if frame.fortunes else "co"
        if frame.fortunes or ("co" in first and rng.random() < SINGLE_TARGET_SHARE):
            offset, surface = first[role]
            if text.find(surface) != offset:
                continue  # the name also occurs earlier inside another word: skip rather than mislabel
            line.update(target=surface, target_label=frame.fortunes.get(role, frame.label))
        lines.append({**line, "_frame": frame.fid})
        if len(lines) == n:
            break
    return lines


def round_robin(groups: list[list[dict]], quota: int, taken: set[str]) -> list[dict]:
    """One line per frame per round until ``quota`` lines, skipping texts already taken."""
    chosen, cursor = [], [0] * len(groups)
    while len(chosen) < quota:
        progressed = False
        for i, group in enumerate(groups):
            while cursor[i] < len(group) and group[cursor[i]]["text"].lower() in taken:
                cursor[i] += 1
            if cursor[i] < len(group) and len(chosen) < quota:
                line = group[cursor[i]]
                cursor[i] += 1
                taken.add(line["text"].lower())
                chosen.append(line)
                progressed = True
        if not progressed:
            raise SystemExit(f"not enough distinct candidates for a quota of {quota}")
    return chosen


def build_dataset(frames: list[Frame], hand: list[dict], fillers: dict, seed: int = SEED) -> list[dict]:
    rng = random.Random(seed)
    companies = build_companies(fillers, rng)
    candidates = {f.fid: fill_frame(f, companies, fillers, rng, CANDIDATES_PER_FRAME) for f in frames}
    taken = {row["text"].lower() for row in hand}
    lines = [dict(row, _frame=-1) for row in hand]
    pair_frames = [f for f in frames if f.fortunes]
    order = lambda fs: sorted(fs, key=lambda f: rng.random())  # noqa: E731
    lines += round_robin([candidates[f.fid] for f in order(pair_frames)], PAIR_QUOTA, taken)
    have = Counter(line["label"] for line in lines)
    for label, quota in QUOTAS.items():
        single = [f for f in frames if f.label == label and not f.fortunes]
        lines += round_robin([candidates[f.fid] for f in order(single)], quota - have[label], taken)
    rng.shuffle(lines)
    return lines


def write_jsonl(lines: list[dict], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        for line in lines:
            row = {k: line[k] for k in ("text", "label", "target", "target_label") if k in line}
            out.write(json.dumps(row, ensure_ascii=False) + "\n")


def summarise(lines: list[dict], frames: list[Frame]) -> str:
    labels = Counter(line["label"] for line in lines)
    used = {line["_frame"] for line in lines if line["_frame"] >= 0}
    per_label = Counter(frames[i].label for i in used)
    hand = sum(1 for line in lines if line["_frame"] < 0)
    pairs = sum(1 for line in lines if "target" in line and (line["_frame"] < 0 or frames[line["_frame"]].fortunes))
    rows = [f"lines {len(lines)}: " + ", ".join(f"{k} {labels[k]} ({labels[k] / len(lines):.1%})" for k in QUOTAS),
            f"frames used {len(used)} of {len(frames)} (" + ", ".join(f"{k} {per_label[k]}" for k in QUOTAS) + f"; pair {sum(1 for i in used if frames[i].fortunes)})",
            f"hand-written lines {hand}; lines with a target {sum(1 for line in lines if 'target' in line)}; two-company target lines {pairs}",
            f"target labels: {dict(Counter(line['target_label'] for line in lines if 'target' in line))}"]
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=str(OUT))
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    fillers = yaml.safe_load((SRC / "fillers.yaml").read_text(encoding="utf-8"))
    frames = parse_frames((SRC / "frames.txt").read_text(encoding="utf-8"))
    hand = parse_handwritten((SRC / "handwritten.tsv").read_text(encoding="utf-8"))
    lines = build_dataset(frames, hand, fillers, args.seed)
    write_jsonl(lines, Path(args.out))
    print(summarise(lines, frames))
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
