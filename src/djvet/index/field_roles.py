"""What a model field means for an API: a secret (password, token, API key ...), a privilege
(`is_staff`, `groups` ...) or ownership (a relation to the user model such as `owner`), read from
its name and its type. Used by the serializer and form rules (DJV3xx); docs/rules/DJV305.md lists
the names."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable
from dataclasses import dataclass

from djvet.index.facts import FieldFact, ModelFact, ProjectIndex

_WORD_RE = re.compile(r"[A-Z]+(?=[A-Z][a-z]|\d|\b|_)|[A-Z]?[a-z]+|\d+[a-z]*")

# A name is sensitive when its last words are one of these terms (then optionally qualifiers:
# `password_hash`, `api_key_encrypted`): `token_expires_at` or `secret_santa` are not.
SENSITIVE_TERMS: tuple[tuple[str, ...], ...] = (
    ("password",),
    ("passwd",),
    ("passphrase",),
    ("secret",),
    ("secrets",),
    ("token",),
    ("tokens",),
    ("apikey",),
    ("api", "key"),
    ("api", "keys"),
    ("private", "key"),
    ("secret", "key"),
    ("secret", "access", "key"),
    ("signing", "key"),
    ("encryption", "key"),
    ("otp", "seed"),
    ("otp", "key"),
    ("totp",),
    ("totp", "key"),
    ("totp", "seed"),
    ("mfa", "key"),
    ("mfa", "seed"),
    ("2fa", "key"),
    ("2fa", "seed"),
    ("recovery", "codes"),
    ("backup", "codes"),
    ("credentials",),
)
QUALIFIERS = frozenset({"hash", "hashed", "digest", "encrypted", "enc", "ciphertext", "value", "plain", "plaintext", "raw"})
# `key` is the secret of a token model (DRF's authtoken.Token.key): only there
TOKEN_MODEL_WORDS = frozenset({"token", "apikey"})
# field types that can hold a secret; numbers, booleans, dates and relations cannot (a `token`
# IntegerField is a counter or a label, a `secret` BooleanField a flag)
NOT_SECRET_TYPES = ("Integer", "Boolean", "Date", "Time", "Decimal", "Float", "Duration", "Foreign", "ManyToMany", "OneToOne", "Generic", "Auto")

_AUTH = "django.contrib.auth."
USER_BASES = frozenset(
    {
        _AUTH + "base_user.AbstractBaseUser",
        _AUTH + "models.AbstractBaseUser",
        _AUTH + "models.AbstractUser",
        _AUTH + "models.User",
    }
)
GROUP_MODELS = frozenset({_AUTH + "models.Group", _AUTH + "models.Permission"})
# names of a user model's privilege fields (Django's own, and the usual project additions)
USER_PRIVILEGE_NAMES = frozenset({"is_staff", "is_superuser", "is_admin", "groups", "user_permissions", "role", "roles"})
# names of an ownership relation to the user model
OWNER_NAMES = frozenset({"owner", "user", "author", "creator"})
OWNER_VERBS = frozenset(
    {"created", "owned", "uploaded", "submitted", "added", "posted", "updated", "modified", "changed", "edited"}
)


def name_words(name: str) -> tuple[str, ...]:
    """`apiKeyHash` / `api_key_hash` -> ("api", "key", "hash")."""
    return tuple(w.lower() for part in re.split(r"[^A-Za-z0-9]+", name) for w in _WORD_RE.findall(part))


def has_sensitive_name(name: str, model_name: str = "") -> bool:
    words = list(name_words(name))
    while len(words) > 1 and words[-1] in QUALIFIERS:
        words.pop()
    if any(tuple(words[-len(term) :]) == term for term in SENSITIVE_TERMS if len(words) >= len(term)):
        return True
    if words == ["key"]:
        model_words = set(name_words(model_name))
        return bool(model_words & TOKEN_MODEL_WORDS) or {"api", "key"} <= model_words
    return False


def _matches(name: str, patterns: Iterable[str]) -> bool:
    return any(fnmatch.fnmatchcase(name.lower(), p.lower()) for p in patterns)


def can_hold_secret(index: ProjectIndex, field: FieldFact) -> bool:
    if field.relation is not None:
        return False
    classes = [field.field_class, *index.mros.get(field.field_class, ())]
    return not any(part in c.rpartition(".")[2] for c in classes for part in NOT_SECRET_TYPES)


@dataclass(frozen=True, slots=True)
class SensitiveNames:
    """The sensitive-name test with the project's `[tool.djvet]` additions and removals."""

    extra: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()

    def is_sensitive(self, index: ProjectIndex, model: ModelFact | None, name: str, field: FieldFact | None) -> bool:
        """A model field (or, with `field` None, a name with no model field behind it) that holds a secret."""
        if _matches(name, self.removed):
            return False
        if _matches(name, self.extra):
            return True  # the project said so: whatever its type
        if not has_sensitive_name(name, model.name if model is not None else ""):
            return False
        return field is None or can_hold_secret(index, field)


def user_models(index: ProjectIndex) -> frozenset[str]:
    """Django's User, the AUTH_USER_MODEL in force, and every model built on AbstractBaseUser."""
    found = {_AUTH + "models.User"}
    if index.user_model:
        found.add(index.user_model)
    for qualname in index.models:
        if any(c in USER_BASES for c in index.mros.get(qualname, ())):
            found.add(qualname)
    return frozenset(found)


def is_user_model(index: ProjectIndex, qualname: str | None) -> bool:
    return qualname is not None and qualname in user_models(index)


def is_privilege_field(index: ProjectIndex, model: ModelFact, field: FieldFact) -> bool:
    """`is_staff`, `groups` ... on a user model; a relation to auth's Group or Permission anywhere."""
    if field.relation is not None and field.target in GROUP_MODELS:
        return True
    return field.name in USER_PRIVILEGE_NAMES and is_user_model(index, model.qualname)


def is_ownership_field(index: ProjectIndex, field: FieldFact) -> bool:
    """A foreign key (or one-to-one) to the user model named as its owner: `owner`, `user`,
    `created_by` ... (`assignee` or `reviewer` name someone else, whom a client may pick)."""
    if field.relation not in ("fk", "o2o") or not is_user_model(index, field.target):
        return False
    words = name_words(field.name)
    if field.name in OWNER_NAMES or (words and words[-1] in ("owner", "author", "creator")):
        return True
    return len(words) >= 2 and words[-1] == "by" and words[-2] in OWNER_VERBS


PASSWORD_WORDS = frozenset({"password", "passwd", "passphrase"})


def is_password_name(name: str) -> bool:
    """`password`, `password_hash`, `smtp_password`: a credential nobody needs to read back."""
    return bool(set(name_words(name)) & PASSWORD_WORDS) and has_sensitive_name(name)
