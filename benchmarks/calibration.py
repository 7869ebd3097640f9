"""The documented Mandiri Jaya ABC fit, timed: ``python -m benchmarks.calibration [--quick]``.

Targets of issues #11 and #12: the documented fit (docs/CALIBRATION.md section 5) finishes in at
most 10 minutes on 2 cores, and its final generation has an effective sample size of at least 100
of 200 particles. This runs that command as a user does (the installed ``kopsim``, in a fresh
process), with the fit's output in a temporary directory, and reports

- wall time, and the CPU time of the command and its worker processes (user + system); CPU ÷ 2
  is what the wall time would be on 2 otherwise idle cores, so a busy machine shows in the gap;
- per generation: ε, simulations, ESS, acceptance rate and wall seconds (``populations.csv``);
- the final ESS and the posterior-predictive tally (targets inside their 90% range);
- measured ÷ target for the wall time (600 s) and target ÷ measured for the ESS (100).

``--quick`` runs a 1,200-simulation fit with 40 predictive draws (about 2 minutes) and projects
the documented fit's time from the seconds per simulation (5,552 fit simulations and 400
predictive runs). Figures go to ``benchmarks/results/calibration.json``, written as soon as
they are measured.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
TARGET_SECONDS = 600.0
TARGET_ESS = 100.0
POPULATION = 200
# The documented command (docs/CALIBRATION.md section 5); --out is added.
DOCUMENTED = [
    "calibrate", "mandiri_jaya", "mandiri_jaya", "--budget", "7000", "--population", str(POPULATION),
    "--seed", "2018", "--kernel", "wide", "--point", "median", "--ppc-draws", "200",
]  # fmt: skip
QUICK = [
    "calibrate", "mandiri_jaya", "mandiri_jaya", "--budget", "1200", "--population", str(POPULATION),
    "--seed", "2018", "--kernel", "wide", "--point", "median", "--ppc-draws", "40",
]  # fmt: skip
DOCUMENTED_RUNS = 5552 + 2 * 200  # fit simulations of the documented fit + predictive and point runs


def _kopsim() -> str:
    # the kopsim of this interpreter's environment first, then the one on PATH
    sibling = Path(sys.executable).with_name("kopsim")
    exe = str(sibling) if sibling.exists() else shutil.which("kopsim")
    if exe is None:
        raise SystemExit(
            "benchmarks.calibration: the kopsim command is not installed (pip install -e '.[calibration]')"
        )
    return exe


def _write(out: Path, record: dict) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps(record, indent=2))
    tmp.replace(out)


def measure(args: list[str]) -> dict:
    """Run ``kopsim`` with ``args`` into a temporary directory; wall and CPU time, per-generation table."""
    import pandas as pd

    with tempfile.TemporaryDirectory() as tmp:
        fit = Path(tmp) / "fit"
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        done = subprocess.run([_kopsim(), *args, "--out", str(fit)], capture_output=True, text=True, check=False)
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if done.returncode != 0:
            raise SystemExit(f"benchmarks.calibration: kopsim failed ({done.returncode}):\n{done.stderr[-2000:]}")
        pops = pd.read_csv(fit / "populations.csv")
        ppc = pd.read_csv(fit / "ppc.csv")
        manifest = json.loads((fit / "manifest.json").read_text())
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    fitted, held = ppc[~ppc["held_out"]], ppc[ppc["held_out"]]
    return {
        "command": "kopsim " + " ".join(args) + " --out fit/",
        "wall_seconds": wall,
        "cpu_seconds": cpu,
        "simulations": int(manifest["simulations_used"]),
        "generations": pops.round(3).to_dict(orient="records"),
        "final_ess": float(pops["ess"].iloc[-1]),
        "final_epsilon": float(pops["epsilon"].iloc[-1]),
        "fitted_inside": f"{int(fitted['inside'].sum())} of {len(fitted)}",
        "held_out_inside": f"{int(held['inside'].sum())} of {len(held)}",
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.calibration", description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="a 1,200-simulation fit, projected to the documented one")
    ap.add_argument("--out", type=Path, default=RESULTS / "calibration.json")
    args = ap.parse_args(argv)
    record: dict = {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_average_before": os.getloadavg(),
        "quick": args.quick,
        "complete": False,
    }
    _write(args.out, record)
    print("running:", "kopsim " + " ".join(QUICK if args.quick else DOCUMENTED), flush=True)
    m = measure(QUICK if args.quick else DOCUMENTED)
    record.update(m, load_average_after=os.getloadavg(), complete=True)
    print(f"{'generation':>10} {'epsilon':>9} {'sims':>6} {'ESS':>6} {'accept':>7} {'wall s':>7}")
    for g in m["generations"]:
        print(
            f"{g['t']:>10} {g['epsilon']:>9.0f} {g['simulations']:>6} {g['ess']:>6.0f} "
            f"{g['acceptance_rate']:>7.2f} {g['wall_seconds']:>7.1f}"
        )
    runs = m["simulations"] + (80 if args.quick else 400)
    per_run = m["cpu_seconds"] / runs
    print(
        f"wall {m['wall_seconds']:.0f} s, CPU {m['cpu_seconds']:.0f} s ({per_run:.3f} s per run; CPU / 2 = "
        f"{m['cpu_seconds'] / 2:.0f} s), {m['simulations']} simulations; final ε {m['final_epsilon']:.0f}, "
        f"ESS {m['final_ess']:.0f} of {POPULATION}; inside their 90% ranges: fitted {m['fitted_inside']}, "
        f"held out {m['held_out_inside']}"
    )
    if args.quick:
        projected = per_run * DOCUMENTED_RUNS / 2
        record["projected_documented_seconds"] = projected
        print(
            f"documented fit projected from CPU per run: {projected:.0f} s on 2 cores; "
            f"÷ target {projected / TARGET_SECONDS:.2f}"
        )
    else:
        print(
            f"targets: wall {m['wall_seconds']:.0f} s ÷ {TARGET_SECONDS:.0f} s = "
            f"{m['wall_seconds'] / TARGET_SECONDS:.2f} "
            f"(CPU / 2: {m['cpu_seconds'] / 2 / TARGET_SECONDS:.2f}); ESS {TARGET_ESS:.0f} ÷ {m['final_ess']:.0f} = "
            f"{TARGET_ESS / m['final_ess']:.2f} (≤ 1 meets both)"
        )
    _write(args.out, record)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
