"""Request bodies and uploaded files held in memory, never in a temporary file (Art. 5.1).

A Mật file arrives in clear inside the request and is sealed as it is stored; until then it must
not touch a disk. WebOb, left to itself, copies a body over 10 KB into ``tempfile.TemporaryFile``
to make it seekable (forms, ``pyramid_retry``) and ``cgi.FieldStorage`` writes every uploaded
part over 1000 bytes to another one. This request class keeps both in memory; the web server
is told to do the same (waitress ``inbuf_overflow`` equal to ``max_request_body_size`` in the
.ini files), so a body is refused for its size before it is ever buffered. Memory, not disk,
is then what a large upload costs: the server's body cap bounds it.
"""
import io

from pyramid.request import Request
from webob.compat import cgi_FieldStorage
from webob.multidict import MultiDict, NoVars


class MemoryFieldStorage(cgi_FieldStorage):
    """``cgi.FieldStorage`` whose parts (and the parts inside them) are kept in memory."""

    def make_file(self):
        if self._binary_file or self.length >= 0:
            return io.BytesIO()
        return io.StringIO(newline='\n')


FORM_TYPES = ('', 'application/x-www-form-urlencoded', 'multipart/form-data')


class MemoryRequest(Request):
    """Pyramid's request, with the body and the form parsed in memory whatever their size."""

    # WebOb copies a body larger than this into a temporary file: never, here (the server's
    # ``max_request_body_size`` bounds a body before it reaches the application).
    request_body_tempfile_limit = float('inf')

    def make_tempfile(self):           # not reached with the limit above; never a file if it were
        return io.BytesIO()

    @property
    def POST(self):
        """WebOb's ``POST`` (the same checks, cache and result) parsed with ``MemoryFieldStorage``."""
        env = self.environ
        if 'webob._parsed_post_vars' in env:
            found, body_file = env['webob._parsed_post_vars']
            if body_file is self.body_file_raw:
                return found
        content_type = self.content_type
        if (self.method != 'POST' and not content_type) or content_type not in FORM_TYPES:
            return NoVars(f'Not an HTML form submission (Content-Type: {content_type})')
        self._check_charset()
        self.make_body_seekable()
        self.body_file_raw.seek(0)
        fs_environ = env.copy()
        fs_environ.setdefault('CONTENT_LENGTH', '0')
        fs_environ['QUERY_STRING'] = ''
        fs = MemoryFieldStorage(fp=self.body_file, environ=fs_environ, keep_blank_values=True,
                                encoding='utf8')
        found = MultiDict.from_fieldstorage(fs)
        env['webob._parsed_post_vars'] = (found, self.body_file_raw)
        return found


def includeme(config):
    config.set_request_factory(MemoryRequest)
