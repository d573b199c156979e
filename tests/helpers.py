"""Building test input: valid document fields, real PDFs, API uploads; a mail server's mailboxes."""
import json
import mailbox

from archive.seed import minimal_pdf


# What the demo seed holds (src/archive/seed.py): three sample documents, the outgoing one signed
# through its lifecycle (it took outgoing number 1 of the year) and the Mật one.
DEMO_DOCS = 5
NEXT_OUTGOING = 2


def incoming(**over):
    values = dict(direction='incoming', organ_id='000.00.02.H01', sender='Ban Tổ chức Thành ủy',
                  number_symbol='917-TTr/BTCTU', doc_type='TTr', issued_date='2026-11-20',
                  abstract='Tờ trình về công tác cán bộ', urgency='normal', classification='thuong',
                  channel='electronic', received_at='2026-11-24T09:30:00+07:00',
                  signer_name='Nguyễn Văn A', signer_position='Trưởng ban', signer_competence='T/M')
    values.update(over)
    return {k: v for k, v in values.items() if v is not None}


def pdf(text='Test'):
    return minimal_pdf(text)


def multipart(metadata, main=None, attachments=()):
    """WebTest upload_files and params for a multipart API call."""
    files = []
    if main is not None:
        files.append(('main_file',) + main)
    for a in attachments:
        files.append(('attachments',) + a)
    return {'metadata': json.dumps(metadata, ensure_ascii=False)}, files


def add_main_pdf(client, doc_url, text='Van ban di'):
    """Add a main PDF to a document that has none (``doc_url``: the API URL of the document)."""
    return client.post(f'{doc_url}/files', upload_files=[('main_file', 'van-ban-di.pdf', pdf(text))],
                       headers={'X-CSRF-Token': client.csrf}, status=201).json


def create_arrived(app, conn, root, n, commit_every=200):
    """Create ``n`` incoming documents (state "arrived") in the demo office as its clerk,
    committing as it goes; return their names (numbering tests and benchmarks)."""
    from pyramid.threadlocal import manager

    from archive.seed import HOST
    from archive.services import documents as svc
    body = root['bodies'][HOST]
    names = []
    manager.push({'registry': app.registry, 'request': None})
    try:
        for k in range(n):
            doc = svc.create(root, body, incoming(number_symbol=f'{k + 1}-CV/BTCTU', doc_type='CV'),
                             [], app.registry.archive_settings, 'vanthu')
            names.append(doc.__name__)
            if (k + 1) % commit_every == 0:
                conn.transaction_manager.commit()
        conn.transaction_manager.commit()
    finally:
        manager.pop()
    return names


SOFTHSM_LIBS = ('/usr/lib/softhsm/libsofthsm2.so', '/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so',
                '/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so', '/usr/local/lib/softhsm/libsofthsm2.so')


def softhsm_tokens(tmp_path_factory, name, labels, pin, so_pin, what):
    """A SoftHSM2 token folder of its own with fresh tokens ``labels``, the library (re)loaded with
    it; yields ``SimpleNamespace(lib, conf, pkcs11)`` (for a module-scoped fixture). Skips, naming
    ``what`` is not tested, when SoftHSM2 is not installed."""
    import os
    import shutil
    import subprocess
    from types import SimpleNamespace

    import pytest
    util = shutil.which('softhsm2-util')
    lib = next((p for p in (os.environ.get('SOFTHSM2_LIB'), *SOFTHSM_LIBS) if p and os.path.isfile(p)), None)
    if util is None or lib is None:
        pytest.skip('SoftHSM2 is not installed (Debian package softhsm2, installed by `make` when run '
                    f'as root): {what} is not tested here')
    pkcs11 = pytest.importorskip('pkcs11')
    folder = tmp_path_factory.mktemp(name)
    (folder / 'tokens').mkdir()
    conf = folder / 'softhsm2.conf'
    conf.write_text(f'directories.tokendir = {folder}/tokens\nobjectstore.backend = file\nlog.level = ERROR\n')
    mp = pytest.MonkeyPatch()
    mp.setenv('SOFTHSM2_CONF', str(conf))
    for label in labels:
        subprocess.run([util, '--init-token', '--free', '--label', label, '--pin', pin, '--so-pin', so_pin],
                       check=True, capture_output=True)
    # the library reads its configuration when it is initialised (once per process): reload it
    # with this folder, in case another module loaded it with its own
    pkcs11.lib(lib).reinitialize()
    yield SimpleNamespace(lib=lib, conf=conf, pkcs11=pkcs11)
    mp.undo()


class Maildirs:
    """An aiosmtpd handler: each known recipient's mail into its own Maildir (``folders``:
    address -> folder); anyone else is answered 550."""

    def __init__(self, folders):
        self.folders = folders

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() not in self.folders:
            return '550 5.1.1 No such user here'
        envelope.rcpt_tos.append(address)
        return '250 OK'

    async def handle_DATA(self, server, session, envelope):
        for rcpt in envelope.rcpt_tos:
            mailbox.Maildir(self.folders[rcpt.lower()], create=True).add(envelope.original_content)
        return '250 Message accepted for delivery'


def seal_png(size=240, opaque=False):
    """A round red seal on a transparent ground (PNG with an alpha channel), as a body uploads it;
    ``opaque``: the same on a white ground, no transparency."""
    import io

    from PIL import Image, ImageDraw
    image = Image.new('RGBA', (size, size), (255, 255, 255, 255 if opaque else 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((4, 4, size - 4, size - 4), outline=(200, 16, 16, 230), width=size // 14)
    draw.ellipse((size // 3, size // 3, 2 * size // 3, 2 * size // 3), fill=(200, 16, 16, 230))
    out = io.BytesIO()
    image.save(out, 'PNG')
    return out.getvalue()
