"""Staff roles changed by an administrator."""

from __future__ import annotations

from clinic_inbox.core.model import Role
from clinic_inbox.core.store.connection import Store


def set_role(store: Store, staff_id: int, role: Role) -> None:
    store.execute("UPDATE staff SET role = ? WHERE id = ?", (role.value, staff_id))


def active_admins(store: Store) -> int:
    return int(
        store.one("SELECT count(*) FROM staff WHERE role = ? AND active = 1", (Role.ADMIN.value,))
    )


def patients_in_care(store: Store, staff_id: int) -> int:
    return int(
        store.one("SELECT count(*) FROM patients WHERE responsible_physician_id = ?", (staff_id,))
    )
