import subprocess
import sys
import textwrap

import skmm.plotting


def _run(code):
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_public_names():
    assert sorted(skmm.plotting.__all__) == [
        "HOGDisplay",
        "MissingModalityDisplay",
        "ModalityContributionDisplay",
        "ModalityImportanceDisplay",
        "RetrievalPrecisionRecallDisplay",
    ]
    for name in skmm.plotting.__all__:
        assert hasattr(skmm.plotting, name)


def test_import_does_not_load_matplotlib():
    out = _run(
        """
        import sys
        import skmm.plotting
        print("matplotlib" in sys.modules)
        """
    )
    assert out.strip() == "False"


def test_works_without_matplotlib_until_drawing():
    # matplotlib made unimportable: the module imports, drawing names what
    # to install.
    out = _run(
        """
        import sys
        sys.modules["matplotlib"] = None
        from skmm.plotting import (
            HOGDisplay, MissingModalityDisplay, ModalityContributionDisplay,
            ModalityImportanceDisplay, RetrievalPrecisionRecallDisplay)
        calls = [
            lambda: RetrievalPrecisionRecallDisplay([1.0, 0.5], [0.0, 1.0]).plot(),
            lambda: RetrievalPrecisionRecallDisplay.from_predictions(
                [0], [0, 1], [[1.0, 0.0]]),
            lambda: ModalityContributionDisplay(["a"], [1.0], [0.0]).plot(),
            lambda: ModalityImportanceDisplay(["a"], [[1.0]]).plot(),
            lambda: ModalityImportanceDisplay.from_result(
                {"modality_names": ["a"], "importances": [[1.0]]}),
            lambda: MissingModalityDisplay([0.0], [[[1.0]]], ["a"]).plot(),
            lambda: HOGDisplay([[0.0]], [[0.0]]).plot(),
        ]
        for call in calls:
            try:
                call()
            except ImportError as error:
                assert "requires matplotlib" in str(error), error
                assert "pip install matplotlib" in str(error), error
            else:
                raise AssertionError("no ImportError")
        print("ok")
        """
    )
    assert out.strip() == "ok"
