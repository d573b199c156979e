"""What ``pades.verify_pdf`` checks beyond pyHanko's own validation of each signature.

* ``open_pdf``: a PDF encrypted with an empty user password (what many tools write to restrict
  printing) is opened with it and checked, not called damaged; one that needs a password is
  ``encrypted``.
* ``time_problem``: a signing time that cannot be: later than the time of the check beyond the
  clock skew (``archive.signature_clock_skew_seconds``), or a claimed one before the certificate
  was valid (the certificate is otherwise checked at the time of the check, which hides it).
* ``unsigned_tail``: bytes after the last signed revision that are no revision pyHanko judged:
  content no signature covers.
* ``role_of``: whose a signature is: the organisation's when its certificate is registered for
  the sender, a leader's when it is one of the approvers', else by position (the organisation
  signs last).
"""
import datetime as _dt
import io

from pyhanko.pdf_utils.reader import PdfFileReader

ORGANISATION, LEADER = 'organisation', 'leader'

# How far after the time of the check a claimed signing time may be (clocks differ).
DEFAULT_CLOCK_SKEW = _dt.timedelta(minutes=5)


def time_problem(cert, signing_time, time_source, checked_at, clock_skew):
    """A signing time that cannot be: after the time of the check (beyond the skew), or
    (claimed) before the certificate was valid."""
    if signing_time is None:
        return None
    if signing_time > checked_at + clock_skew:
        return 'signing_time_in_future'
    if time_source == 'claimed':
        try:
            not_before = cert['tbs_certificate']['validity']['not_before'].native
        except Exception:  # noqa: BLE001 - an odd certificate is found out by the chain check
            return None
        if signing_time < not_before:
            return 'signed_before_certificate_validity'
    return None


def open_pdf(data):
    """A reader of ``data``, or the code of why not: a file encrypted with an empty user
    password (what many tools write to restrict printing) is opened with it and checked."""
    reader = PdfFileReader(io.BytesIO(data))
    if reader.encrypted:
        from pyhanko.pdf_utils.crypt import AuthStatus
        if reader.decrypt(b'').status == AuthStatus.FAILED:
            return None, 'encrypted'
    return reader, None


def unsigned_tail(data, reader, last):
    """How many bytes (whitespace aside) follow the last signed revision without being a
    revision pyHanko judged: appended data no signature covers."""
    try:
        start, length = int(last.byte_range[2]), int(last.byte_range[3])
        end = start + length
        if reader.xrefs.total_revisions > last.signed_revision + 1:
            end = max(end, data.rfind(b'%%EOF') + 5)   # later revisions: judged by the diff check
    except Exception:  # noqa: BLE001 - an odd byte range is the signature check's to refuse
        return 0
    return len(data[end:].strip())


def role_of(index, count, fp, registered, personal, any_registered):
    """organisation or leader: by the certificate when it is registered, else by position
    (the organisation signs last)."""
    if registered is not None and fp in registered:
        return ORGANISATION
    if personal and fp in personal:
        return LEADER
    last = index == count - 1
    if last and (registered is not None and not any_registered or registered is None and count > 1):
        return ORGANISATION
    return LEADER
