"""Renderers of a conversation for the medical record: PDF, FHIR R4 Bundle, HL7 v2 MDM."""
