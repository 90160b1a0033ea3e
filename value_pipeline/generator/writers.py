"""Byte-deterministic writers for the landing formats (same data -> same bytes on every run)."""

from __future__ import annotations

import gzip
import io
import re
import zipfile
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

BOM = b"\xef\xbb\xbf"
FIXED_ZIP_TIME = (2000, 1, 1, 0, 0, 0)


def csv_bytes(table: pa.Table, delimiter: str = ",") -> bytes:
    """Header plus unquoted rows; pyarrow refuses a value that would need quoting, which is a bug here."""
    body = io.BytesIO()
    options = pcsv.WriteOptions(include_header=False, delimiter=delimiter, quoting_style="none")
    pcsv.write_csv(table, body, options)
    return (delimiter.join(table.column_names) + "\n").encode() + body.getvalue()


def write_csv(
    table: pa.Table, path: Path, *, delimiter: str = ",", bom: bool = False, compress: bool = False
) -> None:
    data = (BOM if bom else b"") + csv_bytes(table, delimiter)
    path.parent.mkdir(parents=True, exist_ok=True)
    if compress:
        # mtime=0 and no file name in the header keep the gzip bytes reproducible.
        with open(path, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as out:
            out.write(data)
    else:
        path.write_bytes(data)


def write_frame_csv(frame: pd.DataFrame, path: Path) -> None:
    write_csv(pa.Table.from_pandas(frame, preserve_index=False), path)


def write_jsonl(table: pa.Table, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(table.to_pandas().to_json(orient="records", lines=True), encoding="utf-8")


def write_parquet(table: pa.Table, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)


def write_xlsx(frame: pd.DataFrame, path: Path, sheet_name: str) -> None:
    """An Excel workbook whose bytes do not depend on the clock (fixed zip times and document dates)."""
    buffer = io.BytesIO()
    frame.to_excel(buffer, sheet_name=sheet_name, index=False, engine="openpyxl")
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "docProps/core.xml":
                data = re.sub(
                    rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*", rb"\g<1>2000-01-01T00:00:00Z", data
                )
            target.writestr(
                zipfile.ZipInfo(item.filename, date_time=FIXED_ZIP_TIME), data, zipfile.ZIP_DEFLATED
            )
