"""Batches of clips framed for one FFT per batch: shared by MFCC and the
spectral features of :mod:`skmm.audio._features`.

Every batch transformer of :mod:`skmm.audio` checks its waveforms, counts
each clip's frames, groups consecutive clips into batches of a few megabytes
of frames, runs one batch function per batch (``n_jobs`` threads take whole
batches on the CPU; one batch at a time on the GPU), checks that the frames
are finite, and splits or pools them per clip. Only the batch function and
the parameter checks differ between transformers.
"""

import functools

import numpy as np

from skmm.utils._device import any_cupy, array_module, to_numpy
from skmm.utils._progress import progress_bar
from skmm.utils._validation import check_waveforms


class _FramedAudioMixin:
    """Frame layout, batching, finiteness checks and pooling of clips.

    Subclasses have ``sr``, ``n_fft``, ``hop_length``, ``center``,
    ``pad_mode``, ``pooling``, ``device``, ``n_jobs`` and ``verbose``
    parameters, a fitted ``device_``, and implement ``_constants(dtype,
    device)`` (an object with a ``max_frames`` attribute), ``_batch(clips,
    n_frames, constants, device, n_threads)`` returning ``(frames,
    frame_offsets)`` and ``_frame_width()``.
    """

    # How errors name the output ("gives non-finite MFCCs").
    _output_name = "features"

    def _check_frame_counts(self, n_frames):
        """Raise for clips with too few frames; a hook for subclasses."""

    def _extract(self, X):
        """Validate ``X``, run every batch and assemble the output."""
        from skmm.audio._mfcc import _BATCH_BYTES

        waves, rates = check_waveforms(X, name="Audio")
        if not waves:
            return self._no_clips()
        self._check_sample_rates(rates)
        n_frames = self._frame_counts(waves)
        self._check_frame_counts(n_frames)
        dtype = np.result_type(np.float32, *{w.dtype for w in waves})
        on_gpu = any_cupy(waves)
        if on_gpu and self.device_ == "cpu":
            waves = [to_numpy(w) for w in waves]
        constants = self._constants(dtype, self.device_)
        max_frames = max(
            1, _BATCH_BYTES[self.device_] // (self.n_fft * np.dtype(dtype).itemsize)
        )
        batches = list(_batches(n_frames, max_frames))
        with progress_bar(
            len(waves), verbose=self.verbose, desc=type(self).__name__, unit="clip"
        ) as bar:
            if self.device_ == "cuda":
                outputs = []
                for b in batches:
                    output = self._batch(
                        [waves[i] for i in b], n_frames[b], constants, "cuda", 1
                    )
                    outputs.append(self._finish_batch(output, b, waves))
                    bar.update(len(b))
            else:
                outputs = self._batches_on_cpu_threads(
                    waves, batches, n_frames, constants, bar
                )
        return self._assemble(outputs, on_gpu)

    def _batches_on_cpu_threads(self, waves, batches, n_frames, constants, bar):
        """Run batches through joblib: ``n_workers(n_jobs)`` threads, each
        taking whole batches with a serial pipeline.

        Every stage (Numba kernels, the FFT, BLAS, NumPy's ufuncs) releases the
        GIL, so threads that each take whole batches keep all cores busy
        without the oversubscription of multi-threaded FFT and BLAS calls
        competing with each other. One long clip is split into chunks of
        frames instead, which the threads share. A backend set with
        ``joblib.parallel_config`` (dask, say) takes the batches instead, each
        task carrying only its own clips.
        """
        from skmm.utils._parallel import (
            n_workers,
            parallel_map,
            runs_in_threads,
            thread_limits,
        )

        n_threads = n_workers(self.n_jobs)
        in_threads = runs_in_threads()
        with thread_limits(limits=1, user_api="blas"):
            if in_threads and (n_threads == 1 or len(batches) == 1):
                outputs = []
                for b in batches:
                    output = self._batch(
                        [waves[i] for i in b], n_frames[b], constants, "cpu", n_threads
                    )
                    outputs.append(self._finish_batch(output, b, waves))
                    bar.update(len(b))
                return outputs
            outputs = []
            for b, output in zip(
                batches,
                parallel_map(
                    functools.partial(self._batch, device="cpu", n_threads=1),
                    (([waves[i] for i in b], n_frames[b], constants) for b in batches),
                    n_jobs=n_threads if in_threads else self.n_jobs,
                ),
                strict=True,
            ):
                outputs.append(self._finish_batch(output, b, waves))
                bar.update(len(b))
            return outputs

    def _finish_batch(self, output, batch, waves):
        """Check a batch's frames and, when pooling, pool them at once, so
        that only the pooled rows of earlier batches are held."""
        frames, offsets = output
        self._check_finite(frames, offsets, batch, waves)
        if self.pooling is None:
            return output
        from skmm.encode._pooling import pool_flat

        return pool_flat(to_numpy(frames), offsets, tuple(self.pooling)), offsets

    def _no_clips(self):
        """The output for no clips: no rows, of the output's width."""
        if self.pooling is None:
            return []
        width = self._frame_width() * len(self.pooling)
        return np.empty((0, width), dtype=np.float32)

    def _frame_counts(self, waves):
        lengths = np.fromiter((w.shape[0] for w in waves), np.int64, len(waves))
        if self.center:
            padded = lengths + 2 * (self.n_fft // 2)
        else:
            padded = lengths
            short = np.flatnonzero(lengths < self.n_fft)
            if short.size:
                i = int(short[0])
                raise ValueError(
                    f"Audio sample {i} has {lengths[i]} samples, fewer than "
                    f"n_fft={self.n_fft}, and center=False leaves no frame "
                    f"(librosa raises too); pad it or use center=True."
                )
        return 1 + (padded - self.n_fft) // self.hop_length

    def _check_sample_rates(self, rates):
        name = type(self).__name__
        for i, rate in enumerate(rates):
            if rate is not None and rate != self.sr:
                raise ValueError(
                    f"Audio sample {i} has sample rate {rate} Hz but "
                    f"{name}(sr={self.sr}); read the audio with "
                    f"AudioReader(sr={self.sr}) or set {name}(sr={rate})."
                )

    def _check_finite(self, frames, offsets, batch, waves):
        """Raise, naming the clip, if a batch's frames are not finite.

        Finite input can still overflow: the power spectrum of float32 audio
        scaled far beyond [-1, 1] exceeds float32's range, and librosa then
        returns NaN. One pass over the frames, which are small beside the
        spectra; the clip is located only when one is bad.
        """
        xp = array_module(frames)
        if bool(xp.isfinite(frames).all()):
            return
        finite_rows = to_numpy(xp.isfinite(frames).all(axis=1))
        first_bad = int(np.argmin(finite_rows))
        i = int(batch[np.searchsorted(offsets, first_bad, side="right") - 1])
        wave = waves[i]
        peak = float(array_module(wave).abs(wave).max())
        advice = (
            "scale the clip (audio is normally within [-1, 1]) or pass it as float64"
            if wave.dtype == np.float32
            else "scale the clip (audio is normally within [-1, 1])"
        )
        raise ValueError(
            f"Audio sample {i} gives non-finite {self._output_name}: its "
            f"largest sample magnitude is {peak:.3g}, and its power "
            f"spectrum overflows {wave.dtype} (librosa returns NaN "
            f"there); {advice}."
        )

    def _frame_layout(self, clips, n_frames, pad_mode=None):
        """Concatenate the (padded) clips and locate every frame in them.

        Each clip starts at a multiple of ``hop_length``, so that every frame
        of the batch starts at a multiple of it too: one strided view of the
        signal then holds every frame, for the FFT to read in place.
        ``pad_mode`` overrides the estimator's (zero-crossing rates pad
        with "edge", as librosa's do).
        """
        pad_mode = self.pad_mode if pad_mode is None else pad_mode
        pad = self.n_fft // 2 if self.center else 0
        hop = self.hop_length
        dtype = np.result_type(np.float32, *{c.dtype for c in clips})
        lengths = np.array([c.shape[0] + 2 * pad for c in clips], dtype=np.int64)
        slots = -(-lengths // hop) * hop
        starts = np.zeros(len(clips) + 1, dtype=np.int64)
        np.cumsum(slots, out=starts[1:])
        # CuPy clips are laid out on the GPU; the frame positions stay here.
        xp = array_module(clips[0])
        signal = xp.zeros(int(starts[-1]) + self.n_fft, dtype=dtype)
        for clip, begin, length in zip(clips, starts[:-1], lengths, strict=True):
            end = begin + length
            if pad and pad_mode != "constant":
                signal[begin:end] = xp.pad(clip, pad, mode=pad_mode)
            else:
                signal[begin + pad : end - pad] = clip
        frame_offsets = np.zeros(len(clips) + 1, dtype=np.int64)
        np.cumsum(n_frames, out=frame_offsets[1:])
        clip_of_frame = np.repeat(np.arange(len(clips)), n_frames)
        frame_starts = starts[:-1][clip_of_frame] + hop * (
            np.arange(frame_offsets[-1]) - frame_offsets[:-1][clip_of_frame]
        )
        return signal, frame_starts, frame_offsets

    def _assemble(self, outputs, on_gpu):
        """Split or pool the batches' frames; each batch crosses between host
        and device at most once, towards the input's side."""
        if on_gpu:
            import cupy

            to_output = cupy.asarray
        else:
            to_output = to_numpy
        if self.pooling is None:
            clips = []
            for frames, offsets in outputs:
                frames = to_output(frames)
                clips.extend(
                    frames[a:b] for a, b in zip(offsets[:-1], offsets[1:], strict=True)
                )
            return clips
        # Pooled batch by batch already (see _finish_batch).
        return to_output(np.concatenate([rows for rows, _ in outputs]))


def _batches(n_frames, max_frames):
    """Group consecutive clips into batches of at most ``max_frames`` frames
    (a longer clip makes a batch of its own)."""
    batch, total = [], 0
    for i, count in enumerate(n_frames):
        if batch and total + count > max_frames:
            yield np.asarray(batch)
            batch, total = [], 0
        batch.append(i)
        total += int(count)
    if batch:
        yield np.asarray(batch)
