"""TV control: one Protocol, one plugin per method, an explicit registry, a fallback chain.

Plugins speak real protocols: IR through lircd (:mod:`edge.tv.lirc_ir`), HDMI-CEC through
libcec's ``cec-client`` (:mod:`edge.tv.cec`), Roku ECP over HTTP (:mod:`edge.tv.roku`) and a
generic HTTP webhook (:mod:`edge.tv.webhook`). Heavy or optional libraries are imported by the
plugin that needs them.
"""
