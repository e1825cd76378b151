"""A job's outputs as one ZIP, streamed: written chunk by chunk as it is sent, never whole in memory or on disk.

The files are opened before the first byte goes out (a job deleted meanwhile still streams whole: an open file
outlives its name), so every failure that can be answered is answered before the 200. Formats that are ZIPs or
compressed already (PDF, DOCX, ODT, EPUB) are stored, the text formats deflated.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from typing import IO

from ocrmill.store.files import Download

_STORED = frozenset({"pdf", "docx", "odt", "epub"})
_CHUNK = 256 * 1024


class _Sink:
    """The unseekable file zipfile writes to; what it wrote is taken away chunk by chunk."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []

    def write(self, data: bytes, /) -> int:
        self.chunks.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self.chunks)
        self.chunks.clear()
        return data


class Bundle:
    """The open files of a ZIP to stream: `members` are (name in the ZIP, the stored file: a local path, opened
    here, or an object store's answer, already under way)."""

    def __init__(self, members: list[tuple[str, Download]]) -> None:
        self.files: list[tuple[str, Iterator[bytes]]] = []
        self.handles: list[IO[bytes]] = []
        try:
            for name, download in members:
                if download.path is not None:
                    handle = download.path.open("rb")
                    self.handles.append(handle)
                    self.files.append((name, _read(handle)))
                elif download.chunks is not None:
                    self.files.append((name, download.chunks))
                else:
                    raise ValueError(f"{name}: a bundle reads stored files, not URLs")
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        for handle in self.handles:
            handle.close()

    def __iter__(self) -> Iterator[bytes]:
        sink = _Sink()
        try:
            with zipfile.ZipFile(sink, "w", allowZip64=True) as archive:
                for name, chunks in self.files:
                    ext = name.rsplit(".", 1)[-1].lower()
                    info = zipfile.ZipInfo(name)
                    info.compress_type = zipfile.ZIP_STORED if ext in _STORED else zipfile.ZIP_DEFLATED
                    info.external_attr = 0o644 << 16
                    with archive.open(info, "w", force_zip64=True) as member:
                        for chunk in chunks:
                            member.write(chunk)
                            yield sink.take()
                    yield sink.take()
            yield sink.take()
        finally:
            self.close()


def _read(handle: IO[bytes]) -> Iterator[bytes]:
    while chunk := handle.read(_CHUNK):
        yield chunk
