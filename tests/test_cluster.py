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
from indexer.shards import read_layout
from indexer.store import read_meta, write_lock
from tests.conftest import fetch, run_cli, serving
from tests.test_shards import QUERIES, _in_process, _second_run, _ties_aside, corpus_files

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


# ``newsearch index --shard-size N --ray ADDRESS`` on the same cluster (issue 18): each shard is
# built in a Ray task, and the index answers as the one built in this process and as one index; a
# broken file is reported as in a local build; a task that fails changes nothing and says which
# shard and why. Here and not in a module of its own: Ray reads its token once per process, so a
# second cluster in the same test run cannot start.

BROKEN = '{"id": "kaputt", "title": "Ohne Ende'


def _index(index_dir, *args, ok=False):
    done = run_cli("index", *args, index_dir=index_dir, timeout=300)
    assert done.returncode == (0 if ok else 1), done.stderr  # 1: the broken file
    return done


@pytest.fixture(scope="module")
def built(cluster, tmp_path_factory):
    """One index, shards built here, shards built on Ray, from the same files plus a broken one;
    each with the second run of test_shards (backfills, a changed article) done without ``--full``."""
    root = tmp_path_factory.mktemp("raybuild")
    files = corpus_files(root)
    (files / "kaputt.json").write_text(BROKEN)
    dirs = {"one": root / "one", "here": root / "here", "ray": root / "ray"}
    runs = {"one": (), "here": ("--shard-size", "20"), "ray": ("--shard-size", "20", "--ray", cluster.address)}
    first = {name: _index(dirs[name], *runs[name], str(files)) for name in dirs}
    _second_run(files)
    again = {name: _index(dirs[name], *(("--ray", cluster.address) if name == "ray" else ()), str(files))
             for name in dirs}
    return dirs, files, first, again


def _errors(done) -> list[str]:
    return [line for line in done.stderr.splitlines() if line.startswith("Fehler:")]


def test_ray_build_reports_the_broken_file_as_a_local_build(built):
    dirs, files, first, again = built
    for runs in (first, again):
        assert _errors(runs["ray"]) == _errors(runs["here"]) == _errors(runs["one"])
        assert _errors(runs["ray"]) == [f"Fehler: {files / 'kaputt.json'}: {_errors(runs['ray'])[0].split(': ', 2)[2]}"]
        assert runs["ray"].stdout.replace(str(dirs["ray"]), "X") == runs["here"].stdout.replace(str(dirs["here"]), "X")
    assert "neu: 12, aktualisiert: 1" in again["ray"].stdout, again["ray"].stdout


def test_each_shard_is_written_by_a_ray_worker(built):
    """Each shard's lock names its last writer: a Ray worker process, not the command."""
    dirs = built[0]
    layout = read_layout(dirs["ray"])
    assert layout == read_layout(dirs["here"])
    for info in layout:
        holder = json.loads((dirs["ray"] / info.name / "write.lock").read_text())
        assert "default_worker.py" in holder["command"], holder
    assert "newsearch" in json.loads((dirs["here"] / "shard-000" / "write.lock").read_text())["command"]


def test_ray_built_shards_answer_as_shards_built_here_and_one_index(built):
    dirs = built[0]
    for args in QUERIES:
        on_ray = _in_process(dirs["ray"], *args)
        assert on_ray == _in_process(dirs["here"], *args), args
        assert _ties_aside(on_ray) == _ties_aside(_in_process(dirs["one"], *args)), args


def test_a_failed_task_leaves_its_shard_as_last_committed(built, cluster):
    """shard-001's lock is held here, so its task gives up after --wait 1: the run fails naming
    that shard and the holder; no shard changes (a full build swaps its shards in only when all
    are built: this one routes afresh, so its shards hold other days than the live ones), nor
    shards.json, and the index answers as before. The same command, once the lock is free, rebuilds
    it as a full build in this process does."""
    dirs, files = built[0], built[1]
    before = {args: _in_process(dirs["ray"], *args) for args in QUERIES}
    layout = read_layout(dirs["ray"])
    generation, other = (read_meta(dirs["ray"] / name)["generation"] for name in ("shard-001", "shard-000"))
    with write_lock(dirs["ray"] / "shard-001"):
        done = run_cli("index", "--full", "--wait", "1", "--ray", cluster.address, str(files),
                       index_dir=dirs["ray"], timeout=300)
    assert done.returncode == 1, done.stderr
    assert "Indexieren auf Ray fehlgeschlagen für shard-001: " in done.stderr, done.stderr
    assert f"wird gerade von Prozess {os.getpid()} " in done.stderr, done.stderr
    assert read_meta(dirs["ray"] / "shard-001")["generation"] == generation
    assert read_meta(dirs["ray"] / "shard-000")["generation"] == other  # swapped in only when all are done
    assert read_layout(dirs["ray"]) == layout
    assert {args: _in_process(dirs["ray"], *args) for args in QUERIES} == before
    _index(dirs["ray"], "--full", "--ray", cluster.address, str(files))
    assert read_meta(dirs["ray"] / "shard-001")["generation"] != generation
    assert read_layout(dirs["ray"]) != layout  # routed afresh: shards of 20 in date order
    assert [name for name in os.listdir(dirs["ray"]) if name.startswith(".full-")] == []
    here = dirs["here"].parent / "here-full"  # the same full build in this process (the first runs were incremental)
    _index(here, "--full", "--shard-size", "20", str(files))
    assert read_layout(dirs["ray"]) == read_layout(here)
    assert {args: _in_process(dirs["ray"], *args) for args in QUERIES} == {args: _in_process(here, *args) for args in QUERIES}
