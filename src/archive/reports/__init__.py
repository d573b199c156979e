"""Reports: the registers (sổ đăng ký) exported as CSV, XLSX and PDF, and the statistics.

* ``exports``: the registers as files (a library layer: plain tables in, bytes out);
* ``counters``: the statistics counters, kept in the transaction that moves a document (model
  layer: the workflow, the intake and the receiving path call it); ``recount`` counts them again
  from the journal (``archive-stats check|rebuild``), ``reshape`` holds the evolve steps' changes;
* ``figures``: the figures as people read them (a body or its subtree, a period, a grouping),
  who may see which, the documents behind a figure;
* ``quarterly``: the quarterly report's content, its signature; ``quarterly_files`` writes it
  as PDF, XLSX and CSV; ``charts`` draws the charts of the dashboard and of the PDF.

This package imports nothing heavy itself: openpyxl and reportlab are loaded only when an XLSX,
a PDF or a chart is actually made.
"""
