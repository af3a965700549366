"""Read a SQLCipher 4 file page by page, decrypted with the store's raw key, to check
what its bytes still hold (free pages and deleted cells included): what an attacker
holding the key and the file could read back."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

PAGE = 4096
RESERVE = 80  # per page: a 16-byte IV, then a 64-byte HMAC-SHA512


def decrypted_pages(path: Path, key: bytes) -> Iterator[bytes]:
    data = Path(path).read_bytes()
    for offset in range(0, len(data) - PAGE + 1, PAGE):
        page = data[offset : offset + PAGE]
        start = 16 if offset == 0 else 0  # page 1 begins with the file's salt
        iv = page[PAGE - RESERVE : PAGE - RESERVE + 16]
        decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
        yield decryptor.update(page[start : PAGE - RESERVE]) + decryptor.finalize()


def first_page_is_sqlite(path: Path, key: bytes) -> bool:
    """The decryption is right: page 1 then shows SQLite's header fields (page size)."""
    first = next(decrypted_pages(path, key))
    # bytes 16-17 of the SQLite header (here at 0-1): the page size, big-endian
    return first[:2] == PAGE.to_bytes(2, "big")


def holds(path: Path, key: bytes, needle: bytes) -> bool:
    return any(needle in page for page in decrypted_pages(path, key))
