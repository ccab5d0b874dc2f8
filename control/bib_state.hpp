// Static mappings added at run time (`nat64ctl bib add`) that outlive the
// process: the daemon rewrites [control] bib_state after every runtime add or
// delete and restores it at start, after static.bib. One entry per line, in
// static.bib's own text ("tcp 2001:db8::5#80 192.0.2.1#8080"); lines starting
// with "# " are comments. Pure file handling: no DPDK.
#pragma once
#include <string>
#include <vector>

#include "control/config/config.hpp"

namespace nat64d::ctl {

struct BibStateLoad {
    std::vector<StaticBib> entries;     // parsed and checked as static.bib's are
    std::vector<std::string> problems;  // "PATH line N: config: ...: why", one per entry left out
};

/// The file's entries; a missing file is an empty state, not a problem.
BibStateLoad load_bib_state(const std::string& path, const Config& cfg);

/// Writes the entries (a temporary file renamed over the old one, so a crash
/// never leaves half a file). Throws std::runtime_error saying why not.
void save_bib_state(const std::string& path, const std::vector<StaticBib>& entries);

} // namespace nat64d::ctl
