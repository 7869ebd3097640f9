"""Page texts in Bahasa Indonesia (``id``, the default: the classrooms are Indonesian) and English (``en``).

``text(key, lang, **values)`` returns the string for ``key`` in ``lang`` with ``values`` filled in;
an unknown language falls back to Indonesian. Every visible word of the page and its figures
comes from here, so a test can check that both languages cover the same keys — except the names
of outcomes (participation domains, tie layers, members, mean trust), which come from the one
outcome table, :func:`kopsim.labels.outcome_label` (``short=True`` for chart legends).
"""

from __future__ import annotations

LANGUAGES = ("id", "en")
DEFAULT_LANGUAGE = "id"

TEXTS: dict[str, dict[str, str]] = {
    "title": {
        "id": "Modal sosial di koperasi — simulasi untuk kelas",
        "en": "Social capital in a cooperative — classroom simulation",
    },
    "intro": {
        "id": "Setiap titik adalah satu aktor; setiap langkah adalah satu bulan. Lihat bagaimana "
        "kepercayaan tumbuh atau runtuh, lalu coba intervensi di panel kiri.",
        "en": "Each dot is one actor; each step is one month. Watch trust grow or collapse, "
        "then try the interventions in the left panel.",
    },
    "language": {"id": "Bahasa", "en": "Language"},
    "month": {"id": "Bulan {month} dari {steps}", "en": "Month {month} of {steps}"},
    "finished": {
        "id": "Simulasi sudah sampai bulan terakhir. Tekan Atur ulang untuk mulai lagi.",
        "en": "The run has reached its last month. Press Reset to start again.",
    },
    "step": {"id": "Langkah", "en": "Step"},
    "run": {"id": "Jalankan", "en": "Run"},
    "pause": {"id": "Jeda", "en": "Pause"},
    "reset": {"id": "Atur ulang", "en": "Reset"},
    "run_group": {"id": "Simulasi", "en": "Simulation"},
    "scenario": {"id": "Skenario", "en": "Scenario"},
    "seed": {"id": "Benih acak (seed)", "en": "Random seed"},
    "households": {"id": "Jumlah rumah tangga", "en": "Households"},
    "agents": {"id": "{n} aktor", "en": "{n} actors"},
    "interventions": {"id": "Intervensi", "en": "Interventions"},
    "training_quota": {
        "id": "Kuota pelatihan (Diklat) per koperasi, tiap 12 bulan mulai bulan 1",
        "en": "Training (Diklat) quota per cooperative, every 12 months from month 1",
    },
    "follow_up": {
        "id": "Pendampingan setelah pelatihan (post-test, kunjungan ulang)",
        "en": "Follow-up after training (post-test, revisit)",
    },
    "kemitraan": {
        "id": "Kemitraan: pameran UMKM di provinsi lain, tiap tahun mulai bulan 3",
        "en": "Kemitraan: UMKM partnership event in another province, yearly from month 3",
    },
    "association": {
        "id": "Asosiasi usaha sejenis (menjaga hubungan dengan mitra)",
        "en": "Same-trade association (keeps partner contact alive)",
    },
    "grant": {
        "id": "Hibah modal ke koperasi pada bulan 3 (Rp juta per koperasi)",
        "en": "Capital grant to the cooperative in month 3 (Rp million per cooperative)",
    },
    "village": {
        "id": "Pelibatan pemerintah desa (informasi sampai ke warga miskin, kontrol sosial)",
        "en": "Village government engagement (information reaches the needy, social control)",
    },
    "harvest": {
        "id": "Gagal panen bulan 6–11: hasil panen yang hilang (%)",
        "en": "Harvest failure in months 6–11: share of the harvest lost (%)",
    },
    "pending": {
        "id": "Pengaturan sudah diubah — tekan Atur ulang untuk menerapkannya.",
        "en": "Settings changed — press Reset to apply them.",
    },
    "applied": {"id": "Intervensi aktif: {items}", "en": "Active interventions: {items}"},
    "short_training": {"id": "Diklat {quota} orang/koperasi", "en": "Diklat {quota} per cooperative"},
    "short_follow_up": {"id": " dengan pendampingan", "en": " with follow-up"},
    "short_kemitraan": {"id": "kemitraan", "en": "kemitraan"},
    "short_association": {"id": " + asosiasi", "en": " + association"},
    "short_grant": {"id": "hibah Rp {amount} juta", "en": "grant Rp {amount} million"},
    "short_village": {"id": "pelibatan desa", "en": "village engagement"},
    "short_harvest": {"id": "gagal panen −{loss}%", "en": "harvest failure −{loss}%"},
    "settings": {"id": "Pengaturan — berlaku saat Atur ulang", "en": "Settings — take effect on Reset"},
    "none": {"id": "tidak ada (hanya skenario)", "en": "none (scenario only)"},
    "colour_by": {"id": "Warna titik: percaya kepada", "en": "Dot colour: trust in"},
    "trust_peer": {"id": "sesama warga", "en": "peers"},
    "trust_board": {"id": "pengurus", "en": "the board"},
    "trust_institution": {"id": "koperasi", "en": "the cooperative"},
    # figures
    "network_title": {"id": "Jaringan sosial — bulan {month}", "en": "Social network — month {month}"},
    "village_label": {"id": "Desa {n}", "en": "Village {n}"},
    "trust_axis": {"id": "kepercayaan kepada {target}", "en": "trust in {target}"},
    "size_note": {
        "id": "ukuran titik = partisipasi; pudar = bukan anggota; tepi hitam = pengurus",
        "en": "dot size = participation; faded = not a member; black rim = board",
    },
    "participation_title": {"id": "Partisipasi anggota per bidang", "en": "Members' participation by domain"},
    "trust_title": {
        "id": "Kepercayaan kepada {target}: rendah / sedang / tinggi",
        "en": "Trust in {target}: low / medium / high",
    },
    "low": {"id": "rendah", "en": "low"},
    "medium": {"id": "sedang", "en": "medium"},
    "high": {"id": "tinggi", "en": "high"},
    "ties_title": {"id": "Ikatan: perekat (bonding) vs penjembatan (bridging)", "en": "Ties: bonding vs bridging"},
    "month_axis": {"id": "bulan", "en": "month"},
    "share_axis": {"id": "proporsi", "en": "share"},
    "ties_axis": {"id": "jumlah ikatan", "en": "number of ties"},
    "trader": {"id": "pedagang (bakulan)", "en": "trader (bakulan)"},
    "farmer": {"id": "petani", "en": "farmer (petani)"},
    "umkm": {"id": "pemilik UMKM", "en": "UMKM owner"},
    "agency": {"id": "instansi / pemerintah desa", "en": "agency / village government"},
    "moneylender": {"id": "tengkulak", "en": "moneylender (tengkulak)"},
    "partner": {"id": "mitra usaha (provinsi lain)", "en": "partner firm (other province)"},
    # speed, plotted variables, previous run
    "speed": {"id": "Kecepatan (bulan/detik)", "en": "Speed (months/s)"},
    "speed_max": {"id": "secepatnya", "en": "fastest"},
    "variables": {"id": "Grafik yang ditampilkan", "en": "Charts shown"},
    "previous_note": {
        "id": "Garis putus-putus pudar = percobaan sebelumnya (sebelum Atur ulang)",
        "en": "Faint dashed lines = the previous run (before Reset)",
    },
    "panel_participation": {"id": "Partisipasi anggota (0–1)", "en": "Members' participation (0–1)"},
    "panel_trust": {"id": "Rata-rata kepercayaan (0–1)", "en": "Mean trust (0–1)"},
    "panel_trust_bands": {"id": "Kepercayaan kepada {target}: proporsi", "en": "Trust in {target}: share of actors"},
    "panel_ties": {"id": "Jumlah ikatan per jenis", "en": "Number of ties by kind"},
    "panel_members": {"id": "Jumlah anggota", "en": "Number of members"},
    "panel_skill": {"id": "Keterampilan (0–1)", "en": "Skill (0–1)"},
    "panel_loans": {"id": "Sisa pinjaman (Rp juta)", "en": "Loans outstanding (Rp million)"},
    "panel_borrowers": {"id": "Rumah tangga yang meminjam", "en": "Households borrowing"},
    "panel_savings": {"id": "Simpanan anggota (Rp juta)", "en": "Members' savings (Rp million)"},
    "panel_income": {"id": "Pendapatan rumah tangga (Rp juta/bulan)", "en": "Household income (Rp million/month)"},
    "panel_information": {"id": "Jangkauan informasi (proporsi)", "en": "Information reach (share)"},
    "panel_partners": {"id": "Ikatan kemitraan (jumlah)", "en": "Partnership ties (number)"},
    "panel_reciprocity": {"id": "Resiprositas dan penumpang gratis", "en": "Reciprocity and free riders"},
    "of_members": {"id": "anggota", "en": "members"},
    "of_households": {"id": "semua rumah tangga", "en": "all households"},
    "coop": {"id": "koperasi", "en": "cooperative"},
    "moneylender_short": {"id": "tengkulak", "en": "moneylender"},
    "mandatory": {"id": "wajib", "en": "mandatory"},
    "voluntary": {"id": "sukarela", "en": "voluntary"},
    "mean": {"id": "rata-rata", "en": "mean"},
    "all_households": {"id": "semua", "en": "all"},
    "needy": {"id": "warga miskin", "en": "needy"},
    "all_partner": {"id": "semua", "en": "all"},
    "in_contact": {"id": "masih berhubungan", "en": "in contact"},
    "reciprocity": {"id": "resiprositas", "en": "reciprocity"},
    "free_riders": {"id": "penumpang gratis", "en": "free riders"},
    # click-to-inspect
    "inspect_hint": {
        "id": "Klik sebuah titik pada jaringan untuk melihat aktor itu.",
        "en": "Click a dot in the network to inspect that actor.",
    },
    "inspect_title": {"id": "Aktor {n}: {role}, desa {village}", "en": "Actor {n}: {role}, village {village}"},
    "inspect_region": {"id": "Aktor {n}: {role}", "en": "Actor {n}: {role}"},
    "status_member": {"id": "anggota koperasi", "en": "cooperative member"},
    "status_board": {"id": "anggota pengurus", "en": "board member"},
    "status_outsider": {"id": "bukan anggota", "en": "not a member"},
    "inspect_trust": {
        "id": "Kepercayaan: koperasi {institution}, pengurus {board}, sesama {peer}",
        "en": "Trust: cooperative {institution}, board {board}, peers {peer}",
    },
    "inspect_participation": {
        "id": "Partisipasi: organisasi {organisation}, usaha {business}, modal {capital}",
        "en": "Participation: organisation {organisation}, business {business}, capital {capital}",
    },
    "inspect_ties": {
        "id": "Ikatan: perekat {bonding}, penjembatan {bridging}, pengait {linking}",
        "en": "Ties: bonding {bonding}, bridging {bridging}, linking {linking}",
    },
    "inspect_history": {"id": "Riwayat aktor {n}", "en": "History of actor {n}"},
    "participation_mean": {"id": "partisipasi", "en": "participation"},
    "inspect_close": {"id": "Tutup", "en": "Close"},
    # what each intervention changes, and how fast: checked by tests/test_app.py::test_slider_notes_are_true
    "note_training": {
        "id": "Cepat: ikatan pengait dan keterampilan anggota melonjak pada bulan 1 (grafik «{ties}», «{skill}»). "
        "Kepercayaan dan partisipasi hampir tidak berubah: manfaatnya sampai ke sana hanya lewat pendapatan, "
        "sangat pelan.",
        "en": "Fast: linking ties and members' skill jump in month 1 (charts «{ties}», «{skill}»). Trust and "
        "participation hardly move: the gain reaches them only through income, very slowly.",
    },
    "note_follow_up": {
        "id": "Tanpa pendampingan keterampilan baru memudar dalam beberapa bulan; selisihnya jelas setelah "
        "sekitar setahun (grafik «{skill}»).",
        "en": "Without follow-up new skills fade within months; the gap is clear after about a year (chart «{skill}»).",
    },
    "note_kemitraan": {
        "id": "Cepat: ikatan kemitraan muncul pada bulan 3 (grafik «{partners}»).",
        "en": "Fast: partnership ties appear in month 3 (chart «{partners}»).",
    },
    "note_association": {
        "id": "Dengan asosiasi lebih banyak mitra tetap berhubungan sejak bulan 6; tanpa asosiasi kontak "
        "jarang (grafik «{partners}», garis 'masih berhubungan').",
        "en": "With an association more partners stay in contact from month 6; without one contact is rare "
        "(chart «{partners}», 'in contact' line).",
    },
    "note_grant": {
        "id": "Cepat: pinjaman koperasi naik sejak bulan 6, jelas pada bulan 8 (grafik «{loans}», «{borrowers}»).",
        "en": "Fast: cooperative lending rises from month 6, clearly by month 8 (charts «{loans}», «{borrowers}»).",
    },
    "note_village": {
        "id": "Cepat: informasi sampai ke warga miskin sejak bulan 1 (grafik «{information}»).",
        "en": "Fast: information reaches the needy from month 1 (chart «{information}»).",
    },
    "note_harvest": {
        "id": "Cepat: pendapatan rumah tangga turun pada bulan 6–11 (grafik «{income}»).",
        "en": "Fast: household income drops in months 6–11 (chart «{income}»).",
    },
    "note_households": {
        "id": "Lebih banyak rumah tangga = gambar lebih padat dan langkah lebih lambat.",
        "en": "More households = a busier picture and slower steps.",
    },
    # errors
    "error": {"id": "Terjadi kesalahan: {message}", "en": "Something went wrong: {message}"},
    "join_prompt": {"id": "Masukkan kode kelas yang ditampilkan guru", "en": "Enter the class code the teacher shows"},
    "join_button": {"id": "Masuk", "en": "Join"},
    "join_wrong": {"id": "Kode kelas salah; tanyakan kepada guru", "en": "Wrong class code; ask the teacher"},
    "class_full": {
        "id": "Kelas penuh: sudah ada {limit} sesi terbuka. Tutup tab lain atau tanyakan kepada guru.",
        "en": "The class is full: {limit} sessions are open. Close another tab or ask the teacher.",
    },
    "error_unexpected": {
        "id": "kesalahan tak terduga ({kind}) — detailnya ada di jendela terminal server",
        "en": "unexpected error ({kind}) — details are in the server's terminal window",
    },
}


def text(key: str, lang: str = DEFAULT_LANGUAGE, **values: object) -> str:
    """The text for ``key`` in ``lang`` (Indonesian if ``lang`` is unknown), formatted with ``values``."""
    entry = TEXTS[key]
    template = entry.get(lang, entry[DEFAULT_LANGUAGE])
    return template.format(**values) if values else template
