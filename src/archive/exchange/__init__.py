"""The edXML exchange: the national axis package and status message, read and written safely."""
