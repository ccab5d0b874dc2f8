// A flow table over its own port allocator, as the flow tests build it.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "dataplane/flow/flow_table.hpp"

namespace nat64d::test {

struct TableSpec {
    std::string name;
    uint32_t max_flows = 1024;
    std::vector<Ip4> pool = {0xC0000201};   // 192.0.2.1
    uint64_t seed = 5;                       // reproducible port choice
    uint32_t quarantine_s = 120;
    bool events = false;
};

struct TestTable {
    nat::PortAllocator ports;
    dp::FlowTable flows;

    explicit TestTable(const TableSpec& s) : ports(port_cfg(s)), flows(table_cfg(s), ports) {}

    static nat::PortAllocConfig port_cfg(const TableSpec& s)
    {
        nat::PortAllocConfig pc;
        pc.pool = s.pool;
        pc.workers = 1;
        pc.seed = s.seed;
        pc.quarantine_s = s.quarantine_s;
        return pc;
    }
    static dp::FlowTableConfig table_cfg(const TableSpec& s)
    {
        dp::FlowTableConfig fc;
        fc.name = s.name;
        fc.max_flows = s.max_flows;
        fc.workers = 1;
        fc.events = s.events;
        return fc;
    }
};

/// An inbound packet's mapping lookup in the worker's three steps
/// (resolve_public, name_mapping, find_mapping), keeping the reference that
/// hinted_session() and remember_session() take.
struct Inbound {
    dp::FlowTable::PublicRef ref;
    bool found = false;
    In6 addr6{};
    uint16_t port6 = 0;
};
inline Inbound inbound(const dp::FlowTable& flows, uint8_t proto6, Ip4 pub4, uint16_t pub_port)
{
    Inbound in;
    in.ref = flows.resolve_public(proto6, pub4, pub_port);
    flows.name_mapping(in.ref);
    in.found = flows.find_mapping(in.ref, in.addr6, in.port6);
    return in;
}

} // namespace nat64d::test
