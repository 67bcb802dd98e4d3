/// Python source installed into every worker at start-up.
///
/// `_runtime_worker` holds the session's placeholders, runs the main file as
/// `__main__`, redirects `sys.stdout`/`sys.stderr` to output events and turns
/// exceptions into the contract's error object. `runtimeBridge` is the public
/// module generated programs import (`save_placeholder(name, value)`).
/// `_runtime_native.emit(kind, a, b)` is provided by the Swift worker.
enum WorkerPythonSource {
    static let helper = #"""
import builtins, io, os, signal, sys, traceback, types
import _runtime_native

placeholders = {}
main_globals = None
workdir = None
_HELPER = "<_runtime_worker>"


def save_placeholder(name, value):
    """Keeps `value` under `name` for clients to read, and announces it."""
    if not isinstance(name, str) or not name:
        raise TypeError("save_placeholder: name must be a non-empty str")
    placeholders[name] = value
    _runtime_native.emit("ready", name, type(value).__name__)


def lookup(name):
    """The placeholder `name`, else the main module's global of that name."""
    if name in placeholders:
        return True, placeholders[name]
    if main_globals is not None and name in main_globals and not name.startswith("__"):
        return True, main_globals[name]
    return False, None


class OutputStream(io.TextIOBase):
    """A text stream that sends what is written as output events, a line at a time."""

    def __init__(self, name):
        self._name = name
        self._pending = []
        self._size = 0

    @property
    def name(self):
        return "<" + self._name + ">"

    @property
    def encoding(self):
        return "utf-8"

    @property
    def errors(self):
        return "strict"

    def writable(self):
        return True

    def isatty(self):
        return False

    def write(self, s):
        if not isinstance(s, str):
            raise TypeError("write() argument must be str, not " + type(s).__name__)
        if s:
            self._pending.append(s)
            self._size += len(s)
            if "\n" in s or self._size >= 8192:
                self.flush()
        return len(s)

    def flush(self):
        if self._pending:
            text = "".join(self._pending)
            self._pending = []
            self._size = 0
            _runtime_native.emit("output", self._name, text)


def install_streams():
    sys.stdout = OutputStream("stdout")
    sys.stderr = OutputStream("stderr")
    sys.__stdout__ = sys.stdout
    sys.__stderr__ = sys.stderr


def flush_streams():
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:
            pass


def frame_columns(df):
    """A DataFrame's columns as numpy arrays, one Python call per column."""
    return [df.iloc[:, j].to_numpy() for j in range(df.shape[1])]


def datetime_strings(array):
    """A datetime64 array as nested lists of ISO 8601 strings (NaT as None)."""
    import numpy as np
    return np.where(np.isnat(array), None, np.datetime_as_string(array)).tolist()


class NotADataset(Exception):
    pass


def _kind_of_array(array):
    """(kind, array) for a 1-D numpy array, converting object arrays to what
    their values are. Per column, never per value in Python."""
    import numpy as np
    k = array.dtype.kind
    if k in "iuf":
        return "numeric", array
    if k == "b":
        return "boolean", array.astype(np.int8)
    if k == "M":
        return "datetime", array.astype("datetime64[ns]").view(np.int64)
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
        return "datetime", pd.to_datetime(pd.Series(array), utc=False).to_numpy(dtype="datetime64[ns]").view(np.int64)
    return "other", array


def _series_column(name, series):
    import numpy as np
    pd = sys.modules["pandas"]
    dtype = str(series.dtype)
    if isinstance(series.dtype, pd.CategoricalDtype):
        series = series.astype(object)
    elif hasattr(series.dtype, "tz") and series.dtype.tz is not None:
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
                values, dtype = np.array(obj, dtype=np.int64), "int64"
            return len(obj), [(n, dtype, kind, values)]
        raise NotADataset("a list is a dataset when it holds numbers or records (objects)")
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
                    column = (k, "int64", "numeric", np.array(v, dtype=np.int64))
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


def format_datetimes(values):
    """ISO 8601 strings for nanosecond timestamps (None stays None)."""
    import numpy as np
    out = []
    for v in values:
        if v is None:
            out.append(None)
            continue
        pd = sys.modules.get("pandas")
        if pd is not None:
            out.append(pd.Timestamp(int(v)).isoformat())
        else:
            out.append(str(np.datetime64(int(v), "ns")))
    return out


class NotAModel(Exception):
    pass


class BadModelInput(Exception):
    pass


def _model_function(model, method):
    if method:
        fn = getattr(model, method, None)
        if fn is None or not callable(fn):
            raise NotAModel("a %s has no method %r" % (type(model).__name__, method))
        return fn
    predict = getattr(model, "predict", None)
    if predict is not None and callable(predict):
        return predict
    if callable(model) and not isinstance(model, type):
        return model
    raise NotAModel("a %s has neither predict nor a call" % type(model).__name__)


def _feature_names(model):
    names = getattr(model, "feature_names_in_", None)
    return None if names is None else [str(n) for n in names]


def _ordered(frame, model):
    """A DataFrame with the model's features in the model's order, when it knows them."""
    names = _feature_names(model)
    if names is None:
        return frame
    frame = frame.rename(columns=str)
    missing = [n for n in names if n not in frame.columns]
    if missing:
        raise BadModelInput("the data lacks the model's features: " + ", ".join(missing))
    return frame[names]


def _frame(data, model, columns=None, index=None):
    import pandas as pd
    try:
        frame = pd.DataFrame(data, columns=columns, index=index)
    except Exception as e:
        raise BadModelInput("cannot make a table of the data: %s" % e)
    return _ordered(frame, model)


def _matrix(rows, model):
    import numpy as np
    try:
        matrix = np.asarray(rows)
    except Exception as e:
        raise BadModelInput("cannot make an array of the data: %s" % e)
    if matrix.ndim == 1:
        matrix = matrix.reshape(1, -1)
    if matrix.ndim != 2:
        raise BadModelInput("instances must be flat arrays of feature values")
    names = _feature_names(model)
    if names is not None and matrix.shape[1] == len(names):
        import pandas as pd
        return pd.DataFrame(matrix, columns=names)
    return matrix


def _instances(data, model):
    """(input, single) for inline data in the contract's shapes."""
    if isinstance(data, dict):
        if "dataframe_split" in data:
            split = data["dataframe_split"]
            if not isinstance(split, dict):
                raise BadModelInput("dataframe_split must be an object with columns and data")
            return _frame(split.get("data"), model, columns=split.get("columns"), index=split.get("index")), False
        if "dataframe_records" in data:
            records = data["dataframe_records"]
            if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
                raise BadModelInput("dataframe_records must be a list of objects")
            return _frame(records, model), False
        for key in ("instances", "inputs"):
            if key in data:
                inner = data[key]
                if isinstance(inner, dict):
                    return _frame(inner, model), False
                if isinstance(inner, list) and inner and all(not isinstance(v, (list, dict)) for v in inner):
                    return _matrix([[v] for v in inner], model), False
                instances, _ = _instances(inner, model)
                return instances, False
        return _frame([data], model), True
    if isinstance(data, list):
        if not data:
            raise BadModelInput("the data holds no instance")
        if all(isinstance(r, dict) for r in data):
            return _frame(data, model), False
        if all(isinstance(r, list) for r in data):
            return _matrix(data, model), False
        if all(not isinstance(r, (list, dict)) for r in data):
            return _matrix([data], model), True
        raise BadModelInput("instances must all be arrays or all be objects")
    return _matrix([[data]], model), True


def _file_instances(path, model):
    import numpy as np
    extension = os.path.splitext(path)[1].lower()
    if extension == ".npy":
        return _matrix(np.load(path, allow_pickle=False), model)
    if extension == ".json":
        import json
        with open(path, "rb") as f:
            return _instances(json.load(f), model)[0]
    import pandas as pd
    return _ordered(pd.read_csv(path), model)


def invoke_model(model, data_text, path, method):
    """("ok", predictions) or ("model_error", error object); raises NotAModel
    or BadModelInput for the caller's mistakes."""
    fn = _model_function(model, method)
    if path is not None:
        try:
            instances, single = _file_instances(path, model), False
        except BadModelInput:
            raise
        except Exception as e:
            raise BadModelInput("cannot read %s: %s" % (os.path.basename(path), e))
    else:
        import json
        instances, single = _instances(json.loads(data_text), model)
    try:
        result = fn(instances)
    except Exception as e:
        return "model_error", describe(e)
    pd = sys.modules.get("pandas")
    np = sys.modules.get("numpy")
    if pd is not None and isinstance(result, (pd.DataFrame, pd.Series)):
        result = result.to_numpy()
    if np is not None and isinstance(result, np.ndarray):
        if result.ndim == 0:
            result = result.reshape(1)
    elif not isinstance(result, (list, tuple)):
        result = [result]
    return "ok", result


def prepare_interpreter():
    if hasattr(sys, "set_int_max_str_digits"):
        sys.set_int_max_str_digits(0)
    install_streams()
    reset_sigint()


def reset_sigint():
    # A process started in the background inherits SIGINT as ignored, and
    # CPython then leaves it alone: set it ourselves so a stop interrupts.
    signal.signal(signal.SIGINT, signal.default_int_handler)


def _client_name(filename):
    if workdir and filename.startswith(workdir + os.sep):
        return filename[len(workdir) + 1:]
    return filename


def describe(exc):
    """The contract's error object for an exception raised by the program."""
    te = traceback.TracebackException(type(exc), exc, exc.__traceback__)
    te.stack = traceback.StackSummary.from_list([f for f in te.stack if f.filename != _HELPER])
    frames = [{"file": _client_name(f.filename), "line": f.lineno or 0, "function": f.name} for f in te.stack]
    if isinstance(exc, SyntaxError) and exc.filename:
        te.filename = _client_name(exc.filename)
        frames.append({"file": te.filename, "line": exc.lineno or 0, "function": "<module>"})
    text = "".join(te.format())
    message = str(exc)
    if workdir:
        text = text.replace(workdir + os.sep, "")
        message = message.replace(workdir + os.sep, "")
    return {"type": type(exc).__name__, "message": message, "traceback": frames, "text": text}


def run(work, main_name):
    """Runs `main_name` inside `work` as __main__. Returns None or an error object."""
    global main_globals, workdir
    workdir = os.path.realpath(work)
    os.chdir(workdir)
    sys.path.insert(0, workdir)
    main_path = os.path.join(workdir, main_name)
    sys.argv = [main_name]
    module = types.ModuleType("__main__")
    module.__file__ = main_path
    module.__builtins__ = builtins
    sys.modules["__main__"] = module
    main_globals = module.__dict__
    try:
        with open(main_path, "rb") as f:
            source = f.read()
        code = compile(source, main_path, "exec")
        exec(code, main_globals)
    except SystemExit as e:
        status = e.code
        if status is None or status == 0:
            return None
        message = ("exit code %d" % status) if isinstance(status, int) else str(status)
        return {"type": "SystemExit", "message": message, "traceback": describe(e)["traceback"],
                "text": "SystemExit: " + message + "\n"}
    except BaseException as e:
        return describe(e)
    finally:
        flush_streams()
    return None
"""#

    static let bridge = #"""
"""Runtime bridge: what generated programs use to hand values to the runtime."""
from _runtime_worker import save_placeholder

__all__ = ["save_placeholder"]
"""#
}
