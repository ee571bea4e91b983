"""Tokens, word classes and sentence splitting for `agent.grounding.verifier`.

Everything is deterministic, dependency-free and fast: one regular expression pass per
sentence, a light suffix stemmer, and small listed word classes (negators, hedges, speech
verbs, role words). Nothing here knows about any particular story.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

_FOLD = str.maketrans(
    {
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "`": "'",
        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u00ab": '"', "\u00bb": '"',
        "\u2013": "-", "\u2014": "-", "\u2212": "-", "\u2010": "-", "\u2011": "-",
        "\u00a0": " ", "\u2009": " ", "\u202f": " ",
    }
)  # fmt: skip

STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been
    before being below between both but by can did do does doing down during each few for
    from further had has have having he her here hers herself him himself his how i if in into
    is it its itself just me more most my myself nor of off on once only or other our ours
    ourselves out over own same she so some such than that the their theirs them themselves
    then there these they this those through to too under until up very was we were what when
    where which while who whom why with you your yours yourself mr mrs ms dr s t
    also its it's there's one's new last first currently recently recent already""".split()
)

NUMBER_WORDS = {
    "zero": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6",
    "seven": "7", "eight": "8", "nine": "9", "ten": "10", "eleven": "11", "twelve": "12",
    "thirteen": "13", "fourteen": "14", "fifteen": "15", "sixteen": "16", "seventeen": "17",
    "eighteen": "18", "nineteen": "19", "twenty": "20", "thirty": "30", "forty": "40",
    "fifty": "50", "sixty": "60", "seventy": "70", "eighty": "80", "ninety": "90",
    "hundred": "100", "dozen": "12", "once": "1", "twice": "2", "first": "1st",
    "second": "2nd", "third": "3rd",
}  # fmt: skip
SCALE_WORDS = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12, "m": 1e6,
               "bn": 1e9, "k": 1e3}  # fmt: skip

DATE_WORDS = frozenset(
    """monday tuesday wednesday thursday friday saturday sunday january february march april
    june july august september october november december jan feb mar apr jun jul aug sep sept
    oct nov dec yesterday today tomorrow tonight weekend maymonth""".split()
)
_MONTH_ABBR = {
    "maymonth": "may",
    "jan": "january",
    "feb": "february",
    "mar": "march",
    "apr": "april",
    "jun": "june",
    "jul": "july",
    "aug": "august",
    "sep": "september",
    "sept": "september",
    "oct": "october",
    "nov": "november",
    "dec": "december",
}

# Negators: a claim and its evidence must agree on these around the words they share.
NEGATORS = frozenset(
    """not no never none nobody nothing neither nor cannot without n't fail failed fails
    failing refuse refused refuses refusing deny denied denies denying reject rejected
    rejects unable lack lacked""".split()
)
# Modality classes: words that turn an assertion into a possibility, a plan or a proposal.
MODALITY = {
    "may": "possible", "might": "possible", "could": "possible", "possibly": "possible",
    "perhaps": "possible", "maybe": "possible", "likely": "possible", "unlikely": "possible",
    "probably": "possible", "potential": "possible", "potentially": "possible",
    "would": "conditional", "should": "obligation", "must": "obligation",
    "propose": "proposal", "proposed": "proposal", "proposes": "proposal",
    "proposal": "proposal", "proposing": "proposal", "suggest": "weak", "suggested": "weak",
    "suggests": "weak", "offer": "proposal", "offered": "proposal",
    "plan": "plan", "plans": "plan", "planned": "plan", "planning": "plan",
    "intend": "plan", "intends": "plan", "expected": "plan", "expects": "plan",
    "considering": "plan", "consider": "plan", "hope": "plan", "hopes": "plan",
    "reportedly": "hearsay", "allegedly": "hearsay", "alleged": "hearsay",
    "claimed": "hearsay", "claims": "hearsay", "rumoured": "hearsay",
}  # fmt: skip
# Classes that commit the speaker; a claim stating these needs evidence that does too.
COMMITMENT = {"will": "commit", "shall": "commit", "agreed": "commit", "agree": "commit",
              "agrees": "commit", "confirmed": "commit", "announced": "commit",
              "decided": "commit"}  # fmt: skip

SPEECH = frozenset(
    """said say says saying told tell tells stated states added adds announced announces
    explained claimed insisted warned confirmed declared noted according""".split()
)
ROLE_NOUNS = frozenset(
    """minister ministry secretary president premier chancellor spokesman spokeswoman
    spokesperson ambassador envoy general commander chief governor mayor senator judge
    director department office council army navy police""".split()
)
ROLE_MODIFIERS = frozenset(
    """foreign defence defense interior home finance health justice education prime deputy
    vice state secretary-general attorney chief former acting""".split()
)
# Small listed equivalences (after lower-casing), mapped to one canonical token.
EQUIV = {
    "u.s": "us", "u.s.": "us", "usa": "us", "america": "us", "american": "us",
    "americans": "us", "uk": "uk", "u.k": "uk", "britain": "uk", "british": "uk",
    "russian": "russia", "russians": "russia", "syrian": "syria", "syrians": "syria",
    "percent": "%", "pc": "%", "cent": "%", "ceasefire": "truce", "cease-fire": "truce",
    "defense": "defence", "organisation": "organization", "programme": "program",
    "kill": "kill", "killing": "kill", "killed": "kill", "dead": "die", "died": "die",
    "death": "die", "deaths": "die", "dies": "die",
}  # fmt: skip
# Nationality and place adjectives, read as the place they name ("Welsh" as Wales): a claim
# may say "Welsh" where its source says "Wales", and a nationality its source never names is
# a claim the source does not make (`verifier_checks.check_facts`). "American", "British",
# "Russian" and "Syrian" are in EQUIV above.
DEMONYMS = {
    "welsh": "wales", "scottish": "scotland", "scots": "scotland", "scot": "scotland",
    "english": "england", "irish": "ireland", "briton": "britain", "french": "france",
    "german": "germany", "italian": "italy", "spanish": "spain", "portuguese": "portugal",
    "dutch": "netherlands", "belgian": "belgium", "swiss": "switzerland", "austrian": "austria",
    "swedish": "sweden", "swede": "sweden", "norwegian": "norway", "danish": "denmark",
    "dane": "denmark", "finnish": "finland", "greek": "greece", "turkish": "turkey",
    "ukrainian": "ukraine", "chinese": "china", "japanese": "japan", "korean": "korea",
    "indian": "india", "pakistani": "pakistan", "afghan": "afghanistan", "iranian": "iran",
    "iraqi": "iraq", "israeli": "israel", "palestinian": "palestine", "egyptian": "egypt",
    "lebanese": "lebanon", "jordanian": "jordan", "yemeni": "yemen", "libyan": "libya",
    "qatari": "qatar", "kuwaiti": "kuwait", "australian": "australia", "canadian": "canada",
    "mexican": "mexico", "brazilian": "brazil", "argentine": "argentina",
    "argentinian": "argentina", "colombian": "colombia", "venezuelan": "venezuela",
    "chilean": "chile", "peruvian": "peru", "cuban": "cuba", "nigerian": "nigeria",
    "kenyan": "kenya", "ethiopian": "ethiopia", "somali": "somalia", "sudanese": "sudan",
    "ghanaian": "ghana", "ugandan": "uganda", "zimbabwean": "zimbabwe", "algerian": "algeria",
    "moroccan": "morocco", "tunisian": "tunisia", "hungarian": "hungary", "romanian": "romania",
    "bulgarian": "bulgaria", "serbian": "serbia", "croatian": "croatia", "bosnian": "bosnia",
    "albanian": "albania", "icelandic": "iceland", "filipino": "philippines",
    "indonesian": "indonesia", "malaysian": "malaysia", "vietnamese": "vietnam",
    "bangladeshi": "bangladesh", "nepalese": "nepal", "european": "europe",
    "african": "africa", "asian": "asia", "cornish": "cornwall", "catalan": "catalonia",
}  # fmt: skip
NATIONALITIES = frozenset(DEMONYMS) | {"american", "british", "russian", "syrian"}
_DEMONYM_KEYS: dict[str, str] = {}  # filled below, once `tokenize` exists
# Irregular verb forms, read as their base form before stemming.
IRREGULAR = {
    "lost": "lose", "held": "hold", "made": "make", "won": "win", "went": "go", "gone": "go",
    "took": "take", "taken": "take", "brought": "bring", "fell": "fall", "fallen": "fall",
    "rose": "rise", "risen": "rise", "began": "begin", "begun": "begin", "chose": "choose",
    "chosen": "choose", "found": "find", "gave": "give", "given": "give", "saw": "see",
    "seen": "see", "came": "come", "knew": "know", "known": "know", "paid": "pay",
    "sold": "sell", "bought": "buy", "caught": "catch", "thought": "think", "kept": "keep",
    "met": "meet", "ran": "run", "sent": "send", "spent": "spend", "struck": "strike",
    "wrote": "write", "written": "write", "led": "lead", "shot": "shoot", "beaten": "beat",
    "built": "build", "fought": "fight", "drew": "draw", "drawn": "draw", "grew": "grow",
    "grown": "grow", "broke": "break", "broken": "break", "spoke": "speak",
    "spoken": "speak", "stole": "steal", "stolen": "steal", "hid": "hide", "hidden": "hide",
    "sought": "seek", "taught": "teach", "felt": "feel", "meant": "mean", "sat": "sit",
    "stood": "stand", "understood": "understand", "threw": "throw", "thrown": "throw",
    "flew": "fly", "flown": "fly", "drove": "drive", "driven": "drive", "rode": "ride",
    "woke": "wake", "wore": "wear", "worn": "wear", "swore": "swear", "sworn": "swear",
    "bore": "bear", "born": "bear", "dealt": "deal", "fed": "feed", "fled": "flee",
    "forgot": "forget", "forgiven": "forgive", "froze": "freeze", "frozen": "freeze",
    "hung": "hang", "laid": "lay", "lent": "lend", "lit": "light", "overtook": "overtake",
    "sank": "sink", "sunk": "sink", "slid": "slide", "sped": "speed", "split": "split",
    "spun": "spin", "stuck": "stick", "swept": "sweep", "swam": "swim", "tore": "tear",
    "torn": "tear", "withdrew": "withdraw", "withdrawn": "withdraw",
}  # fmt: skip
_META = re.compile(
    r"^(?:the|this|that) (?:article|report|story|piece|text|summary)(?: also)? "
    r"(?:reports|says|states|notes|highlights|mentions|explains|describes|adds|reveals)"
    r"(?: that)?\s+",
    re.I,
)
_PHRASES = [  # (a lower-case substring that must be present, pattern, replacement)
    ("united", re.compile(r"\bunited states\b", re.I), "US"),
    ("united", re.compile(r"\bunited kingdom\b", re.I), "UK"),
    ("united", re.compile(r"\bunited nations\b", re.I), "UN"),
    ("union", re.compile(r"\beuropean union\b", re.I), "EU"),
    ("cent", re.compile(r"\bper cent\b", re.I), "percent"),
    ("u.", re.compile(r"\bu\.\s?s\.(?=\s|$|,)", re.I), "US"),
    ("u.", re.compile(r"\bu\.\s?k\.(?=\s|$|,)", re.I), "UK"),
    # "50, 000" and "£2, 500" (tokenised text) as one number
    (", ", re.compile(r"\b(\d{1,3}), (000)\b|(?<=[£$€])(\d{1,3}), (\d{3})\b"), r"\1\3,\2\4"),
]
_TOKEN = re.compile(r"\d{1,2}:\d{2}(?:[ap]m)?|\d+(?:[.,]\d+)*%?|[A-Za-z]+(?:'[a-z]+)?|n't|%")
_TIME = re.compile(r"\b(\d{1,2})[:.](\d{2})\s?([ap])\.?\s?m\b\.?", re.I)
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_MAY_MONTH = re.compile(r"\bMay(?=\s+\d)|(?<=\d )May\b")
MONTH_NAMES = ("January February March April May June July August September October "
               "November December").split()  # fmt: skip
_ABBREV = frozenset(
    """mr mrs ms dr st gen sen rep gov lt col sgt jr sr prof inc co corp no vs etc capt
    maj adm jan feb mar apr jun jul aug sep sept oct nov dec""".split()
)
_END = re.compile(r"[.!?]+[\"')\]]*(?=\s)")


def fold(text: str) -> str:
    """Typographic quotes and dashes as ASCII, whitespace runs as one space, stripped."""
    return re.sub(r"\s+", " ", text.translate(_FOLD)).strip()


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A light suffix stripper: plurals, -ed, -ing, -ly, -ation and a final e."""
    if len(word) <= 3 or not word.isalpha():
        return word
    for suffix, repl, min_len in (
        ("ations", "ate", 8), ("ation", "ate", 7), ("ies", "y", 5), ("ied", "y", 5),
        ("sses", "ss", 5), ("ing", "", 6), ("ed", "", 5), ("ly", "", 6), ("ment", "", 8),
    ):  # fmt: skip
        if word.endswith(suffix) and len(word) >= min_len:
            word = word[: -len(suffix)] + repl
            if suffix in ("ing", "ed") and len(word) > 3 and word[-1] == word[-2]:
                word = word[:-1] if word[-1] not in "lsz" else word
            break
    else:
        if word.endswith(("sses", "xes", "zes", "ches", "shes")):
            word = word[:-2]
        elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
            word = word[:-1]
    return word[:-1] if len(word) > 4 and word.endswith("e") else word


@dataclass(slots=True, frozen=True)
class Token:
    """One word of a sentence: its lower-cased form, its match key and its case."""

    low: str
    key: str
    capital: bool


@dataclass(slots=True)
class Analysed:
    """A sentence prepared for matching."""

    text: str
    tokens: list[Token]
    content: set[str] = field(default_factory=set)
    numbers: set[str] = field(default_factory=set)
    lowercase: bool = False
    acronyms: set[str] = field(default_factory=set)


def _number_key(token: str) -> str:
    token = token.rstrip("%")
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?", token):
        token = token.replace(",", "")
    token = token.replace(",", ".")
    if "." in token:
        token = token.rstrip("0").rstrip(".") or "0"
    return token


def _iso_as_words(match: re.Match[str]) -> str:
    year, month, day = (int(g) for g in match.groups())
    if 1 <= month <= 12 and 1 <= day <= 31:
        return f"{MONTH_NAMES[month - 1]} {day}, {year}"
    return match.group(0)


def tokenize(text: str) -> list[Token]:
    """Tokens of `text`: number words as digits, listed equivalences canonical, 's dropped."""
    return _tokenize_folded(fold(text))


def _tokenize_folded(text: str) -> list[Token]:
    lower = text.lower()
    for needle, pattern, repl in _PHRASES:
        if needle in lower:
            text = pattern.sub(repl, text)
    if "m" in lower:
        text = _TIME.sub(lambda m: f"{int(m.group(1))}:{m.group(2)}{m.group(3).lower()}m", text)
    if "-" in text:
        text = _ISO_DATE.sub(_iso_as_words, text)
    if "May" in text:
        text = _MAY_MONTH.sub("Maymonth", text)
    return [tok for tok in map(_token, _TOKEN.findall(text)) if tok is not None]


@lru_cache(maxsize=65536)
def _token(raw: str) -> Token | None:
    """One raw word as a Token (None for a bare "'s"); cached, words repeat."""
    low = raw.lower()
    if low.endswith("'s"):
        low, raw = low[:-2], raw[:-2]
    elif "'" in low and low != "n't":
        low = low.split("'")[0]
    if not low:
        return None
    if ":" in low:
        key = low
    elif low[0].isdigit():
        key = _number_key(low)
    elif low in NUMBER_WORDS:
        key = NUMBER_WORDS[low]
    elif raw == "US" or low in EQUIV:
        key = "us" if raw == "US" else EQUIV[low]
    elif low in DEMONYMS or (low[-1] == "s" and low[:-1] in DEMONYMS):
        key = _DEMONYM_KEYS[low if low in DEMONYMS else low[:-1]]
    else:
        key = stem(IRREGULAR.get(low) or _MONTH_ABBR.get(low, low))
    return Token(low, key, raw[0].isupper())


_DEMONYM_KEYS.update({word: tokenize(place)[0].key for word, place in DEMONYMS.items()})
_token.cache_clear()  # nothing cached before the table was filled may stay
_NOT_CONTENT = STOPWORDS | NEGATORS | SPEECH | frozenset(MODALITY) | frozenset(COMMITMENT)


def analyse(text: str) -> Analysed:
    """Tokens, content-word keys and number keys of one sentence (a leading "The article
    says that" is not part of what a sentence claims).
    """
    folded = fold(text)
    tokens = _tokenize_folded(_META.sub("", folded))
    content: set[str] = set()
    numbers: set[str] = set()
    for tok in tokens:
        if tok.key[0].isdigit():
            numbers.add(tok.key)
            content.add(tok.key)
        elif tok.low not in _NOT_CONTENT and len(tok.low) > 1:
            content.add(tok.key)
    lowercase = not any(t.capital for t in tokens[1:])
    found = set() if lowercase else acronyms(folded)
    return Analysed(text, tokens, content, numbers, lowercase, found)


_NAME_RUN = re.compile(
    r"\b[A-Z][a-z]+(?:(?: (?:of|and|for|on|the|&))* [A-Z][a-z]+)+\b"
)  # capitalised words, with small glue words between them, no punctuation


def acronyms(text: str) -> set[str]:
    """Initials of each run of two or more capitalised words ("Police Investigations and
    Review Commissioner" gives "pirc", "Member of Parliament" gives "mp"): keys a claim may
    use for a name its source spells out. A leading capitalised stopword ("The") is not part
    of the name.
    """
    out: set[str] = set()
    for match in _NAME_RUN.finditer(text):
        words = [w for w in match.group().split() if w[0].isupper()]
        if words and words[0].lower() in STOPWORDS:
            words = words[1:]
        if len(words) >= 2:
            out.add("".join(w[0].lower() for w in words))
    return out


def split_sentences(text: str) -> list[str]:
    """Sentences of `text`: paragraphs first, then sentence ends not after an abbreviation."""
    out: list[str] = []
    for para in re.split(r"\n\s*\n|\n(?=\s*\S)", text):
        para = fold(para)
        if not para:
            continue
        start = 0
        for match in _END.finditer(para):
            end = match.end()
            before = para[start : match.start()].rsplit(" ", 1)[-1].lower().strip("(\"'")
            rest = para[end:].lstrip()
            if not rest:
                continue
            if match.group().startswith(".") and (
                before in _ABBREV
                or (len(before) == 1 and before.isalpha())
                or re.fullmatch(r"(?:[a-z]\.)+[a-z]?", before)
            ):
                continue
            spaced = match.start() > 0 and para[match.start() - 1] == " "
            if not (rest[0].isupper() or rest[0].isdigit() or rest[0] in "\"'([" or spaced):
                continue
            piece = para[start:end].strip()
            if piece:
                out.append(piece)
            start = end
        tail = para[start:].strip()
        if tail:
            out.append(tail)
    return out
