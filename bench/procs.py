"""The live processes as /proc shows them, for benchmarks that watch a command's process tree.

Linux only, as the benchmarks are: the build processes of ``index --full`` and the orphans a
``kill -9`` leaves are found here, by parent and by process group.
"""
from __future__ import annotations

import resource
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Process:
    pid: int
    state: str  # "Z" for a zombie: ended, not yet reaped
    ppid: int
    pgid: int
    rss_bytes: int


def processes() -> list[Process]:
    """Every process now; those that end while being read are left out."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            statm = (entry / "statm").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()  # the command name may hold spaces and ")"
        rss = int(statm.split()[1]) * resource.getpagesize()
        found.append(Process(int(entry.name), fields[0], int(fields[1]), int(fields[2]), rss))
    return found


def tree_rss_mb(root: int) -> float:
    """Resident memory of ``root`` and all its descendants now, in MiB."""
    table = processes()
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += sum(p.rss_bytes for p in table if p.pid == pid)
        todo += [p.pid for p in table if p.ppid == pid]
    return total / 2**20


def alive_in_group(pgid: int) -> int:
    """How many processes of process group ``pgid`` still run (zombies not counted)."""
    return sum(p.pgid == pgid and p.state != "Z" for p in processes())
