"""screening.toml of the Mandiri Jaya Morris run (docs/CALIBRATION.md, "Global sensitivity of the
survey statistics"): :func:`kopsim.experiments.sensitivity.screening` at 10% of the largest μ*,
above the noise floor (noise_floor.py), over the statistics the fit uses (the 15 item totals, the
3 r_s where defined, members and the arrears share); the 5% rule is printed beside it.

    python docs/sensitivity-mandiri-jaya/screen.py
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from kopsim.experiments import sensitivity as sa

HERE = Path(__file__).parent
THRESHOLD = 0.10
FITTED = [*sa.survey_outcome_names(), "members", "arrears_share_of_members"]


def main() -> None:
    indices = pd.read_csv(HERE / "morris" / "indices.csv")
    noise = pd.read_csv(HERE / "noise_floor.csv").set_index("outcome")["noise_mu_star"].to_dict()
    result = sa.screening(indices, THRESHOLD, FITTED, noise)
    (HERE / "screening.toml").write_text(sa.screening_toml(result), encoding="utf-8")
    at5 = sa.screening(indices, 0.05, FITTED, noise)
    survey_only = sa.screening(indices, THRESHOLD, sa.survey_outcome_names(), noise)
    print(f"10%: inert {result['inert']}")
    print(f"10%, survey statistics only: inert {survey_only['inert']}")
    print(f" 5%: inert {at5['inert']}")


if __name__ == "__main__":
    main()
