"""The edXML model: namespaces, code lists and the dataclasses a package and a status are read into
and written from (see the package docstring for the format)."""
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

NS = 'http://www.mic.gov.vn/TBT/QCVN_102_2016'
EXT = 'urn:party-archive:edxml-ext:1'
DS = 'http://www.w3.org/2000/09/xmldsig#'
XLINK = 'http://www.w3.org/1999/xlink'
SOAP_ENV = 'http://schemas.xmlsoap.org/soap/envelope/'
SCHEMA = Path(__file__).resolve().parents[4] / 'schemas' / 'edxml.xsd'

# The status codes (EDXML.md; only 01 is [V], the rest [S]: correct them here).
STATUS_CODES = {
    '01': 'đã đến', '02': 'từ chối tiếp nhận', '03': 'đã tiếp nhận', '04': 'phân công',
    '05': 'đang xử lý', '06': 'hoàn thành', '13': 'yêu cầu lấy lại', '15': 'đồng ý lấy lại',
    '16': 'từ chối lấy lại',
}
REASON_REQUIRED = ('02', '16')
NEW, RECALL, UPDATE, REPLACE = 0, 1, 2, 3               # Bussiness/BussinessDocType
CLASSIFICATIONS = ('mat', 'toi_mat', 'tuyet_mat')    # '' is not classified



@dataclass
class Organ:
    organ_id: str
    organ_name: str = ''
    organization_in_charge: str = ''
    organ_add: str = ''
    email: str = ''
    telephone: str = ''
    fax: str = ''
    website: str = ''


@dataclass
class DocumentType:
    code: str               # our code list (configurable): 'TTr', or a numeric code of another sender
    detail: str = ''
    name: str = ''


@dataclass
class SignerInfo:
    competence: str = ''
    position: str = ''
    full_name: str = ''


@dataclass
class OtherInfo:
    priority: int = 0               # 0 normal · 1 khẩn · 2 thượng khẩn · 3 hỏa tốc · 4 hỏa tốc hẹn giờ
    sphere_of_promulgation: str = ''
    typer_notation: str = ''
    promulgation_amount: int | None = None
    page_amount: int | None = None
    direction: str = ''
    appendixes: list[str] = field(default_factory=list)


@dataclass
class ResponseFor:
    organ_id: str
    code_number: str = ''
    code_notation: str = ''
    promulgation_date: dt.date | None = None
    document_id: str = ''


@dataclass
class Trace:
    organ_id: str
    timestamp: dt.datetime | None              # aware, Vietnam time when read


@dataclass
class StaffInfo:
    department: str = ''
    staff: str = ''
    email: str = ''
    mobile: str = ''


@dataclass
class Business:
    doc_type: int = 0                           # 0 new · 1 recall · 2 update · 3 replace
    reason: str = ''
    document_id: str = ''
    paper: int = 0                              # 1: a paper copy follows
    staff: StaffInfo = field(default_factory=StaffInfo)
    replacement_info: list[str] = field(default_factory=list)   # document ids


@dataclass
class Encryption:
    algorithm: str
    recipient: str                              # the recipient certificate's fingerprint
    wrapped_key: bytes


@dataclass
class Attachment:
    content_id: str                             # 'N'; the manifest says 'cid:N'
    name: str                                   # as the sender wrote it: a label, never a file path
    description: str = ''
    content_type: str = 'application/octet-stream'
    data: bytes = b''
    encoded: str = field(default='', repr=False, compare=False)   # as read, until unpacked
    form: str = field(default='zip', compare=False)     # as it came: 'zip' (the standard) or 'base64'


@dataclass
class Package:
    from_organ: Organ
    to: list[Organ]
    code_number: str = ''
    code_notation: str = ''
    promulgation_place: str = ''
    promulgation_date: dt.date | None = None
    document_type: DocumentType = field(default_factory=lambda: DocumentType(''))
    subject: str = ''
    content: str = ''
    signer_info: SignerInfo = field(default_factory=SignerInfo)
    due_date: dt.date | None = None
    to_places: list[str] = field(default_factory=list)
    other_info: OtherInfo = field(default_factory=OtherInfo)
    response_for: list[ResponseFor] = field(default_factory=list)
    steering_type: int | None = None            # 0 not a directive · 1 directive · 2 report on one
    document_id: str = ''                       # '' when encoding: built from the fields above
    traces: list[Trace] = field(default_factory=list)
    business: Business = field(default_factory=Business)
    classification: str = ''
    encryption: Encryption | None = None
    attachments: list[Attachment] = field(default_factory=list)


@dataclass
class Status:
    response_for: ResponseFor
    from_organ: Organ                           # the receiver that reports
    status_code: str
    description: str = ''
    timestamp: dt.datetime | None = None
    staff: StaffInfo = field(default_factory=StaffInfo)


@dataclass(frozen=True)
class Deviation:
    code: str
    detail: str


class Decoded(NamedTuple):
    value: object                               # a Package or a Status
    deviations: list

    @property
    def package(self):
        return self.value

    @property
    def status(self):
        return self.value



def _q(name, ns=NS):
    """An element or attribute name in its namespace, as lxml writes it."""
    return f'{{{ns}}}{name}'
