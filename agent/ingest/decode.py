"""Decoding input bytes and normalising text.

Encodings, BOMs, binary sniffing, control and invisible characters.
"""

from __future__ import annotations

import codecs
import html
import re
import unicodedata

from ..errors import InputError
from ..text.sanitize import strip_escapes

# --------------------------------------------------------------------------- normalisation

_NEWLINES = re.compile(r"\r\n?|[\u2028\u2029\x85\x0b\x0c]")
_INVISIBLE = re.compile(
    "[\u200b\u200c\u200d\u2060\ufeff\u00ad\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)
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
    r"""Unify newlines, drop terminal escape sequences, zero-width and control chars
    (keeping \n and \t), NFC-normalise.
    """
    text = _NEWLINES.sub("\n", text)
    text = _INVISIBLE.sub("", text)
    text = _C1.sub(_c1_to_cp1252, text)  # first: a C1 byte here is mis-decoded cp1252
    text = strip_escapes(text)  # whole sequences: "\x1b[31m" leaves nothing behind
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
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
]
_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 12, 13)) + b"\x7f"
_WESTERN = {
    "cp1250",
    "cp1252",
    "latin_1",
    "iso8859_15",
    "iso8859_2",
    "mac_roman",
    "cp1257",
    "iso8859_9",
    "cp1254",
}
_LABELS = {
    "cp1252": "windows-1252",
    "cp1251": "windows-1251",
    "latin_1": "iso-8859-1",
    "utf_16_le": "UTF-16-LE",
    "utf_16_be": "UTF-16-BE",
}


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
    """charset-normalizer's guess.

    For Latin-script guesses, windows-1252 if it reads the same way.
    """
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
            raise InputError(
                f"{source}: contains NUL bytes; this looks like a binary file, not text"
            )
        text, codec = found
        warnings.append(f"decoded as {_LABELS[codec.replace('-', '_')]} (no byte-order mark)")
    if text is None:
        sample = data[: 1 << 20]
        if len(sample) - len(sample.translate(None, _CONTROL_BYTES)) > len(sample) // 20 + 1:
            raise InputError(
                f"{source}: mostly control characters; this looks like a binary file, not text"
            )
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
        warnings.append(
            f"not UTF-8; decoded as {_LABELS.get(encoding, encoding.replace('_', '-'))}"
        )
        return text
    warnings.append("not UTF-8; decoded as windows-1252 with replacement characters")
    return data.decode("cp1252", errors="replace")
