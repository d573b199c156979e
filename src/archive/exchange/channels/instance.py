"""Carrying a signed package or status to another instance over HTTP(S) (Art. 7).

``post`` sends the bytes to the receiving instance's exchange endpoint (``<address>/exchange/v1/
packages`` or ``/statuses``) with the standard library's client, outside any transaction. It
answers the receiver's JSON (a signed receipt) or raises ``Refused`` (the receiver said no, with its
code: do not try again) or ``Unreachable`` (no answer, a 5xx, a garbled answer: try again later).
"""
import json
import urllib.error
import urllib.request

from . import Refused, Unreachable

PATHS = {'package': '/exchange/v1/packages', 'status': '/exchange/v1/statuses'}
TIMEOUT = 30


def carry(registry, address, data, kind, meta):
    """The channel interface: the receiver's signed receipt (checked by the worker)."""
    return post(address, data, kind)


def post(address, data, kind='package', timeout=TIMEOUT):
    url = address.rstrip('/') + PATHS[kind]
    request = urllib.request.Request(url, data=bytes(data), method='POST',
                                     headers={'Content-Type': 'application/xml; charset=utf-8',
                                              'Accept': 'application/json'})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            body = answer.read(1 << 20)
    except urllib.error.HTTPError as exc:
        if 400 <= exc.code < 500:
            try:
                said = json.loads(exc.read(1 << 16) or b'{}')
            except ValueError:
                said = {}
            raise Refused(said.get('error') or f'http_{exc.code}', said.get('message') or exc.reason,
                          answer=said if 'signature' in said else None) from None   # the proof the worker checks
        raise Unreachable(f'HTTP {exc.code} from {url}') from None
    except (urllib.error.URLError, OSError) as exc:
        raise Unreachable(f'{url}: {getattr(exc, "reason", exc)}') from None
    try:
        return json.loads(body)
    except ValueError:
        raise Unreachable(f'{url}: the answer is not JSON') from None
