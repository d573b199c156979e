"""The archive end: records files, retention, disposition, backups and transfer packages."""
