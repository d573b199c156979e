"""The archive end: records files, retention, backups and transfer packages (DESIGN.md, issue 14)."""
