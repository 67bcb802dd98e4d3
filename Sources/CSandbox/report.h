// Shared by the sandbox's C files: a report of refused measures.
#ifndef RUNTIME_CSANDBOX_REPORT_H
#define RUNTIME_CSANDBOX_REPORT_H
#include <stddef.h>

/// Appends "what: strerror(error)" (or "what") to `report`, "; "-separated.
void sandbox_report_append(char *report, size_t size, const char *what, int error);

#endif
