extension WorkerPythonSource {
    /// `_runtime_sandbox`: what the worker's confinement needs from Python.
    static let sandbox = #"""
import os
import sys
import tempfile
# Imported here, once per interpreter (in the fork server, shared by every
# worker), so that a run's start can point its socket folder elsewhere
# without importing it (3.5 ms) on each run's path.
import multiprocessing.process


def _recording_start(start):
    def recorded(self):
        # multiprocessing drops _target once started: the run's end needs
        # its module to tell an executor's or a Manager's process apart.
        target = getattr(self, "_target", None)
        self._runtime_target_module = getattr(target, "__module__", None)
        return start(self)
    return recorded


multiprocessing.process.BaseProcess.start = _recording_start(multiprocessing.process.BaseProcess.start)
_socket_folder = None


def python_folders():
    """The folders this interpreter reads modules from, one per line: the
    environment's prefixes and every existing entry of sys.path."""
    seen = []
    for path in [sys.prefix, sys.exec_prefix, sys.base_prefix, sys.base_exec_prefix] + list(sys.path):
        if not path or not os.path.isdir(path):
            continue
        real = os.path.realpath(path)
        for candidate in (path, real):
            if candidate not in seen:
                seen.append(candidate)
    return "\n".join(seen)


def enter_session(workdir):
    """HOME and the temporary folder inside the session's own folder: the
    only place it may write."""
    tmp = os.path.join(workdir, ".tmp")
    os.makedirs(tmp, exist_ok=True)
    os.environ["HOME"] = workdir
    os.environ["TMPDIR"] = tmp
    tempfile.tempdir = None
    # The key that lets a process talk to this session's Manager or
    # forkserver: the fork server drew one when it imported multiprocessing,
    # and every session would share it. Each session draws its own.
    multiprocessing.process.current_process().authkey = os.urandom(32)
    # A Python the program starts (joblib's loky workers, a script run with
    # subprocess) writes to the session's raw output pipe, where its stdout
    # would be block-buffered: what a long-lived loky worker printed arrived
    # only when it ended, after the run. Unbuffered, it arrives as written,
    # as on a terminal. A value the program's environment sets is kept.
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    _install_bridge_stub(workdir)
    _shorten_socket_folder(tmp)


# The longest temporary folder under which multiprocessing's sockets fit:
# it makes them as <folder>/pymp-XXXXXXXX/listener-XXXXXXXX, and an AF_UNIX
# address holds at most 107 bytes.
_SOCKET_FOLDER_BYTES = 107 - len("/pymp-XXXXXXXX/listener-XXXXXXXX")


def _shorten_socket_folder(tmp):
    """A session's temporary folder is often too long for that (it depends on
    the work root and on the digits of the server's pid): a Manager() or the
    forkserver start method failed with "AF_UNIX path too long". Then
    multiprocessing's own folder (sockets, nothing large) is one in the
    session's private /dev/shm; everything else stays in TMPDIR."""
    global _socket_folder
    if len(os.fsencode(tmp)) <= _SOCKET_FOLDER_BYTES:
        return
    if _socket_folder is None or not os.path.isdir(_socket_folder):
        try:
            _socket_folder = tempfile.mkdtemp(prefix="pymp-", dir="/dev/shm")
        except OSError:
            return
    multiprocessing.process.current_process()._config["tempdir"] = _socket_folder


# runtimeBridge as a Python the program starts sees it: multiprocessing's
# "spawn" and "forkserver" children, joblib's loky workers (which import the
# main file again) and `python other.py` subprocesses import it; a save
# there is refused, as in a forked copy of the worker.
_BRIDGE_STUB = """\
# runtimeBridge in a process the program started: values are kept by the
# session's own process only.
import os as _os

__all__ = ["save_placeholder"]


def save_placeholder(name, value):
    raise RuntimeError("save_placeholder: called in a process the program started (pid %d); "
                       "values are kept by the session's own process only: save it there" % _os.getpid())
"""


def _install_bridge_stub(workdir):
    """Writes the stub into <workdir>/.runtime, and puts that folder last on
    sys.path (multiprocessing and loky give their children the parent's
    sys.path: the worker's interpreter is isolated, `-I`, and so are they)
    and first on the PYTHONPATH a plain `python` subprocess reads."""
    folder = os.path.join(workdir, ".runtime")
    try:
        os.makedirs(folder, exist_ok=True)
        # Not through a link an earlier run may have left in its place.
        fd = os.open(os.path.join(folder, "runtimeBridge.py"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644)
        with open(fd, "w", encoding="utf-8") as f:
            f.write(_BRIDGE_STUB)
    except OSError:
        return
    if folder not in sys.path:
        sys.path.append(folder)
    paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p and p != folder]
    os.environ["PYTHONPATH"] = os.pathsep.join([folder] + paths)
"""#
}
