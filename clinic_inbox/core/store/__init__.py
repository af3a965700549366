"""The encrypted store: the only place in the product that writes SQL."""

from clinic_inbox.core.store.connection import (
    SCHEMA_VERSION,
    Store,
    StoreError,
    StoreExistsError,
    StoreMissingError,
    StoreUnreadableError,
    UnencryptedStoreError,
    create_store,
    open_store,
)

__all__ = [
    "SCHEMA_VERSION",
    "Store",
    "StoreError",
    "StoreExistsError",
    "StoreMissingError",
    "StoreUnreadableError",
    "UnencryptedStoreError",
    "create_store",
    "open_store",
]
