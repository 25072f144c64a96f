"""Signing secrets of outbound webhooks: made, kept encrypted, and used to sign each delivery.

A secret cannot be stored as a hash like an API key: every delivery is signed with it. It is
encrypted (`service.encryption`, under a label of its own), so a copy of the database alone
does not reveal it.

Signatures follow the Standard Webhooks specification (the ``standardwebhooks`` package):
``webhook-signature: v1,<base64 HMAC-SHA256 of "<webhook-id>.<webhook-timestamp>.<body>">``.
While a rotated secret is still honoured, the header carries one signature per secret,
separated by a space (the specification's way to rotate without a gap).
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Sequence
from datetime import datetime

from standardwebhooks.webhooks import Webhook

from service.db import utcnow
from service.encryption import InvalidToken, SecretBox
from service.models import WebhookSubscription

__all__ = ["InvalidToken", "decrypt", "encrypt", "headers", "new_secret", "old_secret_until"]

PREFIX = "whsec_"


def new_secret() -> str:
    """A new signing secret: ``whsec_`` and 32 random bytes in base64, as receivers expect."""
    return PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


_SECRETS = SecretBox(b"hallway outbound webhook signing secrets v1")
encrypt = _SECRETS.encrypt
decrypt = _SECRETS.decrypt


def old_secret_until(subscription: WebhookSubscription) -> datetime | None:
    """Until when the secret a rotation replaced still signs; None when it no longer does."""
    until = subscription.previous_secret_until
    if subscription.previous_secret_encrypted is None or until is None or until <= utcnow():
        return None
    return until


def headers(
    *, secrets: Sequence[str], message_id: str, timestamp: datetime, body: str
) -> dict[str, str]:
    """The three Standard Webhooks headers for one attempt, signed with each of ``secrets``."""
    signatures = " ".join(Webhook(s).sign(message_id, timestamp, body) for s in secrets)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": signatures,
    }
