"""Decoding page bytes and text hygiene."""

from __future__ import annotations

import pytest

from search.extract.decode import clean_line, clean_text, decode_bytes, sniff_binary

TEXT = "Coopération militaire : l’été à Ségou « déjà » prévu"


@pytest.mark.parametrize("data", [
    TEXT.encode("utf-8"), b"\xef\xbb\xbf" + TEXT.encode("utf-8"), TEXT.encode("cp1252"),
    TEXT.encode("utf-16"), TEXT.encode("utf-32"),
], ids=["utf8", "bom", "cp1252", "utf16", "utf32"])
def test_bytes_in_any_common_encoding_decode_to_the_same_text(data):
    assert decode_bytes(data) == TEXT


def test_latin1_bytes_undefined_in_cp1252_still_decode():
    assert decode_bytes("caf\xe9 \x81".encode("latin-1")) == "café "


def test_mojibake_from_a_double_decoding_is_repaired():
    assert decode_bytes(TEXT.encode("utf-8").decode("cp1252").encode("utf-8")) == TEXT


@pytest.mark.parametrize("raw,clean", [
    ("a\r\nb\rc", "a\nb\nc"),
    ("e\u0301te\u0301", "été"),
    ("a\u00a0:\u202fb", "a : b"),
    ("in\u200bvisible\u00ad", "invisible"),
    ("bell\x07\x1b", "bell"),
    ("l’été", "l’été"),  # typographic apostrophes are kept for display
])
def test_clean_text_normalises_line_ends_accents_spaces_and_controls(raw, clean):
    assert clean_text(raw) == clean


def test_clean_line_collapses_inner_spaces():
    assert clean_line("  un   deux  ") == "un deux"


@pytest.mark.parametrize("data,reason", [
    (b"%PDF-1.7", "binary file (PDF document)"), (b"PK\x03\x04zip", "binary file (ZIP archive (or Office document))"),
    (b"a\x00b", "binary file (NUL bytes)"), (bytes(range(1, 32)) * 20, "binary file (control bytes)"),
    (TEXT.encode("utf-16"), None), (TEXT.encode(), None),
])
def test_binary_files_are_recognised_with_a_readable_reason(data, reason):
    assert sniff_binary(data) == reason
