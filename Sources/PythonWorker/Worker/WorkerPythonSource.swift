import WorkerFrames

/// Python source installed into every worker at start-up.
///
/// `_runtime_worker` holds the session's placeholders, runs the main file as
/// `__main__`, redirects `sys.stdout`/`sys.stderr` to output events and turns
/// exceptions into the contract's error object. `runtimeBridge` is the public
/// module generated programs import (`save_placeholder(name, value)`).
/// `_runtime_native.emit(kind, a, b)` is provided by the Swift worker.
enum WorkerPythonSource {
    /// The whole `_runtime_worker` module.
    static let helper = core + values + display + statistics + models + runner + runEnd

    /// Placeholders, their lookup, output streams, DataFrame/datetime helpers for encoding.
    static let core = #"""
import sys
# What a bare interpreter has imported (taken before this module's own
# imports and the preloads): the modules a program's own file of the same
# name cannot shadow under `python main.py` either.
_STARTUP_MODULES = frozenset(sys.modules)
import _thread, builtins, io, os, signal, traceback, types
import _runtime_native

placeholders = {}
main_globals = None
workdir = None
_HELPER = "<_runtime_worker>"
_NAME_LIMIT = \#(WorkerMessage.maximumNameBytes)


def save_placeholder(name, value):
    """Keeps `value` under `name` for clients to read, and announces it."""
    if not isinstance(name, str) or not name:
        raise TypeError("save_placeholder: name must be a non-empty str")
    try:
        size = len(name.encode("utf-8"))
    except UnicodeEncodeError:
        raise ValueError("save_placeholder: name must be text a client can send back (it holds a lone surrogate)") from None
    if size > _NAME_LIMIT:
        raise ValueError("save_placeholder: name is %d bytes of UTF-8, more than the %d allowed" % (size, _NAME_LIMIT))
    if _in_forked_child():
        # Its value would live and die in this copy: no client could read it.
        raise RuntimeError("save_placeholder: called in a process the program forked (pid %d); "
                           "values are kept by the session's own process only: save it there" % _getpid())
    placeholders[name] = value
    # The type name is cut in Swift, as a read's is (PythonObject.shortTypeName).
    _runtime_native.emit("ready", name, type(value).__name__)


def lookup(name):
    """The placeholder `name`, else the main module's global of that name."""
    if name in placeholders:
        return True, placeholders[name]
    if main_globals is not None and name in main_globals and not name.startswith("__"):
        return True, main_globals[name]
    return False, None


def drain_interrupt():
    """Nothing: called after the read watchdog interrupted a read, so that an
    exception it raised but not yet delivered is delivered (and dropped) here."""


def library_folders():
    """The folders of the Python installation's modules, one per line."""
    folders = set()
    for path in (sys.prefix, sys.exec_prefix, sys.base_prefix, sys.base_exec_prefix):
        for candidate in (path, os.path.realpath(path)):
            if candidate and candidate != "/":
                folders.add(candidate)
    return "\n".join(sorted(folders))


def quiet():
    """No thread the program started is running: once the run has ended,
    only what the runtime itself calls can change a value."""
    return _thread._count() == 0


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

    @property
    def _fd(self):
        return 1 if self._name == "stdout" else 2

    def fileno(self):
        """The raw stream's descriptor (1 or 2), for code that needs one: a
        subprocess given `stdout=sys.stdout`, `faulthandler`. What is written
        there arrives as this stream's output, as a subprocess's does. What
        is pending here goes there first, so that it keeps its place before
        what the caller writes there."""
        if self._pending:
            text = "".join(self._pending)
            self._pending = []
            self._size = 0
            _write_raw(self._fd, text)
        return self._fd

    @property
    def buffer(self):
        """A binary view, as a console stream has: bytes written to it are
        decoded as UTF-8 (an invalid sequence as U+FFFD) and sent as text."""
        if self.__dict__.get("_buffer") is None:
            self._buffer = _OutputBuffer(self)
        return self._buffer

    def reconfigure(self, *, encoding=None, errors=None, newline=None, line_buffering=None, write_through=None):
        """Accepted, as on a console stream, and flushes: output is always
        sent as Unicode text, a line at a time, whatever the settings."""
        self.flush()

    def write(self, s):
        if not isinstance(s, str):
            raise TypeError("write() argument must be str, not " + type(s).__name__)
        if s:
            self._pending.append(s)
            self._size += len(s)
            # In a copy, stderr is written through: what it wrote before an
            # os._exit or a kill is not lost.
            if "\n" in s or self._size >= 8192 or (self._name == "stderr" and _in_forked_child()):
                self.flush()
        return len(s)

    def flush(self):
        if self._pending:
            text = "".join(self._pending)
            self._pending = []
            self._size = 0
            if _in_forked_child():
                _write_raw(_copy_fds[0] if self._name == "stdout" else _copy_fds[1], text)
            else:
                _runtime_native.emit("output", self._name, text)


def _write_raw(fd, text):
    """Writes text to a raw output descriptor (in a forked process): whole,
    unless the runtime is gone."""
    data = memoryview(text.encode("utf-8", "replace"))
    while data:
        try:
            data = data[os.write(fd, data):]
        except InterruptedError:
            continue
        except OSError:
            return


class _OutputBuffer(io.RawIOBase):
    """The `buffer` of an ``OutputStream``."""

    def __init__(self, text):
        import codecs
        self._text = text
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")

    def writable(self):
        return True

    def write(self, b):
        data = bytes(b)
        self._text.write(self._decoder.decode(data))
        return len(data)

    def flush(self):
        self._text.flush()

    def fileno(self):
        return self._text.fileno()


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
    return [column_values(df.iloc[:, j]) for j in range(df.shape[1])]


def datetime_strings(array):
    """A datetime64 array as nested lists of ISO 8601 strings (NaT as None)."""
    import numpy as np
    return np.where(np.isnat(array), None, np.datetime_as_string(array)).tolist()


"""#

    static let bridge = #"""
"""Runtime bridge: what generated programs use to hand values to the runtime."""
from _runtime_worker import save_placeholder

__all__ = ["save_placeholder"]
"""#
}
