extension WorkerPythonSource {
    /// `run_model`: picks the model's function, turns the data's shapes into a
    /// DataFrame or array, and separates the caller's mistakes from the model's.
    static let models = #"""
class NotAModel(Exception):
    pass


class BadModelInput(Exception):
    pass


def _model_function(model, method):
    if method:
        # A model call, not a way into the object: its private and special
        # attributes (__class__, __reduce_ex__, _fit) are not called.
        if method.startswith("_") and method != "__call__":
            raise NotAModel("method %r is not a public method (it starts with an underscore)" % method)
        fn = getattr(model, method, None)
        if fn is None or not callable(fn):
            raise NotAModel("a value of type %s has no method %r" % (type(model).__name__, method))
        return fn
    predict = getattr(model, "predict", None)
    if predict is not None and callable(predict):
        return predict
    if callable(model) and not isinstance(model, type):
        return model
    raise NotAModel("a value of type %s has neither predict nor a call" % type(model).__name__)


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


def _records(records, model):
    """Objects, one per instance: each must name every feature the model
    knows (without them: the same keys as the first), so that no feature is
    filled in silently with NaN."""
    if not records:
        raise BadModelInput("the data holds no instance")
    names = _feature_names(model)
    if names is not None:
        for number, record in enumerate(records):
            keys = {str(k) for k in record}
            missing = [n for n in names if n not in keys]
            if missing:
                raise BadModelInput("instance %d lacks the model's features: %s" % (number, ", ".join(missing)))
    else:
        keys = set(records[0])
        for number, record in enumerate(records[1:], 1):
            if set(record) != keys:
                raise BadModelInput("instance %d has other keys than instance 0 (ragged records)" % number)
    return _frame(records, model)


def _frame(data, model, columns=None, index=None):
    import pandas as pd
    try:
        frame = pd.DataFrame(data, columns=columns, index=index)
    except Exception as e:
        raise BadModelInput("cannot make a table of the data: %s" % e)
    # The model's features first: an empty object is answered with their names.
    return _checked(_ordered(frame, model))


def _checked(instances):
    """Refuses input that holds no instance, or instances with no feature."""
    shape = getattr(instances, "shape", None)
    if shape is not None and len(shape) == 2:
        if shape[0] == 0:
            raise BadModelInput("the data holds no instance")
        if shape[1] == 0:
            raise BadModelInput("the instances hold no feature values")
    return instances


def _matrix(rows, model):
    import numpy as np
    try:
        if not isinstance(rows, np.ndarray) and _mixes_text(rows):
            # Numbers beside strings ([[1.5, "a"]]) stay numbers: an object
            # array, not numpy's common type (text as wide as the longest
            # string, for every value).
            matrix = np.array(rows, dtype=object)
        else:
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
        frame = pd.DataFrame(matrix, columns=names)
        # Mixed rows: each column takes the type of its values (int64, float64, str).
        return frame.infer_objects() if matrix.dtype == object else frame
    return matrix


def _mixes_text(rows):
    """Whether a flat list or a list of rows holds strings beside other values."""
    text = other = False
    for row in rows:
        for value in (row if isinstance(row, (list, tuple)) else (row,)):
            if isinstance(value, str):
                text = True
            else:
                other = True
            if text and other:
                return True
    return False


def _instances(data, model):
    """(input, single) for inline data in the contract's shapes."""
    if isinstance(data, dict):
        if "dataframe_split" in data:
            split = data["dataframe_split"]
            if not isinstance(split, dict):
                raise BadModelInput("dataframe_split must be an object with columns and data")
            columns, rows = split.get("columns"), split.get("data")
            if isinstance(columns, list) and isinstance(rows, list):
                for number, row in enumerate(rows):
                    if not isinstance(row, list) or len(row) != len(columns):
                        raise BadModelInput("dataframe_split row %d does not have one value per column (%d)" % (number, len(columns)))
            return _frame(rows, model, columns=columns, index=split.get("index")), False
        if "dataframe_records" in data:
            records = data["dataframe_records"]
            if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
                raise BadModelInput("dataframe_records must be a list of objects")
            return _records(records, model), False
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
            return _records(data, model), False
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
    instances = _checked(instances)
    try:
        result = fn(instances)
    except (Exception, SystemExit) as e:
        _end_forked_child(e.code if isinstance(e, SystemExit) else 1, e)
        return "model_error", describe(e)
    _end_forked_child(0)
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


def apply_function(source, value):
    """("ok", result) or ("error", error object): evaluates the source of a
    callable (a lambda) and calls it on the value."""
    try:
        fn = eval(compile(source, "<function>", "eval"), {"__builtins__": __builtins__})
        if not callable(fn):
            raise TypeError("the function's source must evaluate to a callable, not %s" % type(fn).__name__)
        result = fn(value)
    except (Exception, SystemExit) as e:
        _end_forked_child(e.code if isinstance(e, SystemExit) else 1, e)
        return "error", describe(e)
    _end_forked_child(0)
    return "ok", result


"""#
}
