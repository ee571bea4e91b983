"""Boilerplate rules: page furniture, captions, comment sections, crawl notes and tweet embeds.

The rules are general (vocabularies and scores), never lists of known lines.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

# --------------------------------------------------------------------------- boilerplate

_UI_WORDS = frozenset(
    """share shares tweet print email e-mail mail advertisement advertisements advert ad ads
    sponsored promoted related read more sign up subscribe subscription newsletter newsletters
    login log register skip navigation menu cookie cookies accept close search facebook twitter
    whatsapp linkedin pinterest reddit telegram messenger instagram youtube flipboard copy link
    comments comment reply required loading follow home top back next previous prev gallery photos
    video videos listen audio a+ a- font size text save bookmark download app trending popular
    latest continue reading click view watch image copyright caption toggle expand collapse show
    hide rights reserved""".split()
)
_UI_FILLER = frozenset(
    "on this the to for our us your and or via with now here page post of at free please in out "
    "full all see also a article story stories articles below above".split()
)
_UI_FULL = re.compile(
    r"skip to .{1,40}|\d+ comments?|comments? \(\d+\)"
    r"|(?:view|show|hide|load) (?:all )?(?:\d+ )?comments?"
    r"|(?:post|leave|add|write|submit) a (?:comment|reply)|leave a reply|cancel reply"
    r"|join the (?:discussion|conversation)"
    r"|please enter your (?:comment|name|email(?: address)?)(?: here)?!?"
    r"|you have entered an incorrect email address!?"
    r"|(?:name|email|website|comment) ?\*|save my name, email, and website .*|notify me of .*"
    r"|your email address will not be published.*|loading ?(?:\.{3}|…)?|please wait ?(?:\.{3}|…)?"
    r"|image (?:copyright|caption|source)\b.*|follow us\b.*"
    r"|follow .{1,40} on (?:twitter|facebook|instagram)\b.*"
    r"|click (?:here|image|the image|to|on) .{0,60}|(?:story|article) continues below"
    r"|story continued below"
    r"|continue reading.*|advertisement ?[-–—:]? ?(?:story continues below|continue reading below)?"
    r"|scroll (?:down|to continue).*|tweet with a location|watch the video(?: below)?:?"
    r"|all rights reserved\.?"
    r"|(?:sign up|subscribe|register|log in|sign in)\b.*|(?:©|\(c\)|copyright ?(?:©|\(c\)|\d{4})).*"
    r"|.*\bhave a tip\b.*@.*"
    r"|\(?(?:(?:additional )?reporting|editing|writing|compiled|edited) by .*\)?"
    r"|.{1,60} contributed (?:to )?this report\.?"
    r"|(?:we use )?cookies? .*(?:accept|consent|policy|browsing|experience|continuing).*"
)
_LINK_PREFIX = re.compile(
    r"\(?\s*(?:related(?: articles?| stories| content| coverage| news)?|read more(?: about)?"
    r"|read also|also read"
    r"|see also|also on [\w .]{1,20}|more(?: on this story| from [\w .]{1,30})|watch|videos?"
    r"|photos?|gallery"
    r"|listen|recommended|read next|previous|up next|you may also like|don't miss|more coverage"
    r"|read or share this story)\s*[:|›»>]\s*\S.*",
    re.I,
)
_BLOCK_HEADER = re.compile(
    r"(?:related(?: articles| stories| content| coverage| links)?"
    r"|more(?: stories| from [\w .]{1,30}| on this story)"
    r"|also|read more|you may also like|most (?:read|popular|viewed)|trending(?: now)?"
    r"|recommended(?: for you)?"
    r"|further reading|top stories|latest news|read next|what to read next)\s*:?",
    re.I,
)
_COMMENT_HEADER = re.compile(
    r"(?:\d+ )?(?:comments?|responses?|replies)(?: \(\d+\))?"
    r"|(?:post|leave|add|write) a (?:comment|reply)"
    r"|leave a reply|join the (?:discussion|conversation)|reader comments|discussion"
    r"|what do you think\??",
    re.I,
)
_AGENCY = (
    r"AFP|Reuters|AP|Associated Press|Getty(?: Images)?|EPA(?:-EFE)?|EFE|Xinhua|Anadolu(?: Agency)?"
    r"|dpa|DPA"
    r"|PA(?: Images| Wire| Media)?|Shutterstock|Sputnik|TASS|ANSA|Bloomberg|IRNA|SANA|UPI|WENN"
    r"|Alamy|iStock"
    r"|NurPhoto|ZUMA(?: Press| Wire)?|Rex(?: Features)?|AAP|Yonhap|Kyodo|Belga|Pool|File"
)
_CAPTION_TAIL = re.compile(
    r"\(\s*(?:(?i:photo|image|picture|photograph|pic|credit|file photo"
    r"|video)(?i:\s+credit)?\s*[:/]\s*[^()]{1,80}"
    r"\)(?:\s+[A-Z][a-z]+){0,3}|(?:"
    + _AGENCY
    + r")(?:\s*(?i:photos?|images?|pictures?))?(?:\s*[/|,;]\s*[^()]{0,60})?\))"
    r"\s*\.?\s*$"
)
_CAPTION_HEAD = re.compile(
    r"(?:photo|image|picture|photograph|pictured|file photo|caption|photo credit"
    r"|image credit)\s*:\s*\S",
    re.I,
)
_TWEET_SIGNATURE = re.compile(
    r"[—–-]\s*[^()\n]{1,60}\(@\w{1,15}\)\s+(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?\s+\d{1,2},\s+\d{4}\s*$"
)
_PIC_TWITTER = re.compile(r"\s*\bpic\.twitter\.com/\w+")
_COMMENT_TERM = re.compile(r"\bcomment(?:s|ing|ers?)?\b|\brepl(?:y|ies)\b", re.I)
_MOD_TERMS = re.compile(
    r"\b(?:moderat|guideline|approv|reject|publication|publish|toleran?t|communit|\bedited\b"
    r"|email address"
    r"|required field|terms of (?:use|service)|house rules|relevant|respectful|disqus|civil)",
    re.I,
)
_ABUSE_TERMS = re.compile(
    r"\b(?:profanit|threat|personal attack|vulgar|abus|sexis|racis|homophob|xenophob|obscen|harass"
    r"|spam|promotion"
    r"|defamat|libel|offensive)",
    re.I,
)
_ADDRESSING = re.compile(r"\b(?:we|our|you|your)\b", re.I)  # site policy speaks to the reader
_WEBNOISE_STRONG = re.compile(
    r"\b(?:crawl(?:s|ed|er|ing)?\b|internet archive|wayback machine|archive pages|archived pages"
    r"|alexa internet"
    r"|embargo period|outward links|page captures|slash pages|linked-to domain|inter-? ?domain"
    r"|incoming links"
    r"|your tweets|tweet location|location information|add this tweet|embed this tweet"
    r"|twitter may be over capacity)",
    re.I,
)
_WEBNOISE_WEAK = re.compile(
    r"\b(?:urls?\b|\bdomain\b|\branked\b|wikipedia|learn more|javascript|your browser"
    r"|third-party applications"
    r"|enable cookies|try again)",
    re.I,
)
_WEBNOISE_SIGNATURE = re.compile(r"seed for wide\d+|these crawls are part of", re.I)
_WORD = re.compile(r"[\w'’+-]+")


@functools.lru_cache(maxsize=1024)  # each line is asked about by several rules in a row
def word_count(line: str) -> int:
    return len(_WORD.findall(line))


_UI_BULLETS = re.compile(r"^[\s>•|*·»›\-–—]+")
_SPACE_RUN = re.compile(r"\s+")


def _ui_norm(line: str) -> str:
    line = _UI_BULLETS.sub("", line)
    return _SPACE_RUN.sub(" ", line.strip().rstrip(":|")).lower()


def is_ui_line(line: str) -> bool:
    """A short navigation / sharing / subscription / comment-form / credit line."""
    words = word_count(line)
    if words == 0:
        return bool(line.strip()) and not re.search(r"\w", line)  # lone punctuation, bullets
    norm = _ui_norm(line)
    if words <= 12 and _UI_FULL.fullmatch(norm):
        return True
    if words <= 30 and _LINK_PREFIX.fullmatch(line.strip()):
        return True
    if words <= 8:
        tokens = [t.strip("'’") for t in re.findall(r"[a-z0-9+'’-]+", norm)]
        if tokens and all(t in _UI_WORDS or t in _UI_FILLER for t in tokens):
            return any(t in _UI_WORDS for t in tokens)
    return False


_ATTRIBUTION = re.compile(r"\b(?:said|says|told|according to)\b|[\"“”]")


def is_caption(line: str) -> bool:
    """A photo caption: starts 'Photo:' or ends with an agency/photo credit in parentheses.

    A line ending in a credit that quotes someone or says 'said' is a wire story's
    paragraph with its agency tag, not a caption, and is kept.
    """
    if _CAPTION_HEAD.match(line):
        return True
    return bool(_CAPTION_TAIL.search(line)) and not _ATTRIBUTION.search(line)


def moderation_score(line: str) -> tuple[bool, int]:
    """(mentions comments, number of distinct moderation-policy and abuse terms)."""
    terms = {m.group().lower()[:6] for m in _MOD_TERMS.finditer(line)}
    terms |= {m.group().lower()[:6] for m in _ABUSE_TERMS.finditer(line)}
    return bool(_COMMENT_TERM.search(line)), len(terms)


def is_moderation(line: str) -> bool:
    """Comment-policy text addressed to the reader ('we', 'your'...): comments plus two
    policy terms (moderate, guidelines, approved...), or a list of four kinds of abuse.
    """
    if not _ADDRESSING.search(line):
        return False
    if _COMMENT_TERM.search(line):
        policy = {m.group().lower()[:6] for m in _MOD_TERMS.finditer(line)}
        if len(policy) >= 2:
            return True
    return len({m.group().lower()[:6] for m in _ABUSE_TERMS.finditer(line)}) >= 4


def webnoise_score(line: str) -> tuple[int, int]:
    """(strong, weak) distinct crawl-note / embed-widget terms (Wayback notes, Twitter widgets)."""
    strong = {m.group().lower() for m in _WEBNOISE_STRONG.finditer(line)}
    weak = {m.group().lower() for m in _WEBNOISE_WEAK.finditer(line)}
    return len(strong), len(weak)


def is_webnoise(line: str) -> bool:
    """A crawl note or widget text: a signature phrase, two strong terms, or strong + weak."""
    if not _WEBNOISE_STRONG.search(line):  # most lines: no need to count the weak terms
        return bool(_WEBNOISE_SIGNATURE.search(line))
    strong, weak = webnoise_score(line)
    return bool(_WEBNOISE_SIGNATURE.search(line)) or strong >= 2 or (strong >= 1 and weak >= 1)


def is_tweet_embed(line: str) -> bool:
    return bool(_TWEET_SIGNATURE.search(line))


def strip_pic_links(line: str) -> tuple[str, list[str]]:
    """Remove 'pic.twitter.com/...' tails; returns (line, removed pieces)."""
    found = [m.group().strip() for m in _PIC_TWITTER.finditer(line)]
    return (_PIC_TWITTER.sub("", line).strip(), found) if found else (line, [])


def is_form_line(line: str) -> bool:
    """Inside a comment section: a short form label ('Name', 'Email *', 'Submit')."""
    return word_count(line) <= 5 and not re.search(r"[.;]\s*$", line)


def is_comment_header(line: str) -> bool:
    return bool(_COMMENT_HEADER.fullmatch(_ui_norm(line)))


def is_block_header(line: str) -> bool:
    return word_count(line) <= 6 and bool(_BLOCK_HEADER.fullmatch(_ui_norm(line)))


def is_link_title(line: str) -> bool:
    """A headline-like link in a 'Related' block: short, no sentence-ending period."""
    return 0 < word_count(line) <= 15 and not re.search(r"[.!]['\"”’)]*\s*$", line)


@dataclass
class LineVerdict:
    keep: bool
    reason: str = ""


def classify_lines(lines: list[str]) -> list[LineVerdict]:
    """Mark boilerplate lines. `lines` are cleaned lines ('' for blank lines).

    Rules, most specific first: comment/moderation text (scored), crawl notes and
    widget text (scored, spreading to neighbours), tweet embeds, captions, UI lines,
    'Related' link blocks and comment sections after the body, and exact duplicates
    of an earlier long line. A line with more than 12 words is only dropped by a strong
    rule (moderation, crawl note, caption credit, link prefix), and the strong rules
    themselves leave paragraphs of more than 80-150 words alone.
    """
    verdicts = [LineVerdict(True) for _ in lines]
    body_seen = False  # a real sentence line has been kept
    mode = ""  # "", "comments", "links", "webnoise"
    seen: set[str] = set()
    for i, line in enumerate(lines):
        if not line:
            continue
        reason = _line_reason(line, mode)
        if not reason and mode == "webnoise" and sum(webnoise_score(line)) >= 1:
            reason = "web-noise"
        if not reason and mode == "comments" and _comment_section_noise(line):
            reason = "comment-form"
        if not reason and mode == "links" and is_link_title(line):
            reason = "related-link"
        key = line.lower()
        if not reason and word_count(line) >= 6 and key in seen:
            reason = "duplicate"
        if reason:
            verdicts[i] = LineVerdict(False, reason)
            if reason == "web-noise":
                mode = "webnoise"
            elif body_seen and is_comment_header(line):
                mode = "comments"
            elif body_seen and is_block_header(line):
                mode = "links"
            continue
        if mode == "webnoise" or mode == "links":
            mode = ""
        seen.add(key)
        if word_count(line) >= 8:
            body_seen = True
    return verdicts


def _line_reason(line: str, mode: str) -> str:
    words = word_count(line)
    if words <= 100 and is_moderation(line):
        return "moderation"
    if words <= 150 and is_webnoise(line):
        return "web-noise"
    if words <= 80 and is_tweet_embed(line):
        return "tweet-embed"
    if words <= 80 and is_caption(line):
        return "caption"
    if is_ui_line(line):
        return "ui"
    if is_comment_header(line) or is_block_header(line):
        return "ui"
    return ""


def _comment_section_noise(line: str) -> bool:
    comments, mods = moderation_score(line)
    return (comments and mods >= 1) or mods >= 2 or is_form_line(line)
