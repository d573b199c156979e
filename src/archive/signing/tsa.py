"""A small RFC 3161 time-stamp authority for tests and demos, served on loopback.

    tsa = TimeStampAuthority(tsa_cert, tsa_key, chain=[ca_cert])
    with LocalTSAServer(tsa) as server:            # 127.0.0.1, a free port
        timestamper = HTTPTimeStamper(server.url)   # pyhanko.sign.timestamps
        ...

``TimeStampAuthority`` is a WSGI application: POST a DER ``TimeStampReq`` with
``Content-Type: application/timestamp-query``, get a ``TimeStampResp`` back as
``application/timestamp-reply``. Its certificate must carry the critical extended key usage
``timeStamping`` (RFC 3161 § 2.3) and chain to a configured trust root. The token is built
with pyHanko's ``DummyTimeStamper`` (RSA keys) or, for EC keys, the same structure signed with
ECDSA. It is no replacement for the cipher authority's time-stamp service: it signs whatever
it is asked to, at the time of its own clock.
"""
from __future__ import annotations

import datetime as _dt
import logging
import threading
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from asn1crypto import algos, core, keys, tsp
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

__all__ = ['TimeStampAuthority', 'LocalTSAServer', 'MAX_REQUEST_BYTES']

log = logging.getLogger(__name__)

MAX_REQUEST_BYTES = 64 * 1024
QUERY_TYPE = 'application/timestamp-query'
REPLY_TYPE = 'application/timestamp-reply'


def _asn1_cert(value):
    if isinstance(value, asn1_x509.Certificate):
        return value
    from cryptography.hazmat.primitives.serialization import Encoding
    if hasattr(value, 'public_bytes'):
        return asn1_x509.Certificate.load(value.public_bytes(Encoding.DER))
    return asn1_x509.Certificate.load(bytes(value))


def _asn1_key(value):
    if isinstance(value, keys.PrivateKeyInfo):
        return value
    if hasattr(value, 'private_bytes'):
        der = value.private_bytes(serialization.Encoding.DER,
                                  serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption())
        return keys.PrivateKeyInfo.load(der)
    return keys.PrivateKeyInfo.load(bytes(value))


class _Stamper(DummyTimeStamper):
    """DummyTimeStamper that also signs with EC keys and reads its clock per request."""

    def __init__(self, *args, clock=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._clock = clock
        self._private_key = serialization.load_der_private_key(self.tsa_key.dump(),
                                                               password=None)

    def request_tsa_response(self, req):
        if self._clock is not None:
            self.fixed_dt = self._clock()
        return super().request_tsa_response(req)

    def _sign_tst_info(self, tst_info_data, md_algorithm, dt):
        if not isinstance(self._private_key, ec.EllipticCurvePrivateKey):
            return super()._sign_tst_info(tst_info_data, md_algorithm, dt)
        # the same signed attributes as the RSA path, signed with ECDSA
        from asn1crypto import cms
        from pyhanko.sign import general
        digest = hashes.Hash(get_pyca_cryptography_hash(md_algorithm))
        digest.update(tst_info_data)
        signed_attrs = cms.CMSAttributes([
            general.simple_cms_attribute('content_type', 'tst_info'),
            general.simple_cms_attribute('signing_time', cms.Time({'utc_time': core.UTCTime(dt)})),
            general.simple_cms_attribute('signing_certificate',
                                         general.as_signing_certificate(self.tsa_cert)),
            general.simple_cms_attribute('message_digest', digest.finalize()),
        ])
        signature = self._private_key.sign(
            signed_attrs.dump(), ec.ECDSA(get_pyca_cryptography_hash(md_algorithm)))
        return signature, signed_attrs

    def _build_signed_data(self, tst_info_data, md_algorithm, signature, signed_attrs):
        data = super()._build_signed_data(tst_info_data, md_algorithm, signature, signed_attrs)
        if isinstance(self._private_key, ec.EllipticCurvePrivateKey):
            info = data['signer_infos'][0]
            info['signature_algorithm'] = algos.SignedDigestAlgorithm(
                {'algorithm': f'{md_algorithm}_ecdsa'})
        return data


class _Rejection(core.Sequence):
    # TimeStampResp without its token: asn1crypto's class insists on one, RFC 3161 does not
    _fields = [('status', tsp.PKIStatusInfo)]


class TimeStampAuthority:
    """An RFC 3161 time-stamp authority as a WSGI application.

    :param cert: the TSA certificate (extended key usage timeStamping); asn1crypto or
        ``cryptography`` certificate, or DER bytes.
    :param key: its private key (``cryptography`` key, asn1crypto ``PrivateKeyInfo`` or PKCS#8
        DER); RSA or EC.
    :param chain: certificates to include in each token beside the TSA's own (the CA).
    :param clock: a callable giving the (aware) time to stamp; default: the system clock.
    """

    def __init__(self, cert, key, *, chain=(), clock=None):
        self.cert = _asn1_cert(cert)
        self._stamper = _Stamper(self.cert, _asn1_key(key),
                                 certs_to_embed=[_asn1_cert(c) for c in chain],
                                 clock=clock or (lambda: _dt.datetime.now(_dt.timezone.utc)))
        self._lock = threading.Lock()
        self.issued = 0

    def respond(self, request_der: bytes) -> bytes:
        """A DER TimeStampResp for a DER TimeStampReq; a malformed request gets a
        'rejection' response (badDataFormat), as RFC 3161 § 2.4.2 describes."""
        try:
            req = tsp.TimeStampReq.load(request_der)
            req.native  # parse it all now, so bad input fails here  # noqa: B018
            if req['version'].native != 'v1':
                raise ValueError('unsupported version')
            with self._lock:
                resp = self._stamper.request_tsa_response(req)
                self.issued += 1
            return resp.dump()
        except Exception as e:  # noqa: BLE001 - any bad request gets a rejection
            log.info('time-stamp request rejected: %s: %s', type(e).__name__, e)
            return _Rejection({
                'status': tsp.PKIStatusInfo({
                    'status': tsp.PKIStatus('rejection'),
                    'fail_info': tsp.PKIFailureInfo({'bad_data_format'}),
                }),
            }).dump()

    def __call__(self, environ, start_response):
        if environ.get('REQUEST_METHOD') != 'POST':
            start_response('405 Method Not Allowed', [('Allow', 'POST'),
                                                      ('Content-Type', 'text/plain')])
            return [b'POST an RFC 3161 time-stamp query\n']
        try:
            length = int(environ.get('CONTENT_LENGTH') or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_REQUEST_BYTES:
            start_response('413 Content Too Large', [('Content-Type', 'text/plain')])
            return [b'request too large\n']
        content_type = (environ.get('CONTENT_TYPE') or '').split(';')[0].strip()
        if content_type != QUERY_TYPE:
            start_response('415 Unsupported Media Type', [('Content-Type', 'text/plain')])
            return [f'Content-Type must be {QUERY_TYPE}\n'.encode()]
        body = environ['wsgi.input'].read(length)
        reply = self.respond(body)
        start_response('200 OK', [('Content-Type', REPLY_TYPE),
                                  ('Content-Length', str(len(reply)))])
        return [reply]


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the stdlib's signature
        log.debug('tsa: ' + format, *args)


class _ThreadingWSGIServer(WSGIServer):
    daemon_threads = True

    def process_request(self, request, client_address):
        thread = threading.Thread(target=self._handle, args=(request, client_address),
                                  daemon=True)
        thread.start()

    def _handle(self, request, client_address):
        try:
            self.finish_request(request, client_address)
        except Exception:  # noqa: BLE001
            self.handle_error(request, client_address)
        finally:
            self.shutdown_request(request)


class LocalTSAServer:
    """Serve a :class:`TimeStampAuthority` over HTTP in a background thread.

    Binds to 127.0.0.1 (loopback only) on ``port`` (0: a free one); ``url`` is the address to
    give ``HTTPTimeStamper``. Use as a context manager, or call ``start()`` and ``stop()``.
    """

    def __init__(self, app, host='127.0.0.1', port=0):
        if host not in ('127.0.0.1', 'localhost', '::1'):
            raise ValueError('the test time-stamp authority listens on loopback only')
        self.app = app
        self.host = host
        self.port = port
        self._server = None
        self._thread = None

    @property
    def url(self):
        return f'http://{self.host}:{self.port}/tsa'

    def start(self):
        self._server = make_server(self.host, self.port, self.app,
                                   server_class=_ThreadingWSGIServer,
                                   handler_class=_QuietHandler)
        self.port = self._server.server_port
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={'poll_interval': 0.1},
                                        name='local-tsa', daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
            self._server = self._thread = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
