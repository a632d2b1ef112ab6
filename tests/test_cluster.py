"""The time shards on a real Ray cluster of separate nodes on this machine
(``ray.cluster_utils.Cluster``), searched by ``newsearch serve --ray ADDRESS`` and the CLI with
``--ray`` (issue 18): the answers equal one index's; the actors sit on both nodes; after a shard
actor's process is killed, or its whole node is lost, the next queries are answered, the first
ones perhaps without that shard but with a German notice naming it, never with an error; with
``--replicas 2`` a replica that does not answer is not even noticed.

Few and slow on purpose: one cluster for the module (about 700 MB a node)."""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from indexer.shards import index_paths, read_layout
from search.cluster import ACTOR_PREFIX, NAMESPACE
from indexer.write import index_files
from search.query import build_request, open_searcher, run_query
from search.scatter import open_shards
from search.documents import similar_documents, similar_to_json
from search.results import result_to_json
from indexer.store import open_for_reading, read_meta, write_lock
from tests.conftest import fetch as fetch_quickly, run_cli, serving, write_jsonl
from tests.test_duplicates import SZ, TSP, ZEIT, _moved, folded, search
from tests.test_shards import QUERIES, _in_process, _second_run, _ties_aside, corpus_files

QUERY = "/api/search?q=Hafen+Streik&per_page=100"
# A request that meets a silent shard waits out its deadline (5 s) and maybe a replica's: more
# than conftest's 10 s on this shared machine under load (27 on 2 cores was seen).
PATIENCE = 60
NOTICE = "hat nicht rechtzeitig geantwortet"


@pytest.fixture(scope="module")
def cluster():
    """Head and one worker node. A second node joins only with token authentication set up
    alike on both (``RAY_AUTH_MODE``, ``RAY_AUTH_TOKEN_PATH``), which Ray reads when it is first
    imported: so it is imported here, after setting them; the CLI run as a subprocess inherits
    them. Sessions live in a short temporary directory (``RAY_TMPDIR``: Ray's socket paths must
    stay short, and /tmp/ray stays clean), removed afterwards with the token."""
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


@pytest.fixture(scope="module")
def expected(indexes) -> dict:
    """One index's answer to QUERY, ties aside."""
    with open_searcher(open_for_reading(indexes[0])) as searcher:
        return _ties_aside(result_to_json(run_query(searcher, build_request("Hafen Streik", per_page=100))))


def fetch(url: str) -> tuple[int, str, str]:
    return fetch_quickly(url, timeout=PATIENCE)


def _actors() -> dict[str, object]:
    """The shard actors alive now, by name (``shard:PID:DIRECTORY#REPLICA``)."""
    import ray

    return {name: ray.get_actor(name, namespace=NAMESPACE) for name in ray.util.list_named_actors()
            if name.startswith(ACTOR_PREFIX)}


def _nodes_of(actors: dict[str, object]) -> dict[str, str]:
    """Each actor's node id, by the shard directory's name and replica (``shard-001#0``)."""
    import ray

    return {name.rsplit("/", 1)[1]: ray.get(actor.node.remote(), timeout=60) for name, actor in actors.items()}


def _search_until_complete(base: str, expected: dict, limit: float = 120) -> list[dict]:
    """QUERY's answers, asked again and again until one equals ``expected``; each must be a 200."""
    answers, deadline = [], time.monotonic() + limit
    while not answers or _ties_aside(answers[-1]) != expected:
        status, _, body = fetch(base + QUERY)
        assert status == 200, body
        answers.append(json.loads(body))
        assert time.monotonic() < deadline, answers[-1]["messages"]
    return answers


def test_ray_shards_answer_as_one_index_and_survive_a_killed_actor(cluster, indexes, expected):
    import ray

    with serving(indexes[1], "--ray", cluster.address, wait=180) as base:
        status, _, body = fetch(base + QUERY)
        assert status == 200
        assert _ties_aside(json.loads(body)) == expected
        actors = _actors()
        # Shard after shard on node after node, on two nodes: two each, whatever Ray prefers.
        nodes = sorted(node["NodeID"] for node in ray.nodes() if node["Alive"])
        assert _nodes_of(actors) == {f"shard-{n:03d}#0": nodes[n % 2] for n in range(4)}
        os.kill(ray.get(next(iter(actors.values())).pid.remote()), signal.SIGKILL)
        answers = _search_until_complete(base, expected)
        for partial in answers[:-1]:  # answered without the killed shard: said so, in German
            assert partial["total"] <= expected["total"]
            assert any(NOTICE in m for m in partial["messages"]), partial["messages"]


def test_show_and_similar_through_the_actors(cluster, indexes, expected):
    """``show`` and ``similar`` with ``--ray`` (the CLI joining the cluster as a subprocess) and
    the served app's /api/document, /api/similar and article page print what they do in process.
    An article whose shard does not answer is a 503 saying so, not a 404."""
    import ray

    sharded = indexes[1]
    doc_id = expected["hits"][0]["id"]
    for command in (("show", doc_id, "--json"), ("similar", doc_id, "--json")):
        local = run_cli(*command, index_dir=sharded)
        assert local.returncode == 0, local.stderr
        assert json.loads(local.stdout)["id"] == doc_id
        remote = run_cli(*command, "--ray", cluster.address, index_dir=sharded, timeout=240)
        assert remote.returncode == 0, remote.stderr
        assert json.loads(remote.stdout) == json.loads(local.stdout)
    with serving(sharded, wait=60) as base:
        local = {path: fetch(base + path) for path in (f"/api/document/{doc_id}", f"/api/similar/{doc_id}")}
    with serving(sharded, "--ray", cluster.address, wait=180) as base:
        for path, (status, _, body) in local.items():
            assert status == 200
            assert fetch(base + path) == (200, "application/json", body)
        status, _, page = fetch(base + f"/artikel/{doc_id}?q=Hafen")
        assert status == 200, page
        assert json.loads(local[f"/api/document/{doc_id}"][2])["title"] in page
        assert "<mark>Hafen</mark>" in page
        # The shard holding it silent: not "no such document" but "not reachable now", naming it.
        with open_shards(sharded) as shards:
            holder = shards.stored(doc_id)[0].name
        actor = next(a for name, a in _actors().items() if name.endswith(f"/{holder}#0"))
        pid = ray.get(actor.pid.remote())
        os.kill(pid, signal.SIGSTOP)
        try:
            status, _, body = fetch(base + f"/api/document/{doc_id}")
        finally:
            os.kill(pid, signal.SIGCONT)
        assert status == 503
        assert json.loads(body)["error"].startswith(f"Das Dokument {doc_id!r} ist gerade nicht erreichbar; "
                                                    f"bitte gleich noch einmal versuchen. Der Indexabschnitt {holder} (")
        assert fetch(base + f"/api/document/{doc_id}") == (200, "application/json", local[f"/api/document/{doc_id}"][2])


def test_similar_without_a_silent_shard_names_it_as_a_search_does(cluster, indexes, expected):
    """"Ähnliche Artikel" while a shard that does not hold the article is silent (its actor
    stopped with SIGSTOP): /api/similar answers 200 with the others' documents and the search's
    German notice naming that shard in ``messages``; the article page shows the same notice in
    its "Ähnliche Artikel" box. Before, the list came without a word."""
    import ray

    sharded = indexes[1]
    doc_id = expected["hits"][0]["id"]
    with open_shards(sharded) as shards:
        holder = shards.stored(doc_id)[0].name
        local = similar_documents(shards, doc_id)
        where = {hit.id: shards.stored(hit.id)[0].name for hit in local}
    silent = next((where[hit.id] for hit in local if where[hit.id] != holder),
                  next(info.name for info in read_layout(sharded) if info.name != holder))
    days = next((info.first, info.last) for info in read_layout(sharded) if info.name == silent)
    notice = (f"Der Indexabschnitt {silent} ({days[0]} bis {days[1]}) hat nicht rechtzeitig geantwortet; "
              f"seine Treffer fehlen in diesem Ergebnis.")
    with serving(sharded, "--ray", cluster.address, wait=180) as base:
        status, _, body = fetch(base + f"/api/similar/{doc_id}")
        assert status == 200, body
        assert json.loads(body) == {**similar_to_json(doc_id, local), "messages": []}
        actor = next(a for name, a in _actors().items() if name.endswith(f"/{silent}#0"))
        pid = ray.get(actor.pid.remote())
        os.kill(pid, signal.SIGSTOP)
        try:
            status, _, body = fetch(base + f"/api/similar/{doc_id}")
            page_status, _, page = fetch(base + f"/artikel/{doc_id}")
        finally:
            os.kill(pid, signal.SIGCONT)
    assert status == 200, body
    answer = json.loads(body)
    assert answer["messages"] == [notice]
    assert [hit["id"] for hit in answer["hits"] if where.get(hit["id"]) == silent] == []
    assert page_status == 200, page
    box = re.search(r'<section class="similar".*?</section>', page, re.S).group(0)
    assert f"<p>{notice}</p>" in box, box


def test_a_replica_that_does_not_answer_goes_unnoticed(cluster, indexes, expected):
    """``--replicas 2``: each shard's actors on both nodes. A replica stopped (SIGSTOP: alive but
    silent, so Ray cannot start it again) or killed (SIGKILL) is passed over for the other within
    the deadline: complete answers, no notice."""
    import ray

    with serving(indexes[1], "--ray", cluster.address, "--replicas", "2", wait=180) as base:
        where = _nodes_of(_actors())
        assert len(where) == 8
        assert all(where[f"shard-{n:03d}#0"] != where[f"shard-{n:03d}#1"] for n in range(4))
        actors = _actors()
        stopped = ray.get(actors[next(n for n in actors if n.endswith("shard-000#0"))].pid.remote())
        killed = ray.get(actors[next(n for n in actors if n.endswith("shard-001#0"))].pid.remote())
        os.kill(stopped, signal.SIGSTOP)
        os.kill(killed, signal.SIGKILL)
        try:
            for _ in range(3):
                status, _, body = fetch(base + QUERY)
                assert status == 200, body
                answer = json.loads(body)
                assert answer["messages"] == []
                assert _ties_aside(answer) == expected
        finally:
            os.kill(stopped, signal.SIGCONT)


def test_a_lost_node_is_noticed_and_its_shards_come_back(cluster, indexes, expected):
    """A third node joins, takes the shards it is given and is removed (``Cluster.remove_node``,
    its processes gone as in a power cut). Every answer after it is a 200 within the deadline:
    without those shards and naming them, until their actors run on the nodes still alive, then
    complete again. (The module's two nodes stay for the other tests.)"""
    import ray

    doomed = cluster.add_node(num_cpus=1)
    cluster.wait_for_nodes()
    try:
        with serving(indexes[1], "--ray", cluster.address, wait=180) as base:
            assert _ties_aside(json.loads(fetch(base + QUERY)[2])) == expected
            nodes = sorted(node["NodeID"] for node in ray.nodes() if node["Alive"])
            where = _nodes_of(_actors())
            assert where == {f"shard-{n:03d}#0": nodes[n % 3] for n in range(4)}
            lost = sorted(name.split("#")[0] for name, node in where.items() if node == doomed.node_id)
            assert lost  # one or two of the four, by where the new node's id sorts
            cluster.remove_node(doomed)
            removed = time.monotonic()
            answers = _search_until_complete(base, expected)
            print(f"complete again {time.monotonic() - removed:.2f} s after the node was removed, "
                  f"{len(answers) - 1} answers without {', '.join(lost)}")
            for partial in answers[:-1]:
                named = sorted(name for name in lost for m in partial["messages"] if name in m)
                assert named and all(NOTICE in m for m in partial["messages"]), partial["messages"]
                assert set(named) <= set(lost)
            alive = {node["NodeID"] for node in ray.nodes() if node["Alive"]}
            assert set(_nodes_of(_actors()).values()) <= alive
    finally:
        if doomed in cluster.worker_nodes:
            cluster.remove_node(doomed)


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


def test_a_local_ray_says_nothing_in_english(indexes, tmp_path):
    """``query --ray local`` as a user runs it, with no Ray settings of their own: the answer is the
    one searched in process, and Ray's English notice that it turned token authentication on
    ("Token authentication is enabled for this Ray cluster. Set RAY_AUTH_MODE=disabled …") does
    not reach stderr (indexer/ray_session.py). Its own HOME and RAY_TMPDIR, so that the token Ray
    writes and its session files go with the test's directories, not into ~/.ray or /tmp/ray, and
    it starts a Ray of its own beside the module's cluster."""
    temp = Path(tempfile.mkdtemp(prefix="nsloc-", dir="/tmp"))  # Ray's socket paths must stay short
    env = {name: value for name, value in os.environ.items() if not name.startswith("RAY_")}
    env.update(HOME=str(tmp_path), RAY_TMPDIR=str(temp), PYTHONIOENCODING="utf-8")
    try:
        done = subprocess.run([sys.executable, "-m", "newsearch", "--index-dir", str(indexes[1]), "query", "Hafen Streik",
                               "--ray", "local"], capture_output=True, text=True, timeout=300, env=env)
    finally:
        shutil.rmtree(temp, ignore_errors=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout == run_cli("query", "Hafen Streik", index_dir=indexes[1]).stdout
    assert (tmp_path / ".ray" / "auth_token").exists()  # Ray did turn token authentication on
    assert [line for line in done.stderr.splitlines() if "Token authentication" in line or "RAY_AUTH_MODE" in line] == []


def test_a_full_build_on_ray_folds_a_story_across_shard_boundaries_as_a_build_here(cluster, tmp_path):
    """The Mosel copies on three days, a day to a shard (``--shard-size 1``), built at once by
    ``index --full --ray``: its tasks see no other shard, so before, the story stayed three hits;
    the pass after them (indexer/boundaries.py) gives the groups of the build here, so searches,
    "more like this" and the stored copies answer alike, down to the scores."""
    days = {"mosel-tsp": "2026-02-07 09:40:00", "mosel-zeit": "2026-02-08 10:15:00", "freiburg-busse": "2026-02-08 11:00:00",
            "mz-saalebruecke": "2026-02-07 20:00:00", "mosel-sz": "2026-02-09 12:05:00"}
    files = tmp_path / "in"
    files.mkdir()
    write_jsonl(files / "a.jsonl", _moved("agentur.jsonl", days) + _moved("mz-saalebruecke.jsonl", days))
    write_jsonl(files / "b.jsonl", _moved("spaet.jsonl", days))
    here, on_ray = tmp_path / "here", tmp_path / "ray"
    _index(here, "--full", "--shard-size", "1", str(files), ok=True)
    _index(on_ray, "--full", "--shard-size", "1", "--ray", cluster.address, str(files), ok=True)
    assert [s.count for s in read_layout(on_ray)] == [s.count for s in read_layout(here)] == [2, 2, 1]
    mosel = search(on_ray, "Mosel")
    assert (mosel["total"], folded(mosel)) == (1, [(ZEIT[0], [TSP[0], SZ[0]])])
    for args in (("Mosel",), ("",), ("", "--sort", "oldest"), ("Mosel", "--no-collapse"), ("Hochwasser Cochem",)):
        assert search(on_ray, *args) == search(here, *args), args
    for command in (("show", ZEIT[0], "--json"), ("similar", TSP[0], "--json")):
        assert run_cli(*command, index_dir=on_ray).stdout == run_cli(*command, index_dir=here).stdout
