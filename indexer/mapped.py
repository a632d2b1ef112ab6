"""Reading an index's files as memory maps, without copying them.

A search reads a segment in many small pieces: a term table lookup is a hash, a bucket and a few
keys; a posting list is a block header and its data. Through a file handle each piece is a
``seek`` and a ``read`` through three layers of Python (Whoosh's ``StructFile``, its compound
``SubFile``, the buffered reader): about 3,000 of them per search over a 12-segment index, a sixth
of a search whose words were not read before. Whoosh's own mmap support is no help: it copies
every sub-file of a compound segment out of the map into a ``BytesIO`` when a reader opens
(~300 ms and the index's size in memory per searcher over the FANG index).

``MappedStorage`` maps each file once and hands out ``MappedFile``s: Whoosh's ``BufferFile``
(whose ``get`` already slices the buffer) over a ``memoryview``, with a reader that slices too,
and a ``subset`` that is a view of the same map. Whoosh's compound storage uses ``subset`` for
its sub-files when it is not mapping itself, so nothing is copied but the bytes asked for, and
the pages are the kernel's page cache, shared by every process serving the index.
"""
from __future__ import annotations

import mmap
import os

from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.structfile import BufferFile


class _View:
    """The file interface ``StructFile`` and ``pickle.load`` use, over a memoryview."""

    __slots__ = ("_buf", "_pos")

    def __init__(self, buf: memoryview):
        self._buf = buf
        self._pos = 0

    def read(self, size: int | None = -1) -> bytes:
        start = self._pos
        end = len(self._buf) if size is None or size < 0 else min(start + size, len(self._buf))
        if end <= start:
            return b""
        self._pos = end
        return self._buf[start:end].tobytes()

    def readinto(self, target) -> int:
        data = self.read(len(target))
        target[: len(data)] = data
        return len(data)

    def readline(self, size: int | None = -1) -> bytes:
        start, buf = self._pos, self._buf
        end = len(buf) if size is None or size < 0 else min(start + size, len(buf))
        at = start
        while at < end:  # pickles Whoosh writes hardly ever ask: protocol 2 is binary
            chunk = buf[at:min(at + 256, end)].tobytes()
            newline = chunk.find(b"\n")
            if newline >= 0:
                end = at + newline + 1
                break
            at += len(chunk)
        return self.read(end - start)

    def seek(self, where: int, whence: int = 0) -> int:
        if whence == 1:
            where += self._pos
        elif whence == 2:
            where += len(self._buf)
        self._pos = max(0, where)
        return self._pos

    def tell(self) -> int:
        return self._pos

    def close(self) -> None:
        pass


class MappedFile(BufferFile):
    """A ``BufferFile`` that shares its buffer instead of copying it into a ``BytesIO``."""

    def __init__(self, buf: memoryview, name: str | None = None, onclose=None):
        self._buf = buf
        self._name = name
        self.file = _View(buf)
        self.onclose = onclose
        self.is_real = False
        self.is_closed = False

    def subset(self, position: int, length: int, name: str | None = None) -> "MappedFile":
        return MappedFile(self._buf[position:position + length], name=name or self._name)


class MappedStorage(FileStorage):
    """A read-only ``FileStorage`` whose files are read through memory maps (see the module docstring).

    The map of a file lives as long as a view of it does: closing a reader drops its views and
    the kernel unmaps the file; a generation replaced by ``index --full`` stays readable until then.
    """

    def __init__(self, path: str):
        super().__init__(path, supports_mmap=False, readonly=True)

    def open_file(self, name: str, **kwargs):
        with open(self._fpath(name), "rb") as fh:
            if os.fstat(fh.fileno()).st_size == 0:  # an empty file cannot be mapped
                return MappedFile(memoryview(b""), name=name, **kwargs)
            mapped = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        return MappedFile(memoryview(mapped), name=name, **kwargs)
