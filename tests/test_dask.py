"""Extraction, late fusion and a multimodal grid search on a dask.distributed
cluster, through ``joblib.parallel_config(backend="dask")``: the same numbers
as a serial run, computed by the cluster's workers."""

import functools

import joblib
import numpy as np
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from skmm.audio import MFCC, AudioReader
from skmm.datasets import make_multimodal_digits
from skmm.encode import BagOfWords, FisherVector, StatsPooling
from skmm.fusion import LateFusionClassifier
from skmm.image import HOG

distributed = pytest.importorskip("distributed")


# The scheduler and client live in this process: distributed can leave comms
# and event-loop callbacks whose finalisers fire at a later garbage
# collection, which pytest reports as unraisable exceptions.
pytestmark = pytest.mark.filterwarnings(
    "ignore::pytest.PytestUnraisableExceptionWarning"
)


@pytest.fixture(scope="module")
def client():
    # Two single-threaded worker processes on loopback, no dashboard (it
    # would need bokeh and a free port).
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def _on_dask(client, compute):
    """``compute()`` under the dask backend, and how many tasks the workers
    ran for it."""
    with (
        distributed.get_task_stream(client) as stream,
        joblib.parallel_config(backend="dask"),
    ):
        result = compute()
    return result, len(stream.data)


def _clips(n_clips, seed=0):
    rng = np.random.default_rng(seed)
    return [
        rng.standard_normal(int(n)).astype(np.float32)
        for n in rng.integers(4000, 16000, n_clips)
    ]


def test_mfcc_on_workers_equals_serial(client):
    clips = _clips(60)
    # 4096 frames per batch at n_fft=512: several batches, several tasks.
    mfcc = MFCC(sr=8000, n_fft=512, hop_length=16).fit(clips)
    serial = mfcc.transform(clips)
    distributed_, n_tasks = _on_dask(client, lambda: mfcc.transform(clips))
    assert n_tasks > 1
    assert np.array_equal(distributed_, serial)

    frames = MFCC(sr=8000, n_fft=512, hop_length=16, pooling=None).fit(clips)
    serial = frames.transform(clips)
    distributed_, _ = _on_dask(client, lambda: frames.transform(clips))
    assert len(distributed_) == len(serial)
    assert all(np.array_equal(a, b) for a, b in zip(distributed_, serial, strict=True))


def test_hog_on_workers_equals_serial(client):
    rng = np.random.default_rng(0)
    images = rng.random((40, 64, 48)).astype(np.float32)
    hog = HOG().fit(images)
    serial = hog.transform(images)
    distributed_, n_tasks = _on_dask(client, lambda: hog.transform(images))
    assert n_tasks > 1
    assert np.array_equal(distributed_, serial)


def test_audio_reader_on_workers_equals_serial(client, tmp_path):
    import soundfile

    paths = []
    for i, clip in enumerate(_clips(12, seed=1)):
        path = tmp_path / f"clip{i}.wav"
        soundfile.write(path, clip / 8, 8000, subtype="FLOAT")
        paths.append(str(path))
    reader = AudioReader(sr=16000).fit(paths)
    serial = reader.transform(paths)
    distributed_, n_tasks = _on_dask(client, lambda: reader.transform(paths))
    assert n_tasks > 1
    assert all(np.array_equal(a, b) for a, b in zip(distributed_, serial, strict=True))


def test_encoders_on_workers_equal_serial(client, monkeypatch):
    from skmm.encode import _fisher

    # Posterior blocks of 64 rows (the client's choice, sent with each task),
    # so that the Fisher vectors of these few sets split into several tasks.
    monkeypatch.setattr(_fisher, "_BLOCK_ELEMENTS", 4 * 64)
    rng = np.random.default_rng(0)
    sets = [
        rng.standard_normal((int(n), 16)).astype(np.float32)
        for n in rng.integers(100, 400, 60)
    ]
    for encoder in (
        BagOfWords(n_clusters=16, random_state=0),
        StatsPooling(),
        FisherVector(n_components=4, random_state=0),
    ):
        encoder.fit(sets)
        serial = encoder.transform(sets)
        transform = functools.partial(encoder.transform, sets)
        distributed_, n_tasks = _on_dask(client, transform)
        assert n_tasks > 1
        assert np.array_equal(distributed_, serial)


def _digits():
    data = make_multimodal_digits(80, missing_rate=0, random_state=0)
    return data.data[["image", "audio"]], data.target


def _image_pipeline():
    return make_pipeline(
        HOG(pixels_per_cell=(4, 4), cells_per_block=(1, 1)),
        LogisticRegression(max_iter=500),
    )


def _audio_pipeline():
    return make_pipeline(
        MFCC(sr=8000, n_fft=256, hop_length=64, n_mels=32, n_mfcc=13),
        StandardScaler(),
        LogisticRegression(max_iter=500),
    )


def test_late_fusion_on_workers_equals_serial(client):
    X, y = _digits()
    late = LateFusionClassifier(
        [("image", _image_pipeline(), "image"), ("audio", _audio_pipeline(), "audio")],
        fusion="stacking",
        cv=3,
    )
    serial = late.fit(X, y).predict_proba(X)
    fitted, n_tasks = _on_dask(client, lambda: late.fit(X, y))
    assert n_tasks > 1
    assert np.array_equal(fitted.predict_proba(X), serial)


def test_multimodal_grid_search_on_workers_equals_serial(client):
    X, y = _digits()
    features = ColumnTransformer(
        [
            ("image", HOG(pixels_per_cell=(4, 4), cells_per_block=(1, 1)), "image"),
            (
                "audio",
                MFCC(sr=8000, n_fft=256, hop_length=64, n_mels=32),
                "audio",
            ),
        ]
    )
    pipeline = Pipeline(
        [
            ("features", features),
            ("scale", StandardScaler()),
            ("classify", LogisticRegression(max_iter=500)),
        ]
    )
    grid = {
        "features__image__orientations": [6, 9],
        "features__audio__n_mfcc": [8, 13],
    }
    serial = GridSearchCV(pipeline, grid, cv=2).fit(X, y)
    search, n_tasks = _on_dask(
        client, lambda: GridSearchCV(pipeline, grid, cv=2).fit(X, y)
    )
    assert n_tasks > 1
    assert search.best_params_ == serial.best_params_
    assert np.array_equal(
        search.cv_results_["mean_test_score"], serial.cv_results_["mean_test_score"]
    )
