// RFC 7422 s2 deterministic port blocks. See deterministic.hpp.
#include "dataplane/nat/deterministic.hpp"
#include "dataplane/xlate/rfc6052.hpp"

namespace nat64d::nat {

namespace {

// The subscriber number: bits prefix_len .. subscriber_len - 1 of an address
// (at most 24 of them), most significant first.
uint64_t bits_between(const In6& a, unsigned from, unsigned to) noexcept
{
    uint64_t v = 0;
    for (unsigned bit = from; bit < to; ++bit)
        v = (v << 1) | ((a[bit / 8] >> (7 - bit % 8)) & 1u);
    return v;
}

} // namespace

const char* DeterministicMap::validate(const DeterministicConfig& cfg) noexcept
{
    if (cfg.order == DeterministicOrder::off)
        return nullptr;
    if (cfg.subscriber_len <= cfg.prefix_len || cfg.subscriber_len > 128)
        return "the subscriber prefix length must be longer than the deterministic prefix";
    if (static_cast<unsigned>(cfg.subscriber_len - cfg.prefix_len) > kMaxSubscriberBits)
        return "more than 2^24 subscribers (subscriber_prefix_len - prefix length > 24)";
    if (cfg.addresses == 0)
        return "no pool address";
    for (unsigned p = 0; p < 3; ++p)
        if (cfg.last[p] < cfg.first[p])
            return "an empty port range";
    const DeterministicMap m(cfg);
    for (unsigned p = 0; p < 3; ++p)
        if (m.ports_per_subscriber(p) == 0)
            return "more subscribers per pool address than ports in a range: each would get no port";
    return nullptr;
}

DeterministicMap::DeterministicMap(const DeterministicConfig& cfg) noexcept : cfg_(cfg)
{
    if (cfg_.order == DeterministicOrder::off || cfg_.subscriber_len <= cfg_.prefix_len || cfg_.addresses == 0 ||
        static_cast<unsigned>(cfg_.subscriber_len - cfg_.prefix_len) > kMaxSubscriberBits)
        return;
    subscribers_ = uint64_t{1} << (cfg_.subscriber_len - cfg_.prefix_len);
    per_address_ = static_cast<uint32_t>((subscribers_ + cfg_.addresses - 1) / cfg_.addresses);
    for (unsigned p = 0; p < 3; ++p) {
        const uint32_t size = cfg_.last[p] >= cfg_.first[p] ? uint32_t{cfg_.last[p]} - cfg_.first[p] + 1 : 0;
        ports_[p] = size / per_address_;
    }
}

bool DeterministicMap::index_of(const In6& src, uint64_t& index) const noexcept
{
    if (!enabled() || !xlate::in_prefix(cfg_.prefix, cfg_.prefix_len, src))
        return false;
    index = bits_between(src, cfg_.prefix_len, cfg_.subscriber_len);
    return true;
}

bool DeterministicMap::block_of(const In6& src, uint32_t proto, PortBlock& out) const noexcept
{
    uint64_t i = 0;
    if (proto > 2 || !index_of(src, i) || ports_[proto] == 0)
        return false;
    uint64_t addr = 0, block = 0;
    if (cfg_.order == DeterministicOrder::sequential) {
        addr = i / per_address_;
        block = i % per_address_;
    } else {
        addr = i % cfg_.addresses;
        block = i / cfg_.addresses;
    }
    const uint32_t first = cfg_.first[proto] + static_cast<uint32_t>(block) * ports_[proto];
    out.addr_index = static_cast<uint32_t>(addr);
    out.first = static_cast<uint16_t>(first);
    out.last = static_cast<uint16_t>(first + ports_[proto] - 1);
    return true;
}

bool DeterministicMap::subscriber_of(uint32_t addr_index, uint32_t proto, uint16_t port, In6& prefix) const noexcept
{
    if (!enabled() || proto > 2 || ports_[proto] == 0 || addr_index >= cfg_.addresses || port < cfg_.first[proto] ||
        port > cfg_.last[proto])
        return false;
    const uint64_t block = (uint32_t{port} - cfg_.first[proto]) / ports_[proto];
    if (block >= per_address_)
        return false;   // the ports past the last block
    const uint64_t i = cfg_.order == DeterministicOrder::sequential ? addr_index * uint64_t{per_address_} + block
                                                                    : block * cfg_.addresses + addr_index;
    if (i >= subscribers_)
        return false;   // the last address's unused blocks (sequential), or a block no one reaches
    prefix = cfg_.prefix;
    for (unsigned k = 0; k < static_cast<unsigned>(cfg_.subscriber_len - cfg_.prefix_len); ++k) {
        const unsigned bit = cfg_.subscriber_len - 1u - k;
        if (((i >> k) & 1u) != 0)
            prefix[bit / 8] = static_cast<uint8_t>(prefix[bit / 8] | (0x80u >> (bit % 8)));
    }
    return true;
}

} // namespace nat64d::nat
