"""The list's specialised row reader says exactly what the generic reader says, on any cells.

``kinds.deferral_list._list_reader`` reads a million rows by index, skips absent columns and
parses each distinct text of the small columns once. ``generic`` below is the reader it replaced
(every kind's ``read_cells`` with a parser per column, on {column key: trimmed text}), kept here
as the reference: for any header and any rows, both give the same staged tuple, or the same
errors (column, code, details) in the same order.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from portal.features.imports import cells
from portal.features.imports.cells import CellError
from portal.features.imports.kinds.base import Context, RowErrors
from portal.features.imports.kinds.deferral_list import LIST_COLUMNS, LIST_FIELDS, _list_reader
from portal.rules.employer_facts import incoherences
from tests.factories import credit_code

AGENCIES = {"LC01": 1, "WH01": 2}


def generic(raw: dict[str, str], context: Context) -> tuple:
    """The list row as ``_parse_list`` read it before it was specialised."""
    parsers = {
        "credit_code": cells.credit_code,
        "name": lambda v: cells.text(v, limit=200),
        "insurance_unit_number": lambda v: cells.reference(v, limit=40),
        "industry": cells.industry,
        "size_class": cells.size_class,
        "on_list": cells.yes_no,
        "first_insured_month": cells.month,
        "founded_month": cells.month,
        "july_paid": cells.yes_no,
        "has_arrears": cells.yes_no,
        "arrears_until": cells.month,
        "deregistered_on": cells.deregistration_day,
        "refund_bank": lambda v: cells.text(v, limit=100),
        "refund_account": cells.account,
    }
    optional = {c.key for c in LIST_COLUMNS if not c.required}
    row: dict = {}
    errors: list[tuple[str, CellError]] = []
    for key, parse in parsers.items():
        value = raw.get(key)
        if value is None or (value == "" and key in optional):
            row[key] = None
            continue
        if value == "":
            errors.append((key, CellError("required")))
            continue
        try:
            row[key] = parse(value)
        except CellError as error:
            errors.append((key, error))
    if errors:
        row = {}
    agency_id = context.agencies.get(raw.get("agency_code", "").strip())
    if agency_id is None:
        errors.append(("agency_code", CellError("unknown_agency")))
    elif context.scope_agency_id is not None and agency_id != context.scope_agency_id:
        errors.append(("agency_code", CellError("other_agency")))
    kind = None
    if raw.get("unit_kind") and "credit_code" in row:
        try:
            kind = cells.unit_kind(raw["unit_kind"], row["credit_code"])
        except CellError as error:
            errors.append(("unit_kind", error))
    if "credit_code" in row:  # every cell read: the row's facts together
        for incoherence in incoherences(
            founded_month=row["founded_month"],
            first_insured_month=row["first_insured_month"],
            july_paid=row["july_paid"],
            has_arrears=row["has_arrears"],
            arrears_until=row["arrears_until"],
            deregistered_on=row["deregistered_on"],
        ):
            errors.append((incoherence.field, CellError(incoherence.code, **incoherence.details)))
    if errors:
        raise RowErrors(errors)
    values = {
        "name": row["name"],
        "insurance_unit_number": row["insurance_unit_number"],
        "agency_id": agency_id,
        "unit_kind": kind,
        "industry": row["industry"],
        "size_class": row["size_class"],
        "size_source": "list",
        "list_status": "listed" if row["on_list"] else "not_listed",
        "first_insured_month": row["first_insured_month"],
        "founded_month": row["founded_month"],
        "is_july_paid": row["july_paid"],
        "has_arrears": row["has_arrears"],
        "arrears_until": row["arrears_until"],
        "deregistered_on": row["deregistered_on"],
        "refund_bank": row["refund_bank"],
        "refund_account": row["refund_account"],
    }
    code = row["credit_code"]
    return (code, cells.unit_kind_of(code), *(values[column] for column in LIST_FIELDS))


def _outcome(read, *args):
    try:
        return ("row", read(*args))
    except RowErrors as refused:
        return ("refused", [(key, e.code, e.details) for key, e in refused.errors])


CODES = st.builds(
    lambda prefix, serial: credit_code(prefix=prefix, serial=serial),
    st.sampled_from(["91", "92", "93", "51", "52", "11", "Y1", "N2"]),
    st.integers(min_value=1, max_value=10**7),
)
SAMPLES = {
    "credit_code": st.one_of(
        CODES,
        CODES.map(str.lower),
        CODES.map(lambda code: code[:-1] + ("0" if code[-1] != "0" else "1")),
        CODES.map(lambda code: " " + code[:9] + " " + code[9:] + "\t"),
        st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ -", max_size=20),
    ),
    "name": st.one_of(
        st.sampled_from(["示例企业有限公司", " 甲公司 ", "=SUM(A1)", "+1", "a\u0301b", "ｆｕｌｌ"]),
        st.text(max_size=12),
        st.text(max_size=3).map(lambda t: "名" * 199 + t),
    ),
    "insurance_unit_number": st.one_of(
        st.sampled_from(["U00000001", "A-1/2.3_4", " U1 ", "U 1", "Ｕ１", "x" * 41]),
        st.text(max_size=8),
    ),
    "agency_code": st.sampled_from(["LC01", "WH01", " LC01 ", "ZZ99", "lc01", ""]),
    "unit_kind": st.sampled_from(
        ["企业", "个体工商户", "社会组织", "机关事业单位", "会计师事务所", " 企业 ", "公司", ""]
    ),
    "industry": st.sampled_from(["retail", "工业", "5211", "0111", "9999", "零售业", "x", ""]),
    "size_class": st.sampled_from(["大型", "中型", "小型", "微型", "Small", "巨型", " 小型", ""]),
    "on_list": st.sampled_from(["是", "否", "Y", "no", "TRUE", "0", "也许", "是 ", ""]),
    "first_insured_month": st.sampled_from(
        ["202208", "2022-08", "2022-13", "1999-01", "２０２２０８", "2022/08", "2010-01", ""]
    ),
    "founded_month": st.sampled_from(["201003", "2010-03", "20100", "abc", "2022-09", ""]),
    "july_paid": st.sampled_from(["是", "否", "yes", "N", "maybe", ""]),
    "has_arrears": st.sampled_from(["是", "否", "Y", "0", "欠", ""]),
    "arrears_until": st.sampled_from(["2022-06", "202205", "2022-00", "June", ""]),
    "deregistered_on": st.sampled_from(
        ["2023-01-31", "20230131", "2009-12-31", "2022-02-30", "1999-01-01", "2100-01-01", ""]
    ),
    "refund_bank": st.sampled_from(
        ["中国工商银行聊城分行", "=HYPERLINK()", "行" * 101, "a\\b", ""]
    ),
    "refund_account": st.one_of(
        st.sampled_from(
            ["6222 0000 1111 2222", "１２３４５６７８９", "1234567", "1" * 31, "62-22", ""]
        ),
        st.text(alphabet="0123456789 ", max_size=34),
    ),
}
OPTIONAL = [c.key for c in LIST_COLUMNS if not c.required]
REQUIRED = [c.key for c in LIST_COLUMNS if c.required]


@st.composite
def files(draw):
    keys = REQUIRED + draw(st.lists(st.sampled_from(OPTIONAL), unique=True))
    keys = draw(st.permutations(keys))
    unknown = draw(st.integers(min_value=0, max_value=2))  # columns the reader ignores
    header = {key: unknown + i for i, key in enumerate(keys)}
    width = unknown + len(keys)
    rows = []
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        row = ["ignored"] * width
        for key, i in header.items():
            row[i] = draw(SAMPLES[key])
        cut = draw(st.one_of(st.just(width), st.integers(min_value=0, max_value=width)))
        rows.append(row[:cut])  # a short row: the missing cells are blank
    return header, rows


@settings(max_examples=400, deadline=None)
@given(files(), st.sampled_from([None, 1]))
def test_the_list_reader_reads_as_the_generic_reader(file, scope):
    header, rows = file
    context = Context(scope, AGENCIES)
    read = _list_reader(header, context)
    for row in rows + rows:  # the second time, from the remembered texts
        raw = {key: row[i].strip() if i < len(row) else "" for key, i in header.items()}
        assert _outcome(read, row) == _outcome(generic, raw, context), (header, row)
