"""The text of a document's files, read by the indexer (never in a request).

A PDF gives its text layer (pypdf). A PDF without one (a scanned paper document) or an image is
a scan: its images go to Tesseract with the Vietnamese model (``tesseract-ocr-vie``), later than
the rest of the document, so that OCR never delays the document's metadata in the index.
A sealed (Mật) file is never opened here.
"""
import io
import logging
import shutil
import subprocess
import tempfile

from pypdf import PdfReader

log = logging.getLogger(__name__)
MAX_CHARS = 200_000          # of one file's text in the index
MIN_TEXT_PER_PAGE = 10       # fewer characters per page: a scan, not a text layer
OCR_TIMEOUT = 120            # seconds per image
MAX_OCR_IMAGES = 50


def _read(f):
    with f.open() as stream:
        return stream.read()


def text_layer(f):
    """``(text, scan)``: the file's text, and its bytes and media type if it is a scan to OCR."""
    if getattr(f, 'encrypted', False):
        return '', None
    media = f.media_type or ''
    if media == 'application/pdf':
        data = _read(f)
        try:
            reader = PdfReader(io.BytesIO(data))
            pages = [page.extract_text() or '' for page in reader.pages]
        except Exception:          # a damaged PDF still has its metadata indexed
            log.warning('no text from %s', f.filename, exc_info=True)
            return '', None
        text = '\n'.join(pages).strip()
        if len(text) < MIN_TEXT_PER_PAGE * max(1, len(pages)):
            return text[:MAX_CHARS], (data, media)
        return text[:MAX_CHARS], None
    if media.startswith('image/'):
        return '', (_read(f), media)
    if media.startswith('text/'):
        return _read(f)[:MAX_CHARS * 4].decode('utf-8', 'replace')[:MAX_CHARS], None
    return '', None


def ocr_available():
    return shutil.which('tesseract') is not None


def _images(data, media):
    if media != 'application/pdf':
        yield data
        return
    reader = PdfReader(io.BytesIO(data))
    for page in reader.pages:
        for image in page.images:
            yield image.data


def _tesseract(image):
    with tempfile.NamedTemporaryFile(suffix='.img') as tmp:
        tmp.write(image)
        tmp.flush()
        done = subprocess.run(['tesseract', tmp.name, 'stdout', '-l', 'vie'], capture_output=True,
                              timeout=OCR_TIMEOUT, check=False)
    return done.stdout.decode('utf-8', 'replace')


def ocr(scan):
    """The text Tesseract reads in a scan (``(bytes, media type)``); '' when it cannot."""
    if not ocr_available():
        return ''
    data, media = scan
    texts = []
    try:
        for n, image in enumerate(_images(data, media)):
            if n == MAX_OCR_IMAGES:
                break
            texts.append(_tesseract(image))
    except Exception:
        log.warning('OCR failed', exc_info=True)
    return '\n'.join(texts)[:MAX_CHARS]
