// A thin C layer over CPython for Swift: what Swift cannot import directly
// (function-like macros, variadic calls, config structs) is wrapped here.
#ifndef RUNTIME_CPYTHON_SHIM_H
#define RUNTIME_CPYTHON_SHIM_H

// stdio.h must come before Python.h: pyconfig.h defines _GNU_SOURCE, and
// without this glibc's fd_set is parsed differently from Foundation's modules.
#include <stdio.h>
#include <signal.h>
#include <fcntl.h>
#include <unistd.h>
#define PY_SSIZE_T_CLEAN
#include <Python.h>

static inline PyObject *shim_none(void) { return Py_None; }
static inline PyObject *shim_true(void) { return Py_True; }
static inline PyObject *shim_newref_none(void) { Py_INCREF(Py_None); return Py_None; }

static inline int shim_is_bool(PyObject *o) { return PyBool_Check(o); }
static inline int shim_is_long(PyObject *o) { return PyLong_Check(o); }
static inline int shim_is_float(PyObject *o) { return PyFloat_Check(o); }
static inline int shim_is_unicode(PyObject *o) { return PyUnicode_Check(o); }
static inline int shim_is_bytes(PyObject *o) { return PyBytes_Check(o); }
static inline int shim_is_bytearray(PyObject *o) { return PyByteArray_Check(o); }
static inline int shim_is_list(PyObject *o) { return PyList_Check(o); }
static inline int shim_is_tuple(PyObject *o) { return PyTuple_Check(o); }
static inline int shim_is_dict(PyObject *o) { return PyDict_Check(o); }
static inline int shim_is_anyset(PyObject *o) { return PyAnySet_Check(o); }

static inline const char *shim_type_name(PyObject *o) { return Py_TYPE(o)->tp_name; }

static inline PyObject *shim_call_method0(PyObject *o, const char *name) {
    return PyObject_CallMethod(o, name, NULL);
}

/// pipe2(O_CLOEXEC): both ends close on exec, so no other child inherits them.
static inline int shim_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }

static inline void shim_raise_type_error(const char *message) { PyErr_SetString(PyExc_TypeError, message); }
static inline void shim_raise_runtime_error(const char *message) { PyErr_SetString(PyExc_RuntimeError, message); }

/// A new exception class `name` ("module.Class") deriving from BaseException,
/// so that a program's `except Exception` does not catch it; NULL on failure.
static inline PyObject *shim_new_base_exception(const char *name) { return PyErr_NewException(name, PyExc_BaseException, NULL); }

/// Raises `exception` (a class) in the thread `thread` the next time it runs
/// Python code. Must hold the GIL. Returns the number of thread states
/// changed. (Withdrawing one with NULL is not used: with 3.11 the thread's
/// next call then stalled; see ReadWatchdog.)
static inline int shim_async_exception(unsigned long thread, PyObject *exception) {
    return PyThreadState_SetAsyncExc(thread, exception);
}

static inline int shim_buf_records_ro(void) { return PyBUF_RECORDS_RO; }

static inline PyObject *shim_tuple_get(PyObject *t, Py_ssize_t i) { return PyTuple_GET_ITEM(t, i); }

/// Initialises the interpreter as an isolated one whose environment is found
/// from `program_name` (a venv's `bin/python`, or a system python), in UTF-8
/// mode: an isolated configuration neither reads `PYTHONUTF8` nor coerces the
/// C locale, so a worker (whose environment names no locale) would otherwise
/// open files and encode file names as ASCII, where `python3` uses UTF-8.
/// Returns NULL on success, or a static message describing the failure.
static inline const char *shim_initialize(const char *program_name) {
    PyPreConfig preconfig;
    PyPreConfig_InitIsolatedConfig(&preconfig);
    preconfig.utf8_mode = 1;
    PyStatus prestatus = Py_PreInitialize(&preconfig);
    if (PyStatus_Exception(prestatus)) { return prestatus.err_msg ? prestatus.err_msg : "Py_PreInitialize failed"; }
    PyConfig config;
    PyConfig_InitIsolatedConfig(&config);
    config.install_signal_handlers = 1;
    config.buffered_stdio = 0;
    config.parse_argv = 0;
    PyStatus status = PyConfig_SetBytesString(&config, &config.program_name, program_name);
    if (PyStatus_Exception(status)) { PyConfig_Clear(&config); return status.err_msg ? status.err_msg : "cannot set program_name"; }
    status = Py_InitializeFromConfig(&config);
    PyConfig_Clear(&config);
    if (PyStatus_Exception(status)) { return status.err_msg ? status.err_msg : "Py_InitializeFromConfig failed"; }
    return NULL;
}

/// Builds a C-level function object named `name` whose calls land in `fn`
/// (METH_VARARGS). The method definition lives for the process's lifetime.
static inline PyObject *shim_make_function(const char *name, PyCFunction fn) {
    PyMethodDef *def = (PyMethodDef *)PyMem_RawCalloc(2, sizeof(PyMethodDef));
    if (!def) return NULL;
    def[0].ml_name = name;
    def[0].ml_meth = fn;
    def[0].ml_flags = METH_VARARGS;
    def[0].ml_doc = NULL;
    return PyCFunction_NewEx(def, NULL, NULL);
}

#endif
