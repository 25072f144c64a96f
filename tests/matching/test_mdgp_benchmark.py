"""The MDGPLIB benchmark: the references it reads and the median over seeds it reports."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from benchmarks.mdgplib import SAMPLES, References, main, reference_values


def test_reference_values_read_the_published_and_the_local_ims_columns(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(
        "| instance | n | groups | size bounds | reference (IMS) |\n"
        "|---|---|---|---|---|\n"
        "| Geo_n120_ds_01 | 120 | 10 | 8..16 | 111895.14 |\n"
        "| RanInt_n120_ss_01 | 120 | 10 | 12..12 | 47909.00 |\n"
        "\n"
        "| instance | n | groups | size bounds | IMS run 1 | IMS seed 1 | IMS seed 2 | IMS here "
        "| IMS here, best of 3 |\n"
        "|---|---|---|---|---|---|---|---|---|\n"
        "| Geo_n120_ds_01 | 120 | 10 | 8..16 | 111895.14 | 111884.51 | 111874.75 "
        "| **111884.51** | 111895.14 |\n"
    )
    found = reference_values(readme)
    assert found["Geo_n120_ds_01"] == References(111895.14, 111884.51, 111895.14)
    missing = found["RanInt_n120_ss_01"]
    assert missing.published == 47909.0 and np.isnan(missing.here) and np.isnan(missing.best_of_3)


def test_seeds_report_the_median_of_the_runs_and_the_ratio_to_ims_here(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copy(SAMPLES / "Sample_n12_ds_01.txt", tmp_path)
    (tmp_path / "README.md").write_text(
        "| Sample_n12_ds_01 | 12 | 3 | 2..6 | 1000.00 |\n"
        "| Sample_n12_ds_01 | 12 | 3 | 2..6 | 1 | 2 | 3 | **800.00** | 1600.00 |\n"
    )
    main(["--data", str(tmp_path), "--seeds", "0", "1", "2", "--time-scale", "0.01"])
    row = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("Sample"))
    fields = row.split()
    objective, runs = float(fields[4]), [float(value) for value in fields[-3:]]
    assert objective == pytest.approx(float(np.median(runs)))
    assert float(fields[9]) == pytest.approx(100 * objective / 800, abs=1e-3)  # % here
    assert float(fields[10]) == pytest.approx(100 * objective / 1600, abs=1e-3)  # % best3
