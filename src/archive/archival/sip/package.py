"""Writing an E-ARK SIP (CSIP profile 2.1) of records files, zipped, streamed and resumable.

Layout inside the zip (root folder named by the package id)::

    <id>/METS.xml
    <id>/metadata/descriptive/<hồ sơ>/ho-so.xml        the records file (EDXML.md "Archive")
    <id>/metadata/descriptive/<hồ sơ>/<document>.xml   each document
    <id>/metadata/preservation/<hồ sơ>/<document>.premis.xml
    <id>/representations/rep1/data/<hồ sơ>/<document>/<n>-<file name>   the stored originals, bit-exact
    <id>/representations/rep1/data/<hồ sơ>/<document>/ban-mo-ta.xml     a paper-only document's record
    <id>/schemas/                                       METS, xlink, the CSIP/SIP extensions
    <id>/documentation/file-list.csv                    every file of the package

A document with no electronic file (a paper letter registered with its metadata only) still has
content in ``representations/``: its metadata record, ``ban-mo-ta.xml`` (the same bytes as its
descriptive XML, whose ``OriginalMedium`` says ``giay``), listed in METS with
``USE="Paper original: metadata record"``, and its PREMIS object says "original medium: paper". CSIP
requires every package to have a representation and every file group a file; an archive receiving
records files expects each document of the file as an item, and for a paper original the item is the
description that goes with the sheet delivered by the paper route (the Vietnamese practice of
transferring paper and electronic records of one file together, described alike). A copy of the
descriptive record, rather than a rendering of our own, keeps one description, checkable by its
SHA-256 against the dmdSec, and nothing that could be mistaken for a digitised original.

Each document is one unit of the journal (``zipjournal``), the units journaled ``zipjournal.EVERY``
at a time: a SIGKILL loses at most those written since (they are written again), and a second run
picks up after the last one journaled. Every original is checked
against the SHA-256 stored when it was received while it is copied: a missing or damaged blob stops
the export with the document and file named, and nothing gets the final name.
"""
import base64
import hashlib
import json
import os
import re
from collections import deque
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import NamedTuple

from ... import clock
from ...errors import Conflict
from ...services.secrecy import _aad, _name_aad, content_key
from ...signing import secrecy
from ...i18n import _
from ...text import without_marks
from ..digest import CHUNK
from . import mets, metadata, zipjournal
from . import workers as W
from .stored import open_stored
from .summarised import summarised
from .zipjournal import JournaledZip

FORMAT = 'archive-sip/2'      # the journal's format: /1 (zipfile's records) is not resumed
REP = 'representations/rep1'
PDFA_MARK = b'pdfaid:part'
SEALED_MEDIA_TYPE = 'application/octet-stream'
PROBLEMS_KEPT = 200
PAPER_RECORD = 'ban-mo-ta.xml'
PAPER_USE = 'Paper original: metadata record'
PACKAGE_ID = re.compile(r'^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$')


class TransferError(Conflict):
    """An export refused or stopped, with the project's code and a message for people; ``document``
    and ``file`` name what is at fault when it is one document's file."""

    def __init__(self, code, message, document=None, file=None):
        super().__init__(code, message)
        self.document, self.file = document, file

    def as_errors(self):
        return [{'field': 'package', 'code': self.code, 'message': self.message}]


@dataclass
class Report:
    package_id: str
    path: str
    documents: int = 0
    files_written: int = 0          # entries of the zip (originals, metadata, schemas, METS)
    originals: int = 0
    bytes: int = 0                  # size of the finished zip
    mets_sha256: str = ''           # SHA-256 of its METS.xml, which lists every file's SHA-256: the
                                    # package's content in one digest (the zip itself is not hashed
                                    # again: see zipjournal)
    resumed_units: int = 0          # documents taken over, verified, from an interrupted run
    secret_documents: list = field(default_factory=list)
    problems: list = field(default_factory=list)   # flagged, not blocking: {code, document, file, message}
    problem_counts: dict = field(default_factory=dict)   # code -> how many (``problems`` keeps the first
                                                         # PROBLEMS_KEPT of each; the package's file list has all)

    def flag(self, problem):
        count = self.problem_counts.get(problem['code'], 0)
        self.problem_counts[problem['code']] = count + 1
        if count < PROBLEMS_KEPT:
            self.problems.append(problem)


_NOT_IN_SEGMENT = re.compile(r'[^A-Za-z0-9._-]+')


def segment(text, fallback='x'):
    """A path segment of ASCII letters, digits, dot, dash and underscore (a file code holds '/').
    ASCII text has no marks to take off (most file names: a third of this function's time)."""
    text = str(text or '')
    cleaned = _NOT_IN_SEGMENT.sub('-', text if text.isascii() else without_marks(text)).strip('-.')
    return cleaned[:80] or fallback


def _now_tuple(now):
    local = clock.to_vn(now)
    return (max(local.year, 1980), local.month, local.day, local.hour, local.minute, local.second)


def _refuse_secret(f):
    return TransferError('transfer_secret_refused', _(
        'transfer_secret_refused',
        default='Hồ sơ ${code} là hồ sơ Mật: không đưa vào gói chuyển giao (Mật đi theo kênh riêng; '
                'chỉ được xuất mã hóa cho chứng thư của cơ quan lưu trữ khi cấu hình cho phép)',
        mapping={'code': f.code}))


def _secret_without_certificate():
    return TransferError('transfer_secret_no_certificate', _(
        'transfer_secret_no_certificate',
        default='Xuất hồ sơ Mật cần chứng thư mã hóa của cơ quan lưu trữ và kho khóa của cơ quan'))


def package_exists(package_id):
    """The package is there already (its server path is not said: a page shows this message)."""
    return TransferError('transfer_package_exists', _(
        'transfer_package_exists', default='Gói ${id} đã được xuất; xuất lại phải được yêu cầu rõ',
        mapping={'id': package_id}))


def write_package(target_path, package_id, body, files, documents_of, *, progress=None,
                  allow_secret=False, archive_certificate=None, settings=None, overwrite=False, workers=1,
                  summaries=None):
    """Write the SIP of ``files`` (records files) as the zip ``target_path``; return a ``Report``.

    ``documents_of(f)`` yields the documents of a records file as ``(name, document)`` (a document
    need not be loaded: ``workers`` read it). ``progress(done, total)`` is called
    after each document. A package already at ``target_path`` is refused unless ``overwrite``. An
    interrupted run (``<target>.part`` and its journal) is resumed when the same package id and
    records files are asked for again. Mật (a records file marked ``secret`` or a document
    classified ``mat``) is refused unless ``allow_secret``; then its stored ciphertext goes into the
    package as it is, with its content key wrapped for ``archive_certificate`` (an ``x509``
    certificate; the key is unwrapped with the body's key from ``settings.keystore``). ``workers``:
    processes that prepare the documents (``sip.workers``; 1: this process alone). ``summaries``:
    the documents' export summaries by name (``Documents.summaries``): a document is written from its
    summary, its own record and its files' not read (``summarised``).
    """
    if not PACKAGE_ID.match(package_id or ''):
        raise TransferError('transfer_package_id_invalid', _(
            'transfer_package_id_invalid',
            default='Mã gói "${id}" không hợp lệ (chữ, số, dấu chấm, gạch ngang, gạch dưới)',
            mapping={'id': package_id or ''}))
    if os.path.exists(target_path) and not overwrite:
        raise package_exists(package_id)
    files = list(files)
    for f in files:
        if f.secret and not allow_secret:
            raise _refuse_secret(f)
    if allow_secret and any(f.secret for f in files) and (archive_certificate is None or settings is None):
        raise _secret_without_certificate()
    total = sum(len(f.document_names or ()) for f in files)
    header = {'format': FORMAT, 'package_id': package_id, 'body': body.code,
              'files': [[f.code, sorted(f.document_names or ())] for f in files]}
    writer = _Writer(target_path, package_id, body, progress, total, allow_secret,
                     archive_certificate, settings)
    writer.summaries = summaries
    with mets.Sections(os.path.dirname(os.path.abspath(target_path))) as sections:
        # an earlier package stays until the new one replaces it
        zipped = JournaledZip(target_path, f'{package_id}/', writer.stamp, on_unit=writer.spool)
        writer.zip, writer.sections = zipped, sections
        zipped.begin(header)
        try:
            writer.write_all(files, documents_of, workers)
            mets_digest, size = writer.finish()
        except BaseException:
            zipped.abandon()
            raise
    report = writer.report
    report.mets_sha256, report.bytes, report.resumed_units = mets_digest, size, zipped.reused
    return report


class _Writer:
    def __init__(self, target, package_id, body, progress, total, allow_secret, certificate, settings):
        self.package_id, self.body = package_id, body
        self.progress, self.total = progress, total
        self.allow_secret, self.certificate, self.settings = allow_secret, certificate, settings
        self.now = clock.now()
        self.stamp = _now_tuple(self.now)
        self.created = clock.iso(self.now)
        self.report = Report(package_id, target)
        self.done_docs = 0
        self.summaries = None           # name -> ExportSummary (``write_package``)

    # -- entries -----------------------------------------------------------------------------
    # An entry's ``about`` in the journal: [kind, mime, created, document, label, use] (``mets.Sections``)
    def _put(self, path, data, mime='application/xml', kind='meta', doc=None, label=None, use=None):
        return self.zip.put(path, data, [kind, mime, self.created, doc, label, use])

    def _whole(self, doc, f, expected):
        """A stored file's bytes, read whole and checked against ``expected`` (its SHA-256 stored at
        receipt), if it fits in one ``CHUNK``; None for one to stream (``_copy``). Its first read asks
        for one byte more than its recorded size: a whole file then comes back short (asking for a
        whole CHUNK of a small file cost three times the read itself). One recorded as a CHUNK or
        more is not read here: ``_copy`` reads it once, from its start."""
        if not f.encrypted and f.size and f.size >= CHUNK:
            return None
        first = CHUNK if f.encrypted or not f.size else f.size + 1
        with self._opened(doc, f) as stream:
            data = self._read(stream, doc, f, first)
        if len(data) == first:
            return None                 # longer than one read (or grown since its receipt: damaged)
        self._check(doc, f, expected, hashlib.sha256(data).hexdigest(), len(data))
        return data

    def _copy(self, doc, f, path, expected, pdf, about):
        """Stream a stored file's blob into the zip, hashing it and checking it against
        ``expected`` (a file longer than one ``CHUNK``, or grown since its receipt)."""
        with self._opened(doc, f) as stream:
            pdfa, tail = False, b''
            with self.zip.stream(path) as out:
                while chunk := self._read(stream, doc, f):
                    if pdf and not pdfa:        # the mark, also where it straddles two chunks
                        pdfa = PDFA_MARK in chunk or PDFA_MARK in tail + chunk[:len(PDFA_MARK) - 1]
                        tail = chunk[-(len(PDFA_MARK) - 1):]
                    out.write(chunk)
            out.record[zipjournal.ABOUT] = about
            self._check(doc, f, expected, out.record[zipjournal.SHA256], out.size)
        return pdfa

    def _opened(self, doc, f):
        """The stored file opened for reading (``stored.open_stored``); a blob not there is named."""
        try:
            return open_stored(f)
        except (KeyError, OSError) as exc:
            raise self._blob_error('transfer_blob_missing', doc, f, str(exc) or type(exc).__name__) from None

    def _read(self, stream, doc, f, size=CHUNK):
        try:
            return stream.read(size)
        except OSError as exc:
            raise self._blob_error('transfer_blob_missing', doc, f, str(exc)) from None

    def _check(self, doc, f, expected, digest, size):
        if digest != expected or (not f.encrypted and size != f.size):
            raise self._blob_error('transfer_blob_damaged', doc, f, f'sha256 {digest}, {size} byte')

    def _blob_error(self, code, doc, f, detail):
        mapping = {'file': f'{f.__name__} ({f.filename})', 'doc': f'{doc.__name__} ({doc.number_symbol or doc.abstract})',
                   'detail': detail}
        if code == 'transfer_blob_missing':
            message = _('transfer_blob_missing', mapping=mapping,
                        default='Tệp ${file} của văn bản ${doc} không còn trong kho lưu (${detail}): '
                                'gói chưa xuất xong')
        else:
            message = _('transfer_blob_damaged', mapping=mapping,
                        default='Tệp ${file} của văn bản ${doc} bị hỏng: nội dung không khớp SHA-256 '
                                'đã lưu khi nhận (${detail}); gói chưa xuất xong')
        return TransferError(code, message, document=doc.__name__, file=f.__name__)

    # -- units -------------------------------------------------------------------------------
    def write_all(self, files, documents_of, workers=1):
        """Every unit in order. With ``workers`` (more than one), documents are prepared by worker
        processes (``workers``) a few ahead of the one being written, and written in order here."""
        if not self.zip.unit('schemas'):
            for name in mets.SCHEMAS:
                self._put(f'schemas/{name}', mets.schema(name), kind='schema')
            self.zip.commit('schemas')
        pool = None
        try:
            for f in files:
                folder = segment(f.code)
                plain = SimpleNamespace(code=f.code, secret=bool(f.secret))     # what a worker needs
                self.pages = self.count = 0
                waiting, seen = deque(), set()
                for name, doc in documents_of(f):
                    key = f'{f.code}/{name}'
                    line = self.zip.unit(key)
                    if line is True or key in seen:
                        continue                # the same document listed twice: written once
                    seen.add(key)
                    if line is None and workers > 1 and pool is None and getattr(doc, '_p_jar', None):
                        pool = W.Pool(self, doc._p_jar, workers)
                    ticket = pool.submit(doc, plain, folder, name) if line is None and pool else None
                    waiting.append((name, doc, line, ticket))
                    while len(waiting) > (pool.depth if pool else 0):
                        self._unit(f, folder, pool, *waiting.popleft())
                while waiting:
                    self._unit(f, folder, pool, *waiting.popleft())
                key = f'{f.code}/ho-so'
                if not self.zip.unit(key):
                    data = metadata.records_file_xml(f, self.count, self.pages, bool(f.secret))
                    self._put(f'metadata/descriptive/{folder}/ho-so.xml', data, kind='dmd')
                    self.zip.commit(key)
        finally:
            if pool is not None:
                pool.close()

    def _unit(self, f, folder, pool, name, doc, line, ticket):
        """A document's unit written (prepared by a worker, or here) or kept from an earlier run."""
        if ticket is not None:
            kind, value = pool.result(ticket)
            if kind == 'error':
                code, message, document, file = value
                raise TransferError(code, message, document=document, file=file)
            line = self._emit(f, value) if kind == 'ok' else self._document(f, folder, name, doc)
        elif line is None:
            line = self._document(f, folder, name, doc)
        else:
            for problem in line.get('problems', ()):
                self.report.flag(problem)
        self.pages += line.get('pages') or 0
        self.count += 1
        self._count(line)
        self.done_docs += 1
        if self.progress is not None:
            self.progress(self.done_docs, self.total)
        W.release(doc, self.done_docs)

    def spool(self, line):
        """A unit journaled (or kept from an earlier run): its entries' METS sections and file-list
        rows."""
        for record in line['zip']:
            self.sections.add(record)

    def _count(self, line):
        self.report.documents += 1
        self.report.originals += sum(1 for r in line['zip'] if r[zipjournal.ABOUT][0] == 'rep'
                                     and r[zipjournal.ABOUT][5] is None)
        if line.get('secret'):
            self.report.secret_documents.append(line['unit'].rsplit('/', 1)[1])

    def _document(self, records_file, folder, name, doc):
        doc = summarised(self.summaries, name, doc)
        return self._emit(records_file, self._prepare(records_file, folder, name, doc))

    def _about(self, kind, mime='application/xml', doc=None, label=None, use=None, created=None):
        return [kind, mime, created or self.created, doc, label, use]

    def _prepare(self, records_file, folder, name, doc, whole_only=False):
        """What the document puts in the package, in order, without writing any of it (a worker
        process does this part: ``workers``): its entries, each ``(path, data, about, crc, sha256)``
        or a ``_Streamed`` original; its pages, problems and whether it is Mật. ``whole_only``: None
        for a document this cannot do alone (an original to stream, a Mật one's key to wrap)."""
        secret = doc.classification == 'mat' or bool(records_file.secret)
        if secret and not self.allow_secret:
            raise _refuse_secret(records_file)
        if secret and (whole_only or self.certificate is None or self.settings is None):
            if whole_only:
                return None
            raise _secret_without_certificate()
        base = f'{REP}/data/{folder}/{name}'
        entries, listing, problems = [], [], []
        stored = doc.file_list()
        medium = metadata.original_medium(doc, bool(stored))
        for n, f in enumerate(stored, 1):
            sealed = bool(f.encrypted)
            path = f'{base}/{n}-{segment(f.filename, "tep")}' + ('.aesgcm' if sealed else '')
            expected = f.stored_sha256 if sealed else f.sha256
            pdf = not sealed and f.media_type == 'application/pdf'
            about = self._about('rep', SEALED_MEDIA_TYPE if sealed else (f.media_type or SEALED_MEDIA_TYPE),
                                name, f.filename, created=clock.iso(f.uploaded_at) if f.uploaded_at else None)
            data = self._whole(doc, f, expected)
            if data is None:
                if whole_only:
                    return None
                entries.append(_Streamed(doc, f, path, expected, pdf, about))
            else:
                entries.append((path, data, about, zipjournal.crc32(data), expected))
                if pdf and PDFA_MARK not in data:
                    problems.append(_not_pdfa(name, f, path))
            # a copy that ends is one whose SHA-256 is the one stored (``_check``)
            listing.append({'path': path, 'sha256': expected, 'role': f.role, 'sealed': sealed})
        if secret and any(item['sealed'] for item in listing):
            entries.append(_entry(f'{base}/content-key.json', self._wrapped_key(doc),
                                  self._about('rep', 'application/json', name)))
        record = metadata.document_xml(doc, records_file, listing, medium)
        if not stored:          # paper only: its record is its representation (module docstring)
            entries.append(_entry(f'{base}/{PAPER_RECORD}', record,
                                  self._about('rep', doc=name, label=PAPER_RECORD, use=PAPER_USE)))
        entries.append(_entry(f'metadata/descriptive/{folder}/{name}.xml', record, self._about('dmd', doc=name)))
        entries.append(_entry(f'metadata/preservation/{folder}/{name}.premis.xml',
                              metadata.premis_xml(doc, self.package_id, self.created, medium),
                              self._about('amd', doc=name)))
        return name, entries, doc.pages or 0, problems, secret

    def _emit(self, records_file, prepared):
        """Write a prepared document's entries and journal it as a unit."""
        name, entries, pages, problems, secret = prepared
        for entry in entries:
            if isinstance(entry, _Streamed):
                if not self._copy(*entry) and entry.pdf:
                    problems.append(_not_pdfa(name, entry.f, entry.path))
            else:
                path, data, about, crc, digest = entry
                self.zip.put(path, data, about, digest, crc)
        for problem in problems:
            self.report.flag(problem)
        return self.zip.commit(f'{records_file.code}/{name}', pages=pages, problems=problems, secret=secret)

    def _wrapped_key(self, doc):
        """The document's content key, unwrapped with the body's key and wrapped again for the
        archive's certificate; the ciphertext itself is shipped as stored."""
        wrapped = secrecy.wrap_key(content_key(doc, self.settings), 'archive', self.certificate,
                                   getattr(self.settings, 'oaep_hash', 'sha256'))
        names = {f.filename: base64.b64encode(bytes(f.sealed_filename)).decode('ascii')
                 for f in doc.file_list() if getattr(f, 'sealed_filename', None)}
        return json.dumps({
            'provider': secrecy.PROVIDER.name, 'segment': secrecy.SEGMENT,
            'aad': _aad(doc.body_code).decode(), 'name_aad': _name_aad(doc.body_code).decode(),
            'key': {'fingerprint': wrapped.fingerprint, 'oaep_hash': wrapped.oaep_hash,
                    'data': base64.b64encode(wrapped.data).decode('ascii')},
            'sealed_names': names}, ensure_ascii=False, indent=1).encode('utf-8')

    # -- the end -------------------------------------------------------------------------------
    def finish(self):
        """The file list and METS from the sections spooled as the units were journaled, then the
        zip's central directory."""
        listing = self._put_stream('documentation/file-list.csv', self._file_list(), 'text/csv')
        described = self._put_stream('METS.xml', mets.document(self.package_id, self.body, self.created,
                                                               listing, self.sections), 'application/xml')
        size, self.report.files_written = self.zip.finish()
        return described['sha256'], size

    def _put_stream(self, path, writer, mime):
        """An entry written from ``writer`` (a generator of bytes), deflated, hashed as it goes."""
        with self.zip.stream(path, compress=True) as out:
            for chunk in writer:
                out.write(chunk)
        return {'path': path, 'size': out.size, 'sha256': out.record[zipjournal.SHA256], 'mime': mime}

    def _file_list(self):
        """The CSV of every file: its header, then the rows spooled with the units."""
        yield b'path,size,sha256,mime,document,name\n'
        yield from self.sections.read('csv')


class _Streamed(NamedTuple):
    """An original to stream into the zip when its unit is written (longer than one read)."""
    doc: object
    f: object
    path: str
    expected: str
    pdf: bool
    about: list


def _entry(path, data, about):
    return path, data, about, zipjournal.crc32(data), hashlib.sha256(data).hexdigest()


def _not_pdfa(name, f, path):
    return {'code': 'not_pdfa', 'document': name, 'file': f.__name__,
            'message': f'{path}: không khai báo PDF/A (không có pdfaid trong XMP); '
                       'bản gốc đã ký được giữ nguyên, không chuyển đổi'}
