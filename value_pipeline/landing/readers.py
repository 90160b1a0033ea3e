"""Read landing files into one all-text DuckDB table with DuckDB's own readers.

Every reader yields the contract's columns as text (missing optional columns as NULL), an ``extra``
JSON object with the columns the contract does not name, the file, its dt= partition and the line of
each row. Typing and validation happen afterwards, in SQL, over the whole batch.
"""

from __future__ import annotations

import csv
import gzip
import itertools
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb
import pandas as pd

from value_pipeline.contracts import Contract
from value_pipeline.landing.discovery import (
    LandingError,
    LandingFile,
    check_xlsx,
    read_header_line,
    sniff_delimiter,
)
from value_pipeline.landing.lines import LineCount, count_lines, csv_records

# Threads counting the lines of landed files while DuckDB reads them.
COUNT_WORKERS = 2


def normalise(name: str) -> str:
    """Column names are matched case-insensitively after trimming (landing contract)."""
    return name.strip().lower()


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _file_list(files: Sequence[LandingFile]) -> str:
    return "[" + ", ".join(quote_literal(str(f.path)) for f in files) + "]"


def _map_columns(
    contract: Contract, delivered: Sequence[str], where: str
) -> tuple[dict[str, str], list[str]]:
    """Map contract columns to delivered names; return (contract name -> delivered, extra names)."""
    by_norm: dict[str, str] = {}
    for name in delivered:
        norm = normalise(name)
        if norm in by_norm:
            raise LandingError(f"{where}: column {norm!r} appears twice in the header")
        by_norm[norm] = name
    missing = [c.name for c in contract.columns if c.required and c.name not in by_norm]
    if missing:
        hint = ""
        if len(delivered) == 1:
            hint = (
                f" (the header has a single column {delivered[0]!r}: is the delimiter a comma or semicolon?)"
            )
        raise LandingError(
            f"{where}: missing required column(s) {', '.join(missing)} for contract {contract.name}{hint}"
        )
    mapping = {c.name: by_norm[c.name] for c in contract.columns if c.name in by_norm}
    contract_names = {c.name for c in contract.columns}
    extras = [by_norm[n] for n in by_norm if n not in contract_names]
    return mapping, extras


def _projection(contract: Contract, mapping: dict[str, str], extras: Sequence[tuple[str, str]], text) -> str:
    """SELECT list in the batch layout; ``text(name)`` renders a delivered column as text.

    ``extras`` pairs each column the contract does not name (its JSON key) with its delivered name.
    """
    cols = [
        f"{text(mapping[c.name]) if c.name in mapping else 'cast(null as varchar)'} as {quote_ident(c.name)}"
        for c in contract.columns
    ]
    if extras:
        pairs = ", ".join(f"{quote_literal(normalise(key))}, {text(name)}" for key, name in extras)
        cols.append(f"cast(json_object({pairs}) as varchar) as extra")
    else:
        cols.append("cast(null as varchar) as extra")
    return ", ".join(cols)


def _as_text(name: str) -> str:
    return f"cast({quote_ident(name)} as varchar)"


def _csv_key(file: LandingFile) -> tuple:
    """What CSV files must share to be read together: delimiter, header and compression."""
    header = read_header_line(file)
    delimiter = sniff_delimiter(header)
    names = tuple(next(iter(_split_header(header, delimiter))))
    return delimiter, names, file.compressed


def _csv_groups(files: Iterable[LandingFile]) -> dict[tuple, list[LandingFile]]:
    groups: dict[tuple, list[LandingFile]] = {}
    for file in files:
        groups.setdefault(_csv_key(file), []).append(file)
    return groups


def _split_header(header: str, delimiter: str):
    return csv.reader([header], delimiter=delimiter)


def _select_csv(contract: Contract, files: list[LandingFile], key: tuple) -> str:
    delimiter, names, _ = key
    mapping, extras = _map_columns(contract, names, files[0].relative_path)
    # Rename the header to positional names so odd delivered names cannot clash in SQL.
    positional = [f"c{i}" for i in range(len(names))]
    rename = dict(zip(names, positional, strict=True))
    mapping = {k: rename[v] for k, v in mapping.items()}
    projection = _projection(contract, mapping, [(e, rename[e]) for e in extras], _as_text)
    # The dialect is given in full: DuckDB's sniffer drops every row of a file with a ragged row
    # and cannot mix CRLF and LF files; without it a bad row is an error naming its line.
    columns = ", ".join(f"{quote_literal(p)}: 'VARCHAR'" for p in positional)
    return (
        f"select {projection}, filename as _file from read_csv({_file_list(files)}, header = true, "
        f"delim = {quote_literal(delimiter)}, quote = '\"', escape = '\"', columns = {{{columns}}}, "
        f"auto_detect = false, filename = true, null_padding = false, strict_mode = true)"
    )


def _select_jsonl(con: duckdb.DuckDBPyConnection, contract: Contract, files: list[LandingFile]) -> str:
    source = f"read_ndjson_objects({_file_list(files)}, filename = true)"
    try:
        keys = [r[0] for r in con.sql(f"select distinct unnest(json_keys(json)) from {source}").fetchall()]
    except duckdb.Error as exc:
        raise LandingError(
            f"{', '.join(f.relative_path for f in files)}: unreadable JSON Lines ({exc})"
        ) from exc
    mapping, extras = _map_columns(contract, keys, files[0].relative_path)

    def text(key: str) -> str:
        return f"json_extract_string(json, {quote_literal('$.' + quote_ident(key))})"

    projection = _projection(contract, mapping, [(e, e) for e in extras], text)
    return f"select {projection}, filename as _file from {source}"


def _select_parquet(con: duckdb.DuckDBPyConnection, contract: Contract, files: list[LandingFile]) -> str:
    source = f"read_parquet({_file_list(files)}, filename = true, union_by_name = true)"
    try:
        names = [r[0] for r in con.sql(f"describe select * exclude (filename) from {source}").fetchall()]
    except duckdb.Error as exc:
        raise LandingError(
            f"{', '.join(f.relative_path for f in files)}: unreadable Parquet ({exc})"
        ) from exc
    mapping, extras = _map_columns(contract, names, files[0].relative_path)
    projection = _projection(contract, mapping, [(e, e) for e in extras], _as_text)
    return f"select {projection}, filename as _file from {source}"


def _register_xlsx(con: duckdb.DuckDBPyConnection, contract: Contract, file: LandingFile, view: str) -> str:
    check_xlsx(file)
    try:
        sheets = pd.read_excel(file.path, dtype=str, engine="openpyxl", sheet_name=None)
    except Exception as exc:  # openpyxl raises many unrelated types for a damaged workbook
        raise LandingError(f"{file.relative_path}: cannot read the workbook ({exc})") from exc
    # Rows on a second sheet would be ignored without a word: a workbook has one sheet of data.
    filled = [name for name, sheet in sheets.items() if not (sheet.columns.empty and sheet.empty)]
    if len(filled) > 1:
        raise LandingError(
            f"{file.relative_path}: the workbook has {len(filled)} non-empty sheets ({', '.join(filled)}); "
            "only one is allowed: deliver each sheet as its own file or remove the others"
        )
    frame = sheets[filled[0]] if filled else next(iter(sheets.values()))
    if frame.columns.empty:
        raise LandingError(
            f"{file.relative_path}: the workbook's first sheet is empty (a header row is required)"
        )
    frame.columns = [str(c) for c in frame.columns]
    mapping, extras = _map_columns(contract, list(frame.columns), file.relative_path)
    frame = frame.astype(object).where(frame.notna(), None)
    frame["_file"] = str(file.path)
    con.register(view, frame)
    return f"select {_projection(contract, mapping, [(e, e) for e in extras], _as_text)}, _file from {view}"


def reader_selects(
    con: duckdb.DuckDBPyConnection, contract: Contract, files: Sequence[LandingFile], table: str
) -> list[str]:
    """One SELECT per group of ``files`` DuckDB reads together (CSV files of one dialect and header,
    the JSON Lines, the Parquet files, each workbook), each giving the contract's columns as text,
    ``extra`` and ``_file``. Workbooks are registered as views named after ``table``."""
    selects: list[str] = []
    csv_files = [f for f in files if f.format == "csv"]
    for key, group in _csv_groups(csv_files).items():
        selects.append(_select_csv(contract, group, key))
    jsonl = [f for f in files if f.format == "jsonl"]
    if jsonl:
        selects.append(_select_jsonl(con, contract, jsonl))
    parquet = [f for f in files if f.format == "parquet"]
    if parquet:
        selects.append(_select_parquet(con, contract, parquet))
    for n, file in enumerate(f for f in files if f.format == "xlsx"):
        selects.append(_register_xlsx(con, contract, file, f"_xlsx_{table}_{n}"))
    return selects


def read_batch(
    con: duckdb.DuckDBPyConnection, contract: Contract, files: Sequence[LandingFile], table: str
) -> None:
    """Create temp table ``table``: every row of ``files`` as text, with file, partition and line.

    File-level problems raise LandingError naming the file (and column), or UnreadableFiles when
    DuckDB cannot parse one of them.
    """
    selects = reader_selects(con, contract, files, table)
    con.execute(f"create or replace temp table {table}_rows as {_empty(contract)}")
    # The files' own lines are counted while DuckDB reads their rows (numpy and zlib free the GIL).
    with ThreadPoolExecutor(max_workers=COUNT_WORKERS) as pool:
        counts = {f.path: pool.submit(_count, f) for f in files if f.format in {"csv", "jsonl"}}
        try:
            # One INSERT per reader keeps each file's rows in line order (insertion order is preserved).
            for select in selects:
                con.execute(f"insert into {table}_rows {select}")
        except duckdb.Error as exc:
            raise UnreadableFiles(files, exc) from exc
        lines = {path: future.result() for path, future in counts.items()}
    paths = {str(f.path): f for f in files}
    # Header rows: line 1 of CSV and Excel files holds the column names.
    headers = [1 if f.format in {"csv", "xlsx"} else 0 for f in paths.values()]
    counted = [lines.get(f.path) for f in paths.values()]
    file_list = pd.DataFrame(
        {
            "_file": list(paths),
            "_source_file": [f.relative_path for f in paths.values()],
            "_partition_date": [f.partition_date for f in paths.values()],
            "_first_line": [h + 1 for h in headers],
            "_header_lines": headers,
            "_counted_lines": pd.array([c.lines if c else None for c in counted], dtype="Int64"),
            "_expected_rows": pd.array(
                [c.records - h - c.blank if c else None for c, h in zip(counted, headers, strict=True)],
                dtype="Int64",
            ),
        }
    )
    con.register(f"{table}_file_list", file_list)
    # Each file's rows are appended together and in order, so a row's line is its rowid's offset
    # from the file's first rowid: a grouped min instead of sorting the batch.
    con.execute(
        f"""
        create or replace temp table {table}_files as
        select l.*, r._first_rowid, coalesce(r._rows, 0) as _rows,
               coalesce(r._rows = r._rowid_span, true) as _contiguous,
               -- Parquet and Excel files have rows, not lines: their lines are rows plus header.
               coalesce(l._counted_lines, coalesce(r._rows, 0) + l._header_lines) as _file_lines,
               -- Header, blank and continuation lines, from the line count alone (not the rows read).
               coalesce(l._counted_lines - l._expected_rows, l._header_lines) as _non_data_lines
        from {table}_file_list as l
        left join (
            select _file, min(rowid) as _first_rowid, count(*) as _rows,
                   max(rowid) - min(rowid) + 1 as _rowid_span
            from {table}_rows group by _file
        ) as r on r._file = l._file
        """
    )
    con.unregister(f"{table}_file_list")
    broken = con.execute(f"select _source_file from {table}_files where not _contiguous limit 1").fetchone()
    if broken:
        raise RuntimeError(f"{broken[0]}: rows were not read contiguously; line numbers would be wrong")
    _reconcile(con, contract, table, paths, lines)
    line = "r.rowid - f._first_rowid + f._first_line"
    joins = ""
    if _map_lines(con, table, paths):
        line = f"coalesce(m._line, {line})"
        joins = f"left join {table}_lines as m on m._file = r._file and m._index = r.rowid - f._first_rowid"
    # A view, not a table: the validation reads it once, so the rows are not written a second time.
    con.execute(
        f"""
        create or replace temp view {table} as
        select r.* exclude (_file), f._source_file, cast(f._partition_date as date) as _partition_date,
               cast({line} as bigint) as _source_line
        from {table}_rows as r
        join {table}_files as f on f._file = r._file
        {joins}
        """
    )


def _map_lines(con: duckdb.DuckDBPyConnection, table: str, paths: dict[str, LandingFile]) -> bool:
    """Temp table ``{table}_lines``: the physical line of each row of the files whose rows are not on
    consecutive lines (blank lines, quoted line breaks); False when every file's are."""
    odd = con.execute(
        f"select _file, _rows from {table}_files where _non_data_lines > _header_lines and _rows > 0"
    ).fetchall()
    frames = []
    for name, rows in odd:
        file = paths[name]
        if file.format == "csv":
            records = csv_records(file.path, file.compressed, sniff_delimiter(read_header_line(file)))
            starts = [start for start, _ in records][1:]
        else:
            opener = gzip.open if file.compressed else open
            with opener(file.path, "rb") as handle:
                starts = [n for n, text in enumerate(handle, start=1) if text.strip()]
        if len(starts) == rows:
            frames.append(pd.DataFrame({"_file": name, "_index": range(rows), "_line": starts}))
    if not frames:
        return False
    con.register(f"{table}_line_list", pd.concat(frames, ignore_index=True))
    con.execute(f"create or replace temp table {table}_lines as select * from {table}_line_list")
    con.unregister(f"{table}_line_list")
    return True


def _count(file: LandingFile) -> LineCount:
    return count_lines(file.path, file.compressed, quoted=file.format == "csv")


def _reconcile(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    table: str,
    paths: dict[str, LandingFile],
    lines: dict[Path, LineCount],
) -> None:
    """Check every text file's rows against its own lines.

    A CSV file's lines are its header, blank lines, rows and continuation lines of quoted values;
    a JSON Lines file's are rows and blank lines (see ``lines``). A file whose rows fall short of (or
    exceed) its lines raises LandingError naming the file and the first line at fault.
    """
    disagree = con.execute(
        f"select _file, _rows from {table}_files where _expected_rows <> _rows order by _source_file"
    ).fetchall()
    for name, rows in disagree:
        file = paths[name]
        if not _recount_agrees(file, rows):
            raise LandingError(_shortfall(con, contract, table, file, rows, lines[file.path]))
        con.execute(f"update {table}_files set _non_data_lines = _file_lines - _rows where _file = ?", [name])


def _recount_agrees(file: LandingFile, rows: int) -> bool:
    """The slower, exact count: quote parity miscounts a quote inside an unquoted value (``5"``)."""
    if file.format == "jsonl":
        opener = gzip.open if file.compressed else open
        with opener(file.path, "rb") as handle:
            return sum(1 for line in handle if line.strip()) == rows
    records = csv_records(file.path, file.compressed, sniff_delimiter(read_header_line(file)))
    return sum(1 for _ in records) - 1 == rows


def _shortfall(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    table: str,
    file: LandingFile,
    rows: int,
    count: LineCount,
) -> str:
    """The message for a file whose rows do not account for its lines, naming the first line at fault."""
    summary = (
        f"{rows} rows were read from {count.lines} lines ({count.blank} blank), so some lines are "
        "neither loaded nor quarantined; the file is refused"
    )
    where = f"{file.relative_path}: "
    if count.open_quote_line is not None:
        return (
            f"{where}line {count.open_quote_line}: a quoted value opened on this line is never closed "
            f"(unterminated quote); {summary}"
        )
    if file.format == "csv":
        line = _first_unread_line(con, contract, table, file)
        if line is not None:
            return f"{where}line {line}: this line was not read as a row; {summary}"
    return where + summary


def _first_unread_line(
    con: duckdb.DuckDBPyConnection, contract: Contract, table: str, file: LandingFile
) -> int | None:
    """The first line where Python's csv module and DuckDB's rows of ``file`` disagree."""
    header = read_header_line(file)
    delimiter = sniff_delimiter(header)
    names = next(iter(_split_header(header, delimiter)))
    mapping, _ = _map_columns(contract, names, file.relative_path)
    index = {normalise(n): i for i, n in enumerate(names)}
    compared = list(mapping)
    select = ", ".join(quote_ident(c) for c in compared)
    read = con.execute(
        f"select {select} from {table}_rows where _file = ? order by rowid", [str(file.path)]
    ).fetchall()
    records = csv_records(file.path, file.compressed, delimiter)
    next(records, None)
    for n, (line, fields) in enumerate(records):
        if n >= len(read) or len(fields) != len(names):
            return line
        delivered = tuple(fields[index[c]] or None for c in compared)
        if delivered != tuple(v or None for v in read[n]):
            return line
    return None


def drop_batch(con: duckdb.DuckDBPyConnection, table: str, keep_files: bool = False) -> None:
    """Drop what ``read_batch`` created for ``table`` (``keep_files``: all but the per-file counts)."""
    con.execute(f"drop view if exists {table}")
    con.execute(f"drop table if exists {table}_rows")
    con.execute(f"drop table if exists {table}_lines")
    if not keep_files:
        con.execute(f"drop table if exists {table}_files")


class UnreadableFiles(Exception):
    """DuckDB could not read a batch of files; ``name_unreadable_file`` finds which one."""

    def __init__(self, files: Sequence[LandingFile], error: duckdb.Error):
        super().__init__(str(error))
        self.files = files
        self.error = error


def name_unreadable_file(con: duckdb.DuckDBPyConnection, contract: Contract, exc: UnreadableFiles) -> str:
    """Name the unreadable file: CSV files are read many at a time, so each is tried on its own.

    Runs queries, so ``con`` must not be inside the transaction the read failed in.
    """
    files = exc.files
    for file in (f for f in files if f.format == "csv"):
        key = _csv_key(file)
        try:
            con.execute(f"select count(*) from ({_select_csv(contract, [file], key)})")
        except duckdb.Error as error:
            return f"{file.relative_path}: cannot read the file: {error}"
    return f"{contract.name}: cannot read {_describe(files)}: {exc.error}"


def _describe(files: Sequence[LandingFile]) -> str:
    names = [f.relative_path for f in itertools.islice(files, 3)]
    more = f" and {len(files) - 3} more" if len(files) > 3 else ""
    return ", ".join(names) + more


def _empty(contract: Contract) -> str:
    cols = ", ".join(f"cast(null as varchar) as {quote_ident(c.name)}" for c in contract.columns)
    return f"select {cols}, cast(null as varchar) as extra, cast(null as varchar) as _file where false"
