"""Video: classification of generated clip-art videos, and decoding + HOG speed.

a. Classification. ``--per-class`` videos (default 60) of each of
   ``--classes`` clip-art categories (default 5: 300 videos), written here
   by PyAV (64x64, 8 fps, MPEG-4, 16-bit PCM sound): two shots of 12 frames,
   each a camera-like pan across a picture of the video's category plus
   sensor noise, joined by a hard cut. Pictures are never shared between
   videos (so no picture is in both a training and a test fold). The sound
   track is an FSDD recording of the digit assigned to the category (a
   random speaker and take), in the middle of 3 s of silence. Stratified
   5-fold cross-validation (seed 0), accuracy and macro F1 of:

   - frames pooled: ``VideoReader(max_frames=8)`` > ``PerItem`` of HOG and
     an HSV colour histogram of each frame, averaged > scaler > logistic
     regression (skmm's default video pipeline);
   - middle frame alone: the same with ``max_frames=1`` (the frame at the
     middle of the duration);
   - sound alone: ``VideoReader(audio="only")`` > MFCC (mean, std);
   - late fusion of frames pooled and sound (``LateFusionClassifier``, both
     reading the same video column): weights learned on out-of-fold
     probabilities, a product of probabilities, and stacking.

b. Speed. All frames of ``--speed-videos`` videos (default 24) of 96
   frames at 128x128 decoded and turned into HOG (gray, 8x8 cells, 2x2
   blocks, 9 orientations), per second: skmm (``VideoReader(color="gray",
   n_jobs=2)`` then ``HOG(n_jobs=2)``) against an OpenCV ``VideoCapture``
   loop with ``skimage.feature.hog`` per frame (one process: OpenCV and
   scikit-image as a user calls them). The features are checked to
   agree. Decoding alone is timed too (the same readers, no HOG). Best of
   ``--repeat`` runs.

Run: ``PYTHONPATH=. python benchmarks/bench_video.py [--data ../shared/data]``.
"""

import argparse
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
# The tests' generator of clip-art shots (pans, noise), shared on purpose.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "video"))

FPS, SHOT_LEN, N_SHOTS = 8, 12, 2
CATEGORIES = ("animals", "food", "people", "transportation", "signs_and_symbols")


def _pictures(data, categories, n_per_category, seed):
    from _clipart_videos import _PICTURE

    from skmm.image import ImageReader

    items = pd.read_csv(data / "openclipart" / "items.csv")
    rng = np.random.default_rng(seed)
    reader = ImageReader(
        color="rgb",
        size=(_PICTURE, _PICTURE),
        keep_aspect=True,
        pad_value="background",
        n_jobs=2,
    )
    pictures = {}
    for category in categories:
        rows = items[items["category"] == category]
        chosen = rows.iloc[rng.choice(len(rows), n_per_category, replace=False)]
        paths = [str(data / "openclipart" / p) for p in chosen["image"]]
        pictures[category] = reader.fit_transform(paths)
    return pictures


def _sounds(data, digit, rng):
    import soundfile

    files = sorted((data / "fsdd" / "recordings").glob(f"{digit}_*.wav"))
    clip, sr = soundfile.read(files[rng.integers(len(files))], dtype="float32")
    track = np.zeros(3 * sr, np.float32)
    start = (len(track) - len(clip)) // 2
    track[start : start + len(clip)] = clip[: len(track)]
    return track, sr


def make_videos(data, folder, n_classes, per_class, seed=0):
    from _clipart_videos import shot

    from skmm.video import write_video

    categories = CATEGORIES[:n_classes]
    pictures = _pictures(data, categories, per_class * N_SHOTS, seed)
    rng = np.random.default_rng(seed)
    paths, labels = [], []
    for label, category in enumerate(categories):
        for v in range(per_class):
            frames = []
            for s in range(N_SHOTS):
                picture = pictures[category][v * N_SHOTS + s]
                frames += shot(picture, SHOT_LEN, rng, noise=6.0)
            sound, sr = _sounds(data, label, rng)
            path = folder / f"{category}_{v}.avi"
            write_video(path, frames, fps=FPS, sound=sound, sr=sr)
            paths.append(str(path))
            labels.append(category)
    return pd.DataFrame({"video": paths}), np.array(labels)


def _frames_pipeline(max_frames):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, Pipeline
    from sklearn.preprocessing import StandardScaler

    from skmm.compose import PerItem
    from skmm.image import HOG, ColorHistogram
    from skmm.video import VideoReader

    features = FeatureUnion(
        [
            ("hog", HOG(pixels_per_cell=(8, 8), cells_per_block=(2, 2))),
            ("color", ColorHistogram(color_space="hsv", hist_size=(8, 3, 3))),
        ]
    )
    return Pipeline(
        [
            ("read", VideoReader(max_frames=max_frames)),
            ("frames", PerItem(features)),
            ("scale", StandardScaler()),
            ("clf", LogisticRegression(C=0.01, max_iter=2000)),
        ]
    )


def classification(data, n_classes, per_class):
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score, f1_score
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    from skmm.audio import MFCC
    from skmm.fusion import LateFusionClassifier
    from skmm.video import VideoReader

    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        X, y = make_videos(data, Path(tmp), n_classes, per_class)
        print(
            f"{len(X)} videos of {n_classes} categories written in "
            f"{time.perf_counter() - start:.0f} s "
            f"({N_SHOTS} shots x {SHOT_LEN} frames, 64x64, {FPS} fps)\n"
        )
        sound = Pipeline(
            [
                ("read", VideoReader(audio="only", sr=16000)),
                (
                    "mfcc",
                    MFCC(
                        sr=16000,
                        n_mfcc=20,
                        n_fft=512,
                        hop_length=160,
                        n_mels=40,
                        pooling=("mean", "std"),
                    ),
                ),
                ("scale", StandardScaler()),
                ("clf", LogisticRegression(C=0.1, max_iter=2000)),
            ]
        )
        models = {
            "frames pooled (8 frames)": (_frames_pipeline(8), "video"),
            "middle frame alone": (_frames_pipeline(1), "video"),
            "sound track alone (MFCC)": (sound, "video"),
        }
        for fusion in ("weighted", "product", "stacking"):
            models[f"late fusion ({fusion}): frames pooled + sound"] = (
                LateFusionClassifier(
                    [
                        ("frames", _frames_pipeline(8), "video"),
                        ("sound", sound, "video"),
                    ],
                    fusion=fusion,
                ),
                None,
            )
        cv = StratifiedKFold(5, shuffle=True, random_state=0)
        print("| model | accuracy | macro F1 | time (s) |")
        print("| --- | ---: | ---: | ---: |")
        for name, (model, column) in models.items():
            start = time.perf_counter()
            inputs = X[column] if column else X
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", category=FutureWarning)
                predicted = cross_val_predict(model, inputs, y, cv=cv)
            seconds = time.perf_counter() - start
            print(
                f"| {name} | {accuracy_score(y, predicted):.3f} | "
                f"{f1_score(y, predicted, average='macro'):.3f} | {seconds:.0f} |",
                flush=True,
            )


def _best(func, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - start)
    return min(times), result


def speed(n_videos, repeat):
    import cv2
    from skimage.feature import hog

    from skmm.image import HOG
    from skmm.video import VideoReader, write_video

    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for v in range(n_videos):
            base = rng.integers(0, 256, (160, 160, 3), dtype=np.uint8)
            base = cv2.GaussianBlur(base, (5, 5), 2)
            frames = (
                np.roll(base, (i, 2 * i), axis=(0, 1))[:128, :128] for i in range(96)
            )
            paths.append(str(Path(tmp) / f"speed{v}.avi"))
            write_video(paths[-1], frames, fps=24)
        n_frames = 96 * n_videos
        reader = VideoReader(color="gray", n_jobs=2).fit()
        extractor = HOG(pixels_per_cell=(8, 8), cells_per_block=(2, 2), n_jobs=2)

        def ours():
            videos = reader.transform(paths)
            return extractor.fit_transform([f for video in videos for f in video])

        def reference():
            rows = []
            for path in paths:
                capture = cv2.VideoCapture(path)
                while True:
                    ok, frame = capture.read()
                    if not ok:
                        break
                    gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
                    rows.append(
                        hog(gray, pixels_per_cell=(8, 8), cells_per_block=(2, 2))
                    )
                capture.release()
            return np.array(rows)

        def decode_ours():
            return sum(len(video) for video in reader.transform(paths))

        def decode_reference():
            n = 0
            for path in paths:
                capture = cv2.VideoCapture(path)
                while capture.read()[0]:
                    n += 1
                capture.release()
            return n

        ours()  # warm-up: Numba cache, FFmpeg
        t_ours, features = _best(ours, repeat)
        t_ref, expected = _best(reference, repeat)
        t_decode_ours, n_ours = _best(decode_ours, repeat)
        t_decode_ref, n_ref = _best(decode_reference, repeat)
    assert n_ours == n_ref == n_frames
    assert features.shape == expected.shape == (n_frames, expected.shape[1])
    error = np.abs(features - expected).max()
    print(
        f"\n{n_videos} videos x 96 frames of 128x128 (MPEG-4 AVI): all frames "
        "decoded, gray, HOG (8x8 cells, 2x2 blocks)\n"
    )
    # OpenCV's FFmpeg backend decodes with FFmpeg's own threads (one per
    # core by default); hog runs in the calling thread.
    cv_threads = "1 + FFmpeg's"
    print("| side | threads | time (s) | frames/s | ratio |")
    print("| --- | ---: | ---: | ---: | ---: |")
    print(
        f"| OpenCV VideoCapture + skimage hog per frame | {cv_threads} | {t_ref:.2f} | "
        f"{n_frames / t_ref:,.0f} | 1.0x |"
    )
    print(
        f"| skmm VideoReader + HOG (n_jobs=2) | 2 | {t_ours:.2f} | "
        f"{n_frames / t_ours:,.0f} | {t_ref / t_ours:.1f}x |"
    )
    print(
        f"| decoding alone: OpenCV VideoCapture loop | {cv_threads} | "
        f"{t_decode_ref:.2f} | "
        f"{n_frames / t_decode_ref:,.0f} | 1.0x |"
    )
    print(
        f"| decoding alone: skmm VideoReader (gray, n_jobs=2) | 2 | "
        f"{t_decode_ours:.2f} | {n_frames / t_decode_ours:,.0f} | "
        f"{t_decode_ref / t_decode_ours:.1f}x |"
    )
    print(f"\nlargest difference of the features: {error:.1e}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--classes", type=int, default=5)
    parser.add_argument("--per-class", type=int, default=60)
    parser.add_argument("--speed-videos", type=int, default=24)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-classification", action="store_true")
    args = parser.parse_args()
    if not args.skip_classification:
        if (
            not (args.data / "openclipart" / "items.csv").is_file()
            or not (args.data / "fsdd" / "recordings").is_dir()
        ):
            print(f"clip art or FSDD not found under {args.data}: (a) left out")
        else:
            classification(args.data, args.classes, args.per_class)
    speed(args.speed_videos, args.repeat)


if __name__ == "__main__":
    main()
