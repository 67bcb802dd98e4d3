extension WorkerPythonSource {
    /// Column preparation for `get_stats`: decides each column's kind and
    /// hands Swift a buffer-readable array (per column, never per value).
    static let statistics = #"""
class NotADataset(Exception):
    pass


def _kind_of_array(array):
    """(kind, array) for a 1-D numpy array, converting object arrays to what
    their values are. Per column, never per value in Python."""
    import numpy as np
    k = array.dtype.kind
    if k in "iuf":
        # Swift reads 4- and 8-byte floats and integers of every width in
        # the machine's byte order: float16 and longdouble become float64.
        if k == "f" and array.dtype.itemsize not in (4, 8):
            return "numeric", array.astype(np.float64)
        if not array.dtype.isnative:
            return "numeric", array.astype(array.dtype.newbyteorder("="))
        return "numeric", array
    if k == "b":
        return "boolean", array.astype(np.int8)
    if k == "M":
        nanoseconds = _nanoseconds(array)
        return ("datetime", nanoseconds) if nanoseconds is not None else ("other", array.astype(object))
    if k in "US":
        return "string", array.astype(object)
    if k != "O":
        return "other", array.astype(object)
    pd = sys.modules.get("pandas")
    if pd is not None:
        inferred = pd.api.types.infer_dtype(array, skipna=True)
    else:
        present = [v for v in array.tolist() if v is not None and v == v]
        inferred = ("empty" if not present else "string" if all(isinstance(v, str) for v in present)
                    else "boolean" if all(isinstance(v, bool) for v in present)
                    else "floating" if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present)
                    else "mixed")
    if inferred in ("integer", "floating", "mixed-integer-float", "decimal"):
        return "numeric", np.array([np.nan if v is None or (pd is not None and v is pd.NA) else float(v) for v in array.tolist()], dtype=np.float64)
    if inferred == "boolean":
        return "boolean", np.array([-1 if v is None or not (v == v) or (pd is not None and v is pd.NA) else int(bool(v)) for v in array.tolist()], dtype=np.int8)
    if inferred == "string":
        return "string", array
    if inferred in ("datetime", "datetime64", "date") and pd is not None:
        try:
            nanoseconds = _nanoseconds(pd.to_datetime(pd.Series(array), utc=False).to_numpy())
        except (ValueError, TypeError, OverflowError):
            nanoseconds = None
        if nanoseconds is not None:
            return "datetime", nanoseconds
    return "other", array


def _nanoseconds(array):
    """A datetime64 array as int64 nanoseconds (NaT as the int64 minimum),
    or None when a value lies outside what nanoseconds hold (about 1678 to
    2261): numpy's conversion would wrap it around silently."""
    import numpy as np
    if array.dtype.kind != "M":
        return None
    unit, count = np.datetime_data(array.dtype)
    if unit in ("Y", "M"):
        # Calendar units have no fixed length: in days first.
        array = array.astype("datetime64[D]")
        unit, count = np.datetime_data(array.dtype)
    if unit != "ns":
        ticks = array[~np.isnat(array)].view(np.int64)
        if ticks.size:
            # The bounds in the array's own ticks, as Python ints: numpy's
            # own conversions and comparisons would wrap around too.
            per_tick = int(np.timedelta64(count, unit) // np.timedelta64(1, "ns"))
            limit = (2 ** 63 - 1) // per_tick
            if int(ticks.min()) < -limit or int(ticks.max()) > limit:
                return None
    return array.astype("datetime64[ns]").view(np.int64)


# The time zone of each tz-aware dtype seen (by its name, as the column's
# statistics are formatted): the zone object itself, which a name such as
# "tzfile('/usr/share/zoneinfo/Europe/Paris')" or "CET" cannot give back.
_TIME_ZONES = {}


def _series_column(name, series):
    import numpy as np
    pd = sys.modules["pandas"]
    dtype = str(series.dtype)
    if isinstance(series.dtype, pd.CategoricalDtype):
        series = series.astype(object)
    elif hasattr(series.dtype, "tz") and series.dtype.tz is not None:
        _TIME_ZONES[dtype] = series.dtype.tz
        series = series.dt.tz_convert("UTC").dt.tz_localize(None)
    elif pd.api.types.is_extension_array_dtype(series.dtype):
        if pd.api.types.is_bool_dtype(series.dtype):
            values = series.to_numpy(dtype=object, na_value=None)
            return (name, dtype, "boolean", np.array([-1 if v is None else int(v) for v in values.tolist()], dtype=np.int8))
        if pd.api.types.is_numeric_dtype(series.dtype):
            return (name, dtype, "numeric", series.to_numpy(dtype=np.float64, na_value=np.nan))
        series = series.astype(object)
    kind, array = _kind_of_array(series.to_numpy())
    return (name, dtype, kind, array)


def _array_column(name, array):
    kind, converted = _kind_of_array(array)
    return (name, str(array.dtype), kind, converted)


def _int_column(ints, as_floats):
    """(values, dtype) of a list of Python ints: int64 when every one fits
    (exact min, max and sum), else the floats as pandas' object column."""
    import numpy as np
    if all(-(1 << 63) <= v < (1 << 63) for v in ints):
        return np.array(ints, dtype=np.int64), "int64"
    return as_floats, "object"


def stats_columns(obj, name):
    """(rowCount, [(name, dtype, kind, values)]) for a dataset, or raises NotADataset."""
    np = sys.modules.get("numpy")
    pd = sys.modules.get("pandas")
    if np is None:
        import numpy as np
    if pd is not None and isinstance(obj, pd.DataFrame):
        return len(obj), [_series_column(c, obj.iloc[:, j]) for j, c in enumerate(obj.columns)]
    if pd is not None and isinstance(obj, pd.Series):
        return len(obj), [_series_column(obj.name if obj.name is not None else name, obj)]
    if isinstance(obj, np.ndarray):
        if obj.ndim == 1:
            return len(obj), [_array_column(name, obj)]
        if obj.ndim == 2:
            return obj.shape[0], [_array_column(str(j), obj[:, j]) for j in range(obj.shape[1])]
        raise NotADataset("a %d-dimensional array is not a dataset (1-D or 2-D only)" % obj.ndim)
    if isinstance(obj, (list, tuple)):
        if obj and all(isinstance(v, dict) for v in obj):
            keys = list(dict.fromkeys(k for row in obj for k in row))
            columns = []
            for k in keys:
                array = np.empty(len(obj), dtype=object)
                array[:] = [row.get(k) for row in obj]
                columns.append(_array_column(k, array))
            return len(obj), [(n, "object" if kind != "numeric" else "float64", kind, a) for (n, _, kind, a) in columns]
        if all(v is None or isinstance(v, (bool, int, float, str)) or isinstance(v, np.generic) for v in obj):
            array = np.empty(len(obj), dtype=object)
            array[:] = list(obj)
            n, _, kind, values = _array_column(name, array)
            dtype = {"numeric": "float64", "boolean": "bool", "string": "object"}.get(kind, "object")
            if kind == "numeric" and obj and all(isinstance(v, int) and not isinstance(v, bool) for v in obj):
                values, dtype = _int_column(obj, values)
            return len(obj), [(n, dtype, kind, values)]
        import datetime
        if any(v is not None for v in obj) and all(v is None or isinstance(v, datetime.datetime) for v in obj):
            import pandas as pd
            return len(obj), [_series_column(name, pd.Series(list(obj)))]
        raise NotADataset("a list is a dataset when it holds numbers, datetimes or records (objects)")
    if isinstance(obj, dict) and obj:
        columns, length = [], None
        for k, v in obj.items():
            if pd is not None and isinstance(v, pd.Series):
                column = _series_column(k, v)
            elif isinstance(v, np.ndarray) and v.ndim == 1:
                column = _array_column(k, v)
            elif isinstance(v, (list, tuple)):
                array = np.empty(len(v), dtype=object)
                array[:] = list(v)
                column = _array_column(k, array)
                if column[2] == "numeric" and v and all(isinstance(x, int) and not isinstance(x, bool) for x in v):
                    values, dtype = _int_column(v, column[3])
                    column = (k, dtype, "numeric", values)
            else:
                raise NotADataset("an object is a dataset when every value is a column (a list or 1-D array)")
            if length is not None and len(column[3]) != length:
                raise NotADataset("the columns of an object dataset must have the same length")
            length = len(column[3])
            columns.append(column)
        return length, columns
    raise NotADataset("a %s is not a dataset" % type(obj).__name__)


def other_stats(array):
    """(count, missing, distinct) of an object column of mixed values."""
    pd = sys.modules.get("pandas")
    present = [v for v in array.tolist() if not (v is None or (isinstance(v, float) and v != v) or (pd is not None and (v is pd.NA or v is pd.NaT)))]
    seen = set()
    for v in present:
        try:
            seen.add(v)
        except TypeError:
            seen.add(repr(v))
    return len(present), len(array) - len(present), len(seen)


def format_datetimes(values, dtype=""):
    """ISO 8601 strings for nanosecond timestamps (None stays None). A
    tz-aware column's (read in UTC) are written in its own zone, with their
    offset, as a value of it reads."""
    import numpy as np
    pd = sys.modules.get("pandas")
    tz = _TIME_ZONES.get(dtype)
    out = []
    for v in values:
        if v is None:
            out.append(None)
        elif pd is not None and tz is not None:
            out.append(pd.Timestamp(int(v), tz="UTC").tz_convert(tz).isoformat())
        elif pd is not None:
            out.append(pd.Timestamp(int(v)).isoformat())
        else:
            out.append(str(np.datetime64(int(v), "ns")))
    return out


"""#
}
