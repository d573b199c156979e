"""A zip written entry by entry that survives SIGKILL: a journal beside it says which entries are
whole, and a resumed run truncates the zip to the last whole one, checks every kept entry against
its recorded SHA-256, and carries on appending.

The zip being written is ``<target>.part`` and its journal ``<target>.part.log`` (JSON lines: a
header, then one line per finished unit with the offset the zip had reached and one record per
entry: ``[path, offset, crc, compressed size, size, method, flags, sha256, about]``, ``about``
being the caller's own description of the entry). Only when everything is written is the central
directory added and the ``.part`` renamed to its target: a half package never has the final name.

The zip format is written here, not by ``zipfile``: an entry whose bytes are at hand (metadata, an
original read whole) goes out as its local header and its data in one piece, CRC and sizes known;
a longer one (a large original, METS, the file list) is streamed with a data descriptor (zip64
sizes). ``zipfile`` built several objects and small writes per entry and then wrote the central
directory from objects rebuilt out of the journal; here the central directory's record of each
entry is made once, when its unit is journaled (or, for a resumed run, when the kept units are
read), and spooled to a temporary file beside the package: memory stays flat. No digest of the
whole zip is computed: every entry's SHA-256 is in the journal (and the package's METS), the
originals' are the very hashes that checked them against what was stored at receipt, and hashing
the zip again would hash each of those bytes a second time (a bag made of the package carries the
zip's SHA-256 in its manifest).
"""
import hashlib
import json
import os
import struct
import tempfile
import zlib

from ..digest import CHUNK

# The CRC-32 every zip entry carries, from ISA-L (sip.package uses it too): the same values as
# zlib's, ~4x faster (34 against 130 us for 100 KB here, where the SHA-256 of the same bytes costs
# ~200 us). A venv made before the dependency falls back to zlib's.
try:
    from isal.isal_zlib import crc32
except ImportError:
    from zlib import crc32

# No fsync while writing: a SIGKILL loses nothing that was written to the file, and after a power
# cut a resumed run keeps only the units whose entries it reads back with their recorded SHA-256,
# so what the disk did not keep is written again. The finished zip is fsynced once, before its rename.

# a record's fields (the journal's lists)
PATH, OFF, CRC, CSIZE, SIZE, METHOD, FLAGS, SHA256, ABOUT = range(9)
STORED, DEFLATED = 0, 8
DESCRIPTOR = 0x08               # sizes and CRC after the data (a streamed entry)
UTF8 = 0x800
LIMIT = 0xFFFFFFFF
LOCAL = struct.Struct('<4sHHHHHIIIHH')
CENTRAL = struct.Struct('<4sBBBBHHHHIIIHHHHHII')
ZIP64_LOCAL_EXTRA = struct.pack('<HHQQ', 1, 16, 0, 0)
ATTRIBUTES = 0o644 << 16
GATHER = 1 << 20                # bytes kept before a write to the part file
IOV_MAX = os.sysconf('SC_IOV_MAX') if hasattr(os, 'sysconf') else 1024      # pieces one writev takes
EVERY = 64                      # units journaled at once (a SIGKILL loses at most these: written again)
_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(',', ':')).encode   # built once, not per line


def dos_time(date_time):
    year, month, day, hour, minute, second = date_time
    return (hour << 11) | (minute << 5) | (second // 2), ((year - 1980) << 9) | (month << 5) | day


def read_entry(fp, record):
    """The bytes of a kept entry, read from its local header on (no central directory needed),
    in chunks."""
    fp.seek(record[OFF])
    head = fp.read(30)
    if len(head) != 30 or head[:4] != b'PK\x03\x04':
        raise ValueError('no local header')
    name_len, extra_len = struct.unpack('<HH', head[26:30])
    fp.seek(record[OFF] + 30 + name_len + extra_len)
    left = record[CSIZE]
    inflate = zlib.decompressobj(-15) if record[METHOD] == DEFLATED else None
    while left > 0:
        chunk = fp.read(min(CHUNK, left))
        if not chunk:
            raise ValueError('entry cut short')
        left -= len(chunk)
        yield inflate.decompress(chunk) if inflate else chunk
    if inflate:
        yield inflate.flush()


def _central(record, prefix, date_time):
    """The central directory's record of an entry."""
    name = (prefix + record[PATH]).encode('utf-8')
    size, csize, offset = record[SIZE], record[CSIZE], record[OFF]
    extra = b''
    if size >= LIMIT or csize >= LIMIT or offset >= LIMIT:
        values = [v for v in (size, csize, offset) if v >= LIMIT]
        extra = struct.pack(f'<HH{len(values)}Q', 1, 8 * len(values), *values)
        size, csize, offset = (min(v, LIMIT) for v in (size, csize, offset))
    version = 45 if extra or record[FLAGS] & DESCRIPTOR else 20
    time, date = date_time
    return CENTRAL.pack(b'PK\x01\x02', version, 3, version, 0, record[FLAGS], record[METHOD], time, date,
                        record[CRC], csize, size, len(name), len(extra), 0, 0, 0, ATTRIBUTES, offset) + name + extra


class _Stream:
    """An entry streamed with a data descriptor: ``write(chunk)`` as often as needed; the record
    is complete when the ``with`` block ends."""

    def __init__(self, zipped, path, compress):
        self.zipped, self.path = zipped, path
        self.deflate = zlib.compressobj(1, zlib.DEFLATED, -15) if compress else None
        self.crc, self.size, self.csize = 0, 0, 0
        self.digest = hashlib.sha256()
        self.offset = zipped._header(path, DEFLATED if compress else STORED, DESCRIPTOR, 0, 0, 0,
                                     ZIP64_LOCAL_EXTRA)

    def __enter__(self):
        return self

    def write(self, chunk):
        self.crc = crc32(chunk, self.crc)
        self.digest.update(chunk)
        self.size += len(chunk)
        if self.deflate is not None:
            chunk = self.deflate.compress(chunk)
        self.csize += len(chunk)
        self.zipped._out(chunk)

    def __exit__(self, kind, *exc):
        if kind is not None:
            return
        if self.deflate is not None:
            tail = self.deflate.flush()
            self.csize += len(tail)
            self.zipped._out(tail)
        self.zipped._out(struct.pack('<4sIQQ', b'PK\x07\x08', self.crc, self.csize, self.size))
        self.record = [self.path, self.offset, self.crc, self.csize, self.size,
                       DEFLATED if self.deflate is not None else STORED, self.zipped._flags(self.path) | DESCRIPTOR,
                       self.digest.hexdigest(), None]
        self.zipped.pending.append(self.record)


class JournaledZip:
    """``begin(header)`` resumes or starts; ``unit(key)`` says whether a unit is done already;
    ``put(...)`` and ``stream(...)`` add entries; ``commit(key, **extra)`` records a finished unit;
    ``finish()`` writes the central directory and gives the finished file its name.

    Entries are named ``<prefix><path>``; ``on_unit(line)``, if given, is called with each unit's
    journal line, in the journal's order: the kept ones of a resumed run at ``begin``, then each
    one as it is committed."""

    def __init__(self, target, prefix='', date_time=(1980, 1, 1, 0, 0, 0), on_unit=None):
        self.target = target
        self.part = target + '.part'
        self.log = target + '.part.log'
        self.prefix = prefix
        self.dos = dos_time(date_time)
        self.on_unit = on_unit
        self.resumed = {}         # unit key -> its journal line, for the units kept from an earlier run
        self.written = set()      # keys of the units written by this run (only keys: memory stays flat)
        self.reused = 0
        self.pending = []         # records of the unit being written
        self.entries = 0          # records in the central directory's spool
        self.parts, self.gathered = [], 0      # what waits for the part file (``_drain``)
        self.lines = []           # journal lines of committed units not in the journal yet

    # -- starting and resuming ---------------------------------------------------------------
    def begin(self, header):
        lines = self._read_log(header)
        folder = os.path.dirname(os.path.abspath(self.target))
        # beside the package (its disk holds the package anyway; /tmp may be memory)
        self.directory = tempfile.TemporaryFile(dir=folder, prefix='.zipdir-')
        if lines is None:
            for path in (self.part, self.log):
                if os.path.exists(path):
                    os.remove(path)
            self.fp = open(self.part, 'w+b', buffering=0)
            offset, kept = 0, []
        else:
            self.fp = open(self.part, 'r+b', buffering=0)
            offset, kept = self._verified(lines)
            self.fp.truncate(offset)
        self.logf = open(self.log, 'wb', buffering=0)     # rewritten: only what was verified
        self._log_line({'header': header})
        self.fp.seek(offset)
        self.offset = offset
        for line in kept:
            self._log_line(line)
            self._spool(line)
            self.resumed[line['unit']] = line
        self.reused = len(kept)

    def _read_log(self, header):
        if not (os.path.exists(self.log) and os.path.exists(self.part)):
            return None
        lines = []
        with open(self.log, encoding='utf-8') as f:
            for raw in f:
                try:
                    lines.append(json.loads(raw))
                except ValueError:
                    break                   # a line cut by the kill: everything after it is lost
        if not lines or lines[0].get('header') != header:
            return None                     # another package, or another selection: start over
        return lines[1:]

    def _verified(self, lines):
        """The units whose every entry is still in the part file with its recorded SHA-256, up
        to the first one that is not; and the offset after the last of them."""
        size = os.fstat(self.fp.fileno()).st_size
        kept, offset = [], 0
        for line in lines:
            if line.get('end', size + 1) > size or not self._intact(line):
                break
            kept.append(line)
            offset = line['end']
        return offset, kept

    def _intact(self, line):
        for record in line['zip']:
            digest = hashlib.sha256()
            try:
                for chunk in read_entry(self.fp, record):
                    digest.update(chunk)
            except (ValueError, zlib.error, TypeError, IndexError):
                return False
            if digest.hexdigest() != record[SHA256]:
                return False
        return True

    # -- writing -----------------------------------------------------------------------------
    def unit(self, key):
        """The journal line of a unit kept from an earlier run; ``True`` for one this run wrote;
        None for one still to write."""
        return self.resumed.get(key) or (key in self.written) or None

    def _flags(self, path):
        return 0 if path.isascii() and self.prefix.isascii() else UTF8

    def _out(self, data):
        """``data`` (bytes that nobody changes after) gathered for the part file."""
        self.offset += len(data)
        self.parts.append(data)
        self.gathered += len(data)
        if self.gathered >= GATHER:
            self._drain()

    def _drain(self):
        """The gathered pieces into the part file with ``writev``, as they are (an original's bytes
        are not copied into a buffer first), a short write carried on where it stopped."""
        parts, fd, start = self.parts, self.fp.fileno(), 0
        while start < len(parts):
            wrote = os.writev(fd, parts[start:start + IOV_MAX])
            while start < len(parts) and wrote >= len(parts[start]):
                wrote -= len(parts[start])
                start += 1
            if wrote:
                parts[start] = memoryview(parts[start])[wrote:]
        self.parts, self.gathered = [], 0

    def _header(self, path, method, flags, crc, csize, size, extra=b''):
        """Write an entry's local header; its offset."""
        name = (self.prefix + path).encode('utf-8')
        offset = self.offset
        time, date = self.dos
        self._out(LOCAL.pack(b'PK\x03\x04', 45 if extra else 20, flags | self._flags(path), method, time, date,
                             crc, LIMIT if extra else csize, LIMIT if extra else size, len(name), len(extra))
                  + name + extra)
        return offset

    def put(self, path, data, about=None, digest=None, crc=None):
        """A whole entry, stored as it is; its record (``digest``, ``crc``: the data's SHA-256 and
        CRC-32 if the caller has them already)."""
        crc, size = crc32(data) if crc is None else crc, len(data)
        offset = self._header(path, STORED, 0, crc, size, size)
        self._out(data)
        record = [path, offset, crc, size, size, STORED, self._flags(path),
                  digest or hashlib.sha256(data).hexdigest(), about]
        self.pending.append(record)
        return record

    def stream(self, path, compress=False):
        """``with zipped.stream(path) as out: out.write(chunk)...``; ``out.record`` after the block."""
        return _Stream(self, path, compress)

    def commit(self, key, **extra):
        """Record a finished unit: its entries since the last commit. Its journal line waits with
        the next ones: every ``EVERY`` units they are journaled together, the part file written up
        to them first (one write of each a batch, not two a document)."""
        line = {'unit': key, 'end': self.offset, 'dt': self.dos, 'zip': self.pending, **extra}
        self.pending = []
        self.lines.append(line)
        self._spool(line)
        self.written.add(key)
        if len(self.lines) >= EVERY:
            self._journal()
        return line

    def _journal(self):
        """The waiting units' lines into the journal, after their entries into the part file."""
        self._drain()
        if self.lines:
            self.logf.write(''.join(_ENCODE(line) + '\n' for line in self.lines).encode('utf-8'))
            self.lines = []

    def _log_line(self, line):
        self.logf.write((_ENCODE(line) + '\n').encode('utf-8'))

    def _spool(self, line):
        written = line.get('dt') or self.dos        # a kept unit: the time its headers say
        self.directory.write(b''.join(_central(r, self.prefix, written) for r in line['zip']))
        self.entries += len(line['zip'])
        if self.on_unit is not None:
            self.on_unit(line)

    def finish(self):
        """The central directory (the units' records, then the entries written since the last
        unit), fsync, and the rename to the target. Returns the size of the finished zip and its
        number of entries."""
        live = b''.join(_central(r, self.prefix, self.dos) for r in self.pending)
        count = self.entries + len(self.pending)
        start = self.offset
        self.directory.seek(0)
        self._drain()
        while chunk := self.directory.read(CHUNK):
            self._out(chunk)
        self._out(live)
        length = self.offset - start
        if count >= 0xFFFF or start >= LIMIT or length >= LIMIT:
            end64 = self.offset
            self._out(struct.pack('<4sQHHIIQQQQ', b'PK\x06\x06', 44, 45, 45, 0, 0, count, count, length, start))
            self._out(struct.pack('<4sIQI', b'PK\x06\x07', 0, end64, 1))
        self._out(struct.pack('<4sHHHHIIH', b'PK\x05\x06', 0, 0, min(count, 0xFFFF), min(count, 0xFFFF),
                              min(length, LIMIT), min(start, LIMIT), 0))
        self._drain()
        os.fsync(self.fp.fileno())
        size = self.offset
        self._close()
        os.replace(self.part, self.target)
        os.remove(self.log)
        _sync_dir(os.path.dirname(os.path.abspath(self.target)))
        return size, count

    def abandon(self):
        """Stop after an error: the part file and the journal keep what was committed (a later
        run resumes); no central directory is written, so nothing looks complete."""
        try:
            self._journal()
        except OSError:         # a full disk, say: what the journal has is what is kept
            pass
        self._close()

    def _close(self):
        for f in (self.fp, self.logf, self.directory):
            f.close()


def _sync_dir(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
