"""Text cleaning for ingest: decoding, normalisation, boilerplate rules, dates, bylines
and sentence splitting.

Everything here is a pure function of bytes or strings, so it can be tested and reused on
its own. The boilerplate rules are general (vocabularies and scores), never lists of known
lines.
"""

from __future__ import annotations

import codecs
import datetime as dt
import html
import re
import unicodedata
from dataclasses import dataclass

from .errors import InputError

# --------------------------------------------------------------------------- normalisation

_NEWLINES = re.compile(r"\r\n?|[\u2028\u2029\x85\x0b\x0c]")
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_C1 = re.compile("[\x80-\x9f]")
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f]")
_SPACES = re.compile(r"[^\S\n]+")  # any whitespace except newline (tabs, NBSP, thin spaces...)


def _c1_to_cp1252(match: re.Match[str]) -> str:
    """A C1 control char in decoded text is almost always a cp1252 byte read as Latin-1."""
    try:
        return bytes([ord(match.group())]).decode("cp1252")
    except UnicodeDecodeError:
        return ""


def normalize_text(text: str) -> str:
    """Unify newlines, drop zero-width and control chars (keeping \\n and \\t), NFC-normalise."""
    text = _NEWLINES.sub("\n", text)
    text = _INVISIBLE.sub("", text)
    text = _C1.sub(_c1_to_cp1252, text)
    text = _CONTROL.sub("", text)
    return unicodedata.normalize("NFC", text)


_ENTITY = re.compile(r"&(?:#\d{1,7}|#x[0-9a-fA-F]{1,6}|[a-zA-Z]{2,8});")


def clean_line(line: str) -> str:
    """One line as the cleaned body keeps it: HTML entities decoded, spaces collapsed."""
    if "&" in line and _ENTITY.search(line):
        line = html.unescape(line)
    return _SPACES.sub(" ", line).strip()


_MD_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_MD_LINK = re.compile(r"\[([^\]]+)\]\((?:[^()\s]|\([^()]*\))*(?:\s+\"[^\"]*\")?\)")
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")
_MD_EMPHASIS = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_MD_RULE = re.compile(r"^\s{0,3}(?:[-*_]\s*){3,}$")


def strip_markdown(text: str) -> str:
    """Light Markdown to plain text: headings, links, images, bold, quotes and rules."""
    out = []
    for line in text.split("\n"):
        if _MD_RULE.match(line):
            out.append("")
            continue
        heading = _MD_HEADING.match(line)
        if heading:
            line = heading.group(1)
        line = re.sub(r"^\s{0,3}>\s?", "", line)
        line = _MD_IMAGE.sub("", line)
        line = _MD_LINK.sub(r"\1", line)
        line = _MD_EMPHASIS.sub(r"\2", line)
        out.append(line)
    return "\n".join(out)


# --------------------------------------------------------------------------- decoding

_MAGIC = [
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (or a DOCX/XLSX/EPUB document)"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\x1f\x8b", "a GZIP archive"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"\xfd7zXZ\x00", "an XZ archive"),
    (b"\x28\xb5\x2f\xfd", "a Zstandard archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"\x7fELF", "an executable (ELF)"),
    (b"MZ\x90\x00", "a Windows executable"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Microsoft Office document"),
    (b"SQLite format 3\x00", "an SQLite database"),
    (b"ID3", "an MP3 file"),
    (b"OggS", "an Ogg media file"),
    (b"\x00\x00\x01\x00", "an icon image"),
]
_BOMS = [
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
]
_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 12, 13)) + b"\x7f"
_WESTERN = {"cp1250", "cp1252", "latin_1", "iso8859_15", "iso8859_2", "mac_roman", "cp1257", "iso8859_9", "cp1254"}
_LABELS = {"cp1252": "windows-1252", "cp1251": "windows-1251", "latin_1": "iso-8859-1", "utf_16_le": "UTF-16-LE",
           "utf_16_be": "UTF-16-BE"}


def _sniff_binary(data: bytes, source: str) -> None:
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            raise InputError(f"{source}: this looks like {kind}, not a text file")
    if data[8:12] == b"WEBP" and data.startswith(b"RIFF"):
        raise InputError(f"{source}: this looks like a WebP image, not a text file")
    if data[:3] == b"BZh" and data[4:10] == b"1AY&SY":
        raise InputError(f"{source}: this looks like a BZIP2 archive, not a text file")
    if data[4:8] == b"ftyp":
        raise InputError(f"{source}: this looks like an MP4/QuickTime media file, not a text file")


def _utf16_without_bom(data: bytes) -> tuple[str, str] | None:
    """Text saved as UTF-16 without a BOM: NULs all on one side of each byte pair."""
    if len(data) < 4 or len(data) % 2:
        return None
    even, odd = data[0::2].count(0), data[1::2].count(0)
    if even + odd == 0 or min(even, odd) > (even + odd) // 20:
        return None
    codec = "utf-16-le" if odd > even else "utf-16-be"
    try:
        text = data.decode(codec)
    except UnicodeDecodeError:
        return None
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\n\r\t\f")
    return (text, codec) if controls <= len(text) // 100 else None


def _detect(data: bytes) -> tuple[str, str] | None:
    """charset-normalizer's guess; for Latin-script guesses, windows-1252 if it reads the same way."""
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # pragma: no cover - a declared dependency
        return None
    best = from_bytes(data).best()
    if best is None:
        return None
    encoding = codecs.lookup(best.encoding).name.replace("-", "_")
    if encoding in _WESTERN:
        try:
            return data.decode("cp1252"), "cp1252"
        except UnicodeDecodeError:
            pass
    return str(best), encoding


def decode_bytes(data: bytes, source: str) -> tuple[str, list[str]]:
    """Bytes to normalised text, with warnings for any fallback.

    UTF-8 (BOM stripped), UTF-16/32 by their BOM, UTF-16 without BOM by its NUL pattern,
    else charset-normalizer's guess, else windows-1252 with replacement characters.
    Raises InputError for binary data: a known magic number, NUL bytes that no UTF-16/32
    layout explains, or more than 5% control characters.
    """
    warnings: list[str] = []
    _sniff_binary(data, source)
    text: str | None = None
    for bom, codec in _BOMS:
        if data.startswith(bom):
            text = data.decode(codec, errors="replace")
            if "\ufffd" in text:
                warnings.append(f"invalid {codec.upper()} bytes replaced")
            break
    if text is None and b"\x00" in data:
        found = _utf16_without_bom(data)
        if not found:
            raise InputError(f"{source}: contains NUL bytes; this looks like a binary file, not text")
        text, codec = found
        warnings.append(f"decoded as {_LABELS[codec.replace('-', '_')]} (no byte-order mark)")
    if text is None:
        sample = data[: 1 << 20]
        if len(sample) - len(sample.translate(None, _CONTROL_BYTES)) > len(sample) // 20 + 1:
            raise InputError(f"{source}: mostly control characters; this looks like a binary file, not text")
        text = _decode_8bit(data, warnings)
    return normalize_text(text).lstrip("\ufeff"), warnings


def _decode_8bit(data: bytes, warnings: list[str]) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    found = _detect(data)
    if found:
        text, encoding = found
        warnings.append(f"not UTF-8; decoded as {_LABELS.get(encoding, encoding.replace('_', '-'))}")
        return text
    warnings.append("not UTF-8; decoded as windows-1252 with replacement characters")
    return data.decode("cp1252", errors="replace")


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
    r"skip to .{1,40}|\d+ comments?|comments? \(\d+\)|(?:view|show|hide|load) (?:all )?(?:\d+ )?comments?"
    r"|(?:post|leave|add|write|submit) a (?:comment|reply)|leave a reply|cancel reply|join the (?:discussion|conversation)"
    r"|please enter your (?:comment|name|email(?: address)?)(?: here)?!?|you have entered an incorrect email address!?"
    r"|(?:name|email|website|comment) ?\*|save my name, email, and website .*|notify me of .*"
    r"|your email address will not be published.*|loading ?(?:\.{3}|…)?|please wait ?(?:\.{3}|…)?"
    r"|image (?:copyright|caption|source)\b.*|follow us\b.*|follow .{1,40} on (?:twitter|facebook|instagram)\b.*"
    r"|click (?:here|image|the image|to|on) .{0,60}|(?:story|article) continues below|story continued below"
    r"|continue reading.*|advertisement ?[-–—:]? ?(?:story continues below|continue reading below)?"
    r"|scroll (?:down|to continue).*|tweet with a location|watch the video(?: below)?:?|all rights reserved\.?"
    r"|(?:sign up|subscribe|register|log in|sign in)\b.*|(?:©|\(c\)|copyright ?(?:©|\(c\)|\d{4})).*|.*\bhave a tip\b.*@.*"
    r"|\(?(?:(?:additional )?reporting|editing|writing|compiled|edited) by .*\)?|.{1,60} contributed (?:to )?this report\.?"
    r"|(?:we use )?cookies? .*(?:accept|consent|policy|browsing|experience|continuing).*"
)
_LINK_PREFIX = re.compile(
    r"\(?\s*(?:related(?: articles?| stories| content| coverage| news)?|read more(?: about)?|read also|also read"
    r"|see also|also on [\w .]{1,20}|more(?: on this story| from [\w .]{1,30})|watch|videos?|photos?|gallery"
    r"|listen|recommended|read next|previous|up next|you may also like|don't miss|more coverage"
    r"|read or share this story)\s*[:|›»>]\s*\S.*",
    re.I,
)
_BLOCK_HEADER = re.compile(
    r"(?:related(?: articles| stories| content| coverage| links)?|more(?: stories| from [\w .]{1,30}| on this story)"
    r"|also|read more|you may also like|most (?:read|popular|viewed)|trending(?: now)?|recommended(?: for you)?"
    r"|further reading|top stories|latest news|read next|what to read next)\s*:?",
    re.I,
)
_COMMENT_HEADER = re.compile(
    r"(?:\d+ )?(?:comments?|responses?|replies)(?: \(\d+\))?|(?:post|leave|add|write) a (?:comment|reply)"
    r"|leave a reply|join the (?:discussion|conversation)|reader comments|discussion|what do you think\??",
    re.I,
)
_AGENCY = (
    r"AFP|Reuters|AP|Associated Press|Getty(?: Images)?|EPA(?:-EFE)?|EFE|Xinhua|Anadolu(?: Agency)?|dpa|DPA"
    r"|PA(?: Images| Wire| Media)?|Shutterstock|Sputnik|TASS|ANSA|Bloomberg|IRNA|SANA|UPI|WENN|Alamy|iStock"
    r"|NurPhoto|ZUMA(?: Press| Wire)?|Rex(?: Features)?|AAP|Yonhap|Kyodo|Belga|Pool|File"
)
_CAPTION_TAIL = re.compile(
    r"\(\s*(?:(?i:photo|image|picture|photograph|pic|credit|file photo|video)(?i:\s+credit)?\s*[:/]\s*[^()]{1,80}"
    r"\)(?:\s+[A-Z][a-z]+){0,3}|(?:" + _AGENCY + r")(?:\s*(?i:photos?|images?|pictures?))?(?:\s*[/|,;]\s*[^()]{0,60})?\))"
    r"\s*\.?\s*$"
)
_CAPTION_HEAD = re.compile(
    r"(?:photo|image|picture|photograph|pictured|file photo|caption|photo credit|image credit)\s*:\s*\S", re.I
)
_TWEET_SIGNATURE = re.compile(
    r"[—–-]\s*[^()\n]{1,60}\(@\w{1,15}\)\s+(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?\s+\d{1,2},\s+\d{4}\s*$"
)
_PIC_TWITTER = re.compile(r"\s*\bpic\.twitter\.com/\w+")
_COMMENT_TERM = re.compile(r"\bcomment(?:s|ing|ers?)?\b|\brepl(?:y|ies)\b", re.I)
_MOD_TERMS = re.compile(
    r"\b(?:moderat|guideline|approv|reject|publication|publish|toleran?t|communit|\bedited\b|email address"
    r"|required field|terms of (?:use|service)|house rules|relevant|respectful|disqus|civil)",
    re.I,
)
_ABUSE_TERMS = re.compile(
    r"\b(?:profanit|threat|personal attack|vulgar|abus|sexis|racis|homophob|xenophob|obscen|harass|spam|promotion"
    r"|defamat|libel|offensive)",
    re.I,
)
_ADDRESSING = re.compile(r"\b(?:we|our|you|your)\b", re.I)  # site policy speaks to the reader
_WEBNOISE_STRONG = re.compile(
    r"\b(?:crawl(?:s|ed|er|ing)?\b|internet archive|wayback machine|archive pages|archived pages|alexa internet"
    r"|embargo period|outward links|page captures|slash pages|linked-to domain|inter-? ?domain|incoming links"
    r"|your tweets|tweet location|location information|add this tweet|embed this tweet|twitter may be over capacity)",
    re.I,
)
_WEBNOISE_WEAK = re.compile(
    r"\b(?:urls?\b|\bdomain\b|\branked\b|wikipedia|learn more|javascript|your browser|third-party applications"
    r"|enable cookies|try again)",
    re.I,
)
_WEBNOISE_SIGNATURE = re.compile(r"seed for wide\d+|these crawls are part of", re.I)
_WORD = re.compile(r"[\w'’+-]+")


def word_count(line: str) -> int:
    return len(_WORD.findall(line))


def _ui_norm(line: str) -> str:
    line = re.sub(r"^[\s>•|*·»›\-–—]+", "", line)
    return re.sub(r"\s+", " ", line.strip().rstrip(":|")).lower()


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
    policy terms (moderate, guidelines, approved...), or a list of four kinds of abuse."""
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


# --------------------------------------------------------------------------- dates

_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}
_WEEKDAY = r"(?:mon|tue|wed|thu|fri|sat|sun)[a-z]{0,6}\.?"
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DAY = r"(?:3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)?"
_YEAR = r"(?:19|20)\d{2}"
_DATE_FORMS = [
    ("ymd", rf"(?P<y>{_YEAR})(?P<sep>[-/.])(?P<m>\d{{1,2}})(?P=sep)(?P<d>\d{{1,2}})"),
    ("num", rf"(?P<a>\d{{1,2}})(?P<sep>[-/.])(?P<b>\d{{1,2}})(?P=sep)(?P<y>{_YEAR})"),
    ("mdy", rf"(?P<mon>{_MONTH})\s+(?P<d>{_DAY}),?\s+(?P<y>{_YEAR})"),
    ("dmy", rf"(?P<d>{_DAY})\s+(?:of\s+)?(?P<mon>{_MONTH}),?\s+(?P<y>{_YEAR})"),
]
_TIME = (
    r"(?:\s*(?:,|at|\||-|–|—|T)?\s*\d{1,2}[:.h]\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:[ap]\.?\s?m\.?)?"
    r"(?:\s*(?:Z|[+-]\d{2}:?\d{2}|(?:GMT|UTC)(?:\s?[+-]\s?\d{1,2}(?::?\d{2})?)?|[A-Z]{2,4}))?)?"
)
_DATE_ONLY = [
    (kind, re.compile(rf"\s*(?:{_WEEKDAY},?\s+)?{form}{_TIME}\s*[.,]?\s*", re.I)) for kind, form in _DATE_FORMS
]
_DATE_ANY = [(kind, re.compile(rf"(?<![\w/.-]){form}(?![\w/-]|\.\d)", re.I)) for kind, form in _DATE_FORMS]
_WEEKDAY_LEAD = [
    (kind, re.compile(rf"\s*{_WEEKDAY},?\s+{form}(?:,|\s*[-–—:])?\s*(?=[A-Z“\"'‘(])", re.I))
    for kind, form in _DATE_FORMS
    if kind in ("mdy", "dmy")
]
_YMD_LEAD = re.compile(rf"\s*(?P<y>{_YEAR})(?P<sep>[-/.])(?P<m>\d{{1,2}})(?P=sep)(?P<d>\d{{1,2}})\s+(?=\S)")


@dataclass(frozen=True)
class DateMatch:
    date: dt.date
    text: str  # as written
    start: int
    end: int
    ambiguous: bool = False


def _build(kind: str, m: re.Match[str]) -> tuple[dt.date, bool] | None:
    ambiguous = False
    try:
        year = int(m.group("y"))
        if kind == "ymd":
            month, day = int(m.group("m")), int(m.group("d"))
        elif kind == "num":
            a, b = int(m.group("a")), int(m.group("b"))
            if a > 12:
                day, month = a, b
            elif b > 12:
                month, day = a, b
            else:
                ambiguous = a != b
                day, month = (a, b) if m.group("sep") in "-." else (b, a)
        else:
            month = _MONTHS[m.group("mon").lower()[:3]]
            day = int(re.match(r"\d+", m.group("d")).group())  # type: ignore[union-attr]
        return dt.date(year, month, day), ambiguous
    except (ValueError, KeyError):
        return None


def parse_date_line(line: str) -> DateMatch | None:
    """The date when `line` is only a date (weekday and time allowed), else None.

    Numeric dates: a part above 12 decides day vs month; otherwise day-first for '-' and
    '.' separators (20-05-2016, 03.04.2016) and month-first for '/' (04/03/2016), and the
    match is marked ambiguous. Year-first dates (2005/01/08) are always year-month-day.
    """
    for kind, rx in _DATE_ONLY:
        m = rx.fullmatch(line)
        if m:
            built = _build(kind, m)
            if built:
                return DateMatch(built[0], line.strip().rstrip(".,").strip(), 0, len(line), built[1])
    return None


def find_date(text: str) -> DateMatch | None:
    """The first date written anywhere in `text` (same rules as `parse_date_line`)."""
    best: DateMatch | None = None
    for kind, rx in _DATE_ANY:
        for m in rx.finditer(text):
            built = _build(kind, m)
            if built and (best is None or m.start() < best.start):
                best = DateMatch(built[0], m.group(), m.start(), m.end(), built[1])
                break
    return best


def leading_date(line: str, *, numeric: bool) -> DateMatch | None:
    """A date opening a line that goes on with text: 'Saturday, March 26, 2005 Up to...'
    (weekday required) or, with numeric=True, '2005/01/08 Tsunami aid...'."""
    forms = [("ymd", _YMD_LEAD)] if numeric else _WEEKDAY_LEAD
    for kind, rx in forms:
        m = rx.match(line)
        if m:
            built = _build(kind, m)
            if built:
                return DateMatch(built[0], m.group().strip(" ,:-–—"), 0, m.end(), built[1])
    return None


def parse_date_value(value: str) -> DateMatch | None:
    """Parse a date given as metadata (ISO, the formats above, or whatever dateutil reads)."""
    value = value.strip()
    try:
        return DateMatch(dt.datetime.fromisoformat(value.replace("Z", "+00:00")).date(), value, 0, len(value))
    except ValueError:
        pass
    found = parse_date_line(value) or find_date(value)
    if found:
        return DateMatch(found.date, value, 0, len(value), found.ambiguous)
    return _dateutil_date(value)


def _dateutil_date(value: str) -> DateMatch | None:
    """dateutil as a last resort, refusing values that lack a day or a month."""
    try:
        from dateutil import parser as du_parser

        one = du_parser.parse(value, default=dt.datetime(2000, 1, 1))
        two = du_parser.parse(value, default=dt.datetime(2001, 2, 2))
    except (ImportError, ValueError, OverflowError, TypeError):
        return None
    return DateMatch(one.date(), value, 0, len(value)) if one.date() == two.date() else None


# --------------------------------------------------------------------------- title, byline, outlet

_SMALL_WORDS = frozenset("of the and & de al el la le du di da von van for on in at a an".split())
_META_PREFIX = re.compile(
    r"(?P<kind>(?:first |originally )?published|posted|updated|last updated|last modified|dated?|publication date)"
    r"(?: on| at)?\s*[:\-–—]?\s*(?P<rest>.*)",
    re.I,
)
_BYLINE = re.compile(r"(?:[Bb]y|BY)\s+[A-Z][\w.'’-]*(?:\s+(?:[A-Z][\w.'’-]*|and|&|de|van|von|al|bin|la))*", re.U)
_SOURCE = re.compile(r"(?:source|via)\s*:\s*(?P<outlet>\S.*)", re.I)
_SEGMENT_SPLIT = re.compile(r"\s*[|•·]\s*")
_ABBREV_END = re.compile(r"(?:\b(?:[A-Za-z]\.){2,}|\b(?:Jr|Sr|Inc|Co|Corp|Ltd|St)\.)$")


@dataclass(frozen=True)
class MetaLine:
    """What a dateline / byline near the top says (any part may be None)."""

    date: DateMatch | None
    date_kind: str | None  # "published" or "updated"
    outlet: str | None


def looks_like_outlet(line: str) -> bool:
    """1-4 capitalised words, no sentence punctuation, not a date or a UI word."""
    words = line.split()
    if not 1 <= len(words) <= 4 or len(line) > 40 or re.search(r"[,;:!?\"“”()]|\.(?!\w)", line):
        return False
    if not all(w[0].isupper() or w[0].isdigit() or w.lower() in _SMALL_WORDS for w in words):
        return False
    if words[0].lower() in _SMALL_WORDS - {"the", "al", "el", "la", "le"} or words[0].lower() == "by":
        return False
    return not (line.replace(" ", "").isdigit() or find_date(line) or is_ui_line(line))


def looks_like_title(line: str, *, has_body_after: bool, gap_after: bool, next_short: bool) -> bool:
    """A short headline line: <= 200 chars and 25 words, one sentence, no closing period
    (except after an abbreviation such as 'U.S.'), followed by a blank or a short line."""
    if not has_body_after or not (gap_after or next_short):
        return False
    if len(line) > 200 or not 1 <= word_count(line) <= 25:
        return False
    if not (line[0].isupper() or line[0].isdigit() or line[0] in "\"'“‘"):
        return False
    if re.search(r"[,;:]$", line) or (line.endswith(".") and not _ABBREV_END.search(line)):
        return False
    return len(split_line(line)) <= 1


def parse_meta_line(line: str) -> MetaLine | None:
    """A dateline/byline such as 'Published: May 3, 2021', 'By Jane Doe | Daily Planet',
    'Source: Daily Planet' or 'By Jane Doe | Updated 4 May 2021'. None for anything else."""
    if word_count(line) > 20:
        return None
    segments = [seg for seg in _SEGMENT_SPLIT.split(line.strip()) if seg]
    date: DateMatch | None = None
    kind: str | None = None
    outlet: str | None = None
    strong = False
    pending: list[str] = []
    for seg in segments:
        prefix = _META_PREFIX.fullmatch(seg)
        found = find_date(prefix.group("rest")) if prefix else None
        if prefix and found:
            strong = True
            updated = re.match(r"(?:last )?(?:updated|modified)", prefix.group("kind"), re.I)
            seg_kind = "updated" if updated else "published"
            if date is None or (kind == "updated" and seg_kind == "published"):
                date, kind = found, seg_kind
        elif parse_date_line(seg):
            date = date or parse_date_line(seg)
            kind = kind or "published"
        elif _BYLINE.fullmatch(seg) and word_count(seg) <= 8:
            strong = True
        elif _SOURCE.fullmatch(seg) and word_count(seg) <= 7:
            strong, outlet = True, outlet or _SOURCE.fullmatch(seg).group("outlet").strip()  # type: ignore[union-attr]
        elif looks_like_outlet(seg):
            pending.append(seg)
        else:
            return None
    if not strong:
        return None
    if outlet is None and len(pending) == 1:
        outlet = pending[0]
    return MetaLine(date, kind if date else None, outlet)


# --------------------------------------------------------------------------- sentences

_TITLES = frozenset(
    "mr mrs ms dr prof gen sen rep gov lt col capt sgt maj adm cmdr rev hon pres supt det insp brig cpl pvt fr "
    "st mt ft messrs mme mlle gens reps sens lieut cmdt".split()
)
_BEFORE_NUMBER = frozenset("no nos vol art p pp fig ch sec para jan feb mar apr jun jul aug sep sept oct nov dec".split())
_NEVER = frozenset("e.g i.e vs v cf approx ca viz al".split())
_AMBIGUOUS = frozenset(
    "jr sr inc corp co ltd bros plc llc etc ala ariz ark calif colo conn del fla ga ill kan ky la md mich minn mo "
    "mont neb nev okla ore pa tenn tex va vt wis wyo".split()
)
_STARTERS = frozenset(
    "the a an he she it they we i you but and or so yet in on at as for if when while after before since this "
    "that these those his her its their our my your there here however meanwhile still also now then some many "
    "most one two three what who why how no not".split()
)
_CANDIDATE = re.compile(r"(?:\.{2,}|…|[.!?]+)(?:['\"”’»)\]]*)(?=\s+\S|$)")
_OPENERS = "\"'“‘«([¿¡"
_SPEECH = re.compile(
    r"(?:[A-Z][\w'’.-]*\s+){1,4}(?:said|says|asked|asks|added|adds|told|tells|wrote|writes|tweeted|replied"
    r"|explained|insisted|noted|continued|stated|declared|shouted|warned|recalled|concluded)\b"
)


_NONSPACE = re.compile(r"\S")
_NEXT_WORD = re.compile(r"[\w'’]+")


def _is_boundary(line: str, punct: re.Match[str], nxt_at: int) -> bool:
    """Whether the punctuation `punct` ends a sentence; the next sentence would start at nxt_at."""
    if nxt_at >= len(line):
        return True
    nxt = line[nxt_at]
    if not (nxt.isupper() or nxt.isdigit() or nxt in _OPENERS):
        return False
    mark = punct.group()
    closed = mark[-1] in "'\"”’»"
    if closed and mark.rstrip("'\"”’»")[-1:] in "?!" and _SPEECH.match(line, nxt_at):
        return False
    if not mark.startswith(".") or mark.startswith(".."):
        return True
    begin = punct.start()
    while begin > 0 and not line[begin - 1].isspace() and punct.start() - begin < 40:
        begin -= 1
    token = line[begin: punct.start()].lstrip(_OPENERS)
    core = token.lower()
    next_word = _NEXT_WORD.match(line, nxt_at)
    starter = (next_word is not None and next_word.group().lower() in _STARTERS) or nxt in _OPENERS
    if core in _TITLES or core in _NEVER:
        return False
    if core in _BEFORE_NUMBER and nxt.isdigit():
        return False
    if len(core) == 1 and core.isalpha() and token.isupper():
        return False  # an initial: John F. Kennedy
    if re.fullmatch(r"(?:[a-z]\.)+[a-z]", core) or core in _AMBIGUOUS:
        return starter  # U.S. officials / in the U.S. The...; a.m.; Inc.
    return True


def split_line(line: str) -> list[tuple[int, int]]:
    """Sentence spans (start, end) within one line; whitespace is never part of a span."""
    spans: list[tuple[int, int]] = []
    first = _NONSPACE.search(line)
    if not first:
        return spans
    start = first.start()
    for m in _CANDIDATE.finditer(line, start):
        following = _NONSPACE.search(line, m.end())
        nxt_at = following.start() if following else len(line)
        if m.end() <= start or not _is_boundary(line, m, nxt_at):
            continue
        spans.append((start, m.end()))
        start = nxt_at
    end = len(line.rstrip())
    if start < end:
        spans.append((start, end))
    return spans


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans over a whole text; a sentence never crosses a line break."""
    spans: list[tuple[int, int]] = []
    offset = 0
    for line in text.split("\n"):
        spans.extend((offset + a, offset + b) for a, b in split_line(line))
        offset += len(line) + 1
    return spans
