extension WorkerPythonSource {
    /// How a run ends: the threads and processes it waits for (as
    /// `python main.py`'s exit does), and the forked copies of the worker,
    /// which never speak to the runtime and end as python would end them.
    static let runEnd = #"""
# The session's own process (its worker), set when the interpreter is
# prepared and when a run starts. A process the program forks (os.fork,
# multiprocessing's "fork") is a copy of it, but only this one speaks to
# the runtime: a copy's output goes to pipes the worker forwards.
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
}
