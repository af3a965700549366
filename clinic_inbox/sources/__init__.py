"""Network adapters (IMAP, SMTP, FHIR portal): no Qt, never write SQL themselves."""
