"""Issue 14: evidence is checked by its content, stored and served as the type found.

The attacks: a file was served with the content type its sender claimed (an HTML page sent as
"text/html" inside a PDF's name came back as text/html), and any zip passed for a docx, any
Word/Excel/PowerPoint 97-2003 file for another.
"""

from __future__ import annotations

import io
import struct
import zipfile

import olefile
import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from processes.models import Evidence
from processes.rules import default_rules, validate_rules
from processes.services.evidence_files import detect

from .helpers import english, open_reports, report_url

pytestmark = pytest.mark.django_db


# Files of each kind, made here ---------------------------------------------------------------------


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def office_open_xml(main_part: str) -> bytes:
    return zipped({"[Content_Types].xml": b"<Types/>", main_part: b"<document/>"})


def open_document(kind: str) -> bytes:
    return zipped({"mimetype": f"application/vnd.oasis.opendocument.{kind}".encode(), "content.xml": b"<office/>"})


def workbook() -> bytes:
    buffer = io.BytesIO()
    book = openpyxl.Workbook()
    book.active["A1"] = "Realisasi"
    book.save(buffer)
    return buffer.getvalue()


_FREE, _END, _FAT_SECTOR, _NONE = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF


def _directory_entry(name: str, kind: int, *, child: int = _NONE, start: int = _END, size: int = 0) -> bytes:
    encoded = (name + "\0").encode("utf-16-le") if name else b""
    return (encoded.ljust(64, b"\0") + struct.pack("<HBB", len(encoded), kind, 1) + struct.pack("<III", _NONE, _NONE, child)
            + b"\0" * 36 + struct.pack("<IQ", start, size))


def compound_file(stream: str) -> bytes:
    """A minimal OLE compound file (a Word/Excel/PowerPoint 97-2003 container) holding one
    4 KB stream named ``stream``: header, one FAT sector, one directory sector, the stream."""
    fat = [_FAT_SECTOR, _END, *range(3, 10), _END]
    header = (olefile.MAGIC + b"\0" * 16 + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + b"\0" * 6
              + struct.pack("<9I", 0, 1, 1, 0, 4096, _END, 0, _END, 0) + struct.pack("<I", 0) + struct.pack("<I", _FREE) * 108)
    directory = (_directory_entry("Root Entry", 5, child=1) + _directory_entry(stream, 2, start=2, size=4096)
                 + _directory_entry("", 0) * 2)
    return header + struct.pack("<128I", *(fat + [_FREE] * (128 - len(fat)))) + directory + b"\0" * 4096


PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF"
FILES = {
    "pdf": (PDF, "application/pdf"),
    "png": (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "image/png"),
    "jpg": (b"\xff\xd8\xff\xe0\0\x10JFIF\0", "image/jpeg"),
    "jpeg": (b"\xff\xd8\xff\xdb\0\x43\0", "image/jpeg"),
    "docx": (office_open_xml("word/document.xml"), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "xlsx": (workbook(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "pptx": (office_open_xml("ppt/presentation.xml"), "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
    "odt": (open_document("text"), "application/vnd.oasis.opendocument.text"),
    "ods": (open_document("spreadsheet"), "application/vnd.oasis.opendocument.spreadsheet"),
    "doc": (compound_file("WordDocument"), "application/msword"),
    "xls": (compound_file("Workbook"), "application/vnd.ms-excel"),
    "ppt": (compound_file("PowerPoint Document"), "application/vnd.ms-powerpoint"),
}


@pytest.fixture
def report(org, cycle, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return open_reports(cycle)[org.employee.pk]


def send(user, report, filename: str, content: bytes, claimed: str = "application/octet-stream", **fields):
    file = SimpleUploadedFile(filename, content, content_type=claimed)
    return english(user).post(report_url(report, "evidence"), {"file": file, **fields}, format="multipart")


# Accepted by content, stored and served as found ----------------------------------------------------


@pytest.mark.parametrize("extension", list(FILES))
def test_each_allowed_kind_is_recognised_by_its_content_and_served_as_that_type(org, report, extension):
    content, content_type = FILES[extension]
    response = send(org.employee.user, report, f"bukti.{extension}", content, claimed="text/html")
    assert response.status_code == 201, response.content
    assert response.json()["content_type"] == content_type
    download = english(org.kabid.user).get(response.json()["download"])
    assert download.status_code == 200 and download["Content-Type"] == content_type
    assert b"".join(download.streaming_content) == content


def test_a_pdf_claimed_as_html_is_served_as_a_pdf_attachment_never_as_html(org, report):
    response = send(org.employee.user, report, "notulen.pdf", b"%PDF-1.4 <html><script>alert(1)</script>", claimed="text/html")
    evidence = Evidence.objects.get(pk=response.json()["id"])
    assert evidence.content_type == "application/pdf"
    download = english(org.kabid.user).get(response.json()["download"])
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["X-Content-Type-Options"] == "nosniff"


def test_a_file_stored_with_a_claimed_type_before_is_served_by_its_checked_extension(org, report):
    response = send(org.employee.user, report, "notulen.pdf", PDF)
    Evidence.objects.filter(pk=response.json()["id"]).update(content_type="text/html")  # as the old code kept it
    assert english(org.employee.user).get(response.json()["download"])["Content-Type"] == "application/pdf"


def test_the_download_name_keeps_the_original_extension(org, report):
    named = send(org.employee.user, report, "SCAN-001.PDF", PDF, name="Notulen rapat Januari")
    assert named.json()["name"] == "Notulen rapat Januari"
    disposition = english(org.employee.user).get(named.json()["download"])["Content-Disposition"]
    assert disposition == 'attachment; filename="Notulen rapat Januari.pdf"'
    plain = send(org.employee.user, report, "laporan.xlsx", FILES["xlsx"][0])
    assert english(org.employee.user).get(plain.json()["download"])["Content-Disposition"] == 'attachment; filename="laporan.xlsx"'
    stored = Evidence.objects.get(pk=named.json()["id"]).file.name
    assert stored.endswith(".pdf") and "SCAN-001" in stored


# Refused when the content is not what the name says --------------------------------------------------


@pytest.mark.parametrize("name, content", [
    ("laporan.docx", FILES["xlsx"][0]),
    ("laporan.docx", zipped({"index.html": b"<script>alert(1)</script>"})),
    ("laporan.xlsx", FILES["odt"][0]),
    ("laporan.ods", FILES["odt"][0]),
    ("laporan.doc", FILES["xls"][0]),
    ("laporan.ppt", compound_file("Contents")),
    ("laporan.docx", b"PK\x03\x04 not really a zip"),
    ("foto.jpg", FILES["png"][0]),
    ("notulen.pdf", b"<html>bukan pdf</html>"),
], ids=["xlsx-as-docx", "zip-as-docx", "odt-as-xlsx", "odt-as-ods", "xls-as-doc", "other-ole-as-ppt", "broken-zip",
        "png-as-jpg", "html-as-pdf"])
def test_a_file_whose_content_is_not_its_extension_is_a_400(org, report, name, content):
    response = send(org.employee.user, report, name, content, claimed="application/pdf")
    assert response.status_code == 400
    extension = name.rsplit(".", 1)[1]
    assert response.json()["errors"] == {"file": [f"The file's content is not a {extension} file."]}
    assert not Evidence.objects.exists()


def test_the_report_page_refuses_it_alike(org, report):
    page = Client(HTTP_ACCEPT_LANGUAGE="en")
    page.force_login(org.employee.user)
    file = SimpleUploadedFile("laporan.docx", FILES["xlsx"][0], content_type="application/msword")
    response = page.post(f"/reports/{report.pk}/", {"op": "upload", "file": file})
    assert response.status_code == 400 and "The file&#x27;s content is not a docx file." in response.content.decode()
    assert not Evidence.objects.exists()


def test_detection_leaves_the_file_at_its_start_and_knows_no_other_kind():
    file = io.BytesIO(FILES["doc"][0])
    file.seek(100)
    assert detect(file) == "doc" and file.tell() == 0
    for unknown in (b"GIF89a", b"MZ\x90\0", b"", olefile.MAGIC + b"\0" * 100):
        assert detect(io.BytesIO(unknown)) is None


def test_a_rule_set_may_allow_only_kinds_whose_content_can_be_recognised():
    rules = default_rules()
    rules["evidence"]["extensions"] = ["pdf", "exe"]
    with pytest.raises(Exception) as refused:
        validate_rules(rules)
    assert "evidence" in refused.value.message_dict
