"""The operators' console: a server-rendered web application and its JSON API."""
