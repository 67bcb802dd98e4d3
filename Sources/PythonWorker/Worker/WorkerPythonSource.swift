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
    static let helper = core + values + display + statistics + models + runner

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
# The session's own process (its worker), set when a run starts. A process
# the program forks (os.fork, multiprocessing's "fork") is a copy of it, but
# only this one speaks to the runtime: a copy's output goes to the raw
# stdout and stderr, which the runtime reads apart from the frames.
_worker_pid = None
# os.getpid as the worker found it: a program that patches os.getpid (a
# mock) must not make the session's own process look like a copy.
_getpid = os.getpid
# Where a copy writes its stdout and stderr: pipes the worker forwards in
# order with its own output (set_copy_output), else fds 1 and 2.
_copy_fds = (1, 2)


def set_copy_output(stdout_fd, stderr_fd):
    global _copy_fds
    _copy_fds = (stdout_fd, stderr_fd)


def _in_forked_child():
    """Whether this is a process the program forked, not the session's own."""
    return _worker_pid is not None and _getpid() != _worker_pid


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

    /// Interpreter set-up, running the main file as `__main__`, and error objects.
    static let runner = #"""
def prepare_interpreter():
    # A session's modules are imported once: writing their bytecode to
    # __pycache__ in the session's folder costs a file per module and helps
    # no later run.
    sys.dont_write_bytecode = True
    if hasattr(sys, "set_int_max_str_digits"):
        sys.set_int_max_str_digits(0)
    # matplotlib draws off-screen (display bundles render figures as PNG)
    # unless the program's environment chose a backend.
    os.environ.setdefault("MPLBACKEND", "Agg")
    install_streams()
    reset_sigint()
    _claim_process()


def _claim_process():
    """This process is the session's worker (set again in a forked worker,
    and when a run starts)."""
    global _worker_pid
    _worker_pid = _getpid()


def freeze_for_fork():
    # In the fork server, before its first fork: what is alive now is shared
    # by every worker; the collector must not touch (and so copy) it.
    import gc
    gc.collect()
    gc.freeze()


def after_fork():
    _claim_process()
    # In a forked worker. random re-seeded itself (os.register_at_fork);
    # numpy's global generator has no such hook: siblings would draw the
    # same numbers.
    np = sys.modules.get("numpy")
    if np is not None:
        np.random.seed()
    # The child's signals were reset to their defaults: SIGINT interrupts the
    # program again, SIGPIPE and SIGXFSZ are errors, not deaths (as Python
    # sets them at start).
    reset_sigint()
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    if hasattr(signal, "SIGXFSZ"):
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


def reset_sigint():
    # A process started in the background inherits SIGINT as ignored, and
    # CPython then leaves it alone: set it ourselves so a stop interrupts.
    signal.signal(signal.SIGINT, signal.default_int_handler)


def _client_name(filename):
    if workdir and filename.startswith(workdir + os.sep):
        return filename[len(workdir) + 1:]
    return filename


def _exception_str(value):
    """str(value), or what Python's own traceback prints when that raises."""
    try:
        return str(value)
    except Exception:
        return "<exception str() failed>"


def describe(exc):
    """The contract's error object for an exception raised by the program."""
    te = traceback.TracebackException(type(exc), exc, exc.__traceback__)
    te.stack = traceback.StackSummary.from_list([f for f in te.stack if f.filename != _HELPER])
    frames = [{"file": _client_name(f.filename), "line": f.lineno or 0, "function": f.name} for f in te.stack]
    if isinstance(exc, SyntaxError) and exc.filename:
        te.filename = _client_name(exc.filename)
        frames.append({"file": te.filename, "line": exc.lineno or 0, "function": "<module>"})
    text = "".join(te.format())
    message = _exception_str(exc)
    if workdir:
        text = text.replace(workdir + os.sep, "")
        message = message.replace(workdir + os.sep, "")
    return {"type": type(exc).__name__, "message": message, "traceback": frames, "text": text}


def run(work, main_name):
    """Runs `main_name` inside `work` as __main__. Returns None or an error object."""
    global main_globals, workdir, _worker_pid
    _worker_pid = _getpid()
    workdir = os.path.realpath(work)
    os.chdir(workdir)
    sys.path.insert(0, workdir)
    _unshadow(workdir)
    main_path = os.path.join(workdir, main_name)
    sys.argv = [main_name]
    module = types.ModuleType("__main__")
    module.__file__ = main_path
    module.__builtins__ = builtins
    sys.modules["__main__"] = module
    main_globals = module.__dict__
    threads_before = _thread_idents()
    try:
        try:
            with open(main_path, "rb") as f:
                source = f.read()
            code = compile(source, main_path, "exec")
            exec(code, main_globals)
        except SystemExit as e:
            status = e.code
            _end_forked_child(status)
            if status is not None and status != 0:
                described = describe(e)
                described["message"] = ("exit code %d" % status) if isinstance(status, int) else _exception_str(status)
                return described
        # Ended well: its threads are waited for. A run that failed ends at
        # once (python prints the traceback, then waits; here the failure
        # is the run's end, and is not hidden behind a thread that runs on).
        flush_streams()
        _wait_for_threads(threads_before)
        _end_forked_child(0)
        _wait_for_processes()
    except BaseException as e:
        _end_forked_child(1, e)
        return describe(e)
    finally:
        flush_streams()
    return None


def _end_forked_child(status, error=None):
    """Ends a process the program forked that came back here, from the end
    of the main file or of a function the runtime called (its code did not
    call os._exit), as `python main.py` ends it: its threads waited for,
    exit handlers, the main module's values let go (open files flushed),
    the traceback of `error` on stderr, and its exit status. It must not go
    on into the worker, whose channel belongs to the session's own process."""
    if not _in_forked_child():
        return
    if error is not None and not isinstance(error, SystemExit):
        # As python prints it, in the client's file names.
        sys.stderr.write(describe(error)["text"])
    if status is None:
        code = 0
    elif isinstance(status, int):
        code = status & 0xFF
    else:
        print(status, file=sys.stderr)
        code = 1
    for step in (_join_copy_threads, _run_exit_functions, flush_streams, _release_main_values):
        try:
            step()
        except BaseException:
            pass
    flush_streams()
    os._exit(code)


def _join_copy_threads():
    """Python's own shutdown wait (threading._shutdown), or, where it
    refuses (a copy forked on a thread that is not the main one), a join of
    every non-daemon thread."""
    threading = sys.modules.get("threading")
    if threading is None:
        return
    try:
        threading._shutdown()
        return
    except AssertionError:
        pass
    current = threading.current_thread()
    while True:
        waiting = [t for t in threading.enumerate() if t is not current and not t.daemon and t.is_alive()]
        if not waiting:
            return
        for thread in waiting:
            thread.join()


def _run_exit_functions():
    import atexit
    atexit._run_exitfuncs()


def _release_main_values():
    if main_globals is not None:
        main_globals.clear()
    import gc
    gc.collect()


def _wait_for_processes():
    """Waits, as `python main.py`'s exit does, for the non-daemon processes
    the run started with multiprocessing (`Process(...).start()` without a
    join); a stop's KeyboardInterrupt ends the wait. Daemonic ones (a Pool's
    workers), which python's exit would end, stay for the calls that come
    after the run, and so do an executor's (see _pool_thread)."""
    # The submodule, not the package: a program's own multiprocessing.py
    # takes the package's place in sys.modules, not this one's.
    processes = sys.modules.get("multiprocessing.process")
    if processes is None:
        return
    for process in processes.active_children():
        if not process.daemon and not _pool_thread(process):
            process.join()


def _unshadow(folder):
    """A file or package of the run named like a module this worker imported
    before the run (a preload: numpy, pandas and the standard modules they
    use, or one of this helper's) is what the program's `import` finds, as
    under `python main.py`, where those were not imported yet: the module is
    taken out of sys.modules (what imported it keeps its reference)."""
    for entry in os.listdir(folder):
        if entry.endswith(".py"):
            name = entry[:-3]
        elif os.path.isdir(os.path.join(folder, entry)):
            name = entry
        else:
            continue
        if name.isidentifier() and name in sys.modules and name not in _STARTUP_MODULES \
                and name not in sys.builtin_module_names and name not in _RUNTIME_MODULES:
            del sys.modules[name]


# Modules the runtime itself imports to serve reads, models and statistics
# (here and in the worker's Swift code), and its own: they stay, or a
# program's json.py would break every read of the session (and a
# runtimeBridge.py stub sent with a generated program must not take the
# runtime's place). A file of the run with such a name is not imported.
_RUNTIME_MODULES = frozenset({
    "runtimeBridge", "_runtime_worker", "_runtime_native", "_runtime_sandbox",
    "base64", "codecs", "concurrent", "datetime", "decimal", "gc", "json", "jsonpickle", "numpy", "pandas",
    "tempfile", "threading",
})


def _thread_idents():
    threading = sys.modules.get("threading")
    return set() if threading is None else {t.ident for t in threading.enumerate()}


def _pool_thread(thread):
    """A thread or process of an executor's pool or its manager
    (concurrent.futures, joblib's loky), or a multiprocessing Manager's
    server. An idle one never ends by itself: Python's shutdown first tells
    them to finish their queued tasks and end (threading._register_atexit,
    multiprocessing's finalizers), which here would stop them for the calls
    that come after the run; so they are not waited for. A process's
    target is gone once it started: its module is recorded at its start
    (_runtime_sandbox)."""
    target = getattr(thread, "_target", None)
    modules = (getattr(type(thread), "__module__", None), getattr(target, "__module__", None),
               getattr(thread, "_runtime_target_module", None))
    return any((module or "").startswith(_POOL_MODULES) for module in modules)


_POOL_MODULES = ("concurrent.futures", "joblib.externals.loky", "loky", "multiprocessing.managers")


def _wait_for_threads(before):
    """Waits, as `python main.py` does before it exits, for every
    non-daemon thread the run started (pool threads aside); a stop's
    KeyboardInterrupt ends the wait."""
    threading = sys.modules.get("threading")
    if threading is None:
        return
    current = threading.current_thread()

    def wait():
        while True:
            waiting = [t for t in threading.enumerate()
                       if t is not current and t.ident not in before and not t.daemon and t.is_alive()
                       and not _pool_thread(t)]
            if not waiting:
                return
            for thread in waiting:
                thread.join()

    # As Python's own shutdown does, the main thread counts as ended while
    # the others are waited for (a thread watching main_thread().is_alive(),
    # or joining it, ends then); it is alive again afterwards, as the worker
    # goes on serving.
    main = threading.main_thread()
    lock = getattr(main, "_tstate_lock", None)
    if current is not main or getattr(main, "_is_stopped", True) or lock is None or not lock.locked():
        return wait()
    lock.release()
    main._is_stopped = True
    try:
        wait()
    finally:
        lock.acquire()
        main._tstate_lock = lock
        main._is_stopped = False
"""#

    static let bridge = #"""
"""Runtime bridge: what generated programs use to hand values to the runtime."""
from _runtime_worker import save_placeholder

__all__ = ["save_placeholder"]
"""#
}
