// NAT event lines (docs/EVENT_LOG.md) and their file / syslog writer.
#include "control/event_log.hpp"

#include <cerrno>
#include <cstring>
#include <ctime>
#include <stdexcept>
#include <syslog.h>

#include <fmt/format.h>

#include "control/config/load.hpp"
#include "control/protocol.hpp"

namespace nat64d::ctl {

std::string format_utc_ms(int64_t unix_ms)
{
    const time_t secs = static_cast<time_t>(unix_ms >= 0 ? unix_ms / 1000 : (unix_ms - 999) / 1000);
    const auto ms = static_cast<int>(unix_ms - int64_t{secs} * 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                       tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
}

namespace {

const char* quota_name(dp::QuotaKind q)
{
    switch (q) {
    case dp::QuotaKind::sessions:
        return "sessions";
    case dp::QuotaKind::ports:
        return "ports";
    case dp::QuotaKind::new_sessions_per_s:
        return "new_sessions_per_s";
    case dp::QuotaKind::none:
        break;
    }
    return "?";
}

} // namespace

std::string format_event(const dp::FlowEvent& e, int64_t unix_ms)
{
    const std::string when = format_utc_ms(unix_ms);
    const std::string_view proto = proto_name(e.proto6);
    switch (e.kind) {
    case dp::FlowEventKind::mapping_create:
    case dp::FlowEventKind::mapping_delete:
        return fmt::format("{} {} {} src=[{}]:{} pub={}:{}{}", when,
                           e.kind == dp::FlowEventKind::mapping_create ? "mapping-create" : "mapping-delete", proto,
                           format_ip6(e.src6), e.sport6, format_ip4(e.pub4), e.pub_port, e.is_static ? " static" : "");
    case dp::FlowEventKind::session_create:
    case dp::FlowEventKind::session_delete:
        return fmt::format("{} {} {} src=[{}]:{} pub={}:{} dst={}:{}", when,
                           e.kind == dp::FlowEventKind::session_create ? "session-create" : "session-delete", proto,
                           format_ip6(e.src6), e.sport6, format_ip4(e.pub4), e.pub_port, format_ip4(e.dst4), e.dport);
    case dp::FlowEventKind::ports_exhausted:
        return fmt::format("{} ports-exhausted {} src=[{}]:{} pub={}", when, proto, format_ip6(e.src6), e.sport6,
                           format_ip4(e.pub4));
    case dp::FlowEventKind::quota_exceeded:
        return fmt::format("{} quota-exceeded {} subscriber={}/{} limit={}:{}", when, proto, format_ip6(e.src6),
                           e.subscriber_len, quota_name(e.quota), e.limit);
    case dp::FlowEventKind::block_allocate:
    case dp::FlowEventKind::block_release:
        return fmt::format("{} {} {} subscriber={}/{} pub={}:{}-{}", when,
                           e.kind == dp::FlowEventKind::block_allocate ? "block-allocate" : "block-release", proto,
                           format_ip6(e.src6), e.subscriber_len, format_ip4(e.pub4), e.pub_port, e.dport);
    }
    return fmt::format("{} unknown-event {}", when, static_cast<unsigned>(e.kind));
}

std::string format_events_lost(uint64_t lost, int64_t unix_ms)
{
    return fmt::format("{} events-lost {}", format_utc_ms(unix_ms), lost);
}

EventLog::EventLog(std::string path, bool use_syslog) : path_(std::move(path)), syslog_(use_syslog)
{
    if (!path_.empty()) {
        file_ = std::fopen(path_.c_str(), "a");
        if (file_ == nullptr)
            throw std::runtime_error(fmt::format("control.log_file = {}: {}", path_, std::strerror(errno)));
    }
    if (syslog_)
        openlog("nat64d", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

EventLog::~EventLog()
{
    if (file_ != nullptr)
        std::fclose(file_);
    if (syslog_)
        closelog();
}

void EventLog::write(const std::string& line)
{
    if (file_ != nullptr) {
        std::fwrite(line.data(), 1, line.size(), file_);
        std::fputc('\n', file_);
    }
    if (syslog_)
        syslog(LOG_INFO, "%s", line.c_str());
}

void EventLog::flush()
{
    if (file_ != nullptr)
        std::fflush(file_);
}

std::string EventLog::retarget(const std::string& path, bool use_syslog)
{
    std::FILE* f = nullptr;
    if (!path.empty()) {
        f = std::fopen(path.c_str(), "a");
        if (f == nullptr)
            return fmt::format("control.log_file = {}: {}", path, std::strerror(errno));
    }
    if (file_ != nullptr)
        std::fclose(file_);
    file_ = f;
    path_ = path;
    if (use_syslog && !syslog_)
        openlog("nat64d", LOG_PID | LOG_NDELAY, LOG_DAEMON);
    else if (!use_syslog && syslog_)
        closelog();
    syslog_ = use_syslog;
    return {};
}

void EventLog::reopen()
{
    if (path_.empty())
        return;
    std::FILE* f = std::fopen(path_.c_str(), "a");
    if (f == nullptr)
        return;
    if (file_ != nullptr)
        std::fclose(file_);
    file_ = f;
}

} // namespace nat64d::ctl
