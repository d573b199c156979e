"""The files chosen on a document form, held on the server when the form comes back with an error,
so that the clerk need not choose them again (#17 item 1): the page shows their names, each with
"Bỏ tệp này", and the next submission uses them (a newly chosen main file replaces a held one).

Held in a folder of the session's own (named from a hash of the session's key, so that no other
session can name them), one file and a small JSON record each, under ``archive.upload_hold_dir``.
Bounded: at most ``archive.upload_hold_bytes`` per session (what does not fit is not held, and the
page says so), and each held file is removed ``archive.upload_hold_minutes`` after it was held
(every hold and every lookup sweeps the expired ones of every session). Removed as soon as the
document is saved with them, or when "Bỏ tệp này" is ticked.

**Never a Mật file**: a file reaches the disk only when the form says plainly that the document is
not secret (``classification = thuong``) and it is not a Mật document being edited; anything
else is not held (Art. 5.1: a Mật file's plaintext never touches a disk) and the page asks for
the files again.
"""
import hashlib
import json
import os
import secrets
import shutil
import tempfile

import colander
import deform.widget
from markupsafe import Markup, escape

from .. import clock
from ..i18n import _
from ..services import documents as svc

FIELD = 'held_files'        # the form's node showing them; posted as ``held`` and ``drop_held``
TOKEN_CHARS = frozenset('0123456789abcdef')


def folder_of(request):
    """This session's folder, or None without a logged-in session."""
    record = getattr(request.session, 'record', None)
    if record is None:
        return None
    settings = request.registry.archive_settings
    base = settings.upload_hold_dir or os.path.join(tempfile.gettempdir(), 'archive-held-uploads')
    name = hashlib.sha256(f'held:{settings.secret}:{record.key}'.encode()).hexdigest()[:40]
    return os.path.join(base, name)


def sweep(base, now, minutes):
    """Remove every held file older than ``minutes``, in every session's folder under ``base``."""
    if not os.path.isdir(base):
        return
    for session in os.scandir(base):
        try:
            if not session.is_dir():
                continue
            for entry in os.scandir(session.path):
                if entry.name.endswith('.json') and now - entry.stat().st_mtime > minutes * 60:
                    _remove(session.path, entry.name[:-5])
            if not os.listdir(session.path):
                shutil.rmtree(session.path, ignore_errors=True)
        except FileNotFoundError:       # another request swept it first
            continue


def _remove(folder, token):
    for suffix in ('', '.json'):
        try:
            os.remove(os.path.join(folder, token + suffix))
        except FileNotFoundError:
            pass


class Held:
    """The session's held files, as one form submission sees them."""

    def __init__(self, request):
        self.request = request
        self.settings = request.registry.archive_settings
        self.folder = folder_of(request)
        self.not_held = []          # names of files chosen that could not be held
        if self.folder is not None:
            sweep(os.path.dirname(self.folder), clock.now().timestamp(), self.settings.upload_hold_minutes)

    def _record(self, token):
        if self.folder is None or not token or set(token) - TOKEN_CHARS:
            return None
        try:
            with open(os.path.join(self.folder, token + '.json'), encoding='utf-8') as f:
                return json.load(f)
        except (FileNotFoundError, ValueError):
            return None

    def posted(self):
        """``[(token, record)]`` of the held files the form still carries (not dropped, not expired)."""
        drop = set(self.request.POST.getall('drop_held'))
        for token in drop:
            if self._record(token) is not None:
                _remove(self.folder, token)
        out = []
        for token in dict.fromkeys(self.request.POST.getall('held')):
            record = self._record(token) if token not in drop else None
            if record is not None:
                out.append((token, record))
        return out

    def uploads(self, chosen):
        """The uploads of this submission: those chosen now, and the held ones still carried (a
        main file chosen now replaces a held one). Each held upload carries its ``token``."""
        self.used = self.posted()
        has_main = any(u.role == 'main' for u in chosen)
        out = []
        for token, record in self.used:
            if record['role'] == 'main' and has_main:
                _remove(self.folder, token)
                continue
            upload = svc.Upload(record['field'], record['filename'],
                                open(os.path.join(self.folder, token), 'rb'), record['role'])
            upload.token = token
            out.append(upload)
        return out + list(chosen)

    def keep(self, uploads, may_hold, refused_fields):
        """After an error: hold what was chosen now (when ``may_hold``), keep what was held;
        ``[(token, filename)]`` to show on the page."""
        shown = []
        total = sum(r.get('size', 0) for _t, r in self.used)
        for upload in uploads:
            token = getattr(upload, 'token', None)
            if token is not None:
                upload.stream.close()
                shown.append((token, upload.filename))
                continue
            if not may_hold or self.folder is None or upload.field in refused_fields:
                self.not_held.append(upload.filename)
                continue
            upload.stream.seek(0)
            data = upload.stream.read()
            if total + len(data) > self.settings.upload_hold_bytes:
                self.not_held.append(upload.filename)
                continue
            total += len(data)
            shown.append((self._write(upload, data), upload.filename))
        return shown

    def _write(self, upload, data):
        os.makedirs(self.folder, mode=0o700, exist_ok=True)
        token = secrets.token_hex(16)
        with open(os.path.join(self.folder, token), 'wb') as f:
            f.write(data)
        record = {'field': upload.field, 'filename': upload.filename, 'role': upload.role, 'size': len(data)}
        with open(os.path.join(self.folder, token + '.json'), 'w', encoding='utf-8') as f:
            json.dump(record, f, ensure_ascii=False)
        return token

    def done(self, uploads):
        """The document was saved with them: the held files go once that commits (a request
        retried after a conflict still finds them)."""
        tokens = []
        for upload in uploads:
            if getattr(upload, 'token', None) is not None:
                upload.stream.close()
                tokens.append(upload.token)
        if tokens:
            folder = self.folder
            self.request.tm.get().addAfterCommitHook(
                lambda committed: [_remove(folder, t) for t in tokens] if committed else None)


class HeldFilesWidget(deform.widget.Widget):
    """The held files' names, each posted back (``held``) with "Bỏ tệp này" (``drop_held``);
    the files that could not be held named, so the clerk chooses them again."""

    hidden = True               # no label of deform's: it renders its own fieldset
    files = ()
    not_held = ()

    def serialize(self, field, cstruct, **kw):
        if not self.files and not self.not_held:
            return Markup('')
        t = field.translate
        out = ['<fieldset class="held-files"><legend>', escape(t(_('held_files', default='Tệp đã chọn, được giữ lại'))),
               '</legend>']
        for n, (token, name) in enumerate(self.files):
            box = f'{field.oid}-drop-{n}'
            out.append(f'<p class="held-file"><input type="hidden" name="held" value="{escape(token)}">'
                       f'<span class="file-name">{escape(name)}</span> '
                       f'<input type="checkbox" name="drop_held" value="{escape(token)}" id="{box}"> '
                       f'<label for="{box}">{escape(t(_("held_drop", default="Bỏ tệp này")))}</label></p>')
        if self.not_held:
            message = escape(t(_('held_not_kept', default='Chưa giữ lại, xin chọn lại: ${names}',
                                 mapping={'names': ', '.join(self.not_held)})))
            out.append(f'<p class="error" data-code="files_not_held">{message}</p>')
        out.append('</fieldset>')
        return Markup(''.join(out))

    def deserialize(self, field, pstruct):
        return colander.null


def node():
    return colander.SchemaNode(colander.String(), name=FIELD, missing=colander.null, widget=HeldFilesWidget(),
                               title=_('held_files', default='Tệp đã chọn, được giữ lại'))
