"""Stops one thread of a process (ptrace: PTRACE_SEIZE + PTRACE_INTERRUPT
stop that thread only) until this tool gets SIGTERM, then lets it go on.
What a worker lcore that stops polling while its process lives looks like."""
import ctypes
import os
import signal
import sys

PTRACE_DETACH = 17
PTRACE_SEIZE = 0x4206
PTRACE_INTERRUPT = 0x4207
WALL = 0x40000000

libc = ctypes.CDLL(None, use_errno=True)
libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
libc.ptrace.restype = ctypes.c_long


def main():
    tid = int(sys.argv[1])
    if libc.ptrace(PTRACE_SEIZE, tid, None, None) != 0 or libc.ptrace(PTRACE_INTERRUPT, tid, None, None) != 0:
        print(f"ptrace: {os.strerror(ctypes.get_errno())}", flush=True)
        return 1
    os.waitpid(tid, WALL)
    print(f"thread {tid} stopped", flush=True)
    done = []
    signal.signal(signal.SIGTERM, lambda *_: done.append(1))
    while not done:
        signal.pause()
    libc.ptrace(PTRACE_DETACH, tid, None, None)
    print(f"thread {tid} goes on", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
