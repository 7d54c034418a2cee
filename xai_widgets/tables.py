"""Tabular data in: a numpy array or a pandas DataFrame -> a float32 matrix the model sees,
with one description per feature (name, numeric range, or categorical codes and labels).

pandas is optional: a DataFrame is recognised by duck typing and never imported here.

Categorical features are shown as drop-downs in the what-if panel. They are:
- pandas ``category`` columns: the model sees the category codes (``.cat.codes``, what
  ``keras`` users feed after ``astype("category")``) and the drop-down shows the categories;
- boolean columns (0/1);
- numeric columns whose values are all whole numbers with at most ``CATEGORICAL_MAX_LEVELS``
  distinct values (flags, counts of a few levels), unless ``categorical=`` says otherwise.
Text (object/string) columns are refused with a message that says how to encode them.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .errors import ExplainError

CATEGORICAL_MAX_LEVELS = 8


@dataclasses.dataclass
class Feature:
    """One column: ``kind`` "numeric" (min/max/step from the data; a constant column has
    min == max, its value) or "categorical" (the ``values`` the model sees, with ``labels``
    to show)."""

    name: str
    kind: str
    min: float
    max: float
    step: float
    values: list[float] | None = None
    labels: list[str] | None = None

    def as_dict(self) -> dict:
        out = {"name": self.name, "kind": self.kind, "min": self.min, "max": self.max,
               "step": self.step}
        if self.kind == "categorical":
            out.update(values=self.values, labels=self.labels)
        return out


@dataclasses.dataclass
class Table:
    """``X`` (N, F) float32, ``names`` (F), ``features`` (F descriptions)."""

    X: np.ndarray
    names: list[str]
    features: list[Feature]


def _is_dataframe(data) -> bool:
    return hasattr(data, "columns") and hasattr(data, "dtypes") and hasattr(data, "iloc")


def _columns(data, feature_names):
    """(names, list of 1-D arrays, pandas categories per column or None)."""
    if _is_dataframe(data):
        names = [str(c) for c in data.columns]
        if feature_names is not None and [str(n) for n in feature_names] != names:
            if len(list(feature_names)) != len(names):
                raise ExplainError(
                    f"feature_names has {len(list(feature_names))} names but the DataFrame has "
                    f"{len(names)} columns; leave feature_names out to use the column names.")
            names = [str(n) for n in feature_names]
        columns, categories = [], []
        for name, column in zip(names, (data.iloc[:, j] for j in range(data.shape[1]))):
            dtype = column.dtype
            if str(dtype) == "category":
                cats = list(column.cat.categories)
                codes = np.asarray(column.cat.codes, dtype=np.float64)
                codes[codes < 0] = np.nan  # missing category
                columns.append(codes)
                categories.append([str(c) for c in cats])
                continue
            kind = getattr(dtype, "kind", "O")
            if kind not in "biuf":
                example = next((v for v in column if v is not None), None)
                raise ExplainError(
                    f"column {name!r} is not numeric (dtype {dtype}, e.g. {example!r}); the "
                    "model only sees numbers. Encode it first: column.astype('category') "
                    "(its codes are used, and its categories shown), pd.get_dummies, or a "
                    "mapping to numbers.")
            columns.append(np.asarray(column, dtype=np.float64))
            categories.append(None)
        return names, columns, categories

    X = np.asarray(data)
    if X.dtype == object or X.dtype.kind not in "biuf":
        raise ExplainError(
            f"X must be numeric (a float array or a DataFrame of numeric or category columns), "
            f"got dtype {X.dtype}. Encode text columns as numbers first.")
    if X.ndim != 2:
        raise ExplainError(f"X must be a table of rows (N, features), got shape {X.shape}.")
    n = X.shape[1]
    if feature_names is None:
        names = [f"x{j}" for j in range(n)]
    else:
        names = [str(f) for f in feature_names]
        if len(names) != n:
            raise ExplainError(f"feature_names has {len(names)} names but X has {n} columns.")
    return names, [X[:, j].astype(np.float64) for j in range(n)], [None] * n


def _step(values: np.ndarray) -> float:
    """A slider step that lands on the data's own resolution (whole numbers stay whole)."""
    lo, hi = float(values.min()), float(values.max())
    if np.all(values == np.round(values)):
        return 1.0
    span = hi - lo
    if span <= 0:
        return 1.0
    return float(10.0 ** (np.floor(np.log10(span)) - 2))


def prepare_table(data, feature_names=None, categorical="auto") -> Table:
    """Check and describe tabular data; raises ExplainError with what to do when it is bad.

    ``categorical``: "auto" (see the module docstring), or the names/indices of the columns
    to show as drop-downs (others are numeric).
    """
    names, columns, categories = _columns(data, feature_names)
    if len(set(names)) != len(names):
        twice = sorted({n for n in names if names.count(n) > 1})
        raise ExplainError(f"feature names must be unique; repeated: {twice}.")
    if not columns or len(columns[0]) == 0:
        raise ExplainError("X has no rows or no columns; pass at least one row of features.")
    if categorical == "auto":
        chosen = None
    else:
        if isinstance(categorical, (str, int)):
            categorical = [categorical]
        chosen = set()
        for c in categorical:
            if isinstance(c, (int, np.integer)) and not isinstance(c, bool):
                if not 0 <= c < len(names):
                    raise ExplainError(f"categorical column index {c} is out of range "
                                       f"(there are {len(names)} columns).")
                chosen.add(int(c))
            elif str(c) in names:
                chosen.add(names.index(str(c)))
            else:
                raise ExplainError(f"categorical names an unknown column {c!r}; the columns "
                                   f"are {names}.")
    features = []
    for j, (name, values, cats) in enumerate(zip(names, columns, categories)):
        bad = ~np.isfinite(values)
        if bad.any():
            raise ExplainError(
                f"column {name!r} has {int(bad.sum())} missing (NaN) or infinite value(s), "
                f"the first in row {int(np.argmax(bad))}; fill or drop them (e.g. "
                "df.fillna(df.median()) or df.dropna()) before explaining.")
        levels = np.unique(values)
        whole = np.all(levels == np.round(levels))
        if chosen is None:
            is_categorical = cats is not None or (whole and len(levels) <= CATEGORICAL_MAX_LEVELS)
        else:
            is_categorical = j in chosen
        if is_categorical:
            if cats is not None:
                codes = [float(i) for i in range(len(cats))]
                labels = cats
            else:
                codes = [float(v) for v in levels]
                labels = [str(int(v)) if float(v).is_integer() else f"{v:g}" for v in levels]
            features.append(Feature(name, "categorical", min(codes), max(codes), 1.0,
                                    codes, labels))
        else:
            step = _step(values)
            # the range on the step's grid, so the slider's values are round numbers
            digits = max(0, -int(np.floor(np.log10(step))))
            low = round(float(np.floor(values.min() / step) * step), digits)
            high = round(float(np.ceil(values.max() / step) * step), digits)
            if values.min() == values.max():  # a constant column: its one value, no range
                low = high = float(np.float32(values[0]))  # as the model sees it
            features.append(Feature(name, "numeric", low, high, step))
    X = np.stack(columns, axis=1).astype(np.float32)
    return Table(X, names, features)
