"""Access to the service's APIs: named bearer tokens for integrators and other services."""
