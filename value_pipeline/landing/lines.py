"""Count a text file's own lines, independently of the parser that reads its rows.

A *line* ends at LF, CRLF or a lone CR, and a last line without a line ending counts too. A *record*
is what a CSV reader that honours quotes sees: a line ending inside a quoted value (an odd number of
``"`` before it since the last record) continues the record on the next line. A *blank line* is an
empty line between records; DuckDB's readers skip them. So every line of a file is the header, a
blank line, a row, or a continuation line of a row whose quoted value holds a line break, and a load
reconciles when the rows read equal records minus header and blank lines.

The count is vectorised (numpy over 64 MiB chunks, about 1 GB/s), so it can run on every file. The
quote parity is a fast model of CSV quoting; when it disagrees with the rows read, ``csv_records``
(Python's csv module, slower) decides and finds the first line at fault.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

CHUNK = 64 * 2**20
LF, CR, QUOTE = 10, 13, 34


@dataclass(frozen=True)
class LineCount:
    """The lines of one file: ``lines = records + continuation lines``; blank lines are records."""

    lines: int
    records: int
    blank: int
    # First line of the last record when a quoted value is still open at the end of the file.
    open_quote_line: int | None = None


def _open(path: Path, compressed: bool):
    return gzip.open(path, "rb") if compressed else open(path, "rb")


def count_lines(path: Path, compressed: bool = False, quoted: bool = True) -> LineCount:
    """Lines, records and blank lines of ``path`` (``quoted``: CSV quoting applies)."""
    lines = records = blank = 0
    quotes_open = False  # parity of quotes since the last record ended
    at_record_start = True  # nothing read since the last record ended
    record_start_line = 1
    trailing = False  # bytes after the last line ending
    carry = b""
    first = True
    with _open(path, compressed) as handle:
        while True:
            chunk = handle.read(CHUNK)
            buf = carry + chunk
            carry = b""
            if chunk and buf.endswith(b"\r"):
                # A CR at the end of a chunk may be the first half of a CRLF.
                buf, carry = buf[:-1], b"\r"
            if not buf:
                if not chunk:
                    break
                continue
            whole = first and len(chunk) < CHUNK and not carry
            first = False
            if whole and b"\r" not in buf and not (quoted and b'"' in buf):
                return _count_plain(buf)  # LF endings and no quotes: most files
            arr = np.frombuffer(buf, dtype=np.uint8)
            lf = np.flatnonzero(arr == LF)
            cr = np.flatnonzero(arr == CR)
            lone_cr = cr[(cr + 1 >= arr.size) | (arr[np.minimum(cr + 1, arr.size - 1)] != LF)]
            ends = np.sort(np.concatenate([lf, lone_cr]))
            starts = ends.copy()
            crlf = (arr[ends] == LF) & (ends > 0)
            crlf[crlf] = arr[ends[crlf] - 1] == CR
            starts[crlf] -= 1
            if quoted:
                # A line ending closes the record when the quotes since the last record are even.
                quote_pos = np.flatnonzero(arr == QUOTE)
                closes = (np.searchsorted(quote_pos, starts) + int(quotes_open)) % 2 == 0
                quotes_open = (int(quotes_open) + quote_pos.size) % 2 == 1
            else:
                closes = np.ones(ends.size, dtype=bool)
            if ends.size:
                # A blank line: a record that ends right where the previous record ended.
                prev_end = np.concatenate([[-1], ends[:-1]])
                prev_closed = np.concatenate([[at_record_start], closes[:-1]])
                blank += int(np.count_nonzero((starts == prev_end + 1) & closes & prev_closed))
                record_ends = np.flatnonzero(closes)
                if record_ends.size:
                    record_start_line = lines + int(record_ends[-1]) + 2
                lines += ends.size
                records += record_ends.size
                trailing = int(ends[-1]) < arr.size - 1
                at_record_start = bool(closes[-1]) and not trailing
            else:
                trailing, at_record_start = True, False
            if not chunk:
                break
    if trailing:
        lines += 1
    if trailing or quotes_open:
        records += 1
    open_line = record_start_line if quotes_open else None
    return LineCount(lines=lines, records=records, blank=blank, open_quote_line=open_line)


def _count_plain(data: bytes) -> LineCount:
    """The count of a whole file whose lines end with LF and that holds no quote."""
    parts = data.split(b"\n")
    ended = parts[-1] == b""
    lines = len(parts) - ended
    return LineCount(lines=lines, records=lines, blank=parts.count(b"") - ended)


def csv_records(path: Path, compressed: bool, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """(first line, fields) of every non-blank record as Python's csv module reads it."""
    with _open(path, compressed) as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8", errors="replace", newline="")
        reader = csv.reader(text, delimiter=delimiter, quotechar='"', doublequote=True, strict=False)
        line = 1
        try:
            for fields in reader:
                if fields:
                    yield line, fields
                line = reader.line_num + 1
        except csv.Error:
            yield line, ["<unreadable record>"]
