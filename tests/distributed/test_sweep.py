"""``nnumpy sweep``: the plan (grid, random), the run folders, the ranked summary, errors; and under mpiexec."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

from nnumpy.cli import main
from nnumpy.cli._sweep import plan, rank_runs

from .test_mpi import _missing, run_mpi

SWEEP = """
[sweep]
method = "{method}"
trials = 3

[sweep.params]
"optimizer.lr" = {lr}
"train.batch_size" = [8, 16]

[train]
dataset = "iris"
epochs = 3
seed = 0

[model]
layers = "4-8-3"
"""


def _write(tmp_path: Path, method="grid", lr="[0.1, 0.5]") -> Path:
    path = tmp_path / "sweep.toml"
    path.write_text(SWEEP.format(method=method, lr=lr))
    return path


def _summary(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_sweep_plan_grid_is_every_combination_and_random_draws_trials():
    grid = plan({"params": {"optimizer.lr": [0.1, 0.5], "train.batch_size": [8, 16, 32]}})
    assert len(grid) == 6 and {"optimizer.lr": 0.5, "train.batch_size": 32} in grid
    spec = {"method": "random", "trials": 20, "seed": 1,
            "params": {"optimizer.lr": {"low": 0.01, "high": 1.0, "log": True},
                       "train.batch_size": {"low": 8, "high": 64}}}
    draws = plan(spec)
    assert len(draws) == 20 and draws == plan(spec)  # seeded
    assert all(0.01 <= d["optimizer.lr"] <= 1.0 and isinstance(d["train.batch_size"], int) for d in draws)


@pytest.mark.parametrize("sweep, match", [
    ({"params": {}}, "at least one"),
    ({"params": {"lr": [0.1]}}, "<section>.<key>"),
    ({"method": "bayes", "params": {"optimizer.lr": [0.1]}}, "'grid' or 'random'"),
    ({"params": {"optimizer.lr": {"low": 0.1, "high": 1}}}, "non-empty list"),
    ({"method": "random", "params": {"optimizer.lr": {"low": 0.0, "high": 1, "log": True}}}, "low > 0"),
    ({"params": {"optimizer.lr": [0.1]}, "trails": 3}, "unknown key"),
])
def test_sweep_plan_rejects_bad_tables(sweep, match):
    with pytest.raises(ValueError, match=match):
        plan(sweep)


def test_sweep_rank_runs_puts_the_best_validation_first_and_failures_last():
    nan = float("nan")
    rows = [{"run": "a", "best_val_accuracy": 0.9, "val_loss": 0.3}, {"run": "b", "best_val_accuracy": nan},
            {"run": "c", "best_val_accuracy": 0.9, "val_loss": 0.2}, {"run": "d", "best_val_accuracy": 0.95}]
    assert [r["run"] for r in rank_runs(rows)] == ["d", "c", "a", "b"]


def test_cli_sweep_writes_a_folder_per_run_and_a_ranked_summary(tmp_path, capsys):
    assert main(["sweep", "--config", str(_write(tmp_path)), "--out", str(tmp_path / "out")]) == 0
    rows = _summary(tmp_path / "out" / "summary.csv")
    assert [r["rank"] for r in rows] == ["1", "2", "3", "4"] and all(r["status"] == "ok" for r in rows)
    accs = [float(r["best_val_accuracy"]) for r in rows]
    assert accs == sorted(accs, reverse=True)
    for r in rows:
        folder = tmp_path / "out" / r["run"]
        assert {"run.toml", "config.toml", "history.csv", "model.safetensors", "train.log"} <= {
            p.name for p in folder.iterdir()}
        assert f"lr = {float(r['optimizer.lr'])!r}" in (folder / "run.toml").read_text()
    assert "rank  run" in capsys.readouterr().out


def test_cli_sweep_bad_config_is_a_usage_error_and_a_failed_run_a_row(tmp_path, capsys):
    assert main(["sweep", "--config", str(_write(tmp_path, method="bayes")), "--out", str(tmp_path / "x")]) == 2
    assert "'grid' or 'random'" in capsys.readouterr().err
    assert main(["sweep", "--config", str(_write(tmp_path, lr="[0.1, -1.0]")), "--out", str(tmp_path / "y")]) == 1
    rows = _summary(tmp_path / "y" / "summary.csv")
    assert [r["status"] for r in rows[:2]] == ["ok", "ok"]
    assert all(r["status"].startswith("failed: ") and "lr" in r["status"] for r in rows[2:])


@pytest.mark.skipif(_missing() is not None and os.environ.get("NNUMPY_REQUIRE_MPI") != "1",
                    reason=f"MPI tests need MPI: {_missing()}")
def test_cli_sweep_under_mpiexec_shares_the_runs_and_ranks_the_same(tmp_path):
    config = _write(tmp_path)
    proc = run_mpi("-m", "nnumpy", "sweep", "--config", str(config), "--out", str(tmp_path / "mpi"), script=None)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("wrote ") == 1  # rank 0 writes the summary
    assert main(["sweep", "--config", str(config), "--out", str(tmp_path / "one")]) == 0
    key = ("rank", "run", "best_val_accuracy", "val_loss", "status")
    strip = lambda rows: [{k: r[k] for k in key} for r in rows]  # noqa: E731
    assert strip(_summary(tmp_path / "mpi" / "summary.csv")) == strip(_summary(tmp_path / "one" / "summary.csv"))
