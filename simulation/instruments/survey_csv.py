"""Real member-survey answers as CSV: reading (:func:`load_survey_csv`), writing and the bundled template."""

from __future__ import annotations

import csv
import difflib
import io
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..tomlio import read_limited_text
from . import DATA
from .member_survey import ANSWERS, ITEM_NAMES, RESPONDENT_COLUMN, Responses, SurveyError
from .survey_analysis import check_responses

TEMPLATE_NAME = "survey_template.csv"


def template_text() -> str:
    """The bundled CSV template: the header row (respondent and the 15 item columns), no answers."""
    return (DATA / TEMPLATE_NAME).read_text(encoding="utf-8")


def write_survey_csv(responses: Responses, path: str | Path) -> Path:
    """Write a response table in the CSV layout :func:`load_survey_csv` reads (respondent column first)."""
    path = Path(path)
    table = check_responses(responses)
    out = table.copy()
    out.index.name = RESPONDENT_COLUMN
    out.to_csv(path, index=True, lineterminator="\n")
    return path


MAX_SURVEY_BYTES = 16 * 1024 * 1024  # 16 MiB: a survey of thousands of respondents is well below 1 MiB
PLAIN_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]*)?", re.ASCII)


def load_survey_csv(path: str | Path) -> Responses:
    """Read real survey answers: one row per respondent, one column per item, answers 1, 2 or 3.

    Layout (see ``simulation/data/survey_template.csv``): a header row naming the 15 item
    columns of :data:`ITEM_NAMES` in any order (case and surrounding spaces ignored), optionally
    a ``respondent`` column of unique labels; separators ``,`` ``;`` or tab (the one the header
    uses most); UTF-8 (a spreadsheet's byte-order mark is fine). Rows are numbered as in a
    spreadsheet: the header is row 1. Every problem — empty file, unknown, duplicate or missing
    column, a row with the wrong number of cells, a blank row, an empty or non-numeric cell, an
    answer other than 1, 2, 3, a repeated respondent label — raises :class:`SurveyError` with
    one line naming the row and column.
    """
    path = Path(path)
    src = str(path)
    try:
        text = read_limited_text(path, SurveyError, MAX_SURVEY_BYTES, "CSV file").removeprefix("\ufeff")
    except SurveyError as err:
        if "not a UTF-8 text file" in str(err):
            raise SurveyError(f"{src}: not a UTF-8 text file; save the sheet as CSV UTF-8") from None
        raise
    if not text.strip():
        raise SurveyError(
            f"{src}: empty file; expected a header row naming the item columns "
            f"({', '.join(ITEM_NAMES[:3])}, ...; see `kopsim survey --template FILE`)"
        )
    first = text.splitlines()[0]
    delimiter = max(",;\t", key=first.count)
    try:
        rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    except csv.Error as err:  # e.g. a cell longer than the csv module's field limit (131,072 characters)
        raise SurveyError(f"{src}: not a readable CSV file ({err}); answers are 1, 2 or 3") from None
    header = [h.strip().lower() for h in rows[0]]
    allowed = (*ITEM_NAMES, RESPONDENT_COLUMN)
    for k, name in enumerate(header):
        if name == "":
            raise SurveyError(
                f"{src}: row 1, column {k + 1}: empty column name; allowed: {RESPONDENT_COLUMN} and the item names"
            )
        if name not in allowed:
            hint = difflib.get_close_matches(name, allowed, n=1)
            extra = (
                f"; did you mean {hint[0]!r}?" if hint else f"; allowed: {RESPONDENT_COLUMN}, {', '.join(ITEM_NAMES)}"
            )
            raise SurveyError(f"{src}: row 1, column {k + 1}: unknown column {name!r}{extra}")
        if header.index(name) != k:
            raise SurveyError(f"{src}: row 1, column {k + 1}: column {name!r} appears twice")
    missing = [c for c in ITEM_NAMES if c not in header]
    if missing:
        more = f" (and {len(missing) - 1} more: {', '.join(missing[1:])})" if len(missing) > 1 else ""
        raise SurveyError(f"{src}: row 1: missing column {missing[0]!r}{more}")
    if len(rows) < 2:
        raise SurveyError(f"{src}: no respondents; expected one row per respondent below the header")
    answers = np.zeros((len(rows) - 1, len(ITEM_NAMES)), dtype=np.int64)
    labels: list[str] = []
    seen: dict[str, int] = {}
    cols = {name: header.index(name) for name in ITEM_NAMES}
    rid = header.index(RESPONDENT_COLUMN) if RESPONDENT_COLUMN in header else None
    for r, row in enumerate(rows[1:], start=2):
        if all(not cell.strip() for cell in row):
            raise SurveyError(f"{src}: row {r}: blank row; every row below the header must be one respondent")
        if len(row) != len(header):
            raise SurveyError(f"{src}: row {r}: {len(row)} cells, but the header has {len(header)} columns")
        for k, name in enumerate(ITEM_NAMES):
            answers[r - 2, k] = _answer_cell(row[cols[name]], src, r, name)
        if rid is not None:
            label = row[rid].strip()
            if not label:
                raise SurveyError(f"{src}: row {r}, column {RESPONDENT_COLUMN!r}: empty respondent label")
            if label in seen:
                raise SurveyError(
                    f"{src}: row {r}, column {RESPONDENT_COLUMN!r}: respondent {label!r} already in row {seen[label]}"
                )
            seen[label] = r
            labels.append(label)
    index = pd.Index(labels if rid is not None else range(1, len(rows)), name=RESPONDENT_COLUMN)
    return pd.DataFrame(answers, index=index, columns=list(ITEM_NAMES))


def _answer_cell(cell: str, src: str, row: int, column: str) -> int:
    text = cell.strip()
    where = f"{src}: row {row}, column {column!r}"
    if not text:
        raise SurveyError(f"{where}: empty cell; every item needs an answer 1, 2 or 3")
    # plain ASCII decimals only: Python's float() also takes '+2', '２' (full-width) and '٣' (Arabic-Indic)
    if not PLAIN_NUMBER.fullmatch(text):
        raise SurveyError(f"{where}: {text!r} is not a number; answers are 1, 2 or 3")
    value = float(text)
    if not math.isfinite(value) or value not in ANSWERS:
        raise SurveyError(f"{where}: {text} is outside 1-3; answers are 1, 2 or 3")
    return int(value)


__all__ = ["TEMPLATE_NAME", "load_survey_csv", "template_text", "write_survey_csv"]
