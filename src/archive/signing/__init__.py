"""Signatures and secrecy (Art. 4, 5.1, 14.3): keys and certificates (``keys``, ``ca``), PAdES
signing and verification (``pades``)."""
