"""DJV6xx: data modeling and migrations."""
