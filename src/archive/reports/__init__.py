"""Reports: the registers (sổ đăng ký) exported as CSV, XLSX and PDF.

See ``archive.reports.exports``. This package imports nothing heavy itself: openpyxl and
reportlab are loaded only when an XLSX or PDF is actually made.
"""
