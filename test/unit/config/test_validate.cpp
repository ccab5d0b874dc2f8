// One test per validation rule in control/config/validate.cpp: each asserts the
// whole message, so the key, the value as written and the reason are all checked.
#include <catch2/catch.hpp>

#include "config_test_util.hpp"
#include "control/config/validate.hpp"

using namespace nat64d;
using namespace nat64d::ctl;
using nat64d::ctl::test::error_of;
using nat64d::ctl::test::error_with;
using nat64d::ctl::test::kMinimalConf;

TEST_CASE("validate: the minimal file is valid and takes the defaults", "[config][validate]")
{
    const Config c = parse_config_text(kMinimalConf);
    CHECK(c.mode == ArmMode::two_arm);
    CHECK(c.inside.device == "net_tap0");
    CHECK(c.outside.device == "net_tap1");
    CHECK(xlate::is_well_known_prefix(c.prefix));
    CHECK(c.pool == std::vector<Ip4>{0xC0000208, 0xC0000209, 0xC000020A, 0xC000020B});
    CHECK(c.timeouts.udp_s == 300);
    CHECK(c.timeouts.tcp_established_s == 7440);
    CHECK_FALSE(c.timeouts.allow_short);
    CHECK(c.max_flows == (1u << 20));
}

// ---- [nat64] prefix (RFC 6052 s2.2) -------------------------------------------

TEST_CASE("validate: nat64.prefix length other than 32/40/48/56/64/96 is rejected", "[config][validate][rfc6052]")
{
    CHECK(error_with({"--nat64.prefix=64:ff9b::/33"}) ==
          "config: nat64.prefix = 64:ff9b::/33: prefix length must be 32, 40, 48, 56, 64 or 96 (RFC 6052 s2.2)");
    CHECK(error_with({"--nat64.prefix=64:ff9b::/129"}) == "config: nat64.prefix = 64:ff9b::/129: prefix length must be 0..128");
}

TEST_CASE("validate: every RFC 6052 prefix length is accepted", "[config][validate][rfc6052]")
{
    const auto [text, len] = GENERATE(table<std::string, unsigned>({
        {"3fff:64::/32", 32}, {"3fff:64:100::/40", 40}, {"3fff:64:122::/48", 48},
        {"3fff:64:122:300::/56", 56}, {"3fff:64:122:344::/64", 64}, {"3fff:64:122:344::/96", 96}}));
    const Config c = parse_config_text(kMinimalConf, {"--nat64.prefix=" + text});
    CHECK(c.prefix.len == len);
    CHECK(format_prefix6(c.prefix) == text);
}

TEST_CASE("validate: unparseable nat64.prefix is rejected", "[config][validate][rfc6052]")
{
    CHECK(error_with({"--nat64.prefix=64:ff9g::/96"}) == "config: nat64.prefix = 64:ff9g::/96: not an IPv6 address");
    CHECK(error_with({"--nat64.prefix=192.0.2.0/96"}) == "config: nat64.prefix = 192.0.2.0/96: not an IPv6 address");
    CHECK(error_with({"--nat64.prefix=64:ff9b::/x"}) == "config: nat64.prefix = 64:ff9b::/x: prefix length must be 0..128");
}

TEST_CASE("validate: nat64.prefix without a length is rejected", "[config][validate][rfc6052]")
{
    CHECK(error_with({"--nat64.prefix=64:ff9b::"}) ==
          "config: nat64.prefix = 64:ff9b::: missing the prefix length, e.g. 64:ff9b::/96");
}

TEST_CASE("validate: nat64.prefix with host bits set is rejected", "[config][validate][rfc6052]")
{
    CHECK(error_with({"--nat64.prefix=2001:db8::1/64"}) ==
          "config: nat64.prefix = 2001:db8::1/64: host bits are set; the prefix is 2001:db8::/64");
}

TEST_CASE("validate: nat64.prefix with bits 64..71 set is rejected", "[config][validate][rfc6052]")
{
    CHECK(error_with({"--nat64.prefix=2001:db8:0:0:ff00::/96"}) ==
          "config: nat64.prefix = 2001:db8:0:0:ff00::/96: bits 64..71 (the \"u\" octet) must be zero (RFC 6052 s2.2)");
}

TEST_CASE("validate: a multicast nat64.prefix is rejected", "[config][validate][rfc6052]")
{
    CHECK(error_with({"--nat64.prefix=ff0e::/96"}) == "config: nat64.prefix = ff0e::/96: must be a global unicast prefix");
}

// ---- [addresses] ----------------------------------------------------------------

TEST_CASE("validate: addresses.inside_ipv6 inside the NAT64 prefix is rejected", "[config][validate]")
{
    CHECK(error_with({"--addresses.inside_ipv6=64:ff9b::1/64"}) ==
          "config: addresses.inside_ipv6 = 64:ff9b::1/64: lies inside nat64.prefix 64:ff9b::/96, whose "
          "addresses stand for IPv4 hosts");
    CHECK(error_with({"--nat64.prefix=2001:db8:1::/96"}) ==
          "config: addresses.inside_ipv6 = 2001:db8:1::1/64: lies inside nat64.prefix 2001:db8:1::/96, whose "
          "addresses stand for IPv4 hosts");
}

TEST_CASE("validate: unparseable addresses are rejected", "[config][validate]")
{
    CHECK(error_with({"--addresses.inside_ipv6=2001:db8::zz/64"}) ==
          "config: addresses.inside_ipv6 = 2001:db8::zz/64: not an IPv6 address");
    CHECK(error_with({"--addresses.outside_ipv4=192.0.2.300/24"}) ==
          "config: addresses.outside_ipv4 = 192.0.2.300/24: not an IPv4 address");
    CHECK(error_with({"--addresses.outside_ipv4=192.0.2.1/33"}) ==
          "config: addresses.outside_ipv4 = 192.0.2.1/33: prefix length must be 0..32");
    CHECK(error_with({"--addresses.gateway4=192.0.2.254/24"}) ==
          "config: addresses.gateway4 = 192.0.2.254/24: expected an address without a prefix length");
    CHECK(error_with({"--addresses.gateway6=fe80::1%eth0"}) ==
          "config: addresses.gateway6 = fe80::1%eth0: not an IPv6 address");
}

TEST_CASE("validate: the box's addresses are required", "[config][validate]")
{
    CHECK(error_of("[ports]\ninside = tap0\noutside = tap1\n") ==
          "config: addresses.inside_ipv6 = \"\": required: the box's IPv6 address on the inside link, e.g. "
          "2001:db8:1::1/64");
    CHECK(error_of("[ports]\ninside = tap0\noutside = tap1\n[addresses]\ninside_ipv6 = \"2001:db8:1::1/64\"\n") ==
          "config: addresses.outside_ipv4 = \"\": required: the box's IPv4 address on the outside link, e.g. "
          "192.0.2.1/24");
}

TEST_CASE("validate: the box's addresses must be unicast", "[config][validate]")
{
    CHECK(error_with({"--addresses.inside_ipv6=ff02::1/64"}) ==
          "config: addresses.inside_ipv6 = ff02::1/64: multicast (ff00::/8) is not a unicast address");
    CHECK(error_with({"--addresses.outside_ipv4=127.0.0.1/8"}) ==
          "config: addresses.outside_ipv4 = 127.0.0.1/8: 127.0.0.0/8 is loopback");
    CHECK(error_with({"--addresses.outside_ipv4=192.0.2.0/24"}) ==
          "config: addresses.outside_ipv4 = 192.0.2.0/24: is the network or broadcast address of its subnet");
}

TEST_CASE("validate: gateways must be on-link and not the box itself", "[config][validate]")
{
    CHECK(error_with({"--addresses.gateway4=198.51.100.1"}) ==
          "config: addresses.gateway4 = 198.51.100.1: is not on-link: it must be inside 192.0.2.0/24");
    CHECK(error_with({"--addresses.gateway4=192.0.2.1"}) ==
          "config: addresses.gateway4 = 192.0.2.1: is the box's own address (addresses.outside_ipv4)");
    CHECK(error_with({"--addresses.gateway6=2001:db8:2::1"}) ==
          "config: addresses.gateway6 = 2001:db8:2::1: is not on-link: it must be link-local (fe80::/10) or inside "
          "addresses.inside_ipv6's prefix");
    const Config c = parse_config_text(kMinimalConf, {"--addresses.gateway6=fe80::1", "--addresses.gateway4=192.0.2.254"});
    CHECK(c.has_gateway6);
    CHECK(c.has_gateway4);
    CHECK(c.gateway4 == 0xC00002FE);
}

TEST_CASE("validate: a neighbour with a bad MAC is rejected", "[config][validate]")
{
    CHECK(error_with({"--addresses.neighbours", "192.0.2.254 02:00:00:00:00:0g"}) ==
          "config: addresses.neighbours = 192.0.2.254 02:00:00:00:00:0g: 02:00:00:00:00:0g is not a MAC address "
          "(expected xx:xx:xx:xx:xx:xx)");
    CHECK(error_with({"--addresses.neighbours", "192.0.2.254 02:00:00:00:01"}) ==
          "config: addresses.neighbours = 192.0.2.254 02:00:00:00:01: 02:00:00:00:01 is not a MAC address "
          "(expected xx:xx:xx:xx:xx:xx)");
    CHECK(error_with({"--addresses.neighbours", "192.0.2.254 01:00:5e:00:00:01"}) ==
          "config: addresses.neighbours = 192.0.2.254 01:00:5e:00:00:01: 01:00:5e:00:00:01 is not a unicast MAC address");
}

TEST_CASE("validate: malformed, off-link and duplicate neighbours are rejected", "[config][validate]")
{
    CHECK(error_with({"--addresses.neighbours", "192.0.2.254"}) ==
          "config: addresses.neighbours = 192.0.2.254: expected \"IP MAC\", e.g. \"192.0.2.254 02:00:00:00:00:01\"");
    CHECK(error_with({"--addresses.neighbours", "192.0.2.256 02:00:00:00:00:01"}) ==
          "config: addresses.neighbours = 192.0.2.256 02:00:00:00:00:01: 192.0.2.256 is not an IPv4 address");
    CHECK(error_with({"--addresses.neighbours", "198.51.100.1 02:00:00:00:00:01"}) ==
          "config: addresses.neighbours = 198.51.100.1 02:00:00:00:00:01: 198.51.100.1 is not on-link: it must be "
          "inside addresses.outside_ipv4's subnet");
    CHECK(error_with({"--addresses.neighbours", "2001:db8:1::2 02:00:00:00:00:01", "2001:db8:1:0::2 02:00:00:00:00:02"}) ==
          "config: addresses.neighbours = 2001:db8:1:0::2 02:00:00:00:00:02: 2001:db8:1:0::2 already has a static "
          "neighbour entry (\"2001:db8:1::2 02:00:00:00:00:01\")");
}

TEST_CASE("validate: neighbours of both families are parsed", "[config][validate]")
{
    const Config c = parse_config_text(
        kMinimalConf, {"--addresses.neighbours", "192.0.2.254 02:00:00:00:00:01", "fe80::2 02:00:00:00:00:0A"});
    REQUIRE(c.neighbours.size() == 2);
    CHECK_FALSE(c.neighbours[0].is_ip6);
    CHECK(c.neighbours[0].ip4 == 0xC00002FE);
    CHECK(c.neighbours[0].mac.bytes == std::array<uint8_t, 6>{2, 0, 0, 0, 0, 1});
    CHECK(c.neighbours[1].is_ip6);
    CHECK(format_ip6(c.neighbours[1].ip6) == "fe80::2");
    CHECK(c.neighbours[1].mac.bytes[5] == 0x0A);
    CHECK(c.neighbours[1].text == "fe80::2 02:00:00:00:00:0A");
}

// ---- [ports] ------------------------------------------------------------------------

TEST_CASE("validate: the inside port device is required", "[config][validate]")
{
    CHECK(error_of("[ports]\noutside = tap1\n[addresses]\ninside_ipv6 = \"2001:db8:1::1/64\"\n") ==
          "config: ports.inside = \"\": required: the DPDK device of the IPv6 side, e.g. net_tap0");
}

TEST_CASE("validate: the outside port device is required in two-arm mode only", "[config][validate]")
{
    const std::string one_port = "[ports]\ninside = tap0\n[addresses]\ninside_ipv6 = \"2001:db8:1::1/64\"\n"
                                 "outside_ipv4 = \"192.0.2.1/24\"\n[pool]\naddresses = \"192.0.2.1\"\n";
    CHECK(error_of(one_port) ==
          "config: ports.outside = \"\": required in two-arm mode: the DPDK device of the IPv4 side (or set "
          "ports.mode = one-arm)");
    const Config c = parse_config_text(one_port, {"--ports.mode=one-arm"});
    CHECK(c.mode == ArmMode::one_arm);
    CHECK(c.outside.device.empty());
    CHECK(error_with({"--ports.mode=one-arm"}) ==
          "config: ports.outside = net_tap1: must be empty in one-arm mode (both families use ports.inside)");
    CHECK(error_with({"--ports.outside=net_tap0"}) ==
          "config: ports.outside = net_tap0: is the same device as ports.inside; two-arm needs two ports");
    CHECK(error_with({"--ports.mode=three-arm"}) == "config: ports.mode = three-arm: expected two-arm or one-arm");
}

TEST_CASE("validate: MTU below 1280 inside or 68 outside is rejected", "[config][validate]")
{
    CHECK(error_with({"--ports.inside_mtu=1279"}) ==
          "config: ports.inside_mtu = 1279: must be at least 1280 (RFC 8200 s5: the IPv6 minimum link MTU)");
    CHECK(error_with({"--ports.outside_mtu=67"}) ==
          "config: ports.outside_mtu = 67: must be at least 68 (RFC 791: the IPv4 minimum MTU)");
    CHECK(error_with({"--ports.outside_mtu=65536"}) == "config: ports.outside_mtu = 65536: must be at most 65535");
    CHECK(error_with({"--nat64.lowest_ipv6_mtu=1000"}) ==
          "config: nat64.lowest_ipv6_mtu = 1000: must be at least 1280 (RFC 8200 s5: the IPv6 minimum link MTU)");
    const Config c = parse_config_text(kMinimalConf, {"--ports.inside_mtu=1280", "--ports.outside_mtu=68"});
    CHECK(c.inside.mtu_bytes == 1280);
    CHECK(c.outside.mtu_bytes == 68);
}

TEST_CASE("validate: workers 0 is rejected", "[config][validate]")
{
    CHECK(error_with({"--ports.workers=0"}) == "config: ports.workers = 0: must be at least 1");
    CHECK(error_with({"--ports.workers=128"}) == "config: ports.workers = 128: must be at most 127");
}

TEST_CASE("validate: numbers must be decimal", "[config][validate]")
{
    CHECK(error_with({"--ports.workers=two"}) == "config: ports.workers = two: not a decimal number");
    CHECK(error_with({"--ports.rx_desc=-1"}) == "config: ports.rx_desc = -1: not a decimal number");
    CHECK(error_with({"--ports.rx_desc=65536"}) == "config: ports.rx_desc = 65536: must be at most 65535");
    CHECK(error_with({"--pool.seed=18446744073709551616"}) ==
          "config: pool.seed = 18446744073709551616: not a decimal number");
}

TEST_CASE("validate: port MACs must be unicast MAC addresses", "[config][validate]")
{
    CHECK(error_with({"--ports.inside_mac=02:00:00:00:00"}) ==
          "config: ports.inside_mac = 02:00:00:00:00: not a MAC address (expected xx:xx:xx:xx:xx:xx)");
    CHECK(error_with({"--ports.outside_mac=ff:ff:ff:ff:ff:ff"}) ==
          "config: ports.outside_mac = ff:ff:ff:ff:ff:ff: not a unicast MAC address");
    const Config c = parse_config_text(kMinimalConf, {"--ports.inside_mac=02:00:00:00:01:01"});
    CHECK(c.inside.has_mac);
    CHECK(c.inside.mac.bytes == std::array<uint8_t, 6>{2, 0, 0, 0, 1, 1});
    CHECK_FALSE(c.outside.has_mac);
}

TEST_CASE("validate: VLAN ids are 0..4094", "[config][validate]")
{
    CHECK(error_with({"--ports.inside_vlan=4095"}) == "config: ports.inside_vlan = 4095: must be at most 4094");
    CHECK(parse_config_text(kMinimalConf, {"--ports.outside_vlan=4094"}).outside.vlan == 4094);
}

// ---- [pool] -------------------------------------------------------------------------------

TEST_CASE("validate: an empty pool is rejected", "[config][validate]")
{
    CHECK(error_of("[ports]\ninside = tap0\noutside = tap1\n[addresses]\ninside_ipv6 = \"2001:db8:1::1/64\"\n"
                   "outside_ipv4 = \"192.0.2.1/24\"\n[pool]\naddresses = []\n") ==
          "config: pool.addresses = \"\": the pool is empty: give at least one public IPv4 address");
}

TEST_CASE("validate: pool addresses must be unicast and non-zero", "[config][validate]")
{
    CHECK(error_with({"--pool.addresses", "0.0.0.0"}) ==
          "config: pool.addresses = 0.0.0.0: 0.0.0.0/8 means \"this network\" (RFC 791), not a unicast address");
    CHECK(error_with({"--pool.addresses", "224.0.0.1"}) ==
          "config: pool.addresses = 224.0.0.1: multicast (224.0.0.0/4) is not a unicast address");
    CHECK(error_with({"--pool.addresses", "255.255.255.255"}) ==
          "config: pool.addresses = 255.255.255.255: 240.0.0.0/4 is reserved and 255.255.255.255 is broadcast");
    CHECK(error_with({"--pool.addresses", "192.0.2.255"}) ==
          "config: pool.addresses = 192.0.2.255: is the network or broadcast address of addresses.outside_ipv4's subnet");
    CHECK(error_with({"--pool.addresses", "192.0.2.300"}) == "config: pool.addresses = 192.0.2.300: not an IPv4 address");
}

TEST_CASE("validate: a pool address must not be the outside gateway", "[config][validate]")
{
    CHECK(error_with({"--addresses.gateway4=192.0.2.254", "--pool.addresses", "192.0.2.254"}) ==
          "config: pool.addresses = 192.0.2.254: is the outside gateway (addresses.gateway4)");
    CHECK(error_with({"--addresses.gateway4=192.0.2.10", "--pool.addresses", "192.0.2.1", "192.0.2.8/30"}) ==
          "config: pool.addresses = 192.0.2.8/30: 192.0.2.10 is the outside gateway (addresses.gateway4)");
}

TEST_CASE("validate: a pool address must not be a static neighbour's address", "[config][validate]")
{
    CHECK(error_with({"--addresses.neighbours", "192.0.2.9 02:00:00:00:00:09"}) ==
          "config: pool.addresses = 192.0.2.8/30: 192.0.2.9 belongs to another host (addresses.neighbours "
          "\"192.0.2.9 02:00:00:00:00:09\")");
}

TEST_CASE("validate: duplicate and overlapping pool entries are rejected", "[config][validate]")
{
    CHECK(error_with({"--pool.addresses", "192.0.2.8/30", "192.0.2.9"}) ==
          "config: pool.addresses = 192.0.2.9: is already in the pool (\"192.0.2.8/30\")");
    CHECK(error_with({"--pool.addresses", "192.0.2.9", "192.0.2.8/30"}) ==
          "config: pool.addresses = 192.0.2.8/30: 192.0.2.9 is already in the pool (\"192.0.2.9\")");
}

TEST_CASE("validate: pool blocks must be aligned and small", "[config][validate]")
{
    CHECK(error_with({"--pool.addresses", "192.0.2.9/30"}) ==
          "config: pool.addresses = 192.0.2.9/30: host bits are set; the block is 192.0.2.8/30");
    CHECK(error_with({"--pool.addresses", "198.51.0.0/16"}) ==
          "config: pool.addresses = 198.51.0.0/16: blocks larger than /22 are refused; list them in smaller blocks");
}

TEST_CASE("validate: pool addresses and blocks expand in order", "[config][validate]")
{
    const Config c = parse_config_text(kMinimalConf, {"--pool.addresses", "192.0.2.1", "198.51.100.0/31"});
    CHECK(c.pool == std::vector<Ip4>{0xC0000201, 0xC6336400, 0xC6336401});
}

TEST_CASE("validate: port ranges with first > last or 0 are rejected", "[config][validate]")
{
    CHECK(error_with({"--pool.tcp_ports=2000-1000"}) == "config: pool.tcp_ports = 2000-1000: first is greater than last");
    CHECK(error_with({"--pool.udp_ports=0-100"}) == "config: pool.udp_ports = 0-100: ports and identifiers must be 1..65535");
    CHECK(error_with({"--pool.icmp_ids=1-65536"}) ==
          "config: pool.icmp_ids = 1-65536: ports and identifiers must be 1..65535");
    CHECK(error_with({"--pool.tcp_ports=1024:2048"}) == "config: pool.tcp_ports = 1024:2048: expected FIRST-LAST, e.g. 1024-65535");
    const Config c = parse_config_text(kMinimalConf, {"--pool.tcp_ports=2000-3000", "--pool.udp_ports=5000"});
    CHECK(c.tcp_ports.first == 2000);
    CHECK(c.tcp_ports.last == 3000);
    CHECK(c.udp_ports.first == 5000);
    CHECK(c.udp_ports.last == 5000);
}

// ---- [static] bib -------------------------------------------------------------------------

TEST_CASE("validate: static BIB entries are parsed, ports anywhere in 1..65535", "[config][validate][rfc6146]")
{
    const Config c = parse_config_text(kMinimalConf, {"--static.bib", "tcp 2001:db8::5#80 192.0.2.8#80",
                                                      "icmp 2001:db8::5#7 192.0.2.9#7"});
    REQUIRE(c.static_bib.size() == 2);
    CHECK(c.static_bib[0].proto == kProtoTcp);
    CHECK(format_ip6(c.static_bib[0].addr6) == "2001:db8::5");
    CHECK(c.static_bib[0].port6 == 80);
    CHECK(c.static_bib[0].addr4 == 0xC0000208);
    CHECK(c.static_bib[0].port4 == 80);   // below the dynamic range: reserved by the NAT, not an error
    CHECK(c.static_bib[0].text == "tcp 2001:db8::5#80 192.0.2.8#80");
    CHECK(c.static_bib[1].proto == kProtoIcmp6);
}

TEST_CASE("validate: static BIB with the same IPv6 transport address twice is rejected", "[config][validate][rfc6146]")
{
    CHECK(error_with({"--static.bib", "tcp 2001:db8::5#80 192.0.2.8#8080", "tcp 2001:db8::5#80 192.0.2.9#81"}) ==
          "config: static.bib = tcp 2001:db8::5#80 192.0.2.9#81: tcp 2001:db8::5#80 is already mapped by "
          "\"tcp 2001:db8::5#80 192.0.2.8#8080\"");
    // The same transport address under another protocol is a different mapping.
    CHECK(error_with({"--static.bib", "tcp 2001:db8::5#80 192.0.2.8#8080", "udp 2001:db8::5#80 192.0.2.8#8080"}).empty());
}

TEST_CASE("validate: static BIB with the same public transport address twice is rejected", "[config][validate][rfc6146]")
{
    CHECK(error_with({"--static.bib", "udp 2001:db8::5#53 192.0.2.8#53", "udp 2001:db8::6#53 192.0.2.8#53"}) ==
          "config: static.bib = udp 2001:db8::6#53 192.0.2.8#53: udp 192.0.2.8#53 is already used by "
          "\"udp 2001:db8::5#53 192.0.2.8#53\"");
}

TEST_CASE("validate: static BIB whose IPv4 address is not in the pool is rejected", "[config][validate][rfc6146]")
{
    CHECK(error_with({"--static.bib", "tcp 2001:db8::5#80 192.0.2.100#80"}) ==
          "config: static.bib = tcp 2001:db8::5#80 192.0.2.100#80: 192.0.2.100 is not in pool.addresses");
}

TEST_CASE("validate: malformed static BIB entries are rejected", "[config][validate][rfc6146]")
{
    CHECK(error_with({"--static.bib", "sctp 2001:db8::5#80 192.0.2.8#80"}) ==
          "config: static.bib = sctp 2001:db8::5#80 192.0.2.8#80: protocol sctp must be tcp, udp or icmp");
    CHECK(error_with({"--static.bib", "tcp 2001:db8::5 192.0.2.8#80"}) ==
          "config: static.bib = tcp 2001:db8::5 192.0.2.8#80: 2001:db8::5 lacks \"#PORT\"");
    CHECK(error_with({"--static.bib", "tcp 2001:db8::5#0 192.0.2.8#80"}) ==
          "config: static.bib = tcp 2001:db8::5#0 192.0.2.8#80: port 0 must be 1..65535");
    CHECK(error_with({"--static.bib", "tcp 2001:db8::5#80 192.0.2.8#65536"}) ==
          "config: static.bib = tcp 2001:db8::5#80 192.0.2.8#65536: port 65536 must be 1..65535");
    CHECK(error_with({"--static.bib", "tcp 2001:db8::5#80"}) ==
          "config: static.bib = tcp 2001:db8::5#80: expected \"PROTO ADDR6#PORT ADDR4#PORT\", e.g. "
          "\"tcp 2001:db8::5#80 192.0.2.1#8080\"");
    CHECK(error_with({"--static.bib", "tcp 2001:db8::x#80 192.0.2.8#80"}) ==
          "config: static.bib = tcp 2001:db8::x#80 192.0.2.8#80: 2001:db8::x is not an IPv6 address");
}

TEST_CASE("validate: static BIB with an IPv6 address in the NAT64 prefix is rejected", "[config][validate][rfc6146]")
{
    CHECK(error_with({"--static.bib", "tcp 64:ff9b::c000:205#80 192.0.2.8#80"}) ==
          "config: static.bib = tcp 64:ff9b::c000:205#80 192.0.2.8#80: 64:ff9b::c000:205 lies inside nat64.prefix "
          "64:ff9b::/96; a static BIB maps an IPv6 host");
}

// ---- [limits] -------------------------------------------------------------------------------

TEST_CASE("validate: max_flows 0 or above 2^27 is rejected", "[config][validate]")
{
    CHECK(error_with({"--limits.max_flows=0"}) == "config: limits.max_flows = 0: must be at least 1");
    CHECK(error_with({"--limits.max_flows=134217729"}) == "config: limits.max_flows = 134217729: must be at most 134217728");
    // Sessions keep their last activity on a 28-bit clock of seconds.
    CHECK(error_with({"--timeouts.tcp_established=134217728"}) ==
          "config: timeouts.tcp_established = 134217728: must be at most 134217727");
    CHECK(parse_config_text(kMinimalConf, {"--limits.max_flows=134217728"}).max_flows == (1u << 27));
}

// ---- [timeouts] (RFC 6146 s4) ---------------------------------------------------------------

TEST_CASE("validate: timeouts below the RFC 6146 minimums are rejected", "[config][validate][rfc6146]")
{
    const std::string hint = "; set timeouts.allow_short = true to go down to 1 s (tests only)";
    CHECK(error_with({"--timeouts.udp=119"}) ==
          "config: timeouts.udp = 119: must be at least 120 s (RFC 6146 s4: UDP_MIN is 2 min)" + hint);
    CHECK(error_with({"--timeouts.tcp_established=7439"}) ==
          "config: timeouts.tcp_established = 7439: must be at least 7440 s (RFC 6146 s4: TCP_EST is 2 h 4 min)" + hint);
    CHECK(error_with({"--timeouts.tcp_transitory=239"}) ==
          "config: timeouts.tcp_transitory = 239: must be at least 240 s (RFC 6146 s4: TCP_TRANS is 4 min)" + hint);
    CHECK(error_with({"--timeouts.icmp=0"}) == "config: timeouts.icmp = 0: must be at least 1 s");
    CHECK(error_with({"--timeouts.fragment=0"}) == "config: timeouts.fragment = 0: must be at least 1 s");
    const Config c = parse_config_text(kMinimalConf, {"--timeouts.udp=120", "--timeouts.tcp_established=7440",
                                                      "--timeouts.tcp_transitory=240", "--timeouts.icmp=1"});
    CHECK(c.timeouts.udp_s == 120);
    CHECK(c.timeouts.icmp_s == 1);
}

TEST_CASE("validate: timeouts.allow_short lowers every floor to 1 s", "[config][validate][rfc6146]")
{
    const Config c = parse_config_text(kMinimalConf, {"--timeouts.allow_short", "--timeouts.udp=2",
                                                      "--timeouts.tcp_established=3", "--timeouts.tcp_transitory=1"});
    CHECK(c.timeouts.allow_short);
    CHECK(c.timeouts.udp_s == 2);
    CHECK(c.timeouts.tcp_established_s == 3);
    CHECK(c.timeouts.tcp_transitory_s == 1);
    CHECK(error_with({"--timeouts.allow_short", "--timeouts.udp=0"}) == "config: timeouts.udp = 0: must be at least 1 s");
    // The key works from the file too, where flags and file mix.
    CHECK(parse_config_text(std::string(kMinimalConf) + "[timeouts]\nallow_short = true\nudp = 5\n").timeouts.udp_s == 5);
}

// ---- [control] and the remaining scalars --------------------------------------------------

TEST_CASE("validate: control.socket must fit sun_path and not be empty", "[config][validate]")
{
    const std::string long_path = "/" + std::string(107, 's');
    CHECK(error_with({"--control.socket=" + long_path}) ==
          "config: control.socket = " + long_path + ": longer than 107 bytes, the size of sockaddr_un's sun_path");
    CHECK(error_of(std::string(kMinimalConf) + "[control]\nsocket = \"\"\n") ==
          "config: control.socket = \"\": required: nat64ctl talks to the daemon through it");
}

TEST_CASE("validate: names and paths with quotes or backslashes are rejected", "[config][validate]")
{
    // Found by fuzz_config: such a value parsed, but config_to_text() wrote a
    // file that read back as a list.
    CHECK(error_of(std::string(kMinimalConf) + "[control]\nsocket = `'/tmp/a\", \"b\"\n") ==
          "config: control.socket = '/tmp/a\", \"b\": must not contain quotes or backslashes");
    CHECK(error_with({"--control.pidfile=/run/a\\b.pid"}) ==
          "config: control.pidfile = /run/a\\b.pid: must not contain quotes or backslashes");
    CHECK(error_with({"--ports.inside=net'tap0"}) == "config: ports.inside = net'tap0: must not contain quotes or backslashes");
    CHECK(error_with({"--eal.args=-m", "--eal.args=`1`"}) == "config: eal.args = `1`: must not contain quotes or backslashes");
    // Commas, spaces and '#' are fine: config_to_text() quotes them.
    const Config c = parse_config_text(std::string(kMinimalConf) +
                                       "[control]\nsocket = \"/tmp/a, b #1.sock\"\nlog_file = \" x \"\n");
    CHECK(c.socket_path == "/tmp/a, b #1.sock");
    CHECK(c.log_file == " x ");
    CHECK(config_to_json(parse_config_text(config_to_text(c))) == config_to_json(c));
}

TEST_CASE("validate: booleans and enumerations are checked", "[config][validate]")
{
    CHECK(error_with({"--nat64.hairpinning=maybe"}) == "config: nat64.hairpinning = maybe: expected true or false");
    CHECK(error_with({"--nat64.filtering=symmetric"}) ==
          "config: nat64.filtering = symmetric: expected endpoint-independent or address-dependent");
    const Config c = parse_config_text(kMinimalConf, {"--nat64.hairpinning=no", "--pool.paired=off",
                                                      "--nat64.filtering=address-dependent"});
    CHECK_FALSE(c.hairpinning);
    CHECK_FALSE(c.paired_pooling);
    CHECK(c.filtering == Filtering::address_dependent);
}

// ---- static mappings: one set of rules for static.bib and `bib add` -----------

TEST_CASE("validate: a static mapping names an IPv6 host, a pool address and real ports", "[config][validate][rfc6146]")
{
    const Config c = parse_config_text(kMinimalConf);
    const auto why = [&](uint8_t proto, const char* a6, uint16_t p6, const char* a4, uint16_t p4) {
        StaticBib b;
        b.proto = proto;
        REQUIRE(parse_ip6(a6, b.addr6));
        REQUIRE(parse_ip4(a4, b.addr4));
        b.port6 = p6;
        b.port4 = p4;
        return why_not_static_bib(b, c);
    };
    CHECK(why(kProtoTcp, "2001:db8:1::5", 80, "192.0.2.8", 8080).empty());
    CHECK_THAT(why(kProtoTcp, "ff02::1", 80, "192.0.2.8", 8080), Catch::Contains("multicast"));
    CHECK_THAT(why(kProtoTcp, "::", 80, "192.0.2.8", 8080), Catch::Contains("unspecified"));
    CHECK_THAT(why(kProtoTcp, "::ffff:192.0.2.5", 80, "192.0.2.8", 8080), Catch::Contains("IPv4-mapped"));
    CHECK_THAT(why(kProtoTcp, "fe80::5", 80, "192.0.2.8", 8080), Catch::Contains("link-local"));
    CHECK_THAT(why(kProtoTcp, "64:ff9b::c000:205", 80, "192.0.2.8", 8080), Catch::Contains("inside nat64.prefix"));
    CHECK_THAT(why(kProtoTcp, "2001:db8:1::1", 80, "192.0.2.8", 8080), Catch::Contains("the box's own address"));
    CHECK_THAT(why(kProtoTcp, "2001:db8:1::5", 0, "192.0.2.8", 8080), Catch::Contains("port 0"));
    CHECK_THAT(why(kProtoIcmp6, "2001:db8:1::5", 7, "192.0.2.8", 0), Catch::Contains("identifier 0"));
    CHECK_THAT(why(kProtoTcp, "2001:db8:1::5", 80, "198.51.100.1", 8080), Catch::Contains("not in pool.addresses"));
    const Config narrow = parse_config_text(kMinimalConf, {"--pool.tcp_ports=1024-65535"});
    StaticBib low;
    low.proto = kProtoTcp;
    REQUIRE(parse_ip6("2001:db8:1::5", low.addr6));
    REQUIRE(parse_ip4("192.0.2.8", low.addr4));
    low.port6 = 80;
    low.port4 = 80;
    CHECK_THAT(why_not_static_bib(low, narrow), Catch::Contains("outside pool.tcp_ports = 1024-65535"));
}

TEST_CASE("validate: settings that would pass and then fail at start are refused now", "[config][validate]")
{
    CHECK_THAT(error_with({"--timeouts.port_quarantine=2000000000"}),
               Catch::StartsWith("config: timeouts.port_quarantine = 2000000000: must be at most"));
    CHECK_THAT(error_with({"--nat64.lowest_ipv6_mtu=1500", "--ports.inside_mtu=1400"}),
               Catch::StartsWith("config: nat64.lowest_ipv6_mtu = 1500: larger than ports.inside_mtu = 1400"));
    CHECK_THAT(error_with({"--ports.workers=3", "--eal.args=-l", "--eal.args=0-1"}),
               Catch::StartsWith("config: ports.workers = 3: needs 4 lcores"));
    CHECK(error_with({"--ports.workers=2", "--eal.args=--lcores=0@0,(1-2)@1"}).empty());
    CHECK(error_with({"--ports.workers=2", "--eal.args=-c", "--eal.args=0x3"}) ==
          "config: ports.workers = 2: needs 3 lcores (the main one for control and one per worker), [eal] args give 2: "
          "e.g. \"--lcores=0-2\", or on fewer CPUs \"--lcores=0@0,(1-2)@1\"");
    CHECK_THAT(error_with({"--control.log_file=/nonexistent-dir/x.log"}),
               Catch::Contains("directory /nonexistent-dir does not exist"));
}

TEST_CASE("validate: every error is reported, each once", "[config][validate]")
{
    const std::string e = error_with({"--ports.workers=0", "--nat64.prefix=64:ff9b::/33", "--timeouts.udp=5"});
    CHECK_THAT(e, Catch::Contains("config: ports.workers = 0:"));
    CHECK_THAT(e, Catch::Contains("config: nat64.prefix = 64:ff9b::/33:"));
    CHECK_THAT(e, Catch::Contains("config: timeouts.udp = 5:"));
    CHECK(std::count(e.begin(), e.end(), '\n') == 2);
}

// ---- [control] IPFIX export (RFC 7011 over UDP) --------------------------------

TEST_CASE("validate: control.ipfix_collector takes ADDR4:PORT and [ADDR6]:PORT", "[config][validate][ipfix]")
{
    const Config off = parse_config_text(kMinimalConf);
    CHECK(off.ipfix_collector.empty());
    CHECK(off.ipfix_domain_id == 1);
    CHECK(off.ipfix_template_refresh_s == 60);
    CHECK(off.ipfix_mtu == 1400);

    const Config v4 = parse_config_text(kMinimalConf, {"--control.ipfix_collector=192.0.2.9:4739"});
    CHECK_FALSE(v4.ipfix_collector_addr.is_ip6);
    CHECK(v4.ipfix_collector_addr.ip4 == 0xC0000209);
    CHECK(v4.ipfix_collector_addr.port == 4739);

    const Config v6 = parse_config_text(kMinimalConf, {"--control.ipfix_collector=[2001:db8::9]:2055",
                                                       "--control.ipfix_domain_id=0", "--control.ipfix_mtu=512",
                                                       "--control.ipfix_template_refresh_s=1"});
    In6 expect{};
    REQUIRE(parse_ip6("2001:db8::9", expect));
    CHECK(v6.ipfix_collector_addr.is_ip6);
    CHECK(v6.ipfix_collector_addr.ip6 == expect);
    CHECK(v6.ipfix_collector_addr.port == 2055);
    CHECK(v6.ipfix_domain_id == 0);
    CHECK(v6.ipfix_mtu == 512);
    CHECK(v6.ipfix_template_refresh_s == 1);
}

TEST_CASE("validate: a bad control.ipfix_collector names the value and why", "[config][validate][ipfix]")
{
    CHECK(error_with({"--control.ipfix_collector=192.0.2.9"}) ==
          "config: control.ipfix_collector = 192.0.2.9: no port: write ADDR4:PORT or [ADDR6]:PORT, e.g. 192.0.2.9:4739");
    CHECK(error_with({"--control.ipfix_collector=2001:db8::9:4739"}) ==
          "config: control.ipfix_collector = 2001:db8::9:4739: an IPv6 address goes in brackets: [ADDR6]:PORT, "
          "e.g. [2001:db8::9]:4739");
    CHECK(error_with({"--control.ipfix_collector=collector.example:4739"}) ==
          "config: control.ipfix_collector = collector.example:4739: collector.example is not an IPv4 address "
          "(names are not resolved)");
    CHECK(error_with({"--control.ipfix_collector=[2001:db8::9:4739"}) ==
          "config: control.ipfix_collector = [2001:db8::9:4739: no ']' after the IPv6 address: write [2001:db8::9]:4739");
    CHECK(error_with({"--control.ipfix_collector=[2001:db8::9]"}) ==
          "config: control.ipfix_collector = [2001:db8::9]: no port: write [ADDR6]:PORT, e.g. [2001:db8::9]:4739");
    CHECK(error_with({"--control.ipfix_collector=192.0.2.9:0"}) ==
          "config: control.ipfix_collector = 192.0.2.9:0: port 0 is not a number 1..65535 (IPFIX's registered port is 4739)");
    CHECK(error_with({"--control.ipfix_collector=192.0.2.9:65536"}) ==
          "config: control.ipfix_collector = 192.0.2.9:65536: port 65536 is not a number 1..65535 (IPFIX's registered "
          "port is 4739)");
    CHECK(error_with({"--control.ipfix_collector=0.0.0.0:4739"}) ==
          "config: control.ipfix_collector = 0.0.0.0:4739: 0.0.0.0 names no collector");
    CHECK(error_with({"--control.ipfix_collector=[::]:4739"}) ==
          "config: control.ipfix_collector = [::]:4739: the unspecified address :: names no collector");
    CHECK(error_with({"--control.ipfix_collector=239.1.1.1:4739"}) ==
          "config: control.ipfix_collector = 239.1.1.1:4739: a multicast or broadcast address is not a collector (one "
          "collector, one UDP stream)");
}

TEST_CASE("validate: IPFIX message size and template refresh bounds", "[config][validate][ipfix]")
{
    CHECK(error_with({"--control.ipfix_mtu=511"}) == "config: control.ipfix_mtu = 511: must be at least 512");
    CHECK(error_with({"--control.ipfix_mtu=9001"}) == "config: control.ipfix_mtu = 9001: must be at most 9000");
    CHECK(error_with({"--control.ipfix_template_refresh_s=0"}) ==
          "config: control.ipfix_template_refresh_s = 0: must be at least 1");
    CHECK(error_with({"--control.ipfix_domain_id=4294967296"}) ==
          "config: control.ipfix_domain_id = 4294967296: must be at most 4294967295");
}

TEST_CASE("validate: deterministic NAT keys (RFC 7422) name the key, the value and why", "[config][deterministic]")
{
    using nat64d::ctl::test::error_with;
    CHECK(error_with({"--pool.deterministic=sequential", "--pool.deterministic_prefix=2001:db8:100::/48"}).empty());
    CHECK(error_with({"--pool.deterministic=diagonal", "--pool.deterministic_prefix=2001:db8:100::/48"}) ==
          "config: pool.deterministic = diagonal: expected sequential or staggered (RFC 7422 s2), or empty for off\n"
          "config: pool.deterministic_prefix = 2001:db8:100::/48: pool.deterministic is not set (sequential or "
          "staggered)");
    CHECK(error_with({"--pool.deterministic=staggered"}) ==
          "config: pool.deterministic_prefix = \"\": required with pool.deterministic: the subscribers' IPv6 prefix");
    CHECK(error_with({"--pool.deterministic_prefix=2001:db8:100::/48"}) ==
          "config: pool.deterministic_prefix = 2001:db8:100::/48: pool.deterministic is not set (sequential or "
          "staggered)");
    CHECK(error_with({"--pool.deterministic=staggered", "--pool.deterministic_prefix=2001:db8:100::1/48"}) ==
          "config: pool.deterministic_prefix = 2001:db8:100::1/48: bits are set past the prefix length");
    // 2^16 subscribers on 4 addresses: 16384 each, 3 ports per subscriber of 64512: fine; of a 1000-port range not.
    CHECK(error_with({"--pool.deterministic=staggered", "--pool.deterministic_prefix=2001:db8::/40"}).empty());
    CHECK(error_with({"--pool.deterministic=staggered", "--pool.deterministic_prefix=2001:db8::/40",
                      "--pool.tcp_ports=2000-2999"}) ==
          "config: pool.deterministic_prefix = 2001:db8::/40: more subscribers per pool address than ports in a "
          "range: each would get no port (nat64.subscriber_prefix_len = 56, 4 pool address(es))");
    CHECK(error_with({"--pool.deterministic=staggered", "--pool.deterministic_prefix=2001:d00::/24"}) ==
          "config: pool.deterministic_prefix = 2001:d00::/24: more than 2^24 subscribers (subscriber_prefix_len - "
          "prefix length > 24) (nat64.subscriber_prefix_len = 56, 4 pool address(es))");
}

TEST_CASE("validate: port block keys", "[config][blocks]")
{
    using nat64d::ctl::test::error_with;
    CHECK(error_with({"--pool.block_size=512"}).empty());
    CHECK(error_with({"--pool.block_size=512", "--pool.tcp_ports=2000-2100"}) ==
          "config: pool.block_size = 512: a port range is smaller than one block");
    CHECK(error_with({"--pool.block_size=40000"}) == "config: pool.block_size = 40000: must be at most 32768");
    CHECK(error_with({"--pool.block_size=512", "--pool.deterministic=sequential",
                      "--pool.deterministic_prefix=2001:db8:100::/48"}) ==
          "config: pool.block_size = 512: port blocks and pool.deterministic exclude each other: deterministic "
          "blocks are fixed already");
    CHECK(error_with({"--pool.blocks_per_subscriber=0"}) == "config: pool.blocks_per_subscriber = 0: must be at least 1");
}
