"""What a run has started, seen from outside through /proc: its processes and its listening sockets.

The tests that kill runs must find leftovers without trusting the harness's own bookkeeping, so a
`RunWatch` samples, while the run is alive, (1) the process tree under the run's PID (by parent PID,
so a gateway in its own session still counts), (2) every process carrying the test's own environment
cookie (inherited by every descendant, so a process that double-forked out of the tree still counts)
and (3) the listening TCP sockets those processes hold (/proc/net/tcp and tcp6, state LISTEN, matched
to the processes by socket inode: the gateway's port on 127.0.0.1, the fake workers on the run's
127.x.y.0/24 block). After the run, a process is left over if it is still alive (same PID *and* same
start time, so a reused PID is not mistaken for it) or carries the cookie; a socket is left over if
the same inode is still listening.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

from fixtures.lifetime.reaper import tagged_pids

COOKIE_VAR = "SGL_CHAOS_TRIAL"
_SOCKET_RE = re.compile(r"^socket:\[(\d+)\]$")


def start_time(pid: int) -> int | None:
    """The process's start time in clock ticks since boot (field 22 of /proc/PID/stat), None if gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            stat = handle.read()
    except OSError:
        return None
    fields = stat[stat.rindex(b")") + 2 :].split()  # after "pid (comm) "
    if fields[0] == b"Z":  # a zombie holds nothing: it is only waiting for its parent to reap it
        return None
    return int(fields[19])


def command(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            argv = [a.decode(errors="replace") for a in handle.read().split(b"\0") if a]
    except OSError:
        return "?"
    return " ".join(" ".join(argv).split())[:120]


def _parents() -> dict[int, int]:
    out = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:
            continue
        out[int(name)] = int(stat[stat.rindex(b")") + 2 :].split()[1])
    return out


def _children(pid: int) -> list[int] | None:
    """`pid`'s children from /proc/PID/task/*/children (cheap: no scan of every process); None when the
    kernel does not offer that file."""
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return []  # gone
    out: list[int] = []
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/children") as handle:
                out += [int(p) for p in handle.read().split()]
        except FileNotFoundError:
            if not os.path.exists(f"/proc/{pid}/task/{tid}"):
                continue  # the thread ended
            return None
        except OSError:
            continue
    return out


def descendants(root: int) -> set[int]:
    """Every process below `root` in the process tree (not `root` itself)."""
    found: set[int] = set()
    todo = [root]
    while todo:
        kids = _children(todo.pop())
        if kids is None:
            return _descendants_by_scan(root)
        for child in kids:
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _descendants_by_scan(root: int) -> set[int]:
    """descendants() from every process's parent (reads all of /proc: the fallback)."""
    children: dict[int, list[int]] = {}
    for pid, ppid in _parents().items():
        children.setdefault(ppid, []).append(pid)
    found, todo = set(), [root]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def listening() -> dict[int, str]:
    """inode -> "address:port" of every listening TCP socket on this machine (v4 and v6)."""
    out = {}
    for path in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(path) as handle:
                lines = handle.readlines()[1:]
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            if len(parts) > 9 and parts[3] == "0A":  # TCP_LISTEN
                out[int(parts[9])] = _address(parts[1])
    return out


def _address(hex_addr: str) -> str:
    ip, port = hex_addr.split(":")
    if len(ip) == 8:
        octets = bytes.fromhex(ip)[::-1]
        return f"{'.'.join(str(b) for b in octets)}:{int(port, 16)}"
    return f"[{ip}]:{int(port, 16)}"


def socket_inodes(pid: int) -> set[int]:
    inodes: set[int] = set()
    try:
        names = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return inodes
    for name in names:
        try:
            match = _SOCKET_RE.match(os.readlink(f"/proc/{pid}/fd/{name}"))
        except OSError:
            continue
        if match:
            inodes.add(int(match.group(1)))
    return inodes


@dataclass
class RunWatch:
    """Everything one run (root PID + cookie) was seen to start; `leftovers()` after it ended."""

    root: int
    cookie: str
    processes: dict[int, tuple[int, str]] = field(default_factory=dict)  # pid -> (start time, command)
    sockets: dict[int, str] = field(default_factory=dict)  # inode -> address

    def members(self, *, cookie: bool = True) -> set[int]:
        """The run's processes now: the root (the API server and workers are its threads), the tree
        below it, and (unless `cookie` is False: it reads every process's environment) every cookie
        carrier."""
        found = {self.root} | descendants(self.root)
        return found | set(tagged_pids(self.cookie, var=COOKIE_VAR)) if cookie else found

    def sample(self, *, cookie: bool = True) -> None:
        inodes: set[int] = set()
        for pid in self.members(cookie=cookie):
            started = start_time(pid)
            if started is None:
                continue
            self.processes.setdefault(pid, (started, command(pid)))
            inodes |= socket_inodes(pid)
        if inodes:  # the machine's socket table only when the run holds sockets (it can be long)
            listen = listening()
            for inode in inodes & set(listen):
                self.sockets.setdefault(inode, listen[inode])

    def alive(self) -> dict[int, str]:
        """Processes of the run still running: seen ones with the same start time, or cookie carriers."""
        out = {pid: cmd for pid, (started, cmd) in self.processes.items() if start_time(pid) == started}
        for pid in tagged_pids(self.cookie, var=COOKIE_VAR):
            if start_time(pid) is not None:
                out.setdefault(pid, command(pid))
        return out

    def open_sockets(self) -> dict[int, str]:
        listen = listening()
        return {inode: addr for inode, addr in self.sockets.items() if inode in listen}

    def leftovers(self) -> list[str]:
        procs = [f"process {pid} ({cmd})" for pid, cmd in sorted(self.alive().items())]
        socks = [
            f"listening socket {addr} (inode {inode})" for inode, addr in sorted(self.open_sockets().items())
        ]
        return procs + socks

    def started_anything(self) -> bool:
        """Whether any process besides the root, or any listening socket, was ever seen."""
        return any(pid != self.root for pid in self.processes) or bool(self.sockets)
