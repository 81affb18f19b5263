import sys
import threading

import pytest

from skmm.utils._progress import progress_bar


def test_no_bar_and_no_tqdm_import_without_verbose(capfd, monkeypatch):
    monkeypatch.delitem(sys.modules, "tqdm.auto", raising=False)
    with progress_bar(5, verbose=False, desc="Quiet") as bar:
        bar.update(5)
    assert "tqdm.auto" not in sys.modules
    assert capfd.readouterr() == ("", "")


def test_bar_on_stderr_with_total_desc_and_unit(capsys):
    with progress_bar(7, verbose=1, desc="Loud", unit="clip") as bar:
        bar.update(3)
        bar.update(4)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "Loud" in captured.err
    assert "7/7" in captured.err
    assert "clip" in captured.err


def test_bar_closed_on_error(capsys):
    with pytest.raises(RuntimeError, match="boom"):
        with progress_bar(4, verbose=True, desc="Broken") as bar:
            bar.update(1)
            raise RuntimeError("boom")
    # tqdm.close() with leave=True ends the bar's line.
    assert capsys.readouterr().err.endswith("\n")


def test_updates_from_threads_all_count(capsys):
    n_threads, per_thread = 8, 500

    with progress_bar(n_threads * per_thread, verbose=True, desc="Threads") as bar:

        def work():
            for _ in range(per_thread):
                bar.update()

        threads = [threading.Thread(target=work) for _ in range(n_threads)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert bar._bar.n == n_threads * per_thread
    assert f"{n_threads * per_thread}/{n_threads * per_thread}" in (
        capsys.readouterr().err
    )
