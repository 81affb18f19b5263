import io
import json

import pytest

from skmm import __version__
from skmm._cli import demo, main


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"skmm {__version__}"


def test_demo_json_runs_the_selected_pipelines(capsys):
    code = main(["demo", "--pipelines", "image*", "--output", "json"])
    assert code == 0
    captured = capsys.readouterr()
    rows = json.loads(captured.out)
    assert [row["pipeline"] for row in rows] == ["image (HOG)"]
    (row,) = rows
    assert 0.5 < row["accuracy"] <= 1 and 0.5 < row["f1_macro"] <= 1
    assert row["seconds"] > 0
    # One progress line per row on standard error.
    assert captured.err.count("skmm demo: [1/1] image (HOG)") == 1


def test_demo_csv_and_modalities():
    out = io.StringIO()
    rows = demo(
        pipelines=["audio*", "text*"],
        modalities=["audio"],
        output="csv",
        file=out,
    )
    assert [row["pipeline"] for row in rows] == ["audio (MFCC)"]
    lines = out.getvalue().splitlines()
    assert lines[0] == "data,pipeline,accuracy,accuracy_std,f1_macro,seconds,shared"
    assert len(lines) == 2 and ",audio (MFCC)," in lines[1]


def test_demo_table_streams_rows():
    out = io.StringIO()
    demo(pipelines=["IMAGE (hog)"], file=out)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("embedded multimodal digits")
    assert lines[1].split() == ["pipeline", "accuracy", "macro", "F1", "seconds"]
    assert lines[2].startswith("image (HOG)")


def test_demo_reports_nothing_to_run(capsys):
    assert main(["demo", "--pipelines", "nothing*"]) == 2
    assert "No pipeline matches" in capsys.readouterr().err


def test_demo_rejects_unknown_modalities(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["demo", "--modalities", "smell"])
    assert exit_info.value.code == 2
    assert "unknown modalities ['smell']" in capsys.readouterr().err


def test_demo_missing_data_folder(tmp_path, capsys):
    assert main(["demo", "--data", str(tmp_path / "absent")]) == 2
    assert "skmm demo:" in capsys.readouterr().err


def test_grouped_data_gets_a_grouped_one_liner():
    # On grouped data (AV digits, leave-one-speaker-out), the one-liner's
    # inner split is grouped, as the hand-built late fusion's is.
    from sklearn.model_selection import GroupKFold

    from skmm._cli import _embedded_blocks, _models

    blocks = _embedded_blocks(0)
    grouped = _models(blocks, GroupKFold(5), 0)
    model = grouped["MultimodalClassifier(cv=GroupKFold)"]
    assert isinstance(model.cv, GroupKFold)
    assert grouped["late fusion"].estimator.cv is model.cv
    assert _models(blocks, 5, 0)["MultimodalClassifier()"].cv == 3


def test_demo_hides_loky_worker_restarts_only(monkeypatch):
    import warnings

    import numpy as np

    import skmm._cli

    def evaluate(*args):
        # What loky's executor says when it replaces a worker that grew.
        warnings.warn(
            "A worker stopped while some jobs were given to the executor. This "
            "can be caused by a too short worker timeout or by a memory leak.",
            UserWarning,
            stacklevel=2,
        )
        return np.array([0.9, 0.8]), np.array([0.9, 0.8])

    monkeypatch.setattr(skmm._cli, "_evaluate", evaluate)
    rows = demo(pipelines=["image*"], file=io.StringIO())  # warnings are errors
    assert rows[0]["accuracy"] == pytest.approx(0.85)

    def other(*args):
        warnings.warn("something else", UserWarning, stacklevel=2)
        return np.array([0.9]), np.array([0.9])

    monkeypatch.setattr(skmm._cli, "_evaluate", other)
    with pytest.warns(UserWarning, match="something else"):
        demo(pipelines=["image*"], file=io.StringIO())


def test_embedded_demo_shows_every_fusion_rule():
    from skmm._cli import _demo_sets, _Rules
    from skmm.compose import MultimodalClassifier
    from skmm.fusion import LateFusionClassifier

    (data,) = list(_demo_sets(None, 0, None))
    (late,) = [m for m in data.models.values() if isinstance(m, _Rules)]
    assert isinstance(late.estimator, LateFusionClassifier)
    rules = list(late.rules.values())
    assert {r["fusion"] for r in rules} == {
        "mean",
        "product",
        "max",
        "vote",
        "stacking",
    }
    assert any(r.get("weights") == "learn" for r in rules)
    assert any(label.startswith("early fusion") for label in data.models)
    assert any(isinstance(m, MultimodalClassifier) for m in data.models.values())
    assert data.cv.get_n_splits() == 4


def test_demo_late_rules_share_their_time(capsys):
    # Rules selected among the late ones run together: one row each, the
    # same seconds, and how many rows share them.
    code = main(["demo", "--pipelines", "late: m*", "--output", "json"])
    assert code == 0
    captured = capsys.readouterr()
    rows = json.loads(captured.out)
    assert [row["pipeline"] for row in rows] == ["late: mean", "late: max"]
    assert rows[0]["seconds"] == rows[1]["seconds"] > 0
    assert [row["shared"] for row in rows] == [2, 2]
    assert rows[0]["accuracy"] > rows[1]["accuracy"] > 0.5
    assert "[2/2] late: max" in captured.err
    # The table shows the time once.
    out = io.StringIO()
    demo(pipelines=["late: m*"], file=out)
    lines = out.getvalue().splitlines()
    assert lines[2].startswith("late: mean") and lines[2].split()[-1] != '"'
    assert lines[3].startswith("late: max") and lines[3].split()[-1] == '"'
    assert lines[4].startswith('Rows marked " share the time above')
