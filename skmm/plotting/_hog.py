"""HOG glyphs over the image they describe, as ``skimage.feature.hog`` draws."""

import numpy as np
from sklearn.utils.validation import check_is_fitted

from skmm.plotting._base import _axes, _check_fitted_like, _check_matplotlib


def _hog_glyphs(cells, image_shape, pixels_per_cell, dtype=np.float64):
    """Draw cell orientation histograms as scikit-image's HOG visualisation.

    Each cell gets, for each orientation bin, a line through its centre
    perpendicular to the bin's mid gradient direction (so along the edge),
    of length ``2 * (min(pixels_per_cell) // 2 - 1)``, whose pixels add the
    bin's value: ``skimage.feature.hog(..., visualize=True)[1]``.

    Parameters
    ----------
    cells : ndarray of shape (n_cells_row, n_cells_col, orientations)
        Cell orientation histograms (before block normalisation).
    image_shape : tuple of int
        ``(height, width)`` of the image.
    pixels_per_cell : tuple of int
        ``(rows, cols)`` of a cell.
    dtype : dtype, default=np.float64
        Dtype of the drawing (scikit-image's float dtype of the image).

    Returns
    -------
    hog_image : ndarray of shape image_shape
    """
    from skimage.draw import line

    height, width = image_shape[:2]
    c_row, c_col = pixels_per_cell
    n_cells_row, n_cells_col, orientations = cells.shape
    drawing = np.zeros((height, width), dtype=dtype)
    radius = min(c_row, c_col) // 2 - 1
    if radius < 0:
        raise ValueError(
            f"pixels_per_cell={tuple(pixels_per_cell)}: HOG glyphs need cells "
            "of at least 2 pixels a side (scikit-image draws those of 1 pixel "
            "outside their cells)."
        )
    centre_rows = np.arange(n_cells_row) * c_row + c_row // 2
    centre_cols = np.arange(n_cells_col) * c_col + c_col // 2
    # Glyphs stay inside their cells, and a line's pixels only depend on
    # its end points relative to its start: draw each distinct glyph once
    # and add it to all cells that share it, one orientation at a time
    # (scikit-image's order for each pixel). The end points are
    # scikit-image's ``int(centre +- offset)``, truncated per cell.
    midpoints = np.pi * (np.arange(orientations) + 0.5) / orientations
    for o in range(orientations):
        dr = radius * np.sin(midpoints[o])
        dc = radius * np.cos(midpoints[o])
        row_ends = np.stack(
            [(centre_rows - dc).astype(int), (centre_rows + dc).astype(int)], axis=1
        )
        col_ends = np.stack(
            [(centre_cols + dr).astype(int), (centre_cols - dr).astype(int)], axis=1
        )
        row_shapes, row_group = np.unique(
            row_ends - centre_rows[:, None], axis=0, return_inverse=True
        )
        col_shapes, col_group = np.unique(
            col_ends - centre_cols[:, None], axis=0, return_inverse=True
        )
        for i, (r0, r1) in enumerate(row_shapes):
            cell_rows = np.flatnonzero(row_group.ravel() == i)
            for j, (c0, c1) in enumerate(col_shapes):
                cell_cols = np.flatnonzero(col_group.ravel() == j)
                rr, cc = line(r0, c0, r1, c1)
                rows = centre_rows[cell_rows, None, None] + rr
                cols = centre_cols[None, cell_cols, None] + cc
                rows, cols = np.broadcast_arrays(rows, cols)
                values = np.broadcast_to(
                    cells[np.ix_(cell_rows, cell_cols, [o])], rows.shape
                )
                drawing[rows.ravel(), cols.ravel()] += values.ravel()
    return drawing


def _dilate(mask):
    """``mask`` grown by one pixel in the 8 directions."""
    padded = np.pad(mask, 1)
    height, width = mask.shape
    grown = np.zeros_like(mask)
    for dr in range(3):
        for dc in range(3):
            grown |= padded[dr : dr + height, dc : dc + width]
    return grown


class HOGDisplay:
    """HOG visualisation: orientation glyphs of each cell over the image.

    Each cell of the image gets one line per orientation bin through its
    centre, along the edge direction of that bin, as bright as the cell's
    (unnormalised) histogram value: scikit-image's ``hog(...,
    visualize=True)`` drawing, shown over the image.

    It is recommended to use :meth:`from_estimator` to create a display. All
    parameters are stored as attributes.

    Parameters
    ----------
    image : ndarray of shape (height, width) or (height, width, channels)
        The image.
    hog_image : ndarray of shape (height, width)
        The visualisation drawing, equal to ``skimage.feature.hog(...,
        visualize=True)[1]``.
    cell_histograms : ndarray of shape (n_cells_row, n_cells_col, \
            orientations), default=None
        Orientation histogram of each cell, before block normalisation.
    pixels_per_cell : tuple of int, default=None
        ``(rows, cols)`` of a cell, shown in the title.

    Attributes
    ----------
    image_ : matplotlib AxesImage
        The image.
    overlay_ : matplotlib AxesImage
        The glyphs, transparent where there is none.
    outline_ : matplotlib AxesImage or None
        The dark outline around the glyphs (None without one).
    ax_ : matplotlib Axes
        Axes with the image.
    figure_ : matplotlib Figure
        Figure containing the image.

    See Also
    --------
    skmm.image.HOG : The HOG features whose cells this display draws.
    skimage.feature.hog : The reference of the drawing.

    Examples
    --------
    >>> from skimage.data import camera
    >>> from skmm.image import HOG
    >>> from skmm.plotting import HOGDisplay
    >>> image = camera()[::4, ::4]
    >>> hog = HOG(pixels_per_cell=(8, 8), cells_per_block=(2, 2)).fit([image])
    >>> display = HOGDisplay.from_estimator(hog, image)  # doctest: +SKIP
    >>> display.hog_image.shape  # doctest: +SKIP
    (128, 128)
    """

    def __init__(self, image, hog_image, *, cell_histograms=None, pixels_per_cell=None):
        self.image = image
        self.hog_image = hog_image
        self.cell_histograms = cell_histograms
        self.pixels_per_cell = pixels_per_cell

    def plot(
        self,
        ax=None,
        *,
        image_cmap="gray",
        image_alpha=0.6,
        glyph_cmap=None,
        alpha=1.0,
        outline=True,
    ):
        """Plot the image and the glyphs over it.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure's when None.
        image_cmap : str or Colormap, default="gray"
            Colormap of a gray image (ignored for colour images).
        image_alpha : float, default=0.6
            Opacity of the image, drawn on black: below 1 it dims the image
            so that the glyphs stand out.
        glyph_cmap : str or Colormap, default=None
            Colormap of the glyphs, from weak to strong; None goes from
            half-opaque orange to opaque light yellow: light glyphs, the
            weakest still visible over a black image.
        alpha : float, default=1.0
            Opacity of the glyphs (on top of the colormap's own).
        outline : bool, default=True
            Draw a dark, half-opaque outline one pixel wide around the
            glyphs, so that light glyphs stand out over bright regions as
            they do over dark ones.

        Returns
        -------
        display : HOGDisplay
        """
        ax, figure = _axes(ax, f"{type(self).__name__}.plot")
        image = np.asarray(self.image)
        drawing = np.asarray(self.hog_image)
        if drawing.shape != image.shape[:2]:
            raise ValueError(
                f"hog_image has shape {drawing.shape} but the image is "
                f"{image.shape[:2]}."
            )
        if image.ndim == 3 and image.shape[2] == 1:
            image = image[..., 0]
        # The image is dimmed (drawn translucent on black) so that the
        # glyphs stand out on bright regions too.
        ax.set_facecolor("black")
        if image.ndim == 2:
            self.image_ = ax.imshow(image, cmap=image_cmap, alpha=image_alpha)
        else:
            self.image_ = ax.imshow(image, alpha=image_alpha)
        from matplotlib.colors import LinearSegmentedColormap, ListedColormap

        if glyph_cmap is None:
            # Light colours, never transparent: weak glyphs stay visible
            # over dark images; the outline takes care of bright ones.
            glyph_cmap = LinearSegmentedColormap.from_list(
                "hog_glyphs",
                [(1.0, 0.55, 0.0, 0.6), (1.0, 0.8, 0.1, 0.85), (1.0, 1.0, 0.6, 1.0)],
            )
        glyphs = drawing > 0
        self.outline_ = None
        if outline:
            halo = _dilate(glyphs) & ~glyphs
            self.outline_ = ax.imshow(
                np.ma.masked_array(np.ones(halo.shape), mask=~halo),
                cmap=ListedColormap(["black"]),
                alpha=0.5 * alpha,
                vmin=0,
                vmax=1,
                interpolation="nearest",
            )
        # Lines cross at the cell centres, where all bins add up: scale the
        # colours to one line's strongest value, not to those crossings.
        positive = drawing[drawing > 0]
        if self.cell_histograms is not None:
            vmax = float(np.max(self.cell_histograms, initial=0.0))
        else:
            vmax = float(np.percentile(positive, 99)) if positive.size else 0.0
        self.overlay_ = ax.imshow(
            np.ma.masked_less_equal(drawing, 0),
            cmap=glyph_cmap,
            alpha=alpha,
            vmin=0,
            vmax=max(vmax, np.finfo(float).tiny),
            interpolation="nearest",
        )
        title = "HOG"
        if self.cell_histograms is not None:
            title += f": {np.shape(self.cell_histograms)[2]} orientations"
        if self.pixels_per_cell is not None:
            title += ", {}x{}-pixel cells".format(*self.pixels_per_cell)
        ax.set(title=title, xlabel="column (pixel)", ylabel="row (pixel)")
        self.ax_, self.figure_ = ax, figure
        return self

    @classmethod
    def from_estimator(
        cls,
        hog,
        image,
        *,
        ax=None,
        image_cmap="gray",
        image_alpha=0.6,
        glyph_cmap=None,
        alpha=1.0,
        outline=True,
    ):
        """Draw the HOG cells of one image, as a fitted HOG computes them.

        Parameters
        ----------
        hog : skmm.image.HOG
            Fitted HOG; its ``orientations``, ``pixels_per_cell`` and
            ``transform_sqrt`` shape the cells (``cells_per_block`` and
            ``block_norm`` act after the cells, and do not change the
            drawing, as in scikit-image). The cells are computed on the
            CPU whatever its ``device``.
        image : ndarray of shape (height, width) or (height, width, channels)
            One image of the size ``hog`` was fitted on.
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure's when None.
        image_cmap : str or Colormap, default="gray"
            Colormap of a gray image.
        image_alpha : float, default=0.6
            Opacity of the image, drawn on black.
        glyph_cmap : str or Colormap, default=None
            Colormap of the glyphs; None goes from half-opaque orange to
            opaque light yellow.
        alpha : float, default=1.0
            Opacity of the glyphs.
        outline : bool, default=True
            Draw a dark outline around the glyphs.

        Returns
        -------
        display : HOGDisplay
        """
        caller = f"{cls.__name__}.from_estimator"
        _check_matplotlib(caller)
        _check_fitted_like(
            hog,
            ["orientations", "pixels_per_cell", "transform_sqrt", "transform"],
            "a fitted skmm.image.HOG",
            caller,
        )
        check_is_fitted(hog)
        image = np.asarray(image)
        if image.ndim not in (2, 3):
            raise ValueError(
                f"image must be one image of shape (height, width) or (height, "
                f"width, channels); got shape {image.shape}."
            )
        # HOG validates the image (size, dtype, negative values with
        # transform_sqrt) as it does for its features.
        hog.transform([image])
        from skmm.image._hog import cell_histograms, float_dtype

        cells = cell_histograms(
            image,
            orientations=hog.orientations,
            pixels_per_cell=tuple(hog.pixels_per_cell),
            transform_sqrt=hog.transform_sqrt,
        )
        drawing = _hog_glyphs(
            cells,
            image.shape[:2],
            tuple(hog.pixels_per_cell),
            dtype=float_dtype(image.dtype),
        )
        display = cls(
            image,
            drawing,
            cell_histograms=cells,
            pixels_per_cell=tuple(hog.pixels_per_cell),
        )
        return display.plot(
            ax=ax,
            image_cmap=image_cmap,
            image_alpha=image_alpha,
            glyph_cmap=glyph_cmap,
            alpha=alpha,
            outline=outline,
        )
