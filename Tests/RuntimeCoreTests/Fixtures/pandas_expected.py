"""pandas' and numpy's own answers for get_stats, computed on the same data
inside the test program, for the Swift test to compare against."""
import numpy as np
import pandas as pd

QUARTILES = [0, 0.25, 0.5, 0.75, 1]
DECILES = [i / 10 for i in range(11)]


def _number(x):
    x = float(x)
    return x if np.isfinite(x) else None


def _stamp(x):
    return None if pd.isna(x) else pd.Timestamp(x).value


def numeric(s):
    s = pd.Series(s)
    if isinstance(s.dtype, pd.api.extensions.ExtensionDtype):
        s = s.astype("float64")
    present = s.dropna()
    values = present.to_numpy(dtype=np.float64)
    out = {"kind": "numeric", "count": int(present.count()), "missing": int(s.isna().sum()), "distinct": int(s.nunique())}
    if out["count"] == 0:
        return out
    out.update(
        min=_number(present.min()), max=_number(present.max()), mean=_number(s.mean()), median=_number(s.median()),
        std=_number(s.std()), variance=_number(s.var()), skewness=_number(s.skew()), kurtosis=_number(s.kurt()),
        sum=_number(sum(int(v) for v in present)) if s.dtype.kind in "iu" else _number(s.sum()),
        zeros=int((values == 0).sum()), negatives=int((values < 0).sum()), infinite=int(np.isinf(values).sum()),
        quartiles=[_number(v) for v in np.quantile(values, QUARTILES)],
        deciles=[_number(v) for v in np.quantile(values, DECILES)],
    )
    if np.isfinite(values).all():
        counts, edges = np.histogram(values, bins=min(10, out["distinct"]))
        out["histogram"] = [{"min": float(edges[i]), "max": float(edges[i + 1]), "count": int(counts[i])} for i in range(len(counts))]
    return out


def precise_moments(values):
    """Variance and std in extended precision (80-bit long double): the
    reference where a double cannot hold the mean exactly (values near 1e9
    with a tiny spread) and numpy's own var is off by ~1e-9 relative.
    (pandas' skew and kurt stay the reference: its online update is exact there.)"""
    x = np.asarray(values, dtype=np.longdouble)
    n = len(x)
    d = x - x.sum() / n
    m2 = (d * d).sum()
    return {"variance": float(m2 / (n - 1)), "std": float(np.sqrt(m2 / (n - 1)))}


def datetime(s):
    s = pd.Series(s)
    present = s.dropna()
    out = {"kind": "datetime", "count": int(present.count()), "missing": int(s.isna().sum()), "distinct": int(s.nunique())}
    if out["count"]:
        out.update(min=_stamp(present.min()), max=_stamp(present.max()), median=_stamp(present.median()),
                   quartiles=[_stamp(v) for v in present.quantile(QUARTILES)])
    return out


def strings(s):
    s = pd.Series(s, dtype=object)
    present = s.dropna()
    lengths = present.map(len)
    counts = present.value_counts()
    out = {"kind": "string", "count": int(present.count()), "missing": int(s.isna().sum()), "distinct": int(s.nunique()),
           "top": [{"value": k, "count": int(v)} for k, v in counts.head(10).items()]}
    if len(present):
        out.update(minLength=int(lengths.min()), maxLength=int(lengths.max()), meanLength=float(lengths.mean()))
    return out


def booleans(s):
    s = pd.Series(s)
    present = s.dropna()
    counts = present.astype(bool).value_counts()
    return {"kind": "boolean", "count": int(present.count()), "missing": int(s.isna().sum()), "distinct": int(s.nunique()),
            "top": [{"value": bool(k), "count": int(v)} for k, v in counts.items()]}


def frame(df, precise=()):
    """Expected stats per column of a DataFrame, by the column's kind; the
    columns named in `precise` take their moments from precise_moments."""
    out = []
    for label in df.columns:
        s = df[label]
        name = str(label)  # column names are strings on the wire
        if pd.api.types.is_bool_dtype(s.dtype):
            out.append(dict(booleans(s), name=name))
        elif pd.api.types.is_numeric_dtype(s.dtype):
            column = dict(numeric(s), name=name)
            if label in precise:
                column.update(precise_moments(s.dropna().to_numpy(dtype=np.float64)))
            out.append(column)
        elif pd.api.types.is_datetime64_any_dtype(s.dtype):
            out.append(dict(datetime(s), name=name))
        else:
            out.append(dict(strings(s), name=name))
    return {"rowCount": len(df), "columns": out}
