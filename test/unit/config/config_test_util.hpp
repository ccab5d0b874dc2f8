// Helpers shared by the config unit tests: a minimal valid file and a way to get
// the one-line error of a configuration (or "" when it is valid).
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "control/config/load.hpp"

namespace nat64d::ctl::test {

/// The smallest valid two-arm configuration; tests change one key with a flag.
inline constexpr std::string_view kMinimalConf = R"([ports]
inside = "net_tap0"
outside = "net_tap1"

[addresses]
inside_ipv6 = "2001:db8:1::1/64"
outside_ipv4 = "192.0.2.1/24"

[pool]
addresses = ["192.0.2.8/30"]
)";

/// The ConfigError message for text plus flags, or "" if they are valid.
inline std::string error_of(std::string_view text, const std::vector<std::string>& flags = {})
{
    try {
        (void)parse_config_text(text, flags);
    } catch (const ConfigError& e) {
        return e.what();
    }
    return {};
}

/// The error for kMinimalConf with flags on top.
inline std::string error_with(const std::vector<std::string>& flags)
{
    return error_of(kMinimalConf, flags);
}

} // namespace nat64d::ctl::test
