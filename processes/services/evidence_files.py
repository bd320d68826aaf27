"""What an uploaded file is, by its content: the kinds of evidence a rule set may allow.

A file's name and the content type its sender claimed are the sender's word; the first bytes
(and, for the zip- and OLE-based office formats, the parts inside) are the file's. Evidence is
accepted only when its content is the kind its extension names, and is stored and served with
the content type found here.
"""

from __future__ import annotations

import zipfile

import olefile

# Extension -> the kind its content must be (jpeg is a jpg).
KIND_OF_EXTENSION = {
    "pdf": "pdf", "png": "png", "jpg": "jpg", "jpeg": "jpg",
    "docx": "docx", "xlsx": "xlsx", "pptx": "pptx", "odt": "odt", "ods": "ods", "odp": "odp",
    "doc": "doc", "xls": "xls", "ppt": "ppt",
}
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "odp": "application/vnd.oasis.opendocument.presentation",
    "doc": "application/msword",
    "xls": "application/vnd.ms-excel",
    "ppt": "application/vnd.ms-powerpoint",
}
UNKNOWN_CONTENT_TYPE = "application/octet-stream"

ZIP = b"PK\x03\x04"
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Office Open XML: the main part of each kind.
OOXML_PARTS = {"word/document.xml": "docx", "xl/workbook.xml": "xlsx", "ppt/presentation.xml": "pptx"}
# OpenDocument: the first member, "mimetype", names the kind.
ODF_TYPES = {CONTENT_TYPES[kind]: kind for kind in ("odt", "ods", "odp")}
# Word, Excel and PowerPoint 97-2003: the stream each keeps its content in.
OLE_STREAMS = {"WordDocument": "doc", "Workbook": "xls", "Book": "xls", "PowerPoint Document": "ppt"}


def kind_of_extension(extension: str) -> str | None:
    return KIND_OF_EXTENSION.get(extension.lower())


def content_type_of(extension: str) -> str:
    """The content type a file of this extension is served with (a stored file's extension was
    checked against its content when it was uploaded)."""
    return CONTENT_TYPES.get(kind_of_extension(extension) or "", UNKNOWN_CONTENT_TYPE)


def detect(file) -> str | None:
    """The kind ``file`` (a seekable binary file) is, by its content; None if none we know. The
    file is left at its start."""
    try:
        file.seek(0)
        head = file.read(8)
        if head.startswith(b"%PDF"):
            return "pdf"
        if head.startswith(b"\x89PNG\r\n\x1a\n"):
            return "png"
        if head.startswith(b"\xff\xd8\xff"):
            return "jpg"
        if head.startswith(ZIP):
            return _zip_kind(file)
        if head.startswith(OLE):
            return _ole_kind(file)
        return None
    finally:
        file.seek(0)


def _zip_kind(file) -> str | None:
    # Only the member list and the few bytes of "mimetype" are read: nothing is decompressed in
    # bulk, so a zip bomb costs nothing here.
    try:
        with zipfile.ZipFile(file) as archive:
            names = set(archive.namelist())
            for part, kind in OOXML_PARTS.items():
                if part in names and "[Content_Types].xml" in names:
                    return kind
            if "mimetype" in names:
                with archive.open("mimetype") as member:
                    return ODF_TYPES.get(member.read(100).decode("ascii", "replace").strip())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, NotImplementedError):
        return None
    return None


def _ole_kind(file) -> str | None:
    try:
        ole = olefile.OleFileIO(file)
    except Exception:  # noqa: BLE001 - a malformed compound file may fail in many ways: it is simply not one
        return None
    try:
        streams = {"/".join(path) for path in ole.listdir()}
    except Exception:  # noqa: BLE001 - as above
        return None
    finally:
        ole.close()
    for stream, kind in OLE_STREAMS.items():
        if stream in streams:
            return kind
    return None
