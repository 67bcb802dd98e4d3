// libFuzzer's entry points, for a harness that brings its own `main`
// (see Fuzz/Package.swift: SwiftPM names an executable's entry point).
#include <stddef.h>
#include <stdint.h>

/// Runs libFuzzer with the command line `argc`/`argv` on `callback`.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
