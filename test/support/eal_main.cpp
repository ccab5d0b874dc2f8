// The Catch2 runner for tests that need DPDK in process (rte_hash, rings,
// mbufs): EAL without hugepages, PCI or a shared config, so it runs anywhere
// as root, several at once. Workers that a test runs on threads of its own
// call rte_thread_register() first.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <cstdio>
#include <string>

#include <rte_eal.h>
#include <unistd.h>

int main(int argc, char** argv)
{
    const std::string prefix = "nat64d-unit-" + std::to_string(getpid());
    const char* eal[] = {argv[0],        "--no-huge",   "-m",        "512",         "--no-pci",
                         "--no-shconf",  "-l",          "0",         "--no-telemetry", "--file-prefix",
                         prefix.c_str(), "--log-level", "lib.eal:error"};
    if (rte_eal_init(static_cast<int>(std::size(eal)), const_cast<char**>(eal)) < 0) {
        std::fprintf(stderr, "%s: EAL init failed\n", argv[0]);
        return 1;
    }
    const int rc = Catch::Session().run(argc, argv);
    rte_eal_cleanup();
    return rc;
}
