extension WorkerPythonSource {
    /// `display` bundles (IPython's display protocol, matplotlib figures, PIL
    /// images) and the original server's jsonpickle encoding, for `get_placeholder`.
    static let display = #"""
_PLAIN_TYPES = (type(None), bool, int, float, complex, str, bytes, bytearray, list, tuple, dict, set, frozenset)
_REPR_METHODS = (("image/png", "_repr_png_"), ("image/jpeg", "_repr_jpeg_"), ("image/svg+xml", "_repr_svg_"),
                 ("text/html", "_repr_html_"), ("text/markdown", "_repr_markdown_"),
                 ("text/latex", "_repr_latex_"), ("application/json", "_repr_json_"))
_BINARY_TYPES = ("image/png", "image/jpeg")


def _b64(data):
    import base64
    return base64.b64encode(bytes(data)).decode("ascii")


def _content(mime, content):
    if isinstance(content, tuple) and len(content) == 2:
        content = content[0]  # (data, metadata)
    if isinstance(content, (bytes, bytearray)):
        return _b64(content) if mime in _BINARY_TYPES else bytes(content).decode("utf-8", "replace")
    return content


def _png_of(save):
    buffer = io.BytesIO()
    save(buffer)
    return _b64(buffer.getvalue())


def _rich_forms(obj):
    """MIME type -> content of the value's display forms, without text/plain."""
    if type(obj) in _PLAIN_TYPES or isinstance(obj, type):
        return {}
    figure_module = sys.modules.get("matplotlib.figure")
    if figure_module is not None:
        axes_module = sys.modules.get("matplotlib.axes")
        figure = obj if isinstance(obj, figure_module.Figure) else None
        if figure is None and axes_module is not None and isinstance(obj, axes_module.Axes):
            figure = obj.figure
        if figure is not None:
            return {"image/png": _png_of(lambda b: figure.savefig(b, format="png"))}
    image_module = sys.modules.get("PIL.Image")
    if image_module is not None and isinstance(obj, image_module.Image):
        return {"image/png": _png_of(lambda b: obj.save(b, format="PNG"))}
    forms = {}
    bundle = getattr(obj, "_repr_mimebundle_", None)
    if callable(bundle):
        try:
            data = bundle(include=None, exclude=None)
            if isinstance(data, tuple):
                data = data[0]
            if isinstance(data, dict):
                for mime, content in data.items():
                    if mime != "text/plain" and content is not None:
                        forms[str(mime)] = _content(str(mime), content)
        except Exception:
            pass
    for mime, name in _REPR_METHODS:
        method = getattr(obj, name, None)
        if mime in forms or not callable(method):
            continue
        try:
            content = method()
        except Exception:
            continue
        if content is not None:
            forms[mime] = _content(mime, content)
    return forms


def _size(content):
    import json
    if isinstance(content, str):
        return len(content.encode("utf-8", "replace"))
    return len(json.dumps(content, default=str))


def display_bundle(obj, limit):
    """{"text/plain": repr, MIME: content, ..., "truncated"?: [MIME, ...]} for a
    value with a display form, else None. The contents, in order, are kept
    while their bytes add up to at most `limit`; the others are named in
    "truncated" (text/plain is then cut to the limit)."""
    forms = _rich_forms(obj)
    if not forms:
        return None
    try:
        text = repr(obj)
    except Exception:
        text = "<%s>" % type(obj).__name__
    truncated = []
    encoded = text.encode("utf-8", "replace")
    if len(encoded) > limit:
        text = encoded[:limit].decode("utf-8", "ignore")
        truncated.append("text/plain")
    result = {"text/plain": text}
    used = _size(text)
    for mime, content in forms.items():
        size = _size(content)
        if used + size > limit:
            truncated.append(mime)
            continue
        result[mime] = content
        used += size
    if truncated:
        result["truncated"] = truncated
    return result


_jsonpickle_ready = False


def jsonpickle_flatten(obj):
    """The value as the original server encoded it: jsonpickle's flatten with
    its numpy and pandas handlers."""
    global _jsonpickle_ready
    import jsonpickle.pickler
    if not _jsonpickle_ready:
        import jsonpickle.ext.numpy
        import jsonpickle.ext.pandas
        jsonpickle.ext.numpy.register_handlers()
        jsonpickle.ext.pandas.register_handlers()
        _jsonpickle_ready = True
    return jsonpickle.pickler.Pickler().flatten(obj)


"""#
}
