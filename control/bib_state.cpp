#include "control/bib_state.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include <fmt/format.h>

#include "control/config/load.hpp"
#include "control/config/validate.hpp"

namespace nat64d::ctl {

BibStateLoad load_bib_state(const std::string& path, const Config& cfg)
{
    BibStateLoad out;
    std::ifstream in(path);
    if (!in) {
        if (errno != ENOENT)
            out.problems.push_back(fmt::format("{}: {}", path, std::strerror(errno)));
        return out;
    }
    std::string line;
    for (unsigned n = 1; std::getline(in, line); ++n) {
        if (line.empty() || line.rfind("# ", 0) == 0)
            continue;
        try {
            out.entries.push_back(parse_static_bib("control.bib_state", line, cfg));
        } catch (const ConfigError& e) {
            out.problems.push_back(fmt::format("{} line {}: {}", path, n, e.what()));
        }
    }
    return out;
}

void save_bib_state(const std::string& path, const std::vector<StaticBib>& entries)
{
    const std::string tmp = path + ".new";
    std::FILE* f = std::fopen(tmp.c_str(), "w");
    if (f == nullptr)
        throw std::runtime_error(fmt::format("{}: {}", tmp, std::strerror(errno)));
    std::string text = "# nat64d: static mappings added at run time (nat64ctl bib add); rewritten by nat64d\n";
    for (const StaticBib& b : entries)
        text += format_static_bib(b) + "\n";
    const bool written = std::fwrite(text.data(), 1, text.size(), f) == text.size() && std::fflush(f) == 0;
    const int err = errno;
    std::fclose(f);
    if (!written || std::rename(tmp.c_str(), path.c_str()) != 0) {
        const int why = written ? errno : err;
        std::remove(tmp.c_str());
        throw std::runtime_error(fmt::format("{}: {}", path, std::strerror(why)));
    }
}

} // namespace nat64d::ctl
