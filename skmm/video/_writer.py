"""Write frames (and a sound track) to a video file, with PyAV."""

import os
from fractions import Fraction

import numpy as np

from skmm.video._reader import _import_av

__all__ = ["write_video"]

# Codecs by container: MPEG-4 part 2 video everywhere FFmpeg's wheels encode
# it; lossless PCM sound where the container holds it, AAC in MP4/MOV.
_CODECS = {
    ".avi": ("mpeg4", "pcm_s16le"),
    ".mkv": ("mpeg4", "pcm_s16le"),
    ".mp4": ("mpeg4", "aac"),
    ".mov": ("mpeg4", "aac"),
    ".webm": ("libvpx", "libopus"),
}


def write_video(
    path, frames, *, fps, sound=None, sr=None, codec=None, audio_codec=None,
    bit_rate=4_000_000,
):  # fmt: skip
    """Write RGB frames, and optionally a mono sound track, to a video file.

    Parameters
    ----------
    path : str or os.PathLike
        The file; its extension picks the container (``.avi``, ``.mkv``,
        ``.mp4``, ``.mov``, ``.webm``) and, by default, the codecs.
    frames : iterable of ndarray
        RGB uint8 frames ``(height, width, 3)`` of one even size (or gray
        ``(height, width)``), in order; they may be generated one at a time.
    fps : int or fractions.Fraction
        Frame rate.
    sound : array-like of shape (n_samples,) or None, default=None
        Mono samples in [-1, 1] (a :class:`~skmm.audio.Waveform` gives its
        rate).
    sr : int or None, default=None
        Sample rate of ``sound``; None takes ``sound.sr``.
    codec, audio_codec : str or None, default=None
        FFmpeg encoder names; None: MPEG-4 video, and 16-bit PCM sound in
        AVI and MKV (lossless), AAC in MP4 and MOV, VP8 and Opus in WebM.
    bit_rate : int, default=4_000_000
        Video bit rate in bit/s (high, so that small test videos keep
        their content).

    Returns
    -------
    n_frames : int
        Frames written.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from skmm.video import write_video
    >>> path = os.path.join(tempfile.mkdtemp(), "grey.mkv")
    >>> write_video(path, [np.full((16, 16, 3), 128, np.uint8)] * 5, fps=5)
    5
    """
    av = _import_av()
    path = os.fspath(path)
    extension = os.path.splitext(path)[1].lower()
    default_video, default_audio = _CODECS.get(extension, ("mpeg4", "aac"))
    if sound is not None and sr is None:
        sr = getattr(sound, "sr", None)
        if sr is None:
            raise ValueError("sound needs a sample rate: pass sr.")
    n_frames = 0
    with av.open(path, "w") as container:
        video = container.add_stream(codec or default_video, rate=Fraction(fps))
        video.bit_rate = int(bit_rate)
        audio = None
        if sound is not None:
            audio = container.add_stream(audio_codec or default_audio, rate=int(sr))
            audio.layout = "mono"
        for frame in frames:
            frame = np.asarray(frame)
            if n_frames == 0:
                video.height, video.width = frame.shape[:2]
            if frame.ndim == 2:
                frame = np.repeat(frame[..., None], 3, axis=2)
            image = av.VideoFrame.from_ndarray(
                np.ascontiguousarray(frame, dtype=np.uint8), format="rgb24"
            )
            container.mux(video.encode(image))
            n_frames += 1
        container.mux(video.encode())
        if audio is not None:
            samples = np.asarray(sound, dtype=np.float32).reshape(1, -1)
            block = audio.codec_context.frame_size or 1024
            for start in range(0, samples.shape[1], block):
                chunk = av.AudioFrame.from_ndarray(
                    np.ascontiguousarray(samples[:, start : start + block]),
                    format="flt",
                    layout="mono",
                )
                chunk.sample_rate = int(sr)
                chunk.pts = start
                chunk.time_base = Fraction(1, int(sr))
                container.mux(audio.encode(chunk))
            container.mux(audio.encode())
    return n_frames
