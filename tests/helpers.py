"""Building test input: valid document fields, real PDFs, API uploads."""
import json

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
