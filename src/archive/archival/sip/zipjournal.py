"""A zip written entry by entry that survives SIGKILL: a journal beside it says which entries are
whole, and a resumed run truncates the zip to the last whole one, checks every kept entry against
its recorded SHA-256, and carries on appending.

The zip being written is ``<target>.part`` and its journal ``<target>.part.log`` (JSON lines: a
header, then one line per finished unit with the offset the zip had reached, the zip entries' own
records and the package's entries for METS). Only when everything is written is the central
directory added and the ``.part`` renamed to its target: a half package never has the final name.
The zip has no central directory until then, so ``zipfile`` cannot reopen it; ``ZipFile`` in mode
'w' is started at the kept offset with the kept entries put back in its list (on Python 3.11 and
3.12 ``zipfile`` writes the offsets of the file as they are). It writes through ``_Forward``, which
cannot seek: ``zipfile`` then streams each entry with a data descriptor instead of going back to
patch its header, so the bytes go out in order, once. No digest of the whole zip is computed: every
entry's SHA-256 is in the journal (and the package's METS), the originals' are the very hashes that
checked them against what was stored at receipt, and hashing the zip again would hash each of those
bytes a second time (a bag made of the package carries the zip's SHA-256 in its manifest).
"""
import hashlib
import json
import os
import struct
import zipfile
import zlib

from ..digest import CHUNK

# No fsync while writing: a SIGKILL loses nothing that was flushed, and after a power cut a resumed
# run keeps only the units whose entries it reads back with their recorded SHA-256, so what the
# disk did not keep is written again. The finished zip is fsynced once, before its rename.


def _info_record(zinfo):
    return {'name': zinfo.filename, 'off': zinfo.header_offset, 'crc': zinfo.CRC,
            'csize': zinfo.compress_size, 'size': zinfo.file_size, 'ct': zinfo.compress_type,
            'dt': list(zinfo.date_time), 'flag': zinfo.flag_bits, 'ea': zinfo.external_attr,
            'extra': zinfo.extra.hex(), 'ev': zinfo.extract_version, 'cv': zinfo.create_version}


def _info(record):
    zinfo = zipfile.ZipInfo(record['name'], tuple(record['dt']))
    zinfo.header_offset, zinfo.CRC = record['off'], record['crc']
    zinfo.compress_size, zinfo.file_size = record['csize'], record['size']
    zinfo.compress_type, zinfo.flag_bits = record['ct'], record['flag']
    zinfo.external_attr, zinfo.extra = record['ea'], bytes.fromhex(record['extra'])
    zinfo.extract_version, zinfo.create_version = record['ev'], record['cv']
    return zinfo


def read_entry(fp, record):
    """The bytes of a kept entry, read from its local header on (no central directory needed),
    in chunks."""
    fp.seek(record['off'])
    head = fp.read(30)
    if len(head) != 30 or head[:4] != b'PK\x03\x04':
        raise ValueError('no local header')
    name_len, extra_len = struct.unpack('<HH', head[26:30])
    fp.seek(record['off'] + 30 + name_len + extra_len)
    left = record['csize']
    inflate = zlib.decompressobj(-15) if record['ct'] == zipfile.ZIP_DEFLATED else None
    while left > 0:
        chunk = fp.read(min(CHUNK, left))
        if not chunk:
            raise ValueError('entry cut short')
        left -= len(chunk)
        yield inflate.decompress(chunk) if inflate else chunk
    if inflate:
        yield inflate.flush()


class _Forward:
    """A write-only, forward-only view of the part file. ``zipfile`` writes each entry in several
    small pieces (header, data, descriptor): they are gathered up to ``GATHER`` bytes and written
    together; ``flush()`` (at each unit's commit) pushes them to the file before the journal names
    them."""

    GATHER = 1 << 16

    def __init__(self, fp, offset):
        self.fp, self.offset = fp, offset
        self.pending = bytearray()

    def write(self, data):
        n = len(data)
        self.offset += n
        if n >= self.GATHER:
            self._drain()
            self.fp.write(data)
        else:
            self.pending += data
            if len(self.pending) >= self.GATHER:
                self._drain()
        return n

    def _drain(self):
        if self.pending:
            self.fp.write(self.pending)
            self.pending = bytearray()

    def tell(self):
        return self.offset

    def flush(self):
        self._drain()
        self.fp.flush()


class JournaledZip:
    """``begin(header)`` resumes or starts; ``unit(key)`` says whether a unit is done already;
    ``write(...)`` adds entries; ``commit(key, entries, extra)`` records a finished unit;
    ``finish()`` writes the central directory and returns the finished file's path."""

    def __init__(self, target):
        self.target = target
        self.part = target + '.part'
        self.log = target + '.part.log'
        self.resumed = {}         # unit key -> its journal line, for the units kept from an earlier run
        self.written = set()      # keys of the units written by this run (only keys: memory stays flat)
        self.reused = 0
        self._committed = 0       # zip entries recorded in the journal so far

    # -- starting and resuming ---------------------------------------------------------------
    def begin(self, header):
        lines = self._read_log(header)
        if lines is None:
            for path in (self.part, self.log):
                if os.path.exists(path):
                    os.remove(path)
            self.fp = open(self.part, 'w+b')
            self.logf = open(self.log, 'w', encoding='utf-8')
            self._log_line({'header': header})
            offset, kept = 0, []
        else:
            self.fp = open(self.part, 'r+b')
            offset, kept = self._verified(lines)
            self.fp.truncate(offset)
            self.logf = open(self.log, 'w', encoding='utf-8')   # rewritten: only what was verified
            self._log_line({'header': header})
            for line in kept:
                self._log_line(line)
        self.fp.seek(offset)
        self.out = _Forward(self.fp, offset)
        self.zf = zipfile.ZipFile(self.out, 'w', allowZip64=True)
        for line in kept:
            self.resumed[line['unit']] = line
        self._committed = sum(len(line['zip']) for line in kept)
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
        digests = {e['path']: e['sha256'] for e in line['entries']}
        for record in line['zip']:
            digest = hashlib.sha256()
            try:
                for chunk in read_entry(self.fp, record):
                    digest.update(chunk)
            except (ValueError, zlib.error):
                return False
            path = record['name'].split('/', 1)[1]
            if digests.get(path) != digest.hexdigest():
                return False
        return True

    # -- writing -----------------------------------------------------------------------------
    def unit(self, key):
        """The journal line of a unit kept from an earlier run; ``True`` for one this run wrote;
        None for one still to write."""
        return self.resumed.get(key) or (key in self.written) or None

    def open_entry(self, name, date_time, size=None, compress=False):
        zinfo = zipfile.ZipInfo(name, date_time)
        zinfo.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
        zinfo._compresslevel = 1        # METS and the file list: repetitive text, level 1 nearly as small, 3× faster
        zinfo.external_attr = 0o644 << 16
        if size is not None:
            zinfo.file_size = size
        return self.zf.open(zinfo, 'w', force_zip64=bool(size is None or size > (1 << 31)))

    def commit(self, key, entries, **extra):
        """Record a finished unit: its zip entries since the last commit and its package entries."""
        self.out.flush()
        records = [_info_record(z) for z in self.zf.filelist]
        self._committed += len(records)
        # the journal holds them now: zipfile's own list keeps only the unit being written, and the
        # central directory is read back from the journal at the end (memory stays flat)
        del self.zf.filelist[:]
        self.zf.NameToInfo.clear()
        line = {'unit': key, 'end': self.out.tell(), 'zip': records, 'entries': entries, **extra}
        self._log_line(line)
        self.written.add(key)
        return line

    def _log_line(self, line):
        self.logf.write(json.dumps(line, ensure_ascii=False, separators=(',', ':')) + '\n')
        self.logf.flush()

    def lines(self):
        """The journal's unit lines, read again from disk one by one (memory stays flat)."""
        self.logf.flush()
        with open(self.log, encoding='utf-8') as f:
            next(f)
            for raw in f:
                yield json.loads(raw)

    def finish(self, records=None):
        """The central directory, fsync, and the rename to the target. Returns the size of the
        finished zip and its number of entries. ``records()``, if given, yields the
        committed units' zip records in order (a caller that read the journal already saves a
        second pass over it)."""
        directory = self.zf.filelist = _Directory(self, list(self.zf.filelist), records)
        self.zf.close()
        self.out.flush()
        os.fsync(self.fp.fileno())
        size, count = self.out.tell(), len(directory)
        self.fp.close()
        self.logf.close()
        os.replace(self.part, self.target)
        os.remove(self.log)
        _sync_dir(os.path.dirname(os.path.abspath(self.target)))
        return size, count

    def abandon(self):
        """Stop after an error: the part file keeps what was committed (a later run resumes);
        no central directory is written, so nothing looks complete."""
        self.zf.fp = None               # keeps ZipFile.__del__ from writing a central directory
        self.fp.close()
        self.logf.close()


class _Directory:
    """What ``zipfile`` reads to write the central directory: the entries of the journal, read
    again one by one, then those written since the last unit (the file list and METS)."""

    def __init__(self, zipped, live, records=None):
        self.zipped, self.live, self.records = zipped, live, records

    def __len__(self):
        return self.zipped._committed + len(self.live)

    def __iter__(self):
        if self.records is not None:
            for record in self.records():
                yield _info(record)
        else:
            for line in self.zipped.lines():
                for record in line['zip']:
                    yield _info(record)
        yield from self.live


def _sync_dir(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
