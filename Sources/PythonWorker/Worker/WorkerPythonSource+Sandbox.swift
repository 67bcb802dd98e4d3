extension WorkerPythonSource {
    /// `_runtime_sandbox`: what the worker's confinement needs from Python.
    static let sandbox = #"""
import os
import sys
import tempfile


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
"""#
}
