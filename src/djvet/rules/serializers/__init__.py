"""DJV3xx: serializers and forms (data exposure, mass assignment)."""
