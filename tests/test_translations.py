"""The translation catalogues: Indonesian complete, compiled catalogues current, labels switch.

Indonesian (``id``) is the default language and must be complete; English (``en``) is the
source language, so its catalogue stays empty. After editing a ``django.po`` run
``make messages`` (``manage.py compilemessages``) and commit the ``.mo`` with it.
"""

from __future__ import annotations

import ast
import gettext
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from notifications.messages import render
from processes.models import Plan

LOCALE = Path(settings.LOCALE_PATHS[0])
LANGUAGES = ["id", "en"]
MSGFMT = shutil.which("msgfmt")
needs_msgfmt = pytest.mark.skipif(MSGFMT is None, reason="GNU gettext (msgfmt) is not installed")

# A git checkout writes django.mo just before django.po (index order), so on a fresh clone the
# .mo can be a few microseconds older than the .po; anything beyond this is a real staleness.
MTIME_TOLERANCE_SECONDS = 2.0


def po_path(language: str) -> Path:
    return LOCALE / language / "LC_MESSAGES" / "django.po"


def mo_path(language: str) -> Path:
    return po_path(language).with_suffix(".mo")


# A small .po parser ------------------------------------------------------------------------


@dataclass
class Entry:
    line: int
    flags: set[str] = field(default_factory=set)
    msgctxt: str | None = None
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """The catalogue key gettext uses: ``context\\x04msgid`` when there is a context."""
        return self.msgid if self.msgctxt is None else f"{self.msgctxt}\x04{self.msgid}"

    @property
    def translated(self) -> bool:
        return bool(self.msgstr) and all(self.msgstr.values())


_KEYWORD = re.compile(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(\".*\")\s*$")


def parse_po(path: Path) -> list[Entry]:
    """Parse a .po file into entries (header included, as the entry with msgid "")."""
    entries: list[Entry] = []
    current = Entry(line=1)
    target: tuple[str, int | None] | None = None

    def finish() -> None:
        nonlocal current
        if current.msgstr or current.msgid or current.msgid_plural is not None:
            entries.append(current)
        current = Entry(line=number + 1)

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            if current.msgstr:
                finish()
            # Flags with no message after them (as before an obsolete "#~" entry) are dropped.
            current, target = Entry(line=number + 1), None
            continue
        if line.startswith("#,"):
            if current.msgstr:
                finish()
            current.flags |= {flag.strip() for flag in line[2:].split(",") if flag.strip()}
            continue
        if line.startswith("#"):  # comments, references and obsolete "#~" entries
            if current.msgstr:
                finish()
            continue
        match = _KEYWORD.match(line)
        if match:
            keyword, index, text = match.groups()
            if keyword in ("msgctxt", "msgid") and current.msgstr:
                finish()
            value = ast.literal_eval(text)
            if keyword == "msgctxt":
                current.msgctxt, target = value, ("msgctxt", None)
            elif keyword == "msgid":
                current.msgid, current.line, target = value, number, ("msgid", None)
            elif keyword == "msgid_plural":
                current.msgid_plural, target = value, ("msgid_plural", None)
            else:
                slot = int(index) if index is not None else 0
                current.msgstr[slot], target = value, ("msgstr", slot)
            continue
        if line.startswith('"') and target is not None:
            value = ast.literal_eval(line)
            name, slot = target
            if name == "msgstr":
                current.msgstr[slot] += value
            else:
                setattr(current, name, (getattr(current, name) or "") + value)
            continue
        raise AssertionError(f"{path}:{number}: cannot parse {raw!r}")
    if current.msgstr:
        entries.append(current)
    return entries


def expected_catalog(entries: list[Entry]) -> dict:
    """What msgfmt puts in the .mo: translated, non-fuzzy entries, keyed as GNUTranslations does."""
    catalog: dict = {}
    for entry in entries:
        if entry.msgid == "" or "fuzzy" in entry.flags or not entry.translated:
            continue
        if entry.msgid_plural is None:
            catalog[entry.key] = entry.msgstr[0]
        else:
            for slot, text in entry.msgstr.items():
                catalog[(entry.key, slot)] = text
    return catalog


def load_mo(path: Path) -> gettext.GNUTranslations:
    with path.open("rb") as handle:
        return gettext.GNUTranslations(handle)


def translations_only(mo: gettext.GNUTranslations) -> dict:
    """The catalogue without the header (whose dates change on every makemessages run)."""
    return {key: value for key, value in mo._catalog.items() if key != ""}


def header_essentials(mo: gettext.GNUTranslations) -> dict:
    return {key: mo.info().get(key) for key in ("language", "content-type", "plural-forms")}


# The Indonesian catalogue is complete -------------------------------------------------------


def test_indonesian_catalogue_has_no_untranslated_or_fuzzy_entries():
    entries = parse_po(po_path("id"))
    messages = [entry for entry in entries if entry.msgid != ""]
    assert messages, "the Indonesian catalogue is empty"
    untranslated = [f"line {entry.line}: {entry.msgid!r}" for entry in messages if not entry.translated]
    fuzzy = [f"line {entry.line}: {entry.msgid!r}" for entry in entries if "fuzzy" in entry.flags]
    assert not untranslated, "untranslated:\n" + "\n".join(untranslated)
    assert not fuzzy, "fuzzy (header included):\n" + "\n".join(fuzzy)


def test_indonesian_catalogue_keeps_every_placeholder():
    placeholder = re.compile(r"%\(\w+\)[sdif]|%[sdif]|“|”")
    wrong = []
    for entry in parse_po(po_path("id")):
        if entry.msgid == "":
            continue
        sources = [entry.msgid] if entry.msgid_plural is None else [entry.msgid, entry.msgid_plural]
        expected = sorted(placeholder.findall(sources[-1]))
        for text in entry.msgstr.values():
            if sorted(placeholder.findall(text)) != expected:
                wrong.append(f"line {entry.line}: {entry.msgid!r} -> {text!r}")
    assert not wrong, "placeholders differ:\n" + "\n".join(wrong)


def test_indonesian_header():
    header = next(entry for entry in parse_po(po_path("id")) if entry.msgid == "").msgstr[0]
    assert "Language: id\n" in header
    assert "Content-Type: text/plain; charset=UTF-8\n" in header
    assert "Plural-Forms: nplurals=1; plural=0;\n" in header


@needs_msgfmt
def test_msgfmt_statistics_report_everything_translated():
    run = subprocess.run(
        [MSGFMT, "--check", "--statistics", "-o", "/dev/null", str(po_path("id"))],
        capture_output=True, text=True, check=False,
    )
    assert run.returncode == 0, run.stderr
    report = run.stderr + run.stdout
    assert re.search(r"\d+ translated messages?\.$", report.strip()), report
    assert "untranslated" not in report and "fuzzy" not in report, report


# The committed .mo files are current ---------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_mo_is_not_older_than_po(language):
    po, mo = po_path(language), mo_path(language)
    assert mo.exists(), f"{mo} is missing: run `make messages`"
    assert mo.stat().st_mtime >= po.stat().st_mtime - MTIME_TOLERANCE_SECONDS, (
        f"{mo.name} is older than {po.name}: run `make messages`"
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_mo_holds_exactly_the_translations_of_the_po(language):
    """Independent of GNU gettext: the .po as parsed here against the committed .mo."""
    mo = load_mo(mo_path(language))
    assert translations_only(mo) == expected_catalog(parse_po(po_path(language))), (
        f"{mo_path(language)} does not match its .po: run `make messages`"
    )


@needs_msgfmt
@pytest.mark.parametrize("language", LANGUAGES)
def test_mo_matches_a_fresh_msgfmt_compile(language, tmp_path):
    fresh = tmp_path / "django.mo"
    subprocess.run([MSGFMT, "--check-format", "-o", str(fresh), str(po_path(language))], check=True)
    committed, compiled = load_mo(mo_path(language)), load_mo(fresh)
    assert translations_only(committed) == translations_only(compiled), (
        f"{mo_path(language)} differs from a fresh compile of its .po: run `make messages`"
    )
    assert header_essentials(committed) == header_essentials(compiled)


# The labels switch with the language ---------------------------------------------------------

RETURNED = {"year": 2025, "comment": "Target IKI belum terukur"}


def test_indonesian_labels():
    with translation.override("id"):
        assert Plan.Status.SUBMITTED.label == "Diajukan"
        assert str(Plan._meta.verbose_name) == "Sasaran Kinerja Pegawai (SKP)"
        assert render("plan.returned", RETURNED) == (
            "SKP tahun 2025 Anda dikembalikan untuk diperbaiki: Target IKI belum terukur"
        )


def test_english_labels():
    with translation.override("en"):
        assert Plan.Status.SUBMITTED.label == "Submitted"
        assert str(Plan._meta.verbose_name) == "performance plan (SKP)"
        assert render("plan.returned", RETURNED) == (
            "Your performance plan (SKP) 2025 was returned for revision: Target IKI belum terukur"
        )


def test_render_takes_the_recipients_language_over_the_active_one():
    with translation.override("en"):
        assert render("plan.approved", {"year": 2025}, language="id") == "SKP tahun 2025 Anda telah disetujui."
        assert translation.get_language() == "en"
