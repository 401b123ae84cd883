"""The venue -> cloud store-and-forward bridge (import ``broker.bridge.core.Bridge``)."""
