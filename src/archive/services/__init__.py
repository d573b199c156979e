"""Operations that combine schemas, resources and the journal; every channel calls these."""
