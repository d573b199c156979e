"""Reading untrusted packages: XML without DTDs or entities, zips without bombs or slips.

An attachment is read in two steps, so that nothing is inflated before the package's
signature is checked: ``zip_entry`` checks the base64 text's form and reads only the zip's
central directory (the few bytes at its end are all that is base64-decoded), and ``inflate``,
called once the sender is established, streams the one entry out in chunks under caps on
size and on compression ratio, per attachment and (``Budget``) per package.

Everything here raises one error type, ``PackageError``, whatever the bytes: the exchange
answers a sender with its code and message and never with a traceback.

Why ``huge_tree=True``: without it libxml2 refuses any text node above 10,000,000
characters, that is any attachment above about 7 MiB once base64-encoded, while a scanned
document is often bigger. The dangers that option guards against are closed here instead:
the input size is capped before parsing, any DOCTYPE is refused (before and after parsing),
entities are never resolved and nothing is loaded from the network or a DTD.
"""
import base64
import binascii
import io
import zipfile
from dataclasses import dataclass

from lxml import etree

MiB = 1024 * 1024

# code: (Vietnamese, English). The Vietnamese message is what the sender and the clerk read.
MESSAGES = {
    'malformed_xml': ('Gói tin không phải XML hợp lệ', 'The package is not well-formed XML'),
    'doctype_forbidden': ('Gói tin có khai báo DOCTYPE hoặc ENTITY: không được phép',
                          'DOCTYPE and entity declarations are not allowed'),
    'wrong_namespace': ('Gói tin không viết trong không gian tên edXML '
                        '(http://www.mic.gov.vn/TBT/QCVN_102_2016)',
                        'The package is not written in the edXML namespace'),
    'not_a_package': ('Không phải gói văn bản edXML', 'Not an edXML document package'),
    'not_a_status': ('Không phải thông điệp trạng thái edXML', 'Not an edXML status message'),
    'too_large': ('Gói tin hoặc tệp đính kèm vượt quá dung lượng cho phép',
                  'The package or an attachment is larger than allowed'),
    'too_many_attachments': ('Gói tin có quá nhiều tệp đính kèm',
                             'The package has too many attachments'),
    'too_many_entries': ('Tệp nén có quá nhiều mục', 'The zip holds too many entries'),
    'bad_base64': ('Tệp đính kèm không giải mã được (base64 lỗi)',
                   'An attachment is not valid base64'),
    'bad_zip': ('Tệp đính kèm không phải tệp nén hợp lệ chứa đúng một tệp',
                'An attachment is not a valid zip holding exactly one file'),
    'zip_too_large': ('Tệp đính kèm giải nén ra vượt quá dung lượng cho phép',
                      'An attachment unzips to more than allowed'),
    'zip_path_unsafe': ('Tên tệp trong tệp nén không an toàn', 'A zip entry has an unsafe name'),
    'zip_ratio': ('Tệp đính kèm nén với tỉ lệ bất thường (nghi là bom nén)',
                  'An attachment is compressed at an implausible ratio (a zip bomb)'),
    'no_receiver': ('Gói tin không có nơi nhận (To/OrganId)', 'The package names no receiver (To/OrganId)'),
    'no_sender': ('Gói tin không có nơi gửi (From/OrganId)', 'The message names no sender (From/OrganId)'),
    'no_document': ('Gói tin không có tệp văn bản đính kèm', 'The package carries no document file'),
    'no_status_code': ('Thông điệp trạng thái thiếu mã trạng thái', 'The status message has no StatusCode'),
    'no_reference': ('Thông điệp trạng thái không cho biết trả lời văn bản nào (ResponseFor)',
                     'The status message does not name the document it answers (ResponseFor)'),
    'reason_required': ('Từ chối, thu hồi cần ghi rõ lý do', 'A refusal or a recall needs a reason'),
    'invalid_schema': ('Gói tin không đúng lược đồ edXML', 'The XML does not validate against the edXML schema'),
}


class PackageError(Exception):
    """A package or message that cannot be acted on; ``code`` is stable, messages are for people."""

    def __init__(self, code, detail=''):
        vi, en = MESSAGES[code]
        self.code = code
        self.detail = detail
        self.message = f'{vi}: {detail}' if detail else vi
        self.message_en = f'{en}: {detail}' if detail else en
        super().__init__(f'{code}: {self.message_en}')


@dataclass(frozen=True)
class Limits:
    """What one incoming package may cost us; each refusal has its own code."""
    max_package_bytes: int = 64 * MiB
    max_attachments: int = 100
    max_attachment_bytes: int = 50 * MiB        # one attachment, zipped (after base64 decoding)
    max_unzipped_bytes: int = 50 * MiB          # one attachment, unzipped
    max_total_unzipped_bytes: int = 256 * MiB   # all attachments of a package, unzipped
    max_zip_entries: int = 16                   # entries read from one zip (exactly one must be a file)
    max_ratio: int = 100                        # unzipped / zipped, per attachment and per package...
    ratio_floor_bytes: int = MiB                # ...once more than this came out (small files compress well)


_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True,
                          remove_comments=True, remove_pis=True, dtd_validation=False)

_BOMS = ((b'\x00\x00\xfe\xff', 'utf-32-be'), (b'\xff\xfe\x00\x00', 'utf-32-le'),
         (b'\xfe\xff', 'utf-16-be'), (b'\xff\xfe', 'utf-16-le'))


def _prolog_text(data):
    """The bytes as text good enough to read the prolog: only ``<``, ``?``, ``!``, ``-`` matter."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom):].decode(encoding, 'replace')
    head = data[:4]
    if head.startswith(b'\x00<') or head.startswith(b'<\x00'):       # UTF-16 without a BOM
        return data.decode('utf-16-be' if head[0] == 0 else 'utf-16-le', 'replace')
    if data.startswith(b'\xef\xbb\xbf'):
        data = data[3:]
    return data.decode('latin-1')        # ASCII-compatible: every byte maps to one character


def check_prolog(data):
    """Refuse a DOCTYPE (hence any ENTITY) before the parser sees it.

    Walks what may precede the root element (white space, the XML declaration, comments,
    processing instructions); the first other thing must be the root's ``<``.
    """
    text = _prolog_text(data)
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in ' \t\r\n':
            i += 1
        elif text.startswith('<?', i):
            end = text.find('?>', i + 2)
            if end < 0:
                raise PackageError('malformed_xml', 'unterminated processing instruction')
            i = end + 2
        elif text.startswith('<!--', i):
            end = text.find('-->', i + 4)
            if end < 0:
                raise PackageError('malformed_xml', 'unterminated comment')
            i = end + 3
        elif text.startswith('<!', i):
            raise PackageError('doctype_forbidden')
        elif c == '<':
            return
        else:
            raise PackageError('malformed_xml', 'the document does not start with an element')
    raise PackageError('malformed_xml', 'no root element')


def parse_xml(data, limits=Limits()):
    """Parse untrusted bytes into an lxml root element, or raise ``PackageError``."""
    data = bytes(data)
    if len(data) > limits.max_package_bytes:
        raise PackageError('too_large', f'{len(data)} > {limits.max_package_bytes} bytes')
    check_prolog(data)
    try:
        root = etree.fromstring(data, _PARSER)
    except (etree.LxmlError, ValueError) as exc:
        raise PackageError('malformed_xml', str(exc).splitlines()[0][:200] if str(exc) else '') from None
    if root is None:
        raise PackageError('malformed_xml', 'empty document')
    info = root.getroottree().docinfo
    if info.doctype or info.internalDTD is not None or info.externalDTD is not None:
        raise PackageError('doctype_forbidden')
    return root


def _unsafe_name(name):
    if not name or '\\' in name or '\x00' in name or name.startswith('/'):
        return True
    if len(name) > 1 and name[1] == ':':      # a drive letter: C:evil.exe
        return True
    return any(part == '..' for part in name.split('/'))


CHUNK = 64 * 1024
_ALPHABET = b'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'


def b64_text(text, limits=Limits()):
    """An attachment's base64 text as ASCII bytes without white space, its form checked (the
    alphabet, the length, the padding) and its decoded size capped, all without decoding it."""
    try:
        raw = (text or '').encode('ascii')
    except UnicodeEncodeError:
        raise PackageError('bad_base64', 'not ASCII') from None
    raw = raw.translate(None, b' \t\r\n')
    if len(raw) % 4:                            # binascii forgives stray padding; a sender's encoder never writes it
        raise PackageError('bad_base64', 'length not a multiple of 4')
    if len(raw) // 4 * 3 > limits.max_attachment_bytes:
        raise PackageError('too_large', f'an attachment above {limits.max_attachment_bytes} bytes')
    body = raw.rstrip(b'=')
    if len(raw) - len(body) > 2 or body.translate(None, _ALPHABET):
        raise PackageError('bad_base64')
    return raw


class Base64File(io.RawIOBase):
    """A seekable read-only file over base64 text that decodes only the bytes asked for: the
    zip's central directory is read from the end without decoding the attachment before it."""

    def __init__(self, raw):
        super().__init__()
        self._raw = raw
        self._size = len(raw) // 4 * 3 - (len(raw) - len(raw.rstrip(b'='))) if raw else 0
        self._pos = 0

    def readable(self):
        return True

    def seekable(self):
        return True

    def tell(self):
        return self._pos

    def seek(self, offset, whence=io.SEEK_SET):
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        if base + offset < 0:
            raise ValueError('negative seek position')
        self._pos = base + offset
        return self._pos

    def read(self, size=-1):
        end = self._size if size is None or size < 0 else min(self._size, self._pos + size)
        if end <= self._pos:
            return b''
        first, last = self._pos // 3, (end + 2) // 3          # base64 quanta: 4 characters, 3 bytes
        try:
            decoded = base64.b64decode(self._raw[first * 4:last * 4], validate=True)
        except (binascii.Error, ValueError):
            raise PackageError('bad_base64') from None
        out = decoded[self._pos - first * 3:end - first * 3]
        self._pos = end
        return out

    def readinto(self, buffer):
        data = self.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)


def zip_entry(raw, limits=Limits(), label=''):
    """The attachment's zip opened over its base64 text (``b64_text``) and its one file entry:
    ``(archive, info)``. Reads the central directory only: entries, names, declared sizes
    (a declared size over the cap is refused here; a lie is caught by ``inflate``)."""
    where = f'{label}: ' if label else ''
    try:
        archive = zipfile.ZipFile(Base64File(raw) if isinstance(raw, bytes) else raw)
        infos = archive.infolist()
    except PackageError:
        raise
    except Exception as exc:           # zipfile fails in many ways (BadZipFile, ValueError, OSError...)
        raise PackageError('bad_zip', f'{where}{type(exc).__name__}') from None
    if len(infos) > limits.max_zip_entries:
        raise PackageError('too_many_entries', f'{where}{len(infos)} > {limits.max_zip_entries}')
    for info in infos:
        if _unsafe_name(info.filename):
            raise PackageError('zip_path_unsafe', repr(info.filename[:100]))
    files = [info for info in infos if not info.is_dir()]
    if len(files) != 1:
        raise PackageError('bad_zip', f'{where}{len(files)} files in the zip')
    if files[0].file_size > limits.max_unzipped_bytes:
        raise PackageError('zip_too_large', f'{where}more than {limits.max_unzipped_bytes} bytes')
    return archive, files[0]


class Budget:
    """What the attachments of one package have cost so far, against the package's caps."""

    def __init__(self, limits):
        self.limits, self.zipped, self.unzipped = limits, 0, 0

    def spend(self, zipped, unzipped, label):
        limits = self.limits
        total_zipped, total_unzipped = self.zipped + zipped, self.unzipped + unzipped
        if total_unzipped > limits.max_total_unzipped_bytes:
            raise PackageError('zip_too_large', f'{label}: more than {limits.max_total_unzipped_bytes} '
                                                f'bytes in all')
        if total_unzipped > limits.ratio_floor_bytes and total_unzipped > limits.max_ratio * max(total_zipped, 1):
            raise PackageError('zip_ratio', f'{label}: the package unzips over {limits.max_ratio} times its size')
        return total_zipped, total_unzipped

    def commit(self, zipped, unzipped):
        self.zipped += zipped
        self.unzipped += unzipped


def inflate(archive, info, limits=Limits(), budget=None, label=''):
    """The entry's bytes, streamed out in chunks (zipfile's reader inflates with ``max_length``)
    and refused as soon as they pass the attachment's cap, its ratio, or the package's."""
    budget = budget or Budget(limits)
    where = label or repr(info.filename[:100])
    zipped = max(info.compress_size, 1)
    out = bytearray()
    try:
        with archive.open(info) as stream:
            while True:
                chunk = stream.read(CHUNK)
                if not chunk:
                    break
                size = len(out) + len(chunk)
                if size > limits.max_unzipped_bytes:
                    raise PackageError('zip_too_large', f'{where}: more than {limits.max_unzipped_bytes} bytes')
                if size > limits.ratio_floor_bytes and size > limits.max_ratio * zipped:
                    raise PackageError('zip_ratio', f'{where}: over {limits.max_ratio} times its zipped size')
                budget.spend(zipped, size, where)
                out += chunk
    except PackageError:
        raise
    except Exception as exc:           # bad CRC, truncated stream, encryption, unknown method...
        raise PackageError('bad_zip', f'{where}: {type(exc).__name__}') from None
    budget.commit(zipped, len(out))
    return bytes(out)


def unzip_one(raw, limits=Limits()):
    """The one file in an attachment's zip (``raw``: the zip's bytes): ``(entry name, bytes)``.

    The declared sizes in the zip headers are never trusted: the entry is read in chunks
    and refused as soon as the count passes the limit, so a bomb costs at most the limit.
    """
    archive, info = zip_entry(io.BytesIO(raw), limits)
    return info.filename, inflate(archive, info, limits)
