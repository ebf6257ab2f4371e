"""The simulated account and its extensions, and the app's credentials and permissions.

Plain data shared by every part of the simulator; calls, tokens, subscriptions and faults are kept
by the parts that own them.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

# App permissions RingCentral checks for what this simulator serves.
ALL_PERMISSIONS: frozenset[str] = frozenset(
    {
        "ReadAccounts",
        "ReadPresence",
        "CallControl",
        "WebSocketsSubscriptions",
        "SubscriptionWebhook",
        "SubscriptionPubNub",
        # messages, SMS, names and call history
        "ReadMessages",
        "EditMessages",
        "SMS",
        "ReadContacts",
        "ReadCallLog",
    }
)

# Extension types and statuses RingCentral's API knows.
EXTENSION_TYPES = frozenset(
    {
        "User",
        "FaxUser",
        "VirtualUser",
        "DigitalUser",
        "Department",
        "Announcement",
        "Voicemail",
        "SharedLinesGroup",
        "PagingOnly",
        "IvrMenu",
        "ApplicationExtension",
        "ParkLocation",
        "Bot",
        "Room",
        "Limited",
        "Site",
        "ProxyAdmin",
        "DelegatedLinesGroup",
        "GroupCallPickup",
    }
)
EXTENSION_STATUSES = frozenset({"Enabled", "Disabled", "Frozen", "NotActivated", "Unassigned"})


@dataclass
class Extension:
    """One extension of the account, with its presence settings (call data lives in the call engine)."""

    id: str
    extension_number: str
    name: str
    type: str = "User"  # User, Department (call queue), ...
    status: str = "Enabled"
    email: str = ""
    phone_number: str = ""  # direct number, E.164
    admin: bool = False
    # Presence fields RingCentral reports beside telephonyStatus.
    user_status: str = "Available"  # Offline | Busy | Available
    dnd_status: str = "TakeAllCalls"
    meeting_status: str = "Disconnected"
    # JWT credential that logs in as this user.
    jwt: str = field(default_factory=lambda: "sim-jwt-" + secrets.token_urlsafe(24))

    @property
    def first_name(self) -> str:
        return self.name.split(" ", 1)[0]

    @property
    def last_name(self) -> str:
        parts = self.name.split(" ", 1)
        return parts[1] if len(parts) > 1 else ""


@dataclass
class App:
    """The one registered app (client id/secret) and the permissions granted to it."""

    client_id: str
    client_secret: str
    permissions: set[str] = field(default_factory=lambda: set(ALL_PERMISSIONS))


@dataclass
class Account:
    """The one simulated account and its extensions."""

    id: str = "400144452008"
    name: str = "Simulated Company"
    main_number: str = "+16505550100"
    extensions: dict[str, Extension] = field(default_factory=dict)
    next_extension_id: int = field(default=400144455008, repr=False)

    def by_number(self, number: str) -> Extension | None:
        """Find an extension by extension number or direct number."""
        for ext in self.extensions.values():
            if number in (ext.extension_number, ext.phone_number):
                return ext
        return None

    def add_extension(
        self,
        name: str,
        extension_number: str | None = None,
        *,
        ext_type: str = "User",
        phone_number: str | None = None,
        admin: bool = False,
        extension_id: str | None = None,
    ) -> Extension:
        """Create an extension with stable, realistic ids and numbers."""
        ext_id = extension_id or str(self.next_extension_id)
        self.next_extension_id += 1000
        index = len(self.extensions) + 101
        number = extension_number or str(index)
        ext = Extension(
            id=ext_id,
            extension_number=number,
            name=name,
            type=ext_type,
            email=f"{name.lower().replace(' ', '.')}@example.com",
            phone_number=phone_number or f"+1650555{int(number) % 10000:04d}",
            admin=admin,
        )
        self.extensions[ext_id] = ext
        return ext


DEMO_NAMES = [
    "Alice Johnson",
    "Bob Smith",
    "Carol Diaz",
    "Dan Brown",
    "Erin Lee",
    "Frank Moore",
    "Grace Kim",
    "Henry Ford",
]


def populate(account: Account, count: int) -> list[Extension]:
    """Create `count` user extensions; the first is an admin (it logs in for account-wide monitoring)."""
    created = []
    for i in range(count):
        name = DEMO_NAMES[i] if i < len(DEMO_NAMES) else f"User {i + 1:04d}"
        created.append(account.add_extension(name, admin=(i == 0)))
    return created
