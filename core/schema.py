"""The OpenAPI schema class (``REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]``): drf-spectacular's, with
an honest ``security`` list. Spectacular marks an operation as open to anonymous callers (``{}``
in ``security``) only for exactly ``AllowAny`` or ``IsAuthenticatedOrReadOnly``; our own
permission classes that are read-only for everyone subclass ``IsAuthenticatedOrReadOnly`` (or
``AllowAny``), and count too, so clients and the schema fuzzer are not told a token is needed
where none is."""

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from rest_framework import permissions


class AutoSchema(SpectacularAutoSchema):
    def get_auth(self):
        auths = super().get_auth()
        if {} not in auths and self._anonymous_allowed():
            auths.append({})
        return auths

    def _anonymous_allowed(self) -> bool:
        perms = [permission.__class__ for permission in self.view.get_permissions()]

        def opens(permission) -> bool:
            if issubclass(permission, permissions.AllowAny):
                return True
            return issubclass(permission, permissions.IsAuthenticatedOrReadOnly) and (
                self.method in permissions.SAFE_METHODS
            )

        return bool(perms) and all(opens(permission) for permission in perms)
