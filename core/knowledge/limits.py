"""Bounds on what one file may make the readers do, so an admin can drop anything into the Knowledge tab.

A 1.4 MB `.docx` can unpack to gigabytes of XML (a zip bomb needs no more than a renamed zip), a
PDF can have thousands of pages, a CSV millions of rows. Each limit is checked before the work it
bounds (file size before reading, the zip's directory before unpacking, the page count before
extracting), and breaking one is a `LimitExceededError` that names the file, the limit and its
setting.
Parsing itself runs in a child process bounded by `max_parse_mb` and `max_parse_seconds`, for
whatever the checks above cannot foresee (an HTML page of deeply nested tags, a PDF's streams).
Markdown, HTML, Word and long PDF files are streamed in segments (as is a big plain text), so
`max_chars` bounds one segment of them, or a document read whole (`readers.read_document`); the
parser process then holds about one segment at a time.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from pydantic import BaseModel, Field

from earpiece.core.knowledge.errors import LimitExceededError, UnreadableDocumentError

SETTING = "knowledge.limits"


class IngestLimits(BaseModel):
    max_file_mb: float = Field(default=50.0, gt=0)  # any file, as stored on disk
    max_unpacked_mb: float = Field(default=100.0, gt=0)  # DOCX (any zip-based format), unpacked
    max_zip_entries: int = Field(default=2000, gt=0)  # DOCX parts
    max_pdf_pages: int = Field(default=1000, gt=0)
    max_csv_rows: int = Field(default=20000, gt=0)
    max_chars: int = Field(default=5_000_000, gt=0)  # extracted text per document read whole, or per segment
    # The child process that parses (see `parsing.py`): memory it may take beyond its own code,
    # and seconds it may spend on one file (or one segment of a streamed text).
    max_parse_mb: int = Field(default=1024, gt=0)
    max_parse_seconds: float = Field(default=120.0, gt=0)

    def check_file_size(self, path: Path) -> None:
        size = path.stat().st_size
        if size > self.max_file_mb * 1e6:
            raise LimitExceededError(
                f"{path}: the file is {size / 1e6:.1f} MB, over the {self.max_file_mb:g} MB limit "
                f"({SETTING}.max_file_mb)"
            )

    def check_zip(self, path: Path, format_name: str) -> None:
        """The zip's own directory says how big it unpacks; Python's zipfile never inflates an entry
        past its declared size, so checking the directory bounds the unpacking."""
        try:
            with zipfile.ZipFile(path) as archive:
                entries = archive.infolist()
        except (zipfile.BadZipFile, OSError) as exc:
            raise UnreadableDocumentError(f"{path}: not a readable {format_name} file: {exc}") from exc
        if len(entries) > self.max_zip_entries:
            raise LimitExceededError(
                f"{path}: the file holds {len(entries)} parts, over the limit of {self.max_zip_entries} "
                f"({SETTING}.max_zip_entries); is it really a {format_name} file?"
            )
        unpacked = sum(e.file_size for e in entries)
        if unpacked > self.max_unpacked_mb * 1e6:
            raise LimitExceededError(
                f"{path}: the file unpacks to {unpacked / 1e6:.0f} MB, over the {self.max_unpacked_mb:g} MB "
                f"limit ({SETTING}.max_unpacked_mb); a zip bomb, or a document too big to ingest whole"
            )

    def check_pages(self, path: Path, pages: int) -> None:
        if pages > self.max_pdf_pages:
            raise LimitExceededError(
                f"{path}: the PDF has {pages} pages, over the limit of {self.max_pdf_pages} "
                f"({SETTING}.max_pdf_pages)"
            )

    def check_rows(self, path: Path, rows: int) -> None:
        if rows > self.max_csv_rows:
            raise LimitExceededError(
                f"{path}: the CSV has more than {self.max_csv_rows} rows ({SETTING}.max_csv_rows)"
            )

    def parse_memory_error(self, path: Path) -> LimitExceededError:
        return LimitExceededError(
            f"{path}: reading it needed more than {self.max_parse_mb} MB of memory, the limit "
            f"({SETTING}.max_parse_mb); the file is hostile or broken, or too big to read"
        )

    def parse_time_error(self, path: Path) -> LimitExceededError:
        return LimitExceededError(
            f"{path}: reading it took more than {self.max_parse_seconds:g} s, the limit "
            f"({SETTING}.max_parse_seconds); the file is hostile or broken, or too big to read"
        )

    def check_chars(self, path: Path, chars: int) -> None:
        if chars > self.max_chars:
            raise LimitExceededError(
                f"{path}: the document holds {chars:,} characters of text, over the limit of "
                f"{self.max_chars:,} ({SETTING}.max_chars)"
            )
