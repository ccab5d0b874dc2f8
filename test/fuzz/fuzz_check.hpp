// Invariant checks for the libFuzzer targets: a violated invariant prints what
// failed and aborts, so libFuzzer keeps the input as a crash artifact
// (docs/SECURITY.md: every one becomes a regression input).
#pragma once
#include <cstdio>
#include <cstdlib>

// A macro, not a function: the message names the expression and the line.
#define FUZZ_CHECK(cond)                                                                  \
    do {                                                                                  \
        if (!(cond)) {                                                                    \
            std::fprintf(stderr, "%s:%d: invariant violated: %s\n", __FILE__, __LINE__,   \
                         #cond);                                                          \
            std::abort();                                                                 \
        }                                                                                 \
    } while (0)
