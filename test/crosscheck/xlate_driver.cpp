// A line-oriented front end to the translator for the scapy cross-check: each
// input line names a direction, a packet in hex and the addresses and ports the
// NAT would have chosen; the output line is the verdict and, when forwarded,
// the translated packet in hex. The checking is all on the Python side.
#include <arpa/inet.h>

#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "dataplane/xlate/translate.hpp"

using namespace nat64d;

namespace {

std::vector<uint8_t> from_hex(const std::string& hex)
{
    std::vector<uint8_t> out(hex.size() / 2);
    for (size_t i = 0; i < out.size(); ++i)
        out[i] = static_cast<uint8_t>(std::stoul(hex.substr(2 * i, 2), nullptr, 16));
    return out;
}

Ip4 ip4(const std::string& s)
{
    in_addr a{};
    inet_pton(AF_INET, s.c_str(), &a);
    return ntohl(a.s_addr);
}

In6 ip6(const std::string& s)
{
    In6 a{};
    inet_pton(AF_INET6, s.c_str(), a.data());
    return a;
}

} // namespace

int main()
{
    std::string line;
    constexpr uint32_t kRoom = 128;
    while (std::getline(std::cin, line)) {
        std::istringstream in(line);
        std::string dir, hex, s, d, is, id;
        uint32_t sp = 0, dp = 0, isp = 0, idp = 0, mtu4 = 1500, mtu6 = 1500, ident = 0;
        in >> dir >> hex >> s >> d >> sp >> dp >> is >> id >> isp >> idp >> mtu4 >> mtu6 >> ident;
        const std::vector<uint8_t> pkt = from_hex(hex);
        std::vector<uint8_t> buf(kRoom + pkt.size() + kRoom);
        std::copy(pkt.begin(), pkt.end(), buf.begin() + kRoom);
        xlate::PacketView pv{buf.data() + kRoom, static_cast<uint32_t>(pkt.size()), kRoom, kRoom};
        xlate::XlateConfig cfg;
        cfg.mtu4 = mtu4;
        cfg.mtu6 = mtu6;
        Verdict v;
        if (dir == "6to4") {
            xlate::Parsed6 p;
            v = xlate::parse_6(pv.l3, pv.len, p);
            if (v == Verdict::forward) {
                const xlate::Rewrite4 outer{ip4(s), ip4(d), uint16_t(sp), uint16_t(dp)};
                const xlate::Rewrite4 inner{ip4(is), ip4(id), uint16_t(isp), uint16_t(idp)};
                v = xlate::translate_6to4(pv, p, outer, inner, cfg, uint16_t(ident));
            }
        } else {
            xlate::Parsed4 p;
            v = xlate::parse_4(pv.l3, pv.len, p);
            if (v == Verdict::forward) {
                const xlate::Rewrite6 outer{ip6(s), ip6(d), uint16_t(sp), uint16_t(dp)};
                const xlate::Rewrite6 inner{ip6(is), ip6(id), uint16_t(isp), uint16_t(idp)};
                v = xlate::translate_4to6(pv, p, outer, inner, cfg);
            }
        }
        std::printf("%s", std::string(verdict_name(v)).c_str());
        if (v == Verdict::forward) {
            std::printf(" ");
            for (uint32_t i = 0; i < pv.len; ++i)
                std::printf("%02x", pv.l3[i]);
        }
        std::printf("\n");
    }
    return 0;
}
