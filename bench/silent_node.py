"""How long searches on Ray lack the shards of a node gone silent (docs/scale-out.md).

A two-node ``ray.cluster_utils.Cluster`` on this machine, the test corpus of four time shards,
``open_ray_shards`` as ``serve --ray`` opens them. Then the worker node's raylet and its workers
are stopped (SIGSTOP: a hung machine or a cut cable, not a clean exit, so Ray learns of it only
from failed health checks) and "Hafen Streik" is searched again and again until the answer is
complete. Prints one line per search: seconds since the stop, how long the search took, its
total, how many shards it missed. Ray's health check settings come from the environment
(``RAY_health_check_period_ms``, ``RAY_health_check_timeout_ms``,
``RAY_health_check_failure_threshold``).

    .venv/bin/python -m bench.silent_node
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

LIMIT_SECONDS = 300


def _tree(pid: int) -> list[int]:
    children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    return [pid] + [grandchild for child in children for grandchild in _tree(int(child))]


def main() -> None:
    temp = Path(tempfile.mkdtemp(prefix="nsray-", dir="/tmp"))
    (temp / "token").write_text(os.urandom(16).hex())
    os.environ.update(RAY_AUTH_MODE="token", RAY_AUTH_TOKEN_PATH=str(temp / "token"), RAY_TMPDIR=str(temp))
    import ray
    from ray.cluster_utils import Cluster

    from indexer.shards import index_paths
    from search.cluster import NAMESPACE, open_ray_shards
    from search.query import build_request, run_query
    from search.scatter import Shards
    from tests.test_shards import corpus_files

    index_paths([corpus_files(temp)], temp / "sharded", shard_size=20)
    cluster, stopped = Cluster(initialize_head=True, head_node_args={"num_cpus": 2}), []
    try:
        worker = cluster.add_node(num_cpus=2)
        cluster.wait_for_nodes()
        ray.init(address=cluster.address, namespace=NAMESPACE)
        opened = open_ray_shards(temp / "sharded", cluster.address)
        request = build_request("Hafen Streik", per_page=100)
        full = run_query(opened, request).total
        for pid in _tree(worker.all_processes["raylet"][0].process.pid):
            os.kill(pid, signal.SIGSTOP)
            stopped.append(pid)
        since = time.monotonic()
        while time.monotonic() - since < LIMIT_SECONDS:
            shards, began = Shards(opened.shards, opened.days), time.monotonic()
            total = run_query(shards, request).total
            print(f"{time.monotonic() - since:6.1f} s  took {time.monotonic() - began:4.1f} s  "
                  f"total {total}/{full}  missing {len(shards.missing)}", flush=True)
            if total == full and not shards.missing:
                break
    finally:
        for pid in stopped:
            os.kill(pid, signal.SIGCONT)
        ray.shutdown()
        cluster.shutdown()
        shutil.rmtree(temp, ignore_errors=True)


if __name__ == "__main__":
    main()
