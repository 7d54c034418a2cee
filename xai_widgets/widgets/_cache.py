"""The widgets' result caches: least recently used entries go first, bounded by a count and
by bytes (an entry's size is measured once, when it is stored)."""

from __future__ import annotations

import collections
import dataclasses
import threading

import numpy as np


def nbytes(value, _seen: set | None = None) -> int:
    """The bytes of the numpy arrays and byte strings in ``value`` (dicts, lists, tuples and
    dataclasses are looked into; an array met twice is counted once). A view counts the
    bytes it shows, not its whole base: an explanation's ``inputs`` are a slice of the
    widget's images, which the widget holds anyway. Python scalars and strings are left out:
    they are small next to the arrays."""
    seen = set() if _seen is None else _seen
    if isinstance(value, np.ndarray):
        if id(value) in seen:
            return 0
        seen.add(id(value))
        return int(value.nbytes)
    if isinstance(value, (bytes, bytearray)):
        return len(value)
    if isinstance(value, memoryview):
        return value.nbytes
    if isinstance(value, dict):
        return sum(nbytes(v, seen) for v in value.values())
    if isinstance(value, (list, tuple)):
        return sum(nbytes(v, seen) for v in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return sum(nbytes(getattr(value, f.name), seen) for f in dataclasses.fields(value))
    return 0


class LRUCache:
    """A mapping that keeps at most ``max_entries`` entries and ``max_bytes`` bytes (as
    :func:`nbytes` measures them), dropping the least recently used first. The newest entry
    always stays, even when it alone is over the budget. Safe to use from the widgets'
    worker threads."""

    def __init__(self, max_entries: int, max_bytes: int):
        self.max_entries, self.max_bytes = max_entries, max_bytes
        self._entries: collections.OrderedDict = collections.OrderedDict()  # key -> (value, size)
        self._bytes = 0
        self._lock = threading.Lock()

    def __contains__(self, key) -> bool:
        return key in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def __getitem__(self, key):
        with self._lock:
            value, _ = self._entries[key]
            self._entries.move_to_end(key)
            return value

    def get(self, key, default=None):
        try:
            return self[key]
        except KeyError:
            return default

    def __setitem__(self, key, value):
        size = nbytes(value)
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            self._entries[key] = (value, size)
            self._bytes += size
            while len(self._entries) > 1 and (len(self._entries) > self.max_entries
                                              or self._bytes > self.max_bytes):
                _, (_, dropped) = self._entries.popitem(last=False)
                self._bytes -= dropped

    def clear(self):
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    @property
    def bytes(self) -> int:
        """The bytes held now."""
        return self._bytes
