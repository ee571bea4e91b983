"""Word lists the extractors share: months, number words, units, titles, speech verbs."""

from __future__ import annotations

from ..text.match import STOPWORDS

# --------------------------------------------------------------------------- tables

MONTHS = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
    "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9,
    "sept": 9, "oct": 10, "nov": 11, "dec": 12,
}
WEEKDAYS = {"monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5, "sunday": 6}
ONES = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}
TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
SCALES = {
    "hundred": 1e2, "thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12,
    "k": 1e3, "m": 1e6, "mn": 1e6, "bn": 1e9, "tn": 1e12, "dozen": 12,
}
CURRENCIES = {"$": "USD", "us$": "USD", "€": "EUR", "£": "GBP"}
QUALIFIERS = (
    "more than", "less than", "fewer than", "over", "under", "up to", "as many as", "as few as",
    "almost", "nearly", "about", "around", "roughly", "approximately", "some", "at least",
    "at most", "close to", "just over", "just under", "well over", "upwards of", "an estimated",
    "estimated", "only", "exactly",
)
TIME_UNITS = {"second", "minute", "hour", "day", "week", "month", "year", "decade", "century"}
COUNT_UNITS = {
    "people", "persons", "civilians", "children", "women", "men", "soldiers", "troops", "fighters",
    "militants", "rebels", "refugees", "migrants", "residents", "deaths", "dead", "casualties",
    "victims", "units", "groups", "countries", "nations", "families", "homes", "buildings",
    "villages", "towns", "documents", "tonnes", "tons", "barrels", "km", "kilometres",
    "kilometers", "miles", "metres", "meters", "aircraft", "jets", "planes", "vehicles",
    "members", "votes", "seats", "points", "dollars", "euros", "pounds", "hostages",
    "prisoners", "detainees", "journalists", "patients", "workers", "officials", "police",
    "officers", "protesters", "staff", "percent", "euro", "dollar", "doses",
} | {unit + "s" for unit in TIME_UNITS} | TIME_UNITS | {"person", "child", "civilian", "centuries"}
OUTCOMES = {
    "killed": "killed", "killing": "killed", "dead": "dead", "died": "dead", "wounded": "wounded",
    "wounding": "wounded", "injured": "injured", "injuring": "injured", "displaced": "displaced",
    "displacing": "displaced", "arrested": "arrested", "detained": "detained",
    "evacuated": "evacuated", "missing": "missing", "fled": "fled", "rescued": "rescued",
    "captured": "captured", "executed": "executed", "kidnapped": "kidnapped",
    "abducted": "abducted", "released": "released", "deployed": "deployed", "joined": "joined",
}
MEASURES = {
    "kg", "kilogram", "kilograms", "g", "gram", "grams", "lb", "lbs", "pound", "km", "kilometre",
    "kilometer", "mile", "metre", "meter", "cm", "mm", "ft", "feet", "foot", "inch", "inches",
    "acre", "acres", "hectare", "hectares", "litre", "liter", "litres", "liters", "gallon",
    "gallons", "tonne", "ton", "mph", "kph", "degree", "degrees",
}
HYPHEN_UNITS = TIME_UNITS | {
    "mile", "kilometre", "kilometer", "km", "member", "man", "person", "seat", "point", "foot",
    "metre", "meter", "page", "story", "storey",
}
RANGE_WORDS = {"to", "and", "or", "-", "–"}
FUNCTION_WORDS = STOPWORDS | {
    "since", "per", "last", "next", "each", "every", "via", "within", "across", "among", "towards",
    "toward", "upon", "like", "including", "another", "such", "many", "much", "several", "less",
    "even", "perhaps", "still", "yet", "ago", "later", "earlier",
}
DETERMINERS = {"the", "these", "those", "both", "its", "their", "his", "her", "our", "all"}
AUXILIARIES = {
    "have", "has", "had", "been", "were", "was", "are", "is", "be", "reportedly", "already", "now", "also",
    "being", "so", "far", "still", "believed", "feared", "presumed", "thought", "to", "confirmed",
}
PERSON_TITLES = {
    "minister", "secretary", "president", "envoy", "ambassador", "spokesman", "spokeswoman",
    "spokesperson", "chancellor", "premier", "senator", "governor", "mayor", "general", "gen",
    "commander", "chairman", "chairwoman", "director", "king", "queen", "prince", "sheikh",
    "emir", "pope", "judge", "colonel", "col", "lieutenant", "captain", "admiral", "mr", "mrs",
    "ms", "dr", "sir", "lord", "lady", "rep", "sen", "representative", "commissioner", "leader",
    "chief", "official", "diplomat", "counterpart", "adviser", "advisor", "negotiator",
    "professor", "prof", "spokesmen", "head",
}
ORG_WORDS = {
    "ministry", "department", "house", "council", "group", "front", "army", "forces", "agency",
    "news", "times", "post", "government", "committee", "union", "nations", "states", "state",
    "republic", "assembly", "center", "centre", "party", "organisation", "organization",
    "federation", "kingdom", "office", "court", "bank", "university", "institute", "force",
    "coalition", "movement", "brigade", "television", "tv", "radio", "press", "network",
    "observatory", "commission", "parliament", "congress", "senate", "pentagon", "kremlin",
}
PARTICLES = r"(?:de|da|di|del|della|der|den|van|von|bin|ibn|al|el|le|la|du|dos|das|ter)"
SPEECH_VERBS = (
    r"(?:said|says|added|adds|told|tells|stated|noted|notes|stressed|warned|insisted|declared|"
    r"announced|explained|argued|claimed|asked|replied|wrote|continued|remarked|commented|"
    r"emphasi[sz]ed|admitted|acknowledged|urged|recalled|concluded|confirmed|tweeted|cautioned|"
    r"suggested|predicted|promised|vowed|pledged|conceded|observed|joked|quipped|jibed|"
    r"claims|insists|argues|warns|explains|recalls|writes|"
    r"saying|adding|noting|claiming|stressing|warning|insisting|telling|arguing|explaining|declaring)"
)
FUTURE_MARKERS = (
    r"\b(?:will|would|shall|'ll|is to|are to|was to|were to|going to|set to|due to|expected to|"
    r"supposed to|scheduled|planned|plans to|plan to|to begin|to start|come into force|comes into force|"
    r"take effect|takes effect|next|upcoming|tomorrow|later)\b"
)
PAST_MARKERS = (
    r"\b(?:said|says|was|were|had|did|met|discussed|approved|agreed|announced|held|signed|took|"
    r"began|ended|started|told|added|stressed|reached|launched|called|killed|took place|visited|"
    r"voted|passed|broadcast|published|reported|last|ago|earlier|yesterday)\b"
)

