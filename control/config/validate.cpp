// Raw key values to a checked Config: addresses and prefixes (RFC 6052 s2.2),
// the pool and static BIB (RFC 6146 s3.5), timeouts (RFC 6146 s4 minimums).
// Parsing is inet_pton; every error names the key, the value as written and why.
#include "control/config/validate.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cassert>
#include <cctype>
#include <charconv>
#include <cstring>
#include <optional>

#include <fmt/format.h>

#include "dataplane/nat/timeouts.hpp"
#include "dataplane/nat/block_pool.hpp"

namespace nat64d::ctl {
namespace {

constexpr std::string_view kAllowShortHint = "; set timeouts.allow_short = true to go down to 1 s (tests only)";
constexpr unsigned kUOctet = 8;   // RFC 6052 s2.2: bits 64..71

[[noreturn]] void fail(std::string_view key, std::string_view value, std::string_view reason)
{
    throw ConfigError(
        fmt::format("config: {} = {}: {}", key, value.empty() ? std::string_view("\"\"") : value, reason),
        std::string(key));
}

bool parse_u64(std::string_view text, uint64_t& out)
{
    if (text.empty())
        return false;
    const char* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, out);
    return ec == std::errc() && ptr == end;
}

const std::string* scalar(const RawConfig& raw, std::string_view key)
{
    assert(find_key(key) != nullptr && find_key(key)->kind != KeyKind::list);
    const std::vector<std::string>* v = raw.find(key);
    return (v == nullptr || v->empty()) ? nullptr : &v->back();
}

std::vector<std::string> list(const RawConfig& raw, std::string_view key)
{
    assert(find_key(key) != nullptr && find_key(key)->kind == KeyKind::list);
    const std::vector<std::string>* v = raw.find(key);
    return v == nullptr ? std::vector<std::string>{} : *v;
}

/// min..max inclusive; below_why replaces "must be at least <min>" when given.
uint64_t to_number(std::string_view key, const std::string& text, uint64_t min, uint64_t max,
                   std::string_view below_why = {})
{
    uint64_t v = 0;
    if (!parse_u64(text, v))
        fail(key, text, "not a decimal number");
    if (v < min)
        fail(key, text, below_why.empty() ? fmt::format("must be at least {}", min) : std::string(below_why));
    if (v > max)
        fail(key, text, fmt::format("must be at most {}", max));
    return v;
}

template <typename T>
void read_number(const RawConfig& raw, std::string_view key, T& out, uint64_t min, uint64_t max,
                 std::string_view below_why = {})
{
    if (const std::string* s = scalar(raw, key))
        out = static_cast<T>(to_number(key, *s, min, max, below_why));
}

void read_bool(const RawConfig& raw, std::string_view key, bool& out)
{
    const std::string* s = scalar(raw, key);
    if (s == nullptr)
        return;
    std::string v = *s;
    std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (v == "true" || v == "yes" || v == "on" || v == "1")
        out = true;
    else if (v == "false" || v == "no" || v == "off" || v == "0")
        out = false;
    else
        fail(key, *s, "expected true or false");
}

// Names and paths (devices, EAL arguments, files, users) may not hold quotes
// or backslashes: CLI11 2.1's reader strips quotes, splits on them and honours
// backslash-escaped ones, so config_to_text() could not write such a value in
// a form that reads back the same (nat64ctl config, load.hpp), and none of
// these values needs them.
constexpr std::string_view kUnwritable = "\"'`\\";

void check_writable(std::string_view key, const std::string& value)
{
    if (value.find_first_of(kUnwritable) != std::string::npos)
        fail(key, value, "must not contain quotes or backslashes");
}

void read_string(const RawConfig& raw, std::string_view key, std::string& out)
{
    if (const std::string* s = scalar(raw, key)) {
        check_writable(key, *s);
        out = *s;
    }
}

// ---- addresses -------------------------------------------------------------

Ip4 mask4(unsigned len)
{
    return len == 0 ? 0 : ~Ip4{0} << (32 - len);
}

bool in_net4(Ip4 a, Ip4 net, unsigned len)
{
    return (a & mask4(len)) == (net & mask4(len));
}

bool in_prefix6(const In6& a, const In6& prefix, unsigned len)
{
    return xlate::in_prefix(prefix, len, a);
}

bool host_bits_zero6(const In6& a, unsigned len)
{
    return xlate::mask_prefix(a, len) == a;
}

/// "" if a is a unicast address a host may own, else why not.
std::string_view why_not_unicast4(Ip4 a)
{
    if ((a >> 24) == 0)
        return "0.0.0.0/8 means \"this network\" (RFC 791), not a unicast address";
    if ((a >> 24) == 127)
        return "127.0.0.0/8 is loopback";
    if ((a >> 28) == 0xE)
        return "multicast (224.0.0.0/4) is not a unicast address";
    if ((a >> 28) == 0xF)
        return "240.0.0.0/4 is reserved and 255.255.255.255 is broadcast";
    return {};
}

std::string_view why_not_unicast6(const In6& a)
{
    const In6 zero{};
    In6 loopback{};
    loopback[15] = 1;
    if (a == zero)
        return "the unspecified address :: is not a unicast address";
    if (a == loopback)
        return "::1 is loopback";
    if (a[0] == 0xFF)
        return "multicast (ff00::/8) is not a unicast address";
    if (in_prefix6(a, In6{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF}, 96))
        return "IPv4-mapped addresses (::ffff:0:0/96) are not IPv6 addresses on the wire";
    return {};
}

bool is_link_local6(const In6& a)
{
    return a[0] == 0xFE && (a[1] & 0xC0) == 0x80;   // fe80::/10
}

/// "addr" or "addr/len"; len stays unset without a slash. Fails with the key's reason.
template <typename Addr, typename Parse>
Addr parse_net(std::string_view key, const std::string& text, unsigned max_len, std::optional<unsigned>& len,
               std::string_view family, Parse parse)
{
    const std::size_t slash = text.find('/');
    const std::string_view addr_text = std::string_view(text).substr(0, slash);
    Addr addr{};
    if (!parse(addr_text, addr))
        fail(key, text, fmt::format("not an {} address", family));
    len.reset();
    if (slash != std::string::npos) {
        uint64_t l = 0;
        if (!parse_u64(std::string_view(text).substr(slash + 1), l) || l > max_len)
            fail(key, text, fmt::format("prefix length must be 0..{}", max_len));
        len = static_cast<unsigned>(l);
    }
    return addr;
}

Ip4 parse_net4(std::string_view key, const std::string& text, std::optional<unsigned>& len)
{
    return parse_net<Ip4>(key, text, 32, len, "IPv4", [](std::string_view t, Ip4& a) { return parse_ip4(t, a); });
}

In6 parse_net6(std::string_view key, const std::string& text, std::optional<unsigned>& len)
{
    return parse_net<In6>(key, text, 128, len, "IPv6", [](std::string_view t, In6& a) { return parse_ip6(t, a); });
}

Ip4 parse_addr4(std::string_view key, const std::string& text)
{
    std::optional<unsigned> len;
    const Ip4 a = parse_net4(key, text, len);
    if (len)
        fail(key, text, "expected an address without a prefix length");
    return a;
}

In6 parse_addr6(std::string_view key, const std::string& text)
{
    std::optional<unsigned> len;
    In6 a = parse_net6(key, text, len);
    if (len)
        fail(key, text, "expected an address without a prefix length");
    return a;
}

bool parse_mac(std::string_view text, MacAddr& mac)
{
    constexpr std::size_t kMacTextLen = 17;   // "02:00:00:00:00:01"
    if (text.size() != kMacTextLen)
        return false;
    for (std::size_t i = 0; i < 6; ++i) {
        if (i > 0 && text[i * 3 - 1] != ':')
            return false;
        const char* first = text.data() + i * 3;
        uint8_t byte = 0;
        const auto [ptr, ec] = std::from_chars(first, first + 2, byte, 16);
        if (ec != std::errc() || ptr != first + 2)
            return false;
        mac.bytes[i] = byte;
    }
    return true;
}

std::vector<std::string_view> split_fields(std::string_view text)
{
    std::vector<std::string_view> fields;
    std::size_t pos = 0;
    while (pos < text.size()) {
        const std::size_t start = text.find_first_not_of(" \t", pos);
        if (start == std::string_view::npos)
            break;
        const std::size_t end = std::min(text.find_first_of(" \t", start), text.size());
        fields.push_back(text.substr(start, end - start));
        pos = end;
    }
    return fields;
}

std::string format_net4(Ip4 a, unsigned len)
{
    return fmt::format("{}/{}", format_ip4(a), len);
}

// ---- sections ----------------------------------------------------------------

void read_port_mac(const RawConfig& raw, std::string_view key, PortConfig& port)
{
    const std::string* s = scalar(raw, key);
    if (s == nullptr || s->empty())
        return;
    if (!parse_mac(*s, port.mac))
        fail(key, *s, "not a MAC address (expected xx:xx:xx:xx:xx:xx)");
    if ((port.mac.bytes[0] & 1u) != 0 || port.mac.bytes == MacAddr{}.bytes)
        fail(key, *s, "not a unicast MAC address");
    port.has_mac = true;
}

void check_workers(const Config& c);

void read_ports(const RawConfig& raw, Config& c)
{
    if (const std::string* s = scalar(raw, "ports.mode")) {
        if (*s == "two-arm")
            c.mode = ArmMode::two_arm;
        else if (*s == "one-arm")
            c.mode = ArmMode::one_arm;
        else
            fail("ports.mode", *s, "expected two-arm or one-arm");
    }
    read_string(raw, "ports.inside", c.inside.device);
    read_string(raw, "ports.outside", c.outside.device);
    read_number(raw, "ports.inside_mtu", c.inside.mtu_bytes, kIp6MinMtu, kMaxMtu,
                "must be at least 1280 (RFC 8200 s5: the IPv6 minimum link MTU)");
    read_number(raw, "ports.outside_mtu", c.outside.mtu_bytes, kMinIp4Mtu, kMaxMtu,
                "must be at least 68 (RFC 791: the IPv4 minimum MTU)");
    read_port_mac(raw, "ports.inside_mac", c.inside);
    read_port_mac(raw, "ports.outside_mac", c.outside);
    read_number(raw, "ports.inside_vlan", c.inside.vlan, 0, kMaxVlan);
    read_number(raw, "ports.outside_vlan", c.outside.vlan, 0, kMaxVlan);
    // rte_eth_{rx,tx}_queue_setup take a uint16_t descriptor count.
    read_number(raw, "ports.rx_desc", c.rx_desc, 1, UINT16_MAX);
    read_number(raw, "ports.tx_desc", c.tx_desc, 1, UINT16_MAX);
    read_number(raw, "ports.mbufs", c.mbufs, 1, UINT32_MAX);
    read_number(raw, "ports.workers", c.workers, 1, kMaxWorkers);
    if (const std::string* s = scalar(raw, "ports.idle_sleep")) {
        if (*s == "auto")
            c.idle_sleep_us = Config::kIdleSleepAuto;
        else if (*s == "off")
            c.idle_sleep_us = 0;
        else
            c.idle_sleep_us = static_cast<int32_t>(
                to_number("ports.idle_sleep", *s, 1, 100'000, "expected auto, off or 1..100000 microseconds"));
    }

    if (c.inside.device.empty())
        fail("ports.inside", c.inside.device, "required: the DPDK device of the IPv6 side, e.g. net_tap0");
    if (c.mode == ArmMode::two_arm) {
        if (c.outside.device.empty())
            fail("ports.outside", c.outside.device,
                 "required in two-arm mode: the DPDK device of the IPv4 side (or set ports.mode = one-arm)");
        if (c.outside.device == c.inside.device)
            fail("ports.outside", c.outside.device, "is the same device as ports.inside; two-arm needs two ports");
    } else if (!c.outside.device.empty()) {
        fail("ports.outside", c.outside.device, "must be empty in one-arm mode (both families use ports.inside)");
    }
    check_workers(c);
}

// The lcore ids an EAL argument list gives ("-l 0-2", "-l0,2", "-c 0x7",
// "--lcores=0@0,(1-2)@1"), or nullopt when it gives none (EAL then takes
// every CPU) or one we cannot read (EAL will say).
struct LcoreCount {
    uint32_t lcores = 0;
    uint32_t highest_cpu = 0;   // of the CPUs they run on
};

std::optional<std::vector<uint32_t>> id_list(std::string_view text)   // "0-2,5"
{
    std::vector<uint32_t> ids;
    size_t i = 0;
    while (i < text.size()) {
        size_t j = text.find(',', i);
        if (j == std::string_view::npos)
            j = text.size();
        const std::string_view item = text.substr(i, j - i);
        const size_t dash = item.find('-');
        uint64_t a = 0, b = 0;
        if (!parse_u64(item.substr(0, dash), a) || (dash != std::string_view::npos && !parse_u64(item.substr(dash + 1), b)))
            return std::nullopt;
        if (dash == std::string_view::npos)
            b = a;
        if (b < a || b > 4095)
            return std::nullopt;
        for (uint64_t k = a; k <= b; ++k)
            ids.push_back(static_cast<uint32_t>(k));
        i = j + 1;
    }
    return ids;
}

std::optional<LcoreCount> eal_lcores(const std::vector<std::string>& args)
{
    for (size_t i = 0; i < args.size(); ++i) {
        std::string_view a = args[i];
        std::string_view value;
        char kind = 0;
        if (a == "-l" || a == "-c" || a == "--lcores") {
            if (i + 1 >= args.size())
                return std::nullopt;
            kind = a == "-l" ? 'l' : a == "-c" ? 'c' : 'L';
            value = args[i + 1];
        } else if (a.substr(0, 2) == "-l" && a.size() > 2) {
            kind = 'l';
            value = a.substr(2);
        } else if (a.substr(0, 9) == "--lcores=") {
            kind = 'L';
            value = a.substr(9);
        } else {
            continue;
        }
        LcoreCount n;
        if (kind == 'c') {
            uint64_t mask = 0;
            const std::string_view hex = value.substr(0, 2) == "0x" ? value.substr(2) : value;
            const auto [p, ec] = std::from_chars(hex.data(), hex.data() + hex.size(), mask, 16);
            if (ec != std::errc() || p != hex.data() + hex.size())
                return std::nullopt;
            for (uint32_t b = 0; b < 64; ++b)
                if ((mask >> b) & 1) {
                    ++n.lcores;
                    n.highest_cpu = b;
                }
            return n;
        }
        if (kind == 'l') {
            const auto ids = id_list(value);
            if (!ids)
                return std::nullopt;
            n.lcores = static_cast<uint32_t>(ids->size());
            n.highest_cpu = ids->empty() ? 0 : *std::max_element(ids->begin(), ids->end());
            return n;
        }
        // --lcores: lcore sets, each "IDS" or "(IDS)", optionally "@CPU" or "@(CPUS)";
        // without "@" an lcore runs on the CPU of its own number.
        size_t k = 0;
        while (k < value.size()) {
            std::string_view ids_text, cpus_text;
            if (value[k] == '(') {
                const size_t close = value.find(')', k);
                if (close == std::string_view::npos)
                    return std::nullopt;
                ids_text = value.substr(k + 1, close - k - 1);
                k = close + 1;
            } else {
                size_t end = value.find_first_of(",@", k);
                if (end == std::string_view::npos)
                    end = value.size();
                ids_text = value.substr(k, end - k);
                k = end;
            }
            if (k < value.size() && value[k] == '@') {
                ++k;
                if (k < value.size() && value[k] == '(') {
                    const size_t close = value.find(')', k);
                    if (close == std::string_view::npos)
                        return std::nullopt;
                    cpus_text = value.substr(k + 1, close - k - 1);
                    k = close + 1;
                } else {
                    size_t end = value.find(',', k);
                    if (end == std::string_view::npos)
                        end = value.size();
                    cpus_text = value.substr(k, end - k);
                    k = end;
                }
            }
            const auto ids = id_list(ids_text);
            const auto cpus = id_list(cpus_text.empty() ? ids_text : cpus_text);
            if (!ids || !cpus || ids->empty())
                return std::nullopt;
            n.lcores += static_cast<uint32_t>(ids->size());
            n.highest_cpu = std::max(n.highest_cpu, *std::max_element(cpus->begin(), cpus->end()));
            if (k < value.size() && value[k] == ',')
                ++k;
        }
        return n;
    }
    return std::nullopt;
}

// Every rx_pcap a net_pcap vdev named `device` is given: its RX queues.
std::optional<uint32_t> pcap_rx_queues(const std::vector<std::string>& args, const std::string& device)
{
    for (size_t i = 0; i + 1 < args.size(); ++i) {
        if (args[i] != "--vdev")
            continue;
        const std::string& v = args[i + 1];
        if (v.compare(0, device.size(), device) != 0 || (v.size() > device.size() && v[device.size()] != ','))
            continue;
        if (device.compare(0, 8, "net_pcap") != 0)
            return std::nullopt;
        uint32_t n = 0;
        for (size_t p = v.find("rx_pcap="); p != std::string::npos; p = v.find("rx_pcap=", p + 1))
            ++n;
        for (size_t p = v.find("rx_iface="); p != std::string::npos; p = v.find("rx_iface=", p + 1))
            ++n;
        return n;
    }
    return std::nullopt;
}

// What start-up would refuse about ports.workers, said before anything starts.
void check_workers(const Config& c)
{
    const std::string n = std::to_string(c.workers);
    if (const auto lc = eal_lcores(c.eal_args)) {
        if (lc->lcores < c.workers + 1)
            fail("ports.workers", n,
                 fmt::format("needs {} lcores (the main one for control and one per worker), [eal] args give {}: "
                             "e.g. \"--lcores=0-{}\", or on fewer CPUs \"--lcores=0@0,(1-{})@1\"",
                             c.workers + 1, lc->lcores, c.workers, c.workers));
        const long cpus = sysconf(_SC_NPROCESSORS_CONF);
        if (cpus > 0 && lc->highest_cpu >= static_cast<uint64_t>(cpus))
            fail("eal.args", fmt::format("CPU {}", lc->highest_cpu),
                 fmt::format("this machine has CPUs 0..{}; map lcores onto them with --lcores=LCORE@CPU", cpus - 1));
    }
    for (const PortConfig* p : {&c.inside, &c.outside}) {
        if (p->device.empty())
            continue;
        if (const auto q = pcap_rx_queues(c.eal_args, p->device); q && *q != 0 && *q < c.workers)
            fail("ports.workers", n,
                 fmt::format("{} has {} RX queue(s): give it one rx_pcap per worker, or set ports.workers = {}",
                             p->device, *q, *q));
    }
}

void read_nat64(const RawConfig& raw, Config& c)
{
    if (const std::string* s = scalar(raw, "nat64.prefix")) {
        constexpr std::string_view kKey = "nat64.prefix";
        std::optional<unsigned> len;
        const In6 a = parse_net6(kKey, *s, len);
        if (!len)
            fail(kKey, *s, "missing the prefix length, e.g. 64:ff9b::/96");
        if (!xlate::is_valid_prefix_len(*len))
            fail(kKey, *s, "prefix length must be 32, 40, 48, 56, 64 or 96 (RFC 6052 s2.2)");
        if (!host_bits_zero6(a, *len))
            fail(kKey, *s, fmt::format("host bits are set; the prefix is {}/{}", format_ip6(xlate::mask_prefix(a, *len)), *len));
        if (a[kUOctet] != 0)
            fail(kKey, *s, "bits 64..71 (the \"u\" octet) must be zero (RFC 6052 s2.2)");
        if (!why_not_unicast6(a).empty() || is_link_local6(a))
            fail(kKey, *s, "must be a global unicast prefix");
        c.prefix = xlate::Prefix6{a, static_cast<uint8_t>(*len)};
    }
    read_bool(raw, "nat64.allow_non_global", c.allow_non_global);
    read_number(raw, "nat64.lowest_ipv6_mtu", c.lowest_ipv6_mtu, kIp6MinMtu, kMaxMtu,
                "must be at least 1280 (RFC 8200 s5: the IPv6 minimum link MTU)");
    if (c.lowest_ipv6_mtu > c.inside.mtu_bytes)
        fail("nat64.lowest_ipv6_mtu", std::to_string(c.lowest_ipv6_mtu),
             fmt::format("larger than ports.inside_mtu = {}: fragments that size would not fit the inside link",
                         c.inside.mtu_bytes));
    if (const std::string* s = scalar(raw, "nat64.filtering")) {
        if (*s == "endpoint-independent")
            c.filtering = Filtering::endpoint_independent;
        else if (*s == "address-dependent")
            c.filtering = Filtering::address_dependent;
        else
            fail("nat64.filtering", *s, "expected endpoint-independent or address-dependent");
    }
    read_bool(raw, "nat64.hairpinning", c.hairpinning);
    for (const std::string& text : list(raw, "nat64.clients")) {
        std::optional<unsigned> len;
        const In6 a = parse_net6("nat64.clients", text, len);
        if (!len)
            fail("nat64.clients", text, "missing the prefix length, e.g. 2001:db8:100::/40");
        if (!host_bits_zero6(a, *len))
            fail("nat64.clients", text,
                 fmt::format("host bits are set; the prefix is {}/{}", format_ip6(xlate::mask_prefix(a, *len)), *len));
        c.clients.push_back(xlate::Prefix6{a, static_cast<uint8_t>(*len)});
    }
    read_number(raw, "nat64.subscriber_prefix_len", c.subscriber_prefix_len, 32, 128);
}

/// An IPv6 address of the inside network must not be in the NAT64 prefix: those
/// addresses stand for IPv4 hosts on the outside.
void check_not_in_nat64_prefix(std::string_view key, const std::string& text, const In6& a, const Config& c)
{
    if (in_prefix6(a, c.prefix.addr, c.prefix.len))
        fail(key, text,
             fmt::format("lies inside nat64.prefix {}, whose addresses stand for IPv4 hosts",
                         format_prefix6(c.prefix)));
}

void read_addresses(const RawConfig& raw, Config& c)
{
    {
        constexpr std::string_view kKey = "addresses.inside_ipv6";
        const std::string* s = scalar(raw, kKey);
        if (s == nullptr || s->empty())
            fail(kKey, "", "required: the box's IPv6 address on the inside link, e.g. 2001:db8:1::1/64");
        std::optional<unsigned> len;
        c.inside_ip6 = parse_net6(kKey, *s, len);
        c.inside_ip6_prefix_len = static_cast<uint8_t>(len.value_or(c.inside_ip6_prefix_len));
        if (c.inside_ip6_prefix_len == 0)
            fail(kKey, *s, "prefix length must be 1..128");
        if (const std::string_view why = why_not_unicast6(c.inside_ip6); !why.empty())
            fail(kKey, *s, why);
        check_not_in_nat64_prefix(kKey, *s, c.inside_ip6, c);
    }
    if (const std::string* s = scalar(raw, "addresses.gateway6"); s != nullptr && !s->empty()) {
        constexpr std::string_view kKey = "addresses.gateway6";
        c.gateway6 = parse_addr6(kKey, *s);
        c.has_gateway6 = true;
        if (const std::string_view why = why_not_unicast6(c.gateway6); !why.empty())
            fail(kKey, *s, why);
        if (c.gateway6 == c.inside_ip6)
            fail(kKey, *s, "is the box's own address (addresses.inside_ipv6)");
        if (!is_link_local6(c.gateway6) && !in_prefix6(c.gateway6, c.inside_ip6, c.inside_ip6_prefix_len))
            fail(kKey, *s, "is not on-link: it must be link-local (fe80::/10) or inside addresses.inside_ipv6's prefix");
        check_not_in_nat64_prefix(kKey, *s, c.gateway6, c);
    }
    {
        constexpr std::string_view kKey = "addresses.outside_ipv4";
        const std::string* s = scalar(raw, kKey);
        if (s == nullptr || s->empty())
            fail(kKey, "", "required: the box's IPv4 address on the outside link, e.g. 192.0.2.1/24");
        std::optional<unsigned> len;
        c.outside_ip4 = parse_net4(kKey, *s, len);
        c.outside_ip4_prefix_len = static_cast<uint8_t>(len.value_or(c.outside_ip4_prefix_len));
        if (c.outside_ip4_prefix_len == 0)
            fail(kKey, *s, "prefix length must be 1..32");
        if (const std::string_view why = why_not_unicast4(c.outside_ip4); !why.empty())
            fail(kKey, *s, why);
        if (c.outside_ip4_prefix_len <= 30) {
            const Ip4 host = c.outside_ip4 & ~mask4(c.outside_ip4_prefix_len);
            if (host == 0 || host == ~mask4(c.outside_ip4_prefix_len))
                fail(kKey, *s, "is the network or broadcast address of its subnet");
        }
    }
    if (const std::string* s = scalar(raw, "addresses.gateway4"); s != nullptr && !s->empty()) {
        constexpr std::string_view kKey = "addresses.gateway4";
        c.gateway4 = parse_addr4(kKey, *s);
        c.has_gateway4 = true;
        if (const std::string_view why = why_not_unicast4(c.gateway4); !why.empty())
            fail(kKey, *s, why);
        if (c.gateway4 == c.outside_ip4)
            fail(kKey, *s, "is the box's own address (addresses.outside_ipv4)");
        if (!in_net4(c.gateway4, c.outside_ip4, c.outside_ip4_prefix_len))
            fail(kKey, *s,
                 fmt::format("is not on-link: it must be inside {}",
                             format_net4(c.outside_ip4 & mask4(c.outside_ip4_prefix_len), c.outside_ip4_prefix_len)));
    }
    constexpr std::string_view kNeighbours = "addresses.neighbours";
    for (const std::string& entry : list(raw, kNeighbours)) {
        const std::vector<std::string_view> f = split_fields(entry);
        if (f.size() != 2)
            fail(kNeighbours, entry, "expected \"IP MAC\", e.g. \"192.0.2.254 02:00:00:00:00:01\"");
        StaticNeighbour n;
        n.text = entry;
        n.is_ip6 = f[0].find(':') != std::string_view::npos;
        if (n.is_ip6) {
            if (!parse_ip6(f[0], n.ip6))
                fail(kNeighbours, entry, fmt::format("{} is not an IPv6 address", f[0]));
            if (!why_not_unicast6(n.ip6).empty() || n.ip6 == c.inside_ip6)
                fail(kNeighbours, entry, fmt::format("{} is not a unicast address of another host", f[0]));
            if (!is_link_local6(n.ip6) && !in_prefix6(n.ip6, c.inside_ip6, c.inside_ip6_prefix_len))
                fail(kNeighbours, entry,
                     fmt::format("{} is not on-link: it must be link-local or inside addresses.inside_ipv6's prefix", f[0]));
        } else {
            if (!parse_ip4(f[0], n.ip4))
                fail(kNeighbours, entry, fmt::format("{} is not an IPv4 address", f[0]));
            if (!why_not_unicast4(n.ip4).empty() || n.ip4 == c.outside_ip4)
                fail(kNeighbours, entry, fmt::format("{} is not a unicast address of another host", f[0]));
            if (!in_net4(n.ip4, c.outside_ip4, c.outside_ip4_prefix_len))
                fail(kNeighbours, entry,
                     fmt::format("{} is not on-link: it must be inside addresses.outside_ipv4's subnet", f[0]));
        }
        if (!parse_mac(f[1], n.mac))
            fail(kNeighbours, entry, fmt::format("{} is not a MAC address (expected xx:xx:xx:xx:xx:xx)", f[1]));
        if ((n.mac.bytes[0] & 1u) != 0 || n.mac.bytes == MacAddr{}.bytes)
            fail(kNeighbours, entry, fmt::format("{} is not a unicast MAC address", f[1]));
        for (const StaticNeighbour& other : c.neighbours)
            if (other.is_ip6 == n.is_ip6 && other.ip4 == n.ip4 && other.ip6 == n.ip6)
                fail(kNeighbours, entry, fmt::format("{} already has a static neighbour entry (\"{}\")", f[0], other.text));
        c.neighbours.push_back(std::move(n));
    }
}

PortRange read_range(const RawConfig& raw, std::string_view key, PortRange range)
{
    const std::string* s = scalar(raw, key);
    if (s == nullptr)
        return range;
    const std::size_t dash = s->find('-');
    uint64_t first = 0;
    uint64_t last = 0;
    const bool ok = dash == std::string::npos
        ? parse_u64(*s, first) && ((last = first), true)
        : parse_u64(std::string_view(*s).substr(0, dash), first) && parse_u64(std::string_view(*s).substr(dash + 1), last);
    if (!ok)
        fail(key, *s, "expected FIRST-LAST, e.g. 1024-65535");
    if (first == 0 || last == 0 || first > UINT16_MAX || last > UINT16_MAX)
        fail(key, *s, "ports and identifiers must be 1..65535");
    if (first > last)
        fail(key, *s, "first is greater than last");
    return PortRange{static_cast<uint16_t>(first), static_cast<uint16_t>(last)};
}

// After the pool and its ranges, and nat64.subscriber_prefix_len.
void read_deterministic(const RawConfig& raw, Config& c)
{
    const std::string* order = scalar(raw, "pool.deterministic");
    const std::string* prefix = scalar(raw, "pool.deterministic_prefix");
    if (order == nullptr || order->empty()) {
        if (prefix != nullptr && !prefix->empty())
            fail("pool.deterministic_prefix", *prefix, "pool.deterministic is not set (sequential or staggered)");
        return;
    }
    if (*order == "sequential")
        c.deterministic = nat::DeterministicOrder::sequential;
    else if (*order == "staggered")
        c.deterministic = nat::DeterministicOrder::staggered;
    else
        return fail("pool.deterministic", *order, "expected sequential or staggered (RFC 7422 s2), or empty for off");
    if (prefix == nullptr || prefix->empty())
        return fail("pool.deterministic_prefix", "", "required with pool.deterministic: the subscribers' IPv6 prefix");
    std::optional<unsigned> len;
    const In6 a = parse_net6("pool.deterministic_prefix", *prefix, len);
    if (!len)
        return fail("pool.deterministic_prefix", *prefix, "missing the prefix length, e.g. 2001:db8:100::/40");
    for (unsigned bit = *len; bit < 128; ++bit)
        if (((a[bit / 8] >> (7 - bit % 8)) & 1u) != 0)
            return fail("pool.deterministic_prefix", *prefix, "bits are set past the prefix length");
    c.deterministic_prefix = xlate::Prefix6{a, static_cast<uint8_t>(*len)};
    const nat::PortAllocConfig pc = port_alloc_config(c);
    if (const char* why = nat::DeterministicMap::validate(nat::deterministic_of(pc)); why != nullptr)
        fail("pool.deterministic_prefix", *prefix,
             fmt::format("{} (nat64.subscriber_prefix_len = {}, {} pool address(es))", why, c.subscriber_prefix_len,
                         c.pool.size()));
}

void read_pool(const RawConfig& raw, Config& c)
{
    constexpr std::string_view kKey = "pool.addresses";
    const std::vector<std::string> entries = list(raw, kKey);
    if (entries.empty())
        fail(kKey, "", "the pool is empty: give at least one public IPv4 address");
    std::vector<std::pair<Ip4, const std::string*>> seen;   // address, entry that added it
    for (const std::string& entry : entries) {
        std::optional<unsigned> len;
        const Ip4 net = parse_net4(kKey, entry, len);
        const unsigned l = len.value_or(32);
        if (l < kMinPoolBlockLen)
            fail(kKey, entry, fmt::format("blocks larger than /{} are refused; list them in smaller blocks", kMinPoolBlockLen));
        if ((net & ~mask4(l)) != 0)
            fail(kKey, entry, fmt::format("host bits are set; the block is {}", format_net4(net & mask4(l), l)));
        const uint64_t count = uint64_t{1} << (32 - l);
        for (uint64_t i = 0; i < count; ++i) {
            const Ip4 a = net + static_cast<Ip4>(i);
            const std::string where = l == 32 ? std::string() : fmt::format("{} ", format_ip4(a));
            if (const std::string_view why = why_not_unicast4(a); !why.empty())
                fail(kKey, entry, fmt::format("{}{}", where, why));
            if (c.has_gateway4 && a == c.gateway4)
                fail(kKey, entry, fmt::format("{}is the outside gateway (addresses.gateway4)", where));
            // The box answers ARP for its pool addresses, so no other host may own one.
            const auto owner = std::find_if(c.neighbours.begin(), c.neighbours.end(),
                                            [&](const StaticNeighbour& n) { return !n.is_ip6 && n.ip4 == a; });
            if (owner != c.neighbours.end())
                fail(kKey, entry, fmt::format("{}belongs to another host (addresses.neighbours \"{}\")", where, owner->text));
            if (c.outside_ip4_prefix_len <= 30 && in_net4(a, c.outside_ip4, c.outside_ip4_prefix_len)) {
                const Ip4 host = a & ~mask4(c.outside_ip4_prefix_len);
                if (host == 0 || host == ~mask4(c.outside_ip4_prefix_len))
                    fail(kKey, entry,
                         fmt::format("{}is the network or broadcast address of addresses.outside_ipv4's subnet", where));
            }
            const auto dup = std::find_if(seen.begin(), seen.end(), [&](const auto& s) { return s.first == a; });
            if (dup != seen.end())
                fail(kKey, entry, fmt::format("{}is already in the pool (\"{}\")", where, *dup->second));
            seen.emplace_back(a, &entry);
            if (seen.size() > kMaxPoolAddresses)
                fail(kKey, entry, fmt::format("the pool holds more than {} addresses", kMaxPoolAddresses));
            c.pool.push_back(a);
        }
    }
    c.tcp_ports = read_range(raw, "pool.tcp_ports", c.tcp_ports);
    c.udp_ports = read_range(raw, "pool.udp_ports", c.udp_ports);
    c.icmp_ids = read_range(raw, "pool.icmp_ids", c.icmp_ids);
    read_bool(raw, "pool.paired", c.paired_pooling);
    read_bool(raw, "pool.preserve_port_class", c.preserve_port_class);
    read_number(raw, "pool.seed", c.port_seed, 0, UINT64_MAX);
    read_deterministic(raw, c);
    read_number(raw, "pool.blocks_per_subscriber", c.blocks_per_subscriber, 1, 1024);
    read_number(raw, "pool.block_size", c.block_size, 0, 32768);
    if (c.block_size != 0) {
        const std::string value = std::to_string(c.block_size);
        if (c.deterministic != nat::DeterministicOrder::off)
            fail("pool.block_size", value, "port blocks and pool.deterministic exclude each other: deterministic "
                                           "blocks are fixed already");
        if (const char* why = nat::BlockPool::validate(nat::block_pool_of(port_alloc_config(c), c.block_size)))
            fail("pool.block_size", value, why);
    }
}

/// "ADDR#PORT", the transport address syntax of static.bib.
template <typename Addr, typename Parse>
Addr parse_transport(std::string_view key, const std::string& entry, std::string_view field, std::string_view family,
                     uint16_t& port, Parse parse)
{
    const std::size_t hash = field.rfind('#');
    if (hash == std::string_view::npos)
        fail(key, entry, fmt::format("{} lacks \"#PORT\"", field));
    Addr a{};
    if (!parse(field.substr(0, hash), a))
        fail(key, entry, fmt::format("{} is not an {} address", field.substr(0, hash), family));
    uint64_t p = 0;
    if (!parse_u64(field.substr(hash + 1), p) || p == 0 || p > UINT16_MAX)
        fail(key, entry, fmt::format("port {} must be 1..65535", field.substr(hash + 1)));
    port = static_cast<uint16_t>(p);
    return a;
}

std::string_view proto_name(uint8_t proto)
{
    return proto == kProtoTcp ? "tcp" : proto == kProtoUdp ? "udp" : "icmp";
}

} // namespace

std::string why_not_static_bib(const StaticBib& b, const Config& c)
{
    if (b.proto != kProtoTcp && b.proto != kProtoUdp && b.proto != kProtoIcmp6)
        return "the protocol must be tcp, udp or icmp";
    if (const std::string_view why = why_not_unicast6(b.addr6); !why.empty())
        return std::string(why);
    if (is_link_local6(b.addr6))
        return "a link-local address (fe80::/10) is no host the prefix can reach";
    if (in_prefix6(b.addr6, c.prefix.addr, c.prefix.len))
        return fmt::format("{} lies inside nat64.prefix {}; a static BIB maps an IPv6 host", format_ip6(b.addr6),
                           format_prefix6(c.prefix));
    if (b.addr6 == c.inside_ip6)
        return fmt::format("{} is the box's own address (addresses.inside_ipv6), not a host behind it",
                           format_ip6(b.addr6));
    if (b.port6 == 0 || b.port4 == 0)
        return b.proto == kProtoIcmp6 ? "ICMP identifier 0 is not mapped" : "port 0 is not a port";
    if (std::find(c.pool.begin(), c.pool.end(), b.addr4) == c.pool.end())
        return fmt::format("{} is not in pool.addresses", format_ip4(b.addr4));
    // The public port table covers the configured range only.
    const PortRange& r = b.proto == kProtoTcp ? c.tcp_ports : b.proto == kProtoUdp ? c.udp_ports : c.icmp_ids;
    const char* range_key = b.proto == kProtoTcp ? "pool.tcp_ports" : b.proto == kProtoUdp ? "pool.udp_ports"
                                                                                           : "pool.icmp_ids";
    if (b.port4 < r.first || b.port4 > r.last)
        return fmt::format("public port {} lies outside {} = {}-{}", b.port4, range_key, r.first, r.last);
    return {};
}

namespace {

StaticBib static_bib_from_text(std::string_view key, const std::string& entry, const Config& c)
{
    const std::vector<std::string_view> f = split_fields(entry);
    if (f.size() != 3)
        fail(key, entry, "expected \"PROTO ADDR6#PORT ADDR4#PORT\", e.g. \"tcp 2001:db8::5#80 192.0.2.1#8080\"");
    StaticBib b;
    b.text = entry;
    if (f[0] == "tcp")
        b.proto = kProtoTcp;
    else if (f[0] == "udp")
        b.proto = kProtoUdp;
    else if (f[0] == "icmp")
        b.proto = kProtoIcmp6;
    else
        fail(key, entry, fmt::format("protocol {} must be tcp, udp or icmp", f[0]));
    b.addr6 = parse_transport<In6>(key, entry, f[1], "IPv6", b.port6,
                                   [](std::string_view t, In6& a) { return parse_ip6(t, a); });
    b.addr4 = parse_transport<Ip4>(key, entry, f[2], "IPv4", b.port4,
                                   [](std::string_view t, Ip4& a) { return parse_ip4(t, a); });
    if (const std::string why = why_not_static_bib(b, c); !why.empty())
        fail(key, entry, why);
    return b;
}

void read_static_bib(const RawConfig& raw, Config& c)
{
    constexpr std::string_view kKey = "static.bib";
    for (const std::string& entry : list(raw, kKey)) {
        StaticBib b = static_bib_from_text(kKey, entry, c);
        for (const StaticBib& other : c.static_bib) {
            if (other.proto != b.proto)
                continue;
            if (other.addr6 == b.addr6 && other.port6 == b.port6)
                fail(kKey, entry,
                     fmt::format("{} {}#{} is already mapped by \"{}\"", proto_name(b.proto), format_ip6(b.addr6),
                                 b.port6, other.text));
            if (other.addr4 == b.addr4 && other.port4 == b.port4)
                fail(kKey, entry,
                     fmt::format("{} {}#{} is already used by \"{}\"", proto_name(b.proto), format_ip4(b.addr4),
                                 b.port4, other.text));
        }
        c.static_bib.push_back(std::move(b));
    }
}

void read_timeout(const RawConfig& raw, std::string_view key, uint32_t& out, uint32_t rfc_min, bool allow_short,
                  std::string_view rfc_why)
{
    const std::string* s = scalar(raw, key);
    if (s == nullptr)
        return;
    if (allow_short || rfc_min <= 1) {
        out = static_cast<uint32_t>(to_number(key, *s, 1, nat::kMaxTimeoutS, "must be at least 1 s"));
        return;
    }
    out = static_cast<uint32_t>(
        to_number(key, *s, rfc_min, nat::kMaxTimeoutS,
                  fmt::format("must be at least {} s ({}){}", rfc_min, rfc_why, kAllowShortHint)));
}

void read_timeouts(const RawConfig& raw, Config& c)
{
    Timeouts& t = c.timeouts;
    read_bool(raw, "timeouts.allow_short", t.allow_short);
    read_timeout(raw, "timeouts.udp", t.udp_s, kMinUdpTimeoutS, t.allow_short, "RFC 6146 s4: UDP_MIN is 2 min");
    read_timeout(raw, "timeouts.tcp_established", t.tcp_established_s, kMinTcpEstablishedTimeoutS, t.allow_short,
                 "RFC 6146 s4: TCP_EST is 2 h 4 min");
    read_timeout(raw, "timeouts.tcp_transitory", t.tcp_transitory_s, kMinTcpTransitoryTimeoutS, t.allow_short,
                 "RFC 6146 s4: TCP_TRANS is 4 min");
    read_timeout(raw, "timeouts.icmp", t.icmp_s, kMinIcmpTimeoutS, t.allow_short, "");
    read_timeout(raw, "timeouts.tcp_incoming_syn", t.tcp_incoming_syn_s, 1, t.allow_short, "");
    read_timeout(raw, "timeouts.fragment", t.fragment_s, 1, t.allow_short, "");
    read_timeout(raw, "timeouts.neighbour_reachable", t.neighbour_reachable_s, 1, t.allow_short, "");
    read_number(raw, "timeouts.port_quarantine", t.port_quarantine_s, 0, nat::kMaxTimeoutS);
}

void read_control(const RawConfig& raw, Config& c)
{
    read_string(raw, "control.socket", c.socket_path);
    if (c.socket_path.empty())
        fail("control.socket", c.socket_path, "required: nat64ctl talks to the daemon through it");
    if (c.socket_path.size() > kMaxSocketPathLen)
        fail("control.socket", c.socket_path,
             fmt::format("longer than {} bytes, the size of sockaddr_un's sun_path", kMaxSocketPathLen));
    read_string(raw, "control.pidfile", c.pidfile);
    read_number(raw, "control.exit_when_idle_ms", c.exit_when_idle_ms, 0, UINT32_MAX);
    read_string(raw, "control.bib_state", c.bib_state);
    read_string(raw, "control.log_file", c.log_file);
    if (!c.log_file.empty()) {
        // Checked now, not when the log opens after the flow table is built.
        const size_t slash = c.log_file.rfind('/');
        const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : c.log_file.substr(0, slash);
        struct stat st{};
        if (stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
            fail("control.log_file", c.log_file, fmt::format("directory {} does not exist", dir));
        if (access(dir.c_str(), W_OK) != 0 && access(c.log_file.c_str(), W_OK) != 0)
            fail("control.log_file", c.log_file, fmt::format("directory {} is not writable", dir));
    }
    read_bool(raw, "control.log_syslog", c.log_syslog);
    read_string(raw, "control.ipfix_collector", c.ipfix_collector);
    if (!c.ipfix_collector.empty()) {
        const std::string why = parse_collector(c.ipfix_collector, c.ipfix_collector_addr);
        if (!why.empty())
            fail("control.ipfix_collector", c.ipfix_collector, why);
    }
    read_number(raw, "control.ipfix_domain_id", c.ipfix_domain_id, 0, UINT32_MAX);
    read_number(raw, "control.ipfix_template_refresh_s", c.ipfix_template_refresh_s, 1, kMaxIpfixTemplateRefreshS);
    read_number(raw, "control.ipfix_mtu", c.ipfix_mtu, kMinIpfixMessageBytes, kMaxIpfixMessageBytes);
    read_string(raw, "control.socket_owner", c.socket_owner);
    read_string(raw, "control.socket_group", c.socket_group);
}

void read_iface(const RawConfig& raw, std::string_view key, std::string& out)
{
    read_string(raw, key, out);
    // IFNAMSIZ 16, and what `ip link` and the sysctl paths accept.
    if (out.size() > 15)
        fail(key, out, "longer than 15 characters, the kernel's limit for an interface name");
    for (const char ch : out)
        if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '-' && ch != '_')
            fail(key, out, "an interface name has letters, digits, '-' and '_' only");
}

void read_exception(const RawConfig& raw, Config& c)
{
    read_iface(raw, "exception.inside_iface", c.kernel_inside_iface);
    read_iface(raw, "exception.outside_iface", c.kernel_outside_iface);
    read_iface(raw, "exception.health_iface", c.health_iface);
    if (c.mode == ArmMode::one_arm && !c.kernel_outside_iface.empty())
        fail("exception.outside_iface", c.kernel_outside_iface,
             "one-arm: the inside interface carries the box's IPv4 address too; leave this empty");
    for (const std::string* n : {&c.kernel_outside_iface, &c.health_iface})
        if (!n->empty() && (*n == c.kernel_inside_iface || (n == &c.health_iface && *n == c.kernel_outside_iface)))
            fail(n == &c.health_iface ? "exception.health_iface" : "exception.outside_iface", *n,
                 "names another exception interface too");
    read_number(raw, "exception.punt_per_s", c.punt_per_s, 1, kMaxPuntPerS);
    for (const std::string& entry : list(raw, "exception.kernel_ports")) {
        const std::vector<std::string_view> f = split_fields(entry);
        Config::KernelPorts k;
        k.text = entry;
        if (f.size() != 2 || (f[0] != "tcp" && f[0] != "udp"))
            fail("exception.kernel_ports", entry, "expected \"tcp PORT\", \"udp PORT\" or \"tcp FIRST-LAST\"");
        k.proto = f[0] == "tcp" ? kProtoTcp : kProtoUdp;
        const size_t dash = f[1].find('-');
        uint64_t a = 0, b = 0;
        if (!parse_u64(f[1].substr(0, dash), a) || (dash != std::string_view::npos && !parse_u64(f[1].substr(dash + 1), b)))
            fail("exception.kernel_ports", entry, "ports are decimal numbers 1..65535");
        if (dash == std::string_view::npos)
            b = a;
        if (a == 0 || b > 65535 || a > b)
            fail("exception.kernel_ports", entry, "ports are 1..65535, first no greater than last");
        k.first = static_cast<uint16_t>(a);
        k.last = static_cast<uint16_t>(b);
        c.kernel_ports.push_back(std::move(k));
    }
}

} // namespace

std::string parse_collector(std::string_view text, UdpEndpoint& out)
{
    // "[ADDR6]:PORT" (RFC 3986 s3.2.2's brackets keep the port apart) or "ADDR4:PORT".
    UdpEndpoint e;
    std::string_view host, port;
    if (!text.empty() && text.front() == '[') {
        const std::size_t close = text.find(']');
        if (close == std::string_view::npos)
            return "no ']' after the IPv6 address: write [2001:db8::9]:4739";
        host = text.substr(1, close - 1);
        if (close + 1 >= text.size() || text[close + 1] != ':')
            return "no port: write [ADDR6]:PORT, e.g. [2001:db8::9]:4739";
        port = text.substr(close + 2);
        if (!parse_ip6(host, e.ip6))
            return fmt::format("{} is not an IPv6 address (names are not resolved)", host);
        e.is_ip6 = true;
        if (e.ip6 == In6{})
            return "the unspecified address :: names no collector";
        if (e.ip6[0] == 0xFF)
            return "a multicast address is not a collector (one collector, one UDP stream)";
    } else {
        const std::size_t colon = text.rfind(':');
        if (colon == std::string_view::npos)
            return "no port: write ADDR4:PORT or [ADDR6]:PORT, e.g. 192.0.2.9:4739";
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
        if (host.find(':') != std::string_view::npos)
            return "an IPv6 address goes in brackets: [ADDR6]:PORT, e.g. [2001:db8::9]:4739";
        if (!parse_ip4(host, e.ip4))
            return fmt::format("{} is not an IPv4 address (names are not resolved)", host);
        if (e.ip4 == 0)
            return "0.0.0.0 names no collector";
        if ((e.ip4 >> 28) == 0xE || e.ip4 == 0xFFFFFFFF)
            return "a multicast or broadcast address is not a collector (one collector, one UDP stream)";
    }
    uint64_t p = 0;
    if (!parse_u64(port, p) || p == 0 || p > 65535)
        return fmt::format("port {} is not a number 1..65535 (IPFIX's registered port is 4739)", port);
    e.port = static_cast<uint16_t>(p);
    out = e;
    return {};
}

bool parse_ip4(std::string_view text, Ip4& ip4)
{
    constexpr std::size_t kMaxText = INET_ADDRSTRLEN - 1;
    if (text.size() > kMaxText || text.find('\0') != std::string_view::npos)
        return false;
    const std::string z(text);
    in_addr a{};
    if (inet_pton(AF_INET, z.c_str(), &a) != 1)
        return false;
    ip4 = ntohl(a.s_addr);
    return true;
}

bool parse_ip6(std::string_view text, In6& ip6)
{
    constexpr std::size_t kMaxText = INET6_ADDRSTRLEN - 1;
    if (text.size() > kMaxText || text.find('\0') != std::string_view::npos)
        return false;
    const std::string z(text);
    in6_addr a{};
    if (inet_pton(AF_INET6, z.c_str(), &a) != 1)
        return false;
    std::memcpy(ip6.data(), &a, ip6.size());
    return true;
}

std::string format_ip4(Ip4 ip4)
{
    in_addr a{};
    a.s_addr = htonl(ip4);
    char buf[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &a, buf, sizeof buf);
    return buf;
}

std::string format_ip6(const In6& ip6)
{
    in6_addr a{};
    std::memcpy(&a, ip6.data(), ip6.size());
    char buf[INET6_ADDRSTRLEN];
    inet_ntop(AF_INET6, &a, buf, sizeof buf);
    return buf;
}

std::string format_prefix6(const xlate::Prefix6& prefix)
{
    return fmt::format("{}/{}", format_ip6(prefix.addr), prefix.len);
}

std::string format_mac(const MacAddr& mac)
{
    const auto& b = mac.bytes;
    return fmt::format("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", b[0], b[1], b[2], b[3], b[4], b[5]);
}

Config default_config()
{
    Config c;
    c.prefix = xlate::well_known_prefix();
    return c;
}

Config validate(const RawConfig& raw)
{
    Config c = default_config();
    c.eal_args = list(raw, "eal.args");
    for (const std::string& arg : c.eal_args)
        check_writable("eal.args", arg);
    read_ports(raw, c);
    read_nat64(raw, c);           // before addresses: they must stay out of the prefix
    read_addresses(raw, c);
    read_pool(raw, c);            // after addresses: the pool avoids the gateway
    read_static_bib(raw, c);      // after the pool: entries must use pool addresses
    read_number(raw, "limits.max_flows", c.max_flows, 1, kMaxFlows);
    read_number(raw, "limits.fragment_cache", c.fragment_cache, 1, kMaxFragmentCache);
    read_number(raw, "limits.icmp_errors_per_s", c.icmp_errors_per_s, 0, kMaxIcmpErrorsPerS);
    read_number(raw, "limits.icmp_errors_per_subscriber_per_s", c.icmp_errors_per_subscriber_per_s, 1,
                kMaxIcmpErrorsPerS);
    read_number(raw, "limits.fragments_per_subscriber", c.fragments_per_subscriber, 0, c.fragment_cache);
    read_number(raw, "limits.subscriber_sessions", c.subscriber_sessions, 0, c.max_flows);
    read_number(raw, "limits.subscriber_tcp_ports", c.subscriber_tcp_ports, 0, 65535);
    read_number(raw, "limits.subscriber_udp_ports", c.subscriber_udp_ports, 0, 65535);
    read_number(raw, "limits.subscriber_icmp_ids", c.subscriber_icmp_ids, 0, 65535);
    read_number(raw, "limits.subscriber_new_sessions_per_s", c.subscriber_new_sessions_per_s, 0, kMaxFlows);
    read_bool(raw, "limits.subscriber_limit_icmp", c.subscriber_limit_icmp);
    read_number(raw, "limits.subscribers", c.subscribers, 0, c.max_flows);
    read_timeouts(raw, c);
    read_control(raw, c);
    read_exception(raw, c);
    return c;
}

StaticBib parse_static_bib(std::string_view key, const std::string& entry, const Config& c)
{
    return static_bib_from_text(key, entry, c);
}

} // namespace nat64d::ctl
