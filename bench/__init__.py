"""`make bench`: figures for ingest, encryption cost, search and the board."""
