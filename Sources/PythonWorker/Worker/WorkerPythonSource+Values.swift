extension WorkerPythonSource {
    /// Value helpers for `get_placeholder`: the exact forms of values the
    /// Swift encoder has no rule of its own for (timedelta, Decimal, complex,
    /// categoricals, structured arrays), a table's dtypes, nullable columns.
    /// See `Docs/Protocol.md`, "Values".
    static let values = #"""
_NS_PER_SECOND = 1000000000


def _iso_duration(ns):
    """An ISO 8601 duration (days of 24 hours, no months or years); a
    negative one starts with a minus sign: -P1DT2H."""
    sign = "-" if ns < 0 else ""
    ns = abs(ns)
    days, rest = divmod(ns, 86400 * _NS_PER_SECOND)
    hours, rest = divmod(rest, 3600 * _NS_PER_SECOND)
    minutes, rest = divmod(rest, 60 * _NS_PER_SECOND)
    seconds, fraction = divmod(rest, _NS_PER_SECOND)
    text = sign + "P"
    if days:
        text += "%dD" % days
    if hours or minutes or seconds or fraction or not days:
        text += "T"
        if hours:
            text += "%dH" % hours
        if minutes:
            text += "%dM" % minutes
        if seconds or fraction or not (hours or minutes):
            text += str(seconds)
            if fraction:
                text += ("." + "%09d" % fraction).rstrip("0")
            text += "S"
    return text


def duration(ns):
    """{"iso": ISO 8601 duration, "seconds": float} for a count of nanoseconds."""
    return {"iso": _iso_duration(ns), "seconds": ns / _NS_PER_SECOND}


def _timedelta_ns(td):
    whole = (td.days * 86400 + td.seconds) * 1000000 + td.microseconds
    return whole * 1000 + int(getattr(td, "nanoseconds", 0) or 0)


def rich_value(obj):
    """(True, a JSON-able form) for a value with an exact rule, else (False, None)."""
    import datetime
    import decimal
    np = sys.modules.get("numpy")
    if np is not None and isinstance(obj, np.timedelta64):
        if np.isnat(obj):
            return True, None
        try:
            return True, duration(int(obj.astype("timedelta64[ns]").astype("int64")))
        except Exception:
            return False, None
    if isinstance(obj, datetime.timedelta):
        return True, duration(_timedelta_ns(obj))
    if isinstance(obj, decimal.Decimal):
        return True, str(obj)
    if isinstance(obj, complex):
        return True, {"real": obj.real, "imag": obj.imag}
    pd = sys.modules.get("pandas")
    if pd is not None and isinstance(obj, pd.Categorical):
        return True, {"values": obj.to_numpy(dtype=object, na_value=None).tolist(),
                      "categories": obj.categories.tolist(), "ordered": bool(obj.ordered)}
    return False, None


def timedelta_values(array):
    """A timedelta64 array as nested lists of durations (NaT as None)."""
    import numpy as np
    nat = np.isnat(array)
    counts = array.astype("timedelta64[ns]").astype("int64")

    def walk(c, n):
        if getattr(c, "ndim", 0) == 0:
            return None if bool(n) else duration(int(c))
        return [walk(ci, ni) for ci, ni in zip(c, n)]
    return walk(counts, nat)


def structured_values(array):
    """A structured numpy array as nested lists of objects keyed by field name."""
    names = array.dtype.names

    def walk(a):
        if a.ndim == 0:
            return dict(zip(names, a.item()))
        return [walk(x) for x in a]
    return walk(array)


def column_values(s):
    """A Series' values as a numpy array: numpy dtypes as they are; pandas'
    own dtypes (nullable Int64, boolean, string, category, ...) as objects
    with None for missing, so that integers stay integers."""
    import numpy as np
    if isinstance(s.dtype, np.dtype):
        return s.to_numpy()
    return s.to_numpy(dtype=object, na_value=None)


def _dtype_name(dtype):
    fields = getattr(dtype, "fields", None)
    if fields:
        return {name: _dtype_name(fields[name][0]) for name in dtype.names}
    return str(dtype)


def table_info(obj):
    """(dtypes, categories) of a DataFrame, Series, ndarray or Categorical;
    categories is None when nothing is categorical."""
    pd = sys.modules.get("pandas")
    if pd is not None and isinstance(obj, pd.DataFrame):
        dtypes, categories = {}, {}
        for j in range(obj.shape[1]):
            key = obj.columns[j]
            key = key if isinstance(key, str) else str(key)
            dtype = obj.dtypes.iloc[j]
            dtypes[key] = _dtype_name(dtype)
            if isinstance(dtype, pd.CategoricalDtype):
                categories[key] = dtype.categories.tolist()
        return dtypes, (categories or None)
    if pd is not None and isinstance(obj, (pd.Series, pd.Categorical)):
        dtype = obj.dtype
        cats = dtype.categories.tolist() if isinstance(dtype, pd.CategoricalDtype) else None
        return _dtype_name(dtype), cats
    return _dtype_name(obj.dtype), None


"""#
}
