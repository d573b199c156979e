"""The resource tree: root → bodies → documents → files; root → users; the journal."""
