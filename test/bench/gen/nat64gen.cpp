// nat64gen: a testpmd-style traffic generator for NAT64 benchmarks.
//
// Two DPDK ports: port 0 faces the device's IPv6 (inside) side, port 1 its IPv4
// (outside) side. The generator builds N flows from M IPv6 sources (TCP, UDP
// and ICMP echo, or one of them), learns the public (address, port) the device
// gives each flow, builds the matching IPv4 replies, then offers traffic in one
// direction or both at a fixed rate or as fast as it can: a warm-up, a measured
// interval, then a drain. Every frame carries the TSC at transmit (TCP: in the
// sequence and acknowledgment numbers; UDP and ICMP echo: the first 8 payload
// bytes), so one-way latency through the device is read on receipt on the same
// TSC (generator TX and RX run on one lcore).
//
// Works against nat64d (--mode nat64), a plain forwarder such as dpdk-testpmd
// in io mode (--mode fwd: frames come back unchanged on the other port) and a
// kernel NAT64 in a namespace over net_af_packet (--mode nat64 again).
//
//   nat64gen [EAL args] -- --flows N [--sources M] [--proto mix|udp|tcp|icmp]
//            [--size BYTES] [--dir 6to4|4to6|mixed] [--rate PPS] [--warmup S]
//            [--duration S] [--mode nat64|fwd] [--prefix ADDR6] [--mac0 MAC]
//            [--mac1 MAC] [--label TEXT] [--cdf FILE] [--repeat R] [--script FILE|-]
//
// --size is the IPv6 frame size with FCS, as RFC 2544 and RFC 8219 count it
// (78, 84, 128, 512, 1518: 84 B IPv6 <-> 64 B IPv4); in memory a frame is 4
// bytes shorter. IPv4 frames are 20 bytes shorter, so a reply translates to a
// `size` frame.
// Prints a human summary and one machine line:
//   RESULT,label,mode,dir,proto,flows,sources,size,offered_pps,tx_pps,rx_pps,loss_pct,p50_ns,p99_ns,p999_ns,max_ns,learned,
//          gen_offcpu_pct,gen_max_gap_us,tx_refused_pps
#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cinttypes>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "dataplane/xlate/bytes.hpp"
#include "dataplane/xlate/checksum.hpp"

using namespace nat64d;

namespace {

constexpr uint16_t kBurst = 32;
constexpr uint64_t kGapNs = 20'000;   // a generator loop normally takes 1-2 us
constexpr uint64_t kLearnTag = 0xF10F000000000000ull;   // stamp of a learning frame: tag | flow
constexpr uint32_t kClear = 128;                          // bytes zeroed before each header is written
volatile bool g_stop = false;

struct Options {
    uint32_t flows = 1024;
    uint32_t sources = 0;        // 0: flows / 4096, at least 16
    std::string proto = "mix";
    uint32_t size = 84;
    std::string dir = "6to4";
    double rate = 0;             // packets per second in total; 0: as fast as possible
    double warmup = 1;
    double duration = 3;
    std::string mode = "nat64";
    In6 prefix{0x20, 0x01, 0x0d, 0xb8, 0, 0x64};   // 2001:db8:64::/96
    std::array<uint8_t, 6> mac0{2, 0, 0, 0, 1, 1}; // the device's inside MAC
    std::array<uint8_t, 6> mac1{2, 0, 0, 0, 1, 2}; // the device's outside MAC
    std::string label = "run";
    std::string cdf;
    std::string script;          // one run per line (generator options), ports kept connected
    uint32_t repeat = 1;         // measure this often after one learning phase; report the best
};

// One flow's frames: the 6to4 frame header and the 4to6 reply header, with
// checksums as if the 8-byte stamp were zero.
struct Flow {
    uint8_t proto6 = kProtoUdp;
    uint8_t hdr6_len = 0, hdr4_len = 0;   // Ethernet + IP + L4 header bytes
    uint8_t stamp6_off = 0, stamp4_off = 0;
    uint8_t csum6_off = 0, csum4_off = 0;
    uint16_t csum6 = 0, csum4 = 0;        // checksum field with stamp 0
    bool learned = false;
    std::array<uint8_t, 80> hdr6{};
    std::array<uint8_t, 64> hdr4{};
};

// RFC 1624: the checksum after adding the stamp's four words to a field that
// was computed with them zero.
uint16_t csum_with(uint16_t csum0, uint64_t stamp)
{
    uint32_t s = uint16_t(~csum0);
    for (int shift = 48; shift >= 0; shift -= 16)
        s += static_cast<uint16_t>(stamp >> shift);
    return xlate::csum_finish(s);
}

void store_be64(uint8_t* p, uint64_t v)
{
    store_be32(p, static_cast<uint32_t>(v >> 32));
    store_be32(p + 4, static_cast<uint32_t>(v));
}
uint64_t load_be64(const uint8_t* p) { return (uint64_t{load_be32(p)} << 32) | load_be32(p + 4); }

In6 source_of(uint32_t s)
{
    // One subscriber /64 each, as behind an ISP edge: 2001:db8:1SSS:SSSS::1.
    In6 a{0x20, 0x01, 0x0d, 0xb8, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    a[4] = static_cast<uint8_t>(0x10 | ((s >> 24) & 0x0F));
    a[5] = static_cast<uint8_t>(s >> 16);
    a[6] = static_cast<uint8_t>(s >> 8);
    a[7] = static_cast<uint8_t>(s);
    return a;
}

Ip4 server_of(uint32_t flow) { return 0xC6120000u + 1 + flow % 100000; }   // 198.18.0.0/15 (RFC 2544)

uint8_t proto_of(const std::string& mix, uint32_t flow)
{
    if (mix == "udp")
        return kProtoUdp;
    if (mix == "tcp")
        return kProtoTcp;
    if (mix == "icmp")
        return kProtoIcmp6;
    const uint32_t r = flow % 20;   // 60% TCP, 35% UDP, 5% ICMP echo
    return r < 12 ? kProtoTcp : r < 19 ? kProtoUdp : kProtoIcmp6;
}

// --size is the Ethernet frame size as RFC 2544 / RFC 8219 count it, with the
// 4-byte FCS; in memory (memif, af_packet) a frame has no FCS.
constexpr uint32_t wire_len(uint32_t size) { return size - 4; }

const std::array<uint8_t, 6> kGenMac6{2, 0, 0, 0, 0, 6};   // the generator's "router" on the IPv6 side
const std::array<uint8_t, 6> kGenMac4{2, 0, 0, 0, 0, 4};   // and on the IPv4 side

// The IPv6 frame of `flow` (syn: the first segment of a TCP flow).
void build6(Flow& f, const Options& o, uint32_t flow, uint32_t sources, bool syn)
{
    uint8_t* e = f.hdr6.data();
    f.hdr6.fill(0);
    std::memcpy(e, o.mac0.data(), 6);
    std::memcpy(e + 6, kGenMac6.data(), 6);
    store_be16(e + 12, kEtherTypeIp6);
    uint8_t* ip6 = e + 14;
    const uint32_t l4_len = wire_len(o.size) - 14 - 40;
    store_be32(ip6, 0x60000000);
    store_be16(ip6 + 4, static_cast<uint16_t>(l4_len));
    ip6[6] = f.proto6;
    ip6[7] = 64;
    store_in6(ip6 + 8, source_of(flow % sources));
    In6 dst = o.prefix;
    store_in6(ip6 + 24, dst);
    store_be32(ip6 + 36, server_of(flow));
    uint8_t* l4 = ip6 + 40;
    const uint16_t sport = static_cast<uint16_t>(10000 + (flow / sources) % 55000);
    uint32_t hl = 8;
    if (f.proto6 == kProtoTcp) {
        store_be16(l4, sport);
        store_be16(l4 + 2, 443);
        l4[12] = 0x50;
        l4[13] = syn ? 0x02 : 0x10;   // SYN, then ACK
        store_be16(l4 + 14, 65535);
        hl = 20;
        f.stamp6_off = static_cast<uint8_t>(14 + 40 + 4);   // seq and ack
        f.csum6_off = static_cast<uint8_t>(14 + 40 + 16);
    } else if (f.proto6 == kProtoUdp) {
        store_be16(l4, sport);
        store_be16(l4 + 2, 443);
        store_be16(l4 + 4, static_cast<uint16_t>(l4_len));
        f.stamp6_off = static_cast<uint8_t>(14 + 40 + 8);
        f.csum6_off = static_cast<uint8_t>(14 + 40 + 6);
    } else {
        l4[0] = 128;                   // echo request, identifier = sport, sequence = flow
        store_be16(l4 + 4, sport);
        store_be16(l4 + 6, static_cast<uint16_t>(flow));
        f.stamp6_off = static_cast<uint8_t>(14 + 40 + 8);
        f.csum6_off = static_cast<uint8_t>(14 + 40 + 2);
    }
    f.hdr6_len = static_cast<uint8_t>(14 + 40 + hl);
    // Payload is zero apart from the stamp, so the sum covers header + pseudo-header.
    uint32_t sum = xlate::csum_add_bytes(0, ip6 + 8, 32) + f.proto6 + l4_len;
    sum = xlate::csum_add_bytes(sum, l4, hl);
    uint16_t c = xlate::csum_finish(sum);
    if (f.proto6 == kProtoUdp && c == 0)
        c = 0xFFFF;
    f.csum6 = c;
}

// The IPv4 reply of `flow` to its public (address, port).
void build4(Flow& f, const Options& o, uint32_t flow, Ip4 pub4, uint16_t pub_port, bool synack)
{
    uint8_t* e = f.hdr4.data();
    f.hdr4.fill(0);
    std::memcpy(e, o.mac1.data(), 6);
    std::memcpy(e + 6, kGenMac4.data(), 6);
    store_be16(e + 12, kEtherTypeIp4);
    uint8_t* ip4 = e + 14;
    const uint32_t total = wire_len(o.size) - 20 - 14;   // IPv4 frame minus Ethernet
    const uint32_t l4_len = total - 20;
    const uint8_t proto4 = f.proto6 == kProtoIcmp6 ? kProtoIcmp4 : f.proto6;
    ip4[0] = 0x45;
    store_be16(ip4 + 2, static_cast<uint16_t>(total));
    store_be16(ip4 + 4, static_cast<uint16_t>(flow));
    ip4[6] = 0x40;                     // DF, as most TCP and QUIC traffic
    ip4[8] = 64;
    ip4[9] = proto4;
    store_be32(ip4 + 12, server_of(flow));
    store_be32(ip4 + 16, pub4);
    store_be16(ip4 + 10, xlate::csum_finish(xlate::csum_add_bytes(0, ip4, 20)));
    uint8_t* l4 = ip4 + 20;
    uint32_t hl = 8;
    if (proto4 == kProtoTcp) {
        store_be16(l4, 443);
        store_be16(l4 + 2, pub_port);
        l4[12] = 0x50;
        l4[13] = synack ? 0x12 : 0x10;
        store_be16(l4 + 14, 65535);
        hl = 20;
        f.stamp4_off = static_cast<uint8_t>(14 + 20 + 4);
        f.csum4_off = static_cast<uint8_t>(14 + 20 + 16);
    } else if (proto4 == kProtoUdp) {
        store_be16(l4, 443);
        store_be16(l4 + 2, pub_port);
        store_be16(l4 + 4, static_cast<uint16_t>(l4_len));
        f.stamp4_off = static_cast<uint8_t>(14 + 20 + 8);
        f.csum4_off = static_cast<uint8_t>(14 + 20 + 6);
    } else {
        l4[0] = 0;                     // echo reply
        store_be16(l4 + 4, pub_port);
        store_be16(l4 + 6, static_cast<uint16_t>(flow));
        f.stamp4_off = static_cast<uint8_t>(14 + 20 + 8);
        f.csum4_off = static_cast<uint8_t>(14 + 20 + 2);
    }
    f.hdr4_len = static_cast<uint8_t>(14 + 20 + hl);
    uint32_t sum = proto4 == kProtoIcmp4 ? 0 : xlate::csum_add_bytes(0, ip4 + 12, 8) + proto4 + l4_len;
    sum = xlate::csum_add_bytes(sum, l4, hl);
    uint16_t c = xlate::csum_finish(sum);
    if (proto4 == kProtoUdp && c == 0)
        c = 0xFFFF;
    f.csum4 = c;
}

// Where a received frame carries its stamp, and what it says about the flow.
struct Seen {
    bool ok = false;
    bool ip6 = false;
    uint64_t stamp = 0;
    Ip4 src4 = 0;
    uint16_t sport = 0;     // TCP/UDP source port or ICMP identifier
};

Seen inspect(const rte_mbuf* m)
{
    Seen s;
    const auto* e = rte_pktmbuf_mtod(m, const uint8_t*);
    const uint32_t len = rte_pktmbuf_data_len(m);
    if (len < 14 + 20 + 16)
        return s;
    const uint16_t type = load_be16(e + 12);
    const uint8_t* l4 = nullptr;
    uint8_t proto = 0;
    if (type == kEtherTypeIp6) {
        if (len < 14 + 40 + 16)
            return s;
        proto = e[14 + 6];
        l4 = e + 14 + 40;
        s.ip6 = true;
    } else if (type == kEtherTypeIp4) {
        const uint32_t ihl = (e[14] & 0x0Fu) * 4;
        proto = e[14 + 9];
        l4 = e + 14 + ihl;
        s.src4 = load_be32(e + 14 + 12);
    } else {
        return s;
    }
    if (l4 + 16 > e + len)
        return s;
    if (proto == kProtoTcp) {
        s.stamp = load_be64(l4 + 4);
        s.sport = load_be16(l4);
    } else if (proto == kProtoUdp) {
        s.stamp = load_be64(l4 + 8);
        s.sport = load_be16(l4);
    } else if (proto == kProtoIcmp4 || proto == kProtoIcmp6) {
        s.stamp = load_be64(l4 + 8);
        s.sport = load_be16(l4 + 4);
    } else {
        return s;
    }
    s.ok = true;
    return s;
}

// Latency histogram: 10 ns buckets up to 2 ms, then 10 us buckets up to 1 s.
struct Histogram {
    static constexpr uint32_t kFineNs = 10, kFine = 200000;
    static constexpr uint32_t kCoarseNs = 10000, kCoarse = 100000;
    std::vector<uint64_t> fine = std::vector<uint64_t>(kFine, 0);
    std::vector<uint64_t> coarse = std::vector<uint64_t>(kCoarse + 1, 0);
    uint64_t n = 0, max_ns = 0;
    void add(uint64_t ns)
    {
        if (ns < uint64_t{kFine} * kFineNs)
            ++fine[ns / kFineNs];
        else
            ++coarse[std::min<uint64_t>(ns / kCoarseNs, kCoarse)];
        ++n;
        max_ns = std::max(max_ns, ns);
    }
    double quantile(double q) const
    {
        if (n == 0)
            return 0;
        const uint64_t want = std::max<uint64_t>(1, static_cast<uint64_t>(q * double(n) + 0.5));
        uint64_t acc = 0;
        for (uint32_t i = 0; i < kFine; ++i) {
            acc += fine[i];
            if (acc >= want)
                return double(i) * kFineNs + kFineNs / 2.0;
        }
        for (uint32_t i = 0; i <= kCoarse; ++i) {
            acc += coarse[i];
            if (acc >= want)
                return std::min(double(i) * kCoarseNs + kCoarseNs / 2.0, double(max_ns));
        }
        return double(max_ns);
    }
};

bool parse_mac(const char* s, std::array<uint8_t, 6>& mac)
{
    unsigned v[6];
    if (std::sscanf(s, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6)
        return false;
    for (int i = 0; i < 6; ++i)
        mac[i] = static_cast<uint8_t>(v[i]);
    return true;
}

bool parse_ip6(const char* s, In6& a);   // below

void usage()
{
    std::fprintf(stderr, "usage: nat64gen [EAL args] -- --flows N [--sources M] [--proto mix|udp|tcp|icmp] [--size B]\n"
                         "       [--dir 6to4|4to6|mixed] [--rate PPS] [--warmup S] [--duration S] [--mode nat64|fwd]\n"
                         "       [--prefix ADDR6] [--mac0 MAC] [--mac1 MAC] [--label TEXT] [--cdf FILE] [--script FILE|-]\n"
                         "       [--repeat R]\n");
}

class Gen {
public:
    Gen(const Options& o, rte_mempool* tx0, rte_mempool* tx1) : o_(o), tx_pool_{tx0, tx1}
    {
        hz_ = rte_get_tsc_hz();
        sources_ = o.sources ? o.sources : std::max<uint32_t>(16, (o.flows + 4095) / 4096);
        flows_.resize(o.flows);
        for (uint32_t i = 0; i < o.flows; ++i) {
            flows_[i].proto6 = proto_of(o.proto, i);
            build6(flows_[i], o, i, sources_, o.mode == "nat64");
            // fwd mode: frames come back unchanged, so any reply addressing will do.
            build4(flows_[i], o, i, 0xC0000201, static_cast<uint16_t>(10000 + i % 55000), false);
        }
    }

    uint32_t sources() const { return sources_; }

    // Sends `flow`'s frame on `port` (0: IPv6, 1: IPv4) with `stamp`.
    rte_mbuf* make(uint32_t flow, int port, uint64_t stamp)
    {
        rte_mbuf* m = rte_pktmbuf_alloc(tx_pool_[port]);
        if (m == nullptr)
            return nullptr;
        const uint32_t len = port == 0 ? wire_len(o_.size) : wire_len(o_.size) - 20;
        auto* d = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, static_cast<uint16_t>(len)));
        fill(d, flows_[flow], port, stamp);
        return m;
    }

    void fill(uint8_t* d, const Flow& f, int port, uint64_t stamp)
    {
        if (d == nullptr) [[unlikely]]
            return;   // append cannot fail: frames are at most 1518 bytes, buffers 2048
        // TX mbufs come from a pool zeroed at start; only the first kClear
        // bytes are ever written, so the payload stays zero.
        // Copied from zeros, not memset: tuned for AMD Zen, GCC makes the
        // memset a `rep stosq`, whose start-up was a quarter of this loop.
        static constexpr std::array<uint8_t, kClear> kZero{};
        std::memcpy(d, kZero.data(), kClear);
        if (port == 0) {
            std::memcpy(d, f.hdr6.data(), f.hdr6_len);
            store_be64(d + f.stamp6_off, stamp);
            store_be16(d + f.csum6_off, csum_with(f.csum6, stamp));
        } else {
            std::memcpy(d, f.hdr4.data(), f.hdr4_len);
            store_be64(d + f.stamp4_off, stamp);
            store_be16(d + f.csum4_off, csum_with(f.csum4, stamp));
        }
        if (f.proto6 == kProtoUdp && load_be16(d + (port == 0 ? f.csum6_off : f.csum4_off)) == 0)
            store_be16(d + (port == 0 ? f.csum6_off : f.csum4_off), 0xFFFF);
    }

    // Learning: send each flow's first packet (TCP: SYN) in windows, read the
    // public address and port from what comes out on port 1, build the replies;
    // then send each reply once (TCP: SYN+ACK) and check it comes back.
    uint32_t learn()
    {
        if (o_.mode != "nat64") {
            for (auto& f : flows_)
                f.learned = true;
            return o_.flows;
        }
        std::vector<uint32_t> todo(o_.flows);
        for (uint32_t i = 0; i < o_.flows; ++i)
            todo[i] = i;
        for (int round = 0; round < 4 && !todo.empty() && !g_stop; ++round) {
            constexpr uint32_t kWindow = 2048;
            for (size_t w = 0; w < todo.size() && !g_stop; w += kWindow) {
                const size_t end = std::min(todo.size(), w + kWindow);
                for (size_t i = w; i < end;) {
                    std::array<rte_mbuf*, kBurst> pk;
                    uint16_t n = 0;
                    for (; n < kBurst && i < end; ++i)
                        if (rte_mbuf* m = make(todo[i], 0, kLearnTag | todo[i]))
                            pk[n++] = m;
                    send_all(0, pk.data(), n, true);
                    poll_learn();
                }
                const uint64_t deadline = rte_rdtsc() + hz_ / 20;
                while (rte_rdtsc() < deadline && learned_in_window(todo, w, end) < end - w)
                    poll_learn();
            }
            std::vector<uint32_t> missing;
            for (uint32_t f : todo)
                if (!flows_[f].learned)
                    missing.push_back(f);
            if (!missing.empty())
                std::fprintf(stderr, "# learn round %d: %zu of %zu flows not seen on port 1 yet\n", round, missing.size(),
                             todo.size());
            todo.swap(missing);
        }
        uint32_t learned = 0;
        for (auto& f : flows_)
            learned += f.learned;
        // Replies once each, so the state sees both directions (TCP: established).
        for (uint32_t i = 0; i < o_.flows && !g_stop;) {
            std::array<rte_mbuf*, kBurst> pk;
            uint16_t n = 0;
            for (; n < kBurst && i < o_.flows; ++i)
                if (flows_[i].learned)
                    if (rte_mbuf* m = make(i, 1, kLearnTag | i))
                        pk[n++] = m;
            send_all(1, pk.data(), n);
            drain_rx();
        }
        // From now on: TCP segments are ACKs both ways.
        for (uint32_t i = 0; i < o_.flows; ++i) {
            if (flows_[i].proto6 != kProtoTcp)
                continue;
            const Flow saved = flows_[i];
            build6(flows_[i], o_, i, sources_, false);
            build4(flows_[i], o_, i, load_be32(saved.hdr4.data() + 14 + 16), load_be16(saved.hdr4.data() + 14 + 20 + 2),
                   false);
            flows_[i].learned = saved.learned;
        }
        const uint64_t until = rte_rdtsc() + hz_ / 5;
        while (rte_rdtsc() < until)
            drain_rx();
        return learned;
    }

    struct Result {
        double tx_pps = 0, rx_pps = 0, loss_pct = 0;
        uint64_t tx = 0, rx = 0, tx_fail = 0;
        Histogram lat;
        // Loop iterations more than kGapNs apart in the measured interval: the
        // generator was off its CPU (preempted), and every packet in flight
        // then waits as long. Explains a latency tail no device can avoid.
        uint64_t gaps = 0, gap_cycles = 0, max_gap_cycles = 0;
        double gap_pct = 0;
    };

    Result measure()
    {
        std::vector<uint32_t> live;
        for (uint32_t i = 0; i < o_.flows; ++i)
            if (flows_[i].learned)
                live.push_back(i);
        Result r;
        if (live.empty())
            return r;
        const bool send6 = o_.dir != "4to6", send4 = o_.dir != "6to4";
        const uint64_t t_start = rte_rdtsc() + static_cast<uint64_t>(o_.warmup * double(hz_));
        const uint64_t t_end = t_start + static_cast<uint64_t>(o_.duration * double(hz_));
        const uint64_t t_drain = t_end + hz_ / 5;
        const uint64_t t0 = rte_rdtsc();
        const double per_cycle = o_.rate / double(hz_);
        uint64_t offered = 0;
        size_t next = 0;
        int port = send6 ? 0 : 1;
        std::array<rte_mbuf*, kBurst> pk;
        const uint64_t gap_cycles = hz_ / (1'000'000'000ull / kGapNs);
        uint64_t prev = 0;
        for (;;) {
            const uint64_t now = rte_rdtsc();
            if (now >= t_drain || g_stop)
                break;
            if (prev != 0 && now - prev > gap_cycles && prev >= t_start && now < t_end) {
                ++r.gaps;
                r.gap_cycles += now - prev;
                r.max_gap_cycles = std::max(r.max_gap_cycles, now - prev);
            }
            prev = now;
            if (now < t_end) {
                uint32_t want = kBurst;
                if (o_.rate > 0) {
                    const double due = double(now - t0) * per_cycle;
                    want = due > double(offered) ? static_cast<uint32_t>(std::min<double>(kBurst, due - double(offered))) : 0;
                }
                if (want > 0) {
                    if (rte_pktmbuf_alloc_bulk(tx_pool_[port], pk.data(), want) == 0) {
                        const uint32_t len = port == 0 ? wire_len(o_.size) : wire_len(o_.size) - 20;
                        for (uint32_t i = 0; i < want; ++i) {
                            auto* d = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(pk[i], static_cast<uint16_t>(len)));
                            fill(d, flows_[live[next]], port, now);
                            next = next + 1 == live.size() ? 0 : next + 1;
                        }
                        const uint16_t sent = rte_eth_tx_burst(static_cast<uint16_t>(port), 0, pk.data(),
                                                               static_cast<uint16_t>(want));
                        if (sent < want)
                            rte_pktmbuf_free_bulk(pk.data() + sent, want - sent);
                        offered += want;
                        if (now >= t_start) {
                            r.tx += sent;
                            r.tx_fail += want - sent;
                        }
                    }
                    if (send6 && send4)
                        port ^= 1;
                }
            }
            for (uint16_t p = 0; p < 2; ++p) {
                std::array<rte_mbuf*, kBurst> rx;
                const uint16_t n = rte_eth_rx_burst(p, 0, rx.data(), kBurst);
                if (n == 0)
                    continue;
                const uint64_t t_rx = rte_rdtsc();
                for (uint16_t i = 0; i < n; ++i) {
                    const Seen s = inspect(rx[i]);
                    if (s.ok && s.stamp >= t_start && s.stamp < t_end && s.stamp <= t_rx) {
                        ++r.rx;
                        r.lat.add((t_rx - s.stamp) * 1'000'000'000ull / hz_);
                    }
                }
                rte_pktmbuf_free_bulk(rx.data(), n);
            }
        }
        r.tx_pps = double(r.tx) / o_.duration;
        r.rx_pps = double(r.rx) / o_.duration;
        r.loss_pct = r.tx ? 100.0 * double(r.tx - std::min(r.tx, r.rx)) / double(r.tx) : 0;
        r.gap_pct = 100.0 * double(r.gap_cycles) / (o_.duration * double(hz_));
        return r;
    }

private:
    // Sends all n (waiting up to 100 ms for ring space). While learning, what
    // arrives meanwhile is learned from, not thrown away.
    void send_all(uint16_t port, rte_mbuf** pk, uint16_t n, bool learning = false)
    {
        uint16_t done = 0;
        const uint64_t deadline = rte_rdtsc() + hz_ / 10;
        while (done < n) {
            done += rte_eth_tx_burst(port, 0, pk + done, n - done);
            if (done == n || rte_rdtsc() > deadline)
                break;
            if (learning)
                poll_learn();
            else
                drain_rx();
        }
        if (done < n)
            rte_pktmbuf_free_bulk(pk + done, n - done);
    }

    void drain_rx()
    {
        for (uint16_t p = 0; p < 2; ++p) {
            std::array<rte_mbuf*, kBurst> rx;
            const uint16_t n = rte_eth_rx_burst(p, 0, rx.data(), kBurst);
            if (n)
                rte_pktmbuf_free_bulk(rx.data(), n);
        }
    }

    void poll_learn()
    {
        std::array<rte_mbuf*, kBurst> rx;
        uint16_t n = rte_eth_rx_burst(1, 0, rx.data(), kBurst);
        for (uint16_t i = 0; i < n; ++i) {
            const Seen s = inspect(rx[i]);
            if (s.ok && !s.ip6 && (s.stamp & 0xFFFF000000000000ull) == kLearnTag) {
                const uint64_t f = s.stamp & 0xFFFFFFFFull;
                if (f < flows_.size() && !flows_[f].learned) {
                    build4(flows_[f], o_, static_cast<uint32_t>(f), s.src4, s.sport, true);
                    flows_[f].learned = true;
                    ++learned_;
                }
            }
        }
        if (n)
            rte_pktmbuf_free_bulk(rx.data(), n);
        n = rte_eth_rx_burst(0, 0, rx.data(), kBurst);
        if (n)
            rte_pktmbuf_free_bulk(rx.data(), n);
    }

    size_t learned_in_window(const std::vector<uint32_t>& todo, size_t w, size_t end) const
    {
        size_t k = 0;
        for (size_t i = w; i < end; ++i)
            k += flows_[todo[i]].learned;
        return k;
    }

    const Options& o_;
    std::array<rte_mempool*, 2> tx_pool_;
    std::vector<Flow> flows_;
    uint64_t hz_ = 1;
    uint32_t sources_ = 16;
    uint64_t learned_ = 0;
};

bool parse_ip6(const char* s, In6& a)
{
    // Only what this tool needs: "x:x:x::" style prefixes via inet_pton.
    return inet_pton(AF_INET6, s, a.data()) == 1;
}

bool wait_links(uint16_t ports, double seconds)
{
    const uint64_t deadline = rte_rdtsc() + static_cast<uint64_t>(seconds * double(rte_get_tsc_hz()));
    while (rte_rdtsc() < deadline && !g_stop) {
        uint16_t up = 0;
        for (uint16_t p = 0; p < ports; ++p) {
            rte_eth_link l{};
            if (rte_eth_link_get_nowait(p, &l) == 0 && l.link_status)
                ++up;
        }
        if (up == ports)
            return true;
        rte_delay_ms(50);
    }
    return false;
}

void on_signal(int) { g_stop = true; }

// Parses generator options from argv[from..argc) into o; false on a bad option.
bool parse_options(int argc, char** argv, int from, Options& o)
{
    for (int i = from; i < argc; ++i) {
        const std::string a = argv[i];
        const char* v = i + 1 < argc ? argv[i + 1] : nullptr;
        if (v == nullptr && a != "--help")
            return false;
        ++i;
        try {
            if (a == "--flows") o.flows = static_cast<uint32_t>(std::stoul(v));
            else if (a == "--sources") o.sources = static_cast<uint32_t>(std::stoul(v));
            else if (a == "--proto") o.proto = v;
            else if (a == "--size") o.size = static_cast<uint32_t>(std::stoul(v));
            else if (a == "--dir") o.dir = v;
            else if (a == "--rate") o.rate = std::stod(v);
            else if (a == "--warmup") o.warmup = std::stod(v);
            else if (a == "--duration") o.duration = std::stod(v);
            else if (a == "--mode") o.mode = v;
            else if (a == "--label") o.label = v;
            else if (a == "--cdf") o.cdf = v;
            else if (a == "--script") o.script = v;
            else if (a == "--repeat") o.repeat = std::max<uint32_t>(1, static_cast<uint32_t>(std::stoul(v)));
            else if (a == "--prefix") { if (!parse_ip6(v, o.prefix)) return false; }
            else if (a == "--mac0") { if (!parse_mac(v, o.mac0)) return false; }
            else if (a == "--mac1") { if (!parse_mac(v, o.mac1)) return false; }
            else return false;
        } catch (const std::exception&) {
            return false;
        }
    }
    if (o.size < 78 || o.size > 1518 || o.flows == 0 || (o.dir != "6to4" && o.dir != "4to6" && o.dir != "mixed") ||
        (o.proto != "mix" && o.proto != "udp" && o.proto != "tcp" && o.proto != "icmp") ||
        (o.mode != "nat64" && o.mode != "fwd"))
        return false;
    return true;
}

void run_one(const Options& o, const std::array<rte_mempool*, 2>& tx_pool)
{
    Gen g(o, tx_pool[0], tx_pool[1]);
    const uint64_t l0 = rte_rdtsc();
    const uint32_t learned = g.learn();
    const double learn_s = double(rte_rdtsc() - l0) / double(rte_get_tsc_hz());
    std::printf("# %s: %s %s %s, %u flows from %u sources, %u bytes, learned %u in %.2f s\n", o.label.c_str(),
                o.mode.c_str(), o.dir.c_str(), o.proto.c_str(), o.flows, g.sources(), o.size, learned, learn_s);
    // Best of `repeat` intervals (a shared machine steals whole intervals): at
    // full load the highest received rate, at a fixed load the lowest p99.
    Gen::Result r = g.measure();
    for (uint32_t i = 1; i < o.repeat && !g_stop; ++i) {
        Gen::Result again = g.measure();
        const bool better = o.rate > 0 ? again.lat.quantile(0.99) < r.lat.quantile(0.99) : again.rx_pps > r.rx_pps;
        if (better)
            r = std::move(again);
    }
    const double p50 = r.lat.quantile(0.5), p99 = r.lat.quantile(0.99), p999 = r.lat.quantile(0.999);
    std::printf("# offered %.0f pps: tx %.3f Mpps, rx %.3f Mpps, loss %.3f%%, tx refused %" PRIu64
                ", latency p50 %.1f us p99 %.1f us p99.9 %.1f us max %.1f us\n",
                o.rate, r.tx_pps / 1e6, r.rx_pps / 1e6, r.loss_pct, r.tx_fail, p50 / 1e3, p99 / 1e3, p999 / 1e3,
                double(r.lat.max_ns) / 1e3);
    const double max_gap_us = double(r.max_gap_cycles) * 1e6 / double(rte_get_tsc_hz());
    std::printf("# generator loop: %" PRIu64 " gaps over %u us, %.3f%% of the interval off-CPU, longest %.0f us\n",
                r.gaps, static_cast<unsigned>(kGapNs / 1000), r.gap_pct, max_gap_us);
    // Frames the device's ring refused, a second: well above zero, the device
    // set the rate; near zero, it took all the generator could make.
    const double refused_pps = double(r.tx_fail) / o.duration;
    std::printf("RESULT,%s,%s,%s,%s,%u,%u,%u,%.0f,%.0f,%.0f,%.3f,%.0f,%.0f,%.0f,%" PRIu64 ",%u,%.4f,%.0f,%.0f\n",
                o.label.c_str(), o.mode.c_str(), o.dir.c_str(), o.proto.c_str(), o.flows, g.sources(), o.size, o.rate,
                r.tx_pps, r.rx_pps, r.loss_pct, p50, p99, p999, r.lat.max_ns, learned, r.gap_pct, max_gap_us,
                refused_pps);
    if (!o.cdf.empty()) {
        if (FILE* f = std::fopen(o.cdf.c_str(), "w")) {
            std::fprintf(f, "# %s latency CDF: ns fraction\n", o.label.c_str());
            for (int i = 0; i <= 400; ++i) {
                // From p1 up to p99.99, dense in the tail.
                const double q = i < 100 ? 0.01 + 0.89 * i / 100.0 : 1.0 - 0.1 * std::pow(10.0, -3.0 * (i - 100) / 300.0);
                std::fprintf(f, "%.0f %.6f\n", r.lat.quantile(q), q);
            }
            std::fclose(f);
        }
    }
}

} // namespace

int main(int argc, char** argv)
{
    const int eal = rte_eal_init(argc, argv);
    if (eal < 0) {
        std::fprintf(stderr, "nat64gen: EAL init failed: %s\n", rte_strerror(rte_errno));
        return 1;
    }
    argc -= eal;
    argv += eal;
    Options base;
    if (!parse_options(argc, argv, 1, base)) {
        usage();
        return 2;
    }
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    std::setvbuf(stdout, nullptr, _IOLBF, 0);

    if (rte_eth_dev_count_avail() < 2) {
        std::fprintf(stderr, "nat64gen: needs two ports (0: IPv6 side, 1: IPv4 side)\n");
        return 1;
    }
    // RX pool, and one TX pool per port whose data rooms are zeroed once.
    rte_mempool* rx_pool = rte_pktmbuf_pool_create("gen_rx", 16383, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
    std::array<rte_mempool*, 2> tx_pool{};
    for (int p = 0; p < 2; ++p) {
        const std::string name = "gen_tx" + std::to_string(p);
        tx_pool[p] = rte_pktmbuf_pool_create(name.c_str(), 8191, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
        if (tx_pool[p] == nullptr)
            break;
        rte_mempool_obj_iter(tx_pool[p], [](rte_mempool*, void*, void* obj, unsigned) {
            auto* m = static_cast<rte_mbuf*>(obj);
            std::memset(static_cast<uint8_t*>(m->buf_addr) + m->data_off, 0, m->buf_len - m->data_off);
        }, nullptr);
    }
    if (rx_pool == nullptr || tx_pool[0] == nullptr || tx_pool[1] == nullptr) {
        std::fprintf(stderr, "nat64gen: mempool: %s (more -m?)\n", rte_strerror(rte_errno));
        return 1;
    }
    for (uint16_t p = 0; p < 2; ++p) {
        rte_eth_conf conf{};
        if (rte_eth_dev_configure(p, 1, 1, &conf) < 0 || rte_eth_rx_queue_setup(p, 0, 1024, 0, nullptr, rx_pool) < 0 ||
            rte_eth_tx_queue_setup(p, 0, 1024, 0, nullptr) < 0 || rte_eth_dev_start(p) < 0) {
            std::fprintf(stderr, "nat64gen: port %u setup failed\n", p);
            return 1;
        }
        (void)rte_eth_promiscuous_enable(p);
    }
    // A net_memif client connects when its port starts; if the device's
    // server socket was not ready at that instant it never retries by itself
    // (seen about once in four device restarts): restart the ports and wait again.
    bool links = wait_links(2, 5);
    for (int attempt = 0; attempt < 3 && !links && !g_stop; ++attempt) {
        std::printf("# nat64gen: links not up after 5 s, restarting the ports\n");
        std::fflush(stdout);
        for (uint16_t p = 0; p < 2; ++p) {
            (void)rte_eth_dev_stop(p);
            (void)rte_eth_dev_start(p);
        }
        links = wait_links(2, 5);
    }
    if (!links) {
        std::fprintf(stderr, "nat64gen: links did not come up (is the device running?)\n");
        return 1;
    }

    // One run from the command line, or one per line of --script (the ports stay
    // connected across runs: a memif peer need not see connects and disconnects).
    if (base.script.empty()) {
        run_one(base, tx_pool);
    } else {
        FILE* f = base.script == "-" ? stdin : std::fopen(base.script.c_str(), "r");
        if (f == nullptr) {
            std::fprintf(stderr, "nat64gen: cannot read %s\n", base.script.c_str());
            return 1;
        }
        char line[1024];
        while (!g_stop && std::fgets(line, sizeof line, f) != nullptr) {
            std::vector<std::string> words{"nat64gen"};
            std::string cur;
            bool quoted = false;
            for (const char* c = line; *c != 0 && *c != '\n'; ++c) {
                if (*c == '"') { quoted = !quoted; continue; }
                if (*c == ' ' && !quoted) { if (!cur.empty()) words.push_back(cur); cur.clear(); continue; }
                cur += *c;
            }
            if (!cur.empty())
                words.push_back(cur);
            if (words.size() == 1 || words[1][0] == '#')
                continue;
            std::vector<char*> wv;
            for (auto& w : words)
                wv.push_back(w.data());
            Options o = base;
            o.script.clear();
            o.cdf.clear();
            if (!parse_options(int(wv.size()), wv.data(), 1, o)) {
                std::fprintf(stderr, "nat64gen: bad script line: %s", line);
                std::printf("RESULT,ERROR\n");
                continue;
            }
            run_one(o, tx_pool);
        }
        if (f != stdin)
            std::fclose(f);
    }
    for (uint16_t p = 0; p < 2; ++p) {
        rte_eth_dev_stop(p);
        rte_eth_dev_close(p);
    }
    rte_eal_cleanup();
    return 0;
}
