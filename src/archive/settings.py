"""The archive's settings, read once from the .ini into one object on the registry."""
import os
import re
import unicodedata
from dataclasses import dataclass, field

from . import settings_files as F
from . import settings_values as V
from .calendar import Calendar
from .schemas.document import document_schema

DEFAULT_ORGAN_ID_PATTERN = r'^\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}$'
DEFAULT_ATTACHMENT_TYPES = (
    'application/pdf',
    'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    'application/vnd.oasis.opendocument.text',
    'application/zip', 'image/jpeg', 'image/png',
)
DEFAULT_DOCUMENT_TYPES = (
    ('NQ', 'Nghị quyết'), ('QĐ', 'Quyết định'), ('QĐi', 'Quy định'), ('CT', 'Chỉ thị'),
    ('KL', 'Kết luận'), ('TB', 'Thông báo'), ('HD', 'Hướng dẫn'), ('BC', 'Báo cáo'),
    ('TTr', 'Tờ trình'), ('KH', 'Kế hoạch'), ('CV', 'Công văn'), ('BB', 'Biên bản'),
)
# Art. 8: what is sent electronically AND on paper (DOMAIN.md), condensed; ``archive.paper_also_categories``
# replaces the list (``code = label`` a line).
DEFAULT_PAPER_ALSO_CATEGORIES = (
    ('to_chuc_nhan_su', 'Tổ chức bộ máy, nhân sự'),
    ('kiem_tra_giam_sat', 'Kiểm tra, giám sát'),
    ('khieu_nai_to_cao', 'Giải quyết khiếu nại, tố cáo'),
    ('che_do_chinh_sach', 'Chế độ, chính sách'),
    ('tai_chinh', 'Tài chính'),
    ('bao_cao_thuc_hien', 'Báo cáo kết quả thực hiện nghị quyết, chỉ thị của cấp trên'),
    ('xin_y_kien', 'Xin ý kiến Bộ Chính trị, Ban Bí thư; Ban Chấp hành, Ban Thường vụ, Thường trực Thành ủy'),
    ('de_an_to_trinh', 'Đề án, tờ trình, dự thảo nghị quyết, quyết định, quy định, quy chế'),
    ('nghi_quyet_ket_luan', 'Nghị quyết, kết luận của Ban Chấp hành; nghị quyết, chỉ thị của Ban Thường vụ'),
    ('ket_luan_thong_bao', 'Kết luận hội nghị, thông báo kết luận, ý kiến của Thường trực Thành ủy'),
    ('dai_hoi_hoi_nghi', 'Đại hội, hội nghị của Đảng bộ; làm việc, tiếp khách của Thường trực Thành ủy'),
    ('chi_dao_linh_vuc', 'Văn bản chỉ đạo theo lĩnh vực của các ban Đảng'),
)
PAPER_CATEGORY_CODE = re.compile(r'^[a-z0-9_]{1,40}$')
# Records files (archival/): the retention periods offered besides permanent (vĩnh viễn), after the
# national common retention table, and each document type's default (None = permanent).
DEFAULT_RETENTION_PERIODS = (70, 50, 20, 10, 5)
DEFAULT_RETENTION_BY_TYPE = (
    ('NQ', None), ('QĐ', None), ('QĐi', None), ('QyĐ', None), ('CT', None), ('KL', None), ('QC', None),
    ('HD', 20), ('BC', 20), ('TTr', 20), ('KH', 20), ('CTr', 20), ('ĐA', 20), ('BB', 20),
    ('TB', 10), ('CV', 10),
)
PERMANENT_WORDS = ('permanent', 'vinh_vien', 'vĩnh viễn')


@dataclass(frozen=True)
class MailSettings:
    """The official-email and mailbox channels (``exchange/channels/email.py``, ``mailbox.py``)."""
    smtp_host: str = ''
    smtp_port: int = 25
    smtp_starttls: bool = False
    smtp_user: str = ''
    smtp_password_file: str = ''
    smtp_timeout: float = 30.0           # also the IMAP intake's timeout
    mail_from: str = ''
    mail_reply_to: str = ''             # '' = mail_from
    intake: str = ''                    # maildir:<path>, imap://... or imaps://... ('' = none)
    intake_password_file: str = ''
    max_bytes: int = 0                  # a mail taken in (0: from the package limit, see email.max_bytes)
    mailbox_max_bytes: int = 10 * 1024 * 1024   # attachments in a mail to a person's mailbox


@dataclass(frozen=True)
class AxisSettings:
    """The national exchange axis (``exchange/channels/axis.py``): a folder pair or an HTTP service."""
    mode: str = ''                      # 'folder', 'http' or '' (off)
    out_dir: str = ''
    in_dir: str = ''
    done_dir: str = ''                  # '' in the .ini: ``processed`` beside in_dir
    rejected_dir: str = ''              # '' in the .ini: ``rejected`` beside in_dir
    url: str = ''
    token_file: str = ''
    timeout: float = 30.0


@dataclass(frozen=True)
class NotifySettings:
    """Notifications by mail (services/notify.py, exchange/notify_mail.py): the daily digest and
    the mail saying something was assigned, both through the outbox; each person chooses on
    their own page."""
    mail: bool = False                  # archive.notify_mail: digests and assignment mails are sent
    digest_hour: int = 7                # archive.digest_hour: the hour (Vietnam time) the digests go


@dataclass
class ArchiveSettings:
    secret: str
    organ_id_pattern: re.Pattern
    document_types: dict            # abbreviation -> name, in the configured order
    attachment_types: tuple
    max_upload_bytes: int = 50_000_000            # "50 MB": the pages write sizes in decimal units
    cookie_secure: bool = False
    demo_seed: bool = False
    demo_password: str = 'demo-mat-khau-2026'
    login_max_failures: int = 5
    login_max_failures_per_address: int = 20
    login_lockout_seconds: int = 900
    session_lifetime_seconds: int = 8 * 3600   # a login session ends this long after login...
    session_idle_seconds: int = 30 * 60        # ...or this long after its last request
    session_refresh_seconds: int = 60          # "last seen" is written at most this often
    workflows_dir: str = ''
    schemas_dir: str = ''
    calendar: Calendar = field(default_factory=Calendar)
    trust_roots: tuple = ()         # asn1crypto certificates the signatures' chains must reach
    crls: tuple = ()                # DER CRLs checked offline (revocation)
    tsa_url: str = ''               # RFC 3161 time-stamp authority used when signing ('' = none)
    signature_clock_skew_seconds: int = 300   # a claimed signing time may be this far ahead of the check
    oaep_hash: str = 'sha256'       # RSA-OAEP hash for wrapping Mật content keys (sha1 for tokens that lack SHA-256)
    paper_also_categories: dict = field(default_factory=dict)   # Art. 8: code -> label, in order
    # What one package received by exchange may cost (0: derived from max_upload_bytes in ``load``)
    exchange_max_package_bytes: int = 0         # the package as received (the endpoint's body cap)
    exchange_max_unzipped_bytes: int = 0        # one attachment, unzipped
    exchange_max_total_unzipped_bytes: int = 0  # all attachments of a package, unzipped
    exchange_max_ratio: int = 100               # unzipped / zipped, per attachment and per package
    # The bounded record of unvouched refusals (refused.py): records an hour, counts written every
    # so many seconds, full journal entries an hour and per source
    refusal_records_per_hour: int = 1000
    refusal_flush_seconds: int = 60
    refusal_journal_per_hour: int = 100
    refusal_journal_per_source: int = 5
    keystore: object = None         # the opened key store (set by main(); None without one)
    # The cost of stretching secrets. Production keeps the defaults; only the tests lower them.
    keystore_scrypt_n: int = 2 ** 15        # scrypt n for new keys of the software key store
    password_time_cost: int = 3             # argon2id passes over memory (argon2-cffi's default)
    password_memory_kib: int = 65536        # argon2id memory in KiB (argon2-cffi's default)
    keystore_kind: str = ''                 # archive.keystore: 'software', 'pkcs11' or '' (none)
    keystore_passphrase_file: str = ''      # (the key store itself reads its options: open_keystore)
    root_key: str = 'archive'               # the ZODB root's key of this archive
    template_cache_dir: str = ''            # Chameleon's compiled templates ('' = none)
    numbering: str = ''                     # the register rules (registers.parse_rules; '' = its default)
    urgent_handling_minutes: int = 60       # an urgent document waits this long on a desk before it is late
    # Background work of a server process (background.py)
    background: bool = False                # the background threads run in this process
    exchange_worker: bool = True            # ...and among them the exchange worker
    journal_checkpoint_minutes: float = 60.0
    journal_export_dir: str = ''            # '' = no export file
    pack_interval_hours: float = 24.0       # 0 = never pack
    pack_days: float = 7.0                  # history a pack keeps
    # The exchange worker (exchange/worker/)
    exchange_poll_seconds: float = 2.0
    delivery_lease_seconds: float = 300.0   # a claim older than this is another worker's to take
    delivery_retry_seconds: float = 30.0
    delivery_retry_cap_seconds: float = 3600.0
    delivery_max_attempts: int = 8
    instance_key: str = 'instance:local'    # the key id this instance signs with where no body can
    # Monitoring and the outgoing queues (monitoring part): Art. 6.3 urgent sending, Art. 13.1 availability
    urgent_send_minutes: int = 60           # a khẩn or more urgent document is late when sent later after signing
    heartbeat_minutes: float = 5.0          # the worker journals it is alive this often (availability)
    # Backups (archival/backup.py, Art. 15.5): repozo + blobs to each destination (independent media)
    backup_destinations: tuple = ()         # folders, one a line ('' = no backups, and no scheduled pack)
    backup_interval_hours: float = 24.0     # an incremental this often (0 = no scheduled backup)
    backup_full_days: float = 30.0          # a new full set when the current one is this old
    backup_keep_sets: int = 3               # full sets kept on each destination (rotation)
    backup_max_age_hours: float = 36.0      # the last good backup older than this: red, /healthz says so
    backup_datafs: str = ''                 # the Data.fs backed up ('' = the FileStorage this process opened;
    backup_blob_dir: str = ''               # on ZEO: the server's files, the worker on the server's host)
    # Search (search/): this server's own index folder ('' = search-index beside the FileStorage,
    # or var/search-index on ZEO), and whether the background indexer runs in this process;
    # the engine (tantivy | whoosh: a change rebuilds the index)
    search_index_dir: str = ''
    search_engine: str = 'tantivy'
    search_indexer: bool = True
    search_poll_seconds: float = 1.0
    # a reader of every document, no filter, more matches than this: facet counts estimated from
    # the index's 1/16 sample (0 = always exact; search/engine.py)
    search_estimate_above: int = 20_000
    mail: MailSettings = field(default_factory=MailSettings)
    axis: AxisSettings = field(default_factory=AxisSettings)
    notify: NotifySettings = field(default_factory=NotifySettings)     # notifications (notify part)
    # The files of a document form held after an error (views/held_uploads.py; never a Mật one)
    upload_hold_dir: str = ''               # '' = archive-held-uploads in the system's temporary folder
    upload_hold_minutes: float = 60.0       # a held file is removed this long after it was held
    upload_hold_bytes: int = 0              # at most this much held per session (0: 2 x max_upload_bytes)
    # Records files, retention and disposition (archival/files.py, retention.py, batches.py)
    retention_periods: tuple = DEFAULT_RETENTION_PERIODS   # years a file may be kept, besides permanent
    retention_by_type: dict = field(default_factory=lambda: dict(DEFAULT_RETENTION_BY_TYPE))  # abbr -> years|None
    appraisal_horizon_days: int = 90        # files due within this many days show for appraisal
    transfer_secret: bool = False           # a Mật file may go in a transfer batch (exported encrypted)
    transfer_dir: str = ''                  # where transfer packages are written ('' = var/transfer)
    # Export (#14): the archive's encryption certificate (archive.transfer_certificate, a PEM path,
    # read and checked at start-up) a Mật file's content key is wrapped for; None: none named
    transfer_certificate: object = None
    # Export (#14): processes that prepare a package's documents while the export writes it
    # (archival/sip/workers.py; a FileStorage only); 1: the exporting process alone (the default:
    # measured on a shared 2-core machine, 2 workers cost more CPU and gained no wall time)
    export_workers: int = 1
    extra: dict = field(default_factory=dict)

    def document_schema(self):
        """The document schema bound to these settings, built once (binding costs ~1 ms).
        Read-only: a form that adds nodes builds its own with ``schemas.document.document_schema``."""
        if 'document_schema' not in self.extra:
            self.extra['document_schema'] = document_schema(self)
        return self.extra['document_schema']


def _document_types(value):
    """``{abbreviation: name}``; two types of one abbreviation or of one name stop the start: a
    clerk choosing "Quy định" from the list could not tell which type was meant."""
    types, by_name = {}, {}
    for line in V.lines(value) or [f'{a} {n}' for a, n in DEFAULT_DOCUMENT_TYPES]:
        abbr, _sep, name = line.partition(' ')
        name = ' '.join(name.split()) or abbr
        if abbr in types:
            raise ValueError(f'archive.document_types: {abbr} is listed twice')
        key = unicodedata.normalize('NFC', name).casefold()
        if key in by_name:
            raise ValueError(f'archive.document_types: {by_name[key]} and {abbr} are both named "{name}"; '
                             'give each type a name of its own (e.g. "Quy định (văn bản nhà nước)")')
        types[abbr], by_name[key] = name, abbr
    return types


def load(settings):
    """Validate and convert the ``archive.*`` settings; refuse a weak secret."""
    secret = settings.get('archive.secret') or os.environ.get('ARCHIVE_SECRET', '')
    if len(secret) < 32:
        raise ValueError('archive.secret (or ARCHIVE_SECRET) must be at least 32 characters')
    max_upload = V.positive(settings.get('archive.max_upload_bytes', 50_000_000), 'archive.max_upload_bytes')
    types = _document_types(settings.get('archive.document_types'))
    loaded = ArchiveSettings(
        secret=secret,
        organ_id_pattern=re.compile(settings.get('archive.organ_id_pattern') or DEFAULT_ORGAN_ID_PATTERN),
        document_types=types,
        paper_also_categories=_paper_also_categories(settings.get('archive.paper_also_categories')),
        attachment_types=tuple(V.lines(settings.get('archive.attachment_types')) or DEFAULT_ATTACHMENT_TYPES),
        max_upload_bytes=max_upload,
        exchange_max_package_bytes=V.positive(settings.get('archive.exchange_max_package_bytes')
                                             or 2 * max_upload + (1 << 20), 'archive.exchange_max_package_bytes'),
        exchange_max_unzipped_bytes=V.positive(settings.get('archive.exchange_max_unzipped_bytes') or max_upload,
                                              'archive.exchange_max_unzipped_bytes'),
        exchange_max_total_unzipped_bytes=V.positive(settings.get('archive.exchange_max_total_unzipped_bytes')
                                                    or 2 * max_upload, 'archive.exchange_max_total_unzipped_bytes'),
        exchange_max_ratio=V.positive(settings.get('archive.exchange_max_ratio') or 100, 'archive.exchange_max_ratio'),
        **{name: V.positive(settings.get(f'archive.{name}') or default, f'archive.{name}')
           for name, default in (('refusal_records_per_hour', 1000), ('refusal_flush_seconds', 60),
                                 ('refusal_journal_per_hour', 100), ('refusal_journal_per_source', 5))},
        cookie_secure=V.truthy(settings.get('archive.cookie_secure', 'false')),
        demo_seed=V.truthy(settings.get('archive.demo_seed', 'false')),
        demo_password=settings.get('archive.demo_password', 'demo-mat-khau-2026'),
        login_max_failures=int(settings.get('archive.login_max_failures', 5)),
        login_max_failures_per_address=int(settings.get('archive.login_max_failures_per_address', 20)),
        login_lockout_seconds=int(settings.get('archive.login_lockout_seconds', 900)),
        session_lifetime_seconds=V.positive(settings.get('archive.session_lifetime_seconds') or 8 * 3600,
                                           'archive.session_lifetime_seconds'),
        session_idle_seconds=V.positive(settings.get('archive.session_idle_seconds') or 30 * 60,
                                       'archive.session_idle_seconds'),
        session_refresh_seconds=V.positive(settings.get('archive.session_refresh_seconds') or 60,
                                          'archive.session_refresh_seconds'),
        workflows_dir=settings.get('archive.workflows_dir') or '',
        schemas_dir=settings.get('archive.schemas_dir', ''),
        calendar=Calendar.from_settings(settings),
        trust_roots=F.trust_roots(settings.get('archive.trust_roots')),
        crls=F.crls(settings.get('archive.crls')),
        tsa_url=V.url(settings.get('archive.tsa_url'), 'archive.tsa_url'),
        signature_clock_skew_seconds=V.at_least(V.or_default(settings.get('archive.signature_clock_skew_seconds'), 300), 0,
                                               'archive.signature_clock_skew_seconds'),
        oaep_hash=V.choice(settings.get('archive.encryption_oaep_hash') or 'sha256',
                          ('sha1', 'sha256', 'sha384', 'sha512'), 'archive.encryption_oaep_hash'),
        keystore_scrypt_n=keystore_scrypt_n(settings),
        password_time_cost=V.at_least(settings.get('archive.password_time_cost') or 3, 1,
                                     'archive.password_time_cost'),
        password_memory_kib=V.at_least(settings.get('archive.password_memory_kib') or 65536, 64,
                                      'archive.password_memory_kib'),
        keystore_kind=V.text(settings.get('archive.keystore')).lower(),
        keystore_passphrase_file=V.text(settings.get('archive.keystore_passphrase_file')),
        root_key=settings.get('archive.root_key', 'archive'),
        template_cache_dir=settings.get('archive.template_cache_dir') or '',
        numbering=settings.get('archive.numbering') or '',
        urgent_handling_minutes=V.at_least(V.or_default(settings.get('archive.urgent_handling_minutes'), 60), 0,
                                          'archive.urgent_handling_minutes'),
        background=V.flag(settings.get('archive.background'), False, 'archive.background'),
        exchange_worker=V.flag(settings.get('archive.exchange_worker'), True, 'archive.exchange_worker'),
        journal_checkpoint_minutes=V.number(settings.get('archive.journal_checkpoint_minutes'), 60,
                                           'archive.journal_checkpoint_minutes', above=0),
        journal_export_dir=settings.get('archive.journal_export_dir') or '',
        pack_interval_hours=V.number(settings.get('archive.pack_interval_hours'), 24, 'archive.pack_interval_hours'),
        pack_days=V.number(settings.get('archive.pack_days'), 7, 'archive.pack_days'),
        exchange_poll_seconds=V.number(settings.get('archive.exchange_poll_seconds'), 2,
                                      'archive.exchange_poll_seconds', above=0),
        delivery_lease_seconds=V.number(settings.get('archive.delivery_lease_seconds'), 300,
                                       'archive.delivery_lease_seconds', above=0),
        delivery_retry_seconds=V.number(settings.get('archive.delivery_retry_seconds'), 30,
                                       'archive.delivery_retry_seconds'),
        delivery_retry_cap_seconds=V.number(settings.get('archive.delivery_retry_cap_seconds'), 3600,
                                           'archive.delivery_retry_cap_seconds'),
        delivery_max_attempts=V.at_least(V.or_default(settings.get('archive.delivery_max_attempts'), 8), 1,
                                        'archive.delivery_max_attempts'),
        instance_key=settings.get('archive.instance_key') or 'instance:local',
        # monitoring and the outgoing queues
        urgent_send_minutes=V.at_least(V.or_default(settings.get('archive.urgent_send_minutes'), 60), 0,
                                      'archive.urgent_send_minutes'),
        heartbeat_minutes=V.number(settings.get('archive.heartbeat_minutes'), 5, 'archive.heartbeat_minutes',
                                  above=0),
        # Backups (archival/backup.py)
        backup_destinations=tuple(V.lines(settings.get('archive.backup_destinations'))),
        backup_interval_hours=V.number(settings.get('archive.backup_interval_hours'), 24,
                                      'archive.backup_interval_hours'),
        backup_full_days=V.number(settings.get('archive.backup_full_days'), 30, 'archive.backup_full_days', above=0),
        backup_keep_sets=V.positive(V.or_default(settings.get('archive.backup_keep_sets'), 3), 'archive.backup_keep_sets'),
        backup_max_age_hours=V.number(settings.get('archive.backup_max_age_hours'), 36,
                                     'archive.backup_max_age_hours', above=0),
        backup_datafs=V.text(settings.get('archive.backup_datafs')),
        backup_blob_dir=V.text(settings.get('archive.backup_blob_dir')),
        search_index_dir=settings.get('archive.search_index_dir') or '',
        search_engine=V.choice(settings.get('archive.search_engine') or 'tantivy', ('tantivy', 'whoosh'),
                              'archive.search_engine'),
        search_indexer=V.flag(settings.get('archive.search_indexer'), True, 'archive.search_indexer'),
        search_poll_seconds=V.number(settings.get('archive.search_poll_seconds'), 1,
                                    'archive.search_poll_seconds', above=0),
        search_estimate_above=V.at_least(V.or_default(settings.get('archive.search_estimate_above'), 20_000), 0,
                                         'archive.search_estimate_above'),
        mail=_mail(settings),
        axis=_axis(settings),
        notify=NotifySettings(      # notifications (notify part)
            mail=V.flag(settings.get('archive.notify_mail'), False, 'archive.notify_mail'),
            digest_hour=_hour(settings.get('archive.digest_hour'), 'archive.digest_hour')),
        upload_hold_dir=V.text(settings.get('archive.upload_hold_dir')),
        upload_hold_minutes=V.number(settings.get('archive.upload_hold_minutes'), 60, 'archive.upload_hold_minutes',
                                    above=0),
        upload_hold_bytes=V.positive(V.or_default(settings.get('archive.upload_hold_bytes'), 2 * max_upload),
                                    'archive.upload_hold_bytes'),
        **_records(settings),
    )
    if not loaded.session_refresh_seconds < loaded.session_idle_seconds <= loaded.session_lifetime_seconds:
        raise ValueError('archive.session_refresh_seconds < archive.session_idle_seconds '
                         '<= archive.session_lifetime_seconds')
    return loaded


def keystore_scrypt_n(settings):
    """scrypt's n for new keys of the software key store; ``archive-keys`` reads it alone (it
    needs the key store, not the whole settings)."""
    return V.power_of_two(settings.get('archive.keystore_scrypt_n') or 2 ** 15, 'archive.keystore_scrypt_n')


def _mail(settings):
    def text(key):
        return V.text(settings.get(f'archive.{key}'))
    max_bytes = settings.get('archive.mail_max_bytes')
    return MailSettings(
        smtp_host=text('smtp_host'),
        smtp_port=V.at_least(V.or_default(settings.get('archive.smtp_port'), 25), 1, 'archive.smtp_port'),
        smtp_starttls=V.flag(settings.get('archive.smtp_starttls'), False, 'archive.smtp_starttls'),
        smtp_user=settings.get('archive.smtp_user') or '',
        smtp_password_file=settings.get('archive.smtp_password_file') or '',
        smtp_timeout=V.number(settings.get('archive.smtp_timeout'), 30, 'archive.smtp_timeout', above=0),
        mail_from=text('mail_from'),
        mail_reply_to=settings.get('archive.mail_reply_to') or '',
        intake=text('mail_intake'),
        intake_password_file=settings.get('archive.mail_intake_password_file') or '',
        max_bytes=0 if not V.text(max_bytes) else V.positive(max_bytes, 'archive.mail_max_bytes'),
        mailbox_max_bytes=V.positive(V.or_default(settings.get('archive.mailbox_max_bytes'), MailSettings.mailbox_max_bytes),
                                    'archive.mailbox_max_bytes'),
    )


def _axis(settings):
    def text(key):
        return V.text(settings.get(f'archive.axis_{key}'))
    mode, in_dir = text('mode').lower(), text('in_dir')
    if mode not in ('', 'folder', 'http'):
        raise ValueError(f"archive.axis_mode: 'folder', 'http' or empty, not {mode!r}")
    beside = os.path.dirname(os.path.abspath(in_dir)) if in_dir else ''
    return AxisSettings(
        mode=mode, out_dir=text('out_dir'), in_dir=in_dir,
        done_dir=text('done_dir') or os.path.join(beside, 'processed'),
        rejected_dir=text('rejected_dir') or os.path.join(beside, 'rejected'),
        url=text('url').rstrip('/'),
        token_file=text('token_file'),
        timeout=V.number(settings.get('archive.axis_timeout'), 30, 'archive.axis_timeout', above=0),
    )


def _records(settings):
    """The records-files block: retention periods, each type's default, appraisal, transfer."""
    raw = V.text(settings.get('archive.retention_periods'))
    periods = tuple(sorted({V.positive(v, 'archive.retention_periods') for v in raw.replace(',', ' ').split()},
                           reverse=True)) if raw else DEFAULT_RETENTION_PERIODS
    by_type = {}
    for line in V.lines(settings.get('archive.retention_by_type')) or [
            f'{a} = {"permanent" if y is None else y}' for a, y in DEFAULT_RETENTION_BY_TYPE]:
        abbr, sep, value = (part.strip() for part in line.partition('='))
        if value.lower() in PERMANENT_WORDS:
            years = None
        elif value.isdigit() and int(value) in periods:
            years = int(value)
        else:
            years = -1
        if not sep or not abbr or years == -1:
            raise ValueError(f'archive.retention_by_type: "TYPE = permanent" or "TYPE = N" with N one of '
                             f'archive.retention_periods, not {line!r}')
        by_type[abbr] = years
    return dict(
        retention_periods=periods, retention_by_type=by_type,
        appraisal_horizon_days=V.at_least(V.or_default(settings.get('archive.appraisal_horizon_days'), 90), 0,
                                         'archive.appraisal_horizon_days'),
        transfer_secret=V.flag(settings.get('archive.transfer_secret'), False, 'archive.transfer_secret'),
        transfer_dir=V.text(settings.get('archive.transfer_dir')),
        transfer_certificate=F.archive_certificate(V.text(settings.get('archive.transfer_certificate'))),
        export_workers=V.at_least(V.or_default(settings.get('archive.export_workers'), 1), 1,
                                  'archive.export_workers'),
    )


def _hour(value, name):
    hour = V.at_least(V.or_default(value, NotifySettings.digest_hour), 0, name)
    if hour > 23:
        raise ValueError(f'{name}: an hour from 0 to 23, not {value!r}')
    return hour


def _paper_also_categories(value):
    """``code = label`` a line (Art. 8); the default list when the setting is absent or empty.
    A malformed line stops the start rather than drop a category silently."""
    lines = V.lines(value)
    if not lines:
        return dict(DEFAULT_PAPER_ALSO_CATEGORIES)
    out = {}
    for line in lines:
        code, sep, label = (part.strip() for part in line.partition('='))
        if not sep or not PAPER_CATEGORY_CODE.match(code) or not label or code in out:
            raise ValueError(f'archive.paper_also_categories: "code = label" with a new code of '
                             f'a-z, 0-9 and _, not {line!r}')
        out[code] = label
    return out


def get(registry):
    return registry.archive_settings
