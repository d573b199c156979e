"""The archive end: backups, records files and retention, transfer packages (Art. 15.5)."""
