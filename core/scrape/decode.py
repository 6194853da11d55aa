"""Content-Encoding undone in bounded steps, for every HTTP client here (the fetcher, the model
client, agents): a small bomb (1.6 KB of brotli that expands to gigabytes) never expands in
memory, because each decompressor is told how much it may produce *while* it works.

    decoder = Decoder(response_headers.get("content-encoding", ""))
    for raw in chunks:
        out = decoder.feed(raw, room=limit - size)   # None: more than room would come out

``decode_capped`` does the whole loop for a synchronous client.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable

try:  # Brotli bodies are decoded when the package is there (and only then asked for)
    import brotli
except ImportError:  # pragma: no cover - depends on the environment
    brotli = None

ACCEPT_ENCODING = "gzip, deflate" + (", br" if brotli is not None else "")


class BodyTooLarge(Exception):
    """The decoded body would be larger than the limit."""


def decode_capped(content_encoding: str, chunks: Iterable[bytes], limit: int) -> bytes:
    """The decoded body of raw ``chunks``; ``BodyTooLarge`` past ``limit`` decoded bytes,
    ``DecodingError`` for a body that cannot be decoded."""
    decoder, out, size = Decoder(content_encoding), [], 0
    for raw in chunks:
        chunk = decoder.feed(raw, limit - size)
        if chunk is None:
            raise BodyTooLarge(f"the answer is over the {limit:,}-byte limit once decoded")
        size += len(chunk)
        out.append(chunk)
    tail = decoder.flush(limit - size)
    if tail is None:
        raise BodyTooLarge(f"the answer is over the {limit:,}-byte limit once decoded")
    return b"".join([*out, tail])


class DecodingError(Exception):
    """The body cannot be decoded (corrupt, or an encoding that was not asked for)."""


class Decoder:
    """Undo a Content-Encoding chunk by chunk, never producing more than ``room`` bytes at a
    time (``None`` when more would come out: the body is over the cap). Every decompressor is
    bounded *while* it works, so a small bomb never expands in memory: zlib's ``max_length``
    for gzip and deflate, brotli's ``output_buffer_limit`` for br (when the ``brotli`` package
    is installed; only then is br asked for). Another encoding (zstd, compress…), which was not
    asked for, is refused rather than stored undecoded."""

    def __init__(self, content_encoding: str) -> None:
        self._steps = [self._step(name.strip().lower())
                       for name in reversed(content_encoding.split(","))
                       if name.strip().lower() not in ("", "identity")]

    @staticmethod
    def _step(name: str) -> _ZlibStep | _BrotliStep:
        if name in ("gzip", "x-gzip"):
            return _ZlibStep(zlib.MAX_WBITS | 16, name)
        if name == "deflate":
            return _ZlibStep(zlib.MAX_WBITS, name)
        if name == "br" and brotli is not None:
            return _BrotliStep()
        raise DecodingError(f"the body's Content-Encoding {name!r} is not supported")

    def feed(self, data: bytes, room: int) -> bytes | None:
        for step in self._steps:
            if data:
                out = step.feed(data, room)
                if out is None:
                    return None
                data = out
        return data if len(data) <= room else None

    def flush(self, room: int) -> bytes | None:
        data = b""
        for step in self._steps:
            out = step.feed(data, room) if data else b""
            if out is None:
                return None
            data = out + step.flush()
        return data if len(data) <= room else None


class _ZlibStep:
    def __init__(self, wbits: int, name: str) -> None:
        self._name = name
        self._zlib = zlib.decompressobj(wbits)
        self._raw_fallback = name == "deflate"  # "deflate" is often sent without its header
        self._started = False

    def feed(self, data: bytes, room: int) -> bytes | None:
        try:
            out = self._zlib.decompress(data, room + 1)
        except zlib.error as exc:
            if not (self._raw_fallback and not self._started):
                raise DecodingError(f"the {self._name} body cannot be decoded ({exc})") from exc
            self._raw_fallback = False
            self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
            return self.feed(data, room)
        self._started = True
        return None if len(out) > room else out  # beyond room, the rest stays unread

    def flush(self) -> bytes:
        try:
            return self._zlib.flush()
        except zlib.error as exc:
            raise DecodingError(f"the {self._name} body cannot be decoded ({exc})") from exc


class _BrotliStep:
    def __init__(self) -> None:
        self._brotli = brotli.Decompressor()

    def feed(self, data: bytes, room: int) -> bytes | None:
        try:  # the output stops growing at room + 1 bytes: past room, the body is refused
            out = self._brotli.process(data, output_buffer_limit=room + 1)
        except brotli.error as exc:
            raise DecodingError(f"the br body cannot be decoded ({exc})") from exc
        return None if len(out) > room else out

    def flush(self) -> bytes:
        return b""
