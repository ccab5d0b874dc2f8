// The configuration keys as CLI11 options: one option "--section.key" per key, so
// the same key works in the config file ("[section]" then "key = value") and as a
// flag. Values stay raw strings here; validate.cpp turns them into a Config.
#pragma once
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

namespace nat64d::ctl {

enum class KeyKind : uint8_t {
    scalar,   // exactly one value; on the command line the last one wins
    list,     // any number of values: key = ["a", "b"] or --key a b or --key=a --key=b
    flag,     // true/false; a bare --key or a bare "key" line in the file means true
};

struct KeySpec {
    std::string_view name;        // "section.key"
    KeyKind kind;
    std::string_view type_name;   // shown in --help
    std::string_view help;
};

/// Every configuration key, in file order (the order --help and config_to_json use).
std::span<const KeySpec> config_keys() noexcept;

/// The key's spec, or nullptr if there is no such key.
const KeySpec* find_key(std::string_view name) noexcept;

/// The key's default as --help and the man page show it, e.g. "1024-65535"; "" for none.
std::string key_default_text(std::string_view name);

/// The closest known key to an unknown one (for "did you mean"), or "" if none is close.
std::string suggest_key(std::string_view unknown);

/// The values given for each key, as written, before validation. A key that is
/// absent keeps the Config default.
class RawConfig {
public:
    /// name must be a known key (find_key).
    void set(std::string_view name, std::vector<std::string> values);
    /// Forgets name: it takes its default (to look for more errors past one).
    void erase(std::string_view name);
    /// The values given for name, or nullptr if the key was not given.
    const std::vector<std::string>* find(std::string_view name) const;
    const std::map<std::string, std::vector<std::string>, std::less<>>& values() const noexcept
    {
        return values_;
    }

private:
    std::map<std::string, std::vector<std::string>, std::less<>> values_;
};

/// The CLI11 application for nat64d: every key, plus --config, --check-config, --help
/// and --version.
/// Precedence: command-line flags first, then the file fills whatever is still unset.
class Schema {
public:
    Schema();
    Schema(const Schema&) = delete;
    Schema& operator=(const Schema&) = delete;

    /// Parses flags (without the program name). Throws ConfigError; sets help_requested().
    void parse_flags(const std::vector<std::string>& args);
    /// Reads a config file's text; keys already given as flags keep the flag's value.
    /// Throws ConfigError naming the key for unknown or malformed keys.
    void parse_file_text(std::string_view text);

    bool help_requested() const noexcept { return help_requested_; }
    std::string help() const;
    /// --version was given: "nat64d VERSION\n".
    bool version_requested() const noexcept { return !version_text_.empty(); }
    const std::string& version_text() const noexcept { return version_text_; }
    /// The file named by --config or --check-config ("" if none).
    std::string config_path() const;
    bool check_only() const;

    RawConfig raw() const;

private:
    struct KeyOption {
        const KeySpec* spec;
        CLI::Option* option;
    };

    CLI::App app_;
    CLI::Option* config_opt_ = nullptr;
    CLI::Option* check_opt_ = nullptr;
    std::vector<KeyOption> keys_;
    bool help_requested_ = false;
    std::string version_text_;
};

} // namespace nat64d::ctl
