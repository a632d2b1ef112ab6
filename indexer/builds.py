"""The build processes of a bulk build and the protocol between them and the writer.

Each build process is a fresh interpreter that reads jobs (ranges of the spool) on its stdin and
writes the segments they make (``indexer.segment``); see ``BuildProcesses``.
"""
from __future__ import annotations

import contextlib
import gc
import os
import pickle
import select
import shutil
import signal
import subprocess
import sys
import traceback
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from whoosh.codec.whoosh3 import W3Segment
from whoosh.filedb.filestore import FileStorage

from indexer.errors import BulkWriteError
from indexer.fused import Vocabulary
from indexer.segment import SegmentBuilder

_PROJECT_ROOT = Path(__file__).resolve().parent.parent  # where a build process imports indexer from


@dataclass(frozen=True, slots=True)
class BuildJob:
    """Segments to build: spool numbers ``start`` to ``stop`` (read from ``offset``), minus ``deleted``."""

    schema: object
    folder: str
    indexname: str
    spool: str
    offset: int
    start: int
    stop: int
    deleted: frozenset[int]
    max_postings: int


class SegmentBuilds:
    """The segments one process builds from the jobs it is given, in the order given.

    Documents of consecutive jobs go into the same segment until it holds ``max_postings``
    tokens and postings: that bounds the process's memory whatever the number of documents,
    and keeps segments large however small the jobs. Each segment is returned with the spool
    numbers of its documents, in its document order.
    """

    def __init__(self):
        self.done: list[tuple[object, list[int]]] = []
        self.builder: SegmentBuilder | None = None
        self.numbers: list[int] = []
        self.scratch: Path | None = None
        self.folder: str | None = None
        self.vocabulary = Vocabulary()  # terms numbered once for all segments of this build

    def add(self, job: BuildJob) -> None:
        self.folder = job.folder
        with open(job.spool, "rb") as spool:
            spool.seek(job.offset)
            for number in range(job.start, job.stop):
                fields = pickle.load(spool)
                if number in job.deleted:
                    continue
                if self.builder is None:
                    self.scratch = Path(job.folder) / f"bulk-{os.getpid()}-{number}.tmp"
                    self.builder = SegmentBuilder(job.schema, FileStorage(str(self.scratch)).create(), job.indexname,
                                                   self.vocabulary)
                self.builder.add_document(fields)
                self.numbers.append(number)
                if self.builder.posting_count >= job.max_postings:
                    self._finish()

    def close(self) -> list[tuple[object, list[int]]]:
        if self.builder is not None:
            self._finish()
        return self.done

    def _finish(self) -> None:
        segment = self.builder.finish()
        name = segment.make_filename(W3Segment.COMPOUND_EXT)
        os.replace(self.scratch / name, Path(self.folder) / name)
        shutil.rmtree(self.scratch, ignore_errors=True)
        self.done.append((segment, self.numbers))
        self.builder, self.numbers = None, []
        gc.collect()  # the finished builder's objects are garbage now; free them before the next

    def discard(self) -> None:
        """After a failure: remove what was written."""
        for segment, _ in self.done:
            _remove_segment(self.folder, segment)
        if self.folder is not None:
            for scratch in Path(self.folder).glob(f"bulk-{os.getpid()}-*.tmp"):
                shutil.rmtree(scratch, ignore_errors=True)


def _remove_segment(folder: str, segment) -> None:
    (Path(folder) / segment.make_filename(W3Segment.COMPOUND_EXT)).unlink(missing_ok=True)


def build_segments(jobs: Iterable[BuildJob]) -> list[tuple[object, list[int]]]:
    """Build ``jobs`` in this process: see ``SegmentBuilds``."""
    enabled = gc.isenabled()
    gc.disable()  # millions of small objects: the cyclic collector would rescan them over and over
    builds = SegmentBuilds()
    try:
        for job in jobs:
            builds.add(job)
        return builds.close()
    except BaseException:
        builds.discard()
        raise
    finally:
        if enabled:
            gc.enable()


class BuildProcesses:
    """Build processes, each a fresh interpreter, that pull jobs as they become free.

    A job goes down a process's stdin (pickled) when the process has nothing left to do, so all
    of them finish within about one job of each other however the work is spread over the jobs.
    A process answers ``+`` on its stdout for each job it has read in; when its stdin closes it
    finishes its last segment and writes ``=`` and ``("ok", [(segment, spool numbers), ...])`` or
    ``("error", traceback)`` pickled. Fresh interpreters, not ``fork``: a forked child counts the
    parent's whole heap in its resident size. Plain subprocesses, not ``multiprocessing``'s
    spawn: that re-runs the caller's main script in the child, which breaks any script without a
    ``__main__`` guard.
    """

    def __init__(self, count: int):
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, (str(_PROJECT_ROOT), env.get("PYTHONPATH"))))
        self.procs: list[subprocess.Popen] = []
        self.jobs: list[list[BuildJob]] = [[] for _ in range(count)]
        self.busy = [0] * count  # jobs sent and not yet answered, per process
        self.out = [bytearray() for _ in range(count)]
        self.waiting: deque[BuildJob] = deque()
        try:
            for _ in range(count):
                self.procs.append(subprocess.Popen(
                    [sys.executable, "-c", "from indexer.builds import worker_main; worker_main()"],
                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                    preexec_fn=_die_with_parent,
                ))
        except BaseException:
            self.kill()
            raise

    def send(self, job: BuildJob) -> None:
        self.waiting.append(job)
        self._dispatch(0)

    def _dispatch(self, timeout: float | None) -> None:
        """Read the answers that are there (waiting up to ``timeout`` for one), then give each idle
        process the next waiting job."""
        listening = {self.procs[k].stdout.fileno(): k for k in range(len(self.procs)) if self.busy[k]}
        if listening:
            ready, _, _ = select.select(list(listening), [], [], timeout)
            for fd in ready:
                k = listening[fd]
                data = os.read(fd, 1 << 16)
                if not data:  # the process ended early: finish() reports why
                    self.busy[k] = 0
                    self.procs[k].stdin.close()
                    continue
                head = data.split(b"=", 1)[0]
                self.busy[k] -= len(head)
                if len(head) < len(data):  # the process stopped early (an error): no more jobs for it
                    self.out[k] += data[len(head):]
                    self.busy[k] = 0
                    self.procs[k].stdin.close()
        for k, proc in enumerate(self.procs):
            if self.waiting and not self.busy[k] and not proc.stdin.closed:
                job = self.waiting.popleft()
                self.jobs[k].append(job)
                self.busy[k] += 1
                try:
                    pickle.dump(job, proc.stdin, protocol=pickle.HIGHEST_PROTOCOL)
                    proc.stdin.flush()
                except BrokenPipeError:
                    proc.stdin.close()
                    self.busy[k] = 0

    def finish(self) -> list[tuple[object, list[int]]]:
        """Wait until every job is built; returns the segments with their spool numbers, in spool order."""
        while any(self.busy) or (self.waiting and not all(proc.stdin.closed for proc in self.procs)):
            self._dispatch(None)
        built, failures = [], []
        for k, proc in enumerate(self.procs):
            with contextlib.suppress(BrokenPipeError):
                proc.stdin.close()
            proc.stdin = None  # closed here: communicate() must not flush it
            out, err = proc.communicate()
            out = bytes(self.out[k]) + out
            try:
                status, payload = pickle.loads(out[out.index(b"=") + 1:])
            except (pickle.UnpicklingError, EOFError, ValueError):
                status, payload = "error", f"exit code {proc.returncode}: {err.decode(errors='replace')[-4000:]}"
            if status == "ok" and proc.returncode == 0:
                built += payload
            elif self.jobs[k]:
                failures.append(f"documents {self.jobs[k][0].start}–{self.jobs[k][-1].stop - 1}: {payload}")
            else:
                failures.append(str(payload))
        if failures:
            folder = next(job.folder for jobs in self.jobs for job in jobs)
            for segment, _ in built:
                _remove_segment(folder, segment)
            raise BulkWriteError("bulk writing failed for " + "\n".join(failures))
        return sorted(built, key=lambda pair: pair[1][0])

    def kill(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def _die_with_parent() -> None:
    """In the build process before it starts: have Linux kill it when the indexer dies (``kill -9``
    of ``newsearch index --full``), instead of building a segment nobody will use."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # not Linux: the process ends on its own once its segment is written


def worker_main() -> None:
    """Entry point of a build process: see ``BuildProcesses``."""
    try:
        result = ("ok", build_segments(_jobs_from_stdin()))
    except BaseException:
        result = ("error", traceback.format_exc())
    sys.stdout.buffer.write(b"=" + pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
    sys.stdout.buffer.flush()
    if result[0] != "ok":
        sys.exit(1)


def _jobs_from_stdin():
    """The jobs the parent sends, until it closes stdin; answers ``+`` once a job is read in
    (when the next one is asked for)."""
    while True:
        try:
            job = pickle.load(sys.stdin.buffer)
        except EOFError:
            return
        yield job
        sys.stdout.buffer.write(b"+")
        sys.stdout.buffer.flush()
