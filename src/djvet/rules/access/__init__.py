"""Access control rules (DJV2xx): permissions and authentication of views."""
