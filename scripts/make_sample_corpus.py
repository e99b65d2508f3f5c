#!/usr/bin/env python3
"""Build the bundled sample news corpus in corpora/sample/ from the hand-written material in
corpora/sample_src/ (see its README for the template syntax).

Deterministic: every random choice comes from generators seeded with fixed values, so two runs
write byte-identical files.  Usage: python scripts/make_sample_corpus.py [--out DIR]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import sys
import uuid
import warnings
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr
from zoneinfo import ZoneInfo

import yaml

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "corpora" / "sample_src"
OUT = ROOT / "corpora" / "sample"
REL_OUT = "corpora/sample"
SEED = 20251001
NY = ZoneInfo("America/New_York")
PERIOD = (date(2025, 7, 1), date(2026, 1, 31))
THEMES = ["blue_collar_ai", "reshoring", "regulatory_risk", "ai_capex", "power_demand",
          "monetary_policy", "market_rotation", "capital_markets"]
WORDS = (40, 150)
SYNDICATION_SHARE = 0.05
UPDATED_ITEMS = {"narrative_wire": 2, "policy_watch": 1}
MENTION = re.compile(r"\x01([^\x02]*)\x02([^\x03]*)\x03")
SLOT = re.compile(r"\{([a-z_0-9]+)(?:\.([a-z_]+))?(?::([^{}]*))?\}")
BANK_LISTS = {"grid": "grids", "region": "regions", "country": "countries"}
INTRO_STYLES = [("name_tag", 28), ("short_tag", 14), ("tight_tag", 7), ("name", 20),
                ("short", 23), ("cash", 8)]


# ---------------------------------------------------------------- loading

def load_yaml(path: Path):
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C parser is ~20x faster
    return yaml.load(path.read_text(encoding="utf-8"), Loader=loader)


def load_sources(src: Path) -> dict:
    """All hand-written material, in a stable order."""
    return {
        "outlets": {o["id"]: o for o in load_yaml(src / "outlets.yaml")},
        "companies": {c["sym"]: c for c in load_yaml(src / "companies.yaml")},
        "banks": load_yaml(src / "banks.yaml"),
        "quotes": load_yaml(src / "quotes.yaml"),
        "prices": load_yaml(src / "prices.yaml"),
        "templates": [t for p in sorted((src / "templates").glob("*.yaml")) for t in load_yaml(p)],
        "events": [e for p in sorted((src / "events").glob("*.yaml")) for e in load_yaml(p)],
        "readme": (src / "README.template.md").read_text(encoding="utf-8"),
    }


# ---------------------------------------------------------------- stories

@dataclass
class Story:
    key: str
    published: datetime
    feed: str
    title: str
    paragraphs: list[str]
    themes: list[str]
    sentiment: str
    tickers: dict[str, str]
    also: list[str] = field(default_factory=list)


@dataclass
class Doc:
    """Everything one template instance needs while its text is written."""
    rng: random.Random
    src: dict
    usage: Counter
    tpl: dict
    when: datetime
    roles: dict[str, dict]
    role_sent: dict[str, str]
    vars: dict[str, str]
    tickers: dict[str, str] = field(default_factory=dict)
    introduced: set = field(default_factory=set)
    in_title: bool = False

    @property
    def theme(self) -> str:
        """The quote bank: a template's `topic`, else its first theme."""
        return self.tpl.get("topic") or self.tpl["themes"][0]


def pick_fresh(rng: random.Random, items: list, usage: Counter, scope: str):
    """The least-used item in this scope (ties broken at random), so banks rotate evenly."""
    low = min(usage[(scope, repr(i))] for i in items)
    choice = rng.choice([i for i in items if usage[(scope, repr(i))] == low])
    usage[(scope, repr(choice))] += 1
    return choice


def mark(sym: str, text: str) -> str:
    return f"\x01{sym}\x02{text}\x03"


def plain(text: str) -> str:
    return MENTION.sub(r"\2", text)


def possessive(name: str) -> str:
    if name.endswith("'s"):
        return name
    return name + ("'" if name.endswith("s") else "'s")


def intro_text(doc: Doc, c: dict) -> str:
    """The first mention of a company in a body, in one of several house styles."""
    style = doc.rng.choices([s for s, _ in INTRO_STYLES], [w for _, w in INTRO_STYLES])[0]
    ex, sym = c["ex"], c["sym"]
    return {
        "name_tag": f"{c['name']} ({ex}: {sym})",
        "short_tag": f"{c['short']} ({ex}: {sym})",
        "tight_tag": f"{c['short']} ({ex.upper().replace(' ', '')}:{sym})",
        "name": c["name"],
        "short": c["short"],
        "cash": f"{c['short']} (${sym})",
    }[style]


def register(doc: Doc, sym: str, sentiment: str) -> None:
    doc.tickers.setdefault(sym, sentiment)


def render_fact(doc: Doc, role: str, c: dict) -> str:
    facts = c.get("facts", {})
    pool = [f for t in doc.tpl["themes"] for f in facts.get(t, [])] or facts.get("general", [])
    if not pool:
        return ""
    fact = pick_fresh(doc.rng, pool, doc.usage, "fact")
    # "It" would dangle before the company is named, or be ambiguous next to another company
    named = role in doc.introduced and len(doc.roles) == 1 and doc.rng.random() < 0.5
    if fact.startswith(("It ", "Its ")) and not named:
        name = c["short"] if fact.startswith("It ") else possessive(c["short"])
        fact = mark(c["sym"], name) + fact[fact.index(" "):]
        doc.introduced.add(role)
    return fact


def render_role(doc: Doc, role: str, attr: str | None) -> str:
    c = doc.roles[role]
    text = role_text(doc, role, c, attr)
    if text and attr != "desc":
        register(doc, c["sym"], doc.role_sent[role])
    return text


def role_text(doc: Doc, role: str, c: dict, attr: str | None) -> str:
    if attr == "fact":
        return render_fact(doc, role, c)
    if attr == "desc":
        return doc.rng.choice(c["desc"])
    if attr is None and not doc.in_title and role not in doc.introduced:
        doc.introduced.add(role)
        return mark(c["sym"], intro_text(doc, c))
    text = {None: c["short"], "short": c["short"], "name": c["name"], "sym": c["sym"],
            "cash": "$" + c["sym"], "poss": possessive(c["short"]),
            "brand": doc.rng.choice(c.get("brands") or [c["short"]]),
            "tag": f"{c['short']} ({c['ex']}: {c['sym']})"}.get(attr) or c[attr]
    return mark(c["sym"], text)


def render_quote(doc: Doc, arg: str | None) -> str:
    parts = (arg or "").split(":") if arg else []
    theme = parts[0] if len(parts) == 2 else doc.theme
    sentiment = parts[-1] if parts else doc.tpl["sentiment"]
    banks = doc.src["banks"]
    q = pick_fresh(doc.rng, doc.src["quotes"][theme][sentiment], doc.usage, "quote")
    form = pick_fresh(doc.rng, banks["quote_forms"], doc.usage, "form")
    who, firm = firm_and_analyst(doc)
    role = doc.rng.choice(banks["roles"].get(theme, banks["roles"]["default"]))
    return form.format(q=q, who=who, role=role, firm=firm, weekday=doc.vars["weekday"])


def firm_and_analyst(doc: Doc) -> tuple[str, str]:
    banks = doc.src["banks"]
    firm = pick_fresh(doc.rng, banks["firms"], doc.usage, "firm")
    who = pick_fresh(doc.rng, banks["analysts"], doc.usage, "analyst")
    if firm.get("sym"):
        register(doc, firm["sym"], "neutral")
        return who, mark(firm["sym"], firm["name"])
    return who, firm["name"]


def bank_var(doc: Doc, name: str) -> str:
    """Place and company words, chosen once per story."""
    if name not in doc.vars:
        if name in ("private", "private_what"):
            p = pick_fresh(doc.rng, doc.src["banks"]["private_companies"], doc.usage, "private")
            doc.vars.update(private=p["name"], private_what=p["what"])
        elif name in ("city", "state"):
            city, state = pick_fresh(doc.rng, doc.src["banks"]["places"], doc.usage, "place").split(", ")
            doc.vars.update(city=city, state=state)
        elif name in BANK_LISTS:
            doc.vars[name] = doc.rng.choice(doc.src["banks"][BANK_LISTS[name]])
        else:
            raise ValueError(f"{doc.tpl['id']}: unknown slot {{{name}}}")
    return doc.vars[name]


def render_slot(doc: Doc, m: re.Match) -> str:
    name, attr, arg = m.groups()
    if name == "pick":
        return doc.rng.choice(arg.split("|"))
    if name == "quote":
        return render_quote(doc, arg)
    if name in ("analyst", "firm"):
        who, firm = firm_and_analyst(doc)
        return firm if name == "firm" else f"{who}, an analyst at {firm}"
    if name in doc.roles:
        return render_role(doc, name, attr)
    if name in doc.vars:
        return render_text(doc, doc.vars[name])
    return bank_var(doc, name)


def render_text(doc: Doc, text: str) -> str:
    return SLOT.sub(lambda m: render_slot(doc, m), text)


def format_number(name: str, value: float, decimals: int) -> str:
    if decimals:
        return f"{value:.{decimals}f}"
    if value >= 1000 and not name.endswith(("yr", "year")):
        return f"{value:,.0f}"
    return f"{value:.0f}"


def date_vars(when: datetime) -> dict[str, str]:
    prev = (when.replace(day=1) - timedelta(days=1))
    return {"weekday": when.strftime("%A"), "month": when.strftime("%B"),
            "prev_month": prev.strftime("%B"), "year": str(when.year)}


# ---------------------------------------------------------------- template instances

def listed_by(c: dict, day: date) -> bool:
    return not c.get("listed") or c["listed"] <= day


def pool_for(src: dict, spec) -> list[dict]:
    pool = spec["pool"] if isinstance(spec, dict) else spec
    if isinstance(pool, list):
        return [src["companies"][s] for s in dict.fromkeys(pool)]
    return [c for c in src["companies"].values() if pool in c["tags"]]


def cast_roles(src: dict, tpl: dict, window: dict, day: date, rng, usage) -> dict[str, dict]:
    """Companies for each role: distinct, already listed, rotating through the pool."""
    cast: dict[str, dict] = {}
    specs = {**tpl.get("roles", {}), **window.get("roles", {})}
    for role, spec in specs.items():
        taken = {c["sym"] for c in cast.values()}
        pool = [c for c in pool_for(src, spec) if listed_by(c, day) and c["sym"] not in taken]
        cast[role] = pick_fresh(rng, pool, usage, f"{tpl['id']}:{role}")
    return cast


def role_sentiments(tpl: dict, window: dict) -> dict[str, str]:
    specs = {**tpl.get("roles", {}), **window.get("roles", {})}
    return {r: (s.get("s") if isinstance(s, dict) else None) or tpl["sentiment"]
            for r, s in specs.items()}


def pick_moment(rng: random.Random, window: dict, sessions: list[date]) -> datetime:
    """A publication time on a trading day inside the window (stories talk about the market's
    day), New York time."""
    start, end = window["start"], window["end"]
    days = [d for d in sessions if start <= d <= end]
    day = rng.choice(days) if days else start + timedelta(days=rng.randrange((end - start).days + 1))
    clock = time(rng.randint(6, 20), rng.randrange(60), rng.randrange(60))
    return datetime.combine(day, clock, NY)


def windows_of(tpl: dict) -> list[dict]:
    return tpl.get("windows") or [{"start": PERIOD[0], "end": PERIOD[1]}]


def render_body(doc: Doc) -> list[str]:
    sentences = []
    for entry in doc.tpl["body"]:
        text = doc.rng.choice(entry) if isinstance(entry, list) else entry
        text = render_text(doc, text) if text else ""
        if text:
            sentences.append(text)
    return split_paragraphs(doc.rng, sentences)


def split_paragraphs(rng: random.Random, sentences: list[str]) -> list[str]:
    paragraphs, i = [], 0
    while i < len(sentences):
        n = rng.choice([1, 2, 2, 3])
        paragraphs.append(" ".join(sentences[i:i + n]))
        i += n
    return paragraphs


def choose_vars(rng: random.Random, tpl: dict) -> dict[str, str]:
    """Per-story choices that title and body must agree on: a string option sets {name},
    a mapping option sets {name_key} for each of its keys."""
    words = {}
    for name, options in tpl.get("choose", {}).items():
        option = rng.choice(options)
        if isinstance(option, dict):
            words.update({f"{name}_{k}": str(v) for k, v in option.items()})
        else:
            words[name] = str(option)
    return words


def build_instance(src: dict, tpl: dict, i: int, usage: Counter, sessions: list[date]) -> Story:
    rng = random.Random(f"{SEED}:{tpl['id']}:{i}")
    windows = windows_of(tpl)
    window = windows[i % len(windows)]
    when = pick_moment(rng, window, sessions)
    nums = {k: format_number(k, rng.uniform(lo, hi), d) for k, (lo, hi, d) in tpl.get("nums", {}).items()}
    words = {**date_vars(when), **window.get("vars", {}), **nums, **choose_vars(rng, tpl)}
    doc = Doc(rng, src, usage, tpl, when, cast_roles(src, tpl, window, when.date(), rng, usage),
              role_sentiments(tpl, window), words)
    paragraphs = render_body(doc)
    doc.in_title = True
    title = render_text(doc, pick_fresh(rng, tpl["titles"], usage, f"title:{tpl['id']}"))
    return Story(f"tpl:{tpl['id']}:{i}", when, rng.choice(tpl["feeds"]), plain(title), paragraphs,
                 list(tpl["themes"]), tpl["sentiment"], doc.tickers,
                 syndicate(rng, tpl["feeds"]))


def syndicate(rng: random.Random, feeds: list[str]) -> list[str]:
    if len(feeds) < 2 or rng.random() >= SYNDICATION_SHARE:
        return []
    return [rng.choice(feeds)]


def build_template_stories(src: dict, sessions: list[date]) -> list[Story]:
    usage: Counter = Counter()
    stories = [build_instance(src, t, i, usage, sessions)
               for t in src["templates"] for i in range(t["count"])]
    for s in stories:
        s.also = [f for f in s.also if f != s.feed]
    return stories


def build_event_story(e: dict) -> Story:
    when = datetime.strptime(str(e["date"]), "%Y-%m-%d %H:%M").replace(tzinfo=NY)
    paragraphs = [" ".join(p.split()) for p in e["body"].strip().split("\n\n")]
    return Story(f"evt:{slugify(e['title'])}", when, e["feed"], e["title"], paragraphs, list(e["themes"]),
                 e["sentiment"], dict(e.get("tickers") or {}), list(e.get("also", [])))


def build_stories(src: dict, sessions: list[date]) -> list[Story]:
    events = [build_event_story(e) for e in src["events"]]
    stories = build_template_stories(src, sessions) + events
    for s in stories:
        check_story(s)
    return sorted(stories, key=lambda s: (s.published, s.key))


def check_story(s: Story) -> None:
    words = len(plain(" ".join(s.paragraphs)).split())
    if not WORDS[0] <= words <= WORDS[1]:
        raise ValueError(f"{s.key}: {words} words, outside {WORDS}")
    if not PERIOD[0] <= s.published.date() <= PERIOD[1]:
        raise ValueError(f"{s.key}: dated {s.published} outside the sample period")


# ---------------------------------------------------------------- placement in feeds

def slugify(title: str) -> str:
    words = re.sub(r"[^a-z0-9 ]+", "", title.lower().replace("&", "and").replace("-", " ")).split()
    return "-".join(words[:9])


def story_number(s: Story) -> int:
    return 1_000_000 + int(hashlib.sha1(s.key.encode()).hexdigest()[:8], 16) % 9_000_000


def canonical_urls(stories: list[Story], outlets: dict) -> dict[str, str]:
    """One canonical URL per story in its outlet's pattern; repeated headlines get -2, -3 ..."""
    urls, used = {}, Counter()
    for s in stories:
        d, base = s.published, slugify(s.title)
        used[(s.feed, base)] += 1
        n = used[(s.feed, base)]
        slug = base if n == 1 else f"{base}-{n}"
        urls[s.key] = outlets[s.feed]["url"].format(y=d.year, m=f"{d.month:02d}", d=f"{d.day:02d}",
                                                    slug=slug, num=story_number(s))
    return urls


@dataclass
class Placement:
    story: Story
    feed: str
    url: str
    link: str
    title: str
    published: datetime | None
    updated: datetime | None
    origin: str


def feed_link(outlet: dict, url: str, rng: random.Random) -> str:
    if outlet.get("utm") and rng.random() < outlet.get("utm_share", 0):
        return f"{url}?{outlet['utm']}"
    return url


def syndicated_link(url: str, origin: str) -> str:
    return f"{url}?utm_source={origin}&utm_medium=syndication&utm_campaign=partner_feed"


def place_stories(stories: list[Story], src: dict, urls: dict) -> list[Placement]:
    rng = random.Random(f"{SEED}:placement")
    outlets, placed = src["outlets"], []
    for s in stories:
        url = urls[s.key]
        placed.append(Placement(s, s.feed, url, feed_link(outlets[s.feed], url, rng), s.title,
                                s.published, s.published, s.feed))
        for other in s.also:
            later = s.published + timedelta(minutes=rng.randint(20, 240))
            placed.append(Placement(s, other, url, syndicated_link(url, s.feed), s.title,
                                    later, later, s.feed))
    drop_dates(placed, outlets, rng)
    return placed + updated_copies(placed, outlets, rng)


def drop_dates(placed: list[Placement], outlets: dict, rng: random.Random) -> None:
    """A few items in some outlets carry no date at all, as real feeds sometimes do."""
    for feed, outlet in outlets.items():
        own = [p for p in placed if p.feed == feed and not p.story.also and p.origin == feed]
        for p in rng.sample(own, outlet.get("undated", 0)):
            p.published = p.updated = None


def updated_copies(placed: list[Placement], outlets: dict, rng: random.Random) -> list[Placement]:
    """Stories that appear twice in one feed: the first version, then a retitled update.
    RSS shows the update with a later pubDate; Atom keeps <published> and moves <updated>."""
    copies = []
    for feed, n in UPDATED_ITEMS.items():
        own = [p for p in placed if p.feed == feed and p.origin == feed and p.story.tickers
               and not p.story.also and p.published]
        for p in rng.sample(own, n):
            later = p.published + timedelta(minutes=rng.randint(45, 180))
            rss = outlets[feed]["format"] == "rss"
            title = f"UPDATE 1-{p.title}" if rss else f"{p.title} (updated)"
            copies.append(Placement(p.story, feed, p.url, p.link, title,
                                    later if rss else p.published, later, feed))
    return copies


# ---------------------------------------------------------------- feed XML

def guid_for(p: Placement, outlet: dict) -> tuple[str, str | None]:
    """(guid text, isPermaLink attribute or None) in the outlet's style."""
    num, style = story_number(p.story), outlet["guid"]
    if style == "permalink":
        return p.url, "true"
    if style == "plain":
        return p.url, None
    if style == "number":
        return str(num), "false"
    if style == "prefixed":
        return f"{outlet['guid_prefix']}{num}", "false"
    if style == "tag":
        return f"tag:{outlet['tag_authority']},{p.story.published.year}:article/{num}", None
    return uuid.uuid5(uuid.NAMESPACE_URL, p.url).urn, None


def format_date(dt: datetime, outlet: dict) -> str:
    local = dt.astimezone(ZoneInfo(outlet["tz"]))
    style = outlet["date_style"]
    if style == "gmt":
        return format_datetime(dt.astimezone(timezone.utc), usegmt=True)
    if style == "zulu":
        return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    if style == "iso_offset":
        return local.isoformat(timespec="seconds")
    return format_datetime(local)


def description_html(p: Placement, outlet: dict, outlets: dict) -> str:
    seen: set[str] = set()
    paragraphs = [link_mentions(t, outlet, seen) for t in p.story.paragraphs]
    html = "".join(f"<p>{t}</p>" for t in paragraphs)
    if p.origin != p.feed:
        html += f"<p>This story was first published by {escape(outlets[p.origin]['title'])}.</p>"
    elif outlet.get("read_more"):
        html += f'<p><a href="{escape(p.url)}">{outlet["read_more"]}</a></p>'
    return html


def link_mentions(text: str, outlet: dict, seen: set[str]) -> str:
    """Escape a paragraph; in linking outlets, the first mention of a company becomes a link."""
    parts = MENTION.split(text)
    out = [escape(parts[0])]
    for sym, shown, rest in zip(parts[1::3], parts[2::3], parts[3::3]):
        out += [company_anchor(sym, shown, outlet, seen), escape(rest)]
    return "".join(out)


def company_anchor(sym: str, shown: str, outlet: dict, seen: set[str]) -> str:
    if "company_link" not in outlet or sym in seen:
        return escape(shown)
    seen.add(sym)
    href = outlet["company_link"].format(sym=sym.lower().replace(".", "-"))
    return f'<a href="{href}">{escape(shown)}</a>'


def reporter(p: Placement, outlet: dict) -> str:
    return outlet["reporters"][story_number(p.story) % len(outlet["reporters"])]


def section(p: Placement, outlet: dict) -> str:
    themes = p.story.themes or ["default"]
    return outlet["sections"].get(themes[0], outlet["sections"]["default"])


def sort_key(p: Placement):
    moment = p.published or p.story.published
    return (-moment.timestamp(), p.url, p.title)


def build_rss_item(p: Placement, outlet: dict, outlets: dict) -> str:
    guid, perma = guid_for(p, outlet)
    attr = f' isPermaLink="{perma}"' if perma else ""
    html = description_html(p, outlet, outlets)
    desc = f"<![CDATA[{html}]]>" if outlet["html"] == "cdata" else escape(html)
    lines = ["    <item>", f"      <title>{escape(p.title)}</title>",
             f"      <link>{escape(p.link)}</link>", f"      <guid{attr}>{escape(guid)}</guid>"]
    if p.published:
        lines.append(f"      <pubDate>{format_date(p.published, outlet)}</pubDate>")
    lines += [f"      <dc:creator>{escape(reporter(p, outlet))}</dc:creator>",
              f"      <category>{escape(section(p, outlet))}</category>",
              f"      <description>{desc}</description>", "    </item>"]
    return "\n".join(lines)


def build_rss(outlet: dict, items: list[Placement], outlets: dict) -> str:
    newest = max(p.published for p in items if p.published)
    head = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/">',
        "  <channel>",
        f"    <title>{escape(outlet['title'])}</title>",
        f"    <link>{outlet['site']}</link>",
        f'    <atom:link href="{outlet["site"]}rss.xml" rel="self" type="application/rss+xml"/>',
        f"    <description>{escape(outlet['description'])}</description>",
        f"    <language>{outlet['language']}</language>",
        f"    <copyright>{escape(outlet['copyright'])}</copyright>",
        f"    <lastBuildDate>{format_date(newest, outlet)}</lastBuildDate>",
        "    <generator>narrative sample corpus generator</generator>",
        "    <ttl>30</ttl>",
    ]
    body = [build_rss_item(p, outlet, outlets) for p in sorted(items, key=sort_key)]
    return "\n".join(head + body + ["  </channel>", "</rss>", ""])


def build_atom_entry(p: Placement, outlet: dict, outlets: dict) -> str:
    guid, _ = guid_for(p, outlet)
    html = description_html(p, outlet, outlets)
    lines = ["  <entry>", f"    <title>{escape(p.title)}</title>",
             f'    <link rel="alternate" type="text/html" href={quoteattr(p.link)}/>',
             f"    <id>{escape(guid)}</id>"]
    if p.published:
        lines += [f"    <published>{format_date(p.published, outlet)}</published>",
                  f"    <updated>{format_date(p.updated, outlet)}</updated>"]
    lines += [f"    <author><name>{escape(reporter(p, outlet))}</name></author>",
              f"    <category term={quoteattr(section(p, outlet))}/>",
              f'    <summary type="html">{escape(html)}</summary>', "  </entry>"]
    return "\n".join(lines)


def build_atom(outlet: dict, items: list[Placement], outlets: dict) -> str:
    newest = max(p.updated for p in items if p.updated)
    head = [
        '<?xml version="1.0" encoding="utf-8"?>',
        f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="{outlet["language"]}">',
        f"  <title>{escape(outlet['title'])}</title>",
        f"  <subtitle>{escape(outlet['subtitle'])}</subtitle>",
        f'  <link rel="alternate" type="text/html" href="{outlet["site"]}"/>',
        f'  <link rel="self" type="application/atom+xml" href="{outlet["self"]}"/>',
        f"  <id>{outlet['site']}</id>",
        f"  <updated>{format_date(newest, outlet)}</updated>",
        f"  <rights>{escape(outlet['rights'])}</rights>",
        "  <generator>narrative sample corpus generator</generator>",
    ]
    body = [build_atom_entry(p, outlet, outlets) for p in sorted(items, key=sort_key)]
    return "\n".join(head + body + ["</feed>", ""])


def build_feed_files(placed: list[Placement], outlets: dict) -> dict[str, str]:
    files = {}
    for feed, outlet in outlets.items():
        items = [p for p in placed if p.feed == feed]
        build = build_rss if outlet["format"] == "rss" else build_atom
        files[outlet["file"]] = build(outlet, items, outlets)
    return files


# ---------------------------------------------------------------- feed lists and manifest

def build_feeds_yaml(outlets: dict) -> str:
    lines = ["# The bundled sample feeds: fictional outlets, stories written for this project.",
             "# Paths are relative to the repository root."]
    for o in outlets.values():
        lines += [f"- url: {REL_OUT}/{o['file']}", f"  title: {o['title']}", f"  site: {o['site']}"]
    return "\n".join(lines) + "\n"


def build_opml(outlets: dict) -> str:
    rows = [f'    <outline type="{o["format"]}" text={quoteattr(o["title"])} '
            f'title={quoteattr(o["title"])} xmlUrl="{REL_OUT}/{o["file"]}" htmlUrl="{o["site"]}"/>'
            for o in outlets.values()]
    return "\n".join([
        '<?xml version="1.0" encoding="UTF-8"?>', '<opml version="2.0">', "  <head>",
        "    <title>narrative bundled sample feeds</title>",
        "    <dateCreated>Sat, 31 Jan 2026 23:00:00 GMT</dateCreated>", "  </head>", "  <body>",
        '   <outline text="Sample (fictional outlets)" title="Sample (fictional outlets)">',
        *rows, "   </outline>", "  </body>", "</opml>", ""])


def utc_iso(dt: datetime | None) -> str | None:
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") if dt else None


def build_manifest(placed: list[Placement], outlets: dict) -> list[dict]:
    """One row per canonical URL: the original placement's guid and date, the latest title."""
    own = [p for p in placed if p.origin == p.feed]
    latest = {p.url: p.title for p in sorted(own, key=lambda p: p.updated or p.story.published)}
    rows = {}
    for p in sorted(own, key=lambda p: p.updated or p.story.published):
        if p.url not in rows:
            rows[p.url] = manifest_row(p, outlets, latest[p.url])
    return sorted(rows.values(), key=lambda r: (r["published"] or "9999", r["url"]))


def manifest_row(p: Placement, outlets: dict, title: str) -> dict:
    s = p.story
    return {
        "url": p.url, "guid": guid_for(p, outlets[p.feed])[0], "feed": p.feed,
        "published": utc_iso(p.published), "title": title,
        "themes": [t for t in THEMES if t in s.themes], "tickers": sorted(s.tickers),
        "sentiment": s.sentiment, "ticker_sentiment": dict(sorted(s.tickers.items())),
        "also_in": sorted(set(s.also)),
    }


def manifest_jsonl(rows: list[dict]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False, sort_keys=False) + "\n" for r in rows)


# ---------------------------------------------------------------- synthetic prices

def trading_sessions(cfg: dict) -> list[date]:
    import exchange_calendars as xcals  # imported here: slow, and only the dates need it

    with warnings.catch_warnings():  # a pandas deprecation inside exchange_calendars
        warnings.simplefilter("ignore")
        cal = xcals.get_calendar("XNYS", start="2025-01-02", end="2026-12-31")
        days = [d.date() for d in cal.sessions_in_range(str(cfg["start"]), "2026-12-31")]
    inside = [d for d in days if d <= cfg["end"]]
    return inside + [d for d in days if d > cfg["end"]][: cfg["sessions_after"]]


def news_session(published: datetime, sessions: list[date]) -> date | None:
    """The first session whose close comes after the story."""
    local = published.astimezone(NY)
    cutoff = local.date() if local.time() < time(16, 0) else local.date() + timedelta(days=1)
    return next((d for d in sessions if d >= cutoff), None)


def compute_news_shocks(stories: list[Story], sessions: list[date], cfg: dict) -> dict:
    shocks: dict[tuple[str, date], float] = {}
    counts: Counter = Counter()
    cap = cfg["news_cap_bp"] / 1e4
    for s in stories:
        day = news_session(s.published, sessions)
        for sym, sentiment in s.tickers.items():
            key = (sym, day)
            shocks[key] = max(-cap, min(cap, shocks.get(key, 0.0) + cfg["news_bp"][sentiment] / 1e4))
            counts[key] += 1
    return {"shock": shocks, "count": counts}


def compute_drift(group: str, day: date, cfg: dict) -> float:
    return sum(r["drift_bp"] for r in cfg["regimes"]
               if group in r["groups"] and r["start"] <= day <= r["end"]) / 1e4


def compute_market(sessions: list[date], cfg: dict) -> list[float]:
    rng = random.Random(f"{cfg['seed']}:market")
    m = cfg["market"]
    return [m["drift_bp"] / 1e4 + rng.gauss(0, m["vol_bp"] / 1e4) for _ in sessions]


def price_rows(c: dict, sessions: list[date], market: list[float], news: dict, cfg: dict) -> list[str]:
    rng = random.Random(f"{cfg['seed']}:{c['sym']}")
    g = cfg["groups"][c["group"]]
    price, rows = float(c["px"]), []
    for day, r_m in zip(sessions, market):
        if not listed_by(c, day):
            continue
        key = (c["sym"], day)
        step = g["beta"] * r_m + compute_drift(c["group"], day, cfg) + rng.gauss(0, g["vol_bp"] / 1e4)
        price *= 2.718281828459045 ** (step + news["shock"].get(key, 0.0))
        volume = c["vol"] * 1e6 * rng.lognormvariate(0, 0.25) * (1 + 0.6 * news["count"][key])
        rows.append(f"{day.isoformat()},{c['sym']},{price:.2f},{round(volume, -2):.0f}")
    return rows


def build_prices(stories: list[Story], src: dict, symbols: list[str], sessions: list[date]) -> str:
    cfg = src["prices"]
    market = compute_market(sessions, cfg)
    news = compute_news_shocks(stories, sessions, cfg)
    rows = [r for sym in symbols for r in price_rows(src["companies"][sym], sessions, market, news, cfg)]
    rows.sort(key=lambda r: (r[:10], r.split(",")[1]))
    return "date,symbol,close,volume\n" + "\n".join(rows) + "\n"


# ---------------------------------------------------------------- README

def markdown_table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(str(c) for c in r) + " |" for r in rows])


def build_readme(template: str, manifest: list[dict], placed: list[Placement], outlets: dict,
                 prices: str) -> str:
    per_feed = Counter(p.feed for p in placed)
    unique = Counter(r["feed"] for r in manifest)
    themes = Counter(t for r in manifest for t in (r["themes"] or ["(none)"]))
    tickers = Counter(t for r in manifest for t in r["tickers"])
    dates = sorted(r["published"][:10] for r in manifest if r["published"])
    price_dates = sorted({line[:10] for line in prices.splitlines()[1:]})
    values = {
        "n_items": len(manifest), "n_tickers": len(tickers), "first": dates[0], "last": dates[-1],
        "n_undated": sum(1 for r in manifest if not r["published"]),
        "n_syndicated": sum(1 for r in manifest if r["also_in"]),
        "n_updated": len(placed) - len(manifest) - sum(len(r["also_in"]) for r in manifest),
        "n_price_rows": len(prices.splitlines()) - 1, "price_first": price_dates[0],
        "price_last": price_dates[-1], "n_sessions": len(price_dates),
        "feeds_table": markdown_table(["file", "outlet", "format", "items in file", "stories first published there"],
                                      [[o["file"], o["title"], o["format"].upper(), per_feed[f], unique[f]]
                                       for f, o in outlets.items()]),
        "themes_table": markdown_table(["theme", "stories"], [[t, themes[t]] for t in THEMES + ["(none)"]]),
        "tickers_list": ", ".join(f"{s} ({n})" for s, n in sorted(tickers.items(), key=lambda x: (-x[1], x[0]))[:25]),
        "sentiment": ", ".join(f"{k} {v}" for k, v in sorted(Counter(r["sentiment"] for r in manifest).items())),
    }
    return re.sub(r"\{\{(\w+)\}\}", lambda m: str(values[m.group(1)]), template)


# ---------------------------------------------------------------- shell

def build_all(src: dict) -> dict[str, str]:
    """Every output file (name -> text) from the source material."""
    sessions = trading_sessions(src["prices"])
    stories = build_stories(src, sessions)
    placed = place_stories(stories, src, canonical_urls(stories, src["outlets"]))
    manifest = build_manifest(placed, src["outlets"])
    symbols = sorted({t for r in manifest for t in r["tickers"]} | {src["prices"]["market"]["symbol"]})
    prices = build_prices(stories, src, symbols, sessions)
    files = build_feed_files(placed, src["outlets"])
    files.update({"feeds.yaml": build_feeds_yaml(src["outlets"]), "feeds.opml": build_opml(src["outlets"]),
                  "manifest.jsonl": manifest_jsonl(manifest), "prices.csv": prices,
                  "README.md": build_readme(src["readme"], manifest, placed, src["outlets"], prices)})
    return files


def save_files(out: Path, files: dict[str, str]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (out / name).write_text(text, encoding="utf-8", newline="\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help="output folder (default corpora/sample)")
    parser.add_argument("--src", type=Path, default=SRC, help="source material folder")
    args = parser.parse_args(argv)
    files = build_all(load_sources(args.src))
    save_files(args.out, files)
    n_items = files["manifest.jsonl"].count("\n")
    print(f"wrote {len(files)} files to {args.out}: {n_items} stories, "
          f"{files['prices.csv'].count(chr(10)) - 1} price rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
