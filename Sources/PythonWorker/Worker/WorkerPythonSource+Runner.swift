extension WorkerPythonSource {
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


"""#
}
