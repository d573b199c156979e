"""The edXML document package and status message (QCVN 102:2016): model, encoder, decoder.

We write strictly (``schemas/edxml.xsd``; every envelope element ``edXML:``-prefixed, since
receivers on the national axis reject unprefixed ones) and read tolerantly: what other
senders get wrong but we can still act on is kept as a ``Deviation`` for the clerk to see;
only what cannot be acted on raises ``PackageError`` (see ``safexml.MESSAGES`` for the codes).

Number and symbol ("số và ký hiệu") in ``Code``:

=============  ================  ==========  ============
form           as written        CodeNumber  CodeNotation
=============  ================  ==========  ============
Party          ``917-TTr/VPTU``  ``917``     ``TTr/VPTU``
State          ``15/QĐ-BNV``     ``15``      ``QĐ-BNV``
=============  ================  ==========  ============

The number keeps its digits as written (``02-QĐi/TU`` gives ``02``). The form is told back
from the notation alone: a Party notation always holds a ``/``, a state one never does.
``DocumentId`` is ``<OrganId>,<yyyy/MM/dd>,<CodeNumber>/<CodeNotation>``, e.g.
``000.00.00.G22,2015/09/30,7816/VPCP-TTĐT``; ``ResponseFor/Code`` is ``<CodeNumber>/<CodeNotation>``.

Dates are ``yyyy/MM/dd`` and timestamps ``yyyy/MM/dd HH:mm:ss`` without a zone, meaning
Vietnam time: the model holds ``datetime.date`` and aware datetimes, converted only here.

Attachments: each file is zipped alone (one entry named after it), base64-encoded into
``AttachmentEncoded/Attachment`` with ``ContentId`` ``N``, and listed in the manifest as
``cid:N``. Our extensions (classification, encryption) are in the ``arc`` namespace after
``TraceHeaderList``; an enveloped ``ds:Signature`` may close ``edXMLHeader`` and ``Status``.

Deviation codes: ``document_id_form`` (not ``<OrganId>,<date>,<number>/<notation>``, e.g. a
UUID), ``organ_id_form`` (not ``NNN.NN.NN.Lnn``), ``empty_element``, ``missing_element``,
``unknown_document_type``, ``date_format`` (another date form, converted), ``bad_date``
(unreadable, dropped), ``bad_value`` (a code or count out of range; the default is used),
``unknown_classification``, ``manifest_mismatch``, ``status_code_form``, ``attachment_element_form``
(a file in another element than ``AttachmentEncoded/Attachment``), ``status_sdk_form`` (a status
as the government SDK writes it). Elements are read in the edXML namespace whatever their prefix;
an attachment is zipped (the standard) or the file itself (``Attachment.form`` 'base64'). What
each code means to a clerk: ``deviations``.

The package: ``model`` holds the namespaces, code lists and dataclasses; ``values`` the number and
symbol, ``DocumentId`` and dates; ``encode`` the writer and the schema check; ``decode`` the
tolerant reader. Every public name is importable from ``archive.exchange.edxml``.
"""
from ..safexml import Limits, PackageError
from .decode import (check_attachments, decode_package, decode_status, nonstandard_signature, sdk_status_header,
                     unpack_attachments)
from .encode import encode_package, encode_status, package_bytes, status_bytes, validate
from .model import (
    CLASSIFICATIONS, DS, EXT, NEW, NS, REASON_REQUIRED, RECALL, REPLACE, SCHEMA, SOAP_ENV, STATUS_CODES,
    UPDATE, XLINK, Attachment, Business, Decoded, Deviation, DocumentType, Encryption, Organ, OtherInfo,
    Package, ResponseFor, SignerInfo, StaffInfo, Status, Trace,
)
from .values import DocumentIdParts, document_id, join_number_symbol, parse_document_id, split_number_symbol

__all__ = [
    'NS', 'EXT', 'DS', 'XLINK', 'SOAP_ENV', 'SCHEMA', 'STATUS_CODES', 'REASON_REQUIRED', 'CLASSIFICATIONS',
    'NEW', 'RECALL', 'UPDATE', 'REPLACE', 'Limits', 'PackageError',
    'Organ', 'DocumentType', 'SignerInfo', 'OtherInfo', 'ResponseFor', 'Trace', 'StaffInfo',
    'Business', 'Encryption', 'Attachment', 'Package', 'Status', 'Deviation', 'Decoded',
    'split_number_symbol', 'join_number_symbol', 'document_id', 'parse_document_id', 'DocumentIdParts',
    'encode_package', 'package_bytes', 'encode_status', 'status_bytes', 'validate',
    'decode_package', 'check_attachments', 'unpack_attachments', 'decode_status', 'sdk_status_header',
    'nonstandard_signature',
]
