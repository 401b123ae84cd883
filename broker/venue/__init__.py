"""The embedded venue broker (amqtt 0.12.1 + fixes), its auth and ACL.

Import ``broker.venue.server.VenueBroker`` / ``broker.venue.settings.VenueSettings``
(kept out of this ``__init__`` so that importing the package stays cheap).
"""
