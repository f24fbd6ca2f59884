"""Read numeric CSV/TSV text into arrays, with errors that point at a row and column of the file.

Rules: the delimiter is whichever of , tab ; is most common on the first line, else runs of spaces (np.savetxt).
The first row is a header when all of it is text, or when it has text where the next row has a number.
Labels come from a column named label / y / class / target, or else from a last column holding text.
Everything else must be numeric.
"""
from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable, Iterator
from itertools import islice

import numpy as np

from .arrays import Parsed, check_values
from .dataset import DataError
from .limits import DataLimits

LABEL_COLUMNS = ("label", "y", "class", "target")
DELIMITERS = ",\t;"
WHITESPACE = " "  # stands for "any run of spaces or tabs"


def parse_csv(data: bytes, what: str, limits: DataLimits, delimiter: str | None = None) -> Parsed:
    """Parse CSV bytes into features and optional labels, streaming: rows are counted while they are read and
    reading stops one row past the sample or memory limit (the whole text is never decoded at once)."""
    text = _decoder(data, what)
    delimiter = delimiter or _sniff_delimiter(text())
    head = _first_records(text(), delimiter, 2)
    if not head:
        raise DataError(f"{what} is empty (no rows)")
    header = _is_header(head)
    if header and len(head) == 1:
        raise DataError(f"{what} has a header row but no data rows")
    first_data = head[1] if header else head[0]
    label_col = _label_column(head[0] if header else None, first_data)
    n_features = len(first_data) - (label_col is not None)
    if n_features < 1:
        raise DataError(f"{what} has no feature columns besides the label column")
    limits.check_features(n_features, what)
    codes: dict[str, int] = {}
    converters = {label_col: lambda s: codes.setdefault(s.strip(), len(codes))} if label_col is not None else None
    allowed = limits.rows_allowed(n_features)
    try:
        table = np.loadtxt(text(), delimiter=None if delimiter == WHITESPACE else delimiter, ndmin=2,
                           skiprows=int(header), dtype=np.float64, comments=None, quotechar='"', converters=converters,
                           max_rows=allowed + 1)
    except ValueError as e:  # fast parser failed: rescan slowly to say exactly where and why
        _explain(text(), delimiter, header, len(first_data), label_col, what)
        raise DataError(f"{what} could not be parsed as numeric CSV ({e})") from None
    limits.check_memory(len(table), n_features, what, at_least=len(table) > allowed)
    features = [c for c in range(table.shape[1]) if c != label_col]
    x = table if label_col is None else table[:, features]
    # Row numbers assume no blank lines before the bad one; close enough to find it in a spreadsheet.
    check_values(x, what, lambda ix: f"row {ix[0] + 1 + header}, column {features[ix[1]] + 1}")
    y = None if label_col is None else _label_values(table[:, label_col], codes)
    return Parsed(x=x, y=y)


def _decoder(data: bytes, what: str) -> Callable[[], io.TextIOWrapper]:
    """A maker of fresh text streams over `data` (each read decodes as it goes, never the whole file at once)."""
    if b"\0" in data[:65536]:
        raise DataError(f"{what} is binary data, not a text CSV file")
    encoding = "utf-8-sig" if _is_utf8(data) else "latin-1"  # old spreadsheet exports; numbers decode the same
    return lambda: io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline="\n")  # newline: as StringIO


def _is_utf8(data: bytes, block: int = 2**20) -> bool:
    decoder, view = codecs.getincrementaldecoder("utf-8")(), memoryview(data)
    try:
        for start in range(0, len(data), block):
            decoder.decode(view[start:start + block])
        decoder.decode(b"", final=True)
        return True
    except UnicodeDecodeError:
        return False


def _sniff_delimiter(text: io.TextIOBase) -> str:
    first = next((line.rstrip("\n") for line in text if line.strip()), "")
    best = max(DELIMITERS, key=first.count)  # ties (a single column) resolve to ","
    return WHITESPACE if first.count(best) == 0 and len(first.split()) > 1 else best


def _records(text: io.TextIOBase, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """(1-based line number, cells) for every non-blank record."""
    if delimiter == WHITESPACE:
        rows = ((i, line.split()) for i, line in enumerate(text, 1))
    else:
        reader = csv.reader(text, delimiter=delimiter)
        rows = ((reader.line_num, cells) for cells in reader)
    for line, cells in rows:
        if any(c.strip() for c in cells):
            yield line, cells


def _first_records(text: io.TextIOBase, delimiter: str, n: int) -> list[list[str]]:
    return [[c.strip() for c in cells] for _, cells in islice(_records(text, delimiter), n)]


def _is_number(cell: str) -> bool:
    try:
        float(cell)
        return True
    except ValueError:
        return False


def _is_header(head: list[list[str]]) -> bool:
    first = head[0]
    if not any(_is_number(c) for c in first):
        return True
    return len(head) > 1 and any(not _is_number(a) and _is_number(b) for a, b in zip(first, head[1]))


def _label_column(names: list[str] | None, first_data: list[str]) -> int | None:
    if names:
        lowered = [n.lower() for n in names]
        for wanted in LABEL_COLUMNS:
            if wanted in lowered:
                return lowered.index(wanted)
    return len(first_data) - 1 if len(first_data) > 1 and not _is_number(first_data[-1]) else None


def _label_values(codes_column: np.ndarray, codes: dict[str, int]) -> np.ndarray:
    """Labels as numbers when every one is numeric (so 10 sorts after 9), otherwise as text."""
    strings = np.array(list(codes), dtype=str)[codes_column.astype(np.int64)]
    return strings.astype(np.float64) if all(_is_number(s) for s in codes) else strings


def _explain(text: io.TextIOBase, delimiter: str, header: bool, n_cols: int, label_col: int | None, what: str) -> None:
    """Raise a DataError naming the first bad row/column (1-based, as a spreadsheet shows them)."""
    for row, cells in islice(_records(text, delimiter), int(header), None):
        if len(cells) != n_cols:
            raise DataError(f"{what}: row {row} has {len(cells)} columns, "
                            f"expected {n_cols} columns like the first row (ragged rows)")
        for col, cell in enumerate(cells):
            if col == label_col or _is_number(cell):
                continue
            if not cell.strip():
                raise DataError(f"{what}: row {row}, column {col + 1} is an empty cell; fill in every value")
            raise DataError(f"{what}: row {row}, column {col + 1} holds {cell.strip()!r}, which is not a number")
