"""ICE LESA-STU enforcement workbook of one area of responsibility (2019 production to the
University of Washington, UW v. DHS; Seattle AOR, FY2012-FY2019 YTD).

Preamble rows 1-6, header on row 7, dates as Excel serials. Sheets "Arrests", "Book Ins",
"Expedited Removals", "Other Removals" (one layout each kind; the two removal sheets share a
header, and the sheet name says which kind of removal), "Summary" (totals by fiscal year,
checked against the rows: sources/lesa_summary.py) and "Footnotes". Facilities and landmarks
carry no state: the area covers several (hand/aor_states.csv).
"""

from ..layout import Layout

RELEASE = "ice-lesa-stu-2019"
_COMMON = [
    ("Date of Birth", "birth_date"),
    ("DOB", "birth_date"),
    ("Gender", "gender"),
    ("Country of Citizenship", "citizenship_country"),
    ("Most Serious Conviction", "most_serious_conviction"),
]

ARRESTS = Layout(
    name="lesa_stu_arrests",
    kind="arrests",
    format="xlsx",
    release=RELEASE,
    description="ICE LESA-STU area workbook, sheet Arrests",
    columns=dict(
        [
            ("Arrest Date", "apprehension_date"),
            ("Event Number", "event_number"),
            ("Apprehension Landmark", "apprehension_landmark"),
            ("Arrest Method", "apprehension_method"),
            *_COMMON,
        ]
    ),
    required=("apprehension_date", "apprehension_method"),
    signature=("Arrest Date", "Arrest Method", "Apprehension Landmark"),
)

BOOK_INS = Layout(
    name="lesa_stu_book_ins",
    kind="stints",
    format="xlsx",
    release=RELEASE,
    description="ICE LESA-STU area workbook, sheet Book Ins",
    columns=dict(
        [
            ("Book In Date", "book_in_date"),
            ("Detention Facility", "facility_name"),
            ("Apprehension Method", "apprehension_method"),
            *_COMMON,
        ]
    ),
    required=("book_in_date", "facility_name"),
    signature=("Book In Date", "Detention Facility", "Most Serious Conviction"),
)

REMOVALS = Layout(
    name="lesa_stu_removals",
    kind="removals",
    format="xlsx",
    release=RELEASE,
    description="ICE LESA-STU area workbook, sheets Expedited Removals and Other Removals",
    columns=dict(
        [
            ("Departed Date", "departed_date"),
            ("Event Number", "event_number"),
            ("Case Category", "case_category"),
            *_COMMON,
        ]
    ),
    required=("departed_date",),
    signature=("Departed Date", "DOB", "Most Serious Conviction"),
)

LAYOUTS = [ARRESTS, BOOK_INS, REMOVALS]
