// The NAT event log (docs/EVENT_LOG.md): one line per mapping or session
// created or deleted, for an abuse desk to answer "who had 192.0.2.1 port 40123
// at 14:02?". Workers hand events over in rings (dataplane/flow); the control
// thread formats and writes them here, to a file or syslog. Off by default.
#pragma once
#include <cstdint>
#include <cstdio>
#include <string>

#include "dataplane/flow/flow_event.hpp"

namespace nat64d::ctl {

/// "2026-11-26T14:02:03.123Z session-create tcp src=[2001:db8::5]:40000
/// pub=192.0.2.1:40123 dst=198.51.100.7:443" (no newline). unix_ms: event time.
std::string format_event(const dp::FlowEvent& e, int64_t unix_ms);

/// "... events-lost 12": how many events the rings dropped since the last such line.
std::string format_events_lost(uint64_t lost, int64_t unix_ms);

/// "2026-11-26T14:02:03.123Z".
std::string format_utc_ms(int64_t unix_ms);

class EventLog {
public:
    /// path empty and !syslog: off. Throws std::runtime_error if the file cannot be opened.
    EventLog(std::string path, bool use_syslog);
    ~EventLog();
    EventLog(const EventLog&) = delete;
    EventLog& operator=(const EventLog&) = delete;

    bool enabled() const noexcept { return file_ != nullptr || syslog_; }
    void write(const std::string& line);
    /// After a batch: the file is flushed once per control-loop pass, not per line.
    void flush();
    /// Reopens the file (SIGHUP, after logrotate moved it). Keeps the old one on failure.
    void reopen();
    /// Points the log at another file and/or syslog (a reload): the new file
    /// is opened first; on failure nothing changes and why is returned ("" when done).
    std::string retarget(const std::string& path, bool use_syslog);

private:
    std::string path_;
    bool syslog_ = false;
    std::FILE* file_ = nullptr;
};

} // namespace nat64d::ctl
