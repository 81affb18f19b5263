"""Videos made of real clip art (shots with cuts, fades and pans) and FSDD
sound, for the video tests: written by PyAV, read back by skmm."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

DATA_DIR = Path(__file__).parents[2].parent / "shared" / "data"
CLIPART_DIR = DATA_DIR / "openclipart"
RECORDINGS = DATA_DIR / "fsdd" / "recordings"

needs_clipart = pytest.mark.skipif(
    not (CLIPART_DIR / "items.csv").is_file(),
    reason=f"clip art not found at {CLIPART_DIR} (real data lives in ../shared/data)",
)
needs_fsdd = pytest.mark.skipif(
    not RECORDINGS.is_dir(),
    reason=f"FSDD not found at {RECORDINGS} (real data lives in ../shared/data)",
)

SIZE = 64
# Pictures are read larger than the frame: a shot pans a SIZE x SIZE window
# across its picture, as a camera would.
_PICTURE = 88


def clipart_pictures(n, seed=0, categories=None):
    """``n`` clip-art pictures as RGB uint8 arrays (transparency on white),
    each from a random category, drawn with ``seed``."""
    from skmm.image import ImageReader

    items = pd.read_csv(CLIPART_DIR / "items.csv")
    if categories is not None:
        items = items[items["category"].isin(categories)]
    rng = np.random.default_rng(seed)
    chosen = items.iloc[rng.choice(len(items), size=n, replace=False)]
    paths = [str(CLIPART_DIR / image) for image in chosen["image"]]
    reader = ImageReader(
        color="rgb",
        size=(_PICTURE, _PICTURE),
        keep_aspect=True,
        pad_value="background",
    )
    return reader.fit_transform(paths)


def shot(picture, n_frames, rng, *, pan=True, noise=2.0):
    """``n_frames`` frames of one picture: a window panning smoothly across
    it (sub-pixel steps, in a random direction) plus sensor-like noise."""
    import cv2

    span = picture.shape[0] - SIZE
    start = rng.uniform(0, span, 2)
    stop = rng.uniform(0, span, 2) if pan else start
    frames = []
    for t in np.linspace(0, 1, n_frames):
        y, x = start + t * (stop - start)
        shift = np.array([[1.0, 0.0, -x], [0.0, 1.0, -y]])
        frame = cv2.warpAffine(
            picture.astype(np.float32), shift, (SIZE, SIZE), flags=cv2.INTER_LINEAR
        )
        frame += rng.normal(0, noise, frame.shape)
        frames.append(np.clip(frame, 0, 255).astype(np.uint8))
    return frames


def shots_video(pictures, shot_len, rng, *, transition="cut", fade_len=8):
    """Frames of shots of ``pictures`` in order, joined by hard cuts or by
    fades (to black and back); and the index of the first frame of each new
    shot (for a fade: its first frame fading in)."""
    frames, boundaries = [], []
    for i, picture in enumerate(pictures):
        frames_i = shot(picture, shot_len, rng)
        if transition == "fade":
            ramp = np.linspace(0, 1, fade_len + 1)[1:]
            if i > 0:
                for k in range(fade_len):
                    frames_i[k] = (frames_i[k] * ramp[k]).astype(np.uint8)
            if i < len(pictures) - 1:
                for k in range(fade_len):
                    j = shot_len - fade_len + k
                    frames_i[j] = (frames_i[j] * ramp[::-1][k]).astype(np.uint8)
        if i > 0:
            boundaries.append(len(frames))
        frames.extend(frames_i)
    return frames, np.asarray(boundaries)


def fsdd_sound(n_clips, seed=0):
    """FSDD clips (8 kHz, int16) one after another, as float32 in [-1, 1),
    with the int16 samples."""
    import soundfile

    files = sorted(RECORDINGS.glob("*.wav"))
    rng = np.random.default_rng(seed)
    picked = [files[i] for i in rng.choice(len(files), n_clips, replace=False)]
    samples = np.concatenate([soundfile.read(f, dtype="int16")[0] for f in picked])
    return samples.astype(np.float32) / 32768, samples
