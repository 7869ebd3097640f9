"""The one table of outcome labels: per metrics column its English and Indonesian label and its unit.

Used by the report's figures and tables (English or Indonesian), the ``kopsim run`` summary table
(English) and the classroom app's charts and status line (``id`` or ``en``). A label
includes its unit where it has one (``unit`` holds the unit alone). ``short`` labels are
the few words a chart legend or status line shows next to its title (e.g. "capital" under
"participation"); an outcome without one shows its full label there too.

Outcomes not in the table get a label built from the column name (:func:`outcome_label`).
:func:`outcome_unit` gives an axis label's unit (English or Indonesian) and :func:`outcome_bounds`
the fixed range of bounded outcomes (shares, trust, skill: 0 to 1), used by the report's minimum
effect of practical importance.
"""

from __future__ import annotations

from dataclasses import dataclass

LANGUAGES = ("en", "id")


@dataclass(frozen=True)
class OutcomeLabel:
    """How one outcome is named: full label (with unit) per language, unit, and optional short labels."""

    en: str
    id: str
    unit: str = ""
    short_en: str | None = None
    short_id: str | None = None
    bounds: tuple[float, float] | None = None  # the fixed range of a bounded outcome (e.g. a share: 0 to 1)

    def text(self, lang: str = "en", *, short: bool = False) -> str:
        """The label in ``lang`` (English if unknown); ``short``: the short label where there is one."""
        if lang == "id":
            return (self.short_id if short and self.short_id else None) or self.id
        return (self.short_en if short and self.short_en else None) or self.en


OUTCOMES: dict[str, OutcomeLabel] = {
    "members": OutcomeLabel("members", "anggota", short_en="members", short_id="anggota"),
    "households": OutcomeLabel("households", "rumah tangga"),
    "membership_share": OutcomeLabel("membership share of households", "proporsi rumah tangga yang menjadi anggota"),
    "participation_organisation": OutcomeLabel(
        "participation: organisation", "partisipasi: organisasi", short_en="organisation", short_id="organisasi"
    ),
    "participation_business": OutcomeLabel(
        "participation: business unit", "partisipasi: unit usaha", short_en="business unit", short_id="unit usaha"
    ),
    "participation_capital": OutcomeLabel(
        "participation: capital", "partisipasi: permodalan", short_en="capital", short_id="permodalan"
    ),
    "rat_attendance": OutcomeLabel(
        "attendance at the annual meeting (RAT)", "kehadiran di rapat anggota tahunan (RAT)"
    ),
    "trust_peer_mean": OutcomeLabel("trust in peers (mean)", "kepercayaan kepada sesama warga (rata-rata)"),
    "trust_board_mean": OutcomeLabel("trust in the board (mean)", "kepercayaan kepada pengurus (rata-rata)"),
    "trust_institution_mean": OutcomeLabel(
        "trust in the cooperative (mean)",
        "kepercayaan kepada koperasi (rata-rata)",
        short_en="mean trust in the cooperative",
        short_id="rata-rata kepercayaan kepada koperasi",
    ),
    "reciprocity_rate": OutcomeLabel("reciprocity rate", "tingkat resiprositas"),
    "reputation_mean": OutcomeLabel("reputation as a helper (mean)", "reputasi sebagai penolong (rata-rata)"),
    "benefit_mean": OutcomeLabel("perceived benefit (mean)", "manfaat yang dirasakan (rata-rata)"),
    "savings_mandatory": OutcomeLabel("mandatory savings (Rp M)", "simpanan wajib (Rp juta)", unit="Rp M"),
    "savings_voluntary": OutcomeLabel("voluntary savings (Rp M)", "simpanan sukarela (Rp juta)", unit="Rp M"),
    "coop_loans_outstanding": OutcomeLabel(
        "cooperative loans outstanding (Rp M)", "sisa pinjaman koperasi (Rp juta)", unit="Rp M"
    ),
    "moneylender_loans_outstanding": OutcomeLabel(
        "moneylender loans outstanding (Rp M)", "sisa pinjaman tengkulak (Rp juta)", unit="Rp M"
    ),
    "coop_borrowers": OutcomeLabel(
        "households borrowing from the cooperative", "rumah tangga yang meminjam dari koperasi"
    ),
    "moneylender_borrowers": OutcomeLabel(
        "households borrowing from moneylenders", "rumah tangga yang meminjam dari tengkulak"
    ),
    "arrears_share": OutcomeLabel("arrears share of borrowers", "proporsi peminjam yang menunggak"),
    "arrears_share_of_members": OutcomeLabel("arrears share of members", "proporsi anggota yang menunggak"),
    "coop_cash": OutcomeLabel("cooperative cash (Rp M)", "kas koperasi (Rp juta)", unit="Rp M"),
    "shu_paid": OutcomeLabel("SHU paid this month (Rp M)", "SHU dibayar bulan ini (Rp juta)", unit="Rp M"),
    "umkm_revenue": OutcomeLabel("UMKM revenue this month (Rp M)", "omzet UMKM bulan ini (Rp juta)", unit="Rp M"),
    "harvest": OutcomeLabel("harvest this month (Rp M)", "hasil panen bulan ini (Rp juta)", unit="Rp M"),
    "household_income_mean": OutcomeLabel(
        "household income (mean, Rp M/month)", "pendapatan rumah tangga (rata-rata, Rp juta/bulan)", unit="Rp M/month"
    ),
    "skill_mean": OutcomeLabel("skill of households (mean)", "keterampilan rumah tangga (rata-rata)"),
    "skill_members": OutcomeLabel("skill of members (mean)", "keterampilan anggota (rata-rata)"),
    "information_reach": OutcomeLabel("information reach", "jangkauan informasi"),
    "information_reach_needy": OutcomeLabel(
        "information reach among needy households", "jangkauan informasi di antara rumah tangga miskin"
    ),
    "free_rider_share": OutcomeLabel("free-rider share", "proporsi penumpang gratis (free rider)"),
    "board_willingness": OutcomeLabel("willingness to serve on the board", "kesediaan menjadi pengurus"),
    "ties": OutcomeLabel("ties", "ikatan"),
    "ties_bonding": OutcomeLabel(
        "bonding ties", "ikatan perekat (bonding)", short_en="bonding", short_id="perekat (bonding)"
    ),
    "ties_bridging": OutcomeLabel(
        "bridging ties", "ikatan penjembatan (bridging)", short_en="bridging", short_id="penjembatan (bridging)"
    ),
    "ties_linking": OutcomeLabel(
        "linking ties", "ikatan pengait (linking)", short_en="linking", short_id="pengait (linking)"
    ),
    "density": OutcomeLabel("network density", "kepadatan jaringan"),
    "ei_index": OutcomeLabel("E-I index (bonding -1 .. bridging +1)", "indeks E-I (perekat -1 .. penjembatan +1)"),
    "linking_share": OutcomeLabel("share of linking ties", "proporsi ikatan pengait"),
    "tie_strength_mean": OutcomeLabel("tie strength (mean)", "kekuatan ikatan (rata-rata)"),
    "partner_ties": OutcomeLabel("partnership ties", "ikatan kemitraan"),
    "partner_ties_in_contact": OutcomeLabel("partnership ties in contact", "ikatan kemitraan yang masih berhubungan"),
    "partner_tie_strength": OutcomeLabel("partnership tie strength (mean)", "kekuatan ikatan kemitraan (rata-rata)"),
    "partner_contact_share": OutcomeLabel(
        "event participants still in contact with a partner (share)",
        "peserta kemitraan yang masih berhubungan dengan mitra (proporsi)",
    ),
    "partner_sales_share": OutcomeLabel(
        "UMKM output sold through partners (share)", "proporsi produksi UMKM yang dijual melalui mitra"
    ),
    "clustering": OutcomeLabel("clustering coefficient", "koefisien pengelompokan"),
    "members_female_share": OutcomeLabel("share of women among members", "proporsi perempuan di antara anggota"),
    "ties_board_member_sentiment": OutcomeLabel(
        "board-member sentiment ties (not kin)", "ikatan perasaan pengurus-anggota (bukan kerabat)"
    ),
    "ties_kin": OutcomeLabel("kin and neighbour ties", "ikatan kerabat dan tetangga"),
    "linking_agency_started_share": OutcomeLabel(
        "share of linking ties started by agencies", "proporsi ikatan pengait yang dimulai instansi"
    ),
    "top_down_share": OutcomeLabel("share of ties started from above", "proporsi ikatan dari atas (top-down)"),
    "agency_ties": OutcomeLabel("households' ties to agencies", "ikatan rumah tangga dengan instansi"),
    "agency_ties_sought": OutcomeLabel(
        "households' ties to agencies they sought (bottom-up)", "ikatan dengan instansi yang dicari sendiri (bottom-up)"
    ),
    "licensed_share": OutcomeLabel("share of UMKM with a product licence", "proporsi UMKM berizin produk"),
    "units_open": OutcomeLabel("business units open", "unit usaha yang buka"),
    "unit_users": OutcomeLabel("members using a business unit", "anggota yang memakai unit usaha"),
    "unit_users_share": OutcomeLabel(
        "share of members using a business unit", "proporsi anggota yang memakai unit usaha"
    ),
    "unit_revenue": OutcomeLabel("business-unit margins (Rp M)", "margin unit usaha (Rp juta)", unit="Rp M"),
    "unit_cost": OutcomeLabel("business-unit costs (Rp M)", "biaya unit usaha (Rp juta)", unit="Rp M"),
    "board_betweenness": OutcomeLabel("board betweenness (mean)", "keantaraan pengurus (rata-rata)"),
}

# Prefixes of column families without an entry of their own: (prefix, English, Indonesian).
_PREFIXES = (("trust_", "trust", "kepercayaan"), ("benefit_", "perceived benefit", "manfaat yang dirasakan"))


def outcome_label(name: str, lang: str = "en", *, short: bool = False) -> str:
    """The readable name of an outcome column in ``lang`` (with its unit where it has one).

    Columns not in :data:`OUTCOMES` fall back to their family (``trust_…``, ``benefit_…``) or
    to the column name with spaces.
    """
    if name in OUTCOMES:
        return OUTCOMES[name].text(lang, short=short)
    for prefix, en, ind in _PREFIXES:
        if name.startswith(prefix):
            return f"{ind if lang == 'id' else en}: {name[len(prefix) :].replace('_', ' ')}"
    if _is_programme_skill(name):  # skill_<programme>_members (issue #16 item 4)
        text = "keterampilan anggota" if lang == "id" else "skill of members"
        return f"{text}: {name[len('skill_') : -len('_members')].replace('_', ' ')}"
    return name.replace("_", " ")


def _is_programme_skill(name: str) -> bool:
    """A programme skill's column, ``skill_<name>_members`` (the members' mean of that skill)."""
    return name.startswith("skill_") and name.endswith("_members") and name != "skill_members"


# Outcomes on a fixed scale: shares, means of 0..1 states, network indices.
_UNIT_RANGE = (0.0, 1.0)
BOUNDED: dict[str, tuple[float, float]] = {
    **{
        name: _UNIT_RANGE
        for name in (
            "membership_share",
            "participation_organisation",
            "participation_business",
            "participation_capital",
            "rat_attendance",
            "trust_peer_mean",
            "trust_board_mean",
            "trust_institution_mean",
            "reciprocity_rate",
            "arrears_share",
            "arrears_share_of_members",
            "skill_mean",
            "skill_members",
            "information_reach",
            "information_reach_needy",
            "free_rider_share",
            "board_willingness",
            "density",
            "linking_share",
            "tie_strength_mean",
            "partner_tie_strength",
            "partner_contact_share",
            "partner_sales_share",
            "clustering",
            "members_female_share",
            "linking_agency_started_share",
            "top_down_share",
            "unit_users_share",
            "licensed_share",
        )
    },
    "ei_index": (-1.0, 1.0),
}

_SCALE_TEXT = {
    "en": {(0.0, 1.0): "0 = none, 1 = full", (-1.0, 1.0): "-1 = all bonding, +1 = all bridging"},
    "id": {(0.0, 1.0): "0 = tidak ada, 1 = penuh", (-1.0, 1.0): "-1 = semua perekat, +1 = semua penjembatan"},
}
_COUNT = {"en": "count", "id": "jumlah"}
_COUNTS = (
    "members",
    "households",
    "coop_borrowers",
    "moneylender_borrowers",
    "ties",
    "ties_bonding",
    "ties_bridging",
    "ties_linking",
    "partner_ties",
    "partner_ties_in_contact",
    "ties_board_member_sentiment",
    "ties_kin",
)


def outcome_bounds(name: str) -> tuple[float, float] | None:
    """The fixed range of a bounded outcome (0 to 1 for shares, trust and skill), else None."""
    if name in OUTCOMES and OUTCOMES[name].bounds is not None:
        return OUTCOMES[name].bounds
    if name in BOUNDED:
        return BOUNDED[name]
    if name.startswith("trust_") or _is_programme_skill(name):
        return _UNIT_RANGE
    return None


def outcome_unit(name: str, lang: str = "en") -> str:
    """What an axis of ``name`` measures: its unit (``Rp M``), ``count``, or its scale (``0 = none, 1 = full``)."""
    lang = lang if lang in LANGUAGES else "en"
    if name in OUTCOMES and OUTCOMES[name].unit:
        unit = OUTCOMES[name].unit
        return unit.replace("Rp M", "Rp juta").replace("/month", "/bulan") if lang == "id" else unit
    if name in _COUNTS:
        return _COUNT[lang]
    bounds = outcome_bounds(name)
    if bounds is not None:
        return _SCALE_TEXT[lang].get(bounds, f"{bounds[0]:g} .. {bounds[1]:g}")
    return ""
