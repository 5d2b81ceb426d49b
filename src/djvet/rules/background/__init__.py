"""Async and background-task rules (DJV7xx): sync ORM in coroutines, task arguments, enqueueing
inside transactions, outbound HTTP without a timeout."""
