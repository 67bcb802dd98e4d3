// Empty: LibFuzzer.h declares functions of the toolchain's libFuzzer, which
// -sanitize=fuzzer links; SwiftPM wants a source file for a C target.
#include "LibFuzzer.h"
