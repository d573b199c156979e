"""Lifecycles as data: workflows/*.zcml loaded at start-up (``loader``), read by ``states``;
one function changes a state (``engine.fire``)."""
