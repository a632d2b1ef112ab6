"""The time shards on a real two-node Ray cluster on this machine (``ray.cluster_utils.Cluster``),
searched by ``newsearch serve --ray ADDRESS`` (issue 18): the answers equal one index's, and
after a shard actor's process is killed the next queries are answered, the first ones perhaps
without that shard but with a German notice naming it, never with an error.

Few and slow on purpose: one cluster for the module (about 700 MB a node)."""
from __future__ import annotations

import json
import os
import shutil
import signal
import tempfile
import time
from pathlib import Path

import pytest

from indexer.shards import index_paths
from search.cluster import ACTOR_PREFIX, NAMESPACE
from indexer.write import index_files
from search.query import build_request, open_searcher, run_query
from search.results import result_to_json
from indexer.store import open_for_reading
from tests.conftest import fetch, serving
from tests.test_shards import _ties_aside, corpus_files

QUERY = "/api/search?q=Hafen+Streik&per_page=100"


@pytest.fixture(scope="module")
def cluster():
    """Head and one worker node. A second node joins only with token authentication set up
    alike on both (``RAY_AUTH_MODE``, ``RAY_AUTH_TOKEN_PATH``), which Ray reads when it is first
    imported: so it is imported here, after setting them. Sessions live in a short temporary
    directory (``RAY_TMPDIR``: Ray's socket paths must stay short, and /tmp/ray stays clean),
    removed afterwards with the token."""
    temp = Path(tempfile.mkdtemp(prefix="nsray-", dir="/tmp"))
    token = temp / "token"
    token.write_text(os.urandom(16).hex())
    saved = {name: os.environ.get(name) for name in ("RAY_AUTH_MODE", "RAY_AUTH_TOKEN_PATH", "RAY_TMPDIR")}
    os.environ.update(RAY_AUTH_MODE="token", RAY_AUTH_TOKEN_PATH=str(token), RAY_TMPDIR=str(temp))
    import ray
    from ray.cluster_utils import Cluster

    started = Cluster(initialize_head=True, head_node_args={"num_cpus": 2})
    try:
        started.add_node(num_cpus=2)
        started.wait_for_nodes()
        ray.init(address=started.address, namespace=NAMESPACE)
        yield started
    finally:
        import ray

        ray.shutdown()
        started.shutdown()
        shutil.rmtree(temp, ignore_errors=True)
        for name, value in saved.items():
            os.environ.pop(name) if value is None else os.environ.update({name: value})


@pytest.fixture(scope="module")
def indexes(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("cluster")
    files = corpus_files(root)
    index_files([files], root / "one")
    index_paths([files], root / "sharded", shard_size=20)
    return root / "one", root / "sharded"


def _one_index(index_dir: Path, text: str) -> dict:
    with open_searcher(open_for_reading(index_dir)) as searcher:
        return result_to_json(run_query(searcher, build_request(text, per_page=100)))


def test_ray_shards_answer_as_one_index_and_survive_a_killed_actor(cluster, indexes):
    import ray

    one, sharded = indexes
    expected = _ties_aside(_one_index(one, "Hafen Streik"))
    with serving(sharded, "--ray", cluster.address, wait=180) as base:
        status, _, body = fetch(base + QUERY)
        assert status == 200
        assert _ties_aside(json.loads(body)) == expected
        actors = [ray.get_actor(name, namespace=NAMESPACE) for name in ray.util.list_named_actors()
                  if name.startswith(ACTOR_PREFIX)]
        assert len(actors) == 4
        assert len({ray.get(actor.node.remote()) for actor in actors}) == 2  # spread over both nodes
        os.kill(ray.get(actors[0].pid.remote()), signal.SIGKILL)
        answers, deadline = [], time.monotonic() + 120
        while not answers or _ties_aside(answers[-1]) != expected:
            status, _, body = fetch(base + QUERY)
            assert status == 200, body
            answers.append(json.loads(body))
            assert time.monotonic() < deadline, answers[-1]["messages"]
        for partial in answers[:-1]:  # answered without the killed shard: said so, in German
            assert partial["total"] <= expected["total"]
            assert any("hat nicht rechtzeitig geantwortet" in m for m in partial["messages"]), partial["messages"]
