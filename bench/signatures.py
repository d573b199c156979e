"""Benchmark of PAdES signing and verifying, beside bare pyHanko on the same PDFs and keys.

    .venv/bin/python bench/signatures.py [--quick] [--seconds S | --n N] [--bits 3072,2048]
                                         [--rounds R] [--sections sign,verify] [--profile]

Two sections, each figure printed next to the same work done with pyHanko alone, and
the ratio ours/bare (operations per second, so higher is better):

1. sign: signatures made per second on a 1-page and a 50-page PDF (reportlab, built
   here, the same bytes every run), RSA keys from the project's key store:
   ``archive.signing.pades.sign_pdf(pdf, store.signer(key_id), field_name=..., now=...)``
   for the organisation's signature (no image) and, with ``visible_stamp=VisibleStamp(...)``,
   the leader's stamped signature; against ``pyhanko.sign.signers.sign_pdf`` /
   ``PdfSigner(...).sign_pdf`` with the same metadata, the same key (a ``SimpleSigner``
   built once, whose key is parsed once), the same certificates, the same stamp text and
   font, and ``bytes_reserved`` given (without it pyHanko signs twice).
2. verify: verifications per second of PDFs signed by the project (the organisation's
   signature alone, and the leader's stamped signature followed by the organisation's):
   ``archive.signing.pades.verify_pdf(pdf, trust_roots=[root], organisation_certs=[fp],
   now=NOW)`` as ``archive.services.certificates.verify_main`` calls it; against
   ``PdfFileReader`` + ``validate_pdf_signature`` for every signature with one
   ``ValidationContext(trust_roots=[root], moment=NOW)`` per file.

The two sides run interleaved (``--rounds`` turns each, order alternating) after a
warm-up, so both meet the same machine. More sections (encryption, ...) are added as a
``section_*(ctx, args)`` function returning rows, listed in ``SECTIONS``.

Not a test: nothing is asserted about time. See bench/README.md.
"""
import argparse
import cProfile
import dataclasses
import datetime as dt
import io
import json
import os
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PROJECT = os.path.dirname(HERE)
if os.path.join(PROJECT, 'src') not in sys.path:
    sys.path.insert(0, os.path.join(PROJECT, 'src'))

from asn1crypto import keys as asn1_keys  # noqa: E402
from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import padding, rsa  # noqa: E402
from pyhanko.pdf_utils.font.opentype import GlyphAccumulatorFactory  # noqa: E402
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter  # noqa: E402
from pyhanko.pdf_utils.reader import PdfFileReader  # noqa: E402
from pyhanko.pdf_utils.text import TextBoxStyle  # noqa: E402
from pyhanko.sign import fields, signers  # noqa: E402
from pyhanko.sign.signers import SimpleSigner  # noqa: E402
from pyhanko.sign.validation import validate_pdf_signature  # noqa: E402
from pyhanko.stamp import TextStampStyle  # noqa: E402
from pyhanko_certvalidator import ValidationContext  # noqa: E402
from pyhanko_certvalidator.registry import SimpleCertificateStore  # noqa: E402
from pyhanko_certvalidator.util import get_pyca_cryptography_hash  # noqa: E402

from archive.signing import ca as test_ca  # noqa: E402
from archive.signing import pades  # noqa: E402
from archive.signing.keys import SoftwareKeyStore, to_asn1  # noqa: E402

VN = pades.VN
NOW = dt.datetime(2026, 11, 24, 9, 30, tzinfo=VN)       # the signing and checking time
HOST = '000.00.01.H01'                                  # archive.seed.HOST
ORG_KEY, LEADER_KEY = f'org-sign:{HOST}', 'person:lanhdao'
ORG_FIELD, LEADER_FIELD = 'ChuKyToChuc', 'ChuKyLanhDao'   # as services/signing.py names them
PASSPHRASE = 'bench-passphrase-2026'
STAMP = pades.VisibleStamp(name='Nguyễn Văn An', lines=('Bí thư',))
GOAL_RATIO = 0.8          # ours/bare, signatures/s and verifications/s
PAGES = (1, 50)


# ---------------------------------------------------------------------------
# Data: the same PDFs, keys and certificates for both sides
# ---------------------------------------------------------------------------

def make_pdf(pages):
    """A deterministic A4 PDF of ``pages`` pages of text (reportlab, ``invariant``: no
    creation date or random id, so the bytes are the same every run)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, invariant=1)
    c.setTitle(f'Bench {pages} pages')
    for page in range(1, pages + 1):
        c.setFont('Helvetica-Bold', 13)
        c.drawString(72, 790, f'Nghi quyet so {page:03d}-NQ/TU - trang {page}/{pages}')
        c.setFont('Helvetica', 10)
        for line in range(50):
            n = page * 131 + line * 17
            c.drawString(72, 770 - line * 14,
                         f'{line + 1:2d}. Dieu {n % 97}: trien khai cong tac van thu, luu tru '
                         f'nam {2020 + n % 7}, muc {n % 13}.{n % 11} ({n:06d})')
        c.showPage()
    c.save()
    return buf.getvalue()


@dataclasses.dataclass
class Keys:
    """One RSA size: a root and an issuing CA (test authority), the organisation's and the
    leader's keys in a software key store, and the bare side's signers over the same keys."""
    bits: int
    root: object                  # asn1crypto certificate (the trust root)
    org_fp: str                   # SHA-256 of the organisation's certificate
    ours_org: object              # store.signer(ORG_KEY): archive's LoadedKeySigner
    ours_leader: object
    bare_org: object              # OnceParsedSigner over the same key and certificates
    bare_leader: object
    shipped_org: object           # pyhanko's SimpleSigner as shipped (re-parses its key)
    reserved: int                 # bytes_reserved for the bare side (what ours estimates)
    setup_s: float


class OnceParsedSigner(SimpleSigner):
    """pyHanko's ``SimpleSigner``, built once from an already-loaded key, whose key is
    parsed once: pyHanko 0.38's ``SimpleSigner.sign_raw`` calls ``load_der_private_key``
    on every signature (~35 ms for RSA-2048, ~110 ms for RSA-3072 with OpenSSL 3: its RSA
    key check), which would make any baseline slow. Here ``sign_raw`` uses the loaded key."""

    def __init__(self, private_key, signing_cert, cert_registry):
        self._loaded_key = private_key
        super().__init__(signing_cert=signing_cert, signing_key=_pkcs8(private_key),
                         cert_registry=cert_registry)

    def sign_raw(self, data, digest_algorithm):
        mech = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
        if mech != 'rsassa_pkcs1v15':
            raise NotImplementedError(mech)
        return self._loaded_key.sign(data, padding.PKCS1v15(),
                                     get_pyca_cryptography_hash(digest_algorithm))


def _pkcs8(key):
    return asn1_keys.PrivateKeyInfo.load(key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))


def _generate(store, key_id, subject, bits):
    """``store.generate(key_id, subject, f'rsa{bits}')`` (3072 is its default). A store that
    does not offer that size gets its key maker swapped for the call (bench only; the index
    then says rsa3072): the key is encrypted, stored, decrypted and used exactly as usual."""
    from archive.signing import keys
    if f'rsa{bits}' in keys.ALGORITHMS:
        return store.generate(key_id, subject, f'rsa{bits}')
    from archive.signing.keys import software
    original = software._new_private_key
    software._new_private_key = lambda algorithm: rsa.generate_private_key(65537, bits)
    try:
        return store.generate(key_id, subject)
    finally:
        software._new_private_key = original


def make_keys(bits, folder):
    started = time.perf_counter()
    not_before = NOW - dt.timedelta(days=365)
    root = test_ca.make_ca('Root CA (bench)', algorithm=f'rsa{bits}', not_before=not_before)
    issuing = test_ca.make_ca('Issuing CA (bench)', parent=root, algorithm=f'rsa{bits}',
                              not_before=not_before)
    store = SoftwareKeyStore(os.path.join(folder, f'keystore-{bits}'), PASSPHRASE)
    certs = {}
    for key_id, subject, kind in (
            (ORG_KEY, f'C=VN,O=Văn phòng Thành ủy,CN=Văn phòng Thành ủy ({HOST})', test_ca.ORG_SIGN),
            (LEADER_KEY, 'C=VN,O=Văn phòng Thành ủy,CN=Nguyễn Văn An', test_ca.PERSON_SIGN)):
        csr = _generate(store, key_id, subject, bits)
        cert = test_ca.issue(issuing, csr, kind=kind, not_before=not_before)
        store.import_certificate(key_id, test_ca.to_pem(cert, issuing.certificate, root.certificate))
        certs[key_id] = cert
    ours_org, ours_leader = store.signer(ORG_KEY), store.signer(LEADER_KEY)

    def bare(ours, key_id):
        # the same key object (read from the store's signer), the same certificates
        registry = SimpleCertificateStore.from_certs(
            [to_asn1(c) for c in (certs[key_id], issuing.certificate, root.certificate)])
        return OnceParsedSigner(ours._private_key, to_asn1(certs[key_id]), registry)
    bare_org, bare_leader = bare(ours_org, ORG_KEY), bare(ours_leader, LEADER_KEY)
    shipped = SimpleSigner(signing_cert=bare_org.signing_cert,
                           signing_key=_pkcs8(ours_org._private_key),
                           cert_registry=bare_org.cert_registry)
    return Keys(bits=bits, root=to_asn1(root.certificate),
                org_fp=pades.fingerprint(certs[ORG_KEY]), ours_org=ours_org,
                ours_leader=ours_leader, bare_org=bare_org, bare_leader=bare_leader,
                shipped_org=shipped, reserved=pades.sign._estimate_reserved(ours_org, 0),
                setup_s=time.perf_counter() - started)


class Context:
    """What the sections share: the PDFs, the keys of each size (made on first use), a
    temporary folder; a later section takes what it needs from here."""

    def __init__(self, args, folder):
        self.args = args
        self.folder = folder
        self.pdfs = {pages: make_pdf(pages) for pages in PAGES}
        self._keys = {}
        self._font_path = None

    def keys(self, bits):
        if bits not in self._keys:
            self._keys[bits] = make_keys(bits, self.folder)
            say(f'  RSA-{bits}: CA, key store, keys and certificates in '
                f'{self._keys[bits].setup_s:.1f} s (not timed)')
        return self._keys[bits]

    def font_path(self):
        """The stamp font the project embeds (DejaVu Sans cut to Latin + Vietnamese, 1000
        units/em), written to a file for pyHanko's own ``GlyphAccumulatorFactory``."""
        if self._font_path is None:
            self._font_path = os.path.join(self.folder, 'stamp-font.ttf')
            with open(self._font_path, 'wb') as f:
                f.write(pades.stamp_font_bytes())
        return self._font_path


# ---------------------------------------------------------------------------
# Measuring
# ---------------------------------------------------------------------------

def say(*a):
    print(*a, flush=True)


def race(sides, args, warmup=2):
    """Operations per second of each ``name -> fn`` (fn does one operation), interleaved:
    ``args.rounds`` turns per side, the order alternating, each turn ``args.seconds /
    args.rounds`` seconds (at least one operation), or ``args.n / args.rounds`` operations
    with ``--n``. Warm-up runs first, not counted."""
    for fn in sides.values():
        for _ in range(warmup):
            fn()
    stats = {name: {'ops': 0, 'time_s': 0.0, 'turns': []} for name in sides}
    names = list(sides)
    for r in range(args.rounds):
        for name in (names if r % 2 == 0 else names[::-1]):
            fn, ops = sides[name], 0
            if args.n:
                count = max(1, round(args.n / args.rounds))
                t0 = time.perf_counter()
                for _ in range(count):
                    fn()
                elapsed, ops = time.perf_counter() - t0, count
            else:
                budget = args.seconds / args.rounds
                t0 = time.perf_counter()
                while True:
                    fn()
                    ops += 1
                    elapsed = time.perf_counter() - t0
                    if elapsed >= budget:
                        break
            s = stats[name]
            s['ops'] += ops
            s['time_s'] += elapsed
            s['turns'].append(ops / elapsed)
    for s in stats.values():
        s['rate'] = s['ops'] / s['time_s']
        s['spread'] = (min(s['turns']), max(s['turns']))
    return stats


def paired_median(stats, ours, bare):
    """The median over rounds of ours/bare of the same round (adjacent turns): steadier
    than the ratio of the totals when other jobs come and go."""
    return statistics.median(o / b for o, b in zip(stats[ours]['turns'], stats[bare]['turns']))


@dataclasses.dataclass
class Row:
    section: str
    figure: str
    ours: float | None
    bare: float | None
    unit: str = '/s'
    goal: float | None = None          # minimum ours/bare, None: informational
    note: str = ''
    n: tuple = ()                      # operations counted (ours, bare)
    paired: float | None = None        # median of the per-round ratios
    turns: tuple = ()                  # per-round rates (ours, bare)

    @property
    def ratio(self):
        return self.ours / self.bare if self.ours is not None and self.bare else None

    @property
    def met(self):
        return None if self.goal is None or self.ratio is None else self.ratio >= self.goal


def row_from(section, figure, stats, ours='ours', bare='bare', goal=GOAL_RATIO, note=''):
    return Row(section, figure, stats[ours]['rate'], stats[bare]['rate'], goal=goal, note=note,
               n=(stats[ours]['ops'], stats[bare]['ops']), paired=paired_median(stats, ours, bare),
               turns=(stats[ours]['turns'], stats[bare]['turns']))


def check(label, verdict):
    """Both sides' outputs must verify (outside the timing); else the figure means nothing."""
    if verdict.code != 'valid':
        raise SystemExit(f'FAIL: {label}: {verdict.code}: {verdict.reason}')


# ---------------------------------------------------------------------------
# 1. signing
# ---------------------------------------------------------------------------

def ours_sign(pdf, signer, field, stamp=None):
    return pades.sign_pdf(pdf, signer, field_name=field, visible_stamp=stamp, now=NOW)


def _meta(field):
    return signers.PdfSignatureMetadata(field_name=field, md_algorithm='sha256',
                                        subfilter=fields.SigSeedSubFilter.PADES, certify=False)


def bare_sign(pdf, signer, field, reserved):
    """pyHanko's ``sign_pdf``: an invisible approval signature, ``bytes_reserved`` given."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    return signers.sign_pdf(writer, _meta(field), signer=signer,
                            bytes_reserved=reserved).getvalue()


def bare_stamp_style(font_path, stamp):
    """The project's stamp (same text, box, font, size, border) with pyHanko's own font engine."""
    template = '\n'.join([*stamp.lines, 'Ký bởi: %(signer_name)s', 'Thời gian ký: %(signed_at)s'])
    return TextStampStyle(
        stamp_text=template,
        text_box_style=TextBoxStyle(font=GlyphAccumulatorFactory(font_path, font_size=stamp.font_size),
                                    font_size=stamp.font_size, leading=round(stamp.font_size * 1.3)),
        border_width=1)


def bare_sign_visible(pdf, signer, field, reserved, style, stamp):
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    pdf_signer = signers.PdfSigner(
        _meta(field), signer=signer, stamp_style=style,
        new_field_spec=fields.SigFieldSpec(sig_field_name=field, on_page=stamp.page, box=stamp.box))
    out = pdf_signer.sign_pdf(writer, bytes_reserved=reserved, appearance_text_params={
        'signer_name': stamp.name, 'signed_at': pades.iso(NOW)})
    return out.getvalue()


def section_sign(ctx, args):
    rows = []
    for bits in args.bits:
        k = ctx.keys(bits)
        style = bare_stamp_style(ctx.font_path(), STAMP)
        for pages in PAGES:
            pdf = ctx.pdfs[pages]
            label = f'RSA-{bits} {pages}p'
            sides = {
                'ours': lambda: ours_sign(pdf, k.ours_org, ORG_FIELD),
                'bare': lambda: bare_sign(pdf, k.bare_org, ORG_FIELD, k.reserved),
            }
            for name, fn in sides.items():
                check(f'sign {label} {name}', pades.verify_pdf(
                    fn(), trust_roots=[k.root], organisation_certs=[k.org_fp], now=NOW))
            st = race(sides, args)
            rows.append(row_from('sign', f'{label} organisation (no image) signatures', st))
            say(f'  {rows[-1].figure}: ours {st["ours"]["rate"]:.1f}/s, bare {st["bare"]["rate"]:.1f}/s')

            sides = {
                'ours': lambda: ours_sign(pdf, k.ours_leader, LEADER_FIELD, STAMP),
                'bare': lambda: bare_sign_visible(pdf, k.bare_leader, LEADER_FIELD, k.reserved,
                                                  style, STAMP),
            }
            for name, fn in sides.items():
                check(f'sign visible {label} {name}', pades.verify_pdf(
                    fn(), trust_roots=[k.root], now=NOW))
            st = race(sides, args)
            rows.append(row_from('sign', f'{label} leader, visible stamp', st))
            say(f'  {rows[-1].figure}: ours {st["ours"]["rate"]:.1f}/s, bare {st["bare"]["rate"]:.1f}/s')

        # For the record: pyHanko's SimpleSigner as shipped parses its key at every signature.
        pdf = ctx.pdfs[1]
        st = race({'ours': lambda: ours_sign(pdf, k.ours_org, ORG_FIELD),
                   'shipped': lambda: bare_sign(pdf, k.shipped_org, ORG_FIELD, k.reserved)},
                  args, warmup=1)
        rows.append(row_from('sign', f'RSA-{bits} 1p organisation vs SimpleSigner as shipped', st,
                             bare='shipped', goal=None, note='bare re-parses its key per signature'))
        say(f'  {rows[-1].figure}: ours {st["ours"]["rate"]:.1f}/s, '
            f'shipped {st["shipped"]["rate"]:.1f}/s')
    return rows


# ---------------------------------------------------------------------------
# 2. verifying
# ---------------------------------------------------------------------------

def signed_files(ctx, k):
    """The files verified (signed by the project, outside the timing): per page count,
    the organisation's signature alone, and the leader's stamped one then the organisation's."""
    out = {}
    for pages in PAGES:
        pdf = ctx.pdfs[pages]
        out[pages, 1] = ours_sign(pdf, k.ours_org, ORG_FIELD)
        out[pages, 2] = ours_sign(ours_sign(pdf, k.ours_leader, LEADER_FIELD, STAMP),
                                  k.ours_org, ORG_FIELD)
    return out


def ours_verify(pdf, k):
    # as services/certificates.verify_main: asn1crypto roots, the sender's fingerprints
    return pades.verify_pdf(pdf, trust_roots=[k.root], organisation_certs=[k.org_fp], now=NOW)


def bare_verify(pdf, k):
    """Stock pyHanko: its own hex-string reader, not the one ``archive.signing.pdfhex`` installs."""
    from pyhanko.pdf_utils import generic
    from archive.signing import pdfhex
    generic.read_hex_string_from_stream = pdfhex._original
    try:
        reader = PdfFileReader(io.BytesIO(pdf))
        vc = ValidationContext(trust_roots=[k.root], moment=NOW)
        statuses = [validate_pdf_signature(emb, vc) for emb in reader.embedded_regular_signatures]
    finally:
        pdfhex.install()
    return statuses


def section_verify(ctx, args):
    rows = []
    for bits in args.bits:
        k = ctx.keys(bits)
        files = signed_files(ctx, k)
        for (pages, count), pdf in files.items():
            verdict = ours_verify(pdf, k)
            check(f'verify RSA-{bits} {pages}p x{count}', verdict)
            statuses = bare_verify(pdf, k)
            if len(statuses) != count or not all(s.bottom_line for s in statuses):
                raise SystemExit(f'FAIL: bare verify RSA-{bits} {pages}p x{count}: '
                                 + '; '.join(s.summary() for s in statuses))
            st = race({'ours': lambda: ours_verify(pdf, k), 'bare': lambda: bare_verify(pdf, k)}, args)
            what = 'organisation signature' if count == 1 else 'leader + organisation (2 signatures)'
            rows.append(row_from('verify', f'RSA-{bits} {pages}p {what}', st))
            say(f'  {rows[-1].figure}: ours {st["ours"]["rate"]:.1f}/s, bare {st["bare"]["rate"]:.1f}/s')
    return rows


# ---------------------------------------------------------------------------
# Profiles (optional)
# ---------------------------------------------------------------------------

def profile(ctx, args, out_dir):
    """cProfile of each side, RSA of the first size, 1-page PDF: the organisation signature,
    the stamped signature and the verification of the 2-signature file."""
    k = ctx.keys(args.bits[0])
    pdf = ctx.pdfs[1]
    style = bare_stamp_style(ctx.font_path(), STAMP)
    two = signed_files(ctx, k)[1, 2]
    cases = {
        'sign-ours': lambda: ours_sign(pdf, k.ours_org, ORG_FIELD),
        'sign-bare': lambda: bare_sign(pdf, k.bare_org, ORG_FIELD, k.reserved),
        'stamp-ours': lambda: ours_sign(pdf, k.ours_leader, LEADER_FIELD, STAMP),
        'stamp-bare': lambda: bare_sign_visible(pdf, k.bare_leader, LEADER_FIELD, k.reserved, style, STAMP),
        'verify-ours': lambda: ours_verify(two, k),
        'verify-bare': lambda: bare_verify(two, k),
    }
    paths = []
    for name, fn in cases.items():
        fn()
        fn()
        prof = cProfile.Profile()
        prof.enable()
        for _ in range(args.profile_n):
            fn()
        prof.disable()
        path = os.path.join(out_dir, f'signatures-profile-{name}.txt')
        with open(path, 'w') as f:
            stats = pstats.Stats(prof, stream=f)
            stats.sort_stats('cumulative').print_stats(50)
            stats.sort_stats('tottime').print_stats(30)
        paths.append(path)
    return paths


# ---------------------------------------------------------------------------
# The table
# ---------------------------------------------------------------------------

def section_encrypt(ctx, args):
    """Sealing and opening a Mật file (AES-256-GCM in 256 KiB STREAM segments,
    in memory) beside one bare AES-GCM call over the same bytes."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    from archive.signing import secrecy
    provider, rows = secrecy.PROVIDER, []
    for mib in (1, 20):
        data = os.urandom(mib << 20)
        key = provider.new_key()
        aead, nonce = AESGCM(key), os.urandom(12)
        sealed, bare_sealed = provider.seal_bytes(key, data, b'bench'), aead.encrypt(nonce, data, b'bench')
        assert provider.open_bytes(key, sealed, b'bench') == data
        for what, ours, bare in (
                ('seal', lambda: provider.seal_bytes(key, data, b'bench'),
                 lambda: aead.encrypt(nonce, data, b'bench')),
                ('open', lambda: provider.open_bytes(key, sealed, b'bench'),
                 lambda: aead.decrypt(nonce, bare_sealed, b'bench'))):
            st = race({'ours': ours, 'bare': bare}, args, warmup=1)
            for side in st.values():           # operations per second -> MB per second
                side['rate'] *= mib * 1.048576
                side['turns'] = [t * mib * 1.048576 for t in side['turns']]
            row = row_from('encrypt', f'{what} {mib} MiB', st)
            row.unit = 'MB/s'
            rows.append(row)
    return rows


SECTIONS = {
    'sign': ('1. signatures made per second', section_sign),
    'verify': ('2. verifications per second', section_verify),
    'encrypt': ('3. Mật files sealed and opened, MB per second', section_encrypt),
}


def fmt(v, digits=1):
    return '—' if v is None else f'{v:.{digits}f}'


def render_table(rows, header):
    w = max(len(r.figure) for r in rows) + 2
    lines = [header, f'{"figure":<{w}}{"ours/s":>10}{"bare/s":>10}{"ours/bare":>11}{"paired":>8}  goal',
             '-' * (w + 10 + 10 + 11 + 8 + 22)]
    section = None
    for r in rows:
        if r.section != section:
            section = r.section
            lines.append(f'[{section}]')
        goal = '' if r.goal is None else f'>= {r.goal:g}' + ('  met' if r.met else '  MISSED')
        if r.note:
            goal = (goal + '  ' if goal else '') + f'({r.note})'
        lines.append(f'{r.figure:<{w}}{fmt(r.ours):>10}{fmt(r.bare):>10}{fmt(r.ratio, 2):>11}'
                     f'{fmt(r.paired, 2):>8}  {goal}')
    return '\n'.join(lines)


def source_version():
    """The commit measured, and how many files of src/ differ from it (read-only git)."""
    def git(*a):
        try:
            return subprocess.run(['git', *a], cwd=PROJECT, capture_output=True, text=True,
                                  timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ''
    return {'commit': git('rev-parse', 'HEAD'),
            'src_changed_files': len(git('status', '--porcelain', '--', 'src').splitlines())}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--quick', action='store_true',
                        help='RSA-3072 only, 0.9 s per side per figure, 3 rounds (< 30 s; a smoke run, noisy)')
    parser.add_argument('--seconds', type=float, default=3.0,
                        help='seconds per side per figure, over all rounds (default 3)')
    parser.add_argument('--n', type=int, default=0,
                        help='a fixed number of operations per side per figure instead of --seconds')
    parser.add_argument('--rounds', type=int, default=6, help='interleaved turns per side (default 6)')
    parser.add_argument('--bits', default='3072,2048', help='RSA sizes (default 3072,2048)')
    parser.add_argument('--sections', default=','.join(SECTIONS),
                        help=f'which sections, in order (default {",".join(SECTIONS)})')
    parser.add_argument('--out', default=os.path.join(HERE, 'out'),
                        help='folder for signatures.json and the profiles (default bench/out/)')
    parser.add_argument('--profile', action='store_true',
                        help='after the figures, write cProfile reports of both sides to --out')
    parser.add_argument('--profile-n', type=int, default=30, help='operations per profile (default 30)')
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds, args.rounds, args.bits = 0.9, 3, '3072'
    args.bits = [int(b) for b in args.bits.split(',') if b]
    names = [s for s in args.sections.split(',') if s]
    unknown = set(names) - set(SECTIONS)
    if unknown:
        parser.error(f'unknown sections {sorted(unknown)} ({", ".join(SECTIONS)})')

    out_dir = os.path.abspath(args.out)
    os.makedirs(out_dir, exist_ok=True)
    started = time.perf_counter()
    budget = f'{args.n} operations' if args.n else f'{args.seconds:g} s'
    say(f'bench/signatures.py: RSA {", ".join(map(str, args.bits))}, {budget} per side per figure '
        f'in {args.rounds} rounds, {os.cpu_count()} CPUs')
    folder = tempfile.mkdtemp(prefix='bench-signatures-')
    rows, res = [], {'args': {k: v for k, v in vars(args).items()}, 'python': sys.version.split()[0],
                     'source': source_version(), 'cpus': os.cpu_count()}
    try:
        ctx = Context(args, folder)
        say(f'PDFs: {", ".join(f"{p} page(s) {len(b)} bytes" for p, b in ctx.pdfs.items())}')
        for name in names:
            title, fn = SECTIONS[name]
            say(title)
            rows.extend(fn(ctx, args))
        if args.profile:
            say('profiles (after the figures)')
            res['profiles'] = profile(ctx, args, out_dir)
            for p in res['profiles']:
                say(f'  {p}')
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    elapsed = time.perf_counter() - started
    src = res['source']
    header = (f'signatures benchmark: {budget} per side per figure, {args.rounds} rounds, '
              f'{elapsed:.0f} s in all; commit {src["commit"][:10]}'
              + (f' + {src["src_changed_files"]} changed files in src/' if src['src_changed_files'] else ''))
    table = render_table(rows, header)
    res.update(elapsed_s=elapsed, table_text=table,
               rows=[{**dataclasses.asdict(r), 'ratio': r.ratio, 'met': r.met} for r in rows])
    path = os.path.join(out_dir, 'signatures.json')
    with open(path, 'w') as f:
        json.dump(res, f, indent=2, ensure_ascii=False, default=str)
    say('')
    say(table)
    say('\n(ours/bare: ratio of the rates, higher is better; paired: median over the rounds of the '
        'ratio of adjacent turns; the goal is judged on ours/bare)')
    say(f'results: {path}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
