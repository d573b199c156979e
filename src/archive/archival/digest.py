"""A file's digest and size, read once in blocks: what checking a backup, restoring one and
validating a transfer package each ask of the files they hold."""
import hashlib

CHUNK = 1 << 20     # the one block size of the archive end: backups, restores, packages, their checks


def digest_and_size(f, algorithm='sha256'):
    """``(hex digest, size)`` of what the binary file object ``f`` holds from where it stands."""
    digest, size = hashlib.new(algorithm), 0
    while chunk := f.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size
