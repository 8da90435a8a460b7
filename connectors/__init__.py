"""Protocol adapters: each folder decodes bytes into a document tree and/or delivers payloads."""
