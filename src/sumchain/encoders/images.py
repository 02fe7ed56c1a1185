"""Images to a small grid of grey levels, for the dense models.

An image is a 2-D array of grey levels 0 (black) to 255 (white), rows
first, or an image file (PNG, PGM, JPEG, ... read with Pillow, the
``images`` extra: ``pip install "sumchain[images]"``; colours become grey
with Pillow's ``L`` conversion after transparent pixels are laid on white).
:class:`PixelEncoder` averages it down to ``height`` x ``width`` cells (each
source pixel weighs by the area it shares with the cell), takes the ink of
each cell (``255 - grey`` for dark ink on a light background, the grey level
itself for light ink), and normalizes that vector to unit length at scale
1e9, all in exact integer arithmetic: the same image gives the same integers
on every machine.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, Self

import numpy as np

from sumchain.encoders.base import Encoder, check_int, check_names
from sumchain.errors import EncoderError, EncoderUnavailable, InvalidSample
from sumchain.models.fixed_point import SCALE
from sumchain.models.samples import MAX_SAMPLE, unit_vector

MAX_IMAGE_PIXELS = 4096 * 4096
"""Largest image read, in pixels."""
MAX_ASPECT_ERROR = 0.1
"""How far an image's width/height may be from the encoder's (relative), before it is refused as distorted."""
INKS = ("dark", "light")


IMAGE_FORMATS = ("PNG", "JPEG", "GIF", "BMP", "PPM", "TIFF", "WEBP")
"""The file formats read (Pillow's names; PPM covers PGM): none whose reader runs another program (EPS)."""


def _pillow() -> Any:
    """Pillow's ``Image`` module (the ``images`` extra)."""
    try:
        from PIL import Image
    except ImportError:
        raise EncoderUnavailable('reading image files needs the images extra: pip install "sumchain[images]"') from None
    return Image


def check_image_size(path: str | os.PathLike[str], most: int = MAX_IMAGE_PIXELS) -> None:
    """Refuse an image file of more than ``most`` pixels, from its header alone (before any decoding).

    Raises
    ------
    EncoderUnavailable
        When Pillow (the ``images`` extra) is not installed.
    InvalidSample
        When the file is not an image of :data:`IMAGE_FORMATS`, or has more than ``most`` pixels.
    """
    Image = _pillow()
    try:
        with Image.open(path, formats=IMAGE_FORMATS) as opened:
            width, height = opened.size
    except (OSError, Image.UnidentifiedImageError, Image.DecompressionBombError) as exc:
        raise InvalidSample(f"{path} is not an image file that can be read: {exc}") from None
    if width * height > most:
        raise InvalidSample(f"{path}: {width}x{height} pixels, more than the {most:,} an image may have")


def read_image(path: str | os.PathLike[str]) -> np.ndarray:
    """The grey levels of an image file: a 2-D ``uint8`` array (0 black, 255 white).

    Raises
    ------
    EncoderUnavailable
        When Pillow (the ``images`` extra) is not installed.
    InvalidSample
        When the file cannot be read as an image of :data:`IMAGE_FORMATS`, or has more than
        :data:`MAX_IMAGE_PIXELS` pixels.
    """
    check_image_size(path)
    Image = _pillow()
    try:
        with Image.open(path, formats=IMAGE_FORMATS) as opened:
            image = (
                opened.convert("RGBA")
                if opened.mode in ("RGBA", "LA", "PA") or "transparency" in opened.info
                else opened
            )
            if image.mode == "RGBA":
                image = Image.alpha_composite(Image.new("RGBA", image.size, "white"), image)
            return np.asarray(image.convert("L"), dtype=np.uint8)
    except (OSError, Image.UnidentifiedImageError, Image.DecompressionBombError) as exc:
        raise InvalidSample(f"{path} is not an image file that can be read: {exc}") from None


def _box_weights(source: int, target: int) -> np.ndarray:
    """``target x source`` integer weights: the length that source pixel k shares with cell i,
    in units of ``1 / target`` source pixels (each source pixel spans ``target`` units, each
    cell ``source`` units).

    >>> _box_weights(3, 2).tolist()
    [[2, 1, 0], [0, 1, 2]]
    """
    starts = np.arange(source) * target
    cells = np.arange(target)[:, None] * source
    overlap = np.minimum(starts + target, cells + source) - np.maximum(starts, cells)
    return np.clip(overlap, 0, None).astype(np.int64)


class PixelEncoder(Encoder):
    """An image as the ink of ``height`` x ``width`` cells, normalized to unit length at scale 1e9.

    Parameters
    ----------
    width, height : int
        The grid (at most 512 cells in all, a dense sample's limit). Images
        must be at least that large and of about the same shape (width over
        height within 10% of the grid's).
    ink : {"dark", "light"}
        ``"dark"``: dark marks on a light background (paper, a scanned
        digit); ``"light"``: light marks on a dark background.

    Examples
    --------
    >>> enc = PixelEncoder(width=2, height=2)
    >>> image = np.array([[0, 0, 255, 255], [0, 0, 255, 255], [255] * 4, [255] * 4])  # black top-left
    >>> enc.encode(image)
    [1000000000, 0, 0, 0]
    """

    kind = "pixels"
    input_kind = "image"

    def __init__(self, *, width: int = 8, height: int = 8, ink: str = "dark") -> None:
        self.width = width
        self.height = height
        self.ink = ink
        check_int(width, "width", 1, MAX_SAMPLE)
        check_int(height, "height", 1, MAX_SAMPLE)
        if width * height > MAX_SAMPLE:
            raise EncoderError(f"width x height is at most {MAX_SAMPLE} cells, got {width} x {height}")
        if ink not in INKS:
            raise EncoderError(f"ink is one of {INKS}, got {ink!r:.40}")

    @property
    def n_features(self) -> int:
        return self.width * self.height

    @property
    def feature_kind(self) -> str:
        return "values"

    def params(self) -> dict[str, Any]:
        return {"width": self.width, "height": self.height, "ink": self.ink}

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> Self:
        return cls(**check_names(params, cls.kind, ["width", "height", "ink"]))

    def describe(self) -> str:
        return f"{self.ink} ink of {self.width}x{self.height} cells of a grey image, unit length"

    def _grey(self, raw: Any) -> np.ndarray:
        """The input as a 2-D int64 array of grey levels, checked."""
        if isinstance(raw, os.PathLike):
            raw = read_image(raw)
        image = np.asarray(raw)
        if image.ndim != 2 or image.dtype.kind not in "iuf" or image.dtype == np.float16:
            raise InvalidSample(
                "an image is a 2-D array of grey levels (rows, columns) or the Path of an image file, "
                f"got shape {image.shape} of {image.dtype}"
            )
        if image.dtype.kind == "f" and not np.array_equal(image, np.round(image)):
            raise InvalidSample("grey levels are whole numbers from 0 to 255 (got fractions)")
        if image.size and (image.min() < 0 or image.max() > 255):
            raise InvalidSample(f"grey levels are from 0 to 255, got {image.min()} to {image.max()}")
        rows, columns = image.shape
        if rows * columns > MAX_IMAGE_PIXELS:
            raise InvalidSample(f"an image has at most {MAX_IMAGE_PIXELS:,} pixels, got {columns}x{rows}")
        if rows < self.height or columns < self.width:
            raise InvalidSample(
                f"the image has {columns}x{rows} pixels, fewer than the encoder's {self.width}x{self.height}"
            )
        if abs(columns * self.height - rows * self.width) > MAX_ASPECT_ERROR * rows * self.width:
            raise InvalidSample(
                f"the image's shape {columns}x{rows} is not the encoder's {self.width}x{self.height} "
                "(width over height differs by more than 10%): crop it first"
            )
        return image.astype(np.int64)

    def encode(self, raw: Any) -> list[int]:
        """The unit vector of the ink of each cell, row by row.

        Parameters
        ----------
        raw : array-like or path
            A 2-D array of grey levels 0 to 255 (whole numbers), or a :class:`~pathlib.Path` of an image file.

        Raises
        ------
        InvalidSample
            When the image has the wrong shape, is too small or too large, is not grey levels
            0 to 255, or is blank (no ink at all).
        """
        grey = self._grey(raw)
        rows, columns = grey.shape
        ink = 255 - grey if self.ink == "dark" else grey
        cells = _box_weights(rows, self.height) @ ink @ _box_weights(columns, self.width).T
        if not cells.any():
            raise InvalidSample("the image is blank (no ink): nothing to send")
        return unit_vector(int(c) * SCALE for c in cells.ravel())
