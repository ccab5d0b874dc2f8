// Builds a man page from its hand-written roff template: "@KEYS@" on a line of
// its own becomes the configuration reference, rendered from the one key table
// (control/config/schema.cpp) that --help also prints, so the page and --help
// cannot drift; @VERSION@, @DEFAULT_CONFIG@ and @SOCKET@ become the build's values.
// Usage: man_page TEMPLATE OUTPUT
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include "control/config/build_info.hpp"
#include "control/config/schema.hpp"

namespace {

using nat64d::ctl::KeyKind;
using nat64d::ctl::KeySpec;

/// Text as roff sees it literally: backslashes and hyphens escaped (a man page
/// writes option dashes as \-, so they survive copy and paste), and a line
/// cannot start with a control character.
std::string roff_escape(std::string_view text)
{
    std::string out;
    for (const char c : text) {
        if (c == '\\')
            out += "\\e";
        else if (c == '-')
            out += "\\-";
        else
            out += c;
    }
    if (!out.empty() && (out.front() == '.' || out.front() == '\''))
        out.insert(0, "\\&");
    return out;
}

std::string value_syntax(const KeySpec& k)
{
    const std::string type = roff_escape(k.type_name);
    switch (k.kind) {
    case KeyKind::list:
        return "[\\fI" + type + "\\fR, ...]";
    case KeyKind::flag:
        return "\\fItrue\\fR|\\fIfalse\\fR";
    case KeyKind::scalar:
        break;
    }
    return "\\fI" + type + "\\fR";
}

/// One .SS per [section], one .TP per key: its file syntax, what it does, its
/// flag and its default.
std::string keys_section()
{
    std::string out;
    std::string_view section;
    for (const KeySpec& k : nat64d::ctl::config_keys()) {
        const size_t dot = k.name.find('.');
        const std::string_view sec = k.name.substr(0, dot);
        const std::string_view key = k.name.substr(dot + 1);
        if (sec != section) {
            out += ".SS [" + roff_escape(sec) + "]\n";
            section = sec;
        }
        out += ".TP\n\\fB" + roff_escape(key) + "\\fR = " + value_syntax(k) + "\n";
        out += roff_escape(k.help) + ".\n";
        // \% keeps groff from hyphenating the flag at a line end.
        out += ".br\nCommand line: \\fB\\%\\-\\-" + roff_escape(k.name) + "\\fR";
        out += k.kind == KeyKind::flag ? std::string("[=\\fItrue\\fR|\\fIfalse\\fR]")
                                       : "=\\fI" + roff_escape(k.type_name) + "\\fR";
        if (k.kind == KeyKind::list)
            out += " (repeatable)";
        out += "\n";
        const std::string def = nat64d::ctl::key_default_text(k.name);
        if (!def.empty())
            out += ".br\nDefault: " + roff_escape(def) + "\n";
    }
    return out;
}

void replace_all(std::string& s, std::string_view from, std::string_view to)
{
    for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
        s.replace(at, from.size(), to);
}

} // namespace

int main(int argc, char** argv)
{
    if (argc != 3) {
        std::fprintf(stderr, "usage: man_page TEMPLATE OUTPUT\n");
        return 2;
    }
    std::ifstream in(argv[1]);
    if (!in) {
        std::fprintf(stderr, "man_page: cannot read %s\n", argv[1]);
        return 1;
    }
    std::ostringstream page;
    for (std::string line; std::getline(in, line);) {
        if (line == "@KEYS@") {
            page << keys_section();
            continue;
        }
        replace_all(line, "@VERSION@", NAT64D_VERSION);
        replace_all(line, "@DEFAULT_CONFIG@", roff_escape(NAT64D_DEFAULT_CONFIG));
        replace_all(line, "@SOCKET@", roff_escape(nat64d::ctl::key_default_text("control.socket")));
        page << line << '\n';
    }
    std::ofstream out(argv[2]);
    out << page.str();
    out.close();
    if (!out) {
        std::fprintf(stderr, "man_page: cannot write %s\n", argv[2]);
        return 1;
    }
    return 0;
}
