"""Who may act: console accounts (passwords, roles, lockout), API bearer tokens, and the audit log of what they did."""
