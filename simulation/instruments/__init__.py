"""The observation model: the instruments of the field studies, applied to a simulated cooperative.

Three instruments of DOMAIN.md ("Measurement instruments the model must speak"):

1. **Member survey** (Firdaus & Baga 2019, Koperasi Mandiri Jaya). :func:`.member_survey.virtual_survey`
   draws respondents from a simulated cooperative and answers the fifteen items (:data:`ITEMS`:
   eight participation items in three domains and the seven benefit items) from their model
   state through the response model below; :func:`load_survey_csv` reads the same table from
   real answers. :func:`analyse` turns either into item totals, categories, answer shares and
   Spearman correlations, so a simulated and a real survey are summarised identically.
2. **PTP** — Penilaian Tangga Perkembangan (Soedjono 2003): :func:`ptp_score` scores the 23
   variables of a cooperative from its state and sums them into the four indicators and
   their green / yellow / red zones.
3. **Relational properties** of partnerships (Franke 2005): :func:`partnership_properties`.

Besides them, :mod:`.trust_survey` reads the trust categories (low / medium / high) of a sample
drawn from a group (members, UMKM owners, a programme's participants), as a field study reports them.

Modules: :mod:`.member_survey` (items, response model, latent scores, virtual survey),
:mod:`.survey_analysis` (statistics of a survey: totals, categories, Spearman r_s),
:mod:`.survey_csv` (real answers as CSV), :mod:`.published` (published figures of a reference case),
:mod:`.ptp` (the PTP score), :mod:`.relational` (relational properties of partnerships) and
:mod:`.trust_survey` (trust categories of a group's sample).
"""

from importlib import resources

DATA = resources.files("kopsim") / "data"  # bundled data: published figures, the survey template
