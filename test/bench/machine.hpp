// What every benchmark prints first: the machine, the cores, the date, so a
// figure is never read without its context.
#pragma once
#include <cstdio>
#include <ctime>
#include <fstream>
#include <string>
#include <thread>

namespace nat64d::bench {

inline std::string cpu_model()
{
    std::ifstream in("/proc/cpuinfo");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("model name", 0) == 0)
            return line.substr(line.find(':') + 2);
    return "unknown";
}

inline void print_machine(const char* what)
{
    char date[32];
    const std::time_t t = std::time(nullptr);
    std::strftime(date, sizeof date, "%Y-%m-%d %H:%M UTC", std::gmtime(&t));
    std::printf("# %s\n# machine: %s, %u cores, %s\n", what, cpu_model().c_str(),
                std::thread::hardware_concurrency(), date);
}

} // namespace nat64d::bench
