"""Settings and deployment rules (DJV5xx): the production settings as Django's `check --deploy` and DRF would judge them."""
