"""Video: frames and sound track from one file, shot boundaries, keyframe summaries.

Files are decoded by PyAV (the optional ``video`` extra: ``pip install
'skmm[video]'``), imported when a file is read.
"""

from skmm.video._frames import VideoFrames
from skmm.video._reader import VideoReader
from skmm.video._shots import ShotDetector
from skmm.video._summary import KeyframeSummarizer
from skmm.video._writer import write_video

__all__ = [
    "KeyframeSummarizer",
    "ShotDetector",
    "VideoFrames",
    "VideoReader",
    "write_video",
]
