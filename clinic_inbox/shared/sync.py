"""Keeping a workstation's store and the clinic's server in step:

- `publish_conversation` (publish.py): a local conversation goes to the server, sealed;
- `push` (push.py): queued local changes go to the server's `apply_op`;
- `pull` (pull.py): the others' changes come back by cursor.
"""

from clinic_inbox.shared.publish import publish_conversation
from clinic_inbox.shared.pull import PULL_BATCH, Applied, PullResult, pull
from clinic_inbox.shared.push import PushResult, push
from clinic_inbox.shared.replica import StaffMap, message_identity, staff_ref

__all__ = [
    "PULL_BATCH",
    "Applied",
    "PullResult",
    "PushResult",
    "StaffMap",
    "message_identity",
    "publish_conversation",
    "pull",
    "push",
    "staff_ref",
]
